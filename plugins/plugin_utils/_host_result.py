# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a host returns is data: check it before the controller keeps or shows any of it.

Controller-only. The action plugin of apetools.iperf.iperf_session checks each
side result with :func:`check_side` and compares it with what the controller
planned (:func:`planned_side`, :func:`remote_file`) before it stores anything;
the summary reads the side records back through :func:`check_record`.

- A value of the wrong type, or a number that is not finite or out of range,
  raises :class:`InvalidResult`, which says what and where
  (``measurement.intervals[3].bps is 'x', not a number``).
- Text becomes one line of printable characters, cut to a length
  (:func:`clean_text`, the one sanitiser for terminals, records and CSV).
- Lists are cut to a length, and keys the schema does not know are dropped.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os
import posixpath
import re
from urllib.parse import quote

from ansible_collections.apetools.iperf.plugins.module_utils.iperf_records import clean_text
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_session import (
    IperfSession,
    Parameters,
    side_filename,
    test_prefix,
)

__all__ = ('InvalidResult', 'check_call', 'check_record', 'check_side', 'clean_text', 'planned_side', 'remote_file')

# The hosts whose folder the run keeps, because a raw file is only there: <run_dir>/left-on-hosts/<host>.json.
LEFT_ON_HOSTS = 'left-on-hosts'
SHORT = 300
LONG = 2000
MAX_BPS = 1e13  # 10 Tbit/s
MAX_SECONDS = 10 * 366 * 86400.0  # a side of a batch may wait for days; ten years is not a test
MAX_EPOCH = 1e10  # the year 2286
MAX_INT = 2 ** 63 - 1
MAX_INTERVALS = 1000000
MAX_ARGV = 1000


class InvalidResult(ValueError):
    """A host's result that does not fit the schema or the plan: what is wrong, and where."""

    def __init__(self, problem, where=None):
        super(InvalidResult, self).__init__(problem)
        self.problem = problem
        self.where = list(where or [])

    def within(self, key):
        """The same error, one level up (``bps`` becomes ``intervals[3].bps``)."""
        self.where.insert(0, key)
        return self

    def __str__(self):
        path = ''
        for key in self.where:
            path += '[%d]' % key if isinstance(key, int) else ('.' if path else '') + key
        return '%s %s' % (path or 'the result', self.problem)


def _show(value):
    """A short, safe picture of a value for a message."""
    if isinstance(value, str):
        return repr(clean_text(value, 60))
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    return 'a %s' % type(value).__name__


# ---------------------------------------------------------------------------
# Checks: each takes a value and returns it cleaned, or raises InvalidResult.
# None passes every check: a figure that a side could not know is None.


def text(limit=SHORT, choices=None):
    def check(value):
        if value is None:
            return None
        if not isinstance(value, str):
            raise InvalidResult('is %s, not text' % _show(value))
        if choices is not None and value not in choices:
            raise InvalidResult('is %s, not one of %s' % (_show(value), ', '.join(choices)))
        return clean_text(value, limit)
    return check


def number(low, high, whole=False):
    """A finite number from ``low`` to ``high``; with ``whole``, an int."""
    kind = 'a whole number' if whole else 'a number'

    def check(value):
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
            raise InvalidResult('is %s, not %s' % (_show(value), kind))
        if not low <= value <= high:  # NaN fails both comparisons
            raise InvalidResult('is %s, not %s from %.12g to %.12g' % (_show(value), kind, low, high))
        return value
    return check


def flag(value):
    if value is None or isinstance(value, bool):
        return value
    raise InvalidResult('is %s, not true or false' % _show(value))


def items(check, limit):
    """A list, cut to ``limit`` items, each through ``check``."""
    def check_list(value):
        if value is None:
            return None
        if not isinstance(value, list):
            raise InvalidResult('is %s, not a list' % _show(value))
        result = []
        for position, item in enumerate(value[:limit]):
            try:
                result.append(check(item))
            except InvalidResult as exc:
                raise exc.within(position)
        return result
    return check_list


def fields(spec):
    """A mapping with the keys of ``spec`` that it has, each through its check; other keys are dropped."""
    def check(value):
        if value is None:
            return None
        if not isinstance(value, dict):
            raise InvalidResult('is %s, not a mapping' % _show(value))
        result = {}
        for key, check_value in spec.items():
            if key in value:
                try:
                    result[key] = check_value(value[key])
                except InvalidResult as exc:
                    raise exc.within(key)
        return result
    return check


# ---------------------------------------------------------------------------
# The schema: what apetools.iperf.iperf_session returns, and the side records.

SECONDS = number(0, MAX_SECONDS)
EPOCH = number(0, MAX_EPOCH)
BPS = number(0, MAX_BPS)
COUNT = number(0, MAX_INT, whole=True)
# iperf3 counts the CPU time of every core: a busy host shows more than 100.
CPU = number(0, 100 * 1024)
DIRECTION = dict(
    duration_s=SECONDS, sent_bps=BPS, received_bps=BPS, sent_bytes=COUNT, received_bytes=COUNT,
    retransmits=COUNT, jitter_ms=number(0, 1e9),
    # iperf2 counts reordered datagrams as lost again: its loss can be negative.
    lost_percent=number(-100, 100), lost_packets=number(-MAX_INT, MAX_INT, whole=True), packets=COUNT,
    intervals=items(fields(dict(start=SECONDS, end=SECONDS, bps=BPS)), MAX_INTERVALS),
)
MEASUREMENT = fields(dict(
    DIRECTION, error=text(LONG), protocol=text(choices=('tcp', 'udp')), streams=COUNT,
    cpu_local_percent=CPU, cpu_remote_percent=CPU, reverse=fields(DIRECTION),
    role=text(choices=('client', 'server')),
))
SIDE_FIELDS = dict(
    role=text(choices=('sender', 'receiver')), sender=text(), receiver=text(), node=text(), direction=text(),
    repetition=COUNT, key=text(), filename=text(), remote_path=text(4096), argv=items(text(), MAX_ARGV),
    measurement=MEASUREMENT, attempts=COUNT, duration_s=SECONDS, started_at=EPOCH, ended_at=EPOCH,
    rc=number(-255, 255, whole=True), stderr=text(LONG), error=text(LONG), succeeded=flag, finished=flag,
    cleared_stale_pids=items(COUNT, 1000),
)
check_side = fields(SIDE_FIELDS)
# A side record on the controller's disk: a side, and what the controller added.
check_record = fields(dict(SIDE_FIELDS, host=text(), file=text(), reconnects=COUNT))
# The top of a module call's result; with O(tests), each of its sides is checked by itself.
check_call = fields(dict(
    changed=flag, failed=flag, finished=flag, released=flag, msg=text(LONG),
    sides=items(lambda side: side, MAX_INT),
))


# ---------------------------------------------------------------------------
# What the controller expects, from what it sent.


def planned_side(test, this_host, nodes=None, filename_prefix=None, filename_base=None):
    """This host's side of ``test`` as the controller plans it.

    Returns ``dict(node, direction, repetition, sender, receiver, role, filename)``; ``role`` and
    ``filename`` are None when the host takes no part. A planned test (apetools.iperf.iperf_plan)
    names its files; a test without them (a single test's parameters) is named here by the same
    IperfSession code the module runs. Raises what the module would on bad parameters.
    """
    planned = dict(node=str(test['node']), direction=IperfSession.direction(test['direction']),
                   repetition=int(test.get('repetition') or 1))
    files = test.get('files')
    if files and test.get('sender') and test.get('receiver'):
        planned.update(sender=test['sender'], receiver=test['receiver'])
    else:
        def iperf_test(sender, receiver, filename):
            planned.update(sender=sender['host'], receiver=receiver['host'])
            return filename
        session = IperfSession(iperf_test, nodes or {}, test.get('tpc'), filename_base=filename_base)
        filename = session(Parameters(test['node'], test['direction']),
                           filename_prefix=test_prefix(test['direction'], planned['repetition'], filename_prefix))
        files = dict((role, side_filename(filename, role)) for role in ('sender', 'receiver'))
    role = 'sender' if planned['sender'] == this_host else 'receiver' if planned['receiver'] == this_host else None
    planned.update(role=role, filename=files[role] if role else None)
    if role and not _file_name(planned['filename']):
        raise ValueError('the planned file name %r is not a plain file name' % (planned['filename'],))
    return planned


def _file_name(name):
    return isinstance(name, str) and name not in ('', '.', '..') and posixpath.basename(name) == name and \
        clean_text(name, 255) == name


def against_plan(side, planned):
    """Raise InvalidResult where the host's ``side`` says other than the plan."""
    for key in ('role', 'node', 'direction', 'repetition', 'sender', 'receiver', 'filename'):
        if key == 'role' or key in side:
            if side.get(key) != planned.get(key):
                raise InvalidResult('is %s, and the plan says %s' % (_show(side.get(key)), _show(planned.get(key))),
                                    [key])


_EXPANDED = re.compile(r'[~$][^/]*')


def remote_file(reported, remote_dir, name):
    """Where to fetch a side's raw file from: ``name`` in the ``remote_dir`` that the controller sent.

    ``reported`` is the host's ``remote_path``; it must be that path, or InvalidResult is raised. The
    module's remote_dir is of type path, so the host expands ``~`` and ``$VARS`` in it: of such a folder
    the controller checks the part after the last of them, and without remote_dir (the module's default)
    only that the file has the planned name and the path does not climb.
    """
    if not isinstance(reported, str):
        raise InvalidResult('is %s, not text' % _show(reported), ['remote_path'])
    expected = posixpath.join(remote_dir, name) if remote_dir else None
    # The runner adds a counter (``.1``) rather than overwrite a file that is there.
    stem, dot, counter = reported.rpartition('.')
    unnumbered = stem if dot and counter.isdigit() and stem.endswith(name) else reported
    if expected is not None and not _EXPANDED.search(expected):
        fits = unnumbered == expected
    else:
        tail = '/' + name if expected is None else _EXPANDED.split(expected)[-1]
        fits = (reported.startswith('/') and unnumbered.endswith(tail) and '..' not in reported.split('/')
                and clean_text(reported, 4096) == reported)
    if not fits:
        raise InvalidResult('is %s, not %s' % (_show(reported), repr(expected) if expected else
                                               'a file named %r' % name), ['remote_path'])
    return reported


def kept_on_host(run_dir, host):
    """Whether what ``host`` measured in the run may be only on it, so that its folder there must stay: the run
    lost it during a test (a ``lost`` or ``unreachable`` record), or a raw file of it did not reach the controller
    (see troubleshooting.md). Decided here only."""
    records = os.path.join(glob.escape(run_dir), 'records', glob.escape(host))
    return bool(glob.glob(records + '.unreachable*.json') or glob.glob(records + '.lost*.json')
                or os.path.lexists(left_on_host_path(run_dir, host)))


def left_on_host_path(run_dir, host):
    """The file that says a raw file of ``host`` is only on it; any inventory name makes a plain file name."""
    return os.path.join(run_dir, LEFT_ON_HOSTS, '%s.json' % quote(host, safe=''))
