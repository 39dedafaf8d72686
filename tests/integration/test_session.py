"""The session playbook, for real, over SSH, on the namespace lab."""
import json
import os

import pytest

from conftest import run_playbook

SESSION = 'apetools.iperf.session'


@pytest.mark.parametrize('connection', ['ssh', 'paramiko'])
def test_session_over_ssh(lab, tmp_path, connection, no_iperf_left):
    run = run_playbook(SESSION, lab['inventory'], str(tmp_path), '-c', connection, '-e', 'iperf_time=1')
    assert run.rc == 0, run.output
    records = run.summary()
    hosts = lab['hosts']
    assert [(r['node'], r['direction']) for r in records] == [
        ('node1', 'to_node'), ('node1', 'from_node'), ('node2', 'to_node'), ('node2', 'from_node')]
    for record in records:
        assert record['succeeded'], record
        assert record['error'] is None
        assert record['throughput_bps'] > 0
        assert record['sender'] == ('tpc1' if record['direction'] == 'to_node' else record['node'])
        assert record['receiver'] == (record['node'] if record['direction'] == 'to_node' else 'tpc1')
        assert len(record['files']) == 2
        # The receiver's own iperf3 JSON says who connected to whom: traffic
        # went over the test network, from the sender's address to the receiver's.
        server = json.loads(run.raw([f for f in record['files'] if f.endswith('.receiver.iperf')][0]))
        connected = server['start']['connected'][0]
        assert connected['local_host'] == hosts[record['receiver']]['test_address']
        assert connected['remote_host'] == hosts[record['sender']]['test_address']
        client = json.loads(run.raw([f for f in record['files'] if f.endswith('.sender.iperf')][0]))
        assert client['end']['sum_received']['bits_per_second'] > 0
    with open(os.path.join(run.run_dir, 'summary.csv')) as handle:
        assert len(handle.read().strip().splitlines()) == len(records) + 1


def test_check_mode_shows_every_command_and_changes_nothing(lab, tmp_path, no_iperf_left):
    output, remote = tmp_path / 'out', tmp_path / 'remote'
    run = run_playbook(SESSION, lab['inventory'], str(output), '--check', '-e', 'iperf_time=1',
                       '-e', 'iperf_remote_dir=%s' % remote)
    assert run.rc == 0, run.output
    hosts = lab['hosts']
    lines = [line for line in run.output.splitlines() if ' would run: ' in line]
    assert len(lines) == 8, lines  # both sides of 4 tests
    assert 'node1 to_node rep 1: the receiver on node1 would run: iperf3 -s -p 5201 -1 -J' in lines
    assert ('node1 to_node rep 1: the sender on tpc1 would run: iperf3 -c %s -p 5201 -t 1 -J'
            % hosts['node1']['test_address']) in lines
    assert 'Check mode: 4 tests planned and checked on their hosts; nothing ran' in ' '.join(run.output.split())
    # No results folder on the controller, no file on the hosts.
    assert not output.exists() and not remote.exists()
    assert 'changed=0' in run.output and 'failed=0' in run.output
