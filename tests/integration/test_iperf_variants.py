"""Every protocol and version shape, for real, on the lab: both directions, parallel, UDP, bidir."""
import json
import os

import pytest

from conftest import run_playbook

VARIANTS = [
    ('iperf3-tcp-parallel', ['-e', 'iperf_version=3', '-e', 'iperf_parallel=2']),
    ('iperf3-udp', ['-e', 'iperf_version=3', '-e', 'iperf_protocol=udp', '-e', 'iperf_bandwidth=50M']),
    ('iperf3-bidir', ['-e', 'iperf_version=3', '-e', 'iperf_bidir=true']),
    ('iperf2-tcp-parallel', ['-e', 'iperf_version=2', '-e', 'iperf_parallel=2', '-e', 'iperf_interval=0.5']),
    ('iperf2-udp', ['-e', 'iperf_version=2', '-e', 'iperf_protocol=udp', '-e', 'iperf_bandwidth=50M']),
]


@pytest.mark.parametrize('name, extra', VARIANTS, ids=[v[0] for v in VARIANTS])
def test_variant(lab, tmp_path, name, extra, no_iperf_left):
    run = run_playbook('apetools.iperf.session', lab['inventory'], str(tmp_path), '--limit', 'node1,tpc1',
                       '-e', 'iperf_time=2', *extra)
    assert run.rc == 0, run.output
    records = run.summary()
    assert [r['direction'] for r in records] == ['to_node', 'from_node']
    version = 2 if 'iperf_version=2' in extra else 3
    udp = 'iperf_protocol=udp' in extra
    for record in records:
        assert record['succeeded'], record
        assert record['iperf_version'] == version
        assert record['protocol'] == ('udp' if udp else 'tcp')
        assert record['throughput_bps'] > 0 and record['sent_bps'] > 0
        if udp:
            # UDP at 50 Mbit/s: the receiver measured jitter and loss.
            assert record['jitter_ms'] is not None and record['lost_percent'] is not None
            assert 25e6 < record['throughput_bps'] < 75e6
        if 'iperf_bidir=true' in extra:
            assert record['reverse'] and record['reverse']['received_bps'] > 0
        sides = {}
        for name in os.listdir(os.path.join(run.run_dir, 'records')):
            with open(os.path.join(run.run_dir, 'records', name)) as handle:
                side = json.load(handle)
            if side['direction'] == record['direction']:
                sides[side['role']] = side
        if 'iperf_parallel=2' in extra:
            assert sides['sender']['measurement']['streams'] == 2
        if version == 3 or any(arg.startswith('iperf_interval=') for arg in extra):
            assert sides['receiver']['measurement']['intervals'], 'the receiver reported intervals'
    assert len(os.listdir(run.run_dir)) >= 8
