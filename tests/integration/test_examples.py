"""The EXAMPLES of every module run for real, and every plugin's doc renders."""
import json
import os
import subprocess

import pytest
import yaml

from conftest import BIN, ROOT, ansible_env, own_warnings

MODULES = ['apetools.iperf.iperf_facts', 'apetools.iperf.iperf_plan', 'apetools.iperf.iperf_lease',
           'apetools.iperf.iperf_session', 'apetools.iperf.iperf_summary']
INVENTORY = """
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    iperf_time: 1
    iperf_output_dir: %(output)s
    run_id: examples
  children:
    nodes:
      hosts:
        dut1: {iperf_address: 127.0.0.2}
    tpc:
      hosts:
        tpc1: {iperf_address: 127.0.0.3}
"""


def ansible_doc(*args):
    return subprocess.run([os.path.join(BIN, 'ansible-doc')] + list(args), cwd=ROOT, env=ansible_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)


@pytest.mark.parametrize('kind, name', [('module', m) for m in MODULES] + [
    ('filter', 'apetools.iperf.iperf_result'), ('role', 'apetools.iperf.install')])
def test_doc_renders(kind, name):
    process = ansible_doc('-t', kind, name)
    assert process.returncode == 0, process.stderr
    assert name.rsplit('.', 1)[1] in process.stdout.lower()
    assert not own_warnings(process.stderr), process.stderr


def test_every_module_example_runs(tmp_path):
    docs = json.loads(ansible_doc('--json', '-t', 'module', *MODULES).stdout)
    tasks = []
    for module in MODULES:
        tasks += yaml.safe_load(docs[module]['examples'])
    (tmp_path / 'inventory.yml').write_text(INVENTORY % dict(output=tmp_path / 'results'))
    playbook = [dict(name='The EXAMPLES of every module', hosts='all', gather_facts=False, tasks=tasks)]
    (tmp_path / 'examples.yml').write_text(yaml.safe_dump(playbook, sort_keys=False))
    process = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', str(tmp_path / 'inventory.yml'),
                              str(tmp_path / 'examples.yml')], cwd=ROOT, env=ansible_env(), check=False,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    print(process.stdout[-5000:])
    assert process.returncode == 0
    assert 'failed=0' in process.stdout
