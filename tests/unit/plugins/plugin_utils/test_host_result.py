# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a host returns is data: the schema, the plan check, the sanitiser and the CSV cells."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import csv
import glob
import io
import json
import os

import pytest

from ansible_collections.apetools.iperf.plugins.module_utils.iperf_plan import devices, plan
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_records import (
    RECORDS_DIR,
    csv_cell,
    statistics,
    summarize,
    table,
    to_csv,
    write_json,
)
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_results import parse_output
from ansible_collections.apetools.iperf.plugins.plugin_utils._host_result import (
    InvalidResult,
    against_plan,
    check_call,
    check_record,
    check_side,
    clean_text,
    planned_side,
    remote_file,
)

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'fixtures', 'iperf_output')


def _error(check, value):
    with pytest.raises(InvalidResult) as caught:
        check(value)
    return str(caught.value)


# --- the sanitiser ----------------------------------------------------------------------------


@pytest.mark.parametrize('raw, clean', [
    ('\x1b[31mred\x1b[0m', '[31mred[0m'),
    ('line one\nline two\r\n\tend', 'line one line two   end'),
    ('bell\x07 nul\x00 del\x7f csi\x9b', 'bell nul del csi'),
    ('abc\u202edcba\u2066', 'abcdcba'),
    ('lone \ud800 surrogate', 'lone  surrogate'),
    ('  padded  ', 'padded'),
    ('caf\u00e9 \u2014 ok', 'caf\u00e9 \u2014 ok'),
    (None, ''),
    (42, '42'),
])
def test_clean_text_leaves_one_printable_line(raw, clean):
    assert clean_text(raw) == clean


def test_clean_text_cuts_long_text():
    assert clean_text('x' * 5000) == 'x' * 1997 + '...'
    assert len(clean_text('y' * 400, 300)) == 300


# --- CSV cells --------------------------------------------------------------------------------


@pytest.mark.parametrize('value, cell', [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ('+1', "'+1"), ('-2+3', "'-2+3"), ('@SUM(A1)', "'@SUM(A1)"), ('\tx', "'\tx"), ('\rx', "'\rx"),
    ('a=b', 'a=b'), ('', ''),
    (-5, -5), (-2.5, -2.5), (941.0, 941.0), (None, None), (True, True),
])
def test_csv_cells_that_look_like_formulas_are_quoted_and_numbers_stay_numbers(value, cell):
    assert csv_cell(value) == cell


def test_a_formula_from_a_host_is_text_in_the_csv():
    text = to_csv([dict(index=1, node='dut1', error='=cmd|" /C calc"!A0', throughput_bps=-1.5, files=['a', 'b'])])
    row = list(csv.DictReader(io.StringIO(text)))[0]
    assert row['error'] == '\'=cmd|" /C calc"!A0'
    assert row['throughput_bps'] == '-1.5' and row['files'] == 'a;b'


# --- the schema -------------------------------------------------------------------------------


def _fixtures():
    for path in sorted(glob.glob(os.path.join(FIXTURES, 'iperf*'))):
        if path.endswith(('.stderr', '.md', '.tsv')):
            continue
        yield os.path.basename(path)


@pytest.mark.parametrize('name', list(_fixtures()))
def test_every_real_measurement_fits_the_schema_unchanged(name):
    with open(os.path.join(FIXTURES, name), errors='replace') as handle:
        text = handle.read()
    measurement = parse_output(text, 3 if name.startswith('iperf3') else 2, 'server' if 'server' in name else 'client')
    measurement = json.loads(json.dumps(measurement))  # as it crosses the connection
    assert check_side(dict(measurement=measurement))['measurement'] == measurement


SIDE = dict(role='receiver', sender='tpc1', receiver='dut1', node='dut1', direction='to_node', repetition=1, key='1',
            filename='dut1_to_node_rep1.receiver.iperf', remote_path='/var/tmp/x/dut1_to_node_rep1.receiver.iperf',
            argv=['iperf3', '-s'], attempts=1, duration_s=1.5, started_at=1795705501.1, ended_at=1795705502.6, rc=0,
            stderr='', error=None, succeeded=True, finished=True,
            measurement=dict(protocol='tcp', received_bps=9.4e8, received_bytes=117500000, lost_percent=None,
                             intervals=[dict(start=0.0, end=1.0, bps=9.4e8)], reverse=None, role='server'))


def test_a_good_side_passes_and_unknown_keys_are_dropped():
    side = check_side(dict(SIDE, ansible_facts=dict(x=1), _ansible_no_log=True, output='raw'))
    assert side == SIDE


@pytest.mark.parametrize('change, where', [
    (dict(measurement=dict(received_bps='941000000')), "measurement.received_bps is '941000000', not a number"),
    (dict(measurement=dict(received_bps=float('nan'))), 'measurement.received_bps is nan'),
    (dict(measurement=dict(received_bps=float('inf'))), 'measurement.received_bps is inf'),
    (dict(measurement=dict(received_bps=-1.0)), 'measurement.received_bps is -1.0, not a number from 0 to'),
    (dict(measurement=dict(received_bps=2e13)), 'measurement.received_bps is 20000000000000.0, not a number from 0 to 1e+13'),
    (dict(measurement=dict(sent_bps=True)), 'measurement.sent_bps is True, not a number'),
    (dict(measurement=dict(lost_percent=150.0)), 'measurement.lost_percent is 150.0'),
    (dict(measurement=dict(retransmits=1.5)), 'measurement.retransmits is 1.5, not a whole number'),
    (dict(measurement=dict(packets=-3)), 'measurement.packets is -3'),
    (dict(measurement=dict(protocol='sctp')), "measurement.protocol is 'sctp', not one of tcp, udp"),
    (dict(measurement=dict(intervals=[dict(bps=1.0), dict(bps='x')])), "measurement.intervals[1].bps is 'x'"),
    (dict(measurement=dict(reverse=dict(sent_bps=[]))), 'measurement.reverse.sent_bps is a list, not a number'),
    (dict(measurement='fast'), "measurement is 'fast', not a mapping"),
    (dict(duration_s=-1), 'duration_s is -1'),
    (dict(started_at=1e12), 'started_at is 1000000000000'),
    (dict(rc='0'), "rc is '0', not a whole number"),
    (dict(error=['a']), 'error is a list, not text'),
    (dict(argv='iperf3 -s'), "argv is 'iperf3 -s', not a list"),
    (dict(argv=['iperf3', 5]), 'argv[1] is 5, not text'),
    (dict(role='root'), "role is 'root', not one of sender, receiver"),
    (dict(succeeded='yes'), "succeeded is 'yes', not true or false"),
])
def test_a_value_that_does_not_fit_is_refused_saying_where(change, where):
    raw = dict(SIDE, **change)
    if 'measurement' in change and isinstance(change['measurement'], dict):
        raw['measurement'] = dict(SIDE['measurement'], **change['measurement'])
    assert where in _error(check_side, raw)


def test_the_value_in_a_message_is_cleaned_and_short():
    message = _error(check_side, dict(SIDE, rc='\x1b[31m' + 'x' * 500))
    assert '\x1b' not in message and len(message) < 120


def test_text_is_cleaned_and_capped_and_lists_are_capped():
    side = check_side(dict(SIDE, error='\x1b[31mboom\x1b[0m\n' + 'e' * 3000, node='n' * 400, argv=['-a'] * 5000))
    assert side['error'].startswith('[31mboom[0m e') and len(side['error']) == 2000
    assert len(side['node']) == 300 and len(side['argv']) == 1000


def test_a_million_intervals_at_most():
    intervals = [dict(start=float(i), end=i + 1.0, bps=1.0) for i in range(1000005)]
    side = check_side(dict(measurement=dict(intervals=intervals)))
    assert len(side['measurement']['intervals']) == 1000000


def test_the_call_and_the_records_are_checked_too():
    assert check_call(dict(changed=True, finished=False, sides=[{}], msg='a\nb', invocation={})) == dict(
        changed=True, finished=False, sides=[{}], msg='a b')
    assert 'sides is' in _error(check_call, dict(sides='x'))
    assert 'finished is' in _error(check_call, dict(finished='no'))
    assert check_record(dict(SIDE, host='dut1', file='f.iperf', reconnects=2, extra=1))['reconnects'] == 2
    assert 'reconnects is' in _error(check_record, dict(reconnects=-1))


# --- the plan ---------------------------------------------------------------------------------

NODES = dict(dut1=dict(host='dut1', address='10.0.0.1'))
TPC = dict(host='tpc1', address='10.0.0.2')


def test_a_planned_test_gives_its_own_names():
    by_id, peers = devices([dict(host='dut1', id='dut1', address='10.0.0.1')], [dict(host='tpc1', address='10.0.0.2')])
    tests = plan(by_id, peers, ['to_node', 'from_node'], 2, 5201, filename_prefix='night')
    assert planned_side(tests[0], 'tpc1') == dict(
        node='dut1', direction='to_node', repetition=1, sender='tpc1', receiver='dut1', role='sender',
        filename='dut1_night_to_node_rep1.sender.iperf')
    assert planned_side(tests[3], 'tpc1')['filename'] == 'dut1_night_from_node_rep2.receiver.iperf'
    assert planned_side(tests[0], 'node9')['role'] is None
    # A single test's parameters are named as the module names them, so the same file as the plan's.
    single = dict(node='dut1', direction='uplink', repetition=2, tpc=TPC)
    assert planned_side(single, 'tpc1', NODES, 'night') == planned_side(tests[3], 'tpc1')


def test_a_planned_name_that_is_no_plain_file_name_is_refused():
    test = dict(node='dut1', direction='to_node', repetition=1, sender='tpc1', receiver='dut1',
                files=dict(sender='../x', receiver='y'))
    with pytest.raises(ValueError):
        planned_side(test, 'tpc1')


def test_a_side_that_says_other_than_the_plan_is_refused():
    planned = dict(node='dut1', direction='to_node', repetition=1, sender='tpc1', receiver='dut1', role='receiver',
                   filename='dut1_to_node_rep1.receiver.iperf')
    against_plan(SIDE, planned)
    for change, where in ((dict(filename='../../../tmp/pwned.pth'), 'filename is'), (dict(filename='/tmp/x'), 'filename'),
                          (dict(role='sender'), 'role is'), (dict(repetition=2), 'repetition is 2'),
                          (dict(node='dut2'), 'node is')):
        assert where in _error(lambda side: against_plan(side, planned), dict(SIDE, **change))
    assert 'role is None' in _error(lambda side: against_plan(side, planned), dict(node='dut1'))


@pytest.mark.parametrize('reported, remote_dir, fits', [
    ('/var/tmp/r/f.iperf', '/var/tmp/r', True),
    ('/var/tmp/r/f.iperf', '/var/tmp/r/', True),
    ('/etc/shadow', '/var/tmp/r', False),
    ('/var/tmp/r/../../../etc/f.iperf', '/var/tmp/r', False),
    ('/var/tmp/r/g.iperf', '/var/tmp/r', False),
    ('/root/iperf/r/f.iperf', '~/iperf/r', True),
    ('/etc/r/f.iperf', '~/iperf/r', False),
    ('/home/u/r/f.iperf', '$HOME/r', True),
    ('/var/lib/apetools-iperf/h/run/f.iperf', None, True),
    ('/etc/shadow', None, False),
    ('/x/../f.iperf', None, False),
    ('f.iperf', None, False),
    (['/var/tmp/r/f.iperf'], '/var/tmp/r', False),
])
def test_the_raw_file_is_fetched_only_from_the_folder_the_controller_named(reported, remote_dir, fits):
    if fits:
        assert remote_file(reported, remote_dir, 'f.iperf') == reported
    else:
        assert 'remote_path is' in _error(lambda value: remote_file(value, remote_dir, 'f.iperf'), reported)


# --- records read back ------------------------------------------------------------------------

TEST = dict(index=1, node='dut1', direction='to_node', repetition=1, sender='tpc1', receiver='dut1', port=5201,
            files=dict(sender='dut1_to_node_rep1.sender.iperf', receiver='dut1_to_node_rep1.receiver.iperf'))


def _run(tmp_path, receiver_record):
    run_dir = str(tmp_path)
    write_json(os.path.join(run_dir, 'plan.json'), dict(tests=[TEST, dict(TEST, index=2, repetition=2)],
                                                        options=dict(protocol='tcp', version=3)))
    for repetition in (1, 2):
        write_json(os.path.join(run_dir, RECORDS_DIR, 'dut1_to_node_rep%d.sender.iperf.json' % repetition), dict(
            host='tpc1', role='sender', node='dut1', direction='to_node', repetition=repetition,
            measurement=dict(sent_bps=9e8, received_bps=8.9e8)))
    write_json(os.path.join(run_dir, RECORDS_DIR, 'dut1_to_node_rep2.receiver.iperf.json'), dict(
        host='dut1', role='receiver', node='dut1', direction='to_node', repetition=2, measurement=dict(received_bps=9e8)))
    path = os.path.join(run_dir, RECORDS_DIR, 'dut1_to_node_rep1.receiver.iperf.json')
    with open(path, 'w') as handle:
        handle.write(receiver_record if isinstance(receiver_record, str) else json.dumps(receiver_record))
    return run_dir


@pytest.mark.parametrize('record, why', [
    (dict(host='dut1', node='dut1', direction='to_node', repetition=1, measurement=dict(received_bps='fast')),
     "measurement.received_bps is 'fast', not a number"),
    (dict(host='dut1', node='dut1', direction='to_node', repetition='one'), "repetition is 'one'"),
    ('{"host": "dut1", "measurement": ', 'Expecting value'),
    ('[1, 2]', 'it holds list, not a record'),
])
def test_a_bad_record_on_disk_is_a_failed_test_never_a_crash(tmp_path, record, why):
    run_dir = _run(tmp_path, record)
    records = summarize(run_dir, check=check_record)
    assert not records[0]['succeeded']
    assert 'the record records/dut1_to_node_rep1.receiver.iperf.json of dut1 is not valid' in records[0]['error']
    assert why in records[0]['error']
    assert records[1]['succeeded'] and records[1]['throughput_bps'] == 9e8
    for name in ('summary.json', 'summary.csv', 'statistics.json', 'statistics.csv'):
        assert os.path.exists(os.path.join(run_dir, name))


def test_without_the_schema_a_string_figure_is_no_figure(tmp_path):
    run_dir = _run(tmp_path, dict(host='dut1', node='dut1', direction='to_node', repetition=1,
                                  measurement=dict(received_bps='fast', jitter_ms=[1])))
    records = summarize(run_dir)
    # The sender's view of what was received counts instead, and every figure is a number or None.
    assert records[0]['throughput_bps'] == 8.9e8 and records[0]['jitter_ms'] is None
    assert statistics(records + [dict(node='dut1', direction='to_node', succeeded=True, throughput_bps='x')])
    assert len(table(records)) == 3


def test_the_plans_own_errors_and_the_run_error_are_cleaned(tmp_path):
    run_dir = str(tmp_path)
    write_json(os.path.join(run_dir, 'plan.json'), dict(tests=[
        dict(TEST, error='host tpc1 cannot take part: \x1b[31m=bad\x1b[0m'), dict(TEST, index=2, repetition=2)],
        options={}))
    records = summarize(run_dir, run_error='\x1b]0;title\x07stopped')
    assert records[0]['error'] == 'host tpc1 cannot take part: [31m=bad[0m'
    assert records[1]['error'] == 'not run: the run stopped before it (]0;titlestopped)'
    with open(os.path.join(run_dir, 'summary.csv'), 'rb') as handle:
        assert b'\x1b' not in handle.read()
