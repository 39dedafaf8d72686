# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""apetools.iperf.iperf_lease, run for real: take a host, report or wait for a busy one, give it back."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.apetools.iperf.plugins.module_utils import _state_dir
from ansible_collections.apetools.iperf.plugins.module_utils._lease import Lease
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_pids import PidFiles
from ansible_collections.apetools.iperf.plugins.modules import iperf_lease


@pytest.fixture
def state(tmp_path):
    return str(tmp_path / 'state')


@pytest.fixture
def lease_of(state):
    return lambda host='h1': Lease(_state_dir.folders(state)['locks'], host)


def test_a_free_host_is_taken(run_module, state, lease_of):
    result = run_module(iperf_lease, host='h1', run='r1', state_dir=state, controller='ctl')
    assert result['changed'] is True and result['busy'] is False and not result.get('failed')
    assert result['waited_s'] >= 0 and result['holder'] is None
    assert 'cleared_stale_pids' not in result  # no port range given
    holder = lease_of().holder()
    assert holder['run'] == 'r1' and holder['controller'] == 'ctl' and 'h1' in holder['holders']


def test_a_busy_host_is_reported_without_waiting_and_fails_once_waited_for(run_module, state, lease_of):
    lease_of().acquire('r-other', 600, 0, controller='ctl-other')
    result = run_module(iperf_lease, host='h1', run='r1', state_dir=state, wait=0)
    assert result['busy'] is True and result['changed'] is False and not result.get('failed')
    assert 'r-other' in result['message'] and 'ctl-other' in result['message']
    assert result['holder']['run'] == 'r-other'
    result = run_module(iperf_lease, host='h1', run='r1', state_dir=state, wait=1)
    assert result['failed'] is True
    assert 'waited' in result['msg'] and 'r-other' in result['msg'] and 'iperf_lock_timeout' in result['msg']
    assert lease_of().holder()['run'] == 'r-other'


def test_check_mode_makes_nothing(run_module, state):
    result = run_module(iperf_lease, host='h1', run='r1', state_dir=state, _ansible_check_mode=True)
    assert result['changed'] is False and result['busy'] is False and not result.get('failed')
    assert not os.path.lexists(state)


def test_check_mode_on_a_free_host_takes_nothing(run_module, state, lease_of):
    _state_dir.checked_folders(state, create=True)
    run_module(iperf_lease, host='h1', run='r1', state_dir=state, _ansible_check_mode=True)
    assert lease_of().holder() is None and not os.path.lexists(lease_of().path)


def test_absent_removes_the_run_folder_and_gives_the_host_back(run_module, state, lease_of):
    run_module(iperf_lease, host='h1', run='r1', state_dir=state)
    run_dir = os.path.join(state, 'h1', 'r1')
    os.makedirs(os.path.join(run_dir, 'raw'))
    with open(os.path.join(run_dir, 'raw', 't1.iperf'), 'w') as handle:
        handle.write('{}')
    result = run_module(iperf_lease, host='h1', run='r1', state_dir=state, state='absent', remove=run_dir)
    assert result['changed'] is True and result['removed'] is True and result['released'] is True
    assert not os.path.lexists(run_dir) and not os.path.lexists(os.path.join(state, 'h1'))  # the host's folder, empty, goes too
    assert lease_of().holder() is None
    # Again: nothing left to do.
    result = run_module(iperf_lease, host='h1', run='r1', state_dir=state, state='absent', remove=run_dir)
    assert result['changed'] is False and not result.get('failed')


def test_absent_does_not_give_back_another_runs_lease(run_module, state, lease_of):
    lease_of().acquire('r-other', 600, 0)
    result = run_module(iperf_lease, host='h1', run='r1', state_dir=state, state='absent')
    assert result['released'] is False and result['changed'] is False
    assert lease_of().holder()['run'] == 'r-other'


@pytest.mark.parametrize('where', ['outside', 'state', 'pids', 'locks', 'dotdot'])
def test_absent_refuses_to_remove_what_is_not_a_run_folder(run_module, tmp_path, state, lease_of, where):
    run_module(iperf_lease, host='h1', run='r1', state_dir=state)
    folders = _state_dir.folders(state)
    outside = tmp_path / 'precious'
    outside.mkdir()
    path = dict(outside=str(outside), state=state, pids=folders['pids'], locks=folders['locks'],
                dotdot=os.path.join(state, 'h1', '..', '..', 'precious'))[where]
    result = run_module(iperf_lease, host='h1', run='r1', state_dir=state, state='absent', remove=path)
    assert result['failed'] is True
    assert os.path.abspath(path) in result['msg'] and 'not a run folder' in result['msg']
    assert outside.is_dir() and os.path.isdir(state) and os.path.isdir(folders['pids']) and os.path.isdir(folders['locks'])
    assert lease_of().holder()['run'] == 'r1'  # refused before anything, the lease included


def test_an_unsafe_state_folder_fails(run_module, tmp_path):
    open_dir = tmp_path / 'open'
    open_dir.mkdir()
    os.chmod(str(open_dir), 0o777)
    result = run_module(iperf_lease, host='h1', run='r1', state_dir=str(open_dir / 'state'))
    assert result['failed'] is True and 'not safe to use' in result['msg'] and str(open_dir) in result['msg']
    assert not os.path.lexists(str(open_dir / 'state'))


def test_once_taken_a_stale_server_of_ours_on_the_range_is_stopped(run_module, state, iperf3_server):
    process, port = iperf3_server
    pids = PidFiles(_state_dir.checked_folders(state, create=True)['pids'], 'h1')
    pids.claim(process.pid, port)
    result = run_module(iperf_lease, host='h1', run='r1', state_dir=state, port=port - 2, port_count=5)
    assert result['changed'] is True and result['cleared_stale_pids'] == [process.pid]
    assert process.wait(5) is not None
    assert not os.path.lexists(pids.path(port))


def test_a_server_that_is_not_ours_is_left_alone(run_module, state, iperf3_server):
    process, port = iperf3_server  # listening, but no pid file of ours names it
    result = run_module(iperf_lease, host='h1', run='r1', state_dir=state, port=port, port_count=1)
    assert result['cleared_stale_pids'] == [] and process.poll() is None


def test_a_busy_host_clears_nothing(run_module, state, lease_of, iperf3_server):
    process, port = iperf3_server
    PidFiles(_state_dir.checked_folders(state, create=True)['pids'], 'h1').claim(process.pid, port)
    lease_of().acquire('r-other', 600, 0)  # the server may be the other run's
    result = run_module(iperf_lease, host='h1', run='r1', state_dir=state, port=port, port_count=1)
    assert result['busy'] is True and 'cleared_stale_pids' not in result and process.poll() is None
