from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.apetools.iperf.plugins.module_utils.iperf_lock import HostBusy, Lease, take_now


class Clock(object):
    """A clock the test moves, so waiting costs no real time."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def lease(tmp_path, clock, host='tpc1'):
    return Lease(str(tmp_path), host, clock=clock, sleep=clock.sleep)


def test_take_and_give_back(tmp_path):
    clock = Clock()
    mine = lease(tmp_path, clock)
    assert mine.holder() is None
    assert mine.acquire('run-a', expires_in=60, timeout=10, controller='ctl') == 0
    owner = mine.holder()
    assert (owner['run'], owner['controller'], owner['expires']) == ('run-a', 'ctl', 1060.0)
    assert mine.acquire('run-a', 60, 10) == 0  # taking it again is a no-op
    assert not mine.release('run-b')
    assert mine.release('run-a')
    assert mine.holder() is None and os.listdir(str(tmp_path)) == []


def test_a_busy_host_times_out_naming_the_other_run(tmp_path):
    clock = Clock()
    lease(tmp_path, clock).acquire('run-a', 600, 10, controller='lab-ctl')
    with pytest.raises(HostBusy, match='host tpc2 is busy with run run-a from lab-ctl.*waited 5 s'):
        lease(tmp_path, clock, host='tpc2').acquire('run-b', 600, timeout=5)
    assert clock.now >= 1005


def test_a_run_waits_for_the_other_to_give_back(tmp_path):
    clock = Clock()
    first = lease(tmp_path, clock)
    first.acquire('run-a', 600, 10)

    def sleep(seconds):
        clock.sleep(seconds)
        if clock.now >= 1003:
            first.release('run-a')

    second = Lease(str(tmp_path), 'tpc1', clock=clock, sleep=sleep)
    assert 2 <= second.acquire('run-b', 600, timeout=10) <= 4
    assert second.holder()['run'] == 'run-b'


def test_an_expired_lease_is_broken(tmp_path):
    clock = Clock()
    lease(tmp_path, clock).acquire('crashed-run', expires_in=30, timeout=10)
    clock.now += 31
    assert lease(tmp_path, clock).acquire('run-b', 60, timeout=1) == 0
    assert lease(tmp_path, clock).holder()['run'] == 'run-b'


def test_the_lease_name_does_not_depend_on_the_inventory(tmp_path):
    clock = Clock()
    Lease(str(tmp_path), 'tpc', clock=clock, sleep=clock.sleep).acquire('run-a', 600, 1)
    with pytest.raises(HostBusy, match='host traffic-pc is busy with run run-a'):
        Lease(str(tmp_path), 'traffic-pc', clock=clock, sleep=clock.sleep).acquire('run-b', 600, 1)


def test_a_lease_being_written_is_waited_for_even_without_timeout(tmp_path):
    """Hosts sharing a file system take one lease at once: a sibling's half-written lease is not 'busy'."""
    clock = Clock()
    mine = lease(tmp_path, clock)
    os.makedirs(mine.path)
    sibling = Lease(str(tmp_path), 'node1', clock=clock, sleep=clock.sleep)

    def sibling_finishes(seconds):
        clock.sleep(seconds)
        with open(os.path.join(mine.path, 'owner.json'), 'w') as handle:
            handle.write('{"run": "run-a", "expires": 2000}')
    mine.sleep = sibling_finishes
    assert mine.acquire('run-a', 60, timeout=0) < 0.1
    with pytest.raises(HostBusy, match='host node1 is busy with run run-a'):
        sibling.acquire('run-b', 60, timeout=0)


def test_hold_takes_a_free_host_and_extends_its_own_lease(tmp_path):
    clock = Clock()
    mine = lease(tmp_path, clock)
    mine.hold('run-a', 60, controller='ctl')
    assert mine.holder()['expires'] == 1060.0
    clock.now += 50
    mine.hold('run-a', 600)
    assert (mine.holder()['run'], mine.holder()['expires']) == ('run-a', 1650.0)
    # Never shorter than it was.
    mine.hold('run-a', 10)
    assert mine.holder()['expires'] == 1650.0


def test_hold_fails_when_another_run_took_the_host_after_the_lease_expired(tmp_path):
    clock = Clock()
    mine, theirs = lease(tmp_path, clock), lease(tmp_path, clock)
    mine.hold('run-a', 60)
    clock.now += 61
    theirs.acquire('run-b', 600, 0, controller='ctl-b')
    with pytest.raises(HostBusy) as raised:
        mine.hold('run-a', 60)
    assert "host tpc1 is no longer this run's: its lease expired and run run-b from ctl-b" in str(raised.value)
    assert theirs.holder()['run'] == 'run-b'


def test_take_now_never_waits_and_says_who_holds_the_host(tmp_path):
    clock = Clock()
    first = take_now(lease(tmp_path, clock), 'run-a', 60, 600, controller='ctl-a')
    assert (first['busy'], first['waited_s'], first['holder'], first['taken']) == (False, 0, None, True)
    assert take_now(lease(tmp_path, clock), 'run-a', 60, 600)['taken'] is False, 'it was this run\'s already'
    assert first['message'] == 'host tpc1 is free for run run-a'
    second = take_now(lease(tmp_path, clock), 'run-b', 60, 300)
    assert second['busy'] and 'waited_s' not in second and second['holder']['run'] == 'run-a'
    assert second['message'].startswith('host tpc1 is busy with run run-a from ctl-a, until ')
    assert second['message'].endswith('; waiting up to 300 s')
    assert clock.now == 1000.0, 'it waited'


def test_hosts_that_share_a_lease_free_it_only_when_the_last_one_is_done(tmp_path):
    # Namespaces on one machine share the file system, so the lease too.
    clock = Clock()
    tpc, node = lease(tmp_path, clock, 'tpc1'), lease(tmp_path, clock, 'node1')
    assert take_now(tpc, 'run-a', 60, 600)['waited_s'] == 0
    assert take_now(node, 'run-a', 60, 600)['waited_s'] == 0
    assert node.release('run-a')
    assert tpc.holder()['run'] == 'run-a', 'node1 was done and freed tpc1 while it measured'
    assert take_now(lease(tmp_path, clock, 'node2'), 'run-b', 60, 600)['busy']
    assert tpc.release('run-a')
    assert tpc.holder() is None and os.listdir(str(tmp_path)) == []


def test_take_now_is_not_busy_when_a_host_of_the_same_run_is_halfway_through_taking_it(tmp_path):
    clock = Clock()
    mine = lease(tmp_path, clock, 'node1')
    os.makedirs(mine.path)  # tpc1 of the same run made the folder, and writes its owner file next
    real_sleep = clock.sleep

    def owner_written(seconds):
        real_sleep(seconds)
        if not os.path.exists(os.path.join(mine.path, 'owner.json')):
            lease(tmp_path, clock, 'tpc1')._write(dict(run='run-a', controller=None, taken=clock(), expires=clock() + 60))

    mine.sleep = owner_written
    taken = take_now(mine, 'run-a', 60, 600)
    assert not taken['busy'] and 'waited_s' in taken, taken
