# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pid files for the iperf servers we start, so a stale one can be cleared.

A server left by a run that was killed still holds its port. It is stopped
only when its pid file, in the checked state folder, names a process whose
identity is still the one recorded when we started it: the same uid, the same
start time (``/proc/<pid>/stat`` field 22) and the very same argv. Never by
name, never a process we did not start, and never a process that merely
reuses the pid or whose command line ends like ours.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import signal
import time

from ansible_collections.apetools.iperf.plugins.module_utils import _state_dir


def identity(pid):
    """What makes process ``pid`` the one it is: ``uid``, ``start`` and ``argv``; None if it is gone,
    a zombie, or this host has no ``/proc`` (then no process is ever taken for ours)."""
    try:
        with open('/proc/%d/stat' % pid, 'rb') as handle:
            fields = handle.read().rsplit(b')', 1)[1].split()
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            argv = [part.decode('utf-8', 'replace') for part in handle.read().split(b'\0')[:-1]]
        uid = os.stat('/proc/%d' % pid).st_uid
    except (OSError, IOError, IndexError, ValueError):
        return None
    if fields[0] == b'Z' or not argv:
        return None
    # Field 22 of stat is the 20th after the command's closing parenthesis.
    return dict(uid=uid, start=fields[19].decode(), argv=argv)


def stop(pid, recorded, grace=2.0):
    """Stop process ``pid`` (its group too when it leads one), SIGTERM then SIGKILL, while it is still the
    process ``recorded`` (its identity); True if it is gone."""
    try:
        group = os.getpgid(pid) == pid
    except OSError:
        return True
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if identity(pid) != recorded:
            return True  # gone, or the pid now names another process: never signal that one
        try:
            # We start each server in a session of its own, so it leads its group
            # (the watchdog and iperf): the group goes with it, and nothing else.
            (os.killpg if group else os.kill)(pid, sig)
        except OSError:
            return True
        deadline = time.time() + grace
        while time.time() < deadline:
            if identity(pid) != recorded:
                return True
            time.sleep(0.05)
    return identity(pid) != recorded


class PidFiles(object):
    """The pid files of one host, under ``<folder>/<host>-<port>.pid``; ``folder`` is checked before use."""

    def __init__(self, folder, host):
        self.folder = folder
        self.host = host

    def path(self, port):
        return os.path.join(self.folder, '%s-%s.pid' % (self.host, port))

    def claim(self, pid, port):
        """Record that process ``pid`` serves ``port``, as it is now; return the pid file's path.

        Call it once the process runs its command (``subprocess.Popen`` returns after the exec).
        """
        _state_dir.check(self.folder)
        path = self.path(port)
        _state_dir.write_json(path, dict(pid=pid, identity=identity(pid), recorded_at=time.time()))
        return path

    @staticmethod
    def release(path):
        try:
            os.unlink(path)
        except OSError:
            pass

    def _recorded(self, port):
        """(pid, identity) from the pid file of ``port``; (None, None) when there is none or it is malformed."""
        recorded = _state_dir.read_json(self.path(port))
        try:
            return int(recorded['pid']), dict(recorded['identity'])
        except (KeyError, TypeError, ValueError):
            return None, None

    def is_ours(self, port):
        """Whether the server recorded for ``port`` is still the very process we started."""
        pid, recorded = self._recorded(port)
        return bool(pid and recorded and identity(pid) == recorded)

    def clear_stale(self, port):
        """Stop the server an earlier run left on ``port``; return the pids stopped.

        The pid file goes either way: one that names another process is wrong.
        """
        pid, recorded = self._recorded(port)
        if pid is None:
            return []
        cleared = [pid] if self.is_ours(port) and stop(pid, recorded) else []
        self.release(self.path(port))
        return cleared
