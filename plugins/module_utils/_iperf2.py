# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to the collection, not a public API: the parser of iperf2 output, human or CSV.

One pass over the lines sends each one to the human reader (_iperf2_text) or
collects it for the CSV reader (_iperf2_csv); the report lines' records are
then added up per direction into one measurement.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.apetools.iperf.plugins.module_utils._parse_common import (
    MAX_LINE,
    _as_text,
    _new_direction,
    _role,
    new_measurement,
)
from ansible_collections.apetools.iperf.plugins.module_utils._iperf2_csv import (
    _CSV_RE,
    _csv_records,
)
from ansible_collections.apetools.iperf.plugins.module_utils._iperf2_text import (
    _DATA_RE,
    _SENT_RE,
    _SUM_COUNT_RE,
    _classify_id,
    _header_protocol,
    _human_record,
    _scan_error,
    _split_id,
)


def parse_iperf2(text, role=None):
    """Parse iperf2 output, human (any -f format, -e) or CSV (-y C).

    Pass the client's or the server's stdout, with its stderr appended if
    you have it: iperf2 writes connection errors to stderr only. ``role``
    ('client'/'server') is used when the output does not tell (CSV).
    """
    text = _as_text(text)
    try:
        return _parse_iperf2(text, _role(role))
    except Exception as exc:  # defensive: odd text must not raise
        return new_measurement(
            error='unexpected iperf2 output ({0})'.format(type(exc).__name__), role=_role(role))


def _parse_iperf2(text, role_hint):
    records = []
    reports_pending = set()
    sent_datagrams = {}
    errors = []  # (priority, order, message)
    detected_role = None
    protocol = None
    reverse_test = False
    full_duplex = False
    rtry_column = False
    connect_failed_hint = False
    connections = 0
    sum_count = None  # N of [SUM-N] (--sum-only prints no per-stream lines)
    csv_lines = []

    for line in text.splitlines():
        if len(line) > MAX_LINE:
            continue
        stripped = line.strip()
        if not stripped:
            continue
        first = stripped[0]
        if first == '[':
            ident, after = _split_id(stripped)
            match = _DATA_RE.match(stripped, after) if ident is not None else None
            if match:
                record = _human_record(ident, match, rtry_column)
                if record is not None:
                    if record.key in reports_pending and not record.is_sum:
                        record.report = True
                        reports_pending.discard(record.key)
                    records.append(record)
                    if record.total is not None:
                        protocol = 'udp'
                    if record.is_sum:
                        count = _SUM_COUNT_RE.match(ident)
                        if count:
                            sum_count = max(sum_count or 0, int(count.group(1)))
                continue
            if stripped.startswith('[ ID]'):
                rtry_column = 'Rtry' in stripped
                if 'Jitter' in stripped or 'Lost/Total' in stripped:
                    protocol = 'udp'
                continue
            if 'connected with' in stripped:
                connections += 1
                if '(reverse)' in stripped:
                    reverse_test = True
                if '(full-duplex)' in stripped:
                    full_duplex = True
                if 'local 0.0.0.0 port 0 ' in stripped:
                    connect_failed_hint = True
                continue
            if 'Server Report:' in stripped:
                if ident is not None:
                    classified = _classify_id(ident)
                    if classified:
                        reports_pending.add(classified[0])
                continue
            sent = _SENT_RE.match(stripped, after) if ident is not None else None
            if sent:
                classified = _classify_id(ident)
                if classified:
                    sent_datagrams[classified[0]] = int(sent.group('count'))
                protocol = 'udp'
                continue
        elif first.isdigit() and _CSV_RE.match(stripped):
            csv_lines.append(stripped)
            continue
        elif stripped.startswith('Client connecting to'):
            detected_role = detected_role or 'client'
            protocol = _header_protocol(stripped) or protocol
            continue
        elif stripped.startswith('Server listening on'):
            detected_role = detected_role or 'server'
            protocol = _header_protocol(stripped) or protocol
            continue
        _scan_error(stripped, errors)

    csv_role = None
    if csv_lines:
        csv_records, csv_udp, csv_role = _csv_records(csv_lines, detected_role or role_hint)
        records.extend(csv_records)
        if csv_udp:
            protocol = 'udp'
    for seq, record in enumerate(records):
        record.seq = seq
    role = detected_role or role_hint or csv_role
    if protocol is None and records:
        protocol = 'tcp'

    error = None
    if errors:
        error = min(errors)[2]
    own = [record for record in records if not record.report]
    if error is None and not own:
        if connect_failed_hint:
            error = 'iperf2 could not connect to the server (it reported local 0.0.0.0 port 0)'
        elif not text.strip():
            error = 'iperf2 produced no output'
        elif role == 'server':
            error = 'iperf2 server output has no results (no client connected?)'
        else:
            error = 'no iperf2 results found in the output'

    # Which way each line's traffic went. Lines marked '*' are the server ->
    # client traffic of a full-duplex or reverse test; in a reverse test the
    # server marks nothing, and everything it reports it sent.
    acting_client = role != 'server'  # unknown: read it as a client's output
    for record in own:
        if acting_client:
            local_sends = not record.star
        elif reverse_test and not full_duplex:
            local_sends = True
        elif full_duplex:
            local_sends = record.star
        else:
            local_sends = False
        record.flow = 'forward' if local_sends == acting_client else 'backward'

    main_flow = 'backward' if reverse_test and not full_duplex else 'forward'
    reports = [record for record in records if record.report]
    main = _iperf2_direction([r for r in own if r.flow == main_flow], reports, sent_datagrams,
                             acting_client, main_flow, not full_duplex)
    reverse = None
    if full_duplex:
        reverse = _iperf2_direction([r for r in own if r.flow == 'backward'], [], {},
                                    acting_client, 'backward', False)
        reverse.pop('_streams', None)
    streams = main.pop('_streams', None) or sum_count
    if streams is None and own and connections:
        streams = connections

    measurement = new_measurement(error=error, protocol=protocol, streams=streams,
                                  role=role, reverse=reverse)
    measurement.update(main)
    if protocol != 'udp':
        for key in ('jitter_ms', 'lost_percent', 'lost_packets', 'packets'):
            measurement[key] = None
    return measurement


def _split_final(records):
    """(final record or None, interval records) for the records of one id.

    The whole-test line is the id's last line and starts at 0; every other
    line is an interval report.
    """
    if not records:
        return None, []
    last = records[-1]
    if last.start == 0:
        return last, records[:-1]
    return None, records


def _aggregate(records, use_sums):
    """Figures of one direction from its report lines."""
    by_id = {}
    sums = []
    for record in records:
        if record.is_sum:
            sums.append(record)
        else:
            by_id.setdefault(record.key, []).append(record)
    finals = []
    interval_records = []
    for stream_records in by_id.values():
        final, intervals = _split_final(stream_records)
        if final is not None:
            finals.append(final)
        interval_records.extend(intervals)
    sum_final, sum_intervals = _split_final(sums) if use_sums else (None, [])
    if sum_final is not None and finals and sum_final.seq < max(final.seq for final in finals):
        # iperf prints the whole-test [SUM] after the streams' whole-test
        # lines; a [SUM] from 0 printed before them is the first interval's
        # (iperf 2.1.8's UDP server sometimes prints no whole-test [SUM]).
        sum_intervals.append(sum_final)
        sum_final = None

    figure = {'bps': None, 'bytes': None, 'duration': None, 'rtry': None,
              'jitter': None, 'lost': None, 'total': None, 'pct': None,
              'streams': len(by_id) or None, 'intervals': []}
    if sum_final is not None:
        figure['bps'] = sum_final.bps
        figure['bytes'] = sum_final.bytes
        figure['duration'] = sum_final.end
    elif finals:
        figure['bps'] = sum(final.bps for final in finals)
        figure['bytes'] = sum(final.bytes for final in finals)
        figure['duration'] = max(final.end for final in finals)

    if sum_final is not None and sum_final.rtry is not None:
        figure['rtry'] = sum_final.rtry
    elif any(final.rtry is not None for final in finals):
        figure['rtry'] = sum(final.rtry or 0 for final in finals)

    # UDP loss: iperf 2.1.8's [SUM] line can miscount lost datagrams, so add
    # up the streams' own lines when there are any.
    with_stats = [final for final in finals if final.total is not None and final.total >= 0]
    if with_stats:
        lost = sum(final.lost for final in with_stats)
        total = sum(final.total for final in with_stats)
        jitters = [final.jitter for final in with_stats if final.jitter is not None]
        figure['lost'] = lost
        figure['total'] = total
        figure['jitter'] = sum(jitters) / len(jitters) if jitters else None
        if total > 0:
            figure['pct'] = 100.0 * lost / total
        elif len(with_stats) == 1:
            figure['pct'] = with_stats[0].pct
    elif sum_final is not None and sum_final.total is not None and sum_final.total >= 0:
        figure['lost'] = sum_final.lost
        figure['total'] = sum_final.total
        figure['jitter'] = sum_final.jitter
        figure['pct'] = (100.0 * sum_final.lost / sum_final.total) if sum_final.total \
            else sum_final.pct

    # Intervals: the [SUM] line where iperf printed one, else the sum of the
    # streams' lines for that interval (iperf 2.1.8 sometimes leaves out the
    # last interval's [SUM] line, and CSV output has none).
    grouped = {}
    for record in interval_records:
        key = round(record.start, 3)
        slot = grouped.get(key)
        if slot is None:
            grouped[key] = {'start': record.start, 'end': record.end, 'bps': record.bps}
        else:
            slot['bps'] += record.bps
            if record.end > slot['end']:
                slot['end'] = record.end
    for record in sum_intervals:
        grouped[round(record.start, 3)] = {'start': record.start, 'end': record.end,
                                           'bps': record.bps}
    figure['intervals'] = [grouped[key] for key in sorted(grouped)]
    return figure


def _iperf2_direction(records, reports, sent_datagrams, acting_client, flow, use_sums):
    direction = _new_direction()
    figure = _aggregate(records, use_sums)
    local_sends = acting_client == (flow == 'forward')
    direction['intervals'] = figure['intervals']
    direction['duration_s'] = figure['duration']
    if local_sends:
        direction['sent_bps'] = figure['bps']
        direction['sent_bytes'] = figure['bytes']
        direction['retransmits'] = figure['rtry']
        receiver = _aggregate(reports, False) if reports else None
        if receiver is not None and receiver['bps'] is not None:
            direction['received_bps'] = receiver['bps']
            direction['received_bytes'] = receiver['bytes']
            if direction['duration_s'] is None:
                direction['duration_s'] = receiver['duration']
        stats = receiver
    else:
        direction['received_bps'] = figure['bps']
        direction['received_bytes'] = figure['bytes']
        stats = figure
    if stats is not None:
        direction['jitter_ms'] = stats['jitter']
        direction['lost_packets'] = stats['lost']
        direction['lost_percent'] = stats['pct']
        direction['packets'] = stats['total']
    if direction['packets'] is None and local_sends and sent_datagrams:
        if 'SUM' in sent_datagrams:
            direction['packets'] = sent_datagrams['SUM']
        else:
            direction['packets'] = sum(sent_datagrams.values())
    direction['_streams'] = figure['streams']
    return direction
