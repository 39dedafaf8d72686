# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the iperf output parsers against real captured outputs.

The fixtures in tests/fixtures/iperf_output/ come from
tests/fixtures/capture.sh (iperf3 3.12 and iperf 2.1.8 on 127.0.0.1); the
files named iperf2_0x_* are synthesized from the documented iperf 2.0.x
format (see the README there). Checks compare the parsers with the raw files
(the JSON itself, or the report lines read here independently), and a few
pin figures of the committed capture (PINNED below: update it after a new
capture).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re

import pytest
from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st

from ansible_collections.apetools.iperf.tests.fixtures.long_iperf3 import long_iperf3_json
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_results import (
    DIRECTION_KEYS,
    MEASUREMENT_KEYS,
    parse_iperf2,
    parse_iperf3_json,
    parse_output,
)

FIXTURES = os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'fixtures', 'iperf_output'))


def read(name, stderr=True):
    """A fixture's stdout, with its stderr appended when there is one."""
    with open(os.path.join(FIXTURES, name)) as handle:
        text = handle.read()
    base = os.path.join(FIXTURES, name.rsplit('.', 1)[0])
    if stderr and os.path.exists(base + '.stderr'):
        with open(base + '.stderr') as handle:
            text += handle.read()
    return text


def load_json(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


def parse_fixture(name, stderr=True, role=None):
    return parse_output(read(name, stderr), 3 if name.startswith('iperf3') else 2, role=role)


def outputs():
    return sorted(name for name in os.listdir(FIXTURES)
                  if name.endswith(('.json', '.txt')) and name.startswith('iperf'))


IPERF3_SHAPES = ['tcp_p1', 'tcp_p2', 'udp_p1', 'udp_p2', 'tcp_bidir', 'udp_bidir',
                 'tcp_reverse', 'udp_reverse']
IPERF3_OK = ['iperf3_{0}_{1}.json'.format(shape, side)
             for shape in IPERF3_SHAPES for side in ('client', 'server')]

close = pytest.approx


# ---------------------------------------------------------------- schema

def test_fixtures_are_there():
    names = outputs()
    assert len(names) >= 60
    for name in IPERF3_OK:
        assert name in names


@pytest.mark.parametrize('name', outputs())
def test_schema(name):
    result = parse_fixture(name)
    assert tuple(result) == MEASUREMENT_KEYS
    assert result['error'] is None or (isinstance(result['error'], str) and result['error'])
    assert result['protocol'] in (None, 'tcp', 'udp')
    assert result['role'] in (None, 'client', 'server')
    for key in ('streams', 'sent_bytes', 'received_bytes', 'retransmits', 'lost_packets',
                'packets'):
        assert result[key] is None or (isinstance(result[key], int) and not isinstance(result[key], bool)), key
    for key in ('duration_s', 'sent_bps', 'received_bps', 'jitter_ms', 'lost_percent',
                'cpu_local_percent', 'cpu_remote_percent'):
        assert result[key] is None or isinstance(result[key], float), key
    assert isinstance(result['intervals'], list)
    for interval in result['intervals']:
        assert sorted(interval) == ['bps', 'end', 'start']
        assert interval['end'] >= interval['start']
    if result['reverse'] is not None:
        assert tuple(result['reverse']) == DIRECTION_KEYS
    json.dumps(result)  # plain data, fit for a module's result


@pytest.mark.parametrize('name', [n for n in outputs() if 'refused' not in n
                                  and 'killed' not in n and 'human' not in n])
def test_every_real_run_has_a_figure(name):
    result = parse_fixture(name)
    assert result['sent_bps'] or result['received_bps'], result
    assert result['duration_s'] > 0
    assert result['streams'] >= 1
    assert result['protocol'] == ('udp' if '_udp' in name else 'tcp')


# ---------------------------------------------------------------- iperf3

# name: {key: expected}; 'x' means "a number", None means "not measured".
IPERF3_TABLE = [
    ('iperf3_tcp_p1_client.json', dict(role='client', protocol='tcp', streams=1, sent_bps='x',
                                       received_bps='x', retransmits='x', jitter_ms=None,
                                       cpu_local_percent='x', cpu_remote_percent='x',
                                       reverse=None)),
    ('iperf3_tcp_p1_server.json', dict(role='server', protocol='tcp', streams=1, sent_bps=None,
                                       received_bps='x', retransmits=None,
                                       cpu_local_percent='x', cpu_remote_percent=None)),
    ('iperf3_tcp_p2_client.json', dict(role='client', streams=2, sent_bps='x', received_bps='x',
                                       retransmits='x')),
    ('iperf3_tcp_p2_server.json', dict(role='server', streams=2, sent_bps=None,
                                       received_bps='x')),
    ('iperf3_udp_p1_client.json', dict(role='client', protocol='udp', sent_bps='x',
                                       received_bps='x', retransmits=None, jitter_ms='x',
                                       lost_percent='x', lost_packets='x', packets='x')),
    ('iperf3_udp_p1_server.json', dict(role='server', protocol='udp', sent_bps=None,
                                       received_bps='x', jitter_ms='x', lost_packets='x',
                                       packets='x')),
    ('iperf3_udp_p2_client.json', dict(streams=2, jitter_ms='x', packets='x')),
    ('iperf3_udp_p2_server.json', dict(streams=2, jitter_ms='x', sent_bps=None)),
    ('iperf3_tcp_reverse_client.json', dict(role='client', sent_bps='x', received_bps='x',
                                            retransmits='x')),
    ('iperf3_tcp_reverse_server.json', dict(role='server', sent_bps='x', received_bps=None,
                                            retransmits='x', cpu_remote_percent=None)),
    ('iperf3_udp_reverse_client.json', dict(role='client', received_bps='x', jitter_ms='x')),
    ('iperf3_udp_reverse_server.json', dict(role='server', sent_bps='x', received_bps=None,
                                            jitter_ms=None, lost_packets=None, packets='x')),
    ('iperf3_tcp_bidir_server.json', dict(role='server', sent_bps=None, received_bps='x')),
    ('iperf3_refused_client.json', dict(
        role='client', error='unable to connect to server: Connection refused', protocol=None,
        sent_bps=None, received_bps=None, intervals=[], reverse=None)),
    ('iperf3_refused_human_client.txt', dict(
        error='unable to connect to server: Connection refused', sent_bps=None)),
    ('iperf3_server_killed_server.json', dict(
        role='server', error='interrupt - the server has terminated', received_bps=None)),
    ('iperf3_interrupted_client.json', dict(
        role='client', error='interrupt - the client has terminated', sent_bps='x',
        received_bps=None, retransmits='x')),
    ('iperf3_interrupted_server.json', dict(
        role='server', error='the client has terminated', received_bps='x', sent_bps=None)),
    ('iperf3_tcp_human_client.txt', dict(error='iperf3 output is not JSON (run iperf3 with -J)')),
]


def check_table(result, expected):
    for key, value in expected.items():
        if value == 'x':
            assert isinstance(result[key], (int, float)) and not isinstance(result[key], bool), \
                (key, result[key])
        elif isinstance(value, float):
            assert result[key] == close(value, rel=1e-9), (key, result[key])
        elif key == 'intervals':
            assert result[key] == [{k: close(v, rel=1e-9) for k, v in i.items()} for i in value]
        else:
            assert result[key] == value, (key, result[key])


@pytest.mark.parametrize('name, expected', IPERF3_TABLE, ids=[row[0] for row in IPERF3_TABLE])
def test_iperf3_table(name, expected):
    result = parse_fixture(name)
    check_table(result, expected)
    if expected.get('error') is None and 'error' not in expected:
        assert result['error'] is None


@pytest.mark.parametrize('name', IPERF3_OK)
def test_iperf3_figures_come_from_end_sums(name):
    data = load_json(name)
    end = data['end']
    result = parse_iperf3_json(read(name))
    server = name.endswith('_server.json')
    reverse_test = bool(data['start']['test_start']['reverse'])
    sends = server == reverse_test
    if not server or sends:
        assert result['sent_bps'] == end['sum_sent']['bits_per_second']
        assert result['sent_bytes'] == end['sum_sent']['bytes']
    else:
        assert result['sent_bps'] is None and result['sent_bytes'] is None
    if not server or not sends:
        assert result['received_bps'] == end['sum_received']['bits_per_second']
        assert result['received_bytes'] == end['sum_received']['bytes']
        if result['protocol'] == 'udp':
            assert result['jitter_ms'] == end['sum_received']['jitter_ms']
            assert result['lost_packets'] == end['sum_received']['lost_packets']
            assert result['packets'] == end['sum_received']['packets']
    else:
        assert result['received_bps'] is None
    per_direction = len(end['streams']) // (2 if 'bidir' in name else 1)
    assert result['streams'] == data['start']['test_start']['num_streams'] == per_direction
    assert result['cpu_local_percent'] == end['cpu_utilization_percent']['host_total']
    if result['protocol'] == 'tcp' and (not server or sends):
        assert result['retransmits'] == end['sum_sent']['retransmits']
    intervals = [i['sum'] for i in data['intervals']]
    assert [i['bps'] for i in result['intervals']] == [i['bits_per_second'] for i in intervals]
    assert [(i['start'], i['end']) for i in result['intervals']] == \
        [(i['start'], i['end']) for i in intervals]


@pytest.mark.parametrize('name', ['iperf3_tcp_p2_client.json', 'iperf3_tcp_p2_server.json',
                                  'iperf3_udp_p2_client.json', 'iperf3_udp_p2_server.json'])
def test_iperf3_parallel_sum_is_sum_of_streams(name):
    data = load_json(name)
    result = parse_iperf3_json(read(name))
    half = 'sender' if name.endswith('client.json') else 'receiver'
    if 'udp' in name:
        # iperf3 3.12's UDP server leaves bytes and bits_per_second of its
        # end.streams at 0; the datagram counts are there.
        streams = [s['udp'] for s in data['end']['streams']]
        assert sum(s['packets'] for s in streams) == result['packets']
        if half == 'sender':
            assert sum(s['bytes'] for s in streams) == result['sent_bytes']
    else:
        streams_bps = sum(s[half]['bits_per_second'] for s in data['end']['streams'])
        figure = result['sent_bps' if half == 'sender' else 'received_bps']
        assert figure == close(streams_bps, rel=1e-3)
    assert len(result['intervals']) == len(data['intervals'])
    for interval, raw in zip(result['intervals'], data['intervals']):
        # the interval's sum: all streams' bytes over the sum's seconds
        nbytes = sum(s['bytes'] for s in raw['streams'])
        assert nbytes == raw['sum']['bytes']
        assert interval['bps'] == close(nbytes * 8 / raw['sum']['seconds'], rel=1e-6)
        if interval['end'] - interval['start'] > 0.5:  # not the short tail interval
            assert interval['bps'] == close(
                sum(s['bits_per_second'] for s in raw['streams']), rel=1e-3)


@pytest.mark.parametrize('name', ['iperf3_tcp_bidir_client.json', 'iperf3_tcp_bidir_server.json',
                                  'iperf3_udp_bidir_client.json', 'iperf3_udp_bidir_server.json'])
def test_iperf3_bidir_reverse(name):
    data = load_json(name)
    end = data['end']
    result = parse_iperf3_json(read(name))
    reverse = result['reverse']
    assert tuple(reverse) == DIRECTION_KEYS
    # the server sends the reverse direction: it knows the sent half; the
    # client knows both.
    assert reverse['sent_bps'] == end['sum_sent_bidir_reverse']['bits_per_second']
    if name.endswith('client.json'):
        assert reverse['received_bps'] == end['sum_received_bidir_reverse']['bits_per_second']
        assert result['sent_bps'] == end['sum_sent']['bits_per_second']
    else:
        assert reverse['received_bps'] is None
        assert result['sent_bps'] is None
    assert result['received_bps'] == end['sum_received']['bits_per_second']
    assert [i['bps'] for i in reverse['intervals']] == \
        [i['sum_bidir_reverse']['bits_per_second'] for i in data['intervals']]
    if 'tcp' in name:
        assert reverse['retransmits'] == end['sum_sent_bidir_reverse']['retransmits']
    else:
        assert reverse['retransmits'] is None


def test_iperf3_reverse_test_sides_agree():
    client = parse_fixture('iperf3_tcp_reverse_client.json')
    server = parse_fixture('iperf3_tcp_reverse_server.json')
    # in -R the server sends: its sent figure is the one the client got back
    assert server['sent_bps'] == client['sent_bps']
    assert server['retransmits'] == client['retransmits']


def test_iperf3_client_and_server_agree_on_received():
    for shape in IPERF3_SHAPES:
        if 'reverse' in shape:
            continue
        client = parse_fixture('iperf3_{0}_client.json'.format(shape))
        server = parse_fixture('iperf3_{0}_server.json'.format(shape))
        assert client['received_bps'] == server['received_bps'], shape
        assert client['received_bytes'] == server['received_bytes'], shape


# Figures of the committed capture. Update after running capture.sh again.
PINNED = {
    'iperf3_tcp_p1_client.json': dict(sent_bps=10961080904.353043, received_bytes=2740715414,
                                      retransmits=41, duration_s=2.000866),
    'iperf3_udp_p1_server.json': dict(received_bps=50058416.06084252,
                                      jitter_ms=0.024839200044227776, packets=382,
                                      lost_packets=0),
    # [  1] 0.0000-1.0295 sec  1.42 GBytes  11.9 Gbits/sec
    'iperf2_tcp_p1_client.txt': dict(sent_bps=11.9e9, sent_bytes=1524713390, duration_s=1.0295),
    # -f K: [  1] 0.0000-1.0200 sec  948352 KBytes  929782 KBytes/sec
    'iperf2_tcp_f_kbytes_client.txt': dict(sent_bps=929782 * 1024 * 8.0,
                                           sent_bytes=948352 * 1024),
    # -f m: [  1] 0.0000-1.0101 sec   960 MBytes  7974 Mbits/sec
    'iperf2_tcp_f_m_client.txt': dict(sent_bps=7974e6, sent_bytes=960 * 1024 * 1024),
    # -f b: [  1] 0.0000-1.0226 sec  517079100 Bytes  4045139827 bits/sec
    'iperf2_tcp_f_b_client.txt': dict(sent_bps=4045139827.0, sent_bytes=517079100),
    # [SUM] 0.0000-1.0000 sec  1.92 GBytes  16.5 Gbits/sec ... [SUM] 0.0000-2.0001 ... 16.6
    'iperf2_tcp_p2_i1_client.txt': dict(sent_bps=16.6e9, duration_s=2.0001, intervals=[
        {'start': 0.0, 'end': 1.0, 'bps': 16.5e9}, {'start': 1.0, 'end': 2.0, 'bps': 16.7e9}]),
    # [SUM] 0.0000-2.0014 sec  1.80 GBytes  7.72 Gbits/sec  14731/0        48
    'iperf2_enhanced_tcp_p2_i1_client.txt': dict(sent_bps=7.72e9, retransmits=48),
    # [  1] 0.0000-2.0003 sec  12.5 MBytes  52.4 Mbits/sec   0.003 ms 0/8919 (0%)
    'iperf2_udp_p1_server.txt': dict(received_bps=52.4e6, jitter_ms=0.003, packets=8919,
                                     lost_packets=0, lost_percent=0.0, duration_s=2.0003),
    'iperf2_csv_tcp_p2_client.txt': dict(sent_bps=17902597831.0, sent_bytes=2266628216),
    'iperf3_refused_client.json': dict(error='unable to connect to server: Connection refused'),
}


@pytest.mark.parametrize('name, expected', sorted(PINNED.items()))
def test_pinned_figures(name, expected):
    result = parse_fixture(name)
    for key, value in expected.items():
        if isinstance(value, float):
            assert result[key] == close(value, rel=1e-9), key
        elif key == 'intervals':
            assert result[key] == [{k: close(v, rel=1e-9) for k, v in i.items()} for i in value]
        else:
            assert result[key] == value, key


# ---------------------------------------------------------------- iperf3 bad output

def truncations():
    text = read('iperf3_tcp_p1_client.json')
    assert text.endswith('}\n')
    return [text[:n] for n in (1, 2, 10, len(text) // 3, len(text) // 2, len(text) - 3,
                               len(text) - 2)]


@pytest.mark.parametrize('text', truncations())
def test_iperf3_truncated_json(text):
    result = parse_iperf3_json(text)
    assert result['error'] == 'iperf3 output is not valid JSON (truncated?)'
    assert tuple(result) == MEASUREMENT_KEYS
    assert result['sent_bps'] is None


@pytest.mark.parametrize('text, error', [
    ('', 'iperf3 produced no output'),
    ('   \n', 'iperf3 produced no output'),
    (None, 'iperf3 produced no output'),
    (b'', 'iperf3 produced no output'),
    ('garbage', 'iperf3 output is not valid JSON (truncated or not iperf3 output?)'),
    ('[1, 2]', 'iperf3 output is not an iperf3 JSON result'),
    ('42', 'iperf3 output is not an iperf3 JSON result'),
    ('{}', 'iperf3 output has no end-of-test results'),
    ('{"start": {}, "intervals": [], "end": {}}', 'iperf3 output has no end-of-test results'),
    ('{"end": {"sum_sent": "x", "sum_received": [1]}, "intervals": 3}',
     'iperf3 output has no end-of-test results'),
    ('{"start": [], "end": 5, "intervals": [null, 1, {"sum": 2}], "error": 7}',
     'iperf3 output has no end-of-test results'),
    ('iperf3: error - unable to connect to server: No route to host\n',
     'unable to connect to server: No route to host'),
    ('iperf3: error - the server is busy running a test. try again later\n',
     'the server is busy running a test. try again later'),
])
def test_iperf3_bad_output(text, error):
    result = parse_iperf3_json(text)
    assert result['error'] == error
    assert tuple(result) == MEASUREMENT_KEYS


def test_iperf3_bytes_input():
    text = read('iperf3_tcp_p1_client.json')
    assert parse_iperf3_json(text.encode('utf-8')) == parse_iperf3_json(text)


def test_iperf3_json_followed_by_stderr_text():
    text = read('iperf3_tcp_p1_client.json')
    result = parse_iperf3_json(text + '\niperf3: interrupt - the client has terminated\n')
    assert result['sent_bps'] == parse_iperf3_json(text)['sent_bps']


def test_iperf3_several_json_objects_take_the_last_with_results():
    first = read('iperf3_tcp_p1_server.json')
    second = read('iperf3_tcp_p2_server.json')
    killed = read('iperf3_server_killed_server.json')
    result = parse_iperf3_json(first + second + killed)
    assert result['received_bps'] == parse_iperf3_json(second)['received_bps']
    assert result['streams'] == 2


def test_iperf3_omitted_intervals_are_left_out():
    data = load_json('iperf3_tcp_p1_client.json')
    data['intervals'][0]['sum']['omitted'] = True
    result = parse_iperf3_json(json.dumps(data))
    assert len(result['intervals']) == len(data['intervals']) - 1


def test_iperf3_old_udp_with_only_end_sum():
    """iperf3 before 3.2: UDP results only in end.sum."""
    data = load_json('iperf3_udp_p1_client.json')
    del data['end']['sum_sent'], data['end']['sum_received']
    result = parse_iperf3_json(json.dumps(data))
    assert result['sent_bps'] == data['end']['sum']['bits_per_second']
    assert result['jitter_ms'] == data['end']['sum']['jitter_ms']
    assert result['received_bps'] is None


def test_iperf3_role_hint_only_when_json_does_not_tell():
    assert parse_iperf3_json('{}', role='server')['role'] == 'server'
    text = read('iperf3_tcp_p1_client.json')
    assert parse_iperf3_json(text, role='server')['role'] == 'client'


# ---------------------------------------------------------------- iperf2 human

STREAM_LINE = re.compile(r'^\[\s*(\*?)(\d+)\]\s+(\d+\.\d+)\s*-\s*(\d+\.\d+) sec\s+(\S+) (\w*)Bytes'
                         r'\s+(\S+) (\w*)(bits|Bytes)/sec')
SCALE = {'': 1, 'K': 1e3, 'M': 1e6, 'G': 1e9}
BYTE_SCALE = {'': 1, 'K': 1024, 'M': 1024 ** 2, 'G': 1024 ** 3}


def stream_finals(name, star=''):
    """Per-stream whole-test lines (start 0, last of their id), read here."""
    last = {}
    for line in read(name, stderr=False).splitlines():
        match = STREAM_LINE.match(line)
        if match and match.group(1) == star:
            last[match.group(2)] = match
    finals = [m for m in last.values() if float(m.group(3)) == 0]
    bps = []
    for m in finals:
        scale = SCALE[m.group(8)] if m.group(9) == 'bits' else BYTE_SCALE[m.group(8)] * 8
        bps.append(float(m.group(7)) * scale)
    return bps


IPERF2_TABLE = [
    ('iperf2_tcp_p1_client.txt', dict(role='client', protocol='tcp', streams=1, sent_bps='x',
                                      received_bps=None, jitter_ms=None, retransmits=None,
                                      intervals=[], reverse=None, cpu_local_percent=None)),
    ('iperf2_tcp_p1_server.txt', dict(role='server', protocol='tcp', streams=1, sent_bps=None,
                                      received_bps='x')),
    ('iperf2_tcp_p2_client.txt', dict(role='client', streams=2, sent_bps='x')),
    ('iperf2_tcp_p2_server.txt', dict(role='server', streams=2, received_bps='x')),
    ('iperf2_tcp_p2_i1_client.txt', dict(role='client', streams=2, sent_bps='x')),
    ('iperf2_tcp_p2_i1_server.txt', dict(role='server', streams=2, received_bps='x')),
    ('iperf2_udp_p1_client.txt', dict(role='client', protocol='udp', sent_bps='x',
                                      received_bps='x', jitter_ms='x', lost_packets='x',
                                      lost_percent='x', packets='x')),
    ('iperf2_udp_p1_server.txt', dict(role='server', protocol='udp', sent_bps=None,
                                      received_bps='x', jitter_ms='x', lost_packets='x',
                                      lost_percent='x', packets='x')),
    ('iperf2_udp_p2_client.txt', dict(role='client', protocol='udp', streams=2, jitter_ms='x')),
    ('iperf2_udp_p2_server.txt', dict(role='server', protocol='udp', streams=2, jitter_ms='x')),
    ('iperf2_udp_p2_i1_server.txt', dict(role='server', protocol='udp', streams=2,
                                         jitter_ms='x')),
    ('iperf2_enhanced_tcp_p1_client.txt', dict(role='client', sent_bps='x', retransmits='x')),
    ('iperf2_enhanced_tcp_p1_server.txt', dict(role='server', received_bps='x',
                                               retransmits=None)),
    ('iperf2_enhanced_tcp_p2_i1_client.txt', dict(streams=2, sent_bps='x', retransmits='x')),
    ('iperf2_enhanced_udp_p1_client.txt', dict(protocol='udp', sent_bps='x', received_bps='x',
                                               jitter_ms='x', packets='x')),
    ('iperf2_enhanced_udp_p1_server.txt', dict(protocol='udp', received_bps='x',
                                               jitter_ms='x')),
    ('iperf2_tcp_p2_i1_sum_only_client.txt', dict(role='client', streams=2, sent_bps=5.17e9,
                                                  duration_s=2.0032, intervals=[
                                                      {'start': 0.0, 'end': 1.0, 'bps': 4.94e9},
                                                      {'start': 1.0, 'end': 2.0, 'bps': 5.42e9}])),
    ('iperf2_tcp_p2_i1_sum_only_server.txt', dict(role='server', streams=2, received_bps=5.08e9,
                                                  sent_bps=None)),
    ('iperf2_tcp_reverse_client.txt', dict(role='client', sent_bps=None, received_bps='x')),
    ('iperf2_tcp_reverse_server.txt', dict(role='server', sent_bps='x', received_bps=None)),
    ('iperf2_refused_client.txt', dict(role='client',
                                       error='tcp connect failed: Connection refused',
                                       sent_bps=None, received_bps=None)),
    ('iperf2_refused_csv_client.txt', dict(error='tcp connect failed: Connection refused',
                                           sent_bps=None)),
    ('iperf2_udp_refused_client.txt', dict(role='client', protocol='udp',
                                           error='read failed: Connection refused',
                                           received_bps=None)),
]


@pytest.mark.parametrize('name, expected', IPERF2_TABLE, ids=[row[0] for row in IPERF2_TABLE])
def test_iperf2_table(name, expected):
    result = parse_fixture(name)
    check_table(result, expected)
    if 'error' not in expected:
        assert result['error'] is None


def test_iperf2_refused_without_stderr():
    """iperf 2.1.8 says why only on stderr, and exits 0."""
    result = parse_iperf2(read('iperf2_refused_client.txt', stderr=False))
    assert result['error'] == \
        'iperf2 could not connect to the server (it reported local 0.0.0.0 port 0)'
    assert parse_iperf2(read('iperf2_refused_csv_client.txt', stderr=False))['error'] == \
        'iperf2 produced no output'


@pytest.mark.parametrize('name', ['iperf2_tcp_p2_client.txt', 'iperf2_tcp_p2_server.txt',
                                  'iperf2_tcp_p2_i1_client.txt', 'iperf2_tcp_p2_i1_server.txt',
                                  'iperf2_udp_p2_client.txt', 'iperf2_udp_p2_server.txt',
                                  'iperf2_udp_p2_i1_client.txt',
                                  'iperf2_enhanced_tcp_p2_i1_client.txt',
                                  'iperf2_enhanced_tcp_p2_i1_server.txt',
                                  'iperf2_0x_tcp_p2_i1_client.txt'])
def test_iperf2_parallel_sum_line_is_the_figure(name):
    result = parse_fixture(name)
    figure = result['sent_bps'] if result['role'] == 'client' else result['received_bps']
    sum_lines = [line for line in read(name).splitlines()
                 if line.startswith('[SUM]') and 'sec' in line and 'Bytes' in line]
    assert sum_lines, 'the fixture has [SUM] lines'
    # the [SUM] figure has 3 significant digits and its own duration; the
    # streams' own lines add up to it within rounding
    streams = stream_finals(name)
    assert len(streams) == 2
    assert figure == close(sum(streams), rel=0.02)
    # the whole-test [SUM] line comes after the streams' whole-test lines
    assert re.match(r'\[SUM\]\s+0\.0+-', sum_lines[-1])
    value, unit = re.search(r'([\d.]+) (\w*)bits/sec', sum_lines[-1]).groups()
    assert figure == close(float(value) * SCALE[unit], rel=1e-9)


@pytest.mark.parametrize('name', ['iperf2_tcp_p2_i1_client.txt', 'iperf2_tcp_p2_i1_server.txt',
                                  'iperf2_udp_p2_i1_client.txt', 'iperf2_udp_p2_i1_server.txt',
                                  'iperf2_enhanced_tcp_p2_i1_client.txt',
                                  'iperf2_tcp_full_duplex_client.txt',
                                  'iperf2_udp_p1_client.txt', 'iperf2_udp_p1_server.txt'])
def test_iperf2_intervals_exclude_the_whole_test_line(name):
    result = parse_fixture(name)
    assert len(result['intervals']) == 2  # -t 2 -i 1
    assert [round(i['start']) for i in result['intervals']] == [0, 1]
    assert all(i['end'] - i['start'] < 1.1 for i in result['intervals'])
    assert all(i['bps'] > 0 for i in result['intervals'])


def test_iperf2_missing_whole_test_sum_line():
    """This capture of iperf 2.1.8's UDP server printed a [SUM] for the
    first interval only: no [SUM] for 1-2 and none for the whole test."""
    name = 'iperf2_udp_p2_i1_server.txt'
    text = read(name)
    sum_lines = [line for line in text.splitlines() if line.startswith('[SUM]') and 'Bytes' in line]
    assert len(sum_lines) == 1 and sum_lines[0].startswith('[SUM] 0.0000-1.0000')
    result = parse_fixture(name)
    finals = [m for m in (STREAM_LINE.match(line) for line in text.splitlines())
              if m and m.group(3) == '0.0000' and float(m.group(4)) > 1.5]
    assert len(finals) == 2
    assert result['received_bps'] == close(
        sum(float(m.group(7)) * SCALE[m.group(8)] for m in finals))
    assert result['duration_s'] == max(float(m.group(4)) for m in finals)
    assert result['intervals'][0]['bps'] == close(105e6)  # the [SUM] line's


def test_iperf2_interval_without_sum_line_is_summed_from_streams():
    """iperf 2.1.8's UDP server left out the last interval's [SUM] line."""
    name = 'iperf2_udp_p2_i1_server.txt'
    text = read(name)
    result = parse_fixture(name)
    sums = [line for line in text.splitlines()
            if line.startswith('[SUM]') and 'Bytes' in line]
    seconds = [m for m in (STREAM_LINE.match(line) for line in text.splitlines())
               if m and m.group(3).startswith('1.')]
    expected = sum(float(m.group(7)) * SCALE[m.group(8)] for m in seconds)
    assert len(seconds) == 2
    if len(sums) == 2:  # no [SUM] for 1-2 in this capture
        assert result['intervals'][1]['bps'] == close(expected)


def test_iperf2_udp_loss_adds_up_streams():
    """The [SUM] line of iperf 2.1.8 can miscount lost datagrams; streams win."""
    name = 'iperf2_udp_p2_i1_server.txt'
    result = parse_fixture(name)
    per_stream = {}
    for line in read(name).splitlines():
        match = re.search(r'^\[\s*(\d+)\] (\S+)-\S+ sec .* (\d+)/(\d+) \(', line)
        if match:  # the last line of each stream is its whole-test line
            per_stream[match.group(1)] = (match.group(2), int(match.group(3)),
                                          int(match.group(4)))
    assert len(per_stream) == 2
    assert all(values[0] == '0.0000' for values in per_stream.values())
    assert result['lost_packets'] == sum(v[1] for v in per_stream.values())
    assert result['packets'] == sum(v[2] for v in per_stream.values())
    assert result['lost_percent'] == close(100.0 * result['lost_packets'] / result['packets'])


def test_iperf2_udp_client_reads_the_server_report():
    client = parse_fixture('iperf2_udp_p1_client.txt')
    server = parse_fixture('iperf2_udp_p1_server.txt')
    assert client['received_bytes'] == server['received_bytes']
    assert client['packets'] == server['packets']
    assert client['lost_packets'] == server['lost_packets']
    assert client['sent_bps'] == close(50e6, rel=0.1)


@pytest.mark.parametrize('side', ['client', 'server'])
def test_iperf2_full_duplex(side):
    name = 'iperf2_tcp_full_duplex_{0}.txt'.format(side)
    result = parse_fixture(name)
    forward = stream_finals(name, star='')
    backward = stream_finals(name, star='*')
    assert len(forward) == len(backward) == 1
    reverse = result['reverse']
    assert tuple(reverse) == DIRECTION_KEYS
    if side == 'client':  # '*' lines are server -> client traffic
        assert result['sent_bps'] == close(forward[0])
        assert reverse['received_bps'] == close(backward[0])
        assert result['received_bps'] is None and reverse['sent_bps'] is None
    else:
        assert result['received_bps'] == close(forward[0])
        assert reverse['sent_bps'] == close(backward[0])
    assert len(reverse['intervals']) == 2


def test_iperf2_full_duplex_sides_agree_on_bytes():
    client = parse_fixture('iperf2_tcp_full_duplex_client.txt')
    server = parse_fixture('iperf2_tcp_full_duplex_server.txt')
    assert client['sent_bytes'] == server['received_bytes']
    assert client['reverse']['received_bytes'] == server['reverse']['sent_bytes']


def test_iperf2_reverse_sides_agree_on_bytes():
    client = parse_fixture('iperf2_tcp_reverse_client.txt')
    server = parse_fixture('iperf2_tcp_reverse_server.txt')
    assert client['received_bytes'] == server['sent_bytes']


@pytest.mark.parametrize('fmt', ['b', 'k', 'm', 'g', 'kbytes', 'mbytes', 'gbytes', 'a', 'abytes'])
@pytest.mark.parametrize('side', ['client', 'server'])
def test_iperf2_formats_agree_with_bytes_over_time(fmt, side):
    result = parse_fixture('iperf2_tcp_f_{0}_{1}.txt'.format(fmt, side))
    assert result['error'] is None
    bps = result['sent_bps'] if side == 'client' else result['received_bps']
    nbytes = result['sent_bytes'] if side == 'client' else result['received_bytes']
    # rate and transfer are printed with 3-4 significant digits
    assert bps == close(nbytes * 8 / result['duration_s'], rel=0.02)
    assert bps > 1e8  # loopback: well over 100 Mbit/s, whatever the unit


def test_iperf2_udp_kbytes_format():
    result = parse_fixture('iperf2_udp_f_kbytes_client.txt')
    assert result['sent_bps'] == close(50e6, rel=0.1)
    assert result['received_bps'] == close(result['sent_bps'], rel=0.01)


# ---------------------------------------------------------------- iperf2 CSV

def csv_finals(name):
    rows = [line.split(',') for line in read(name, stderr=False).splitlines() if line]
    last = {}
    for row in rows:
        last[row[5]] = row
    return [row for row in last.values() if row[6].startswith('0.0-') and row[5] != '-1']


@pytest.mark.parametrize('name', ['iperf2_csv_tcp_p2_client.txt', 'iperf2_csv_tcp_p2_server.txt',
                                  'iperf2_csv_tcp_p2_i1_client.txt',
                                  'iperf2_csv_udp_p2_client.txt', 'iperf2_csv_udp_p2_server.txt'])
def test_iperf2_csv_parallel_without_sum_line(name):
    rows = csv_finals(name)
    assert len(rows) == 2
    result = parse_fixture(name, role='server' if 'server' in name else 'client')
    key = 'received' if 'server' in name else 'sent'
    assert result[key + '_bps'] == sum(float(row[8]) for row in rows)
    assert result[key + '_bytes'] == sum(int(row[7]) for row in rows)
    assert result['streams'] == 2


def test_iperf2_csv_intervals_are_summed_per_interval():
    result = parse_fixture('iperf2_csv_tcp_p2_i1_client.txt')
    rows = [line.split(',') for line in read('iperf2_csv_tcp_p2_i1_client.txt').splitlines()]
    for interval, label in zip(result['intervals'], ('0.0-1.0', '1.0-2.0')):
        assert interval['bps'] == sum(float(r[8]) for r in rows if r[6] == label)
    assert len(result['intervals']) == 2


@pytest.mark.parametrize('name, role, expected', [
    ('iperf2_csv_tcp_p1_client.txt', None, dict(role=None, protocol='tcp', sent_bps='x',
                                                received_bps=None)),
    ('iperf2_csv_tcp_p1_server.txt', 'server', dict(role='server', protocol='tcp',
                                                    sent_bps=None, received_bps='x')),
    ('iperf2_csv_udp_p1_client.txt', None, dict(role='client', protocol='udp', sent_bps='x',
                                                received_bps=None, jitter_ms=None,
                                                packets=None)),
    ('iperf2_csv_udp_p1_server.txt', None, dict(role='server', protocol='udp', sent_bps=None,
                                                received_bps='x', jitter_ms='x',
                                                lost_packets='x', packets='x')),
    ('iperf2_csv_udp_p2_server.txt', None, dict(role='server', streams=2, jitter_ms='x')),
    # synthesized iperf 2.0.x CSV
    ('iperf2_0x_csv_tcp_p2_client.txt', 'client', dict(
        role='client', streams=2, sent_bps=939524096.0, sent_bytes=234881024,
        intervals=[{'start': 0.0, 'end': 1.0, 'bps': 940572672.0},
                   {'start': 1.0, 'end': 2.0, 'bps': 938475520.0}])),
    ('iperf2_0x_csv_udp_client.txt', None, dict(
        role='client', protocol='udp', sent_bps=52431960.0, received_bps=52426080.0,
        sent_bytes=13107990, received_bytes=13106520, jitter_ms=0.011, lost_packets=1,
        packets=8917)),
    ('iperf2_0x_csv_udp_server.txt', None, dict(
        role='server', protocol='udp', sent_bps=None, received_bps=52426080.0, jitter_ms=0.011,
        lost_packets=1, packets=8917)),
    ('iperf2_0x_udp_client.txt', None, dict(
        role='client', protocol='udp', sent_bps=52.4e6, received_bps=52.4e6, jitter_ms=0.011,
        lost_packets=1, packets=8917, duration_s=2.0)),
    ('iperf2_0x_tcp_p2_i1_client.txt', None, dict(
        role='client', streams=2, sent_bps=940e6, duration_s=2.0,
        intervals=[{'start': 0.0, 'end': 1.0, 'bps': 941e6},
                   {'start': 1.0, 'end': 2.0, 'bps': 938e6}])),
])
def test_iperf2_csv_and_old_formats(name, role, expected):
    result = parse_fixture(name, role=role)
    assert result['error'] is None
    check_table(result, expected)


def test_iperf2_csv_udp_lost_percent():
    result = parse_fixture('iperf2_0x_csv_udp_server.txt')
    assert result['lost_percent'] == close(100.0 / 8917)


# ---------------------------------------------------------------- iperf2 units and errors

@pytest.mark.parametrize('line, bps, nbytes', [
    ('[  1] 0.0000-1.0000 sec  1.00 MBytes  8.39 Mbits/sec', 8.39e6, 1048576),
    ('[  1] 0.0000-1.0000 sec  1.00 GBytes  8.59 Gbits/sec', 8.59e9, 1073741824),
    ('[  1] 0.0000-1.0000 sec  1024 KBytes  8389 Kbits/sec', 8389e3, 1048576),
    ('[  1] 0.0000-1.0000 sec  1048576 Bytes  8388608 bits/sec', 8388608.0, 1048576),
    ('[  1] 0.0000-1.0000 sec  1024 KBytes  1024 KBytes/sec', 1024 * 1024 * 8.0, 1048576),
    ('[  1] 0.0000-1.0000 sec  1.00 MBytes  1.00 MBytes/sec', 1024 * 1024 * 8.0, 1048576),
    ('[  1] 0.0000-1.0000 sec  0.001 GBytes  0.001 GBytes/sec', 1024 ** 3 * 8 * 0.001,
     1073742),
    ('[  1] 0.0000-1.0000 sec  1048576 Bytes  1048576 Bytes/sec', 8388608.0, 1048576),
    ('[  3]  0.0-10.0 sec  1.09 GBytes   938 Mbits/sec', 938e6, 1170378588),
    ('[  3]  0.0- 1.0 sec   112 MBytes   940 Mbits/sec', 940e6, 117440512),
    ('[  1] 0.0000-1.0000 sec  1.50 TBytes  13.2 Tbits/sec', 13.2e12, 1649267441664),
])
def test_iperf2_units(line, bps, nbytes):
    result = parse_iperf2('Client connecting to 127.0.0.1, TCP port 5001\n' + line + '\n')
    assert result['sent_bps'] == close(bps)
    assert result['sent_bytes'] == nbytes


@pytest.mark.parametrize('text, error', [
    ('', 'iperf2 produced no output'),
    (None, 'iperf2 produced no output'),
    ('garbage\n', 'no iperf2 results found in the output'),
    ('Server listening on TCP port 5001\nTCP window size: 128 KByte (default)\n',
     'iperf2 server output has no results (no client connected?)'),
    ('connect failed: No route to host\n', 'connect failed: No route to host'),
    ('tcp connect failed: No route to host\n', 'tcp connect failed: No route to host'),
    ('connect failed: Connection refused.\n', 'connect failed: Connection refused'),
    ('connect failed: Network is unreachable\n', 'connect failed: Network is unreachable'),
    ('bind failed: Address already in use\n', 'bind failed: Address already in use'),
    ('error: unknown host foo\n', 'unknown host foo'),
    ('[  3] WARNING: did not receive ack of last datagram after 10 tries.\n',
     'did not receive ack of last datagram after 10 tries (no report from the server)'),
    ('read failed: Connection refused\n[  3] WARNING: did not receive ack of last datagram'
     ' after 10 tries.\n', 'read failed: Connection refused'),
    ('[  3] WARNING: did not receive ack of last datagram after 10 tries.\n'
     'read failed: Connection refused\n', 'read failed: Connection refused'),
    ('Connection refused\n', 'Connection refused'),
])
def test_iperf2_errors(text, error):
    result = parse_iperf2(text)
    assert result['error'] == error
    assert tuple(result) == MEASUREMENT_KEYS


def test_iperf2_error_keeps_figures():
    result = parse_fixture('iperf2_udp_refused_client.txt')
    assert result['error'] == 'read failed: Connection refused'
    assert result['sent_bps'] > 0  # iperf2 sent into the void; the error says so


# ---------------------------------------------------------------- dispatch

@pytest.mark.parametrize('version, parser', [
    (3, parse_iperf3_json), ('3', parse_iperf3_json), ('iperf3', parse_iperf3_json),
    (2, parse_iperf2), ('2', parse_iperf2), ('iperf2', parse_iperf2), ('iperf', parse_iperf2),
])
def test_parse_output_dispatch(version, parser):
    name = 'iperf3_tcp_p1_client.json' if parser is parse_iperf3_json else \
        'iperf2_tcp_p1_client.txt'
    assert parse_output(read(name), version) == parser(read(name))


@pytest.mark.parametrize('version', [1, 4, '', None, 'x'])
def test_parse_output_unknown_version(version):
    with pytest.raises(ValueError):
        parse_output('', version)


# ---------------------------------------------------------------- robustness

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(), version=st.sampled_from([2, 3]))
def test_random_text_never_raises(text, version):
    result = parse_output(text, version)
    assert tuple(result) == MEASUREMENT_KEYS
    assert result['error'] is None or isinstance(result['error'], str)


def _fixture_lines():
    lines = []
    for name in outputs():
        if name.startswith('iperf2'):
            lines.extend(read(name).splitlines())
    return sorted(set(lines))


FIXTURE_LINES = _fixture_lines()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.one_of(st.sampled_from(FIXTURE_LINES), st.text(max_size=40)),
                      max_size=30),
       mutate=st.integers(min_value=0, max_value=200))
def test_shuffled_iperf2_lines_never_raise(lines, mutate):
    text = '\n'.join(lines)
    if text:
        index = mutate % len(text)
        text = text[:index] + text[index + 1:]
    result = parse_iperf2(text)
    assert tuple(result) == MEASUREMENT_KEYS
    json.dumps(result)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(['start', 'end', 'intervals', 'sum', 'sum_sent', 'sum_received',
                         'streams', 'test_start', 'protocol', 'reverse', 'num_streams',
                         'bits_per_second', 'bytes', 'seconds', 'error', 'jitter_ms',
                         'cpu_utilization_percent', 'host_total', 'remote_total',
                         'connecting_to', 'accepted_connection', 'sum_bidir_reverse',
                         'sum_sent_bidir_reverse', 'retransmits', 'packets', 'udp']),
        children, max_size=6),
    max_leaves=30)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values)
def test_random_json_structures_never_raise(value):
    result = parse_iperf3_json(json.dumps(value))
    assert tuple(result) == MEASUREMENT_KEYS
    json.dumps(result)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.lists(st.sampled_from(['start', 'end', 'intervals', 'sum', 'sum_sent',
                                      'sum_received', 'test_start', 'streams',
                                      'cpu_utilization_percent']), min_size=1, max_size=3),
       value=json_values)
def test_real_json_with_a_part_replaced_never_raises(path, value):
    data = load_json('iperf3_tcp_bidir_client.json')
    node = data
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            return
    node[path[-1]] = value
    result = parse_iperf3_json(json.dumps(data))
    assert tuple(result) == MEASUREMENT_KEYS


# ---------------------------------------------------------------- long outputs
# How fast this parses is measured by bench/large_output.py, not here.

def test_a_one_hour_test_at_tenth_second_intervals_parses_whole():
    text = long_iperf3_json(36000, 0.1)
    assert len(text) > 25 * 1000 * 1000
    result = parse_iperf3_json(text)
    assert result['error'] is None
    assert len(result['intervals']) == 36000
    assert result['intervals'][-1]['end'] == close(3600.0)
    assert result['sent_bps'] == load_json('iperf3_tcp_p2_client.json')['end']['sum_sent'][
        'bits_per_second']
