# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The parsers read what hosts send, which is not trusted: 1 MB of hostile text is parsed quickly, and never raises.

The cases are in tests/fixtures/adversarial_iperf.py; bench/parser_adversarial.py
prints how long each format takes (target: 1 s). Here the bound is a generous
5 s, so a loaded machine does not fail the test but a backtracking pattern does
(the iperf2 id pattern took 10 s for one line of 2000 spaces).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import math
import time

import pytest

from ansible_collections.apetools.iperf.tests.fixtures.adversarial_iperf import FORMATS, SIZE, adversarial_cases
from ansible_collections.apetools.iperf.tests.fixtures.long_iperf3 import long_iperf3_json
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_results import (
    MAX_LINE,
    MEASUREMENT_KEYS,
    parse_iperf2,
    parse_iperf3_json,
    parse_output,
)

BOUND = 5.0
CASES = adversarial_cases()


def check_sane(result):
    """A failure that says what was wrong in one short line, or a measurement of plain finite numbers."""
    assert tuple(result) == MEASUREMENT_KEYS
    json.dumps(result)
    if result['error'] is not None:
        assert isinstance(result['error'], str) and result['error'].strip()
        assert len(result['error']) <= 300 and '\n' not in result['error']
    else:
        assert result['sent_bps'] is not None or result['received_bps'] is not None
    for key in ('sent_bps', 'received_bps', 'duration_s'):
        assert result[key] is None or (isinstance(result[key], float) and math.isfinite(result[key])), key


def test_every_format_has_cases():
    assert sorted(set(case[0] for case in CASES)) == sorted(FORMATS)


@pytest.mark.parametrize('fmt, name, version, make', CASES, ids=['%s: %s' % case[:2] for case in CASES])
def test_a_megabyte_of_hostile_text_is_parsed_quickly(fmt, name, version, make):
    text = make()
    assert len(text) >= 0.99 * SIZE
    began = time.perf_counter()
    result = parse_output(text, version)
    took = time.perf_counter() - began
    check_sane(result)
    assert took <= BOUND, '%s, %s: %.1f s' % (fmt, name, took)


def test_the_reported_line_of_spaces():
    # The case: '[' and 2000 spaces took 9.6 s (the id pattern had three overlapping quantifiers).
    began = time.perf_counter()
    result = parse_iperf2('[' + ' ' * 2000 + 'x\n' + '[' + ' ' * 2000 + ']' + ' ' * 2000 + 'x\n')
    assert time.perf_counter() - began <= BOUND
    assert result['error'] == 'no iperf2 results found in the output'


def test_lines_longer_than_the_cap_are_skipped():
    line = '[  3]  0.0-10.0 sec  1.09 GBytes   938 Mbits/sec'
    header = 'Client connecting to 127.0.0.1, TCP port 5001\n'
    kept = parse_iperf2(header + line + ' ' * (MAX_LINE - len(line)) + '\n')
    assert kept['error'] is None and kept['sent_bps'] == 938e6
    skipped = parse_iperf2(header + line + ' ' * (MAX_LINE + 1 - len(line)) + '\n')
    assert skipped['error'] == 'no iperf2 results found in the output'


@pytest.mark.parametrize('text', ['[' * 100000, '{"a":' * 100000, '{"end": ' + '[' * 100000,
                                  '{"end": {}}\n' + '[' * 100000])
def test_deeply_nested_json_is_a_failure_not_an_exception(text):
    # json raises RecursionError, not ValueError, past about 1000 levels.
    result = parse_iperf3_json(text)
    check_sane(result)
    assert result['error'].startswith('iperf3 output ')


def test_many_json_objects_still_give_the_last_with_results():
    real = long_iperf3_json(3, 0.1)
    result = parse_iperf3_json('{}' * 200000 + real + '{"start": {}}' * 20000)
    assert result['error'] is None and len(result['intervals']) == 3


def test_a_one_hour_iperf2_test_at_tenth_second_intervals_parses_whole():
    """The line cap and the linear patterns keep long real outputs: 36,000 intervals and the whole-test line."""
    lines = ['Client connecting to 127.0.0.1, TCP port 5001',
             '[  3] local 127.0.0.1 port 40000 connected with 127.0.0.1 port 5001',
             '[ ID] Interval       Transfer     Bandwidth']
    lines += ['[  3] %.1f-%.1f sec  11.2 MBytes   940 Mbits/sec' % (i / 10.0, (i + 1) / 10.0) for i in range(36000)]
    lines.append('[  3]  0.0-3600.0 sec  394 GBytes   940 Mbits/sec')
    result = parse_iperf2('\n'.join(lines) + '\n')
    assert result['error'] is None and result['sent_bps'] == 940e6 and result['duration_s'] == 3600.0
    assert len(result['intervals']) == 36000
