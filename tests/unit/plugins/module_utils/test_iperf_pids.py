"""A process is ours only if the identity recorded when it started still matches: uid, start time, argv."""
import json
import os
import subprocess
import sys
import time

import pytest

from ansible_collections.apetools.iperf.plugins.module_utils._state_dir import UnsafeStateDir
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_pids import PidFiles, identity

PORT = 5999
SLEEP = 'import time; time.sleep(300)'
# The victim's command line ends like the server the collection would start.
SUFFIX = ['iperf3', '-s', '-p', str(PORT), '-1', '-J']


@pytest.fixture
def victim():
    """A process that must survive: a root process that is not ours (here: a sleep in a session of its own)."""
    process = subprocess.Popen([sys.executable, '-c', SLEEP] + SUFFIX, start_new_session=True)
    time.sleep(0.1)
    yield process
    process.kill()
    process.wait()


def forge(pids, port, **record):
    os.makedirs(pids.folder, mode=0o700, exist_ok=True)
    with open(pids.path(port), 'w') as handle:
        json.dump(record, handle)


def test_the_identity_is_uid_start_time_and_the_whole_argv(victim):
    found = identity(victim.pid)
    assert found['uid'] == os.getuid()
    assert found['argv'] == [sys.executable, '-c', SLEEP] + SUFFIX
    assert found['start'].isdigit()
    assert identity(2 ** 22 + 7) is None  # no such pid


def test_a_recorded_process_is_ours_and_is_stopped_with_its_group(tmp_path, victim):
    pids = PidFiles(str(tmp_path / 'pids'), 'h')
    pids.claim(victim.pid, PORT)
    assert pids.is_ours(PORT)
    assert pids.clear_stale(PORT) == [victim.pid]
    assert victim.wait(5) is not None
    assert not os.path.exists(pids.path(PORT))


def test_the_files_are_private(tmp_path, victim):
    pids = PidFiles(str(tmp_path / 'pids'), 'h')
    path = pids.claim(victim.pid, PORT)
    assert os.stat(pids.folder).st_mode & 0o777 == 0o700
    assert os.stat(path).st_mode & 0o777 == 0o600


@pytest.mark.parametrize('change', [
    # The old check accepted a pid file whose argv was a suffix of the victim's command line.
    lambda found: dict(found, argv=SUFFIX),
    lambda found: dict(found, start=str(int(found['start']) + 1)),  # the pid was reused since
    lambda found: dict(found, uid=found['uid'] + 1001),
    lambda found: dict(found, argv=found['argv'][:-1]),
])
def test_a_forged_or_stale_pid_file_never_kills(tmp_path, victim, change):
    pids = PidFiles(str(tmp_path / 'pids'), 'h')
    forge(pids, PORT, pid=victim.pid, identity=change(identity(victim.pid)))
    assert not pids.is_ours(PORT)
    assert pids.clear_stale(PORT) == []
    assert victim.poll() is None
    assert not os.path.exists(pids.path(PORT))


def test_a_pid_file_in_the_old_format_never_kills(tmp_path, victim):
    pids = PidFiles(str(tmp_path / 'pids'), 'h')
    forge(pids, PORT, pid=victim.pid, argv=SUFFIX, started=time.time())
    assert pids.clear_stale(PORT) == []
    assert victim.poll() is None


def test_a_pid_file_that_is_a_link_is_not_read(tmp_path, victim):
    pids = PidFiles(str(tmp_path / 'pids'), 'h')
    real = tmp_path / 'elsewhere.json'
    real.write_text(json.dumps(dict(pid=victim.pid, identity=identity(victim.pid))))
    os.makedirs(pids.folder, mode=0o700)
    os.symlink(str(real), pids.path(PORT))
    assert not pids.is_ours(PORT)
    assert pids.clear_stale(PORT) == []
    assert victim.poll() is None


def test_a_pid_folder_another_user_owns_is_refused(tmp_path, victim):
    folder = tmp_path / 'pids'
    folder.mkdir(mode=0o700)
    os.chown(str(folder), 1001, 1001)
    with pytest.raises(UnsafeStateDir, match=r'pids is owned by uid 1001'):
        PidFiles(str(folder), 'h').claim(victim.pid, PORT)


def test_a_reused_pid_is_never_signalled(tmp_path, victim):
    """stop() checks the identity before each signal: a pid that names another process by then is left alone."""
    from ansible_collections.apetools.iperf.plugins.module_utils.iperf_pids import stop
    assert stop(victim.pid, dict(identity(victim.pid), start='1'))
    assert victim.poll() is None
