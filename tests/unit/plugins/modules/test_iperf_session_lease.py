# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A host done with a batch, with a later one, stays held until that batch starts at the latest."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.apetools.iperf.plugins.module_utils._state_dir import write_json
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_batch import Batch
from ansible_collections.apetools.iperf.plugins.module_utils._lease import Lease
from ansible_collections.apetools.iperf.plugins.modules.iperf_session import _keep_for_next


def _setup(tmp_path, started_ago):
    lease, batch = Lease(str(tmp_path / 'locks'), 'node1'), Batch(str(tmp_path / 'batch.x.job'), 20)
    write_json(batch.started_path, dict(started=time.time() - started_ago))
    lease.hold('run-a', 80)
    return lease, batch


def test_the_lease_lasts_until_the_next_batch_can_start_plus_the_ttl(tmp_path):
    lease, batch = _setup(tmp_path, started_ago=100)
    _keep_for_next(lease, dict(run='run-a', expires_in=80, next_within=600), batch)
    # 600 s after this batch started, which was 100 s ago; then the next batch's calls renew it.
    assert abs(lease.holder()['expires'] - (time.time() + 500 + 80)) < 5
    # A retried call's hold then sets the host's part to its TTL, and keeps it again once it sees the end.
    lease.hold('run-a', 80)
    _keep_for_next(lease, dict(run='run-a', expires_in=80, next_within=600), batch)
    assert abs(lease.holder()['expires'] - (time.time() + 500 + 80)) < 5


def test_the_last_batch_keeps_nothing_and_a_lost_lease_is_not_taken_back(tmp_path):
    lease, batch = _setup(tmp_path, started_ago=0)
    before = lease.holder()['expires']
    _keep_for_next(lease, dict(run='run-a', expires_in=80, next_within=0), batch)
    assert lease.holder()['expires'] == before
    lease.release('run-a')
    _keep_for_next(lease, dict(run='run-a', expires_in=80, next_within=600), batch)
    assert lease.holder() is None
