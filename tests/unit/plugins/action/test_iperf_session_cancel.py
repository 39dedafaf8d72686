# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which sides the controller stops because their peer is gone: the action plugin's records of the run."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.apetools.iperf.plugins.action.iperf_session import ActionModule


class Follower(object):
    """The parts of the action plugin that _cancellations reads, without a task or a connection."""

    def __init__(self, output_dir, play_hosts=('tpc1', 'node1', 'node2')):
        self._play_hosts = set(play_hosts)
        self._known_records = ActionModule._record_names(output_dir)
        self._record_names = ActionModule._record_names
        self._given_up = ActionModule._given_up
        self._key = ActionModule._key


def _test(index, node, sender, receiver):
    name = '%s_to_node_rep%d' % (node, index)
    return dict(index=index, node=node, sender=sender, receiver=receiver,
                files=dict(sender=name + '.sender.iperf', receiver=name + '.receiver.iperf'))


TESTS = [_test(1, 'node1', 'tpc1', 'node1'), _test(2, 'node2', 'tpc1', 'node2'), _test(3, 'node1', 'tpc1', 'node1')]


def _records(tmp_path):
    records = tmp_path / 'records'
    records.mkdir(exist_ok=True)
    return records


def _cancellations(follower, tmp_path, tests=None, host='tpc1'):
    return ActionModule._cancellations(follower, TESTS if tests is None else tests, str(tmp_path), host)


def test_nothing_is_cancelled_while_every_peer_is_fine(tmp_path):
    records = _records(tmp_path)
    (records / 'node1_to_node_rep1.receiver.iperf.json').write_text(json.dumps(dict(error=None)))
    assert _cancellations(Follower(str(tmp_path)), tmp_path) == {}


def test_a_peer_side_that_failed_stops_that_test_only(tmp_path):
    records = _records(tmp_path)
    (records / 'node1_to_node_rep1.receiver.iperf.json').write_text(json.dumps(dict(error='node1 ...: bind failed')))
    assert _cancellations(Follower(str(tmp_path)), tmp_path) == {'1': 'its peer failed: node1 ...: bind failed'}


def test_a_peer_lost_in_this_task_stops_all_its_tests(tmp_path):
    follower = Follower(str(tmp_path))
    (_records(tmp_path) / 'node1.unreachable.json').write_text('{}')
    assert _cancellations(follower, tmp_path) == {'1': 'this run lost its peer node1', '3': 'this run lost its peer node1'}


def test_a_peer_lost_in_an_earlier_task_gets_another_chance(tmp_path):
    (_records(tmp_path) / 'node1.unreachable.json').write_text('{}')
    assert _cancellations(Follower(str(tmp_path)), tmp_path) == {}


def test_a_peer_that_left_the_play_is_lost(tmp_path):
    _records(tmp_path)
    assert _cancellations(Follower(str(tmp_path), play_hosts=('tpc1', 'node1')), tmp_path) == {
        '2': 'this run lost its peer node2'}


def test_a_host_name_that_starts_like_another_is_not_confused_with_it(tmp_path):
    follower = Follower(str(tmp_path), play_hosts=('tpc1', 'node1', 'node10'))
    (_records(tmp_path) / 'node10.unreachable.json').write_text('{}')
    assert _cancellations(follower, tmp_path, tests=TESTS[:1]) == {}
