# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pid files for the iperf servers we start, so a stale one can be cleared.

A server left by a run that was killed still holds its port. It is stopped
only when its pid file names it and the process still runs the very command
we recorded: never by name, and never a process we did not start.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import signal
import time


def _cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            return [part.decode('utf-8', 'replace') for part in handle.read().split(b'\0') if part]
    except (OSError, ValueError):
        return None


def _ends_with(sequence, tail):
    return len(sequence) >= len(tail) and sequence[len(sequence) - len(tail):] == tail


class PidFiles(object):
    """The pid files of one host, under ``<folder>/<host>-<port>.pid``."""

    def __init__(self, folder, host):
        self.folder = folder
        self.host = host

    def path(self, port):
        return os.path.join(self.folder, '%s-%s.pid' % (self.host, port))

    def claim(self, pid, argv):
        if not os.path.isdir(self.folder):
            os.makedirs(self.folder)
        path = self.path(argv[argv.index('-p') + 1])
        partial = '%s.%d' % (path, os.getpid())
        with open(partial, 'w') as handle:
            json.dump(dict(pid=pid, argv=list(argv), started=time.time()), handle)
        os.replace(partial, path)
        return path

    @staticmethod
    def release(path):
        try:
            os.unlink(path)
        except OSError:
            pass

    def _recorded(self, port):
        try:
            with open(self.path(port)) as handle:
                recorded = json.load(handle)
            return int(recorded['pid']), [str(arg) for arg in recorded['argv']]
        except (OSError, ValueError, KeyError, TypeError):
            return None, None

    def is_ours(self, port):
        """Whether a server we started still runs on ``port``."""
        pid, argv = self._recorded(port)
        command = _cmdline(pid) if pid else None
        # The pid may have been reused since: only the recorded command is ours.
        return bool(command and argv and _ends_with(command, argv))

    def clear_stale(self, port, grace=2.0):
        """Stop the server an earlier run left on ``port``; return the pids stopped."""
        pid = self._recorded(port)[0]
        if pid is None:
            return []
        cleared = []
        if self.is_ours(port):
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(pid, sig)
                except OSError:
                    break
                deadline = time.time() + grace
                while time.time() < deadline and _cmdline(pid):
                    time.sleep(0.05)
                if not _cmdline(pid):
                    break
            cleared.append(pid)
        self.release(self.path(port))
        return cleared
