# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# A run's report.html: one self-contained page (inline CSS, inline SVG plots
# drawn here, no script, nothing fetched from anywhere) that opens from disk.
#
#     render_report(records, stats, title=None, when=None, options=None) -> str
#     write_report(run_dir, records, stats) -> path of report.html
#
# ``records`` are summary records (iperf_records.merge_test), ``stats`` the
# rows of iperf_records.statistics (None: computed here). Pure Python,
# standard library only.
#
# Every text that comes from a record (node ids, host names, errors, file
# names) goes through html.escape: it comes from inventories and networks.
#
# Size: the over-time charts are drawn from at most MAX_POINTS_PER_CHART
# points each, so a long run (hours of one-second intervals) still gives a
# file of a few MB at most.

import datetime
import html
import json
import math
import operator
import os
import re
import tempfile

from ansible_collections.apetools.iperf.plugins.module_utils.iperf_records import spread

try:
    from urllib.parse import quote as _url_quote
except ImportError:  # pragma: no cover - Python 2
    from urllib import quote as _url_quote

REPORT_HTML = 'report.html'
MAX_POINTS_PER_CHART = 500
_GET_END = operator.itemgetter('end')
_GET_BPS = operator.itemgetter('bps')

# Colour-blind safe (Okabe-Ito, then Tableau's), one per repetition.
PALETTE = ('#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#7F7F7F',
           '#8C564B', '#BCBD22', '#17BECF')
FAILED_COLOUR = '#C62828'

_RUN_NAME = re.compile(r'^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})')

_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f3f5f8; color: #1d2430;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", "DejaVu Sans", Arial, sans-serif; }
header.top { background: #1f2d3d; color: #fff; padding: 22px 32px 20px; }
header.top h1 { margin: 0 0 4px; font-size: 24px; font-weight: 600; }
header.top .sub { color: #c9d4e0; }
header.top .sub b { color: #fff; font-weight: 600; }
.tiles { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 16px; }
.tile { background: rgba(255,255,255,.09); border-radius: 8px; padding: 8px 16px; min-width: 120px; }
.tile .n { font-size: 24px; font-weight: 700; display: block; }
.tile .l { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: #c9d4e0; }
.tile.bad { background: #c62828; }
.tile.bad .l { color: #ffe3e0; }
.tile.good .n { color: #8be0a4; }
main { padding: 20px 32px 40px; max-width: 1600px; }
section { background: #fff; border: 1px solid #dbe1e8; border-radius: 8px; padding: 16px 20px 18px; margin: 0 0 20px; }
h2 { font-size: 18px; margin: 0 0 6px; }
p.note { color: #5b6878; margin: 0 0 12px; font-size: 13px; }
.failures { margin: 14px 0 0; padding: 10px 14px; background: #fff; color: #1d2430; border-left: 5px solid #c62828;
  border-radius: 6px; }
.failures h3 { margin: 0 0 4px; font-size: 14px; color: #b71c1c; }
.failures ul { margin: 0; padding-left: 18px; }
.failures a { color: #b71c1c; }
.tablewrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
th, td { padding: 5px 6px; border-bottom: 1px solid #e6eaef; vertical-align: top; text-align: left; }
th { background: #eef2f6; font-weight: 600; white-space: nowrap; border-bottom: 2px solid #cfd7e0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.strong { font-weight: 700; }
td.nowrap { white-space: nowrap; }
td.none { color: #9aa5b1; }
table.stats tbody tr:nth-child(even) td, table.tests tr.alt td { background: #fafbfd; }
table.tests tr.ok + tr.failed td, table.tests tr.failed + tr.ok td { border-top: 1px solid #e6eaef; }
tr.failed td, table.tests tr.failed.alt td { background: #fdecea; }
tr.failed td.result { color: #b71c1c; font-weight: 700; }
table.tests tr.failed:not(.error) td { border-bottom: 0; }
tr.error td.error { color: #b71c1c; padding-top: 0; overflow-wrap: anywhere; }
td.wrap { min-width: 96px; max-width: 260px; overflow-wrap: anywhere; }
td.ok { color: #1b7f3b; font-weight: 600; }
tr.reverse td { background: #f4f7fb; color: #3d4a5a; font-style: italic; border-top: 0; }
tr.reverse.failed td { background: #fbe3e0; }
tr.partial td, table.stats tbody tr.partial td { background: #fff6e0; }
table.stats tbody tr.failed td { background: #fdecea; }
table.stats tbody tr.reverse td { background: #f4f7fb; }
a { color: #0b5cad; }
.badge { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 12px; font-weight: 600; }
.badge.ok { background: #e3f4e8; color: #1b7f3b; }
.badge.failed { background: #c62828; color: #fff; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 13px; margin: 2px 0 8px; color: #3d4a5a; }
.legend span.item { display: inline-flex; align-items: center; gap: 6px; }
.sw { display: inline-block; width: 12px; height: 12px; border-radius: 50%; }
.sw.line { width: 20px; height: 3px; border-radius: 2px; }
.sw.dashed { width: 20px; height: 0; border-top: 3px dashed; border-radius: 0; background: none !important; }
.sw.mean { width: 3px; height: 16px; border-radius: 0; background: #111; }
.sw.range { width: 22px; height: 6px; border-radius: 3px; background: #c5ced8; }
.sw.cross { width: auto; height: auto; border-radius: 0; color: #c62828; font-weight: 700; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 16px; }
figure { margin: 0; border: 1px solid #e1e6ec; border-radius: 6px; padding: 10px 12px 6px; }
figure h3 { margin: 0 0 2px; font-size: 14px; }
figure h3 .dir { font-weight: 400; color: #5b6878; }
figure .legend { font-size: 12px; }
figcaption { font-size: 12px; color: #5b6878; }
svg { display: block; width: 100%; height: auto; font-family: inherit; }
svg text { fill: #3d4a5a; font-size: 12px; }
svg .axis text { fill: #5b6878; font-size: 11px; }
svg .title { fill: #3d4a5a; font-size: 12px; font-weight: 600; }
svg .label { fill: #1d2430; font-size: 13px; }
svg .value { fill: #1d2430; font-size: 12px; }
svg .bad { fill: #b71c1c; font-weight: 600; }
.empty { color: #5b6878; font-style: italic; padding: 12px 0; }
footer { color: #7a8695; font-size: 12px; padding: 0 32px 24px; }
@media print { body { background: #fff; } section { break-inside: avoid; } }
"""


# ---------------------------------------------------------------------------
# Small helpers


def _esc(value):
    """Text for HTML (element content and quoted attributes)."""
    if value is None:
        return ''
    if not isinstance(value, str):
        value = str(value)
    return html.escape(value, quote=True)


def _num(value):
    """A finite float, else None (None, strings, NaN and bool are no figures)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return None
    return value


def _dict(value):
    return value if isinstance(value, dict) else {}


def _first(*values):
    for value in values:
        if value is not None:
            return value
    return None


def _unit(max_bps):
    """(factor, unit) for a scale that goes up to ``max_bps``."""
    max_bps = abs(max_bps or 0.0)
    for factor, unit in ((1e9, 'Gbit/s'), (1e6, 'Mbit/s'), (1e3, 'kbit/s')):
        if max_bps >= factor:
            return factor, unit
    return 1.0, 'bit/s'


def format_bps(bps):
    """``9.42 Gbit/s``, ``941 Mbit/s``: three significant digits."""
    bps = _num(bps)
    if bps is None:
        return None
    factor, unit = _unit(bps)
    value = bps / factor
    if abs(value) >= 100 or factor == 1.0:
        text = '%.0f' % value
    elif abs(value) >= 10:
        text = '%.1f' % value
    else:
        text = '%.2f' % value
    return '%s %s' % (text, unit)


def _format_number(value, pattern):
    value = _num(value)
    return None if value is None else pattern % value


def _direction_words(direction):
    return '' if direction is None else str(direction)


def _nice_step(span, count):
    """A 1/2/2.5/5 x 10^n step that cuts ``span`` into about ``count`` parts."""
    if span <= 0:
        return 1.0
    raw = span / float(count)
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        step = multiple * magnitude
        if raw <= step * 1.0000001:
            return step
    return 10 * magnitude


def _ticks(top, count=5):
    """(axis end, [tick values]) for an axis from 0 to at least ``top``."""
    if not top or top <= 0:
        top = 1.0
    step = _nice_step(top, count)
    end = math.ceil(top / step - 0.01) * step  # a value 1 % over a tick is drawn at the tick
    return end, [step * i for i in range(int(round(end / step)) + 1)]


def _tick_label(value, step):
    decimals = 0
    while decimals < 4 and abs(round(step, decimals) - step) > abs(step) * 1e-6:
        decimals += 1
    return '%.*f' % (decimals, value)


def _f(value):
    """An SVG coordinate: one decimal, no trailing zeros."""
    text = '%.1f' % value
    return text[:-2] if text.endswith('.0') else text


def _colour(repetition_index):
    return PALETTE[repetition_index % len(PALETTE)]


# ---------------------------------------------------------------------------
# Data shaping


def _figure(record, reverse=False):
    """The throughput of a record (or of its reverse direction)."""
    if reverse:
        side = _dict(record.get('reverse'))
        return _num(_first(_num(side.get('received_bps')), _num(side.get('sent_bps'))))
    return _num(record.get('throughput_bps'))


def _has_reverse(record):
    side = _dict(record.get('reverse'))
    if not side:
        return False
    return any(_num(side.get(key)) is not None for key in ('received_bps', 'sent_bps')) or bool(side.get('intervals'))


def _groups(records):
    """Ordered {(node, direction, reverse): [records]}; reverse groups follow their direction."""
    groups = {}
    order = []
    for record in records:
        key = (str(record.get('node')), str(record.get('direction')), False)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(record)
        if _has_reverse(record):
            rkey = (key[0], key[1], True)
            if rkey not in groups:
                groups[rkey] = []
                order.append(rkey)
            groups[rkey].append(record)
    position = dict((key, index) for index, key in enumerate(order))
    order.sort(key=lambda k: (position[(k[0], k[1], False)], k[2]))
    return [(key, groups[key]) for key in order]


def _stats_rows(records, reverse=False):
    """Like iperf_records.statistics (used when no stats are given, and for reverse figures)."""
    rows = []
    for (node, direction, is_reverse), group in _groups(records):
        if is_reverse != reverse:
            continue
        values = [_figure(r, reverse) for r in group if r.get('succeeded')]
        values = [v for v in values if v is not None]
        rows.append(dict(spread(values), node=node, direction=direction, tests=len(group), succeeded=len(values)))
    return rows


def _series(intervals):
    """(times, figures): the end and bps of each interval, in two lists.

    Intervals without finite numbers for ``end`` and ``bps`` are skipped, and
    so is a very short last interval (iperf3 prints one of a few milliseconds).
    Written for speed: a long run has tens of thousands of intervals per test.
    """
    if not isinstance(intervals, list) or not intervals:
        return [], []
    try:
        # Fast path, in C loops: every interval is a dict with two finite numbers
        # (sum() raises TypeError on None and text; NaN and inf make x - x non-zero).
        times = list(map(_GET_END, intervals))
        values = list(map(_GET_BPS, intervals))
        total_times, total_values = sum(times), sum(values)
        if not (total_times - total_times == 0 and total_values - total_values == 0):
            raise TypeError('not all figures are finite')
    except (TypeError, KeyError, IndexError, OverflowError):
        times, values = [], []
        for interval in intervals:
            if isinstance(interval, dict):
                end, bps = _num(interval.get('end')), _num(interval.get('bps'))
                if end is not None and bps is not None:
                    times.append(end)
                    values.append(bps)
    if len(times) > 1:
        durations = []
        for interval in intervals[:-1][:50]:
            if isinstance(interval, dict) and _num(interval.get('start')) is not None \
                    and _num(interval.get('end')) is not None:
                durations.append(interval['end'] - interval['start'])
        last = intervals[-1] if isinstance(intervals[-1], dict) else {}
        start, end = _num(last.get('start')), _num(last.get('end'))
        if durations and start is not None and end is not None and times[-1] == end:
            typical = sorted(durations)[len(durations) // 2]
            if typical > 0 and (end - start) < 0.25 * typical:
                times.pop()  # iperf3's few-millisecond tail: noise, not a figure
                values.pop()
    if times:
        # The first interval's figure holds from its start: the line starts there.
        first = next((interval for interval in intervals if isinstance(interval, dict)
                      and interval.get('end') == times[0]), {})
        start = _num(first.get('start'))
        if start is not None and start < times[0]:
            times.insert(0, start)
            values.insert(0, values[0])
    return times, values


def downsample(points, budget):
    """At most ``budget`` points: ``points`` cut into buckets, each keeping its min and max.

    ``points`` are (x, y) in x order; the result is in x order too.
    """
    return _downsample([point[0] for point in points], [point[1] for point in points], budget)


def _downsample(times, values, budget):
    """downsample() on a series held as two lists."""
    count = len(times)
    budget = max(1, int(budget))
    if count <= budget:
        return list(zip(times, values))
    if budget < 2:
        return [(times[-1], values[-1])]
    buckets = budget // 2
    result = []
    for bucket in range(buckets):
        begin = bucket * count // buckets
        chunk = values[begin:(bucket + 1) * count // buckets]
        if not chunk:
            continue
        low_at = begin + chunk.index(min(chunk))
        high_at = begin + chunk.index(max(chunk))
        for index in sorted({low_at, high_at}):
            result.append((times[index], values[index]))
    return result


def _time_unit(max_seconds):
    if max_seconds > 3 * 3600:
        return 3600.0, 'h'
    if max_seconds > 180:
        return 60.0, 'min'
    return 1.0, 's'


def _run_time(run_dir):
    """When the run started: from its folder name (20261126T130501), else its plan's time."""
    match = _RUN_NAME.match(os.path.basename(os.path.realpath(run_dir)))
    if match:
        try:
            return datetime.datetime(*[int(part) for part in match.groups()]).strftime('%Y-%m-%d %H:%M:%S')
        except ValueError:
            pass
    for name in ('plan.json', 'summary.json'):
        path = os.path.join(run_dir, name)
        if os.path.exists(path):
            return datetime.datetime.fromtimestamp(os.path.getmtime(path)).strftime('%Y-%m-%d %H:%M:%S')
    return None


def _read_options(run_dir):
    try:
        with open(os.path.join(run_dir, 'plan.json')) as handle:
            return _dict(_dict(json.load(handle)).get('options'))
    except (IOError, OSError, ValueError):
        return {}


# ---------------------------------------------------------------------------
# Sections


def _header(records, title, when, options):
    failed = [r for r in records if not r.get('succeeded')]
    nodes = []
    for record in records:
        if str(record.get('node')) not in nodes:
            nodes.append(str(record.get('node')))
    repetitions = max([int(_num(r.get('repetition')) or 0) for r in records] or [0])
    facts = []
    if when:
        facts.append('Run of <b>%s</b>' % _esc(when))
    setup = []
    version = _first(options.get('version'), *[r.get('iperf_version') for r in records])
    if version is not None:
        setup.append('iperf%s' % _esc(version) if str(version) in ('2', '3') else 'iperf %s' % _esc(version))
    protocol = _first(options.get('protocol'), *[r.get('protocol') for r in records])
    if protocol:
        setup.append(_esc(str(protocol).upper()))
    if _num(options.get('time')) is not None:
        setup.append('%s s per test' % _esc('%g' % _num(options['time'])))
    if _num(options.get('parallel')) is not None:
        streams = int(_num(options['parallel']))
        setup.append('%d stream%s' % (streams, '' if streams == 1 else 's'))
    if options.get('bidir'):
        setup.append('bidirectional')
    if setup:
        facts.append(' &middot; '.join(setup))
    if repetitions:
        facts.append('%d repetition%s' % (repetitions, '' if repetitions == 1 else 's'))
    parts = ['<header class="top">', '<h1>%s</h1>' % _esc(title)]
    if facts:
        parts.append('<div class="sub">%s</div>' % ' &middot; '.join(facts))
    parts.append('<div class="tiles">')
    parts.append('<div class="tile"><span class="n">%d</span><span class="l">tests</span></div>' % len(records))
    parts.append('<div class="tile%s"><span class="n">%d</span><span class="l">succeeded</span></div>'
                 % (' good' if records and not failed else '', len(records) - len(failed)))
    parts.append('<div class="tile%s"><span class="n">%d</span><span class="l">failed</span></div>'
                 % (' bad' if failed else '', len(failed)))
    parts.append('<div class="tile"><span class="n">%d</span><span class="l">node%s</span></div>'
                 % (len(nodes), '' if len(nodes) == 1 else 's'))
    parts.append('</div>')
    if failed:
        parts.append('<div class="failures"><h3>%d failed test%s</h3><ul>'
                     % (len(failed), '' if len(failed) == 1 else 's'))
        for record in failed[:12]:
            parts.append('<li><a href="#test-%s">#%s</a> %s %s rep %s: %s</li>' % (
                _esc(record.get('index')), _esc(record.get('index')), _esc(record.get('node')),
                _esc(_direction_words(record.get('direction'))), _esc(record.get('repetition')),
                _esc(record.get('error') or 'failed')))
        if len(failed) > 12:
            parts.append('<li>and %d more: see the table of tests</li>' % (len(failed) - 12))
        parts.append('</ul></div>')
    parts.append('</header>')
    return '\n'.join(parts)


def _cell(text, classes='', title=None):
    """A table cell; None shows as a muted dash."""
    attributes = ''
    if text is None:
        classes = (classes + ' none').strip()
        content = '&ndash;'
    else:
        content = _esc(text)
    if classes:
        attributes += ' class="%s"' % classes
    if title:
        attributes += ' title="%s"' % _esc(title)
    return '<td%s>%s</td>' % (attributes, content)


def _file_links(files):
    links = []
    for name in files if isinstance(files, list) else ():
        if not isinstance(name, str) or not name:
            continue
        label = name
        for side in ('sender', 'receiver'):
            if name.endswith('.%s.iperf' % side):
                label = side
        href = _url_quote(name.replace(os.sep, '/'), safe='/')
        links.append('<a href="%s" title="%s">%s</a>' % (_esc(href), _esc(name), _esc(label)))
    return ' '.join(links)


def _figures_cells(side, throughput):
    return ''.join((
        _cell(format_bps(throughput), 'num strong'),
        _cell(format_bps(side.get('sent_bps')), 'num'),
        _cell(format_bps(side.get('received_bps')), 'num'),
        _cell(_format_number(side.get('retransmits'), '%d'), 'num'),
        _cell(_format_number(side.get('jitter_ms'), '%.3f ms'), 'num'),
        _cell(_format_number(side.get('lost_percent'), '%.2f %%'), 'num'),
    ))


def _tests_table(records):
    parts = ['<section id="tests"><h2>Tests</h2>']
    if not records:
        parts.append('<p class="empty">No tests in this run.</p></section>')
        return '\n'.join(parts)
    parts.append('<p class="note">Throughput is what the receiver received (the sender&#8217;s report of it '
                 'where the receiver had none). Failed tests are red, with the cause. The links open the raw '
                 'iperf output of each side.</p>')
    parts.append('<div class="tablewrap"><table class="tests"><thead><tr>'
                 '<th class="num">#</th><th>node</th><th>direction</th><th class="num">rep</th>'
                 '<th>sender &rarr; receiver</th><th>protocol</th><th>iperf</th>'
                 '<th class="num">throughput</th><th class="num">sent</th><th class="num">received</th>'
                 '<th class="num" title="TCP retransmits">retr.</th><th class="num">jitter</th><th class="num">loss</th>'
                 '<th>result</th><th>raw files</th></tr></thead><tbody>')
    for number, record in enumerate(records):
        ok = bool(record.get('succeeded'))
        alt = ' alt' if number % 2 else ''
        protocol = record.get('protocol')
        version = record.get('iperf_version')
        row = ['<tr id="test-%s" class="%s%s">' % (_esc(record.get('index')), 'ok' if ok else 'failed', alt),
               _cell(record.get('index'), 'num'),
               _cell(record.get('node'), 'strong wrap'),
               _cell(_direction_words(record.get('direction')), 'nowrap'),
               _cell(record.get('repetition'), 'num'),
               _cell('%s \u2192 %s' % (record.get('sender'), record.get('receiver')), 'wrap'),
               _cell(str(protocol).upper() if protocol else None),
               _cell(version),
               _figures_cells(record, record.get('throughput_bps'))]
        row.append('<td class="result ok">ok</td>' if ok else '<td class="result">FAILED</td>')
        row.append('<td class="nowrap">%s</td></tr>' % _file_links(record.get('files')))
        parts.append(''.join(row))
        if not ok:
            parts.append('<tr class="failed error%s"><td></td><td colspan="14" class="error">&#10007; %s</td></tr>'
                         % (alt, _esc(record.get('error') or 'failed, no cause given')))
        if _has_reverse(record):
            side = _dict(record.get('reverse'))
            parts.append(''.join([
                '<tr class="reverse%s%s">' % ('' if ok else ' failed', alt), '<td></td>',
                '<td colspan="3">&#8627; reverse direction (bidirectional test)</td>',
                _cell('%s \u2192 %s' % (record.get('receiver'), record.get('sender')), 'wrap'),
                '<td></td><td></td>',
                _figures_cells(side, _figure(record, reverse=True)),
                '<td></td><td></td></tr>']))
    parts.append('</tbody></table></div></section>')
    return '\n'.join(parts)


def _stats_table(records, stats):
    parts = ['<section id="statistics"><h2>Statistics per node and direction</h2>']
    rows = [(False, row) for row in (stats if stats is not None else _stats_rows(records))]
    reverse_rows = _stats_rows(records, reverse=True)
    if reverse_rows:
        merged = []
        for row in rows:
            merged.append(row)
            for extra in reverse_rows:
                if (extra['node'], extra['direction']) == (row[1].get('node'), row[1].get('direction')):
                    merged.append((True, extra))
        rows = merged
    if not rows:
        parts.append('<p class="empty">No tests in this run.</p></section>')
        return '\n'.join(parts)
    parts.append('<p class="note">Over the succeeded tests of each node and direction. The spread is the '
                 'standard deviation as a share of the mean.</p>')
    parts.append('<div class="tablewrap"><table class="stats"><thead><tr><th>node</th><th>direction</th>'
                 '<th class="num">tests</th><th class="num">succeeded</th><th class="num">mean</th>'
                 '<th class="num">min</th><th class="num">max</th><th class="num">stdev</th>'
                 '<th class="num">spread</th></tr></thead><tbody>')
    for is_reverse, row in rows:
        tests = int(_num(row.get('tests')) or 0)
        succeeded = int(_num(row.get('succeeded')) or 0)
        mean, stdev = _num(row.get('mean_bps')), _num(row.get('stdev_bps'))
        spread = '%.1f %%' % (100.0 * stdev / mean) if mean and stdev is not None else None
        classes = ['reverse'] if is_reverse else []
        if succeeded == 0 and tests:
            classes.append('failed')
        elif succeeded < tests:
            classes.append('partial')
        direction = _direction_words(row.get('direction'))
        parts.append(''.join([
            '<tr class="%s">' % ' '.join(classes),
            _cell(row.get('node'), 'strong'),
            _cell('%s (reverse)' % direction if is_reverse else direction, 'nowrap'),
            _cell(tests, 'num'), _cell(succeeded, 'num'),
            _cell(format_bps(mean), 'num strong'), _cell(format_bps(row.get('min_bps')), 'num'),
            _cell(format_bps(row.get('max_bps')), 'num'), _cell(format_bps(stdev), 'num'),
            _cell(spread, 'num'), '</tr>']))
    parts.append('</tbody></table></div></section>')
    return '\n'.join(parts)


def _repetition_legend(repetitions, line=False):
    items = []
    for index, repetition in enumerate(repetitions[:len(PALETTE)]):
        items.append('<span class="item"><span class="sw%s" style="background:%s"></span>rep %s</span>'
                     % (' line' if line else '', _colour(index), _esc(repetition)))
    if len(repetitions) > len(PALETTE):
        items.append('<span class="item">(colours repeat after rep %s)</span>' % _esc(repetitions[len(PALETTE) - 1]))
    return items


def _repetitions(records):
    seen = []
    for record in records:
        if record.get('repetition') not in seen:
            seen.append(record.get('repetition'))
    try:
        return sorted(seen)
    except TypeError:
        return seen


def _throughput_plot(records):
    """Plot 1: a row per node and direction, a dot per repetition, the mean marked."""
    parts = ['<section id="throughput"><h2>Throughput per node and direction</h2>']
    groups = _groups(records)
    if not groups:
        parts.append('<p class="empty">No tests in this run.</p></section>')
        return '\n'.join(parts)
    repetitions = _repetitions(records)
    rep_index = dict((rep, i) for i, rep in enumerate(repetitions))
    values = [_figure(r, key[2]) for key, group in groups for r in group]
    top = max([v for v in values if v is not None] or [0.0])
    factor, unit = _unit(top)
    axis_end, ticks = _ticks(top / factor if top else 1.0, 6)

    keys = [key for key, group in groups]
    node_chars = min(30, max(len(key[0]) for key in keys))
    direction_chars = max(len(_direction_words(key[1])) + (10 if key[2] else 0) for key in keys)
    node_width = 24 + 8 * node_chars
    left = node_width + 16 + 7 * min(direction_chars, 30)
    right = 190
    width = 1180
    row_height = 30
    top_margin = 14
    plot_width = width - left - right
    height = top_margin + row_height * len(groups) + 46

    def x_of(bps):
        return left + plot_width * min(1.0, max(0.0, (bps / factor) / axis_end))

    svg = ['<svg viewBox="0 0 %d %d" width="%d" role="img" aria-label="Throughput per node and direction">'
           % (width, height, width)]
    bottom = top_margin + row_height * len(groups)
    svg.append('<g class="axis">')
    for tick in ticks:
        x = left + plot_width * tick / axis_end
        svg.append('<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="#e3e8ee"/>' % (_f(x), top_margin, _f(x), bottom))
        svg.append('<text x="%s" y="%d" text-anchor="middle">%s</text>'
                   % (_f(x), bottom + 16, _tick_label(tick, ticks[1] - ticks[0] if len(ticks) > 1 else 1)))
    svg.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#8795a5"/>' % (left, bottom, left + plot_width, bottom))
    svg.append('<text class="title" x="%s" y="%d" text-anchor="middle">throughput (%s)</text>'
               % (_f(left + plot_width / 2.0), bottom + 36, unit))
    svg.append('</g>')
    previous_node = None
    for row, ((node, direction, is_reverse), group) in enumerate(groups):
        y = top_margin + row_height * row + row_height / 2.0
        if row % 2 == 0:
            svg.append('<rect x="0" y="%s" width="%d" height="%d" fill="#f6f8fb"/>'
                       % (_f(y - row_height / 2.0), width, row_height))
        if previous_node is not None and node != previous_node:
            svg.append('<line x1="0" y1="%s" x2="%d" y2="%s" stroke="#cfd7e0"/>'
                       % (_f(y - row_height / 2.0), width, _f(y - row_height / 2.0)))
        label = '%s (reverse)' % _direction_words(direction) if is_reverse else _direction_words(direction)
        if node != previous_node:
            node_text = node if len(node) <= node_chars else node[:node_chars - 1] + '\u2026'
            svg.append('<text class="label" x="10" y="%s" font-weight="600"><title>%s</title>%s</text>'
                       % (_f(y + 4.5), _esc(node), _esc(node_text)))
        svg.append('<text class="label" x="%d" y="%s" text-anchor="end">%s</text>'
                   % (left - 12, _f(y + 4.5), _esc(label)))
        good = [_figure(r, is_reverse) for r in group if r.get('succeeded')]
        good = [v for v in good if v is not None]
        if len(good) > 1:
            svg.append('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#c5ced8" stroke-width="7" '
                       'stroke-linecap="round"/>' % (_f(x_of(min(good))), _f(y), _f(x_of(max(good))), _f(y)))
        for record in group:
            value = _figure(record, is_reverse)
            rep = record.get('repetition')
            tip = '%s %s rep %s: %s' % (node, label, rep, format_bps(value) or 'no figure')
            if not record.get('succeeded'):
                tip += ' \u2014 FAILED: %s' % (record.get('error') or '')
            if value is None:
                continue
            x = x_of(value)
            offset = ((rep_index.get(rep, 0) % 3) - 1) * 4
            if record.get('succeeded'):
                svg.append('<circle cx="%s" cy="%s" r="5.5" fill="%s" stroke="#fff" stroke-width="1.2">'
                           '<title>%s</title></circle>'
                           % (_f(x), _f(y + offset), _colour(rep_index.get(rep, 0)), _esc(tip)))
            else:
                svg.append('<path d="M%s %sl8 8m0 -8l-8 8" stroke="%s" stroke-width="2.5" fill="none">'
                           '<title>%s</title></path>'
                           % (_f(x - 4), _f(y + offset - 4), FAILED_COLOUR, _esc(tip)))
        mean = sum(good) / len(good) if good else None
        if mean is not None:
            svg.append('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#111" stroke-width="3">'
                       '<title>mean %s</title></line>'
                       % (_f(x_of(mean)), _f(y - 10), _f(x_of(mean)), _f(y + 10), _esc(format_bps(mean))))
        failed = sum(1 for r in group if not r.get('succeeded'))
        text = 'mean %s' % format_bps(mean) if mean is not None else 'no figure'
        svg.append('<text class="value" x="%d" y="%s">%s' % (left + plot_width + 14, _f(y + 4.5), _esc(text)))
        if failed:
            svg.append('<tspan class="bad"> &#183; %d failed</tspan>' % failed)
        svg.append('</text>')
        previous_node = node
    svg.append('</svg>')
    legend = ['<div class="legend">'] + _repetition_legend(repetitions) + [
        '<span class="item"><span class="sw mean"></span>mean of the succeeded tests</span>',
        '<span class="item"><span class="sw range"></span>min&ndash;max</span>']
    if any(not r.get('succeeded') and _figure(r, key[2]) is not None for key, group in groups for r in group):
        legend.append('<span class="item"><span class="sw cross">&#215;</span>failed test (its figure)</span>')
    legend.append('</div>')
    parts.append('<p class="note">One row per node and direction, one dot per repetition. '
                 'A failed test with no figure is only counted on the right.</p>')
    parts.append(''.join(legend))
    parts.append('\n'.join(svg))
    parts.append('</section>')
    return '\n'.join(parts)


def _time_chart(node, direction, is_reverse, group, repetitions):
    """One chart: throughput over time, a line per repetition."""
    rep_index = dict((rep, i) for i, rep in enumerate(repetitions))
    lines = []
    for record in group:
        source = _dict(record.get('reverse')) if is_reverse else record
        intervals = source.get('intervals')
        lines.append((record, _series(intervals)))
    drawn = [(record, series) for record, series in lines if series[0]]
    label = '%s (reverse)' % _direction_words(direction) if is_reverse else _direction_words(direction)
    first = group[0]
    way = ('%s \u2192 %s' % (first.get('receiver'), first.get('sender')) if is_reverse
           else '%s \u2192 %s' % (first.get('sender'), first.get('receiver')))
    parts = ['<figure>', '<h3>%s <span class="dir">&#183; %s &#183; %s</span></h3>'
             % (_esc(node), _esc(label), _esc(way))]
    if not drawn:
        parts.append('<p class="empty">No per-interval figures for these tests.</p></figure>')
        return '\n'.join(parts)

    per_line = max(2, MAX_POINTS_PER_CHART // len(drawn))
    # (record, points drawn, how many intervals it had when it was downsampled, else 0)
    reduced = []
    for record, (times, values) in drawn:
        source = _dict(record.get('reverse')) if is_reverse else record
        reduced.append((record, _downsample(times, values, per_line),
                        len(source.get('intervals')) if len(times) > per_line else 0))
    top = max(point[1] for line in reduced for point in line[1])
    t_max = max(point[0] for line in reduced for point in line[1])
    factor, unit = _unit(top)
    y_end, y_ticks = _ticks(top / factor if top > 0 else 1.0, 4)
    t_factor, t_unit = _time_unit(t_max)
    x_end, x_ticks = _ticks(t_max / t_factor if t_max > 0 else 1.0, 6)

    width, height = 560, 230
    left, right, top_m, bottom_m = 56, 12, 10, 40
    plot_w, plot_h = width - left - right, height - top_m - bottom_m

    def px(t):
        return left + plot_w * min(1.0, max(0.0, (t / t_factor) / x_end))

    def py(bps):
        return top_m + plot_h * (1.0 - min(1.0, max(0.0, (bps / factor) / y_end)))

    svg = ['<svg viewBox="0 0 %d %d" role="img" aria-label="%s">' % (width, height,
                                                                     _esc('throughput over time, %s %s' % (node, label)))]
    svg.append('<g class="axis">')
    y_step = y_ticks[1] - y_ticks[0] if len(y_ticks) > 1 else 1
    for tick in y_ticks:
        y = top_m + plot_h * (1.0 - tick / y_end)
        svg.append('<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="#e3e8ee"/>' % (left, _f(y), left + plot_w, _f(y)))
        svg.append('<text x="%d" y="%s" text-anchor="end">%s</text>' % (left - 6, _f(y + 4), _tick_label(tick, y_step)))
    x_step = x_ticks[1] - x_ticks[0] if len(x_ticks) > 1 else 1
    for tick in x_ticks:
        x = left + plot_w * tick / x_end
        svg.append('<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="#8795a5"/>'
                   % (_f(x), top_m + plot_h, _f(x), top_m + plot_h + 4))
        svg.append('<text x="%s" y="%d" text-anchor="middle">%s</text>'
                   % (_f(x), top_m + plot_h + 16, _tick_label(tick, x_step)))
    svg.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#8795a5"/>'
               % (left, top_m + plot_h, left + plot_w, top_m + plot_h))
    svg.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#8795a5"/>' % (left, top_m, left, top_m + plot_h))
    svg.append('<text class="title" x="%s" y="%d" text-anchor="middle">time (%s)</text>'
               % (_f(left + plot_w / 2.0), height - 4, t_unit))
    svg.append('<text class="title" transform="translate(13 %s) rotate(-90)" text-anchor="middle">%s</text>'
               % (_f(top_m + plot_h / 2.0), unit))
    svg.append('</g>')
    legend = []
    thinned = []
    for record, points, raw in reduced:
        rep = record.get('repetition')
        colour = _colour(rep_index.get(rep, 0))
        ok = bool(record.get('succeeded'))
        tip = 'rep %s%s' % (rep, '' if ok else ' \u2014 FAILED: %s' % (record.get('error') or ''))
        coordinates = ' '.join('%s,%s' % (_f(px(x)), _f(py(y))) for x, y in points)
        svg.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="1.8" stroke-linejoin="round"%s>'
                   '<title>%s</title></polyline>'
                   % (coordinates, colour, '' if ok else ' stroke-dasharray="5 3"', _esc(tip)))
        if len(points) <= 40:
            svg.append('<g fill="%s">%s</g>' % (colour, ''.join(
                '<circle cx="%s" cy="%s" r="2.6"/>' % (_f(px(x)), _f(py(y))) for x, y in points)))
        if ok:
            legend.append('<span class="item"><span class="sw line" style="background:%s"></span>rep %s</span>'
                          % (colour, _esc(rep)))
        else:
            legend.append('<span class="item"><span class="sw dashed" style="border-color:%s"></span>'
                          '<span style="color:%s">rep %s (failed)</span></span>' % (colour, FAILED_COLOUR, _esc(rep)))
        if raw:
            thinned.append(raw)
    svg.append('</svg>')
    missing = ['%s%s' % (r.get('repetition'), '' if r.get('succeeded') else ' (failed)')
               for r, series in lines if not series[0]]
    parts.append('<div class="legend">%s</div>' % ''.join(legend))
    parts.append('\n'.join(svg))
    notes = []
    if thinned:
        notes.append('downsampled for display: %s intervals per line drawn as at most %d points '
                     '(min and max of each time bucket kept)'
                     % ('{0:,}'.format(max(thinned)) if len(set(thinned)) == 1 else 'up to {0:,}'.format(max(thinned)),
                        per_line))
    if missing:
        notes.append('no interval figures for rep %s' % ', '.join(_esc(rep) for rep in missing))
    if notes:
        parts.append('<figcaption>%s</figcaption>' % '; '.join(notes))
    parts.append('</figure>')
    return '\n'.join(parts)


def _time_plots(records):
    """Plot 2: throughput over time, a chart per node and direction, a line per repetition."""
    parts = ['<section id="over-time"><h2>Throughput over time</h2>']
    groups = _groups(records)
    if not groups:
        parts.append('<p class="empty">No tests in this run.</p></section>')
        return '\n'.join(parts)
    parts.append('<p class="note">One chart per node and direction, one line per repetition: the throughput of '
                 'each reporting interval, drawn at the interval&#8217;s end (the first one from its start). '
                 'Failed tests are dashed. '
                 'To keep this file small, each chart is drawn from at most %d points: a longer series is cut '
                 'into time buckets and each bucket keeps its minimum and maximum (the raw files have every '
                 'interval). A last interval of a few milliseconds (iperf3 prints one) is left out.</p>'
                 % MAX_POINTS_PER_CHART)
    repetitions = _repetitions(records)
    parts.append('<div class="charts">')
    for (node, direction, is_reverse), group in groups:
        parts.append(_time_chart(node, direction, is_reverse, group, repetitions))
    parts.append('</div></section>')
    return '\n'.join(parts)


# ---------------------------------------------------------------------------
# Entry points


def render_report(records, stats=None, title=None, when=None, options=None):
    """The report as one HTML document (str)."""
    records = [record for record in (records or []) if isinstance(record, dict)]
    title = title or 'iperf report'
    options = _dict(options)
    body = [
        '<!DOCTYPE html>',
        '<html lang="en">',
        '<head>',
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; '
        'img-src data:">',
        '<title>%s</title>' % _esc(title),
        '<style>%s</style>' % _CSS,
        '</head>',
        '<body>',
        _header(records, title, when, options),
        '<main>',
        _throughput_plot(records),
        _stats_table(records, stats),
        _time_plots(records),
        _tests_table(records),
        '</main>',
        '<footer>Made by apetools.iperf. Machine-readable: <a href="summary.json">summary.json</a>, '
        '<a href="summary.csv">summary.csv</a>.</footer>',
        '</body>',
        '</html>',
        '',
    ]
    return '\n'.join(body)


def write_report(run_dir, records, stats=None):
    """Write ``report.html`` into ``run_dir`` (atomically) and return its path."""
    name = os.path.basename(os.path.realpath(run_dir))
    document = render_report(records, stats, title='iperf report %s' % name,
                             when=_run_time(run_dir), options=_read_options(run_dir))
    path = os.path.join(run_dir, REPORT_HTML)
    handle, partial = tempfile.mkstemp(prefix='.report.', suffix='.partial', dir=run_dir)
    try:
        with os.fdopen(handle, 'w', encoding='utf-8') as stream:
            stream.write(document)
        os.chmod(partial, 0o644)
        os.replace(partial, path)
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise
    return path
