from __future__ import absolute_import, division, print_function
__metaclass__ = type

import csv
import io
import json
import os

import pytest

from ansible_collections.apetools.iperf.plugins.module_utils.iperf_records import (
    RECORDS_DIR,
    describe_side,
    format_bps,
    merge_test,
    statistics,
    summarize,
    table,
    write_json,
)

TEST = dict(index=1, node='dut1', direction='to_node', repetition=1, sender='tpc1', receiver='dut1', port=5201)
OPTIONS = dict(protocol='tcp', version=3)


def side(host, role, error=None, **measurement):
    return dict(host=host, role=role, node='dut1', direction='to_node', repetition=1, error=error,
                file='dut1_to_node_rep1.%s.iperf' % role, measurement=dict(measurement, error=error))


def test_merge_prefers_the_receivers_figure():
    record = merge_test(TEST, {'tpc1': side('tpc1', 'sender', sent_bps=100.0, received_bps=90.0, retransmits=3),
                               'dut1': side('dut1', 'receiver', received_bps=95.0)}, OPTIONS)
    assert record['succeeded'] and record['error'] is None
    assert (record['throughput_bps'], record['sent_bps'], record['received_bps']) == (95.0, 100.0, 95.0)
    assert record['retransmits'] == 3 and record['jitter_ms'] is None and record['lost_percent'] is None
    assert record['files'] == ['dut1_to_node_rep1.sender.iperf', 'dut1_to_node_rep1.receiver.iperf']
    assert (record['protocol'], record['iperf_version']) == ('tcp', 3)


def test_merge_falls_back_to_the_senders_view_of_the_receiver():
    record = merge_test(TEST, {'tpc1': side('tpc1', 'sender', sent_bps=100.0, received_bps=90.0),
                               'dut1': side('dut1', 'receiver')}, OPTIONS)
    assert record['throughput_bps'] == 90.0 and record['succeeded']


@pytest.mark.parametrize('sides, message', [
    ({}, 'tpc1 reported no result'),
    ({'tpc1': side('tpc1', 'sender', sent_bps=1.0, received_bps=1.0)}, 'dut1 reported no result'),
    ({'tpc1': side('tpc1', 'sender', error='connection refused'), 'dut1': side('dut1', 'receiver')},
     'connection refused'),
    ({'tpc1': side('tpc1', 'sender'), 'dut1': side('dut1', 'receiver')}, 'no throughput was measured'),
])
def test_merge_records_failures_with_the_cause(sides, message):
    record = merge_test(TEST, sides, OPTIONS)
    assert not record['succeeded']
    assert message in record['error']


def test_a_test_failed_before_the_run_keeps_its_cause():
    record = merge_test(dict(TEST, error='dut1: unreachable'), {}, OPTIONS)
    assert record['error'] == 'dut1: unreachable'


def test_floor_fails_the_test_and_keeps_the_figure():
    sides = {'tpc1': side('tpc1', 'sender', sent_bps=2e6, received_bps=2e6),
             'dut1': side('dut1', 'receiver', received_bps=2e6)}
    record = merge_test(TEST, sides, OPTIONS, min_bps=1e9)
    assert not record['succeeded'] and record['throughput_bps'] == 2e6
    assert record['error'] == 'throughput 2.00 Mbit/s is below the floor of 1.00 Gbit/s'
    assert merge_test(TEST, sides, OPTIONS, min_bps=1e6)['succeeded']


def test_statistics():
    records = [dict(node='a', direction='to_node', succeeded=True, throughput_bps=v) for v in (1.0, 2.0, 3.0)]
    records.append(dict(node='a', direction='to_node', succeeded=False, throughput_bps=None))
    (row,) = statistics(records)
    assert (row['tests'], row['succeeded'], row['mean_bps'], row['min_bps'], row['max_bps']) == (4, 3, 2.0, 1.0, 3.0)
    assert row['stdev_bps'] == pytest.approx(1.0)


def test_summarize_writes_json_and_csv(tmp_path):
    run_dir = str(tmp_path)
    second = dict(TEST, index=2, direction='from_node', sender='dut1', receiver='tpc1')
    write_json(os.path.join(run_dir, 'plan.json'), dict(tests=[TEST, second], options=OPTIONS))
    write_json(os.path.join(run_dir, RECORDS_DIR, 'a.json'), side('tpc1', 'sender', sent_bps=5.0, received_bps=4.0))
    write_json(os.path.join(run_dir, RECORDS_DIR, 'b.json'), side('dut1', 'receiver', received_bps=4.5))
    records = summarize(run_dir)
    assert [r['succeeded'] for r in records] == [True, False]
    with open(os.path.join(run_dir, 'summary.json')) as handle:
        # Intervals stay in the side records, out of summary.json.
        assert json.load(handle) == [dict((k, v) for k, v in r.items() if k != 'intervals') for r in records]
    with open(os.path.join(run_dir, 'summary.csv')) as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    assert rows[0]['throughput_bps'] == '4.5' and rows[0]['files'].count(';') == 1
    assert rows[1]['succeeded'] == 'False' and 'reported no result' in rows[1]['error']
    assert len(table(records)) == 3
    with open(os.path.join(run_dir, 'statistics.json')) as handle:
        stats = json.load(handle)
    assert [(row['direction'], row['tests'], row['succeeded'], row['mean_bps']) for row in stats] == [
        ('to_node', 1, 1, 4.5), ('from_node', 1, 0, None)]
    with open(os.path.join(run_dir, 'statistics.csv')) as handle:
        assert handle.readline().startswith('node,direction,tests,succeeded,mean_bps')


@pytest.mark.parametrize('bps, text', [(None, '-'), (941.2e6, '941 Mbit/s'), (1.5e9, '1.50 Gbit/s'),
                                       (2500, '2.50 kbit/s'), (12, '12 bit/s')])
def test_format_bps(bps, text):
    assert format_bps(bps) == text


def test_describe_side():
    assert describe_side(side('dut1', 'receiver', received_bps=941.2e6)) == 'dut1 to_node rep 1: 941 Mbit/s'
