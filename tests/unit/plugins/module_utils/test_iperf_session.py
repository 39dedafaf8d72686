from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.apetools.iperf.plugins.module_utils.iperf_session import (
    ConfigurationError,
    IperfConfigurationError,
    IperfSession,
    Parameters,
    SenderReceiver,
    check_name,
    side_filename,
    test_prefix as make_test_prefix,
)

NODES = {'dut1': 'device-1', 'dut2': 'device-2'}
TPC = 'the-tpc'


def make_session(iperf_test=None, filename_base=None):
    return IperfSession(iperf_test, NODES, TPC, filename_base=filename_base)


def test_error_hierarchy():
    assert issubclass(IperfConfigurationError, ConfigurationError)
    assert issubclass(ConfigurationError, Exception)


def test_namedtuples():
    assert SenderReceiver._fields == ('sender', 'receiver')
    assert Parameters._fields == ('node', 'direction')


@pytest.mark.parametrize('word', [
    'to_node', 'to_dut', 'TO_DUT', 'downlink', 'Down', 'receive', 'rx', 'RX', 'tonode', 'd', 'r',
])
def test_to_node_words(word):
    assert make_session().participants(Parameters('dut1', word)) == SenderReceiver(TPC, 'device-1')
    assert IperfSession.direction(word) == 'to_node'


@pytest.mark.parametrize('word', [
    'from_node', 'from_dut', 'f', 'send', 'S', 'transmit', 'tx', 'TX', 'uplink', 'Up', 'tr',
])
def test_from_node_words(word):
    assert make_session().participants(Parameters('dut2', word)) == SenderReceiver('device-2', TPC)
    assert IperfSession.direction(word) == 'from_node'


@pytest.mark.parametrize('word', ['', ' ', 'x', 'bidirectional', 't', 'node', 'at_node', '_to', None, 'ta'])
def test_unknown_direction(word):
    with pytest.raises(IperfConfigurationError, match='Unknown traffic direction'):
        make_session().participants(Parameters('dut1', word))


def test_expressions_match_at_the_start_only():
    assert IperfSession.to_node_expression.match('downlink')
    assert not IperfSession.to_node_expression.match('xdownlink')
    assert IperfSession.from_node_expression.match('uplink')
    assert not IperfSession.from_node_expression.match('_uplink')


@pytest.mark.parametrize('node', ['dut3', '', None, 'DUT1'])
def test_unknown_node_names_the_id(node):
    with pytest.raises(IperfConfigurationError, match='Unknown node id: %r' % (node,)):
        make_session().participants(Parameters(node, 'to_node'))


@pytest.mark.parametrize('prefix, base, expected', [
    (None, None, 'dut1.iperf'),
    ('pre', None, 'dut1_pre.iperf'),
    (None, 'base', 'dut1_base.iperf'),
    ('pre', 'base', 'dut1_pre_base.iperf'),
    ('', '', 'dut1.iperf'),
])
def test_filename(prefix, base, expected):
    assert make_session(filename_base=base).filename(Parameters('dut1', 'to_node'), prefix) == expected


@pytest.mark.parametrize('bad', ['../x', 'a/b', '..', 'a..b', 'a b', 'a;rm', '$(id)', '`id`', 'a\nb', 'x\x00',
                                 '-rf', '.hidden', 'a' * 101, 'a|b', 'a&b', "a'b", 'a>b'])
def test_unsafe_file_name_parts_are_refused(bad):
    with pytest.raises(IperfConfigurationError, match='not a safe file name part'):
        make_session(filename_base=bad).filename(Parameters('dut1', 'to_node'), 'ok')
    with pytest.raises(IperfConfigurationError):
        check_name(bad, 'node id')


def test_empty_name_is_refused():
    with pytest.raises(IperfConfigurationError):
        check_name('', 'node id')


def test_call_runs_the_test_and_keeps_the_result_in_poll():
    calls = []

    def iperf_test(sender, receiver, filename):
        calls.append((sender, receiver, filename))
        return 'measured'

    session = make_session(iperf_test, filename_base='base')
    assert session.poll is None
    assert session(Parameters('dut2', 'uplink'), filename_prefix='pre') == 'measured'
    assert session.poll == 'measured'
    assert calls == [('device-2', TPC, 'dut2_pre_base.iperf')]
    session(Parameters('dut1', 'downlink'))
    assert calls[-1] == (TPC, 'device-1', 'dut1_base.iperf')


def test_call_with_bad_parameters_runs_nothing():
    session = make_session(lambda **kwargs: pytest.fail('must not run'))
    with pytest.raises(IperfConfigurationError):
        session(Parameters('dut1', 'bogus'))
    assert session.poll is None


@pytest.mark.parametrize('direction, repetition, prefix, expected', [
    ('rx', 1, None, 'to_node_rep1'),
    ('uplink', 3, 'night', 'night_from_node_rep3'),
])
def test_test_prefix(direction, repetition, prefix, expected):
    assert make_test_prefix(direction, repetition, prefix) == expected


def test_side_filename():
    assert side_filename('dut1_to_node_rep1.iperf', 'receiver') == 'dut1_to_node_rep1.receiver.iperf'
