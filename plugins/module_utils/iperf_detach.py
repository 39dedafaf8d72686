# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one side of a test apart from the SSH session that started it.

A test may outlast any SSH connection (hours, days). So the side runs in a
process of its own session, and the module that started it only waits for
its result. When the connection is lost, the controller runs the module
again with the same arguments: it finds the job and waits for it, instead of
starting a second side.

The job file's modification time is a heartbeat, renewed while a module
waits. When no controller has waited for ``follow_timeout`` seconds (it was
stopped, or lost for good), the side stops its iperf: a lost controller
never leaves iperf running for days.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import select
import time

BEAT = 1.0
RESULT_POLL = 0.2
# A job file still without the side's pid after this long: the side never started.
START_GRACE = 30.0


class Job(object):
    """The job of one side of one test: ``<path>`` (pid, heartbeat) and ``<path>.result``."""

    def __init__(self, path, clock=time.time):
        self.path = path
        self.result_path = path + '.result'
        self.clock = clock
        self._done = None

    def claim(self):
        """True if this call created the job and must start it; False if it exists."""
        try:
            handle = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except OSError as exc:
            if os.path.exists(self.path):
                return False
            raise exc
        os.close(handle)
        return True

    def start(self, work):
        """Run ``work()`` in a detached process that stores what it returns."""
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid:
            os.close(write_end)
            os.waitpid(pid, 0)
            # The pipe closes when the side's process ends: no polling for a short test.
            self._done = read_end
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
        finally:
            os._exit(0)

    def result(self):
        try:
            with open(self.result_path) as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return None

    def wait(self, seconds):
        """The side's result if it ends within ``seconds``, else None. Keeps the heartbeat."""
        return wait_all([self], seconds)[self.path]

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
            born = os.stat(self.path).st_ctime
        except (OSError, IOError):
            return False
        try:
            job = json.loads(text)
            pid = int(job['pid'])
        except (ValueError, KeyError, TypeError):
            # Claimed, pid not written yet: only for a moment, unless the side never started.
            return self.clock() - born < START_GRACE
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


def wait_all(jobs, seconds):
    """Wait up to ``seconds`` for every job; return each job's result (None if still running) by its path.

    While waiting, every running job's heartbeat is renewed; a job that this
    process started wakes the wait the moment it ends.
    """
    deadline = time.time() + seconds
    results = {}
    while True:
        for job in jobs:
            if results.get(job.path) is None:
                results[job.path] = job.poll()
        running = [job for job in jobs if results[job.path] is None]
        left = deadline - time.time()
        if not running or left <= 0:
            return results
        pipes = [job._done for job in running if job._done is not None]  # pylint: disable=protected-access
        if not pipes:
            time.sleep(min(RESULT_POLL, left))
            continue
        for ready in select.select(pipes, [], [], min(BEAT, left))[0]:
            if not os.read(ready, 1):
                os.close(ready)
                for job in running:
                    if job._done == ready:  # pylint: disable=protected-access
                        job._done = None  # pylint: disable=protected-access


def _process_start(pid):
    """The process's start time in clock ticks since boot ('zombie' for a zombie), or None without /proc."""
    try:
        with open('/proc/%d/stat' % pid) as handle:
            fields = handle.read().rsplit(')', 1)[1].split()
    except (OSError, IOError, IndexError):
        return None
    return 'zombie' if fields[0] == 'Z' else fields[19]


def write_json(path, data):
    partial = '%s.partial.%d' % (path, os.getpid())
    with open(partial, 'w') as handle:
        json.dump(data, handle)
    os.replace(partial, path)
