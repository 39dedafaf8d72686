"""Fixtures for the integration tests: a namespace lab and real playbook runs."""
import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'lab'))

import lab as lab_builder  # noqa: E402  pylint: disable=wrong-import-position

BIN = os.path.join(ROOT, '.venv', 'bin')


class Run(object):
    """One ansible-playbook run and what it left in its output folder."""

    def __init__(self, process, output_dir):
        self.process = process
        self.output_dir = output_dir
        self.run_dir = os.path.realpath(os.path.join(output_dir, 'latest'))

    @property
    def rc(self):
        return self.process.returncode

    @property
    def output(self):
        return self.process.stdout

    def summary(self):
        with open(os.path.join(self.run_dir, 'summary.json')) as handle:
            return json.load(handle)

    def raw(self, name):
        with open(os.path.join(self.run_dir, name)) as handle:
            return handle.read()


# A warning that Python's warnings module printed for code outside the collection
# (site-packages): its header line and the source line it quotes.
_THIRD_PARTY_WARNING = re.compile(r'/\S*/site-packages/\S+\.py:\d+: [A-Za-z]*Warning: [^\n]*\n?(?:  [^\n]*\n?)?')


def own_warnings(text):
    """The warnings in ``text`` that are of the collection's own making.

    Ansible's ``[WARNING]`` and ``[DEPRECATION WARNING]`` lines always count
    (a bad DOCUMENTATION, a deprecated option, a plugin's warning), and so does a
    Python warning raised in the collection's code. A deprecation notice that the
    Python runtime prints for a third-party library in site-packages (such as
    cryptography's about DSA, through ansible-core) does not: users see it, and it
    is not ours to fix.
    """
    rest = _THIRD_PARTY_WARNING.sub('', text)
    return [line for line in rest.splitlines() if 'warning' in line.lower()]


def ansible_env(**extra):
    env = dict(os.environ)
    env['PATH'] = BIN + os.pathsep + env.get('PATH', '')
    env['ANSIBLE_CONFIG'] = os.path.join(ROOT, 'ansible.cfg')
    env['ANSIBLE_FORCE_COLOR'] = '0'
    env['ANSIBLE_NOCOLOR'] = '1'
    env.update(extra)
    return env


def run_playbook(playbook, inventory, output_dir, *args, timeout=900, env=None):
    argv = [os.path.join(BIN, 'ansible-playbook'), '-i', inventory, playbook,
            '-e', 'iperf_output_dir=%s' % output_dir] + list(args)
    process = subprocess.run(argv, cwd=ROOT, check=False, env=ansible_env(**(env or {})), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, universal_newlines=True, timeout=timeout)
    sys.stdout.write(process.stdout[-6000:])
    return Run(process, output_dir)


@pytest.fixture(scope='session')
def lab():
    """A lab of two nodes and one TPC, each a namespace with its own sshd."""
    name = 'it%d' % (os.getpid() % 1000)
    info = lab_builder.up(name, nodes=2)
    try:
        yield info
    finally:
        lab_builder.down(name)


@pytest.fixture
def no_iperf_left(lab):
    """After the test, no iperf process may be left in any of the lab's namespaces."""
    yield
    left = dict((host, lab_builder.iperf_pids_in_namespace(data['namespace']))
                for host, data in lab['hosts'].items())
    assert not any(left.values()), 'iperf processes left behind: %r' % left
