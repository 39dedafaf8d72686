"""Another user of a host cannot steer the collection through its state folder.

The lab's hosts are namespaces over this machine's file system, and the
playbook runs as root there: what an unprivileged user (uid 1001) plants in a
folder the run would use must neither kill, overwrite nor read anything.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import run_playbook

SESSION = 'apetools.iperf.session'
EVIL_UID = 1001


@pytest.fixture
def victim():
    """A root process that is not ours, whose command line ends like an iperf server's."""
    process = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)',
                                'iperf3', '-s', '-p', '5201', '-1', '-J'], start_new_session=True)
    yield process
    process.kill()
    process.wait()


@pytest.fixture
def planted(tmp_path, victim):
    """A state folder that uid 1001 made first, with links to root's files and a forged pid file."""
    folder = '/var/tmp/apetools-iperf-evil-%d' % os.getpid()
    shutil.rmtree(folder, ignore_errors=True)
    precious = tmp_path / 'precious'
    precious.write_text('root only\n')
    for sub in ('', 'pids', 'locks', 'tpc1', 'node1'):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
        os.chmod(os.path.join(folder, sub), 0o777)
    with open(os.path.join(folder, 'pids', 'tpc1-5201.pid'), 'w') as handle:
        json.dump(dict(pid=victim.pid, argv=['iperf3', '-s', '-p', '5201', '-1', '-J']), handle)
    # Links at names the collection would write or read.
    os.symlink(str(precious), os.path.join(folder, 'locks', 'iperf.lock'))
    os.symlink(str(precious), os.path.join(folder, 'pids', 'tpc1-5202.pid'))
    for root, dirs, files in os.walk(folder):
        for name in dirs + files + ['.']:
            os.lchown(os.path.join(root, name), EVIL_UID, EVIL_UID)
    yield dict(folder=folder, precious=precious)
    shutil.rmtree(folder, ignore_errors=True)


def test_a_state_folder_another_user_made_is_refused(lab, tmp_path, planted, victim, no_iperf_left):
    run = run_playbook(SESSION, lab['inventory'], str(tmp_path / 'out'), '-e', 'iperf_time=1',
                       '-e', 'iperf_remote_dir=%s' % planted['folder'])
    assert run.rc != 0
    records = run.summary()
    assert records and not any(record['succeeded'] for record in records)
    for record in records:
        # The host, the path and the reason.
        assert 'cannot take part' in record['error'], record
        assert '%s is owned by uid %d' % (planted['folder'], EVIL_UID) in record['error'], record
    assert victim.poll() is None, 'the forged pid file killed a process that is not ours'
    assert planted['precious'].read_text() == 'root only\n'
    # Nothing of ours was made in their folder.
    made = [os.path.join(root, name) for root, dirs, files in os.walk(planted['folder']) for name in dirs + files
            if os.lstat(os.path.join(root, name)).st_uid != EVIL_UID]
    assert not made, made


def test_a_folder_on_the_way_that_others_can_write_is_refused(lab, tmp_path, no_iperf_left):
    """Root's, but writable by everyone and not sticky: anyone could swap what lies below it."""
    top = '/var/tmp/apetools-iperf-open-%d' % os.getpid()
    shutil.rmtree(top, ignore_errors=True)
    os.makedirs(top)
    os.chmod(top, 0o777)
    try:
        run = run_playbook(SESSION, lab['inventory'], str(tmp_path / 'out'), '-e', 'iperf_time=1',
                           '-e', 'iperf_remote_dir=%s/state' % top)
        assert run.rc != 0
        for record in run.summary():
            assert not record['succeeded']
            assert '%s is writable by group and others (mode 0777)' % top in record['error'], record
        assert os.listdir(top) == []
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_the_default_state_folder_is_private(lab, tmp_path, no_iperf_left):
    """Without iperf_remote_dir, root's state lives in /var/lib/apetools-iperf, mode 0700."""
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(''.join(line for line in open(lab['inventory']) if 'iperf_remote_dir' not in line))
    run = run_playbook(SESSION, str(inventory), str(tmp_path / 'out'), '-e', 'iperf_time=1',
                       '-e', '{"iperf_directions": ["to_node"]}', '--limit', 'node1,tpc1')
    assert run.rc == 0, run.output
    assert os.stat('/var/lib/apetools-iperf').st_mode & 0o777 == 0o700
    for root, dirs, files in os.walk('/var/lib/apetools-iperf'):
        for name in dirs:
            assert os.lstat(os.path.join(root, name)).st_mode & 0o077 == 0, os.path.join(root, name)
        for name in files:
            assert os.lstat(os.path.join(root, name)).st_mode & 0o077 == 0, os.path.join(root, name)
