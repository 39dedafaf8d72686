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

from ansible_collections.apetools.iperf.plugins.module_utils.iperf_records import write_json

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
        write_json(draft, dict(claimed=self.clock()))
        try:
            os.link(draft, self.path)
        except OSError as exc:
            if os.path.exists(self.path):
                return False
            raise exc
        finally:
            os.unlink(draft)
        return True

    def start(self, work, then=None):
        """Run ``work()`` in a detached process that stores what it returns, then runs ``then()``."""
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
            write_json(self.path, dict(pid=os.getpid(), started=_process_start(os.getpid())))
            try:
                result = work()
            except Exception as exc:  # pylint: disable=broad-except
                result = dict(error='the side stopped on an internal error: %s: %s' % (type(exc).__name__, exc))
            write_json(self.result_path, result)
            if then:
                then()
        finally:
            os._exit(0)

    def result(self):
        try:
            with open(self.result_path) as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return None

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
        """Whether the side's process is alive: not gone, not a zombie, not a new process with its pid."""
        try:
            with open(self.path) as handle:
                text = handle.read()
        except (OSError, IOError):
            return False
        try:
            job = json.loads(text)
            pid = int(job['pid'])
        except (ValueError, KeyError, TypeError):
            # Claimed, pid not written yet: only for a moment, unless the side never started.
            try:
                return self.clock() - float(json.loads(text)['claimed']) < START_GRACE
            except (ValueError, KeyError, TypeError):
                return False
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        started = _process_start(pid)
        return started != 'zombie' and (job.get('started') is None or started in (None, job['started']))

    def beat(self):
        try:
            os.utime(self.path, None)
        except OSError:
            pass

    def unfollowed_for(self):
        """Seconds since a controller last waited for this job; infinite when the job is gone."""
        try:
            return self.clock() - os.stat(self.path).st_mtime
        except OSError:
            return float('inf')


def _process_start(pid):
    """The process's start time in clock ticks since boot ('zombie' for a zombie), or None without /proc."""
    try:
        with open('/proc/%d/stat' % pid) as handle:
            fields = handle.read().rsplit(')', 1)[1].split()
    except (OSError, IOError, IndexError):
        return None
    return 'zombie' if fields[0] == 'Z' else fields[19]
