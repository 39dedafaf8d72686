"""Fault injection on the namespace lab: real playbook runs over SSH, real
iperf, real kills, nftables and sshd stops.

Two labs: ``ft1`` for faults that leave the hosts intact (busy ports, leases,
reruns, interrupts), and ``ft2`` for faults that break a host (sshd stopped,
processes killed, test network blackholed), rebuilt before each such test.

Every test uses its own ``iperf_remote_dir`` (pid files, leases, raw files on
the hosts): the lab's hosts share /var/tmp with each other and with other
labs, and a test that interrupts a run leaves that run's leases behind until
they expire, which must not hold up the next test.

FT_REPORT_FILE=path appends one JSON line per fault (run time, test times, the
recorded error, iperf processes left) for a report.
"""
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import time

import pytest

import faults as F
from conftest import lab_builder

# --- fixtures ------------------------------------------------------------------------


def _teardown_lab(info):
    for ns in F.namespaces(info).values():
        F.remove_blackhole(ns)
    F.kill_iperf_left(info)
    lab_builder.down(info['name'])


@pytest.fixture(scope='module')
def ftlab():
    """Two nodes and a TPC; the tests here leave them intact."""
    info = F.build_lab('ft1', nodes=2)
    try:
        yield info
    finally:
        _teardown_lab(info)


@pytest.fixture(scope='module')
def _breakable():
    info = F.build_lab('ft2', nodes=2)
    try:
        yield info
    finally:
        _teardown_lab(info)


@pytest.fixture
def breakable(_breakable):
    """Two nodes and a TPC that this test may break; repaired before and after."""
    info = F.repair_lab(_breakable)
    assert not any(F.iperf_left(info).values())
    yield info
    for ns in F.namespaces(info).values():
        F.remove_blackhole(ns)
    F.kill_iperf_left(info)
    F.repair_lab(info)
    assert lab_builder.status(info['name']), 'lab %s not repaired' % info['name']


@pytest.fixture
def remote_dir(request):
    """This test's own iperf_remote_dir on the hosts (pid files, leases, raw files)."""
    path = '/var/tmp/apetools-iperf-ft-%s' % hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:10]
    shutil.rmtree(path, ignore_errors=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def playbooks():
    """Runs started by the test; any still running at the end is killed."""
    started = []
    yield started
    for run in started:
        if run.running():
            run.kill()
        run.cleanup()


def start(playbooks, inventory, output_dir, *args, **kwargs):
    run = F.Playbook(inventory, output_dir, *args, **kwargs)
    playbooks.append(run)
    return run


def run_to_end(playbooks, inventory, output_dir, *args, **kwargs):
    return start(playbooks, inventory, output_dir, *args, **kwargs).wait()


# --- what every fault test checks -------------------------------------------------------------

REPORT = os.environ.get('FT_REPORT_FILE')


def report(fault, run, error, left_at_end, left_after):
    """One row of the fault table, when FT_REPORT_FILE names a file."""
    spans = F.test_task_spans(run.events) if run else {}
    row = dict(fault=fault, run_s=round(run.wall_s, 1) if run else None,
               test_s=dict((index, round(span[1], 1)) for index, span in spans.items()),
               error=error, iperf_left_at_end=left_at_end, iperf_left_after_grace=left_after,
               rc=run.rc if run else None)
    if REPORT:
        with open(REPORT, 'a') as handle:
            handle.write(json.dumps(row) + '\n')
    return row


def by_index(records):
    return dict((record['index'], record) for record in records)


def check_failed(record, *patterns):
    """The test is recorded as failed, and its error matches every pattern."""
    assert record['succeeded'] is False, record
    assert record['error'], record
    for pattern in patterns:
        assert re.search(pattern, record['error'], re.IGNORECASE | re.DOTALL), (
            'test %s error %r does not match %r' % (record['index'], record['error'], pattern))


def check_succeeded(record):
    assert record['succeeded'] is True, record
    assert record['error'] is None, record
    assert record['throughput_bps'] and record['throughput_bps'] > 0, record
    assert len(record['files']) == 2, record


def check_deadlines(run, tests, faulty=()):
    """The run ends within the sum of its tests' bounds, and each faulty test within one bound."""
    spans = F.test_task_spans(run.events)
    for index in faulty:
        name, seconds = spans[index]
        assert seconds <= F.TEST_BOUND, '%s took %.1f s, more than its bound of %d s' % (name, seconds, F.TEST_BOUND)
    bound = F.RUN_OVERHEAD + tests * F.TEST_BOUND
    assert run.wall_s <= bound, 'the run took %.0f s, more than %d s' % (run.wall_s, bound)


def check_left_out(run, host, indexes, *patterns):
    """The host failed the preflight: its tests are failed with the cause, ran no traffic and left no file."""
    records = by_index(run.summary())
    for index in indexes:
        check_failed(records[index], r'\b%s\b' % host, *patterns)
        assert records[index]['files'] == []
    check_final_failure(run, host)
    return records


def check_final_failure(run, *names):
    """The run fails at its end, with a summary of what failed."""
    assert run.rc not in (0, None), run.output[-3000:]
    failed = [e for e in run.events if e['event'] == 'failed' and e.get('task') == 'Show the results']
    assert failed, 'the run did not end with "Show the results" failing:\n%s' % run.output[-3000:]
    msg = failed[0]['msg']
    text = '\n'.join(msg) if isinstance(msg, list) else msg
    for name in names:
        assert name in text, text


def summary_errors(run):
    """The failed tests of the run's summary, for the fault table."""
    if not run.run_dir or not os.path.exists(os.path.join(run.run_dir, 'summary.json')):
        return 'no summary.json'
    failed = ['#%s: %s' % (r['index'], r['error']) for r in run.summary() if not r['succeeded']]
    return ' | '.join(failed) or 'every test succeeded'


def settle(info, fault, run, error=None, within=F.MAX_TIME + F.WATCHDOG_GRACE + 2):
    """Count the iperf processes left when the run ended, wait up to ``within`` s
    for the deadline-based cleanup, write the fault table's row, then fail if
    any is still there. Return the count at the end of the run."""
    left_at_end = sum(len(p) for p in F.iperf_left(info).values())
    failure = None
    try:
        F.assert_no_iperf_left(info, within)
    except AssertionError as exc:
        failure = exc
    left_after = sum(len(p) for p in F.iperf_left(info).values())
    report(fault, run, summary_errors(run) if error is None else error, left_at_end, left_after)
    if failure:
        raise failure
    return left_at_end


SHORT_RUN = F.SHORT
TO_NODE_ONLY = ('-e', '{"iperf_directions": ["to_node"]}')


# --- 1. a node unreachable before the run ------------------------------------------------------


def test_node_unreachable_before_the_run(breakable, tmp_path, remote_dir, playbooks):
    F.stop_sshd(breakable, 'node2')
    run = run_to_end(playbooks, breakable['inventory'], tmp_path / 'out', *SHORT_RUN,
                     '-e', 'iperf_remote_dir=%s' % remote_dir)
    settle(breakable, 'node unreachable before the run (sshd stopped)', run)
    assert run.run_dir, run.output[-3000:]
    assert os.path.exists(os.path.join(run.run_dir, 'summary.json')), (
        'no summary.json: the run stopped before writing it\n%s' % run.output[-4000:])
    records = by_index(run.summary())
    assert sorted(records) == [1, 2, 3, 4]
    check_succeeded(records[1])
    check_succeeded(records[2])
    for index in (3, 4):
        check_failed(records[index], r'\bnode2\b', r'unreachable', r'198\.18\.\d+\.12|connection refused')
        assert records[index]['files'] == []
    check_final_failure(run, 'node2')
    check_deadlines(run, 4)


# --- 2. iperf missing on a host ------------------------------------------------------------------


def _hide_iperf(info, tmp_path, host):
    """An inventory where ``host`` runs its modules with a PATH that has no iperf.

    The hosts share one file system, so iperf cannot be uninstalled on one of
    them; a Python wrapper with an empty PATH makes it missing for that host only.
    """
    wrapper = tmp_path / 'python-without-iperf'
    wrapper.write_text('#!/bin/sh\nPATH=/nonexistent-apetools-ft\nexport PATH\nexec /usr/bin/python3 "$@"\n')
    wrapper.chmod(0o755)
    inventory = F.load_inventory(info)
    F.host_vars(inventory, host)['ansible_python_interpreter'] = str(wrapper)
    return F.write_inventory(inventory, tmp_path / 'inventory.yml')


def test_iperf3_missing_on_a_host(ftlab, tmp_path, remote_dir, playbooks):
    inventory = _hide_iperf(ftlab, tmp_path, 'node2')
    run = run_to_end(playbooks, inventory, tmp_path / 'out', *SHORT_RUN, '-e', 'iperf_remote_dir=%s' % remote_dir)
    settle(ftlab, 'iperf3 missing on a host', run)
    # The preflight says so, before any traffic.
    preflight = [e for e in run.events if e.get('task', '').startswith('Check that iperf is installed') and e.get('host') == 'node2']
    assert preflight and preflight[0]['event'] == 'failed', preflight
    assert 'ansible-playbook apetools.iperf.install' in preflight[0]['msg'], preflight
    records = check_left_out(run, 'node2', (3, 4), r'iperf3 is not installed',
                             r'ansible-playbook apetools\.iperf\.install')
    check_succeeded(records[1])
    check_succeeded(records[2])
    assert not glob.glob(os.path.join(run.run_dir, 'node2_*')), os.listdir(run.run_dir)
    check_deadlines(run, 4)


def test_iperf2_missing_on_a_host(ftlab, tmp_path, remote_dir, playbooks):
    inventory = _hide_iperf(ftlab, tmp_path, 'node1')
    run = run_to_end(playbooks, inventory, tmp_path / 'out', *SHORT_RUN, '-e', 'iperf_version=2',
                     '-e', 'iperf_remote_dir=%s' % remote_dir, '--limit', 'node1,tpc1')
    settle(ftlab, 'iperf2 missing on a host', run)
    check_left_out(run, 'node1', (1, 2), r'iperf2 is not installed',
                   r'ansible-playbook apetools\.iperf\.install -e iperf_version=2')
    assert not [e for e in run.events if e['event'] == 'task' and e['task'].startswith('Iperf test ')]


def test_iperf_binary_missing_on_a_host(ftlab, tmp_path, remote_dir, playbooks):
    """The host's iperf_binary names a program that is not there."""
    inventory = F.load_inventory(ftlab)
    F.host_vars(inventory, 'node2')['iperf_binary'] = '/nonexistent-apetools-ft/iperf3'
    path = F.write_inventory(inventory, tmp_path / 'inventory.yml')
    run = run_to_end(playbooks, path, tmp_path / 'out', *SHORT_RUN, '-e', 'iperf_remote_dir=%s' % remote_dir,
                     '--limit', 'node2,tpc1')
    settle(ftlab, 'iperf_binary missing on a host', run)
    check_left_out(run, 'node2', (1, 2), r'/nonexistent-apetools-ft/iperf3', r'ansible-playbook apetools\.iperf\.install')
    assert not [e for e in run.events if e['event'] == 'task' and e['task'].startswith('Iperf test ')]


# --- 3. faults in the middle of a test ------------------------------------------------------------

MID_TEST = ('-e', 'iperf_time=3', '-e', 'iperf_max_time=%d' % F.MAX_TIME,
            '-e', 'iperf_connect_timeout=%d' % F.CONNECT_TIMEOUT) + TO_NODE_ONLY


def _kill_server(info, clients, servers):
    F.kill_pids(servers)
    return servers


def _kill_sender(info, clients, servers):
    F.kill_pids(clients)
    return clients


def _blackhole(info, clients, servers):
    F.blackhole(info['hosts']['node1']['namespace'], 'eth1')
    return []


# fault -> (inject, patterns the error of test 1 must match)
MID_TEST_FAULTS = {
    'receiver_server_killed': (_kill_server, [r'receiver on node1\b[^;]*(kill|signal)']),
    'sender_killed': (_kill_sender, [r'sender on tpc1\b[^;]*(kill|signal)']),
    'test_network_blackholed': (_blackhole, [r'\b(node1|tpc1)\b[^;]*did not finish within \d+ s']),
}


@pytest.mark.parametrize('fault', sorted(MID_TEST_FAULTS))
def test_fault_in_the_middle_of_a_test(fault, breakable, tmp_path, remote_dir, playbooks):
    """Test 1 is tpc1 -> node1, test 2 is tpc1 -> node2; the fault hits test 1."""
    inject, patterns = MID_TEST_FAULTS[fault]
    run = start(playbooks, breakable['inventory'], tmp_path / 'out', *MID_TEST,
                '-e', 'iperf_remote_dir=%s' % remote_dir)
    clients, servers = F.wait_for_traffic(breakable, 'tpc1', 'node1')
    time.sleep(1.0)  # well inside the 3 s test
    hit = inject(breakable, clients, servers)
    run.wait()
    for pid in hit:
        assert not F.alive(pid), pid
    settle(breakable, 'mid-test: %s' % fault, run)
    records = by_index(run.summary())
    assert sorted(records) == [1, 2]
    check_failed(records[1], *patterns)
    check_succeeded(records[2])
    check_final_failure(run, 'node1 to_node rep 1')
    check_deadlines(run, 2, faulty=[1])
    if fault == 'test_network_blackholed':
        # Management stayed up: node1 took part in the cleanup after the test.
        cleanup = [e for e in run.events if e.get('task', '').startswith('Give the hosts back') and e.get('host') == 'node1']
        assert cleanup and cleanup[0]['event'] == 'ok', cleanup


# --- 3b. long tests: the controller's connections are cut, or the controller dies -------------------


def _mux_masters(control_dir):
    """The controller's ssh ControlMaster processes for this run (their control sockets are in control_dir)."""
    masters = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/%s/cmdline' % entry, 'rb') as handle:
                    argv = handle.read().decode('utf-8', 'replace').split('\0')
            except OSError:
                continue
            if argv and os.path.basename(argv[0]) == 'ssh' and any(control_dir in arg for arg in argv) \
                    and any(arg.startswith('ControlMaster=') or arg == '-M' or 'ControlMaster' in arg for arg in argv):
                masters.append(int(entry))
    return masters


def test_a_long_test_survives_lost_connections(breakable, tmp_path, remote_dir, playbooks):
    """Mid-test: the ControlMasters die, every sshd session dies, node1's sshd restarts. The result still comes."""
    control_dir = str(tmp_path / 'cp')
    run = start(playbooks, breakable['inventory'], tmp_path / 'out', '-e', 'iperf_time=12', '-e', 'iperf_max_time=30',
                '-e', 'iperf_connect_timeout=%d' % F.CONNECT_TIMEOUT, '-e', 'iperf_follow_timeout=60',
                '-e', 'iperf_remote_dir=%s' % remote_dir, '--limit', 'node1,tpc1', *TO_NODE_ONLY,
                env=dict(ANSIBLE_SSH_CONTROL_PATH_DIR=control_dir))
    clients, servers = F.wait_for_traffic(breakable, 'tpc1', 'node1')
    time.sleep(2.0)
    masters = _mux_masters(control_dir)
    assert masters, 'no ControlMaster found in %s' % control_dir
    F.kill_pids(masters)
    F.stop_sshd(breakable, 'node1')
    F.drop_ssh_sessions(breakable, 'tpc1')
    time.sleep(3.0)
    # The traffic never stopped: the sides run apart from the SSH sessions.
    gone = [pid for pid in clients + servers if not F.alive(pid)]
    if gone:
        jobs = {}
        for path in glob.glob(os.path.join(remote_dir, '*', '*', '*.job*')):
            with open(path) as handle:
                jobs[path] = handle.read()[:300]
        raise AssertionError('iperf died with the SSH sessions: %s of clients %s, servers %s; now %s; jobs %s; %s' % (
            gone, clients, servers, F.iperf_left(breakable), jobs, list(os.walk(remote_dir))))
    F.repair_lab(breakable)  # restarts node1's sshd
    run.wait()
    settle(breakable, 'long test: ControlMaster killed, sshd restarted', run)
    assert run.rc == 0, run.output[-3000:]
    record = run.summary()[0]
    assert record['succeeded'] and record['throughput_bps'] > 0, record
    with open(os.path.join(run.run_dir, [f for f in record['files'] if f.endswith('.receiver.iperf')][0])) as handle:
        assert json.load(handle)['end']['sum_received']['seconds'] > 11.5, 'the whole test was measured'
    sides = [r for name, r in run.records().items() if name.startswith('node1_to_node_rep1.')]
    assert sum(side.get('reconnects') or 0 for side in sides) >= 1, sides


@pytest.mark.parametrize('tasks', ['one task per test', 'one task for both tests'])
def test_a_host_lost_for_good_costs_the_follow_timeout_once(tasks, breakable, tmp_path, remote_dir, playbooks):
    """node1's sshd dies mid-test and stays down: the run gives up on node1 after iperf_follow_timeout, once.

    With one port (iperf_port_count=1) every test is a task of its own; with the default ports both are one batch.
    """
    per_test = tasks == 'one task per test'
    run = start(playbooks, breakable['inventory'], tmp_path / 'out', '-e', 'iperf_time=3', '-e', 'iperf_repetitions=2',
                '-e', 'iperf_connect_timeout=%d' % F.CONNECT_TIMEOUT, '-e', 'iperf_follow_timeout=10',
                '-e', 'iperf_port_count=%d' % (1 if per_test else 100),
                '-e', 'iperf_remote_dir=%s' % remote_dir, '--limit', 'node1,tpc1', *TO_NODE_ONLY)
    F.wait_for_traffic(breakable, 'tpc1', 'node1')
    F.stop_sshd(breakable, 'node1')
    run.wait()
    settle(breakable, 'node lost for good mid-test, iperf_follow_timeout=10, %s' % tasks, run)
    records = by_index(run.summary())
    check_failed(records[1], r'node1 is unreachable: .*retried for 10 s, iperf_follow_timeout')
    spans = F.test_task_spans(run.events)
    # Lost about 1 s into the 3 s test, then retried for 10 s.
    assert 7 <= spans[1][1] <= 10 + 3 + F.TASK_SLACK, spans
    if per_test:
        check_failed(records[2], r'node1 is unreachable: .*not retried: this run lost the host before')
        assert spans[2][1] < 10, 'the lost host was waited for again: %s' % (spans,)
    else:
        check_failed(records[2], r'node1 is unreachable: .*retried for 10 s, iperf_follow_timeout')
        assert spans[1] == spans[2], spans
    # What node1 measured in test 1 after the controller lost it is still on node1, with its figure.
    results = glob.glob(os.path.join(remote_dir, 'node1', '*', 'batch.*.job.sides', '1.json'))
    assert len(results) == 1, results
    with open(results[0]) as handle:
        assert json.load(handle)['measurement']['received_bps'] > 0


def test_a_test_nobody_follows_stops(breakable, tmp_path, remote_dir, playbooks):
    """The controller dies for good (SIGKILL) in a long test: the sides stop after iperf_follow_timeout."""
    run = start(playbooks, breakable['inventory'], tmp_path / 'out', '-e', 'iperf_time=300',
                '-e', 'iperf_connect_timeout=%d' % F.CONNECT_TIMEOUT, '-e', 'iperf_follow_timeout=10',
                '-e', 'iperf_remote_dir=%s' % remote_dir, '--limit', 'node1,tpc1', *TO_NODE_ONLY)
    F.wait_for_traffic(breakable, 'tpc1', 'node1')
    run.signal(signal.SIGKILL, group=True)
    killed = time.monotonic()
    run.wait(30)
    # follow_timeout, after the last call's wait (follow_timeout / 2) has ended.
    F.assert_no_iperf_left(breakable, within=10 + 5 + 5)
    stopped_s = time.monotonic() - killed
    pattern = os.path.join(remote_dir, '*', '*', 'batch.*.job.sides', '*.json')
    F.wait_for(lambda: len(glob.glob(pattern)) == 2, 10, what='both sides to write their result')
    results = glob.glob(pattern)
    errors = []
    for path in results:
        with open(path) as handle:
            errors.append(json.load(handle)['error'])
    # The first side to stop says why; the other may first see its peer go.
    assert any('no controller followed the test for 10 s (iperf_follow_timeout)' in e for e in errors), errors
    report('controller SIGKILLed in a 300 s test, iperf_follow_timeout=10', run, '; '.join(errors), 2, 0)
    assert 9 <= stopped_s <= 21, stopped_s


# --- 4. the port is already taken ---------------------------------------------------------------------


def _receiver_port(run, record):
    """The port the receiver's iperf3 server actually listened on, from its own JSON."""
    name = [f for f in record['files'] if f.endswith('.receiver.iperf')][0]
    with open(os.path.join(run.run_dir, name)) as handle:
        return json.load(handle)['start']['connected'][0]['local_port']


def test_port_taken_by_a_foreign_program(ftlab, tmp_path, remote_dir, playbooks):
    ns = ftlab['hosts']['node1']['namespace']
    foreign = F.foreign_listener(ns, ftlab['hosts']['node1']['test_address'], 5201)
    try:
        # A pid file of ours that names the foreign process (a reused pid): still not ours.
        pid_dir = os.path.join(remote_dir, 'pids')
        os.makedirs(pid_dir)
        with open(os.path.join(pid_dir, 'node1-5201.pid'), 'w') as handle:
            json.dump(dict(pid=foreign.pid, argv=['iperf3', '-s', '-p', '5201', '-1', '-J'], started=time.time()),
                      handle)
        run = run_to_end(playbooks, ftlab['inventory'], tmp_path / 'out', *SHORT_RUN, '-e', 'iperf_port=5201',
                         '-e', 'iperf_remote_dir=%s' % remote_dir, '--limit', 'node1,tpc1')
        settle(ftlab, 'port taken by a foreign program', run, 'ports used: %s; %s' % (
            sorted(set(test['port'] for test in run.plan()['tests'])), summary_errors(run)))
        assert foreign.poll() is None and F.alive(foreign.pid), 'the foreign program was killed'
        assert F.listening(ns, 5201)
        assert run.rc == 0, run.output[-3000:]
        records = by_index(run.summary())
        for record in records.values():
            check_succeeded(record)
            assert record['port'] != 5201, record
            assert _receiver_port(run, record) == record['port']
        assert all(test['port'] != 5201 for test in run.plan()['tests'])
    finally:
        foreign.kill()
        foreign.wait(10)


@pytest.mark.parametrize('state', ['running', 'hung'])
def test_port_taken_by_a_stale_server_of_ours(state, ftlab, tmp_path, remote_dir, playbooks):
    """A server of ours left by a killed run, still listening ('running'), or
    stuck ('hung': it accepts connections but never answers, until SIGKILL)."""
    ns = ftlab['hosts']['node1']['namespace']
    stale, pid_file = F.stale_server(ns, 5201, os.path.join(remote_dir, 'pids'), 'node1', hung=state == 'hung')
    try:
        assert F.listening(ns, 5201)
        run = run_to_end(playbooks, ftlab['inventory'], tmp_path / 'out', *SHORT_RUN, *TO_NODE_ONLY,
                         '-e', 'iperf_port=5201', '-e', 'iperf_remote_dir=%s' % remote_dir, '--limit', 'node1,tpc1')
        settle(ftlab, 'port taken by a stale server of ours (%s)' % state, run, 'stale server %s: %s; %s' % (
            stale.pid, 'gone' if stale.poll() is not None else 'still there', summary_errors(run)))
        record = by_index(run.summary())[1]
        assert run.rc == 0, record['error']
        check_succeeded(record)
        assert record['port'] == 5201 == run.plan()['tests'][0]['port']
        assert _receiver_port(run, record) == 5201
        F.wait_for(lambda: stale.poll() is not None, 10, what='the stale server to be gone')
        assert not os.path.exists(pid_file)
    finally:
        if stale.poll() is None:
            os.killpg(stale.pid, signal.SIGKILL)
        stale.wait(10)


# --- 5. the controller is interrupted ---------------------------------------------------------------


@pytest.mark.parametrize('how', ['SIGINT to the process group', 'SIGTERM to ansible-playbook'])
def test_controller_interrupted(how, ftlab, tmp_path, remote_dir, playbooks):
    run = start(playbooks, ftlab['inventory'], tmp_path / 'out', '-e', 'iperf_time=3',
                '-e', 'iperf_max_time=%d' % F.MAX_TIME, '-e', 'iperf_connect_timeout=%d' % F.CONNECT_TIMEOUT,
                '-e', 'iperf_remote_dir=%s' % remote_dir)
    # Test 1 (tpc1 -> node1) is done and on disk; test 2 (node1 -> tpc1) is running.
    F.wait_for(lambda: run.run_dir and len(run.records()) >= 2, 120, what='the records of test 1')
    F.wait_for_traffic(ftlab, 'node1', 'tpc1')
    interrupted = time.monotonic()
    if how.startswith('SIGINT'):
        run.signal(signal.SIGINT, group=True)  # what Ctrl-C does
    else:
        run.signal(signal.SIGTERM)
    run.wait(60)
    stopped_s = time.monotonic() - interrupted
    records = run.records()
    # The servers and clients it started stop on their own, within their deadline.
    settle(ftlab, 'controller interrupted: %s' % how, run,
           'rc %s, %.1f s after the signal; records on disk: %s' % (run.rc, stopped_s, sorted(records)),
           within=F.MAX_TIME + F.WATCHDOG_GRACE)
    assert run.rc != 0
    # What was measured is on disk: both sides of test 1, their records and raw files.
    test1 = dict((name, record) for name, record in records.items() if name.startswith('node1_to_node_rep1.'))
    assert sorted(test1) == ['node1_to_node_rep1.receiver.iperf.json', 'node1_to_node_rep1.sender.iperf.json'], records
    for record in test1.values():
        assert record['succeeded'] is True, record
        assert os.path.getsize(os.path.join(run.run_dir, record['file'])) > 0
    with open(os.path.join(run.run_dir, 'node1_to_node_rep1.receiver.iperf')) as handle:
        assert json.load(handle)['end']['sum_received']['bits_per_second'] > 0
    assert not [name for name in records if name.startswith('node2_')], records
    # And the controller left nothing running either.
    F.wait_for(lambda: not _group_alive(run.pid), 15, what='the playbook\'s processes to end')


def _group_alive(pgid):
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/%s/stat' % entry) as handle:
                    fields = handle.read().rsplit(')', 1)[1].split()
                if int(fields[2]) == pgid and fields[0] not in ('Z', 'X'):
                    return True
            except (OSError, IndexError, ValueError):
                continue
    return False


# --- 6. two runs against the same TPC -----------------------------------------------------------------


def _windows(run):
    """(start, end) of every measurement of the run, from the senders' iperf3 JSON.

    iperf3 gives the start in whole seconds, cut down: the true window may be up
    to 1 s later than this one."""
    windows = []
    for record in run.summary():
        name = [f for f in record['files'] if f.endswith('.sender.iperf')][0]
        with open(os.path.join(run.run_dir, name)) as handle:
            data = json.load(handle)
        started = data['start']['timestamp']['timesecs']
        windows.append((started, started + data['end']['sum_sent']['end']))
    return windows


def _test_task_windows(run):
    return [(start, end) for name, start, end in F.task_spans(run.events) if name.startswith('Iperf test ')]


def test_two_runs_at_once(ftlab, tmp_path, remote_dir, playbooks):
    # Both runs measure tpc1 -> node1 and tpc1 -> node2: every host is shared.
    args = SHORT_RUN + TO_NODE_ONLY + ('-e', 'iperf_remote_dir=%s' % remote_dir)
    first = start(playbooks, ftlab['inventory'], tmp_path / 'first', *args)
    second = start(playbooks, ftlab['inventory'], tmp_path / 'second', *args)
    first.wait()
    second.wait()
    settle(ftlab, 'two runs at once', second, 'first: %s; second: %s' % (summary_errors(first), summary_errors(second)))
    assert first.rc == 0, first.output[-3000:]
    assert second.rc == 0, second.output[-3000:]
    # Their files never mix: each run has its own folder with its own tests.
    assert first.run_dir != second.run_dir
    for run in (first, second):
        records = run.summary()
        assert [r['index'] for r in records] == [1, 2]
        for record in records:
            check_succeeded(record)
            for name in record['files']:
                assert os.path.isfile(os.path.join(run.run_dir, name))
        assert len(run.records()) == 4, run.records()
    # They never measured at the same time: one run's tests all came before the other's.
    early, late = sorted((first, second), key=lambda run: min(_windows(run)))
    assert max(w[1] for w in _windows(early)) <= min(w[0] for w in _windows(late)) + 1, (
        _windows(early), _windows(late))
    assert max(r['ended_at'] for r in early.summary()) <= min(r['started_at'] for r in late.summary())
    # The lease goes back when the traffic ends, before the early run has stored the last results: the
    # late run's tests start after that (the lab's hosts and the controller share one clock).
    assert max(r['ended_at'] for r in early.summary()) <= min(w[0] for w in _test_task_windows(late))
    # No lease is left behind.
    assert not glob.glob(os.path.join(remote_dir, 'locks', '*.lock')), os.listdir(os.path.join(remote_dir, 'locks'))


def test_a_run_started_mid_test_waits_and_leaves_the_other_s_servers_alone(ftlab, tmp_path, remote_dir, playbooks):
    # The second run's preflight finds the hosts busy while the first one's servers
    # listen: it must neither clear them as stale nor measure before the first ends.
    args = ('-e', 'iperf_time=6') + TO_NODE_ONLY + ('-e', 'iperf_remote_dir=%s' % remote_dir, '--limit', 'node1,tpc1')
    first = start(playbooks, ftlab['inventory'], tmp_path / 'first', *args)
    deadline = time.time() + 60
    while not glob.glob(os.path.join(remote_dir, '*', '*', 'batch.*.job.sides')) and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(1.5)  # the first test's server is up, and its client sends
    second = start(playbooks, ftlab['inventory'], tmp_path / 'second', *args)
    first.wait()
    second.wait()
    settle(ftlab, 'a run started mid-test of another', second, 'first: %s; second: %s' % (
        summary_errors(first), summary_errors(second)))
    assert first.rc == 0, first.output[-3000:]
    assert second.rc == 0, second.output[-3000:]
    assert re.search(r'host (node1|tpc1) is busy with run \S+ from ', second.output), second.output[-3000:]
    for run in (first, second):
        for record in run.summary():
            check_succeeded(record)
    # The hosts' own clocks (iperf3's JSON has whole seconds): the second started after the first ended.
    assert max(r['ended_at'] for r in first.summary()) <= min(r['started_at'] for r in second.summary())
    assert not glob.glob(os.path.join(remote_dir, 'locks', '*.lock'))
    # Each run's files on the hosts went when the controller had them; neither run removed the other's.
    assert not glob.glob(os.path.join(remote_dir, '*', '*', '*.iperf')), glob.glob(os.path.join(remote_dir, '*', '*'))


def test_host_held_by_another_run_times_out(ftlab, tmp_path, remote_dir, playbooks):
    """Another run holds tpc1's lease, and will until long after this run gives up."""
    lease = F.lease_path(os.path.join(remote_dir, 'locks'), 'tpc1')
    os.makedirs(os.path.dirname(lease), 0o700)
    now = time.time()
    owner = dict(run='ft-other-run', controller='ft-other-controller', taken=now, expires=now + 3600, holders=['tpc1'])
    with os.fdopen(os.open(lease, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 'w') as handle:
        json.dump(owner, handle)
    run = run_to_end(playbooks, ftlab['inventory'], tmp_path / 'out', *SHORT_RUN, '-e', 'iperf_lock_timeout=3',
                     '-e', 'iperf_remote_dir=%s' % remote_dir)
    failed = [e for e in run.events if e['event'] == 'failed' and e.get('task') == 'Take the hosts for this run']
    waited = ' '.join(' '.join([e['msg']] + (e.get('items') or [])) for e in failed)
    settle(ftlab, 'host held by another run (iperf_lock_timeout=3)', run, waited)
    assert run.rc not in (0, None)
    # A clear message while waiting, then the timeout, naming the host and the other run.
    # (The lab's hosts share one file system: when leases are named per machine, not
    # per inventory host, the other run's lease holds every lab host.)
    busy = re.search(r'host (\w+) is busy with run ft-other-run from ft-other-controller', run.output)
    assert busy and busy.group(1) in ftlab['hosts'], run.output[-4000:]
    assert re.search(r'host %s is busy with run ft-other-run.*waited 3 s' % busy.group(1), waited), failed
    # No traffic, the other run's lease untouched, and none of ours left behind.
    assert not run.iperf_files()
    with open(lease) as handle:
        assert json.load(handle) == owner
    leases = sorted(glob.glob(os.path.join(remote_dir, 'locks', '*.lock')))
    assert leases == [lease], 'leases of this run left behind: %s' % leases
    assert run.wall_s <= F.RUN_OVERHEAD + 3


def test_a_killed_run_s_hosts_are_free_within_the_follow_timeout_and_a_minute(ftlab, tmp_path, remote_dir, playbooks):
    """The controller of an hour-long test is SIGKILLed: nobody renews its lease any more, and a second run takes
    the same hosts within iperf_follow_timeout + 60 s (after the last call's wait), not after the plan's whole
    duration (more than an hour here); and only once the dead run's sides have stopped."""
    follow = 20
    wait = follow // 2  # the last call on a host waits that long, beating, after its controller is gone
    args = ('-e', 'iperf_follow_timeout=%d' % follow, '-e', 'iperf_remote_dir=%s' % remote_dir,
            '--limit', 'node1,tpc1') + TO_NODE_ONLY
    first = start(playbooks, ftlab['inventory'], tmp_path / 'first', '-e', 'iperf_time=3600',
                  '-e', 'iperf_connect_timeout=%d' % F.CONNECT_TIMEOUT, *args)
    F.wait_for_traffic(ftlab, 'tpc1', 'node1')
    first.signal(signal.SIGKILL, group=True)
    killed = time.time()
    first.wait(30)
    with open(F.lease_path(os.path.join(remote_dir, 'locks'), 'tpc1')) as handle:
        held = json.load(handle)
    # Still the dead run's, and for a TTL after its last follow, at most: not for the plan's hour.
    assert held['expires'] <= killed + wait + follow + 60 + 2, (held, killed)
    second = run_to_end(playbooks, ftlab['inventory'], tmp_path / 'second', *SHORT_RUN, *args,
                        '-e', 'iperf_lock_timeout=%d' % (2 * (follow + 60)))
    settle(ftlab, 'a run SIGKILLed mid-test; a second one takes its hosts (iperf_follow_timeout=%d)' % follow, second)
    assert second.rc == 0, second.output[-3000:]
    assert re.search(r'host (node1|tpc1) is busy with run %s from ' % re.escape(held['run']), second.output), (
        second.output[-3000:])
    records = second.summary()
    for record in records:
        check_succeeded(record)
    began = min(record['started_at'] for record in records)
    # Not before the dead run's sides stopped (nobody followed them for follow_timeout), and soon after its lease
    # ran out: the TTL, plus the second run's wait (1 s polls) and its tasks up to the first test on a loaded machine.
    assert killed + follow <= began <= killed + wait + follow + 60 + 2 + F.TASK_SLACK + 15, (began - killed)
    assert not glob.glob(os.path.join(remote_dir, 'locks', '*.lock')), 'the second run left its lease behind'


# --- 7. reruns into the same folder ----------------------------------------------------------------------


def _hashes(folder):
    found = {}
    for path in sorted(glob.glob(os.path.join(folder, '**'), recursive=True)):
        if os.path.isfile(path):
            with open(path, 'rb') as handle:
                found[os.path.relpath(path, folder)] = hashlib.sha256(handle.read()).hexdigest()
    return found


def test_rerun_never_overwrites(ftlab, tmp_path, remote_dir, playbooks):
    args = ('-e', 'iperf_time=1') + TO_NODE_ONLY + ('-e', 'iperf_remote_dir=%s' % remote_dir, '--limit', 'node1,tpc1')
    output = tmp_path / 'out'
    first = run_to_end(playbooks, ftlab['inventory'], output, *args)
    assert first.rc == 0, first.output[-3000:]
    first_dir = first.run_dir
    before = _hashes(first_dir)
    assert 'summary.json' in before and 'node1_to_node_rep1.receiver.iperf' in before
    second = run_to_end(playbooks, ftlab['inventory'], output, *args)
    assert second.rc == 0, second.output[-3000:]
    assert second.run_dir != first_dir
    assert [os.path.basename(d) for d in second.run_dirs()] == sorted(
        os.path.basename(d) for d in (first_dir, second.run_dir))
    assert os.readlink(os.path.join(str(output), 'latest')) == os.path.basename(second.run_dir)
    assert _hashes(first_dir) == before
    assert sorted(_hashes(second.run_dir)) == sorted(before)
    F.assert_no_iperf_left(ftlab)


# --- 8. iperf_continue_on_error -------------------------------------------------------------------------

# Test 1 (tpc1 -> node1) fails: node1's test address is one nobody has.
# Test 2 (tpc1 -> node2) shares only the TPC with it.
UNREACHABLE_TEST = ('-e', 'iperf_time=2', '-e', 'iperf_max_time=3', '-e', 'iperf_connect_timeout=3') + TO_NODE_ONLY


@pytest.fixture
def dead_address_inventory(ftlab, tmp_path):
    inventory = F.load_inventory(ftlab)
    F.host_vars(inventory, 'node1')['iperf_address'] = '198.19.%d.250' % ftlab['subnet']
    return F.write_inventory(inventory, tmp_path / 'inventory.yml')


def test_continue_on_error_true_runs_the_whole_matrix(ftlab, dead_address_inventory, tmp_path, remote_dir,
                                                      playbooks):
    run = run_to_end(playbooks, dead_address_inventory, tmp_path / 'out', *UNREACHABLE_TEST,
                     '-e', 'iperf_remote_dir=%s' % remote_dir)
    settle(ftlab, 'continue_on_error=true, test 1 fails', run)
    records = by_index(run.summary())
    check_failed(records[1], r'\b(tpc1|node1)\b', r'did not finish|no route|unreachable|refused')
    check_succeeded(records[2])
    check_final_failure(run, 'node1 to_node rep 1')


def test_a_side_whose_peer_failed_is_stopped(ftlab, dead_address_inventory, tmp_path, remote_dir, playbooks):
    """One batch of two tests, tpc1 -> node1; node1's test address is dead, so tpc1's clients fail within seconds.

    node1's servers would wait iperf_connect_timeout + iperf_max_time = 120 s each for a client; the controller
    stops the first and never starts the second.
    """
    run = run_to_end(playbooks, dead_address_inventory, tmp_path / 'out', '-e', 'iperf_time=2',
                     '-e', 'iperf_max_time=60', '-e', 'iperf_connect_timeout=60', '-e', 'iperf_repetitions=2',
                     '-e', 'iperf_remote_dir=%s' % remote_dir, '--limit', 'node1,tpc1', *TO_NODE_ONLY)
    settle(ftlab, 'a side whose peer failed, in a batch', run)
    spans = F.test_task_spans(run.events)
    assert spans[1] == spans[2] and spans[1][1] < 40, spans
    records = by_index(run.summary())
    sides = run.records()
    for index in (1, 2):
        check_failed(records[index], r'sender on tpc1')
        receiver = sides['node1_to_node_rep%d.receiver.iperf.json' % index]
        assert re.search(r'receiver on node1: (iperf was stopped because|it did not start, because) its peer '
                         r'failed: node1 to_node rep %d: sender on tpc1' % index, receiver['error']), receiver
    check_final_failure(run, 'node1 to_node rep 1', 'node1 to_node rep 2')


def test_continue_on_error_false_stops_at_the_first_failure(ftlab, dead_address_inventory, tmp_path, remote_dir,
                                                            playbooks):
    run = run_to_end(playbooks, dead_address_inventory, tmp_path / 'out', *UNREACHABLE_TEST,
                     '-e', 'iperf_continue_on_error=false', '-e', 'iperf_remote_dir=%s' % remote_dir)
    settle(ftlab, 'continue_on_error=false, test 1 fails', run)
    assert run.rc not in (0, None)
    records = by_index(run.summary())
    assert sorted(records) == [1, 2]
    check_failed(records[1], r'\b(tpc1|node1)\b', r'did not finish|no route|unreachable|refused')
    # Nothing ran after the failure: no side of test 2 reported, no file.
    sides = run.records()
    later = [name for name, side in sides.items() if side.get('node') != 'node1']
    assert not later, 'a test ran after the first failure: %s' % later
    assert records[2]['succeeded'] is False and records[2]['files'] == [], records[2]
    spans = F.test_task_spans(run.events)
    assert sum(span[1] for index, span in spans.items() if index > 1) < 3, spans
