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


def format_bps(bps):
    if bps is None:
        return '-'
    for factor, unit in ((1e9, 'Gbit/s'), (1e6, 'Mbit/s'), (1e3, 'kbit/s')):
        if abs(bps) >= factor:
            return '%.1f %s' % (bps / factor, unit)
    return '%.0f bit/s' % bps


def describe_side(side):
    """``dut1 to_node rep 1: 941.2 Mbit/s``, the line printed as a test ends."""
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


def load_sides(run_dir):
    """Side records by (node, direction, repetition), then by host."""
    sides = {}
    folder = os.path.join(run_dir, RECORDS_DIR)
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else ():
        if not name.endswith('.json'):
            continue
        with open(os.path.join(folder, name)) as handle:
            side = json.load(handle)
        key = _key(side.get('node'), side.get('direction'), side.get('repetition'))
        sides.setdefault(key, {}).setdefault(side.get('host'), side)
    return sides


def merge_test(test, sides, options, min_bps=None, run_error=None):
    """One summary record from a planned test and the sides that reported."""
    sender = sides.get(test['sender'])
    receiver = sides.get(test['receiver'])
    sent = (sender or {}).get('measurement') or {}
    received = (receiver or {}).get('measurement') or {}
    errors = []
    if test.get('error'):
        errors.append(test['error'])
    elif run_error and not sides:
        errors.append('not run: the run stopped before it (%s)' % run_error)
    for host, side in ((test['sender'], sender), (test['receiver'], receiver)):
        if side is None and not test.get('error') and not (run_error and not sides):
            errors.append('%s reported no result (unreachable, failed before the test, or interrupted)' % host)
        elif side is not None and side.get('error'):
            errors.append(side['error'])
    throughput = _first(received.get('received_bps'), sent.get('received_bps'))
    if not errors and not throughput:
        errors.append('no throughput was measured')
    floor = test.get('min_bps') if test.get('min_bps') is not None else min_bps
    if not errors and floor and throughput < float(floor):
        errors.append('throughput %s is below the floor of %s' % (format_bps(throughput), format_bps(float(floor))))
    files = [side['file'] for side in (sender, receiver) if side and side.get('file')]
    started = [side['started_at'] for side in (sender, receiver) if side and side.get('started_at')]
    ended = [side['ended_at'] for side in (sender, receiver) if side and side.get('ended_at')]
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
        sent_bps=_first(sent.get('sent_bps'), received.get('sent_bps')),
        received_bps=throughput,
        retransmits=_first(sent.get('retransmits'), received.get('retransmits')),
        jitter_ms=_first(received.get('jitter_ms'), sent.get('jitter_ms')),
        lost_percent=_first(received.get('lost_percent'), sent.get('lost_percent')),
        cpu_sender_percent=sent.get('cpu_local_percent'),
        cpu_receiver_percent=received.get('cpu_local_percent'),
        reverse=_first(sent.get('reverse'), received.get('reverse')),
        intervals=received.get('intervals') or sent.get('intervals') or [],
        files=files,
        # The traffic's span: from when both sides were there (a side may wait for
        # its peer's earlier test) to the sender's end (the server then still writes).
        started_at=max(started) if started else None,
        ended_at=(sender or {}).get('ended_at') or (max(ended) if ended else None),
    )


def statistics(records):
    """Mean, min, max and standard deviation per node and direction."""
    groups = {}
    for record in records:
        groups.setdefault((record['node'], record['direction']), []).append(record)
    rows = []
    for (node, direction), group in groups.items():
        values = [r['throughput_bps'] for r in group if r['succeeded'] and r['throughput_bps'] is not None]
        rows.append(dict(spread(values), node=node, direction=direction, tests=len(group), succeeded=len(values)))
    return rows


def spread(values):
    """Mean, min, max and (sample) standard deviation of some figures."""
    mean = sum(values) / len(values) if values else None
    stdev = (math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
             if len(values) > 1 else (0.0 if values else None))
    return dict(mean_bps=mean, min_bps=min(values) if values else None,
                max_bps=max(values) if values else None, stdev_bps=stdev)


def summarize(run_dir, min_bps=None, run_error=None):
    """Merge the run's sides; write summary.json/.csv and statistics.json/.csv."""
    with open(os.path.join(run_dir, PLAN_FILE)) as handle:
        plan = json.load(handle)
    sides = load_sides(run_dir)
    records = [merge_test(test, sides.get(_key(test['node'], test['direction'], test['repetition']), {}),
                          plan.get('options', {}), min_bps, run_error)
               for test in plan['tests']]
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
        writer.writerow(dict(record, files=';'.join(record.get('files') or [])) if 'files' in record else record)
    return buffer.getvalue()


def table(records):
    """The matrix as text lines, for people."""
    lines = ['%-4s %-16s %-9s %-4s %-14s %s' % ('#', 'node', 'direction', 'rep', 'throughput', 'result')]
    for record in records:
        lines.append('%-4s %-16s %-9s %-4s %-14s %s' % (
            record['index'], record['node'], record['direction'], record['repetition'],
            format_bps(record['throughput_bps']), 'ok' if record['succeeded'] else 'FAILED: %s' % record['error']))
    return lines
