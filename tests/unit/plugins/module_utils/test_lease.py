from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import stat
import subprocess
import sys
import threading
import time

import pytest

from ansible_collections.apetools.iperf.plugins.module_utils._lease import HostBusy, Lease, UnsafeStateDir, take_now


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


def record(tmp_path):
    with open(os.path.join(str(tmp_path), 'iperf.lock')) as handle:
        return json.load(handle)


# --- one run ----------------------------------------------------------------------------------------------


def test_take_and_give_back(tmp_path):
    clock = Clock()
    mine = lease(tmp_path, clock)
    assert mine.holder() is None
    assert mine.acquire('run-a', expires_in=60, timeout=10, controller='ctl') == 0
    owner = mine.holder()
    assert (owner['run'], owner['controller'], owner['expires'], owner['holders']) == ('run-a', 'ctl', 1060.0, dict(tpc1=1060.0))
    assert mine.acquire('run-a', 60, 10) == 0  # taking it again is a no-op
    assert not mine.release('run-b')
    assert mine.release('run-a')
    assert mine.holder() is None and os.listdir(str(tmp_path)) == []


def test_the_lease_is_one_private_regular_file_holding_the_owner_s_record(tmp_path):
    clock = Clock()
    lease(tmp_path, clock).acquire('run-a', 60, 0, controller='ctl')
    st = os.lstat(os.path.join(str(tmp_path), 'iperf.lock'))
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == os.geteuid()
    assert record(tmp_path) == dict(run='run-a', controller='ctl', taken=1000.0, expires=1060.0, holders=dict(tpc1=1060.0))
    assert os.listdir(str(tmp_path)) == ['iperf.lock'], 'no draft, no mark, no mutex left beside it'


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
    assert lease(tmp_path, clock).holder() is None, 'an expired lease is a free host'
    assert lease(tmp_path, clock).acquire('run-b', 60, timeout=1) == 0
    assert lease(tmp_path, clock).holder()['run'] == 'run-b'


def test_a_record_left_half_written_by_a_killed_writer_is_a_free_host(tmp_path):
    clock = Clock()
    with open(os.path.join(str(tmp_path), 'iperf.lock'), 'w') as handle:
        handle.write('{"run": "killed-mid-wri')
    os.chmod(os.path.join(str(tmp_path), 'iperf.lock'), 0o600)
    assert lease(tmp_path, clock).holder() is None
    assert take_now(lease(tmp_path, clock), 'run-b', 60, 600)['taken']
    assert record(tmp_path)['run'] == 'run-b'


def test_the_lease_name_does_not_depend_on_the_inventory(tmp_path):
    clock = Clock()
    Lease(str(tmp_path), 'tpc', clock=clock, sleep=clock.sleep).acquire('run-a', 600, 1)
    with pytest.raises(HostBusy, match='host traffic-pc is busy with run run-a'):
        Lease(str(tmp_path), 'traffic-pc', clock=clock, sleep=clock.sleep).acquire('run-b', 600, 1)


def test_hold_takes_a_free_host_and_sets_its_own_part(tmp_path):
    clock = Clock()
    mine = lease(tmp_path, clock)
    mine.hold('run-a', 60, controller='ctl')
    assert mine.holder()['expires'] == 1060.0
    clock.now += 50
    mine.hold('run-a', 600)
    assert (mine.holder()['run'], mine.holder()['expires']) == ('run-a', 1650.0)
    # The preflight's long first lease gives way to the short renewals of the test calls: a crash frees it soon.
    mine.hold('run-a', 80)
    assert mine.holder()['expires'] == 1130.0 and mine.holder()['controller'] == 'ctl'


def test_one_host_s_hold_never_cuts_short_another_host_s_part_of_a_shared_lease(tmp_path):
    clock = Clock()
    tpc, node = lease(tmp_path, clock, 'tpc1'), lease(tmp_path, clock, 'node1')
    tpc.hold('run-a', 80)
    node.hold('run-a', 900)  # node1 waits for its next batch
    tpc.hold('run-a', 80)
    assert record(tmp_path)['holders'] == dict(tpc1=1080.0, node1=1900.0) and tpc.holder()['expires'] == 1900.0
    assert tpc.release('run-a')
    assert record(tmp_path)['holders'] == dict(node1=1900.0) and tpc.holder()['expires'] == 1900.0


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


def test_renew_extends_only_a_lease_that_this_host_of_the_run_holds(tmp_path):
    clock = Clock()
    mine = lease(tmp_path, clock)
    assert not mine.renew('run-a', 60), 'a heartbeat never takes a free host'
    assert mine.holder() is None and os.listdir(str(tmp_path)) == []
    mine.hold('run-a', 60)
    clock.now += 30
    assert mine.renew('run-a', 60) and mine.holder()['expires'] == 1090.0
    assert mine.renew('run-a', 5) and mine.holder()['expires'] == 1090.0, 'never shorter'
    clock.now += 100
    assert not mine.renew('run-a', 60), 'expired: another run may take it any moment, a heartbeat does not revive it'
    clock.now -= 100
    assert not lease(tmp_path, clock, 'node1').renew('run-a', 600), 'node1 does not hold it'
    assert not mine.renew('run-b', 600)
    assert mine.holder()['expires'] == 1090.0
    mine.release('run-a')
    assert not mine.renew('run-a', 60), 'given back: a late heartbeat must not take it again'
    assert mine.holder() is None


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
    assert record(tmp_path)['holders'] == dict(tpc1=1060.0, node1=1060.0)
    assert node.release('run-a')
    assert tpc.holder()['run'] == 'run-a', 'node1 was done and freed tpc1 while it measured'
    assert record(tmp_path)['holders'] == dict(tpc1=1060.0)
    assert take_now(lease(tmp_path, clock, 'node2'), 'run-b', 60, 600)['busy']
    assert not node.renew('run-a', 600), 'node1 gave its part back'
    assert tpc.release('run-a')
    assert tpc.holder() is None and os.listdir(str(tmp_path)) == []


# --- the folder and the file are ours ----------------------------------------------------------------------


def test_a_lock_dir_that_is_a_symbolic_link_is_refused_with_its_path(tmp_path):
    """A link another user made (and so can change) is never followed."""
    real = tmp_path / 'real'
    real.mkdir(mode=0o700)
    os.symlink(str(real), str(tmp_path / 'locks'))
    os.lchown(str(tmp_path / 'locks'), 1001, 1001)
    mine = Lease(str(tmp_path / 'locks'), 'tpc1')
    for attempt in (lambda: mine.acquire('run-a', 60, 0), mine.holder, lambda: mine.release('run-a')):
        with pytest.raises(UnsafeStateDir) as raised:
            attempt()
        assert '%s is a symbolic link' % (tmp_path / 'locks') in str(raised.value)
        assert 'host tpc1' in str(raised.value)
    assert os.listdir(str(real)) == [], 'nothing was written through the link'


def test_a_lock_dir_of_another_user_is_refused_with_its_path(tmp_path):
    if os.geteuid() != 0:
        pytest.skip('needs root, to give the folder to another user')
    theirs = tmp_path / 'locks'
    theirs.mkdir(mode=0o700)
    os.chown(str(theirs), 1001, 1001)
    with pytest.raises(UnsafeStateDir) as raised:
        Lease(str(theirs), 'tpc1').acquire('run-a', 60, 0)
    assert '%s is owned by uid 1001' % theirs in str(raised.value)
    assert os.listdir(str(theirs)) == []


def test_a_lock_dir_that_others_can_write_is_refused(tmp_path):
    shared = tmp_path / 'locks'
    shared.mkdir()
    os.chmod(str(shared), 0o777)
    with pytest.raises(UnsafeStateDir, match='%s is writable by group and others' % shared):
        Lease(str(shared), 'tpc1').hold('run-a', 60)


def test_a_lease_file_that_is_a_link_is_never_followed(tmp_path):
    victim = tmp_path / 'victim'
    victim.write_text('precious')
    locks = tmp_path / 'locks'
    locks.mkdir(mode=0o700)
    os.symlink(str(victim), str(locks / 'iperf.lock'))
    with pytest.raises(UnsafeStateDir, match='iperf.lock of host tpc1 is a symbolic link, which is never followed'):
        Lease(str(locks), 'tpc1').acquire('run-a', 60, 0)
    os.unlink(str(locks / 'iperf.lock'))
    os.link(str(victim), str(locks / 'iperf.lock'))
    with pytest.raises(UnsafeStateDir, match='2 links'):
        Lease(str(locks), 'tpc1').acquire('run-a', 60, 0)
    assert victim.read_text() == 'precious'
    os.unlink(str(locks / 'iperf.lock'))
    os.mkfifo(str(locks / 'iperf.lock'), 0o600)
    with pytest.raises(UnsafeStateDir, match='not a regular file'):
        Lease(str(locks), 'tpc1').holder()


def test_a_lease_folder_of_an_earlier_release_is_named(tmp_path):
    os.makedirs(str(tmp_path / 'iperf.lock'))
    with pytest.raises(UnsafeStateDir, match='is a folder: the lease of an earlier release'):
        Lease(str(tmp_path), 'tpc1').acquire('run-a', 60, 0)


def test_a_missing_lock_dir_is_made_private(tmp_path):
    Lease(str(tmp_path / 'state' / 'locks'), 'tpc1').acquire('run-a', 60, 0)
    assert stat.S_IMODE(os.lstat(str(tmp_path / 'state' / 'locks')).st_mode) == 0o700


# --- two runs at once: the second acts between the first's read and write ---------------------------------


def _blocked_on_lock(path):
    """Whether someone waits for a flock on ``path``, from /proc/locks ("->" marks a waiter)."""
    inode = ':%d' % os.stat(path).st_ino
    with open('/proc/locks') as handle:
        return any('->' in fields and any(field.endswith(inode) for field in fields)
                   for fields in (line.split() for line in handle))


class Second(object):
    """The other run, in a thread: started from inside the first run's update, it acts right there."""

    def __init__(self, act):
        self.result, self.error = None, None
        self.thread = threading.Thread(target=self._run, args=(act,))

    def _run(self, act):
        try:
            self.result = act()
        except Exception as exc:  # pylint: disable=broad-except
            self.error = exc

    def start_and_wait_until_blocked(self, path):
        """Start it, and come back once it waits for the lock (or, were there no lock, has finished)."""
        self.thread.start()
        deadline = time.time() + 20
        while self.thread.is_alive() and not _blocked_on_lock(path) and time.time() < deadline:
            time.sleep(0.005)
        return not self.thread.is_alive()

    def join(self):
        self.thread.join(20)
        assert not self.thread.is_alive()
        return self


def _interleave(first, step, act):
    """Make ``act`` (the second run) happen when ``first`` is at ``step``, between its read and its write."""
    second = Second(act)
    seen = []

    def between(at, _record):
        if at == step and not seen:
            seen.append(second.start_and_wait_until_blocked(first.path))
    first._between = between
    return second, seen


def test_two_runs_taking_a_free_host_at_once_one_wins(tmp_path):
    clock = Clock()
    first = lease(tmp_path, clock)
    second, finished_first = _interleave(first, 'take', lambda: take_now(lease(tmp_path, clock), 'run-b', 60, 600))
    assert take_now(first, 'run-a', 60, 600)['taken']
    second.join()
    assert finished_first == [False], 'the second run did not wait for the first one\'s update'
    assert second.result['busy'] and second.result['holder']['run'] == 'run-a'
    assert record(tmp_path)['run'] == 'run-a'


def test_two_runs_breaking_an_expired_lease_at_once_one_wins(tmp_path):
    clock = Clock()
    lease(tmp_path, clock).acquire('crashed-run', 30, 0)
    clock.now += 31
    first = lease(tmp_path, clock)
    second, finished_first = _interleave(first, 'break', lambda: lease(tmp_path, clock, 'node1').hold('run-b', 60))
    first.hold('run-a', 60)
    second.join()
    assert finished_first == [False]
    assert isinstance(second.error, HostBusy) and 'run run-a' in str(second.error), second.error
    assert record(tmp_path)['run'] == 'run-a' and list(record(tmp_path)['holders']) == ['tpc1']


def test_a_take_that_waited_on_a_lease_being_given_back_takes_the_new_one(tmp_path):
    # The first run removes the file while the second waits for its lock: the second must not take the old one.
    clock = Clock()
    first = lease(tmp_path, clock)
    first.acquire('run-a', 60, 0)
    second, finished_first = _interleave(first, 'release', lambda: take_now(lease(tmp_path, clock), 'run-b', 60, 600))
    assert first.release('run-a')
    second.join()
    assert finished_first == [False]
    assert second.result['taken'], second.result
    assert record(tmp_path)['run'] == 'run-b'
    assert lease(tmp_path, clock).holder()['run'] == 'run-b'


def test_a_release_by_a_run_that_no_longer_holds_the_host_changes_nothing(tmp_path):
    clock = Clock()
    mine = lease(tmp_path, clock)
    mine.acquire('run-a', 30, 0)
    clock.now += 31
    # Run a's lease expired (its controller slept), and run b took the host.
    lease(tmp_path, clock).acquire('run-b', 600, 0)
    before = record(tmp_path)
    assert not mine.release('run-a')
    assert record(tmp_path) == before, 'run a gave back what run b holds'


def test_a_heartbeat_between_a_release_s_read_and_write_does_not_take_the_host_back(tmp_path):
    clock = Clock()
    mine = lease(tmp_path, clock)
    mine.hold('run-a', 60)
    second, finished_first = _interleave(mine, 'release', lambda: lease(tmp_path, clock).renew('run-a', 600))
    assert mine.release('run-a')
    second.join()
    assert finished_first == [False] and second.result is False
    assert mine.holder() is None and os.listdir(str(tmp_path)) == []


SECOND_PROCESS = """
import sys
from ansible_collections.apetools.iperf.plugins.module_utils._lease import Lease, take_now
found = take_now(Lease(sys.argv[1], 'node1', clock=lambda: 1000.0), 'run-b', 60, 600)
print('busy' if found['busy'] else 'taken')
"""


def test_two_runs_in_two_processes_one_holds_the_host(tmp_path):
    """The real case: two module processes, one lock file, the second started inside the first's update."""
    clock = Clock()
    first = lease(tmp_path, clock)
    seen = []

    def between(_step, _record):
        # A new program, as a second run's module is: the lock's descriptor is close-on-exec.
        process = subprocess.Popen([sys.executable, '-c', SECOND_PROCESS, str(tmp_path)], stdout=subprocess.PIPE,
                                   env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
        deadline = time.time() + 30
        while process.poll() is None and not _blocked_on_lock(first.path) and time.time() < deadline:
            time.sleep(0.005)
        seen.append((process, _blocked_on_lock(first.path)))
    first._between = between
    assert take_now(first, 'run-a', 60, 600)['taken']
    process, blocked = seen[0]
    answer = process.communicate(timeout=30)[0].decode().strip()
    assert blocked, 'the second process did not wait for the first one\'s update: %s' % answer
    assert answer == 'busy', 'the second process took the host too'
    assert record(tmp_path)['run'] == 'run-a'
