# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How long a host done with a batch stays held: until its next batch can start at the latest."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.apetools.iperf.plugins.action.iperf_plan import ActionModule


def _test(index, sender, receiver, starts_within):
    return dict(index=index, sender=sender, receiver=receiver, starts_within=starts_within, node=receiver,
                direction='to_node', repetition=1)


def test_each_batch_starts_at_the_latest_once_every_earlier_one_ran_to_its_deadlines():
    grouped = [[[_test(1, 'tpc1', 'node1', 0)], [_test(2, 'tpc1', 'node2', 100)]],  # 2 waves: ends by 100 + slack
               [[_test(3, 'tpc1', 'node3', 0)]],
               [[_test(4, 'tpc1', 'node1', 0)]]]
    planned = [ActionModule._batch(number, batch) for number, batch in enumerate(grouped, 1)]
    planned = ActionModule._lease_times(planned, grouped, 250)
    assert [batch['starts_within_s'] for batch in planned] == [0, 350, 600]
    # tpc1 is in every batch; node1 waits through batch 2 for batch 4's test; node2 and node3 have no later batch.
    assert planned[0]['next_within_s'] == dict(tpc1=350, node1=600)
    assert planned[1]['next_within_s'] == dict(tpc1=250)
    assert planned[2]['next_within_s'] == {}


def test_one_batch_keeps_no_host_for_later():
    grouped = [[[_test(1, 'tpc1', 'node1', 0)]]]
    planned = ActionModule._lease_times([ActionModule._batch(1, grouped[0])], grouped, 250)
    assert planned[0]['starts_within_s'] == 0 and planned[0]['next_within_s'] == {}
