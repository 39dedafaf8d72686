# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn the two sides of every test into one record, and write the summary.

Each side's record is written to disk by the task that measured it; this
module only merges what is there, so nothing measured depends on the end of
the run being reached.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import csv
import io
import json
import math
import os
import re

# format_bps: the one rate format (also importable from here), as the report shows rates.
from ansible_collections.apetools.iperf.plugins.module_utils._rates import format_bps
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_session import IperfConfigurationError, IperfSession

RECORDS_DIR = 'records'
PLAN_FILE = 'plan.json'
SUMMARY_JSON = 'summary.json'
SUMMARY_CSV = 'summary.csv'
STATISTICS_JSON = 'statistics.json'
STATISTICS_CSV = 'statistics.csv'
STATISTICS_FIELDS = ('node', 'direction', 'tests', 'succeeded', 'mean_bps', 'min_bps', 'max_bps', 'stdev_bps')

CSV_FIELDS = (
    'index', 'node', 'direction', 'repetition', 'sender', 'receiver', 'protocol', 'iperf_version',
    'succeeded', 'error', 'throughput_bps', 'sent_bps', 'received_bps', 'retransmits', 'jitter_ms',
    'lost_percent', 'cpu_sender_percent', 'cpu_receiver_percent', 'port', 'files', 'started_at', 'ended_at',
)


# Control characters (C0 with DEL and C1: ESC starts a terminal's escape
# sequences), bidirectional overrides, line and paragraph separators, and lone
# surrogates, which no file or terminal encodes.
_BREAKS = re.compile('[\t\n\r\x0b\x0c\x85\u2028\u2029]')
_CONTROLS = re.compile('[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]')
# OWASP's CSV injection rule: a spreadsheet reads a cell that starts so as a formula.
_FORMULA_STARTS = ('=', '+', '-', '@', '\t', '\r')


def clean_text(value, limit=2000):
    """``value`` as one line of printable text of at most ``limit`` characters.

    The one sanitiser for what hosts send, before a terminal, a record or a
    CSV cell sees it: line breaks and tabs become spaces, other control
    characters go.
    """
    if value is None:
        return ''
    text = _CONTROLS.sub('', _BREAKS.sub(' ', value if isinstance(value, str) else str(value))).strip()
    return text if len(text) <= limit else text[:max(0, limit - 3)].rstrip() + '...'


def csv_cell(value):
    """A CSV cell that no spreadsheet runs: text that starts like a formula gets a leading quote; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _number(value):
    """A finite number, else None: a record read back may hold anything."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or math.isinf(value):
        return None
    return value


def write_json(path, data, indent=None):
    """Write JSON through a temporary file, so a reader never sees half of it.

    Indenting makes json use its slow pure-Python encoder: only small files
    that people read get it.
    """
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # Per process: two writers of one file (a retried call, a detached job) never share a draft.
    partial = '%s.partial.%d' % (path, os.getpid())
    with open(partial, 'w') as handle:
        json.dump(data, handle, indent=indent, sort_keys=indent is not None)
        handle.write('\n')
    os.replace(partial, path)


def describe_side(side):
    """``dut1 to_node rep 1: 941 Mbit/s``, the line printed as a test ends."""
    measurement = side.get('measurement') or {}
    figure = measurement.get('received_bps')
    if figure is None:
        figure = measurement.get('sent_bps')
    return '%s %s rep %s: %s' % (side.get('node'), side.get('direction'), side.get('repetition'), format_bps(figure))


def _first(*values):
    for value in values:
        if value is not None:
            return value
    return None


def _key(node, direction, repetition):
    try:
        direction = IperfSession.direction(direction)
    except IperfConfigurationError:
        pass
    return (str(node), direction, int(repetition or 1))


def load_sides(run_dir, check=None):
    """Side records by (node, direction, repetition), then by host."""
    return read_records(run_dir, check)[0]


def read_records(run_dir, check=None):
    """``(sides, rejected)``: the side records as load_sides gives them, and why each file that is no record is not.

    ``check`` (the controller's schema) cleans each record or raises ValueError.
    """
    sides, rejected = {}, {}
    folder = os.path.join(run_dir, RECORDS_DIR)
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else ():
        if not name.endswith('.json'):
            continue
        try:
            with open(os.path.join(folder, name)) as handle:
                side = json.load(handle)
            if not isinstance(side, dict):
                raise ValueError('it holds %s, not a record' % type(side).__name__)
            if check is not None:
                side = check(side)
            key = _key(side.get('node'), side.get('direction'), side.get('repetition'))
            sides.setdefault(key, {}).setdefault(side.get('host'), side)
        except (OSError, IOError, ValueError, TypeError) as exc:
            rejected[name] = clean_text(exc, 300)
    return sides, rejected


def _rejected_sides(test, rejected):
    """Sides of ``test`` whose record file was refused: each a failed side that says why."""
    sides = {}
    for role, name in sorted((test.get('files') or {}).items()):
        reason = rejected.get('%s.json' % name)
        if reason is not None and test.get(role):
            sides[test[role]] = dict(host=test[role], error='%s %s rep %s: the record records/%s.json of %s is not valid: %s' % (
                test['node'], test['direction'], test['repetition'], name, test[role], reason))
    return sides


def merge_test(test, sides, options, min_bps=None, run_error=None):
    """One summary record from a planned test and the sides that reported."""
    sender = sides.get(test['sender'])
    receiver = sides.get(test['receiver'])
    sent = _mapping((sender or {}).get('measurement'))
    received = _mapping((receiver or {}).get('measurement'))
    errors = []
    if test.get('error'):
        # The plan's own errors may quote a host (its preflight's message).
        errors.append(clean_text(test['error']))
    elif run_error and not sides:
        errors.append('not run: the run stopped before it (%s)' % clean_text(run_error))
    for host, side in ((test['sender'], sender), (test['receiver'], receiver)):
        if side is None and not test.get('error') and not (run_error and not sides):
            errors.append('%s reported no result (unreachable, failed before the test, or interrupted)' % host)
        elif side is not None and side.get('error'):
            errors.append(clean_text(side['error']))
    throughput = _first(_number(received.get('received_bps')), _number(sent.get('received_bps')))
    if not errors and not throughput:
        errors.append('no throughput was measured')
    floor = test.get('min_bps') if test.get('min_bps') is not None else min_bps
    if not errors and floor and throughput < float(floor):
        errors.append('throughput %s is below the floor of %s' % (format_bps(throughput), format_bps(float(floor))))
    files = [side['file'] for side in (sender, receiver) if side and isinstance(side.get('file'), str) and side['file']]
    started = [side['started_at'] for side in (sender, receiver) if side and _number(side.get('started_at'))]
    ended = [side['ended_at'] for side in (sender, receiver) if side and _number(side.get('ended_at'))]
    return dict(
        index=test['index'],
        node=test['node'],
        direction=test['direction'],
        repetition=test['repetition'],
        sender=test['sender'],
        receiver=test['receiver'],
        protocol=options.get('protocol'),
        iperf_version=options.get('version'),
        port=test.get('port'),
        succeeded=not errors,
        error='; '.join(errors) if errors else None,
        throughput_bps=throughput,
        sent_bps=_first(_number(sent.get('sent_bps')), _number(received.get('sent_bps'))),
        received_bps=throughput,
        retransmits=_first(_number(sent.get('retransmits')), _number(received.get('retransmits'))),
        jitter_ms=_first(_number(received.get('jitter_ms')), _number(sent.get('jitter_ms'))),
        lost_percent=_first(_number(received.get('lost_percent')), _number(sent.get('lost_percent'))),
        cpu_sender_percent=_number(sent.get('cpu_local_percent')),
        cpu_receiver_percent=_number(received.get('cpu_local_percent')),
        reverse=_first(sent.get('reverse'), received.get('reverse')),
        intervals=received.get('intervals') or sent.get('intervals') or [],
        files=files,
        # The traffic's span: from when both sides were there (a side may wait for
        # its peer's earlier test) to the sender's end (the server then still writes).
        started_at=max(started) if started else None,
        ended_at=_number((sender or {}).get('ended_at')) or (max(ended) if ended else None),
    )


def _mapping(value):
    return value if isinstance(value, dict) else {}


def statistics(records):
    """Mean, min, max and standard deviation per node and direction."""
    groups = {}
    for record in records:
        groups.setdefault((str(record.get('node')), str(record.get('direction'))), []).append(record)
    rows = []
    for (node, direction), group in groups.items():
        values = [_number(r.get('throughput_bps')) for r in group if r.get('succeeded') is True]
        values = [value for value in values if value is not None]
        rows.append(dict(spread(values), node=node, direction=direction, tests=len(group), succeeded=len(values)))
    return rows


def spread(values):
    """Mean, min, max and (sample) standard deviation of some figures."""
    mean = sum(values) / len(values) if values else None
    stdev = (math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
             if len(values) > 1 else (0.0 if values else None))
    return dict(mean_bps=mean, min_bps=min(values) if values else None,
                max_bps=max(values) if values else None, stdev_bps=stdev)


def summarize(run_dir, min_bps=None, run_error=None, check=None):
    """Merge the run's sides; write summary.json/.csv and statistics.json/.csv.

    ``check`` cleans each side record read back, or refuses it (see read_records).
    """
    with open(os.path.join(run_dir, PLAN_FILE)) as handle:
        plan = json.load(handle)
    sides, rejected = read_records(run_dir, check)
    records = []
    for test in plan['tests']:
        found = _rejected_sides(test, rejected)
        found.update(sides.get(_key(test['node'], test['direction'], test['repetition']), {}))
        records.append(merge_test(test, found, plan.get('options', {}), min_bps, run_error))
    # The intervals stay in the side records: they would make summary.json
    # megabytes long for a long test, and the report reads them from memory.
    write_json(os.path.join(run_dir, SUMMARY_JSON),
               [dict((k, v) for k, v in record.items() if k != 'intervals') for record in records], indent=2)
    with open(os.path.join(run_dir, SUMMARY_CSV), 'w', newline='') as handle:
        handle.write(to_csv(records))
    stats = statistics(records)
    write_json(os.path.join(run_dir, STATISTICS_JSON), stats, indent=2)
    with open(os.path.join(run_dir, STATISTICS_CSV), 'w', newline='') as handle:
        handle.write(to_csv(stats, STATISTICS_FIELDS))
    return records


def to_csv(records, fields=CSV_FIELDS):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction='ignore', lineterminator='\n')
    writer.writeheader()
    for record in records:
        row = dict(record, files=';'.join(record.get('files') or [])) if 'files' in record else record
        writer.writerow(dict((key, csv_cell(value)) for key, value in row.items()))
    return buffer.getvalue()


def table(records):
    """The matrix as text lines, for people."""
    lines = ['%-4s %-16s %-9s %-4s %-14s %s' % ('#', 'node', 'direction', 'rep', 'throughput', 'result')]
    for record in records:
        lines.append('%-4s %-16s %-9s %-4s %-14s %s' % (
            record['index'], record['node'], record['direction'], record['repetition'],
            format_bps(record['throughput_bps']), 'ok' if record['succeeded'] else 'FAILED: %s' % record['error']))
    return lines
