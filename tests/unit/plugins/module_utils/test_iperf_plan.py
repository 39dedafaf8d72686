from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.apetools.iperf.plugins.module_utils.iperf_plan import (
    check_versions,
    devices,
    directions,
    floors,
    plan,
    repetitions,
)
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_rundir import create_run_dir
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_session import IperfConfigurationError

NODES = [dict(host='node1', address='198.19.0.11'), dict(host='node2', id='dut2', address='198.19.0.12')]
TPC = [dict(host='tpc1', address='198.19.0.10')]


def test_devices():
    nodes, tpc = devices(NODES, TPC)
    assert nodes == {'node1': dict(host='node1', address='198.19.0.11'),
                     'dut2': dict(host='node2', address='198.19.0.12')}
    assert tpc == dict(host='tpc1', address='198.19.0.10')


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
    nodes, tpc = devices(NODES, TPC)
    tests = plan(nodes, tpc, ['to_node', 'from_node'], 2, 5201, filename_prefix='lab', filename_base='b')
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
    nodes, tpc = devices(NODES, TPC)
    tests = plan(nodes, tpc, ['to_node'], 3, 6000, port_count=4)
    assert [t['port'] for t in tests] == [6000, 6001, 6002, 6003, 6000, 6001]
    with pytest.raises(IperfConfigurationError, match='runs past port'):
        plan(nodes, tpc, ['to_node'], 1, 65500, port_count=100)


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
    nodes, tpc = devices(NODES, TPC)
    tests = plan(nodes, tpc, ['to_node', 'from_node'], 1, 5201, min_bps=floors({'rx': '1G'}))
    assert [t['min_bps'] for t in tests[:2]] == [1e9, None]


def test_bidir_needs_iperf3_3_7():
    options = dict(version=3, bidir=True)
    check_versions(options, {'tpc1': {'iperf3': {'version': '3.12'}}, 'node1': {'iperf3': {'version': '3.7'}}})
    with pytest.raises(IperfConfigurationError, match='iperf_bidir needs iperf3 3.7 or newer, and host old has 3.1.3'):
        check_versions(options, {'old': {'iperf3': {'version': '3.1.3'}}})
    check_versions(dict(version=3, bidir=False), {'old': {'iperf3': {'version': '3.1.3'}}})
