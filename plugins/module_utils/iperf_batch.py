# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run this host's sides of a task, wave after wave, in one detached job.

A task runs a batch of tests (``iperf_plan.batches``). The host goes through
its sides by itself: the sides of a wave at once, the waves in order. A side
waits for its peer as long as the peer's earlier tests of the batch may take,
so the two sides of a test meet without the controller in between, and no
task boundary costs time between tests.

Each side's result is written as soon as it ends: the controller's calls pick
the results up while the later sides still run. The controller may cancel a
side whose peer it knows is gone, so that it does not wait for it until its
deadline. The run's folder goes at the run's end (apetools.iperf.iperf_lease).

While its sides run and a controller follows it, the job renews the run's
lease on the host (a heartbeat), so that the lease can be short: a crashed
run's host is free soon after its controller went.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import select
import threading
import time

from ansible_collections.apetools.iperf.plugins.module_utils.iperf_detach import Job
from ansible_collections.apetools.iperf.plugins.module_utils._state_dir import DIR_MODE, read_json, write_json

POLL = 0.2
# A side that ended comes back with the first call that has lasted this long:
# soon enough for the controller to have it, not a call per short test.
REPORT_AFTER = 5.0


class Batch(object):
    """The job of one task on one host: ``<path>`` (pid, heartbeat), ``<path>.sides/<key>.json``, ``<path>.cancel``."""

    def __init__(self, path, follow_timeout):
        self.job = Job(path)
        self.sides_dir = path + '.sides'
        self.cancel_path = path + '.cancel'
        self.started_path = path + '.started'
        self.follow_timeout = follow_timeout

    def start(self, sides, lease=None):
        """Run the sides unless an earlier call of the same task already started them.

        ``sides`` are dicts with ``key``, ``wave``, ``starts_within`` (seconds
        after the batch starts) and ``runner`` (an ``iperf_runner.Side``).
        ``lease`` is ``(lease, run, ttl)``:
        the job renews the run's ``_lease.Lease`` while its sides run
        (``_heartbeat``).
        """
        if not self.job.claim():
            return False
        if not os.path.isdir(self.sides_dir):
            os.mkdir(self.sides_dir, DIR_MODE)
        write_json(self.started_path, dict(started=time.time()))
        self.job.start(lambda: self._run(sides, lease))
        return True

    def _run(self, sides, lease=None):
        if not lease:
            return self._run_sides(sides)
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(lease, stop))
        beat.daemon = True
        beat.start()
        try:
            return self._run_sides(sides)
        finally:
            stop.set()
            beat.join()

    def _heartbeat(self, lease, stop):
        """While the sides run: every ``min(10, ttl / 3)`` s, renew the lease to ``ttl`` seconds after a controller
        last followed the job; stop once none has for ``follow_timeout``. So a crashed run's host is free ``ttl``
        after its controller went, not when the plan would have ended. ``renew`` never takes a lease back."""
        holder, run, ttl = lease
        while not stop.wait(min(10.0, ttl / 3.0)):
            unfollowed = self.job.unfollowed_for()
            if unfollowed > self.follow_timeout:
                return
            self._renew(holder, run, ttl - unfollowed)

    @staticmethod
    def _renew(holder, run, seconds):
        try:
            holder.renew(run, seconds)
        except Exception:  # pylint: disable=broad-except
            pass  # the next call holds the lease again, or says why it cannot

    def _run_sides(self, sides):
        started = time.monotonic()
        # Before any peer can connect: a server that a killed job of this run
        # left on one of this batch's ports would take another test's client.
        for side in sides:
            side['runner'].clear_stale()
        for wave in sorted(set(side['wave'] for side in sides)):
            group = [side for side in sides if side['wave'] == wave]
            for side in group:
                side['runner'].wait_for_peer = max(0.0, started + side['starts_within'] - time.monotonic())
            # A host with iperf_host_concurrency runs several sides of a wave at once.
            threads = [threading.Thread(target=self._run_side, args=(side,)) for side in group[1:]]
            for thread in threads:
                thread.start()
            self._run_side(group[0])
            for thread in threads:
                thread.join()
        return dict(sides=len(sides))

    def _run_side(self, side):
        reason = self.stop_reason(side['key'])
        if reason:
            result = dict(error='it did not start, because %s' % reason)
        else:
            try:
                result = side['runner'].run()
            except Exception as exc:  # pylint: disable=broad-except
                result = dict(error='the side stopped on an internal error: %s: %s' % (type(exc).__name__, exc))
        write_json(self._side_path(side['key']), result)

    def stop_reason(self, key):
        """Why the side ``key`` must stop now, or None: nobody follows the task, or the controller cancelled it."""
        if self.job.unfollowed_for() > self.follow_timeout:
            return ('no controller followed the test for %d s (iperf_follow_timeout): it was stopped, '
                    'or lost this host' % self.follow_timeout)
        return self._cancelled().get(str(key))

    def cancel(self, reasons):
        """Stop the sides named in ``reasons`` (key -> why), or keep them from starting."""
        merged = self._cancelled()
        merged.update((str(key), reason) for key, reason in reasons.items())
        write_json(self.cancel_path, merged)

    def _cancelled(self):
        cancelled = read_json(self.cancel_path, {})
        return cancelled if isinstance(cancelled, dict) else {}

    def started_at(self):
        """When the call that started the job did, by this host's clock; None if it is not known."""
        started = (read_json(self.started_path) or {}).get('started')
        return float(started) if isinstance(started, (int, float)) else None

    def _side_path(self, key):
        return os.path.join(self.sides_dir, '%s.json' % key)

    def results(self, keys):
        """The result of every side of ``keys`` that has ended, by key."""
        found = {}
        for key in keys:
            result = read_json(self._side_path(key))
            if isinstance(result, dict):
                found[key] = result
        return found

    def wait(self, keys, seconds):
        """Wait until every side of ``keys`` ended, one of them failed, or ``seconds`` passed; or, after
        ``REPORT_AFTER`` seconds, until one of them ended.

        ``keys`` are the sides the controller does not have yet. Returns ``(results by key of those that
        ended, finished)``. Keeps the heartbeat while waiting.
        """
        called = time.time()
        deadline = called + seconds
        found = {}
        while True:
            # Each result is read once: a long test's result holds all its intervals.
            found.update(self.results([key for key in keys if key not in found]))
            if len(found) == len(keys):
                return found, True
            ended = self.job.poll()
            if ended is not None:
                # The job is gone: what it did not write, it will never write.
                found.update(self.results([key for key in keys if key not in found]))
                cause = ended.get('error') or 'the side\'s process ended without a result (it was killed)'
                return dict((key, found.get(key) or dict(error=cause)) for key in keys), True
            left = deadline - time.time()
            if left <= 0 or any(result.get('error') for result in found.values()) or (
                    found and time.time() - called >= REPORT_AFTER):
                return found, False
            pipe = self.job.done_pipe
            if pipe is None:
                time.sleep(min(POLL, left))
            elif select.select([pipe], [], [], min(POLL, left))[0] and not os.read(pipe, 1):
                os.close(pipe)
                self.job.done_pipe = None
