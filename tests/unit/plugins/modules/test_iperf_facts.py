# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""apetools.iperf.iperf_facts, run for real: the installed binaries, the busy ports, a read-only state check."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import socket

import pytest

from ansible_collections.apetools.iperf.plugins.module_utils import _state_dir
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_pids import PidFiles
from ansible_collections.apetools.iperf.plugins.modules import iperf_facts


@pytest.fixture
def state(tmp_path):
    return str(tmp_path / 'state')


def test_both_installed_binaries_are_found_with_their_versions(run_module, state):
    result = run_module(iperf_facts, state_dir=state)
    assert not result.get('failed') and result['changed'] is False
    assert os.path.basename(result['iperf3']['path']) == 'iperf3' and result['iperf3']['version'].startswith('3.')
    assert os.path.basename(result['iperf2']['path']) == 'iperf' and result['iperf2']['version'].startswith('2.')
    assert result['state_dir'] == state and 'busy_ports' not in result


@pytest.mark.parametrize('require', [2, 3])
def test_the_required_version_is_there(run_module, state, require):
    result = run_module(iperf_facts, state_dir=state, require=require)
    assert not result.get('failed')


@pytest.mark.parametrize('require, hint', [(3, 'with: ansible-playbook apetools.iperf.install'),
                                           (2, 'with: ansible-playbook apetools.iperf.install -e iperf_version=2')])
def test_a_missing_binary_fails_with_how_to_install_it(run_module, state, require, hint):
    result = run_module(iperf_facts, state_dir=state, require=require, binary='iperf-not-here')
    assert result['failed'] is True
    assert 'iperf-not-here' in result['msg'] and result['msg'].endswith(hint)
    # The other version is still reported.
    assert result['iperf2' if require == 3 else 'iperf3']['path']


def test_ports_something_listens_on_are_busy(run_module, state, free_port):
    with socket.socket() as tcp, socket.socket(type=socket.SOCK_DGRAM) as udp:
        tcp.bind(('127.0.0.1', free_port()))
        tcp.listen(1)
        udp.bind(('127.0.0.1', 0))
        ports = sorted([tcp.getsockname()[1], udp.getsockname()[1]])
        result = run_module(iperf_facts, state_dir=state, port=ports[0], port_count=ports[1] - ports[0] + 1)
        assert set(ports) <= set(result['busy_ports']) and result['stale_ports'] == []
        result = run_module(iperf_facts, state_dir=state, port=tcp.getsockname()[1], port_count=1)
        assert result['busy_ports'] == [tcp.getsockname()[1]]
    # A TCP socket that does not listen holds no server port.
    with socket.socket() as tcp:
        tcp.bind(('127.0.0.1', 0))
        result = run_module(iperf_facts, state_dir=state, port=tcp.getsockname()[1], port_count=1)
        assert result['busy_ports'] == []


def test_a_stale_server_of_ours_is_told_apart_and_left_running(run_module, state, iperf3_server):
    process, port = iperf3_server
    PidFiles(_state_dir.checked_folders(state, create=True)['pids'], 'h1').claim(process.pid, port)
    result = run_module(iperf_facts, state_dir=state, port=port, port_count=1, this_host='h1')
    assert result['stale_ports'] == [port] and result['busy_ports'] == []
    assert process.poll() is None  # the check only looks: iperf_lease stops it once the host is taken
    result = run_module(iperf_facts, state_dir=state, port=port, port_count=1, this_host='h2')
    assert result['stale_ports'] == [] and result['busy_ports'] == [port]  # another host's pid files


def test_a_missing_state_folder_is_checked_and_not_made(run_module, state):
    result = run_module(iperf_facts, state_dir=state, port=5201, port_count=1)
    assert not result.get('failed') and result['state_dir'] == state
    assert not os.path.lexists(state)


def test_an_unsafe_state_folder_fails(run_module, tmp_path):
    open_dir = tmp_path / 'open'
    open_dir.mkdir()
    os.chmod(str(open_dir), 0o777)
    result = run_module(iperf_facts, state_dir=str(open_dir / 'state'))
    assert result['failed'] is True and 'not safe to use' in result['msg'] and str(open_dir) in result['msg']
    assert result['iperf3']['path']  # what was found is still reported
    assert not os.path.lexists(str(open_dir / 'state'))
