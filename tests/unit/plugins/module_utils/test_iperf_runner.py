"""The runner with real iperf3 and iperf2 on loopback: no mocked iperf."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import subprocess
import threading
import time

import pytest

from ansible_collections.apetools.iperf.plugins.module_utils.iperf_command import normalize_options
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_pids import PidFiles
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_runner import Side, unique_path, watchdog

pytestmark = pytest.mark.skipif(not shutil.which('iperf3') or not shutil.which('iperf'),
                                reason='needs iperf3 and iperf (scripts/bootstrap.sh installs them)')


def free_port():
    # Each test gets its own port range by worker, so xdist workers never meet.
    worker = os.environ.get('PYTEST_XDIST_WORKER', 'gw0')
    free_port.counter = getattr(free_port, 'counter', 0) + 1
    return 25000 + int(worker[2:] or 0) * 500 + free_port.counter


def run_pair(tmp_path, delay_server=0.0, host='host', **options):
    options = normalize_options(dict(dict(time=1, port=free_port(), connect_timeout=10), **options))
    pids = PidFiles(str(tmp_path / 'pids'), host)
    results = {}

    def side(role, delay):
        time.sleep(delay)
        results[role] = Side(options, role, '127.0.0.1', '127.0.0.1', str(tmp_path / ('%s.iperf' % role)), pids).run()

    threads = [threading.Thread(target=side, args=('receiver', delay_server)),
               threading.Thread(target=side, args=('sender', 0.0))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def iperf_children():
    out = subprocess.run(['ps', '-eo', 'pid,ppid,comm'], stdout=subprocess.PIPE, universal_newlines=True,
                         check=True).stdout
    me = str(os.getpid())
    return [line for line in out.splitlines()[1:] if line.split()[1] == me and line.split()[2] in ('iperf', 'iperf3')]


@pytest.mark.parametrize('version, options', [
    (3, {}),
    (3, {'protocol': 'udp', 'bandwidth': '20M'}),
    (3, {'parallel': 2}),
    (2, {'parallel': 2, 'interval': 0.5}),
    (2, {'protocol': 'udp', 'bandwidth': '20M'}),
])
def test_a_real_test_measures(tmp_path, version, options):
    results = run_pair(tmp_path, version=version, **options)
    for role in ('sender', 'receiver'):
        assert results[role]['error'] is None, results[role]
    assert results['receiver']['measurement']['received_bps'] > 0
    assert results['sender']['measurement']['sent_bps'] > 0
    assert not iperf_children()


def test_the_sender_waits_for_a_late_server(tmp_path):
    results = run_pair(tmp_path, delay_server=1.0)
    assert results['sender']['error'] is None
    assert results['sender']['attempts'] > 1
    assert results['receiver']['measurement']['received_bps'] > 0
    # Failed attempts leave no file behind; the kept one is the measured one.
    assert sorted(os.listdir(str(tmp_path))) == ['pids', 'receiver.iperf', 'sender.iperf']


def test_no_server_means_a_clear_refusal_within_the_connect_timeout(tmp_path):
    options = normalize_options(dict(time=1, port=free_port(), connect_timeout=1.5))
    started = time.monotonic()
    result = Side(options, 'sender', None, '127.0.0.1', str(tmp_path / 's.iperf'), PidFiles(str(tmp_path), 'h')).run()
    assert time.monotonic() - started < 5
    assert 'connection refused by the receiver at 127.0.0.1 port' in result['error']


def test_a_server_nobody_connects_to_is_stopped_at_its_deadline(tmp_path):
    options = normalize_options(dict(time=1, port=free_port(), connect_timeout=1, max_time=1))
    pids = PidFiles(str(tmp_path / 'pids'), 'h')
    started = time.monotonic()
    result = Side(options, 'receiver', '127.0.0.1', None, str(tmp_path / 'r.iperf'), pids).run()
    assert 1.5 < time.monotonic() - started < 6
    assert result['timed_out'] and 'did not finish within 2 s' in result['error']
    assert 'nothing was measured (no sender connected' in result['error']
    assert not iperf_children() and os.listdir(str(tmp_path / 'pids')) == []


def test_a_stale_server_of_ours_is_cleared_by_its_pid_file(tmp_path):
    port = free_port()
    pids = PidFiles(str(tmp_path / 'pids'), 'h')
    argv = ['iperf3', '-s', '-p', str(port), '-1', '-J']
    stale = subprocess.Popen(watchdog(argv, 60), stdout=subprocess.DEVNULL, start_new_session=True)
    pids.claim(stale.pid, port)
    time.sleep(0.3)
    assert pids.is_ours(port)
    results = run_pair(tmp_path, port=port, host='h')
    assert results['receiver']['cleared'] == [stale.pid]
    assert results['sender']['error'] is None
    assert stale.wait(5) is not None


def test_unique_path_never_overwrites(tmp_path):
    path = str(tmp_path / 'a.iperf')
    assert unique_path(path) == path
    open(path, 'w').close()
    assert unique_path(path) == path + '.1'


def test_a_side_nobody_follows_stops_its_iperf_and_keeps_what_it_measured(tmp_path):
    """A long test whose controller went away: both sides stop, with the reason and partial figures."""
    options = normalize_options(dict(time=60, port=free_port(), connect_timeout=10, interval=0.5))
    pids = PidFiles(str(tmp_path / 'pids'), 'h')
    began = time.monotonic()
    results = {}

    def gone():
        return 'nobody follows' if time.monotonic() - began > 2.5 else None

    def side(role):
        results[role] = Side(options, role, '127.0.0.1', '127.0.0.1', str(tmp_path / ('%s.iperf' % role)), pids,
                             abandoned=gone).run()
    threads = [threading.Thread(target=side, args=(role,)) for role in ('receiver', 'sender')]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert time.monotonic() - began < 10
    errors = [results[role]['error'] or '' for role in ('receiver', 'sender')]
    # The first side to stop says why; its peer may first see it go ("the server has terminated").
    stopped = [e for e in errors if e.startswith('iperf was stopped because nobody follows')]
    assert stopped and all(errors), errors
    assert all('partial figures are kept' in e for e in stopped), errors
    assert results['sender']['measurement']['sent_bps'] > 0
    assert not iperf_children()


def test_a_client_waiting_for_a_busy_peer_stops_when_told(tmp_path):
    """A sender whose peer may be busy for a long time retries; a cancel or a lost controller ends that at once."""
    options = normalize_options(dict(time=1, port=free_port(), connect_timeout=1))
    began = time.monotonic()
    side = Side(options, 'sender', None, '127.0.0.1', str(tmp_path / 's.iperf'), PidFiles(str(tmp_path), 'h'),
                abandoned=lambda: 'its peer failed: boom' if time.monotonic() - began > 1.0 else None)
    side.wait_for_peer = 600
    result = side.run()
    assert time.monotonic() - began < 3
    assert result['abandoned'] and result['error'] == (
        'it stopped waiting for the receiver at 127.0.0.1 port %d because its peer failed: boom' % options['port'])
    assert not iperf_children()


def test_a_late_refusal_says_the_peer_may_have_been_busy(tmp_path):
    options = normalize_options(dict(time=1, port=free_port(), connect_timeout=1))
    side = Side(options, 'sender', None, '127.0.0.1', str(tmp_path / 's.iperf'), PidFiles(str(tmp_path), 'h'))
    side.wait_for_peer = 0.5
    assert side.run()['error'].endswith('its iperf server did not start (its host may still have been busy with its '
                                        'earlier tests)')
