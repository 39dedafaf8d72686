# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a host's work for a task apart from the SSH session that started it.

A test may outlast any SSH connection (hours, days). So the work (the host's
sides of a batch, see iperf_batch) runs in a process of its own session, and
the module that started it only waits for its results. When the connection
is lost, the controller runs the module again with the same arguments: it
finds the job and waits for it, instead of starting a second one.

The job file's modification time is a heartbeat, renewed while a module
waits. When no controller has waited for ``follow_timeout`` seconds (it was
stopped, or lost for good), the side stops its iperf: a lost controller
never leaves iperf running for days.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import time

from ansible_collections.apetools.iperf.plugins.module_utils import _state_dir
from ansible_collections.apetools.iperf.plugins.module_utils._state_dir import read_json, write_json
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_pids import identity

# A job file still without the side's pid after this long: the side never started.
START_GRACE = 30.0


class Job(object):
    """A detached job: ``<path>`` (pid, heartbeat) and ``<path>.result``."""

    def __init__(self, path, clock=time.time):
        self.path = path
        self.result_path = path + '.result'
        self.clock = clock
        self.done_pipe = None

    def claim(self):
        """True if this call created the job and must start it; False if it exists."""
        # The claim's time goes inside, since the file's own times move with every
        # heartbeat; and the file appears whole (a link), never empty.
        draft = '%s.claim.%d' % (self.path, os.getpid())
        try:
            os.unlink(draft)  # a draft that a killed call of the same pid left
        except OSError:
            pass
        with _state_dir.create(draft) as handle:
            json.dump(dict(claimed=self.clock()), handle)
        try:
            os.link(draft, self.path)
        except OSError as exc:
            if os.path.exists(self.path):
                return False
            raise exc
        finally:
            os.unlink(draft)
        return True

    def start(self, work):
        """Run ``work()`` in a detached process that stores what it returns."""
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid:
            os.close(write_end)
            os.waitpid(pid, 0)
            # The pipe closes when the side's process ends: no polling for a short test.
            self.done_pipe = read_end
            return
        try:
            os.close(read_end)
            os.setsid()
            if os.fork():
                os._exit(0)
            null = os.open(os.devnull, os.O_RDWR)
            for stream in (0, 1, 2):
                os.dup2(null, stream)
            os.close(null)
            write_json(self.path, dict(pid=os.getpid(), identity=identity(os.getpid())))
            try:
                result = work()
            except Exception as exc:  # pylint: disable=broad-except
                result = dict(error='the side stopped on an internal error: %s: %s' % (type(exc).__name__, exc))
            write_json(self.result_path, result)
        finally:
            os._exit(0)

    def result(self):
        return read_json(self.result_path)

    def poll(self):
        """The result now, or None while the side runs; renews the heartbeat."""
        result = self.result()
        if result is None and not self.running():
            # Check once more: it may have ended between the two looks.
            result = self.result() or dict(error='the side\'s process ended without a result (it was killed)')
        if result is None:
            self.beat()
        return result

    def running(self):
        """Whether the side's process is alive: the very process recorded (not gone, not a zombie, not a
        new process with its pid)."""
        job = read_json(self.path)
        if not isinstance(job, dict):
            return False
        if 'pid' not in job:
            # Claimed, pid not written yet: only for a moment, unless the side never started.
            try:
                return self.clock() - float(job['claimed']) < START_GRACE
            except (KeyError, TypeError, ValueError):
                return False
        try:
            pid = int(job['pid'])
        except (TypeError, ValueError):
            return False
        if job.get('identity') is None and not os.path.isdir('/proc/self'):
            # A host without /proc: the pid alone is all there is to go by.
            try:
                os.kill(pid, 0)
            except OSError:
                return False
            return True
        recorded = job.get('identity')
        return recorded is not None and identity(pid) == recorded

    def beat(self):
        try:
            os.utime(self.path, None, follow_symlinks=False)
        except OSError:
            pass

    def unfollowed_for(self):
        """Seconds since a controller last waited for this job; infinite when the job is gone."""
        try:
            return self.clock() - os.lstat(self.path).st_mtime
        except OSError:
            return float('inf')
