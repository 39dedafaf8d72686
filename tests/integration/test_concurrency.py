"""iperf_concurrency on the lab: several TPCs and a node-to-node pair, tests at once."""
import json
import os

import pytest

from conftest import lab_builder, run_playbook

SESSION = 'apetools.iperf.session'


@pytest.fixture(scope='module')
def pairs_lab():
    """Three nodes and two TPCs: node1 with tpc1, node2 with tpc2, node3 with node1."""
    name = 'ic%d' % (os.getpid() % 1000)
    info = lab_builder.up(name, nodes=3, tpcs=2)
    try:
        yield info
    finally:
        lab_builder.down(name)


def _peers_inventory(path, peers):
    lines = ['all:', '  children:', '    nodes:', '      hosts:']
    lines += ['        %s: {iperf_tpc: %s}' % (node, peer) for node, peer in sorted(peers.items())]
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def _overlap(first, second):
    return first['started_at'] < second['ended_at'] and second['started_at'] < first['ended_at']


def test_disjoint_tests_run_at_once(pairs_lab, tmp_path):
    peers = _peers_inventory(tmp_path / 'peers.yml', dict(node1='tpc1', node2='tpc2', node3='node1'))
    run = run_playbook(SESSION, pairs_lab['inventory'], str(tmp_path / 'out'), '-i', peers,
                       '-e', 'iperf_time=3', '-e', 'iperf_concurrency=3', env=dict(ANSIBLE_SHOW_CUSTOM_STATS='true'))
    assert run.rc == 0, run.output
    # The figures reach AWX/AAP job artifacts (set_stats), for executions environments whose disk goes away.
    assert 'CUSTOM STATS' in run.output and 'failed_tests: 0' in run.output
    records = run.summary()
    assert [(r['node'], r['sender'], r['receiver']) for r in records] == [
        ('node1', 'tpc1', 'node1'), ('node1', 'node1', 'tpc1'),
        ('node2', 'tpc2', 'node2'), ('node2', 'node2', 'tpc2'),
        ('node3', 'node1', 'node3'), ('node3', 'node3', 'node1')]
    assert all(r['succeeded'] and r['throughput_bps'] > 0 for r in records), records
    # The receiver's own iperf3 JSON: the node-to-node test really went between the two nodes.
    hosts = pairs_lab['hosts']
    server = json.loads(run.raw(records[4]['files'][1]))
    connected = server['start']['connected'][0]
    assert (connected['remote_host'], connected['local_host']) == (
        hosts['node1']['test_address'], hosts['node3']['test_address'])
    # Tests of the two TPCs ran together; no host was ever in two tests at once.
    assert _overlap(records[0], records[2]) and _overlap(records[1], records[3])
    for first in records:
        for second in records:
            shared = {first['sender'], first['receiver']} & {second['sender'], second['receiver']}
            if first is not second and shared:
                assert not _overlap(first, second), (first, second)
    with open(os.path.join(run.run_dir, 'plan.json')) as handle:
        plan = json.load(handle)
    assert plan['concurrency'] == 3 and plan['tpc'] is None
    # Never more than iperf_concurrency tests at once.
    for record in records:
        assert sum(1 for other in records if _overlap(record, other)) <= 3
    # One task runs the four waves: each host keeps its order, so at most 3 tests run at once.
    assert [line.split(']')[0] for line in run.output.splitlines() if line.startswith('TASK [Iperf test ')] == [
        'TASK [Iperf test 1 to 6: node1 to_node rep 1 ... node3 from_node rep 1 (6 tests in 4 waves)']
    assert [(r['index'], r['wave']) for r in plan['tests']] == [(1, 1), (2, 2), (3, 1), (4, 2), (5, 3), (6, 4)]
    left = dict((host, lab_builder.iperf_pids_in_namespace(data['namespace'])) for host, data in hosts.items())
    assert not any(left.values()), left


def test_too_few_forks_is_said_and_capped(pairs_lab, tmp_path):
    peers = _peers_inventory(tmp_path / 'peers.yml', dict(node1='tpc1', node2='tpc2', node3='node1'))
    run = run_playbook(SESSION, pairs_lab['inventory'], str(tmp_path / 'out'), '-i', peers, '--forks', '3',
                       '-e', 'iperf_time=1', '-e', 'iperf_concurrency=3', '-e', '{"iperf_directions": ["to_node"]}')
    assert run.rc == 0, run.output
    assert 'iperf_concurrency 3 needs forks of at least 6, and forks is 3: running at most 1 at once' \
        in ' '.join(run.output.split())
    records = run.summary()
    for first, second in zip(records, records[1:]):
        assert first['ended_at'] <= second['started_at'] + 0.05


def test_two_tpcs_without_iperf_tpc_are_refused(pairs_lab, tmp_path):
    run = run_playbook(SESSION, pairs_lab['inventory'], str(tmp_path / 'out'))
    assert run.rc != 0
    assert ('the tpc group must hold exactly one traffic PC in this play, not 2 (tpc1, tpc2); or set iperf_tpc on '
            'each node to the host it tests with (node node1 has none)') in ' '.join(run.output.split())
    # The preflight took the hosts; a plan that fails gives every one of them back.
    locks = '/var/tmp/apetools-iperf-%s/locks' % pairs_lab['name']
    assert not os.path.exists(locks) or os.listdir(locks) == [], os.listdir(locks)


def test_one_tpc_serves_three_nodes_at_once(pairs_lab, tmp_path):
    """iperf_host_concurrency on the TPC: it is in three tests at once, each node in one, on distinct ports."""
    inventory = tmp_path / 'shared.yml'
    inventory.write_text('all:\n  children:\n    nodes:\n      hosts:\n'
                         + ''.join('        node%d: {iperf_tpc: tpc1}\n' % k for k in (1, 2, 3))
                         + '    tpc:\n      hosts:\n        tpc1: {iperf_host_concurrency: 3}\n')
    run = run_playbook(SESSION, pairs_lab['inventory'], str(tmp_path / 'out'), '-i', str(inventory),
                       '--limit', 'node1,node2,node3,tpc1', '-e', 'iperf_time=3', '-e', 'iperf_concurrency=3',
                       '-e', 'iperf_port_count=3')
    assert run.rc == 0, run.output
    records = run.summary()
    assert all(r['succeeded'] and r['throughput_bps'] > 0 for r in records), records
    for direction in ('to_node', 'from_node'):
        wave = [r for r in records if r['direction'] == direction]
        assert len(wave) == 3
        assert all(_overlap(a, b) for a in wave for b in wave), 'the three tests did not run together'
        assert len({r['port'] for r in wave}) == 3
    # tpc1 received three tests at once, each on its own port, as its servers' JSON says.
    ports = set()
    for record in records:
        if record['receiver'] == 'tpc1':
            server = json.loads(run.raw([f for f in record['files'] if f.endswith('.receiver.iperf')][0]))
            ports.add(server['start']['connected'][0]['local_port'])
    assert len(ports) == 3
    # No node was ever in two tests at once.
    for node in ('node1', 'node2', 'node3'):
        mine = [r for r in records if r['node'] == node]
        assert not _overlap(mine[0], mine[1]), mine


def test_fewer_forks_than_hosts_means_more_tasks_not_failures(pairs_lab, tmp_path):
    """Every host of a batch holds a fork for the whole task: with 2 forks, each batch is one node and tpc1."""
    inventory = tmp_path / 'shared.yml'
    inventory.write_text('all:\n  children:\n    nodes:\n      hosts:\n'
                         + ''.join('        node%d: {iperf_tpc: tpc1}\n' % k for k in (1, 2, 3)))
    run = run_playbook(SESSION, pairs_lab['inventory'], str(tmp_path / 'out'), '-i', str(inventory),
                       '--limit', 'node1,node2,node3,tpc1', '--forks', '2', '-e', 'iperf_time=1')
    assert run.rc == 0, run.output
    records = run.summary()
    assert len(records) == 6 and all(r['succeeded'] and r['throughput_bps'] > 0 for r in records), records
    assert [line.split(']')[0] for line in run.output.splitlines() if line.startswith('TASK [Iperf test ')] == [
        'TASK [Iperf test 1: node1 to_node rep 1, 2: node1 from_node rep 1',
        'TASK [Iperf test 3: node2 to_node rep 1, 4: node2 from_node rep 1',
        'TASK [Iperf test 5: node3 to_node rep 1, 6: node3 from_node rep 1']
