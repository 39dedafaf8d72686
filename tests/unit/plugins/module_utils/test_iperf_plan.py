from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.apetools.iperf.plugins.module_utils.iperf_plan import (
    batches,
    check_versions,
    concurrency,
    devices,
    directions,
    floors,
    plan,
    repetitions,
    seconds,
    separate_ports,
    waves,
)
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_rundir import create_run_dir
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_session import IperfConfigurationError

NODES = [dict(host='node1', address='198.19.0.11'), dict(host='node2', id='dut2', address='198.19.0.12')]
TPC = [dict(host='tpc1', address='198.19.0.10')]


def test_devices():
    nodes, peers = devices(NODES, TPC)
    assert nodes == {'node1': dict(host='node1', address='198.19.0.11', tpc='tpc1'),
                     'dut2': dict(host='node2', address='198.19.0.12', tpc='tpc1')}
    assert peers == {'tpc1': dict(host='tpc1', address='198.19.0.10')}


def test_devices_several_tpcs_and_node_pairs():
    tpcs = TPC + [dict(host='tpc2', address='198.19.0.20')]
    nodes = [dict(NODES[0], tpc='tpc2'), dict(NODES[1], tpc='tpc1'),
             dict(host='node3', address='198.19.0.13', tpc='node1')]
    by_id, peers = devices(nodes, tpcs)
    assert [node['tpc'] for node in by_id.values()] == ['tpc2', 'tpc1', 'node1']
    assert peers == {'tpc2': dict(host='tpc2', address='198.19.0.20'),
                     'tpc1': dict(host='tpc1', address='198.19.0.10'),
                     'node1': dict(host='node1', address='198.19.0.11')}
    tests = plan(by_id, peers, ['to_node', 'from_node'], 1, 5201)
    assert [(t['sender'], t['receiver']) for t in tests] == [
        ('tpc2', 'node1'), ('node1', 'tpc2'), ('tpc1', 'node2'), ('node2', 'tpc1'),
        ('node1', 'node3'), ('node3', 'node1')]
    assert tests[4]['tpc'] == dict(host='node1', address='198.19.0.11')


@pytest.mark.parametrize('nodes, tpcs, message', [
    (NODES, TPC * 2, 'or set iperf_tpc on each node .*node node1 has none'),
    ([dict(NODES[0], tpc='node1')], TPC, 'iperf_tpc of node node1 names the node itself'),
    ([dict(NODES[0], tpc='tpc9')], TPC, "iperf_tpc of node node1 is 'tpc9', which is not a host"),
])
def test_devices_refuse_peers(nodes, tpcs, message):
    with pytest.raises(IperfConfigurationError, match=message):
        devices(nodes, tpcs)


@pytest.mark.parametrize('nodes, tpcs, message', [
    ([], TPC, 'no nodes'),
    (NODES, [], 'exactly one traffic PC'),
    (NODES, TPC * 2, 'exactly one traffic PC'),
    (NODES + [dict(host='tpc1', address='1.2.3.4')], TPC, 'both the nodes group and the tpc group'),
    (NODES + [dict(host='node3', id='dut2', address='1.2.3.4')], TPC, "iperf_node_id 'dut2' is used by both"),
    ([dict(host='node1', address=None)], TPC, 'test address .* of node node1'),
    (NODES, [dict(host='tpc1', address='')], 'test address .* of TPC tpc1'),
    ([dict(host='node1', id='../etc', address='1.2.3.4')], TPC, 'iperf_node_id of node1'),
    ([dict(host='node1', address='-oProxyCommand=x')], TPC, 'node node1'),
])
def test_devices_refuse(nodes, tpcs, message):
    with pytest.raises(IperfConfigurationError, match=message):
        devices(nodes, tpcs)


def test_directions():
    assert directions(None) == ['to_node', 'from_node']
    assert directions(['uplink', 'rx', 'tx']) == ['from_node', 'to_node']
    for bad in ('to_node', [], ['bogus'], ['?']):
        with pytest.raises(IperfConfigurationError):
            directions(bad)


@pytest.mark.parametrize('value', [0, -1, 'two', '1.5', True, None, 10001])
def test_repetitions_refuse(value):
    with pytest.raises(IperfConfigurationError, match='iperf_repetitions'):
        repetitions(value)


def test_plan_matrix():
    nodes, peers = devices(NODES, TPC)
    tests = plan(nodes, peers, ['to_node', 'from_node'], 2, 5201, filename_prefix='lab', filename_base='b')
    assert len(tests) == 8
    assert [(t['node'], t['direction'], t['repetition']) for t in tests[:4]] == [
        ('node1', 'to_node', 1), ('node1', 'from_node', 1), ('dut2', 'to_node', 1), ('dut2', 'from_node', 1)]
    first, second = tests[0], tests[1]
    assert (first['sender'], first['receiver'], first['receiver_address']) == ('tpc1', 'node1', '198.19.0.11')
    assert (second['sender'], second['receiver'], second['receiver_address']) == ('node1', 'tpc1', '198.19.0.10')
    assert [t['port'] for t in tests] == list(range(5201, 5209))
    assert first['filename'] == 'node1_lab_to_node_rep1_b.iperf'
    assert first['files'] == dict(sender='node1_lab_to_node_rep1_b.sender.iperf',
                                  receiver='node1_lab_to_node_rep1_b.receiver.iperf')
    assert len({t['filename'] for t in tests}) == len(tests)


def test_plan_ports_cycle_and_stay_in_range():
    nodes, peers = devices(NODES, TPC)
    tests = plan(nodes, peers, ['to_node'], 3, 6000, port_count=4)
    assert [t['port'] for t in tests] == [6000, 6001, 6002, 6003, 6000, 6001]
    with pytest.raises(IperfConfigurationError, match='runs past port'):
        plan(nodes, peers, ['to_node'], 1, 65500, port_count=100)


def test_run_dirs_never_collide(tmp_path):
    first = create_run_dir(str(tmp_path), now=0)
    second = create_run_dir(str(tmp_path), now=0)
    assert first != second and os.path.isdir(first) and os.path.isdir(second)
    assert os.readlink(str(tmp_path / 'latest')) == os.path.basename(second)


def test_latest_never_replaces_a_users_folder(tmp_path):
    (tmp_path / 'latest').mkdir()
    create_run_dir(str(tmp_path))
    assert (tmp_path / 'latest').is_dir() and not (tmp_path / 'latest').is_symlink()


@pytest.mark.parametrize('value, expected', [
    (None, {}),
    (1e6, {'to_node': 1e6, 'from_node': 1e6}),
    ('500M', {'to_node': 5e8, 'from_node': 5e8}),
    ('1.5 Gbit/s', {'to_node': 1.5e9, 'from_node': 1.5e9}),
    ({'downlink': '900M', 'uplink': 100}, {'to_node': 9e8, 'from_node': 100.0}),
])
def test_floors(value, expected):
    assert floors(value) == expected


@pytest.mark.parametrize('value', ['fast', '-5', True, {'sideways-x': 1, 'bogus': 2}, {'to_node': 'x'}])
def test_floors_refuse(value):
    with pytest.raises(IperfConfigurationError, match='iperf_min_bps|direction'):
        floors(value)


def test_floors_reach_the_tests():
    nodes, peers = devices(NODES, TPC)
    tests = plan(nodes, peers, ['to_node', 'from_node'], 1, 5201, min_bps=floors({'rx': '1G'}))
    assert [t['min_bps'] for t in tests[:2]] == [1e9, None]


def test_bidir_needs_iperf3_3_7():
    options = dict(version=3, bidir=True)
    check_versions(options, {'tpc1': {'iperf3': {'version': '3.12'}}, 'node1': {'iperf3': {'version': '3.7'}}})
    with pytest.raises(IperfConfigurationError, match='iperf_bidir needs iperf3 3.7 or newer, and host old has 3.1.3'):
        check_versions(options, {'old': {'iperf3': {'version': '3.1.3'}}})
    check_versions(dict(version=3, bidir=False), {'old': {'iperf3': {'version': '3.1.3'}}})


def _pairs(count):
    nodes = [dict(host='node%d' % i, address='198.19.0.%d' % (10 + i), tpc='tpc%d' % i) for i in range(1, count + 1)]
    tpcs = [dict(host='tpc%d' % i, address='198.19.0.%d' % (100 + i)) for i in range(1, count + 1)]
    return devices(nodes, tpcs)


def test_waves_run_disjoint_pairs_together():
    nodes, peers = _pairs(8)
    tests = plan(nodes, peers, ['to_node', 'from_node'], 2, 5201)
    schedule = waves(tests, 8)
    assert [len(wave) for wave in schedule] == [8, 8, 8, 8]
    assert [{t['direction'] for t in wave} for wave in schedule] == [{'to_node'}, {'from_node'}] * 2
    assert [wave[0]['repetition'] for wave in schedule] == [1, 1, 2, 2]


@pytest.mark.parametrize('limit', [1, 2, 3, 5, 8])
def test_waves_never_share_a_host_and_keep_each_hosts_order(limit):
    nodes, peers = devices([dict(host='node%d' % i, address='198.19.0.%d' % (10 + i), tpc='tpc%d' % (i % 3))
                            for i in range(7)],
                           [dict(host='tpc%d' % i, address='198.19.0.%d' % (100 + i)) for i in range(3)])
    tests = plan(nodes, peers, ['to_node', 'from_node'], 3, 5201)
    schedule = waves(tests, limit)
    assert sorted(t['index'] for wave in schedule for t in wave) == [t['index'] for t in tests]
    for wave in schedule:
        assert 1 <= len(wave) <= limit
        hosts = [host for t in wave for host in (t['sender'], t['receiver'])]
        assert len(hosts) == len(set(hosts))
    order = [t for wave in schedule for t in wave]
    for host in ['tpc0', 'node1']:
        mine = [t['index'] for t in order if host in (t['sender'], t['receiver'])]
        assert mine == sorted(mine)
    # Three TPCs: never more than three tests at once.
    assert max(len(wave) for wave in schedule) == min(limit, 3)


def test_one_at_a_time_is_the_plan_order():
    nodes, peers = devices(NODES, TPC)
    tests = plan(nodes, peers, ['to_node', 'from_node'], 2, 5201)
    assert [[t['index'] for t in wave] for wave in waves(tests, 1)] == [[i] for i in range(1, 9)]
    assert waves(tests, 4) == [[t] for t in tests]  # the TPC is in every test


@pytest.mark.parametrize('value', [0, -1, 'many', '2.5', True, 1001])
def test_concurrency_refuse(value):
    with pytest.raises(IperfConfigurationError, match='iperf_concurrency'):
        concurrency(value)
    assert concurrency('4') == 4


@pytest.mark.parametrize('value', [9, 'soon', '1.5', True, 86401])
def test_follow_timeout_refuse(value):
    with pytest.raises(IperfConfigurationError, match='iperf_follow_timeout .* whole number of seconds from 10'):
        seconds(value, 'iperf_follow_timeout', lowest=10)
    assert seconds('120', 'iperf_follow_timeout', lowest=10) == 120


def test_a_shared_tpc_serves_several_nodes_at_once_with_their_own_ports():
    nodes, peers = devices([dict(host='node%d' % i, address='198.19.0.%d' % (10 + i)) for i in range(1, 5)], TPC)
    tests = plan(nodes, peers, ['to_node', 'from_node'], 2, 5201, port_count=4)
    schedule = separate_ports(waves(tests, 3, {'tpc1': 3}), 5201, 4)
    assert [[(t['node'], t['direction'], t['repetition']) for t in wave] for wave in schedule][:2] == [
        [('node1', 'to_node', 1), ('node2', 'to_node', 1), ('node3', 'to_node', 1)],
        [('node1', 'from_node', 1), ('node2', 'from_node', 1), ('node3', 'from_node', 1)]]
    for wave in schedule:
        assert sum(1 for t in wave if 'tpc1' in (t['sender'], t['receiver'])) <= 3
        nodes_in_wave = [t['node'] for t in wave]
        assert len(nodes_in_wave) == len(set(nodes_in_wave)), 'a node of capacity 1 is in two tests'
        for host in {t['receiver'] for t in wave}:
            ports = [t['port'] for t in wave if t['receiver'] == host]
            assert len(ports) == len(set(ports)) and all(5201 <= p <= 5204 for p in ports), (host, ports)
    # Every node still runs its own tests in plan order.
    order = [t['index'] for wave in schedule for t in wave if t['node'] == 'node1']
    assert order == sorted(order)


def test_too_few_ports_for_a_shared_receiver_are_refused():
    nodes, peers = devices([dict(host='node%d' % i, address='198.19.0.%d' % (10 + i)) for i in range(1, 4)], TPC)
    tests = plan(nodes, peers, ['from_node'], 1, 5201, port_count=2)
    with pytest.raises(IperfConfigurationError, match='host tpc1 receives in 3 tests at once, and only 2 of the ports '
                                                      'from 5201 to 5202 are free: raise iperf_port_count'):
        separate_ports(waves(tests, 3, {'tpc1': 3}), 5201, 2)


def _order_and_overlap(batch):
    """Simulate a batch with tests of random lengths: each host runs its tests in order, a test starts when
    both hosts are free. Return (start, end) by index."""
    import random
    rng = random.Random(7)
    free, spans = {}, {}
    for wave in batch:
        for test in wave:
            hosts = (test['sender'], test['receiver'])
            start = max(free.get(host, 0.0) for host in hosts)
            spans[test['index']] = (start, start + rng.uniform(1, 10))
        for test in wave:
            for host in (test['sender'], test['receiver']):
                free[host] = max(free.get(host, 0.0), spans[test['index']][1])
    return spans


def test_one_tpc_runs_the_whole_matrix_in_one_batch():
    nodes, peers = devices(NODES, TPC)
    tests = plan(nodes, peers, ['to_node', 'from_node'], 2, 5201)
    result = batches(waves(tests, 1), 1, 160, 20)
    assert [[[t['index'] for t in wave] for wave in batch] for batch in result] == [[[i] for i in range(1, 9)]]
    # Each test waits for the budget of every earlier one: they all share the TPC.
    assert [t['starts_within'] for t in tests] == [160 * i for i in range(8)]
    assert [t['wave'] for t in tests] == list(range(1, 9))


def test_a_receiver_port_used_twice_starts_a_new_batch():
    nodes, peers = devices(NODES, TPC)
    tests = plan(nodes, peers, ['to_node', 'from_node'], 3, 5201, port_count=3)
    result = batches(waves(tests, 1), 1, 100, 20)
    for batch in result:
        used = [(t['receiver'], t['port']) for wave in batch for t in wave]
        assert len(used) == len(set(used))
    assert sum(len(batch) for batch in result) == 12 and len(result) > 1
    assert all(batch[0][0]['starts_within'] == 0 for batch in result)


def test_one_wave_per_batch_when_asked():
    nodes, peers = devices(NODES, TPC)
    tests = plan(nodes, peers, ['to_node'], 1, 5201)
    assert [len(batch) for batch in batches(waves(tests, 1), 1, 100, 20, one_wave=True)] == [1, 1]


def test_disjoint_pairs_each_keep_their_chain():
    nodes, peers = _pairs(8)
    tests = plan(nodes, peers, ['to_node', 'from_node'], 3, 5201)
    result = batches(waves(tests, 8), 8, 50, 20)
    assert len(result) == 1
    assert sorted(set(t['starts_within'] for t in tests)) == [0, 50, 100, 150, 200, 250]


def test_hosts_that_do_not_chain_need_a_new_batch_at_concurrency_one():
    # Two node pairs at concurrency 1: one after the other would run at once in a batch.
    nodes, peers = _pairs(2)
    tests = plan(nodes, peers, ['to_node'], 1, 5201)
    assert [len(batch) for batch in batches(waves(tests, 1), 1, 100, 20)] == [1, 1]


@pytest.mark.parametrize('limit', [1, 2, 3, 5])
def test_a_batch_never_runs_more_than_the_limit_at_once(limit):
    nodes, peers = devices([dict(host='node%d' % i, address='198.19.0.%d' % (10 + i), tpc='tpc%d' % (i % 3))
                            for i in range(7)],
                           [dict(host='tpc%d' % i, address='198.19.0.%d' % (100 + i)) for i in range(3)])
    tests = plan(nodes, peers, ['to_node', 'from_node'], 3, 5201)
    result = batches(waves(tests, limit), limit, 10, 20)
    assert [t['index'] for batch in result for wave in batch for t in wave] == sorted(
        t['index'] for t in tests) or limit > 1
    for batch in result:
        spans = _order_and_overlap(batch)
        for start, _end in spans.values():
            assert sum(1 for s, e in spans.values() if s <= start < e) <= limit
        # A test never starts before the budget of the earlier tests of its hosts says.
        for wave in batch:
            for test in wave:
                earlier = [t for w in batch for t in w if t['wave'] < test['wave']
                           and set((t['sender'], t['receiver'])) & set((test['sender'], test['receiver']))]
                assert test['starts_within'] >= max([t['starts_within'] + 10 for t in earlier] or [0])


def test_a_batch_has_no_more_hosts_than_forks():
    # One TPC and 6 nodes: every host waits in the task for its turn, and needs a fork meanwhile.
    nodes, peers = devices([dict(host='node%d' % i, address='198.19.0.%d' % (10 + i)) for i in range(1, 7)], TPC)
    tests = plan(nodes, peers, ['to_node', 'from_node'], 1, 5201)
    result = batches(waves(tests, 1), 1, 100, 5)
    assert [sorted(set(t['node'] for wave in batch for t in wave)) for batch in result] == [
        ['node1', 'node2', 'node3', 'node4'], ['node5', 'node6']]
