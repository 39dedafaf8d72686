"""Random strings at every string input: nothing reaches a shell, nothing lands outside the output folder."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ast
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.apetools.iperf.plugins.module_utils.iperf_command import (
    OPTION_NAMES,
    client_argv,
    normalize_options,
    server_argv,
)
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_plan import devices, directions, floors, plan
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_session import IperfConfigurationError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
TEXT = st.text(min_size=0, max_size=40) | st.sampled_from(
    ['..', '../x', '/etc/passwd', '$(touch /tmp/pwned)', '`id`', 'a;b', '-rf', '--help', 'a\nb', '\x00', ' ', '~root'])
STRING_OPTIONS = [name for name in OPTION_NAMES if name != 'extra_args']


def inside(folder, name):
    path = os.path.realpath(os.path.join(folder, name))
    return os.path.dirname(path) == os.path.realpath(folder)


@settings(max_examples=300, deadline=None)
@given(node=TEXT, prefix=TEXT, base=TEXT, address=TEXT)
def test_file_names_stay_in_the_output_folder(node, prefix, base, address):
    try:
        nodes, tpc = devices([dict(host='node1', id=node, address='198.19.0.11')],
                             [dict(host='tpc1', address=address)])
        tests = plan(nodes, tpc, ['to_node', 'from_node'], 1, 5201, filename_prefix=prefix, filename_base=base)
    except IperfConfigurationError:
        return
    for test in tests:
        for name in [test['filename']] + list(test['files'].values()):
            assert inside('/srv/results/run', name), name
            assert not name.startswith(('-', '.')) and '/' not in name and '..' not in name
        # An address can never be read as an option by iperf.
        assert not test['sender_address'].startswith('-') and not test['receiver_address'].startswith('-')


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(STRING_OPTIONS), value=TEXT, address=TEXT)
def test_options_are_refused_or_become_plain_arguments(name, value, address):
    try:
        options = normalize_options({name: value})
        argvs = [server_argv(options, address or None), client_argv(options, address, address)]
    except IperfConfigurationError:
        return
    for argv in argvs:
        for arg in argv:
            assert isinstance(arg, str) and arg
            assert not any(ord(char) < 32 for char in arg), argv
        # The binary is a program name or path, never an option.
        assert not argv[0].startswith('-')


@settings(max_examples=200, deadline=None)
@given(items=st.lists(TEXT, max_size=4))
def test_extra_args_never_override_what_the_collection_sets(items):
    try:
        options = normalize_options({'extra_args': items})
    except IperfConfigurationError:
        return
    for item in options['extra_args']:
        assert item.split('=', 1)[0] not in ('-J', '--json', '-D', '--daemon', '--logfile', '-s', '-c', '-p')


@settings(max_examples=200, deadline=None)
@given(value=TEXT | st.dictionaries(TEXT, TEXT, max_size=3), words=st.lists(TEXT, max_size=3))
def test_floors_and_directions_refuse_cleanly(value, words):
    for call, argument in ((floors, value), (directions, words)):
        try:
            call(argument)
        except IperfConfigurationError:
            pass


SHELL_CALLS = {'system', 'popen', 'getoutput', 'getstatusoutput'}


@pytest.mark.parametrize('path', sorted(
    os.path.join(folder, name) for sub in ('plugins',) for folder, _dirs, names in os.walk(os.path.join(ROOT, sub))
    for name in names if name.endswith('.py')))
def test_no_plugin_code_can_reach_a_shell(path):
    with open(path) as handle:
        tree = ast.parse(handle.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in ('shell', 'use_unsafe_shell'):
            assert isinstance(node.value, ast.Constant) and node.value.value is False, (path, node.lineno)
        if isinstance(node, ast.Attribute) and node.attr in SHELL_CALLS:
            raise AssertionError('%s:%d calls %s' % (path, node.lineno, node.attr))
        if isinstance(node, ast.Attribute) and node.attr == '_low_level_execute_command':
            raise AssertionError('%s:%d runs a command through the shell' % (path, node.lineno))
