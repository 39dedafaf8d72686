# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugin keeps a host's side under the plan's names only, fetches only from the folder it named,
and records a side that does not fit as failed."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil

import pytest

from ansible_collections.apetools.iperf.plugins.plugin_utils._host_result import kept_on_host
from ansible_collections.apetools.iperf.plugins.action import iperf_session
from ansible_collections.apetools.iperf.plugins.action.iperf_session import ActionModule

REMOTE_DIR = '/var/tmp/apetools-iperf/tpc1/run1'
TESTS = [dict(index=1, node='dut1', direction='to_node', repetition=1, sender='tpc1', receiver='dut1', tpc=dict(host='tpc1'),
              files=dict(sender='dut1_to_node_rep1.sender.iperf', receiver='dut1_to_node_rep1.receiver.iperf')),
         dict(index=2, node='dut1', direction='from_node', repetition=1, sender='dut1', receiver='tpc1', tpc=dict(host='tpc1'),
              files=dict(sender='dut1_from_node_rep1.sender.iperf', receiver='dut1_from_node_rep1.receiver.iperf'))]


class Connection(object):
    """Fetches from a folder that stands for the host's disk, and remembers what it was asked for."""

    def __init__(self, host_root):
        self.host_root, self.fetched = host_root, []

    def fetch_file(self, remote, local):
        self.fetched.append(remote)
        shutil.copy(os.path.join(self.host_root, remote.lstrip('/')), local)


class Task(object):
    check_mode = False
    args = {}


class PlayContext(object):
    remote_addr = '198.18.0.201'


class Display(object):
    def __init__(self):
        self.lines = []

    def display(self, message, color=None):
        self.lines.append(message)

    def vvv(self, message):
        self.lines.append(message)


@pytest.fixture
def action(tmp_path, monkeypatch):
    shown = Display()
    monkeypatch.setattr(iperf_session, 'display', shown)
    module = ActionModule.__new__(ActionModule)
    module._task, module._play_context = Task(), PlayContext()
    module._connection = Connection(str(tmp_path / 'host'))
    module._this_host = 'tpc1'
    args = dict(tests=TESTS, this_host='tpc1', remote_dir=REMOTE_DIR, nodes={})
    module._planned = module._plan(TESTS, args)
    module._remote_dir = REMOTE_DIR
    module._stored, module._strays, module._undelivered, module._reconnects = [], 0, False, 0
    module._play_hosts, module._known_records = set(['tpc1', 'dut1']), set()
    module.shown = shown.lines
    module.output_dir = str(tmp_path / 'out' / 'run')
    os.makedirs(module.output_dir)
    return module


def _side(key, **change):
    index = int(key) - 1
    role = 'sender' if TESTS[index]['sender'] == 'tpc1' else 'receiver'
    side = dict(key=key, role=role, node='dut1', direction=TESTS[index]['direction'], repetition=1,
                sender=TESTS[index]['sender'], receiver=TESTS[index]['receiver'], filename=TESTS[index]['files'][role],
                remote_path='%s/%s' % (REMOTE_DIR, TESTS[index]['files'][role]), argv=['iperf3'], error=None,
                succeeded=True, output='{"raw": %s}' % key,
                measurement=dict(sent_bps=9e8, received_bps=8.9e8, intervals=[]))
    side.update(change)
    return side


def _files(folder):
    return sorted(os.path.relpath(os.path.join(top, name), folder) for top, _dirs, names in os.walk(folder)
                  for name in names)


def _record(action, name):
    with open(os.path.join(action.output_dir, 'records', name + '.json')) as handle:
        return json.load(handle)


def test_a_good_side_is_stored_under_the_planned_names(action):
    side = action._side(_side('2'), action._planned['2'], action.output_dir, 'tpc1')
    assert side['succeeded'] and not side.get('error') and side['file'] == 'dut1_from_node_rep1.receiver.iperf'
    assert _files(action.output_dir) == ['dut1_from_node_rep1.receiver.iperf', 'records/dut1_from_node_rep1.receiver.iperf.json']
    assert _record(action, 'dut1_from_node_rep1.receiver.iperf')['measurement']['received_bps'] == 8.9e8
    assert action.shown == ['dut1 from_node rep 1: 890 Mbit/s']


@pytest.mark.parametrize('name', ['../../../../../../../../tmp/pwned.pth', '/tmp/pwned', 'other.iperf', 'a/../b'])
def test_a_name_from_the_host_is_never_used(action, tmp_path, name):
    side = action._side(_side('2', filename=name), action._planned['2'], action.output_dir, 'tpc1')
    assert side['succeeded'] is False
    assert 'dut1 from_node rep 1: host tpc1 returned an invalid result: filename is' in side['error']
    # The raw output is data: kept, under the planned name, with the failed record beside it.
    assert _files(str(tmp_path)) == ['out/run/dut1_from_node_rep1.receiver.iperf',
                                     'out/run/records/dut1_from_node_rep1.receiver.iperf.json']
    record = _record(action, 'dut1_from_node_rep1.receiver.iperf')
    assert record['error'] == side['error'] and record['measurement'] is None and record['succeeded'] is False
    assert not os.path.exists('/tmp/pwned') and not os.path.exists('/tmp/pwned.pth')


def test_the_raw_file_is_fetched_from_the_planned_path_only(action, tmp_path):
    host_file = tmp_path / 'host' / REMOTE_DIR.lstrip('/') / 'dut1_to_node_rep1.sender.iperf'
    host_file.parent.mkdir(parents=True)
    host_file.write_text('{"sent": 1}')
    side = action._side(_side('1', output=None), action._planned['1'], action.output_dir, 'tpc1')
    assert side['succeeded'] and action._connection.fetched == ['%s/dut1_to_node_rep1.sender.iperf' % REMOTE_DIR]
    with open(os.path.join(action.output_dir, side['file'])) as handle:
        assert handle.read() == '{"sent": 1}'
    assert not kept_on_host(action.output_dir, 'tpc1')


def test_a_remote_path_elsewhere_is_not_fetched(action):
    side = action._side(_side('1', output=None, remote_path='/etc/shadow'), action._planned['1'], action.output_dir, 'tpc1')
    assert action._connection.fetched == []
    assert "host tpc1 returned an invalid result: remote_path is '/etc/shadow', not '%s/dut1_to_node_rep1.sender.iperf'" % (
        REMOTE_DIR) in side['error']
    assert 'file' not in side and kept_on_host(action.output_dir, 'tpc1')  # the raw file is only on the host
    assert _files(action.output_dir) == ['left-on-hosts/tpc1.json', 'records/dut1_to_node_rep1.sender.iperf.json']


def test_a_string_where_a_number_belongs_fails_the_side_and_escapes_never_reach_the_terminal(action):
    side = action._side(_side('2', measurement=dict(received_bps='941000000')), action._planned['2'],
                        action.output_dir, 'tpc1')
    assert "measurement.received_bps is '941000000', not a number" in side['error']
    side = action._side(_side('2', error='\x1b[31mboom\x1b[0m\r\n', succeeded=False), action._planned['2'],
                        action.output_dir, 'tpc1')
    assert side['error'] == '[31mboom[0m' and side['msg'] == '[31mboom[0m'
    assert not any('\x1b' in line for line in action.shown)
    assert _files(action.output_dir) == ['dut1_from_node_rep1.receiver.iperf', 'dut1_from_node_rep1.receiver.iperf.1',
                                         'records/dut1_from_node_rep1.receiver.iperf.1.json',
                                         'records/dut1_from_node_rep1.receiver.iperf.json']


def test_a_side_is_matched_to_its_test_once_by_the_key_the_controller_sent(action):
    args = dict(tests=TESTS)
    call = dict(sides=[_side('2'), _side('2'), dict(_side('1'), key='9'), dict(_side('1'), key=1), 'junk'])
    action._collect(call, args, action.output_dir, 'tpc1')
    assert args['reported'] == ['2'] and len(action._stored) == 1 and action._strays == 4
    assert action._errors() == ['host tpc1 returned an invalid result: 4 sides that are no test of the call, or were '
                                'returned before']


def test_a_single_test_is_planned_from_the_tasks_own_arguments(action):
    args = dict(node='dut1', direction='rx', repetition=3, this_host='dut1', filename_prefix='p',
                nodes=dict(dut1=dict(host='dut1', address='10.0.0.1')), tpc=dict(host='tpc1', address='10.0.0.2'))
    assert action._plan([args], args)['1'] == dict(
        node='dut1', direction='to_node', repetition=3, sender='tpc1', receiver='dut1', role='receiver',
        filename='dut1_p_to_node_rep3.receiver.iperf')
    wrong = dict(args, node='dut9')
    planned = action._plan([wrong], wrong)['1']
    assert planned['role'] is None and 'Unknown node id' in planned['unplanned']
    side = action._side(dict(_side('1'), key='1'), planned, action.output_dir, 'dut1')
    assert 'host dut1 returned an invalid result: role is' in side['error']
    assert _files(action.output_dir) == []
