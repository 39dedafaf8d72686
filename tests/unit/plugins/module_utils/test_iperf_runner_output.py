"""What the runner reads of a side's raw output, with real iperf3 3.12 and iperf 2.1.8 on loopback.

- The iperf2 receiver's end-of-test check reads each byte once (only what is
  new since its last look) and the whole output is parsed once, at the end.
- Past ``max_output_bytes`` the side is stopped, fails with a clear error, and
  keeps its output up to the cap.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import subprocess
import threading
import time

import pytest

from ansible_collections.apetools.iperf.plugins.module_utils import iperf_runner
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_command import normalize_options
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_pids import PidFiles
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_results import Iperf2Progress, parse_iperf2
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_runner import Side

FIXTURES = os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'fixtures', 'iperf_output'))

needs_iperf = pytest.mark.skipif(not shutil.which('iperf3') or not shutil.which('iperf'),
                                 reason='needs iperf3 and iperf (scripts/bootstrap.sh installs them)')


def free_port():
    # Apart from test_iperf_runner.py's ports (25000 and up), per xdist worker.
    worker = os.environ.get('PYTEST_XDIST_WORKER', 'gw0')
    free_port.counter = getattr(free_port, 'counter', 0) + 1
    return 41000 + int(worker[2:] or 0) * 200 + free_port.counter


def run_pair(tmp_path, receiver=None, sender=None, **options):
    """Both sides of one test; ``receiver`` and ``sender`` are options for that side only."""
    options = dict(dict(time=1, port=free_port(), connect_timeout=10), **options)
    pids = PidFiles(str(tmp_path / 'pids'), 'h')
    results = {}

    def side(role, own):
        own = dict(own or {})
        # ``after``: set once the options are checked, past what the plan would allow.
        after = own.pop('after', {})
        checked = dict(normalize_options(dict(options, **own)), **after)
        results[role] = Side(checked, role, '127.0.0.1', '127.0.0.1', str(tmp_path / ('%s.iperf' % role)), pids).run()

    threads = [threading.Thread(target=side, args=('receiver', receiver)),
               threading.Thread(target=side, args=('sender', sender))]
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


# ---------------------------------------------------------------- the iperf2 end-of-test check

SERVER_FIXTURES = sorted(name for name in os.listdir(FIXTURES)
                         if name.startswith('iperf2') and name.endswith('_server.txt') and 'csv' not in name
                         and 'reverse' not in name)


@pytest.mark.parametrize('name', SERVER_FIXTURES)
@pytest.mark.parametrize('chunk', [1, 7, 64, 100000])
def test_progress_fed_in_pieces_agrees_with_the_whole_parse(name, chunk):
    with open(os.path.join(FIXTURES, name), 'rb') as handle:
        data = handle.read()
    progress = Iperf2Progress()
    for start in range(0, len(data), chunk):
        progress.feed(data[start:start + chunk])
    whole = parse_iperf2(data, role='server')
    assert progress.duration_s == whole['duration_s']
    assert progress.streams == whole['streams']


def test_progress_skips_an_overlong_line_and_reads_the_next():
    progress = Iperf2Progress()
    progress.feed(b'[  1] 0.0000-1.0000 sec  112 MBytes  940 Mbits/sec' + b' ' * 3000)
    progress.feed(b' ' * 3000)  # the same line, now longer than MAX_LINE: it is skipped, not kept
    progress.feed(b'x\n[  1] 0.0000-2.0000 sec  224 MBytes  940 Mbits/sec\n')
    assert progress.duration_s == 2.0 and progress.streams == 1
    progress.feed(b'[  1] 2.0000-3.0000 sec  112 MBytes  940 Mbits/sec\n[  1] 0.00')
    assert progress.duration_s is None  # the latest full line is an interval's; half a line is not read
    progress.feed(b'00-3.0000 sec  336 MBytes  940 Mbits/sec\n')
    assert progress.duration_s == 3.0


@needs_iperf
def test_the_iperf2_receiver_reads_each_byte_once_and_parses_once(tmp_path, monkeypatch):
    fed, parsed = [], []

    class Counting(Iperf2Progress):
        def feed(self, data):
            fed.append(len(data))
            return Iperf2Progress.feed(self, data)

    def counting_parse(text, version, role=None):
        parsed.append(role)
        return real_parse(text, version, role=role)

    real_parse = iperf_runner.parse_output
    monkeypatch.setattr(iperf_runner, 'Iperf2Progress', Counting)
    monkeypatch.setattr(iperf_runner, 'parse_output', counting_parse)
    began = time.monotonic()
    results = run_pair(tmp_path, version=2, time=2, interval=0.1, parallel=2)
    assert results['receiver']['error'] is None and results['sender']['error'] is None, results
    assert results['receiver']['measurement']['received_bps'] > 0
    assert results['receiver']['measurement']['duration_s'] >= 1.8
    # Many looks, each at new bytes only: together they read the file at most once (not the
    # whole file at each look; what iperf prints after its final report is not looked at).
    size = os.path.getsize(results['receiver']['output_path'])
    assert len(fed) >= 10
    assert size / 2 < sum(fed) <= size
    assert parsed.count('server') == 1  # one whole parse, at its end (the sender parses each of its attempts)
    # The server was stopped once its report was out, not at its deadline (2 + 10 s).
    assert time.monotonic() - began < 8
    assert not iperf_children()


# ---------------------------------------------------------------- max_output_bytes

def test_max_output_bytes_is_checked():
    assert normalize_options({})['max_output_bytes'] == 64 * 1024 * 1024
    assert normalize_options(dict(max_output_bytes='8192', version=2))['max_output_bytes'] == 8192
    for bad in ('1M', 100, -1, True, 1 << 41):
        with pytest.raises(Exception, match='max_output_bytes'):
            normalize_options(dict(max_output_bytes=bad))


@needs_iperf
def test_a_side_past_its_output_cap_is_stopped_and_keeps_its_output(tmp_path):
    """iperf2 at -i 0.05 with 4 streams writes about 5 KB a second: the sender passes 4096 bytes in about a second."""
    began = time.monotonic()
    results = run_pair(tmp_path, version=2, time=30, interval=0.05, parallel=4, sender=dict(max_output_bytes=4096))
    took = time.monotonic() - began
    sender = results['sender']
    assert sender['error'] == 'sender output passed iperf_max_output_bytes (4096 bytes); the side was stopped'
    assert sender['stopped'] and not sender['timed_out'] and not sender['abandoned']
    with open(sender['output_path'], 'rb') as handle:
        kept = handle.read()
    assert len(kept) == 4096 and b'Client connecting to 127.0.0.1' in kept and b'connected with' in kept
    assert len(sender['measurement']['intervals']) > 3  # what it measured before the cap is parsed
    # The receiver sees its sender go and ends too, long before the 30 s test would have.
    assert took < 20
    assert results['receiver']['measurement']['received_bps'] > 0
    assert not iperf_children()


@needs_iperf
def test_iperf3_json_past_the_cap_fails_the_side_and_is_cut_at_the_cap(tmp_path):
    """iperf3 prints its JSON at the end: the client's 20 intervals of 0.1 s are about 13 KB, past a cap of 4096."""
    # The plan refuses such a cap for iperf3 (below); its estimate may still fall short on a host.
    results = run_pair(tmp_path, version=3, time=2, interval=0.1, sender=dict(after=dict(max_output_bytes=4096)))
    sender = results['sender']
    assert sender['error'] == 'sender output passed iperf_max_output_bytes (4096 bytes); the side was stopped'
    assert os.path.getsize(sender['output_path']) == 4096
    with open(sender['output_path'], 'rb') as handle:
        assert handle.read(1) == b'{'
    assert sender['measurement']['error'] == 'iperf3 output is not valid JSON (truncated?)'
    receiver = results['receiver']
    assert receiver['error'] is None and receiver['measurement']['received_bps'] > 0  # its own cap is the default
    assert not iperf_children()


def test_an_iperf3_test_whose_json_cannot_fit_the_cap_is_refused_at_the_plan():
    """iperf3 prints its JSON only at the end: past the cap, a whole test would be lost."""
    assert normalize_options(dict(time=86400))['max_output_bytes'] == 64 * 1024 * 1024  # a day of one stream fits
    with pytest.raises(Exception, match=r'max_output_bytes 67108864 is too small for the iperf3 output of this test '
                                        r'\(about \d+ bytes: 86400 reports of 2 streams\)'):
        normalize_options(dict(time=86400, parallel=2))
    assert normalize_options(dict(time=86400, parallel=2, interval=10))['parallel'] == 2
