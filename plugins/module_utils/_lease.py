# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to the collection, not a public API: a lease on a host for one run, so two runs never measure on it
at once.

The lease is one regular file, ``<lock_dir>/iperf.lock`` (mode 0600), whose
content is the owner's record: ``run``, ``controller``, ``taken``,
``expires`` and ``holders`` (each host of the run that holds it, and until
when). No file, an empty one, or an expired record: the host is free.

Why two runs can never both hold it: every read-modify-write of the record
(take, break an expired lease, extend, give back) happens while holding
``flock(LOCK_EX)`` on that very file, for the milliseconds of the update, and
the record is rewritten in place (truncate, write, fsync) under that lock. So
each update is a compare-and-swap: what was read is still there when it is
written. The lock goes with the process, so a killed run never keeps it;
a record it left half-written can only be seen by the next locker, once no
writer is left, and counts as free. The last holder removes the file while it
holds the lock; whoever waited on the removed file then sees that the path no
longer names the file it locked (another inode, or none) and starts over on
the new one. Readers take ``LOCK_SH`` and never see a record being written.

The folder is checked with ``_state_dir.check`` before each use (no link, no
other user's folder on the way); the file is opened with ``O_NOFOLLOW`` and
must be a regular file of ours with a single link.

A lease lasts a short TTL past each renewal (``iperf_follow_timeout`` + 60 s
in a session): each module call renews it, and so does the host's job while
its sides run and a controller follows them (``iperf_batch``). A crashed run
frees its hosts by itself, soon. A run takes the leases of all its hosts one
by one in sorted order, so two runs that share hosts can never hold one each
and wait for the other.

Hosts that share a file system (network namespaces, containers) share one
lease: each has its own part in ``holders``, the lease lasts as long as the
longest, and it goes back when the last of them gives it back, so a host done
early never frees the others while they measure.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import errno
import fcntl
import json
import os
import stat
import time

from ansible_collections.apetools.iperf.plugins.module_utils import _state_dir
from ansible_collections.apetools.iperf.plugins.module_utils._state_dir import UnsafeStateDir

_NOFOLLOW = getattr(os, 'O_NOFOLLOW', 0)
_CLOEXEC = getattr(os, 'O_CLOEXEC', 0)
# Never wait on a FIFO someone planted: the check below refuses it.
_NONBLOCK = getattr(os, 'O_NONBLOCK', 0)
_NOT_A_FILE = {
    errno.ELOOP: 'is a symbolic link, which is never followed',
    errno.EISDIR: 'is a folder: the lease of an earlier release of the collection; remove it once no run of that '
                  'release uses the host',
    errno.ENXIO: 'is not a regular file',
}

__all__ = ['HostBusy', 'Lease', 'UnsafeStateDir', 'look', 'take_now']


class HostBusy(Exception):
    """Another run holds the host."""


class Lease(object):

    def __init__(self, folder, host, name='iperf', clock=time.time, sleep=time.sleep):
        # The lease lives on the host itself, so its name must not depend on
        # the inventory: one host under two names in two inventories is still
        # one host.
        self.folder = folder
        self.path = os.path.join(folder, '%s.lock' % name)
        self.host = host
        self.clock = clock
        self.sleep = sleep
        # Tests only: called as ``_between(step, record)`` under the lock, between the read and the write.
        self._between = None

    # --- the record, under the lock ---------------------------------------------------------------------

    def _check_folder(self, create):
        try:
            return _state_dir.check(self.folder, create=create)
        except UnsafeStateDir as exc:
            raise UnsafeStateDir('the lease folder %s of host %s cannot be trusted: %s' % (self.folder, self.host, exc))

    def _open_locked(self, create, shared):
        """A descriptor of the lease file, locked, and still the file at ``self.path``; None if there is none."""
        if not create and not os.path.lexists(self.folder):
            return None
        self._check_folder(create)
        flags = (os.O_RDONLY if shared else os.O_RDWR) | (os.O_CREAT if create else 0) | _NOFOLLOW | _CLOEXEC | _NONBLOCK
        while True:
            try:
                fd = os.open(self.path, flags, _state_dir.FILE_MODE)
            except OSError as exc:
                if exc.errno == errno.ENOENT and not create:
                    return None
                if exc.errno in _NOT_A_FILE:
                    raise UnsafeStateDir('the lease %s of host %s %s' % (self.path, self.host, _NOT_A_FILE[exc.errno]))
                raise
            try:
                fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
                mine = os.fstat(fd)
                try:
                    there = os.lstat(self.path)
                except OSError as exc:
                    if exc.errno != errno.ENOENT:
                        raise
                    there = None
            except BaseException:
                os.close(fd)
                raise
            if there is None or (there.st_dev, there.st_ino) != (mine.st_dev, mine.st_ino):
                # Its last holder removed it while we waited for the lock: start over.
                os.close(fd)
                continue
            if not stat.S_ISREG(mine.st_mode) or mine.st_uid != os.geteuid() or mine.st_nlink != 1:
                os.close(fd)
                raise UnsafeStateDir('the lease %s of host %s is not a regular file of uid %d alone (mode %06o, uid %d, '
                                     '%d links)' % (self.path, self.host, os.geteuid(), mine.st_mode, mine.st_uid,
                                                    mine.st_nlink))
            return fd

    @contextlib.contextmanager
    def _locked(self, create=True, shared=False):
        fd = self._open_locked(create, shared)
        try:
            yield fd
        finally:
            if fd is not None:
                os.close(fd)  # and the lock goes with it

    @staticmethod
    def _read(fd):
        """The record in the file, or None when there is none (empty, or left half-written by a killed writer)."""
        os.lseek(fd, 0, os.SEEK_SET)
        chunks = []
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
        try:
            record = json.loads(b''.join(chunks).decode('utf-8'))
        except ValueError:
            return None
        return record if isinstance(record, dict) and isinstance(record.get('run'), str) else None

    def _hook(self, step, record):
        if self._between:
            self._between(step, record)

    @staticmethod
    def _write(fd, record):
        data = json.dumps(record, sort_keys=True).encode('utf-8')
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        while data:
            data = data[os.write(fd, data):]
        os.fsync(fd)

    @staticmethod
    def _expires(record):
        try:
            return float(record.get('expires') or 0)
        except (TypeError, ValueError):
            return 0.0

    def _expired(self, record):
        return self._expires(record) < self.clock()

    @staticmethod
    def _holders(record):
        """Host name -> until when that host holds the lease."""
        holders = record.get('holders')
        if not isinstance(holders, dict):
            return {}
        return dict((name, float(until)) for name, until in holders.items()
                    if isinstance(name, str) and isinstance(until, (int, float)) and not isinstance(until, bool))

    @staticmethod
    def _with(record, holders):
        # The lease lasts as long as its longest holder.
        return dict(record, holders=holders, expires=max(holders.values()))

    def _take(self, run, expires_in, controller):
        """One attempt: ``(taken, ours_before, record_before)``; ``taken`` is False when another run holds the host."""
        with self._locked() as fd:
            record = self._read(fd)
            now = self.clock()
            if record is not None and record['run'] == run:
                # This host's part is set, not extended: the preflight's first, longer lease ends once the
                # test calls and the job's heartbeat renew it. The other hosts' parts stay.
                holders = self._holders(record)
                holders[self.host] = now + expires_in
                self._hook('extend', record)
                self._write(fd, self._with(record, holders))
                return True, True, record
            if record is not None and not self._expired(record):
                return False, False, record
            # Free, or expired and so broken: replaced while nobody else can look.
            self._hook('take' if record is None else 'break', record)
            self._write(fd, dict(run=run, controller=controller, taken=now, expires=now + expires_in,
                                 holders={self.host: now + expires_in}))
            return True, False, record

    # --- what the modules call --------------------------------------------------------------------------

    def holder(self):
        """The current owner's record, or None when the host is free (no lease, or an expired one)."""
        with self._locked(create=False, shared=True) as fd:
            record = self._read(fd) if fd is not None else None
        return None if record is None or self._expired(record) else record

    def describe(self, owner):
        return 'run %s from %s, until %s at the latest' % (
            owner.get('run'), owner.get('controller') or 'an unknown controller',
            time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(self._expires(owner))))

    def acquire(self, run, expires_in, timeout, controller=None, poll=1.0):
        """Take the lease for ``run``; return the seconds waited. Raise HostBusy at the timeout."""
        started = self.clock()
        while True:
            taken, _ours, record = self._take(run, expires_in, controller)
            if taken:
                return self.clock() - started
            if self.clock() - started >= timeout:
                raise HostBusy('host %s is busy with %s; waited %.0f s (iperf_lock_timeout)'
                               % (self.host, self.describe(record), timeout))
            self.sleep(poll)

    def hold(self, run, expires_in, controller=None):
        """Make sure ``run`` holds the lease, this host's part of it for ``expires_in`` more seconds from now.

        Takes it when it is free, and sets this host's part when ``run`` holds
        it (shorter, too: a longer first lease gives way to the renewals; the
        other hosts' parts stay, and the lease lasts as its longest). Raises
        HostBusy when another run has it: this run's lease expired, and then
        the other run took the host.
        """
        taken, _ours, record = self._take(run, expires_in, controller)
        if not taken:
            raise HostBusy('host %s is no longer this run\'s: its lease expired and %s took it'
                           % (self.host, self.describe(record)))

    def renew(self, run, expires_in):
        """Extend this host's part of the lease to ``expires_in`` seconds from now (never shorter) if it still
        holds it for ``run``; True if it does. Never takes it: a heartbeat must not take back a lease just given
        back, nor one that expired."""
        with self._locked(create=False) as fd:
            record = self._read(fd) if fd is not None else None
            holders = self._holders(record) if record is not None and record['run'] == run else {}
            if self.host not in holders or self._expired(record):
                return False
            if self.clock() + expires_in > holders[self.host]:
                holders[self.host] = self.clock() + expires_in
                self._hook('renew', record)
                self._write(fd, self._with(record, holders))
            return True

    def release(self, run):
        """Give this host's part of the lease back if ``run`` holds it; True if it did.

        The lease itself goes when no other host of the run holds it.
        """
        with self._locked(create=False) as fd:
            record = self._read(fd) if fd is not None else None
            if record is None or record['run'] != run:
                return False
            others = self._holders(record)
            others.pop(self.host, None)
            self._hook('release', record)
            if others:
                self._write(fd, self._with(record, others))
            else:
                # Under the lock: whoever waits for it finds the path changed, and starts over.
                os.unlink(self.path)
        return True


def look(lease, run, timeout, busy=None):
    """Who holds the host, as a play reads it: ``host``, ``holder``, ``busy`` and a ``message``.

    ``timeout`` is only for the message: the wait that follows a busy host.
    """
    holder = lease.holder()
    if busy is None:
        busy = bool(holder) and holder.get('run') != run
    return dict(host=lease.host, holder=holder, busy=busy, message=(
        'host %s is busy with %s%s' % (lease.host, lease.describe(holder or {}),
                                       '; waiting up to %.0f s' % timeout if timeout else '') if busy
        else 'host %s is free for run %s' % (lease.host, run)))


def take_now(lease, run, expires_in, timeout, controller=None):
    """Take the lease only if the host is free now: ``look`` at it, with ``waited_s`` when the run holds the
    lease and ``taken`` when this call took it.
    """
    taken, ours, record = lease._take(run, expires_in, controller)
    if not taken:
        return dict(host=lease.host, holder=record, busy=True, message='host %s is busy with %s; waiting up to %.0f s'
                    % (lease.host, lease.describe(record), timeout))
    return dict(host=lease.host, holder=None, busy=False, waited_s=0.0, taken=not ours,
                message='host %s is free for run %s' % (lease.host, run))
