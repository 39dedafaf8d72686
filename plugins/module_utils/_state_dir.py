# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state folder on a host: private to the collection, not a public API.

The collection keeps pid files, leases, jobs and raw output in a folder on
each host, and runs there as root. Another user of the host must not be able
to steer it: a folder they could write, or a link they planted, would let them
make root kill, overwrite or read what they chose. So, as OpenSSH's StrictModes
does, every component of the path is checked with ``lstat`` before any use:

- no component is a symbolic link that anyone else could change;
- each is owned by root or by the user we run as;
- none is writable by group or others, unless it is root's and sticky (``/tmp``).

Missing components are made with mode 0700, and files with mode 0600 through
``O_CREAT | O_EXCL | O_NOFOLLOW``; files are read with ``O_NOFOLLOW``. Nothing
in the folder is ever followed through a link.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import json
import os
import stat

DIR_MODE = 0o700
FILE_MODE = 0o600
_NOFOLLOW = getattr(os, 'O_NOFOLLOW', 0)
_CLOEXEC = getattr(os, 'O_CLOEXEC', 0)


# The option every module that keeps state on a host takes; documented once in
# the doc fragment apetools.iperf.state_dir.
STATE_DIR_SPEC = dict(state_dir=dict(type='path'))


class UnsafeStateDir(Exception):
    """A state folder that another user could steer; the message names the path and the reason."""


def default_state_dir(uid=None, environ=None):
    """Where the collection keeps its state on this host when the play does not say.

    Root: ``/var/lib/apetools-iperf`` (``/var/lib`` is root's alone). Another user:
    ``$XDG_STATE_HOME/apetools-iperf``, by default ``~/.local/state/apetools-iperf``.
    Never a folder in ``/tmp`` or ``/var/tmp``, which anyone can pre-create, and
    not ``$XDG_RUNTIME_DIR``, which systemd removes when the user's last session
    ends: a lost connection would take the run's results with it.
    """
    uid = os.geteuid() if uid is None else uid
    environ = os.environ if environ is None else environ
    if uid == 0:
        return '/var/lib/apetools-iperf'
    state = environ.get('XDG_STATE_HOME')
    if not state or not os.path.isabs(state):
        state = os.path.join(os.path.expanduser('~'), '.local', 'state')
    return os.path.join(state, 'apetools-iperf')


def folders(state_dir=None):
    """The state folder (``state_dir`` or the default) and the folders in it, by role: ``state``, ``pids``
    (the pid files of the iperf processes started here) and ``locks`` (the lease). Worked out here only."""
    state = os.path.normpath(state_dir or default_state_dir())
    return dict(state=state, pids=os.path.join(state, 'pids'), locks=os.path.join(state, 'locks'))


def checked_folders(state_dir, create):
    """``folders(state_dir)``, each checked (see ``check``); raise UnsafeStateDir naming the unsafe one.

    ``create`` False checks what exists and makes nothing: a missing folder is checked when it is made.
    """
    found = folders(state_dir)
    for folder in (found['state'], found['pids'], found['locks']):
        try:
            check(folder, create=create)
        except (UnsafeStateDir, ValueError) as exc:
            raise UnsafeStateDir('its state folder %s is not safe to use: %s (see the security guide, '
                                 'docs/security.md)' % (folder, exc))
    return found


def _components(path):
    """``/a/b/c`` -> ``['/', '/a', '/a/b', '/a/b/c']``."""
    path = os.path.normpath(path)
    parts, head = [], path
    while True:
        parts.append(head)
        parent = os.path.dirname(head)
        if parent == head:
            break
        head = parent
    return parts[::-1]


def _why_unsafe(component, st, uid):
    if stat.S_ISLNK(st.st_mode):
        return '%s is a symbolic link owned by uid %d' % (component, st.st_uid)
    if not stat.S_ISDIR(st.st_mode):
        return '%s is not a folder' % component
    if st.st_uid not in (0, uid):
        return '%s is owned by uid %d' % (component, st.st_uid)
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not (st.st_uid == 0 and st.st_mode & stat.S_ISVTX):
        return '%s is writable by %s (mode %04o)' % (
            component, 'group and others' if st.st_mode & stat.S_IWGRP and st.st_mode & stat.S_IWOTH
            else 'its group' if st.st_mode & stat.S_IWGRP else 'others', stat.S_IMODE(st.st_mode))
    return None


def check(path, uid=None, create=True, _depth=0):
    """Check every component of ``path`` and return it; make what is missing (mode 0700) when ``create``,
    else stop at the first one missing.

    A symbolic link on the way is followed only when nobody else can change it:
    it is root's or ours, in a folder that passed the check, and what it points
    to passes the check too (OpenWrt's ``/var`` is a link to ``/tmp``). Any
    other link is refused.

    Raises UnsafeStateDir with the first component that fails and why, and
    ValueError for a path that is not absolute.
    """
    uid = os.geteuid() if uid is None else uid
    if not isinstance(path, str) or not os.path.isabs(path):
        raise ValueError('the state folder must be an absolute path, not %r' % (path,))
    for component in _components(path):
        try:
            st = os.lstat(component)
        except OSError as exc:
            if exc.errno == errno.ENOENT and not create:
                break  # made, and checked, when it is first used
            if exc.errno != errno.ENOENT:
                raise UnsafeStateDir('%s cannot be checked: %s' % (component, exc.strerror))
            try:
                os.mkdir(component, DIR_MODE)
            except OSError as made:
                if made.errno != errno.EEXIST:
                    raise UnsafeStateDir('%s cannot be made: %s' % (component, made.strerror))
            # Checked again: someone may have made it first, their way.
            st = os.lstat(component)
        if stat.S_ISLNK(st.st_mode) and st.st_uid in (0, uid) and _depth < 8:
            target = os.path.realpath(component)
            if not os.path.isdir(target):
                raise UnsafeStateDir('%s is a symbolic link to %s, which is not a folder' % (component, target))
            check(target, uid, create=False, _depth=_depth + 1)
            continue
        reason = _why_unsafe(component, st, uid)
        if reason:
            raise UnsafeStateDir(reason)
    return os.path.normpath(path)


def makedirs(path, top, uid=None):
    """Make ``path``, a folder inside the checked folder ``top``, with mode 0700 and no link on the way."""
    top, path = os.path.normpath(top), os.path.normpath(path)
    if os.path.commonpath([top, path]) != top:
        raise ValueError('%s is not inside the state folder %s' % (path, top))
    uid = os.geteuid() if uid is None else uid
    for component in _components(path)[len(_components(top)):]:
        try:
            os.mkdir(component, DIR_MODE)
        except OSError as exc:
            if exc.errno != errno.EEXIST:
                raise
        reason = _why_unsafe(component, os.lstat(component), uid)
        if reason:
            raise UnsafeStateDir(reason)
    return path


def create(path, binary=False):
    """A new file at ``path`` (mode 0600), open for writing; never an existing file, never through a link."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, FILE_MODE)
    return os.fdopen(fd, 'wb' if binary else 'w')


def read(path, binary=False):
    """``path``'s content, read without following a link (OSError if it is one)."""
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
    with os.fdopen(fd, 'rb') as handle:
        data = handle.read()
    return data if binary else data.decode('utf-8', 'replace')


def read_json(path, default=None):
    """The JSON at ``path``, or ``default`` when it is missing, a link, or not JSON."""
    try:
        return json.loads(read(path))
    except (OSError, IOError, ValueError):
        return default


def write_json(path, data):
    """Write JSON through a new draft (O_EXCL, no link), renamed over ``path``: a reader never sees half of it.

    The rename replaces whatever is at ``path``, a link included, and never writes through it.
    """
    # Per process: two writers of one file (a retried call, a detached job) never share a draft.
    draft = '%s.partial.%d' % (path, os.getpid())
    try:
        os.unlink(draft)  # a draft a killed writer of the same pid left
    except OSError:
        pass
    with create(draft) as handle:
        json.dump(data, handle)
        handle.write('\n')
    os.replace(draft, path)
