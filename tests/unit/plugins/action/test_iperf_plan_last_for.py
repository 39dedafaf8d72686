# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which batch is each host's last: there it gives its lease back and cleans up."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.apetools.iperf.plugins.action.iperf_plan import ActionModule


def test_each_host_is_done_in_the_last_batch_it_takes_part_in():
    grouped = ActionModule._last_for([dict(batch=1, by_host=dict(tpc1=[1], node1=[1], node2=[2])),
                                      dict(batch=2, by_host=dict(tpc1=[3], node1=[3])),
                                      dict(batch=3, by_host=dict(tpc2=[4], node3=[4]))])
    assert [batch['last_for'] for batch in grouped] == [['node2'], ['node1', 'tpc1'], ['node3', 'tpc2']]


def test_one_batch_is_every_host_s_last():
    grouped = ActionModule._last_for([dict(batch=1, by_host=dict(tpc1=[1, 2], node1=[1], node2=[2]))])
    assert grouped[0]['last_for'] == ['node1', 'node2', 'tpc1']
