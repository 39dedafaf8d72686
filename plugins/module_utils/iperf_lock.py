# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A lease on a host for one run, so two runs never measure on it at once.

The lease is a folder (mkdir is atomic) holding the owner's run id and when
the lease expires. A run takes the leases of all its hosts one by one in
sorted order, so two runs that share hosts can never hold one each and wait
for the other. A lease expires at the latest moment its run could still be
measuring, so a crashed run frees its hosts by itself.

Hosts that share a file system (network namespaces, containers) share one
lease. Each host of the run that holds it leaves a mark in it, and the lease
goes back when the last of them gives it back: a host done early never frees
the others while they measure.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import time
from urllib.parse import quote

OWNER = 'owner.json'


class HostBusy(Exception):
    """Another run holds the host."""


class Lease(object):

    def __init__(self, folder, host, name='iperf', clock=time.time, sleep=time.sleep):
        # The lease lives on the host itself, so its name must not depend on
        # the inventory: one host under two names in two inventories is still
        # one host.
        self.path = os.path.join(folder, '%s.lock' % name)
        self.host = host
        self.clock = clock
        self.sleep = sleep

    def holder(self):
        """The current owner's record, or None when the host is free."""
        try:
            with open(os.path.join(self.path, OWNER)) as handle:
                owner = json.load(handle)
        except (OSError, ValueError):
            if os.path.isdir(self.path) and self._age() > 30:
                # A lease folder without an owner for this long is debris of a crash.
                return dict(run='unknown', expires=0)
            return None if not os.path.isdir(self.path) else dict(run='being written', expires=self.clock() + 30)
        return owner

    def _age(self):
        try:
            return self.clock() - os.stat(self.path).st_mtime
        except OSError:
            return 0

    def describe(self, owner):
        return 'run %s from %s, until %s at the latest' % (
            owner.get('run'), owner.get('controller') or 'an unknown controller',
            time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(owner.get('expires', 0))))

    def acquire(self, run, expires_in, timeout, controller=None, poll=1.0):
        """Take the lease for ``run``; return the seconds waited. Raise HostBusy at the timeout."""
        started = self.clock()
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        while True:
            try:
                os.mkdir(self.path)
            except FileExistsError:
                owner = self.holder()
                if owner is None:
                    continue
                if owner.get('run') == run:
                    self._mark()
                    return self.clock() - started
                if owner.get('run') == 'being written':
                    # Another taker is between mkdir and its owner file: milliseconds.
                    self.sleep(0.02)
                    continue
                if owner.get('expires', 0) < self.clock():
                    self._break()
                    continue
                if self.clock() - started >= timeout:
                    raise HostBusy('host %s is busy with %s; waited %.0f s (iperf_lock_timeout)'
                                   % (self.host, self.describe(owner), timeout))
                self.sleep(poll)
                continue
            self._write(dict(run=run, controller=controller, taken=self.clock(), expires=self.clock() + expires_in))
            self._mark()
            return self.clock() - started

    def _mark(self):
        with open(self._mark_path(self.host), 'w'):
            pass

    def _mark_path(self, host):
        # Quoted, not replaced: two hosts never share a mark.
        return os.path.join(self.path, '%s.held' % quote(host, safe=''))

    def _write(self, owner):
        # A draft per process: the hosts of a run that share the lease extend it at once.
        partial = os.path.join(self.path, '%s.partial.%d' % (OWNER, os.getpid()))
        with open(partial, 'w') as handle:
            json.dump(owner, handle)
        os.replace(partial, os.path.join(self.path, OWNER))

    def hold(self, run, expires_in, controller=None):
        """Make sure ``run`` holds the lease for ``expires_in`` more seconds at least.

        Takes it when it is free and extends it when ``run`` holds it. Raises
        HostBusy when another run has it: this run's lease expired, and then
        the other run took the host.
        """
        owner = self.holder()
        if owner and owner.get('run') == run:
            if owner.get('expires', 0) < self.clock() + expires_in:
                self._write(dict(owner, expires=self.clock() + expires_in))
            self._mark()
            return
        try:
            self.acquire(run, expires_in, 0, controller=controller)
        except HostBusy:
            raise HostBusy('host %s is no longer this run\'s: its lease expired and %s took it'
                           % (self.host, self.describe(self.holder() or {})))

    def release(self, run):
        """Give this host's part of the lease back if ``run`` holds it; True if it did.

        The lease itself goes when no other host of the run holds it.
        """
        owner = self.holder()
        if owner is None or owner.get('run') != run:
            return False
        try:
            os.unlink(self._mark_path(self.host))
        except OSError:
            pass
        try:
            others = [name for name in os.listdir(self.path) if name.endswith('.held')]
        except OSError:
            others = []
        if not others:
            self._break()
        return True

    def _break(self):
        # Rename first, so a concurrent mkdir never sees a half-removed folder.
        doomed = '%s.broken.%d.%f' % (self.path, os.getpid(), self.clock())
        try:
            os.rename(self.path, doomed)
        except OSError:
            return
        shutil.rmtree(doomed, ignore_errors=True)


def look(lease, run, timeout, busy=None):
    """Who holds the host, as a play reads it: ``host``, ``holder``, ``busy`` and a ``message``.

    ``timeout`` is only for the message: the wait that follows a busy host.
    """
    holder = lease.holder()
    if busy is None:
        busy = bool(holder) and holder.get('run') != run
    return dict(host=lease.host, holder=holder, busy=busy, message=(
        'host %s is busy with %s; waiting up to %.0f s' % (lease.host, lease.describe(holder or {}), timeout) if busy
        else 'host %s is free for run %s' % (lease.host, run)))


def take_now(lease, run, expires_in, timeout, controller=None):
    """Take the lease only if the host is free now: ``look`` at it, with ``waited_s`` when the run holds the
    lease and ``taken`` when this call took it.
    """
    # Whoever held it a moment ago may be a host of this very run, halfway
    # through taking the lease they share: only the attempt tells.
    ours = (lease.holder() or {}).get('run') == run
    try:
        waited = lease.acquire(run, expires_in, 0, controller=controller)
    except HostBusy:
        return look(lease, run, timeout, busy=True)
    return dict(look(lease, run, timeout, busy=False), holder=None, waited_s=round(waited, 3), taken=not ours)
