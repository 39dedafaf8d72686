# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The apetools.iperf.iperf_result filter, on the captured outputs in tests/fixtures/iperf_output/."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.apetools.iperf.plugins.filter.iperf_result import FilterModule, detect_version, iperf_result
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_results import MEASUREMENT_KEYS, parse_output

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(HERE, '..', '..', '..', 'fixtures', 'iperf_output'))
DOC = os.path.normpath(os.path.join(HERE, '..', '..', '..', '..', 'plugins', 'filter', 'iperf_result.yml'))


def read(name, stderr=True):
    """A fixture's stdout, with its stderr appended when there is one."""
    with open(os.path.join(FIXTURES, name)) as handle:
        text = handle.read()
    errors = os.path.join(FIXTURES, os.path.splitext(name)[0] + '.stderr')
    if stderr and os.path.exists(errors):
        with open(errors) as handle:
            text += handle.read()
    return text


def fixtures(prefix):
    return sorted(name for name in os.listdir(FIXTURES)
                  if name.startswith(prefix) and name.endswith(('.json', '.txt')) and 'human' not in name)


def test_the_filter_is_registered():
    assert FilterModule().filters()['iperf_result'] is iperf_result


@pytest.mark.parametrize('name', fixtures('iperf3_'))
def test_iperf3_json_is_detected(name):
    text = read(name)
    assert detect_version(text) == 3
    assert iperf_result(text) == parse_output(text, 3)
    assert iperf_result(text, version=3) == parse_output(text, 3)


@pytest.mark.parametrize('name', fixtures('iperf2_'))
def test_iperf2_output(name):
    text = read(name)
    assert detect_version(text) == 2
    assert iperf_result(text) == parse_output(text, 2)
    assert iperf_result(text, version=2) == parse_output(text, 2)
    assert iperf_result(text, version='2') == parse_output(text, 2)


def test_an_iperf3_client_measurement():
    measurement = iperf_result(read('iperf3_tcp_p1_client.json'))
    assert set(measurement) == set(MEASUREMENT_KEYS)
    assert measurement['error'] is None
    assert measurement['role'] == 'client' and measurement['protocol'] == 'tcp'
    data = json.loads(read('iperf3_tcp_p1_client.json'))
    assert measurement['received_bps'] == data['end']['sum_received']['bits_per_second']
    assert measurement['sent_bps'] == data['end']['sum_sent']['bits_per_second']
    assert len(measurement['intervals']) == len(data['intervals'])


def test_leading_white_space_and_bytes():
    text = read('iperf3_udp_p1_client.json')
    expected = parse_output(text, 3)
    assert iperf_result('\n  \t' + text) == expected
    assert iperf_result(text.encode('utf-8')) == expected
    assert iperf_result(text, version='auto') == expected


def test_iperf3_json_already_parsed_and_lines():
    text = read('iperf3_tcp_bidir_client.json')
    measurement = iperf_result(json.loads(text))
    assert measurement == parse_output(text, 3)
    assert measurement['reverse'] and measurement['reverse']['received_bps'] > 0
    iperf2 = read('iperf2_tcp_p2_client.txt')
    assert iperf_result(iperf2.splitlines()) == parse_output(iperf2.rstrip('\n'), 2)


def test_the_role_reaches_the_parser():
    text = read('iperf2_csv_tcp_p1_server.txt')
    as_server = iperf_result(text, version=2, role='server')
    assert as_server == parse_output(text, 2, role='server')
    assert as_server['role'] == 'server' and as_server['received_bps'] > 0 and as_server['sent_bps'] is None
    as_client = iperf_result(text, version=2)
    assert as_client['sent_bps'] > 0 and as_client['received_bps'] is None
    assert iperf_result(text, version=2, role=' Server ')['role'] == 'server'


def test_failures_are_measurements_with_an_error():
    assert iperf_result(read('iperf3_refused_client.json'))['error'] == \
        'unable to connect to server: Connection refused'
    assert 'Connection refused' in iperf_result(read('iperf2_refused_client.txt'), version=2)['error']
    assert iperf_result('')['error'] == 'iperf2 produced no output'
    assert iperf_result(None, version=3)['error'] == 'iperf3 produced no output'
    assert iperf_result('{"start": {')['error'].startswith('iperf3 output is not valid JSON')


@pytest.mark.parametrize('args', [dict(version=4), dict(version='iperf9'), dict(role='both')])
def test_wrong_arguments_fail_with_a_message(args):
    with pytest.raises(AnsibleFilterError, match='iperf_result'):
        iperf_result(read('iperf3_tcp_p1_client.json'), **args)


def test_wrong_input_fails_with_a_message():
    with pytest.raises(AnsibleFilterError, match='string'):
        iperf_result(42)


def test_the_documentation_matches_the_filter():
    with open(DOC) as handle:
        doc = yaml.safe_load(handle)
    assert set(doc) == {'DOCUMENTATION', 'EXAMPLES', 'RETURN'}
    documentation = doc['DOCUMENTATION']
    assert documentation['name'] == 'iperf_result'
    assert documentation['positional'] == '_input'
    assert set(documentation['options']) == {'_input', 'version', 'role'}
    assert set(doc['RETURN']['_value']['contains']) == set(MEASUREMENT_KEYS)
    assert 'apetools.iperf.iperf_result' in doc['EXAMPLES']
    yaml.safe_load(doc['EXAMPLES'])
