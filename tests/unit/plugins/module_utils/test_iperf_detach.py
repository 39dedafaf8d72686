from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import time

from ansible_collections.apetools.iperf.plugins.module_utils.iperf_detach import Job
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_pids import identity


def _job(tmp_path):
    return Job(str(tmp_path / 'side.job'))


def _wait(job, seconds):
    """The job's result if it ends within ``seconds``, else None; polls as a module call does."""
    deadline = time.monotonic() + seconds
    while True:
        result = job.poll()
        if result is not None or time.monotonic() >= deadline:
            return result
        time.sleep(0.02)


def test_a_short_side_comes_back_in_one_wait(tmp_path):
    job = _job(tmp_path)
    assert job.claim()
    began = time.monotonic()
    job.start(lambda: dict(pid=os.getpid(), sid=os.getsid(0)))
    result = _wait(job, 10)
    assert time.monotonic() - began < 1.0
    assert result['pid'] != os.getpid() and result['sid'] != os.getsid(0), 'not in a session of its own'
    assert not _job(tmp_path).claim(), 'a second call must attach, not start again'


def test_a_second_caller_attaches_to_the_running_side(tmp_path):
    first = _job(tmp_path)
    assert first.claim()
    first.start(lambda: time.sleep(1.5) or dict(value=42))
    assert _wait(first, 0.3) is None  # still running: the caller returns and calls again
    again = _job(tmp_path)
    assert not again.claim()
    assert again.running()
    assert _wait(again, 10) == dict(value=42)


def test_the_heartbeat_tells_the_side_whether_anyone_follows(tmp_path):
    job = _job(tmp_path)
    assert job.claim()
    job.start(lambda: time.sleep(0.5) or {})
    _wait(job, 0.2)
    assert job.unfollowed_for() < 1.0
    old = time.time() - 300
    os.utime(job.path, (old, old))
    assert job.unfollowed_for() >= 299
    _wait(job, 10)
    os.unlink(job.path)
    assert job.unfollowed_for() == float('inf')  # the run's folder was removed: nobody follows


def test_a_side_that_raises_reports_it(tmp_path):
    job = _job(tmp_path)
    job.claim()
    job.start(lambda: 1 / 0)
    assert 'internal error: ZeroDivisionError' in _wait(job, 10)['error']


def test_a_side_killed_without_a_result_is_reported(tmp_path):
    job = _job(tmp_path)
    job.claim()
    job.start(lambda: os.kill(os.getpid(), 9))
    result = _wait(job, 10)
    assert 'ended without a result' in result['error']
    with open(job.path) as handle:
        assert json.load(handle)['pid'] > 0


def test_a_job_whose_side_never_started_is_not_waited_for_forever(tmp_path):
    job = _job(tmp_path)
    assert job.claim()  # claimed, then the module died before the fork
    assert job.running()
    assert job.poll() is None  # a call waits for it, and beats
    job.clock = lambda: time.time() + 60  # the claim is a minute old, however recent the beat
    assert not job.running()
    assert 'ended without a result' in _wait(job, 1)['error']


def test_a_zombie_or_a_reused_pid_is_not_the_side(tmp_path):
    job = _job(tmp_path)
    job.claim()
    child = os.fork()
    if not child:
        os._exit(0)
    try:
        time.sleep(0.3)  # not reaped yet: a zombie
        with open(job.path, 'w') as handle:
            json.dump(dict(pid=child), handle)
        assert not job.running()
    finally:
        os.waitpid(child, 0)
    mine = identity(os.getpid())
    with open(job.path, 'w') as handle:
        json.dump(dict(pid=os.getpid(), identity=mine), handle)
    assert job.running()
    with open(job.path, 'w') as handle:
        json.dump(dict(pid=os.getpid(), identity=dict(mine, start='1')), handle)  # our pid, but born at another time
    assert not job.running()
