"""The collection builds, installs from its tarball, and runs from there."""
import json
import os
import subprocess
import tarfile

from conftest import BIN, ROOT

INVENTORY = """
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  children:
    nodes:
      hosts:
        n1: {iperf_address: 127.0.0.2}
    tpc:
      hosts:
        t1: {iperf_address: 127.0.0.3}
"""


def run(argv, cwd, **env):
    environment = dict(os.environ, PATH=BIN + os.pathsep + os.environ['PATH'], **env)
    environment.pop('ANSIBLE_CONFIG', None)
    process = subprocess.run(argv, cwd=str(cwd), env=environment, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    print(process.stdout[-4000:])
    return process


def test_build_install_and_run_from_the_tarball(tmp_path):
    build = run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--output-path', str(tmp_path), ROOT],
                tmp_path)
    assert build.returncode == 0
    (tarball,) = [name for name in os.listdir(str(tmp_path)) if name.endswith('.tar.gz')]
    with tarfile.open(str(tmp_path / tarball)) as archive:
        names = archive.getnames()
    assert 'plugins/modules/iperf_session.py' in names and 'roles/install/tasks/main.yml' in names
    for junk in ('.venv', '.collections', '.ansible', 'iperf-results', '.git', 'tests/output'):
        assert not any(name == junk or name.startswith(junk + '/') for name in names), junk

    collections = tmp_path / 'collections'
    install = run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '-p', str(collections),
                   str(tmp_path / tarball)], tmp_path, ANSIBLE_COLLECTIONS_PATH=str(collections))
    assert install.returncode == 0
    assert (collections / 'ansible_collections' / 'apetools' / 'iperf' / 'MANIFEST.json').exists()

    # From a folder of its own, with nothing of the checkout: only the installed copy.
    (tmp_path / 'inventory.yml').write_text(INVENTORY)
    session = run([os.path.join(BIN, 'ansible-playbook'), '-i', 'inventory.yml', 'apetools.iperf.session',
                   '-e', 'iperf_time=1', '-e', 'iperf_output_dir=results'], tmp_path,
                  ANSIBLE_COLLECTIONS_PATH=str(collections))
    assert session.returncode == 0
    assert str(collections) in session.stdout  # the tasks came from the installed copy
    with open(str(tmp_path / 'results' / 'latest' / 'summary.json')) as handle:
        records = json.load(handle)
    assert [r['succeeded'] for r in records] == [True, True]
