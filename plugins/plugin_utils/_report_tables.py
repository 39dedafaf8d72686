# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-only: the report's two tables, as HTML.

- :func:`stats_table`: statistics per node and direction (the rows of
  iperf_records.statistics, or worked out here when none are given), with
  the reverse direction of bidirectional tests under its own.
- :func:`tests_table`: every test, its figures, its cause if it failed, and
  links to the raw iperf output of each side (relative to the report).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.apetools.iperf.plugins.module_utils._rates import format_bps
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_records import spread
from ansible_collections.apetools.iperf.plugins.plugin_utils._report_common import (
    as_dict,
    direction_words,
    esc,
    figure_bps,
    finite,
    groups_of,
    has_reverse,
)

try:
    from urllib.parse import quote as _url_quote
except ImportError:  # pragma: no cover - Python 2
    from urllib import quote as _url_quote


def _format_number(value, pattern):
    value = finite(value)
    return None if value is None else pattern % value


def _stats_rows(records, reverse=False):
    """Like iperf_records.statistics (used when no stats are given, and for reverse figures)."""
    rows = []
    for (node, direction, is_reverse), group in groups_of(records):
        if is_reverse != reverse:
            continue
        values = [figure_bps(r, reverse) for r in group if r.get('succeeded')]
        values = [v for v in values if v is not None]
        rows.append(dict(spread(values), node=node, direction=direction, tests=len(group), succeeded=len(values)))
    return rows


def _cell(text, classes='', title=None):
    """A table cell; None shows as a muted dash."""
    attributes = ''
    if text is None:
        classes = (classes + ' none').strip()
        content = '&ndash;'
    else:
        content = esc(text)
    if classes:
        attributes += ' class="%s"' % classes
    if title:
        attributes += ' title="%s"' % esc(title)
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
        links.append('<a href="%s" title="%s">%s</a>' % (esc(href), esc(name), esc(label)))
    return ' '.join(links)


def _figures_cells(side, throughput):
    return ''.join((
        _cell(format_bps(throughput, missing=None), 'num strong'),
        _cell(format_bps(side.get('sent_bps'), missing=None), 'num'),
        _cell(format_bps(side.get('received_bps'), missing=None), 'num'),
        _cell(_format_number(side.get('retransmits'), '%d'), 'num'),
        _cell(_format_number(side.get('jitter_ms'), '%.3f ms'), 'num'),
        _cell(_format_number(side.get('lost_percent'), '%.2f %%'), 'num'),
    ))


def tests_table(records):
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
        row = ['<tr id="test-%s" class="%s%s">' % (esc(record.get('index')), 'ok' if ok else 'failed', alt),
               _cell(record.get('index'), 'num'),
               _cell(record.get('node'), 'strong wrap'),
               _cell(direction_words(record.get('direction')), 'nowrap'),
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
                         % (alt, esc(record.get('error') or 'failed, no cause given')))
        if has_reverse(record):
            side = as_dict(record.get('reverse'))
            parts.append(''.join([
                '<tr class="reverse%s%s">' % ('' if ok else ' failed', alt), '<td></td>',
                '<td colspan="3">&#8627; reverse direction (bidirectional test)</td>',
                _cell('%s \u2192 %s' % (record.get('receiver'), record.get('sender')), 'wrap'),
                '<td></td><td></td>',
                _figures_cells(side, figure_bps(record, reverse=True)),
                '<td></td><td></td></tr>']))
    parts.append('</tbody></table></div></section>')
    return '\n'.join(parts)


def stats_table(records, stats):
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
        tests = int(finite(row.get('tests')) or 0)
        succeeded = int(finite(row.get('succeeded')) or 0)
        mean, stdev = finite(row.get('mean_bps')), finite(row.get('stdev_bps'))
        spread = '%.1f %%' % (100.0 * stdev / mean) if mean and stdev is not None else None
        classes = ['reverse'] if is_reverse else []
        if succeeded == 0 and tests:
            classes.append('failed')
        elif succeeded < tests:
            classes.append('partial')
        direction = direction_words(row.get('direction'))
        parts.append(''.join([
            '<tr class="%s">' % ' '.join(classes),
            _cell(row.get('node'), 'strong'),
            _cell('%s (reverse)' % direction if is_reverse else direction, 'nowrap'),
            _cell(tests, 'num'), _cell(succeeded, 'num'),
            _cell(format_bps(mean, missing=None), 'num strong'), _cell(format_bps(row.get('min_bps'), missing=None), 'num'),
            _cell(format_bps(row.get('max_bps'), missing=None), 'num'), _cell(format_bps(stdev, missing=None), 'num'),
            _cell(spread, 'num'), '</tr>']))
    parts.append('</tbody></table></div></section>')
    return '\n'.join(parts)
