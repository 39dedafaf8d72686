"""The state folder check: every component, as OpenSSH's StrictModes does."""
import os

import pytest

from ansible_collections.apetools.iperf.plugins.module_utils import _state_dir
from ansible_collections.apetools.iperf.plugins.module_utils._state_dir import UnsafeStateDir, check


def test_missing_folders_are_made_private(tmp_path):
    path = str(tmp_path / 'a' / 'b')
    assert check(path) == path
    assert os.stat(path).st_mode & 0o777 == 0o700
    assert os.stat(str(tmp_path / 'a')).st_mode & 0o777 == 0o700


def test_check_mode_makes_nothing(tmp_path):
    check(str(tmp_path / 'a' / 'b'), create=False)
    assert not os.path.exists(str(tmp_path / 'a'))


@pytest.mark.parametrize('mode, reason', [(0o777, 'writable by group and others (mode 0777)'),
                                          (0o770, 'writable by its group (mode 0770)'),
                                          (0o707, 'writable by others (mode 0707)')])
def test_a_folder_others_can_write_is_refused(tmp_path, mode, reason):
    open_dir = tmp_path / 'open'
    open_dir.mkdir()
    os.chmod(str(open_dir), mode)
    with pytest.raises(UnsafeStateDir, match='open is %s' % reason.replace('(', r'\(').replace(')', r'\)')):
        check(str(open_dir / 'state'))
    assert not os.path.exists(str(open_dir / 'state'))


def test_a_sticky_root_folder_is_fine_and_another_users_folder_is_not(tmp_path):
    check('/tmp')  # root's, sticky, writable by all
    theirs = tmp_path / 'theirs'
    theirs.mkdir(mode=0o700)
    os.chown(str(theirs), 1001, 1001)
    with pytest.raises(UnsafeStateDir, match='theirs is owned by uid 1001'):
        check(str(theirs / 'state'))


def test_a_link_another_user_made_is_refused_and_one_only_root_can_change_is_followed(tmp_path):
    real = tmp_path / 'real'
    real.mkdir(mode=0o700)
    link = tmp_path / 'var'
    os.symlink(str(real), str(link))
    # Root's link in root's folder (OpenWrt's /var -> /tmp): nobody else can change it.
    assert check(str(link / 'lib' / 'state')) == str(link / 'lib' / 'state')
    assert os.path.isdir(str(real / 'lib' / 'state'))
    os.lchown(str(link), 1001, 1001)
    with pytest.raises(UnsafeStateDir, match='var is a symbolic link owned by uid 1001'):
        check(str(link / 'lib' / 'state'))


def test_a_link_to_an_unsafe_folder_is_refused(tmp_path):
    target = tmp_path / 'open'
    target.mkdir()
    os.chmod(str(target), 0o777)
    os.symlink(str(target), str(tmp_path / 'link'))
    with pytest.raises(UnsafeStateDir, match='open is writable'):
        check(str(tmp_path / 'link' / 'state'))


def test_files_are_new_private_and_never_through_a_link(tmp_path):
    path = str(tmp_path / 'f.json')
    _state_dir.write_json(path, dict(a=1))
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert _state_dir.read_json(path) == dict(a=1)
    with pytest.raises(OSError):
        _state_dir.create(path)  # never an existing file
    os.symlink('/etc/passwd', str(tmp_path / 'link.json'))
    assert _state_dir.read_json(str(tmp_path / 'link.json')) is None
    with pytest.raises(OSError):
        _state_dir.create(str(tmp_path / 'link.json'))


def test_the_default_folder_is_never_a_shared_one():
    assert _state_dir.default_state_dir(uid=0) == '/var/lib/apetools-iperf'
    assert _state_dir.default_state_dir(uid=1000, environ=dict(XDG_STATE_HOME='/home/u/.state')) == \
        '/home/u/.state/apetools-iperf'
    assert _state_dir.default_state_dir(uid=1000, environ=dict(XDG_RUNTIME_DIR='/run/user/1000')).endswith(
        '/.local/state/apetools-iperf')
