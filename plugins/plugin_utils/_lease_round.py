# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to the collection, not a public API: how a run takes its hosts.

The policy: try every host at once; if one is busy with another run, give
them all back, then take them one by one in sorted order, waiting for each.
A run that waits then holds only hosts that sort before the one it waits
for, and so does every other run: two runs can never each hold a host the
other waits for.

Each host runs its part in its own worker of the same task, on the
controller, at the same time. They meet through small files in the run's
folder on the controller (``leases/<host>.<step>``, each written once):
``tried`` (what the first try found), ``free`` (the host is given back) and
``done`` (the host's ordered take is over, taken or not). Every wait for
another host is bounded: a worker that died never blocks the run, it only
makes it slower.

Trying at once needs every host's worker at the same time, so it is only
done when the play has a fork for every host (``at_once``); otherwise the
hosts go straight to the ordered take, and the play's ``order: sorted``
hands out the forks in that order.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import time

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover - Python 2
    from urllib import quote

TAKEN, BUSY, FAILED = 'taken', 'busy', 'failed'
POLL = 0.05


class LeaseRound(object):
    """One host's part in taking the run's ``hosts`` (see the module's docstring)."""

    def __init__(self, folder, hosts, me, at_once, timeout, clock=time.time, sleep=time.sleep):
        self.folder = folder
        self.hosts = sorted(hosts)
        self.me = me
        self.at_once = at_once
        self.timeout = timeout
        self.clock = clock
        self.sleep = sleep

    def take(self, try_now, give_back, take_waiting):
        """Take this host. ``try_now()`` returns TAKEN or BUSY without waiting; ``give_back()`` gives it back;
        ``take_waiting()`` takes it, waiting up to the timeout, and raises when it cannot. Returns ``(how, busy)``:
        how it was taken (``at once`` or ``in order``) and the hosts that were busy at first."""
        busy = []
        if self.at_once:
            try:
                outcome = try_now()
            except BaseException:
                self._out(FAILED)
                raise
            self._mark('tried', outcome)
            # At least a few seconds: every host must see the same marks to decide alike.
            found = self._wait_all('tried', max(self.timeout, 10))
            busy = sorted(host for host, seen in found.items() if seen == BUSY)
            if not busy and len(found) == len(self.hosts):
                # A host that saw fewer marks goes on in order: it must not wait for this one.
                self._mark('free', '')
                self._mark('done', '')
                return 'at once', busy
            try:
                if outcome == TAKEN:
                    give_back()
            except BaseException:
                self._out()
                raise
            self._mark('free', '')
            self._wait_all('free', self.timeout)
        position = self.hosts.index(self.me)
        try:
            if position:
                # The one before may itself wait up to the timeout for each host before it.
                self._wait_for(self.hosts[position - 1], 'done', (position + 1) * (self.timeout + 60))
            take_waiting()
        finally:
            self._mark('done', '')
        return 'in order', busy

    def _out(self, tried=None):
        """This host drops out (its call failed): every step it had left is marked, so no other host waits for
        it."""
        for step, text in (('tried', tried), ('free', ''), ('done', '')):
            if text is not None and self._read(self.me, step) is None:
                self._mark(step, text)

    def forget(self):
        """Remove this host's marks, and the folder once it is empty: the run's end, when no take is left."""
        for step in ('tried', 'free', 'done'):
            try:
                os.unlink(self._path(self.me, step))
            except OSError:
                pass
        try:
            os.rmdir(self.folder)
        except OSError:
            pass  # another host's marks are still there, or it is gone already

    def _path(self, host, step):
        return os.path.join(self.folder, '%s.%s' % (quote(host, safe=''), step))

    def _mark(self, step, text):
        if not os.path.isdir(self.folder):
            try:
                os.mkdir(self.folder, 0o700)
            except OSError:
                if not os.path.isdir(self.folder):
                    raise
        # Written aside, then renamed: another worker never reads it half-written.
        path = self._path(self.me, step)
        fd = os.open(path + '.draft', os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w') as handle:
            handle.write(text)
        os.rename(path + '.draft', path)

    def _read(self, host, step):
        try:
            with open(self._path(host, step)) as handle:
                return handle.read()
        except (IOError, OSError):
            return None

    def _wait_all(self, step, seconds):
        """What every host marked for ``step``, once all have or after ``seconds``; missing hosts are left out."""
        deadline = self.clock() + seconds
        while True:
            found = dict((host, self._read(host, step)) for host in self.hosts)
            found = dict((host, seen) for host, seen in found.items() if seen is not None)
            if len(found) == len(self.hosts) or self.clock() >= deadline:
                return found
            self.sleep(POLL)

    def _wait_for(self, host, step, seconds):
        deadline = self.clock() + seconds
        while self._read(host, step) is None and self.clock() < deadline:
            self.sleep(POLL)
