# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-only: the report's two SVG charts, drawn here as text (no script, nothing fetched).

- :func:`throughput_plot`: a row per node and direction, a dot per repetition, the mean marked.
- :func:`time_plots`: throughput over time, a chart per node and direction, a line per repetition.

Size: the over-time charts are drawn from at most MAX_POINTS_PER_CHART points
each (:func:`downsample` keeps each time bucket's minimum and maximum), so a
long run (hours of one-second intervals) still gives a file of a few MB at most.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math
import operator

from ansible_collections.apetools.iperf.plugins.module_utils._rates import format_bps, rate_unit
from ansible_collections.apetools.iperf.plugins.plugin_utils._report_common import (
    as_dict,
    direction_words,
    esc,
    figure_bps,
    finite,
    groups_of,
)

MAX_POINTS_PER_CHART = 500
_GET_END = operator.itemgetter('end')
_GET_BPS = operator.itemgetter('bps')

# Colour-blind safe (Okabe-Ito, then Tableau's), one per repetition.
PALETTE = ('#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#7F7F7F',
           '#8C564B', '#BCBD22', '#17BECF')
FAILED_COLOUR = '#C62828'


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
                end, bps = finite(interval.get('end')), finite(interval.get('bps'))
                if end is not None and bps is not None:
                    times.append(end)
                    values.append(bps)
    if len(times) > 1:
        durations = []
        for interval in intervals[:-1][:50]:
            if isinstance(interval, dict) and finite(interval.get('start')) is not None \
                    and finite(interval.get('end')) is not None:
                durations.append(interval['end'] - interval['start'])
        last = intervals[-1] if isinstance(intervals[-1], dict) else {}
        start, end = finite(last.get('start')), finite(last.get('end'))
        if durations and start is not None and end is not None and times[-1] == end:
            typical = sorted(durations)[len(durations) // 2]
            if typical > 0 and (end - start) < 0.25 * typical:
                times.pop()  # iperf3's few-millisecond tail: noise, not a figure
                values.pop()
    if times:
        # The first interval's figure holds from its start: the line starts there.
        first = next((interval for interval in intervals if isinstance(interval, dict)
                      and interval.get('end') == times[0]), {})
        start = finite(first.get('start'))
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


def _repetition_legend(repetitions, line=False):
    items = []
    for index, repetition in enumerate(repetitions[:len(PALETTE)]):
        items.append('<span class="item"><span class="sw%s" style="background:%s"></span>rep %s</span>'
                     % (' line' if line else '', _colour(index), esc(repetition)))
    if len(repetitions) > len(PALETTE):
        items.append('<span class="item">(colours repeat after rep %s)</span>' % esc(repetitions[len(PALETTE) - 1]))
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


def throughput_plot(records):
    """Plot 1: a row per node and direction, a dot per repetition, the mean marked."""
    parts = ['<section id="throughput"><h2>Throughput per node and direction</h2>']
    groups = groups_of(records)
    if not groups:
        parts.append('<p class="empty">No tests in this run.</p></section>')
        return '\n'.join(parts)
    repetitions = _repetitions(records)
    rep_index = dict((rep, i) for i, rep in enumerate(repetitions))
    values = [figure_bps(r, key[2]) for key, group in groups for r in group]
    top = max([v for v in values if v is not None] or [0.0])
    factor, unit = rate_unit(top)
    axis_end, ticks = _ticks(top / factor if top else 1.0, 6)

    keys = [key for key, group in groups]
    node_chars = min(30, max(len(key[0]) for key in keys))
    direction_chars = max(len(direction_words(key[1])) + (10 if key[2] else 0) for key in keys)
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
        label = '%s (reverse)' % direction_words(direction) if is_reverse else direction_words(direction)
        if node != previous_node:
            node_text = node if len(node) <= node_chars else node[:node_chars - 1] + '\u2026'
            svg.append('<text class="label" x="10" y="%s" font-weight="600"><title>%s</title>%s</text>'
                       % (_f(y + 4.5), esc(node), esc(node_text)))
        svg.append('<text class="label" x="%d" y="%s" text-anchor="end">%s</text>'
                   % (left - 12, _f(y + 4.5), esc(label)))
        good = [figure_bps(r, is_reverse) for r in group if r.get('succeeded')]
        good = [v for v in good if v is not None]
        if len(good) > 1:
            svg.append('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#c5ced8" stroke-width="7" '
                       'stroke-linecap="round"/>' % (_f(x_of(min(good))), _f(y), _f(x_of(max(good))), _f(y)))
        for record in group:
            value = figure_bps(record, is_reverse)
            rep = record.get('repetition')
            tip = '%s %s rep %s: %s' % (node, label, rep, format_bps(value, missing='no figure'))
            if not record.get('succeeded'):
                tip += ' \u2014 FAILED: %s' % (record.get('error') or '')
            if value is None:
                continue
            x = x_of(value)
            offset = ((rep_index.get(rep, 0) % 3) - 1) * 4
            if record.get('succeeded'):
                svg.append('<circle cx="%s" cy="%s" r="5.5" fill="%s" stroke="#fff" stroke-width="1.2">'
                           '<title>%s</title></circle>'
                           % (_f(x), _f(y + offset), _colour(rep_index.get(rep, 0)), esc(tip)))
            else:
                svg.append('<path d="M%s %sl8 8m0 -8l-8 8" stroke="%s" stroke-width="2.5" fill="none">'
                           '<title>%s</title></path>'
                           % (_f(x - 4), _f(y + offset - 4), FAILED_COLOUR, esc(tip)))
        mean = sum(good) / len(good) if good else None
        if mean is not None:
            svg.append('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#111" stroke-width="3">'
                       '<title>mean %s</title></line>'
                       % (_f(x_of(mean)), _f(y - 10), _f(x_of(mean)), _f(y + 10), esc(format_bps(mean))))
        failed = sum(1 for r in group if not r.get('succeeded'))
        text = 'mean %s' % format_bps(mean) if mean is not None else 'no figure'
        svg.append('<text class="value" x="%d" y="%s">%s' % (left + plot_width + 14, _f(y + 4.5), esc(text)))
        if failed:
            svg.append('<tspan class="bad"> &#183; %d failed</tspan>' % failed)
        svg.append('</text>')
        previous_node = node
    svg.append('</svg>')
    legend = ['<div class="legend">'] + _repetition_legend(repetitions) + [
        '<span class="item"><span class="sw mean"></span>mean of the succeeded tests</span>',
        '<span class="item"><span class="sw range"></span>min&ndash;max</span>']
    if any(not r.get('succeeded') and figure_bps(r, key[2]) is not None for key, group in groups for r in group):
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
        source = as_dict(record.get('reverse')) if is_reverse else record
        intervals = source.get('intervals')
        lines.append((record, _series(intervals)))
    drawn = [(record, series) for record, series in lines if series[0]]
    label = '%s (reverse)' % direction_words(direction) if is_reverse else direction_words(direction)
    first = group[0]
    way = ('%s \u2192 %s' % (first.get('receiver'), first.get('sender')) if is_reverse
           else '%s \u2192 %s' % (first.get('sender'), first.get('receiver')))
    parts = ['<figure>', '<h3>%s <span class="dir">&#183; %s &#183; %s</span></h3>'
             % (esc(node), esc(label), esc(way))]
    if not drawn:
        parts.append('<p class="empty">No per-interval figures for these tests.</p></figure>')
        return '\n'.join(parts)

    per_line = max(2, MAX_POINTS_PER_CHART // len(drawn))
    # (record, points drawn, how many intervals it had when it was downsampled, else 0)
    reduced = []
    for record, (times, values) in drawn:
        source = as_dict(record.get('reverse')) if is_reverse else record
        reduced.append((record, _downsample(times, values, per_line),
                        len(source.get('intervals')) if len(times) > per_line else 0))
    top = max(point[1] for line in reduced for point in line[1])
    t_max = max(point[0] for line in reduced for point in line[1])
    factor, unit = rate_unit(top)
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
                                                                     esc('throughput over time, %s %s' % (node, label)))]
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
                   % (coordinates, colour, '' if ok else ' stroke-dasharray="5 3"', esc(tip)))
        if len(points) <= 40:
            svg.append('<g fill="%s">%s</g>' % (colour, ''.join(
                '<circle cx="%s" cy="%s" r="2.6"/>' % (_f(px(x)), _f(py(y))) for x, y in points)))
        if ok:
            legend.append('<span class="item"><span class="sw line" style="background:%s"></span>rep %s</span>'
                          % (colour, esc(rep)))
        else:
            legend.append('<span class="item"><span class="sw dashed" style="border-color:%s"></span>'
                          '<span style="color:%s">rep %s (failed)</span></span>' % (colour, FAILED_COLOUR, esc(rep)))
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
        notes.append('no interval figures for rep %s' % ', '.join(esc(rep) for rep in missing))
    if notes:
        parts.append('<figcaption>%s</figcaption>' % '; '.join(notes))
    parts.append('</figure>')
    return '\n'.join(parts)


def time_plots(records):
    """Plot 2: throughput over time, a chart per node and direction, a line per repetition."""
    parts = ['<section id="over-time"><h2>Throughput over time</h2>']
    groups = groups_of(records)
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
