# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's ``main()`` for real, in this process, and read what it returned."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import socket
import subprocess
import time

import pytest

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core before 2.19
    import contextlib

    from ansible.module_utils import basic
    from ansible.module_utils.common.text.converters import to_bytes

    @contextlib.contextmanager
    def patch_module_args(args):
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = to_bytes(json.dumps(dict(ANSIBLE_MODULE_ARGS=args)))
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved


@pytest.fixture
def run_module(capsys):
    """``run_module(module, **args)``: the module's result as a dict; it always exits, through exit or fail."""
    def run(module, **args):
        capsys.readouterr()  # only this call's output
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                module.main()
        return json.loads(capsys.readouterr().out)
    return run


def _free_port():
    """A TCP port of the loopback that nothing uses now (the kernel's pick)."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


@pytest.fixture
def free_port():
    return _free_port


@pytest.fixture
def iperf3_server():
    """A real ``iperf3 -s`` on a free loopback port, in a session of its own as the collection starts its
    servers; ``(process, port)``. Killed at the end, whatever the test did."""
    from ansible_collections.apetools.iperf.plugins.module_utils._host_ports import listening_ports

    port = _free_port()
    process = subprocess.Popen(['iperf3', '-s', '-B', '127.0.0.1', '-p', str(port)], start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 5
        while port not in listening_ports(port, 1) and time.time() < deadline:
            time.sleep(0.05)
        assert port in listening_ports(port, 1), 'iperf3 -s did not listen on port %d' % port
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
