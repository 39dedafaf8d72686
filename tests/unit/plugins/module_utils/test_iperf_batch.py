from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import time

from ansible_collections.apetools.iperf.plugins.module_utils import iperf_batch
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_batch import Batch


class FakeSide(object):
    """Stands in for iperf_runner.Side in the detached job: logs when it ran (the
    log is a file, since the job is another process); no iperf is involved here,
    only the order the batch keeps."""

    def __init__(self, log, name, seconds=0.0, error=None, batch=None, key=None):
        self.log, self.name, self.seconds, self.error = log, name, seconds, error
        self.batch, self.key = batch, key
        self.wait_for_peer = None
        self.cleared_before = False

    def clear_stale(self):
        self.cleared_before = True

    def run(self):
        began = time.time()
        while time.time() - began < self.seconds:
            # As the real side does: stop when the batch says so.
            reason = self.batch and self.batch.stop_reason(self.key)
            if reason:
                self.error = 'iperf was stopped because %s' % reason
                break
            time.sleep(0.02)
        with open(self.log, 'a') as handle:
            handle.write(json.dumps(dict(name=self.name, began=began, ended=time.time(),
                                         wait_for_peer=self.wait_for_peer, cleared=self.cleared_before)) + '\n')
        return dict(name=self.name, error=self.error)


def _log(tmp_path):
    path = tmp_path / 'log'
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def _batch(tmp_path, follow_timeout=60):
    return Batch(str(tmp_path / 'batch.x.job'), follow_timeout)


def test_waves_run_in_order_and_the_sides_of_a_wave_at_once(tmp_path):
    batch, log = _batch(tmp_path), str(tmp_path / 'log')
    sides = [dict(key='1', wave=1, starts_within=0, runner=FakeSide(log, 'a', 0.3)),
             dict(key='3', wave=1, starts_within=0, runner=FakeSide(log, 'b', 0.3)),
             dict(key='2', wave=2, starts_within=40, runner=FakeSide(log, 'c'))]
    assert batch.start(sides)
    results, finished = batch.wait(['1', '3', '2'], 10)
    assert finished and sorted(result['name'] for result in results.values()) == ['a', 'b', 'c']
    ran = dict((entry['name'], entry) for entry in _log(tmp_path))
    assert ran['a']['began'] < ran['b']['ended'] and ran['b']['began'] < ran['a']['ended'], 'a wave runs at once'
    assert ran['c']['began'] >= max(ran['a']['ended'], ran['b']['ended']), 'the next wave waits for this one'
    # A side waits for its peer as long as the peer's earlier tests may take: 40 s after the start.
    assert ran['a']['wait_for_peer'] == 0 and 39 < ran['c']['wait_for_peer'] <= 40
    # Stale servers of every port of the batch go before the first side starts.
    assert ran['a']['cleared'] and ran['c']['cleared']
    assert not _batch(tmp_path).start(sides), 'a second call attaches to the job, it does not start it again'


def test_a_call_returns_early_when_a_side_fails_and_skips_what_was_reported(tmp_path):
    batch, log = _batch(tmp_path), str(tmp_path / 'log')
    sides = [dict(key='1', wave=1, starts_within=0, runner=FakeSide(log, 'a', error='refused')),
             dict(key='2', wave=2, starts_within=0, runner=FakeSide(log, 'b', 3.0))]
    batch.start(sides)
    began = time.monotonic()
    results, finished = batch.wait(['1', '2'], 10)
    assert not finished and list(results) == ['1'] and time.monotonic() - began < 2
    # Reported, the failed side is no longer asked for, and no longer cuts a call short.
    results, finished = batch.wait(['2'], 10)
    assert finished and sorted(results) == ['2']


def test_a_side_that_ended_comes_back_once_a_call_has_lasted_report_after(tmp_path, monkeypatch):
    monkeypatch.setattr(iperf_batch, 'REPORT_AFTER', 0.5)
    batch, log = _batch(tmp_path), str(tmp_path / 'log')
    batch.start([dict(key='1', wave=1, starts_within=0, runner=FakeSide(log, 'a', 0.1)),
                 dict(key='2', wave=2, starts_within=0, runner=FakeSide(log, 'b', 5.0, batch=batch, key='2'))])
    began = time.monotonic()
    results, finished = batch.wait(['1', '2'], 10)
    assert not finished and list(results) == ['1'] and 0.5 <= time.monotonic() - began < 2
    # Stop the long side so the test ends: the controller cancels it.
    batch.cancel({'2': 'this run lost its peer node1'})
    results, finished = batch.wait(['2'], 10)
    assert finished and results['2']['error'] == 'iperf was stopped because this run lost its peer node1'


def test_a_cancelled_side_does_not_start(tmp_path):
    batch, log = _batch(tmp_path), str(tmp_path / 'log')
    first = FakeSide(log, 'a', 10.0, batch=batch, key='1')
    sides = [dict(key='1', wave=1, starts_within=0, runner=first),
             dict(key='2', wave=2, starts_within=0, runner=FakeSide(log, 'b'))]
    batch.cancel({'2': 'its peer failed: no route'})
    batch.start(sides)
    time.sleep(0.3)
    batch.cancel({'1': 'this run lost its peer tpc1'})
    results, finished = batch.wait(['1', '2'], 10)
    assert finished
    assert results['1']['error'] == 'iperf was stopped because this run lost its peer tpc1'
    assert results['2'] == dict(error='it did not start, because its peer failed: no route')
    assert [entry['name'] for entry in _log(tmp_path)] == ['a']


def test_nobody_following_stops_the_sides(tmp_path):
    batch, log = _batch(tmp_path, follow_timeout=1), str(tmp_path / 'log')
    batch.start([dict(key='1', wave=1, starts_within=0, runner=FakeSide(log, 'a', 30.0, batch=batch, key='1')),
                 dict(key='2', wave=2, starts_within=0, runner=FakeSide(log, 'b'))])
    time.sleep(0.2)
    batch.job.done_pipe = None  # a later call of the task: no pipe from the job, only files
    os.utime(batch.job.path, (time.time() - 5, time.time() - 5))  # nobody beat for 5 s
    deadline = time.time() + 10
    while len(batch.results(['1', '2'])) < 2 and time.time() < deadline:
        time.sleep(0.1)
    results = batch.results(['1', '2'])
    assert 'no controller followed the test for 1 s' in results['1']['error']
    assert results['2']['error'].startswith('it did not start, because no controller followed')


def test_a_killed_job_is_reported_for_every_side_it_left(tmp_path):
    batch, log = _batch(tmp_path), str(tmp_path / 'log')
    batch.start([dict(key='1', wave=1, starts_within=0, runner=FakeSide(log, 'a', 30.0))])
    time.sleep(0.3)
    with open(batch.job.path) as handle:
        os.kill(json.load(handle)['pid'], 9)
    results, finished = batch.wait(['1'], 10)
    assert finished and 'ended without a result (it was killed)' in results['1']['error']


# --- the lease's heartbeat ------------------------------------------------------------------------------------


def _lease(tmp_path, host='tpc1'):
    from ansible_collections.apetools.iperf.plugins.module_utils._lease import Lease
    return Lease(str(tmp_path / 'locks'), host)


def _wait_for(condition, seconds=10):
    deadline = time.time() + seconds
    while not condition() and time.time() < deadline:
        time.sleep(0.05)
    return condition()


def test_the_job_says_when_it_started(tmp_path):
    batch, log = _batch(tmp_path), str(tmp_path / 'log')
    assert batch.started_at() is None
    before = time.time()
    batch.start([dict(key='1', wave=1, starts_within=0, runner=FakeSide(log, 'a'))])
    assert before <= batch.started_at() <= time.time()
    assert _batch(tmp_path).started_at() == batch.started_at(), 'a later call of the task reads the same'


def _follow(batch, keys, until):
    """A controller that follows the job, as the module's calls do, until its sides end."""
    deadline = time.time() + until
    while time.time() < deadline:
        results, finished = batch.wait(keys, 0.5)
        if finished:
            return results
    raise AssertionError('the sides did not end')


def test_the_job_renews_the_lease_while_its_sides_run_and_a_controller_follows(tmp_path):
    lease, ttl = _lease(tmp_path), 0.9  # a beat every 0.3 s
    lease.hold('run-a', ttl)
    taken = lease.holder()['expires']
    batch, log = _batch(tmp_path), str(tmp_path / 'log')
    batch.start([dict(key='1', wave=1, starts_within=0, runner=FakeSide(log, 'a', 2.0))],
                lease=(lease, 'run-a', ttl))
    _follow(batch, ['1'], 30)
    ran = _log(tmp_path)[0]
    # Renewed while the side ran: the lease now ends well after the first one would have.
    assert lease.holder()['expires'] > max(taken, ran['began'] + ttl) + 0.3, (taken, lease.holder(), ran)
    assert lease.holder()['expires'] <= time.time() + ttl


def test_the_heartbeat_stops_once_nobody_follows_so_the_lease_ends_a_ttl_after_the_last_follow(tmp_path):
    lease, ttl = _lease(tmp_path), 0.9
    lease.hold('run-a', ttl)
    batch, log = _batch(tmp_path, follow_timeout=1), str(tmp_path / 'log')
    # The side runs on for 3 s (it ignores the batch): only the heartbeat can keep the lease.
    batch.start([dict(key='1', wave=1, starts_within=0, runner=FakeSide(log, 'a', 3.0))],
                lease=(lease, 'run-a', ttl))
    followed = os.lstat(batch.job.path).st_mtime  # the job's start; nobody calls after it
    assert _wait_for(lambda: batch.results(['1']), 30)
    time.sleep(0.3)  # and the job's end
    # Each beat renewed it to ttl after the last follow, never past it.
    record = lease.holder() or {}
    assert record.get('expires', 0) <= followed + ttl + 0.05, (record, followed)


def test_the_heartbeat_never_takes_back_a_lease_given_back_while_the_sides_run(tmp_path):
    lease, ttl = _lease(tmp_path), 0.6
    lease.hold('run-a', ttl)
    batch, log = _batch(tmp_path), str(tmp_path / 'log')
    batch.start([dict(key='1', wave=1, starts_within=0, runner=FakeSide(log, 'a', 1.5))],
                lease=(lease, 'run-a', ttl))
    time.sleep(0.3)
    assert lease.release('run-a')
    _follow(batch, ['1'], 30)
    time.sleep(0.3)
    assert lease.holder() is None and not os.path.exists(lease.path)
