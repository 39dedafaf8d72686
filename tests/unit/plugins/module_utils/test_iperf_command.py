from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.apetools.iperf.plugins.module_utils.iperf_command import (
    client_argv,
    normalize_options,
    parse_duration,
    server_argv,
)
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_session import IperfConfigurationError


@pytest.mark.parametrize('value, seconds', [
    (10, 10), (1.5, 1.5), ('90', 90), ('90 s', 90), ('90s', 90), ('1h30m', 5400), ('2 minutes', 120),
    ('2 days 3 hours 22 minutes', 2 * 86400 + 3 * 3600 + 22 * 60), ('1 hour, 1 second', 3601),
    ('1 day and 1 hour', 90000), ('0.5h', 1800), ('3 MIN', 180),
])
def test_parse_duration(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize('value', ['', 'abc', '-5', '0', 0, -1, '5 parsecs', '1h 30', True, '5;rm', 'nan', '1e3'])
def test_parse_duration_refuses(value):
    with pytest.raises(IperfConfigurationError, match='time'):
        parse_duration(value)


def test_defaults():
    options = normalize_options({})
    assert options['version'] == 3 and options['time'] == 10 and options['protocol'] == 'tcp'
    assert options['port'] == 5201 and options['parallel'] == 1
    assert options['max_time'] == 120 and options['binary'] == 'iperf3'


def test_max_time_follows_the_seed():
    assert normalize_options({'time': 100})['max_time'] == 150
    assert normalize_options({'time': 60})['max_time'] == 120
    assert normalize_options({'time': 60, 'max_time': '5 minutes'})['max_time'] == 300


def test_normalize_is_idempotent():
    once = normalize_options({'time': '1 minute', 'protocol': 'UDP', 'bandwidth': '10M', 'version': '2',
                              'extra_args': ['-N']})
    assert normalize_options(once) == once


@pytest.mark.parametrize('options, message', [
    ({'version': 4}, 'version'),
    ({'protocol': 'sctp'}, 'protocol'),
    ({'port': 0}, 'port'),
    ({'port': 70000}, 'port'),
    ({'port': 'http'}, 'port'),
    ({'parallel': 0}, 'parallel'),
    ({'window': '1 MB'}, 'window'),
    ({'len': '-1'}, 'len'),
    ({'bandwidth': '10M; reboot'}, 'bandwidth'),
    ({'format': 'x'}, 'format'),
    ({'time': 'soon'}, 'time'),
    ({'max_time': 5, 'time': 10}, 'max_time'),
    ({'colour': 'red'}, 'unknown iperf option'),
    ({'extra_args': '-e'}, 'extra_args'),
    ({'extra_args': ['-J']}, 'extra_args'),
    ({'extra_args': ['--logfile=/etc/passwd']}, 'extra_args'),
    ({'extra_args': ['--logf=/etc/passwd']}, 'extra_args'),
    ({'extra_args': ['--get-server-output']}, 'extra_args'),
    ({'version': 2, 'extra_args': ['-e']}, 'extra_args'),
    ({'extra_args': ['a\nb']}, 'extra_args'),
    ({'version': 2, 'omit': 2}, 'omit'),
    ({'version': 2, 'zerocopy': True}, 'zerocopy'),
    ({'congestion': 'bbr; id'}, 'congestion'),
    ({'binary': '-e'}, 'binary'),
    ({'tos': 300}, 'tos'),
])
def test_bad_options_name_the_option(options, message):
    with pytest.raises(IperfConfigurationError, match=message):
        normalize_options(options)


def test_iperf3_argv():
    options = normalize_options({'time': 5, 'protocol': 'udp', 'bandwidth': '100M', 'parallel': 2, 'window': '256K',
                                 'len': '1400', 'interval': 0.5, 'omit': 1, 'tos': 16, 'congestion': 'cubic',
                                 'zerocopy': True, 'bidir': True, 'bind': True, 'port': 5301,
                                 'extra_args': ['-NM1400']})
    assert server_argv(options, '198.19.0.11') == ['iperf3', '-s', '-p', '5301', '-1', '-J', '-B', '198.19.0.11']
    assert client_argv(options, '198.19.0.11', '198.19.0.10') == [
        'iperf3', '-c', '198.19.0.11', '-p', '5301', '-t', '5', '-J', '-u', '-b', '100M', '-P', '2',
        '-w', '256K', '-l', '1400', '-i', '0.5', '-B', '198.19.0.10', '-S', '16', '-C', 'cubic',
        '-O', '1', '-Z', '--bidir', '--no-delay', '--set-mss=1400']


def test_iperf2_argv():
    options = normalize_options({'version': 2, 'time': '1 minute', 'protocol': 'udp', 'bandwidth': '10M',
                                 'parallel': 2, 'interval': 1, 'format': 'K', 'congestion': 'reno', 'bidir': True})
    assert server_argv(options) == ['iperf', '-s', '-p', '5201', '-f', 'K', '-u', '-i', '1']
    assert client_argv(options, 'dut1.lab') == [
        'iperf', '-c', 'dut1.lab', '-p', '5201', '-t', '60', '-f', 'K', '-u', '-b', '10M', '-P', '2',
        '-i', '1', '-Z', 'reno', '--full-duplex']


@pytest.mark.parametrize('address', [None, '', '-oProxyCommand=x', '$(id)', 'a b', 'a;b'])
def test_client_refuses_bad_addresses(address):
    with pytest.raises(IperfConfigurationError, match='address'):
        client_argv(normalize_options({}), address)


def test_a_udp_server_binds_to_its_test_address():
    options = normalize_options({'protocol': 'udp'})
    assert server_argv(options, '198.19.0.11')[-2:] == ['-B', '198.19.0.11']
    assert '-B' not in server_argv(normalize_options({}), '198.19.0.11')
