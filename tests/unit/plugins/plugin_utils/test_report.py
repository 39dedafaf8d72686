# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of report.html: structure, escaping, the odd cases, and its size on long runs."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math
import os
import re

try:
    from html.parser import HTMLParser
except ImportError:  # pragma: no cover - Python 2
    from HTMLParser import HTMLParser

import pytest

from ansible_collections.apetools.iperf.plugins.plugin_utils import _report
from ansible_collections.apetools.iperf.plugins.plugin_utils._report import REPORT_HTML, render_report, write_report
from ansible_collections.apetools.iperf.plugins.plugin_utils._report_charts import MAX_POINTS_PER_CHART, downsample

EVIL = '<script>alert(1)</script>'
VOID = frozenset(('area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source',
                  'track', 'wbr'))


class Structure(HTMLParser):
    """Checks that every element is closed in order, and collects what the tests look at."""

    def __init__(self):
        HTMLParser.__init__(self, convert_charrefs=True)
        self.stack = []
        self.errors = []
        self.tags = []
        self.ids = []
        self.hrefs = []
        self.rows = []  # (classes, text of the row)
        self.polylines = []  # number of points of each line, by chart
        self.charts = []
        self.text = []
        self._row = None

    def handle_starttag(self, tag, attrs):
        self._open(tag, dict(attrs))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self._open(tag, dict(attrs))

    def _open(self, tag, attrs):
        self.tags.append(tag)
        if attrs.get('id'):
            self.ids.append(attrs['id'])
        if tag == 'a':
            self.hrefs.append(attrs.get('href'))
        if tag == 'tr':
            self._row = [attrs.get('class') or '', []]
            self.rows.append(self._row)
        if tag == 'figure':
            self.charts.append([])
        if tag == 'polyline':
            self.charts[-1].append(len(attrs['points'].split()))

    def handle_endtag(self, tag):
        if tag == 'tr':
            self._row = None
        if not self.stack or self.stack[-1] != tag:
            self.errors.append('</%s> closes %r' % (tag, self.stack[-1:]))
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        if self._row is not None:
            self._row[1].append(data)


def parse(document):
    parser = Structure()
    parser.feed(document)
    parser.close()
    parser.rows = [(classes, ' '.join(text)) for classes, text in parser.rows]
    assert parser.errors == []
    assert parser.stack == [], 'elements left open: %r' % parser.stack
    assert document.startswith('<!DOCTYPE html>')
    return parser


def intervals(count, bps=9e8, step=1.0):
    return [{'start': i * step, 'end': (i + 1) * step, 'bps': bps * (1 + 0.1 * math.sin(i))} for i in range(count)]


def record(index=1, node='dut1', direction='to_node', repetition=1, succeeded=True, error=None, bps=9.4e8, **extra):
    sender, receiver = ('tpc1', node) if direction == 'to_node' else (node, 'tpc1')
    base = dict(index=index, node=node, direction=direction, repetition=repetition, sender=sender, receiver=receiver,
                protocol='tcp', iperf_version=3, port=5200 + index, succeeded=succeeded, error=error,
                throughput_bps=bps, sent_bps=bps and bps * 1.01, received_bps=bps, retransmits=3, jitter_ms=None,
                lost_percent=None, cpu_sender_percent=None, cpu_receiver_percent=None, reverse=None,
                intervals=intervals(10, bps or 1e6),
                files=['%s_%s_rep%d.sender.iperf' % (node, direction, repetition),
                       '%s_%s_rep%d.receiver.iperf' % (node, direction, repetition)])
    base.update(extra)
    return base


def matrix(nodes=('dut1', 'dut2'), repetitions=3):
    records = []
    for repetition in range(1, repetitions + 1):
        for node in nodes:
            for direction in ('to_node', 'from_node'):
                records.append(record(len(records) + 1, node, direction, repetition, bps=(5e8 + 1e8 * repetition)))
    return records


def test_a_normal_run_has_every_section():
    records = matrix()
    records[3].update(succeeded=False, error='throughput 1 Mbit/s is below the floor', throughput_bps=1e6)
    document = render_report(records, None, title='run 1', when='2026-11-26 13:05:01')
    parser = parse(document)
    for section in ('throughput', 'statistics', 'over-time', 'tests'):
        assert section in parser.ids
    assert ['test-%d' % r['index'] for r in records] == [i for i in parser.ids if i.startswith('test-')]
    text = ' '.join(parser.text)
    assert 'run 1' in text and '2026-11-26 13:05:01' in text
    assert re.search(r'12\s*tests', text) and re.search(r'11\s*succeeded', text) and re.search(r'1\s*failed', text)
    # A chart per node and direction, a line per repetition, and the plot of all of them.
    assert len(parser.charts) == 4 and all(len(lines) == 3 for lines in parser.charts)
    assert parser.tags.count('svg') == 5
    assert 'Gbit/s' in text or 'Mbit/s' in text
    # The failed test: a red row with its cause.
    failed = [(classes, row) for classes, row in parser.rows if 'failed' in classes.split()]
    assert any('FAILED' in row for classes, row in failed)
    assert any('below the floor' in row for classes, row in failed)
    # Raw files, relative to the report.
    assert 'dut1_to_node_rep1.sender.iperf' in parser.hrefs
    assert all(href and not href.startswith(('/', 'http:', 'https:', 'file:')) for href in parser.hrefs)
    # Self-contained: nothing is fetched from anywhere.
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', document)
    assert '<script' not in document and '@import' not in document and 'url(' not in document


def test_the_statistics_table_shows_the_given_rows():
    stats = [dict(node='dut1', direction='to_node', tests=3, succeeded=2, mean_bps=9.41e8, min_bps=9.3e8,
                  max_bps=9.5e8, stdev_bps=1.2e7)]
    parser = parse(render_report(matrix(('dut1',)), stats))
    rows = [row for classes, row in parser.rows if 'partial' in classes.split()]
    assert len(rows) == 1 and '941 Mbit/s' in rows[0] and '930 Mbit/s' in rows[0] and '12.0 Mbit/s' in rows[0]


def test_text_from_records_is_escaped():
    evil = record(1, node=EVIL, succeeded=False, error='refused ' + EVIL, sender='tpc"><img src=x onerror=alert(1)>',
                  files=['javascript:alert(1)', '"><script>alert(2)</script>.sender.iperf'],
                  reverse=dict(received_bps=1e8, sent_bps=1e8, intervals=intervals(5)))
    document = render_report([evil, record(2, node=EVIL, direction='from_node')], None, title=EVIL, when=EVIL,
                             options=dict(version=EVIL, protocol=EVIL))
    parser = parse(document)
    assert 'script' not in parser.tags and 'img' not in parser.tags
    assert EVIL not in document and '<img' not in document
    assert '&lt;script&gt;alert(1)&lt;/script&gt;' in document
    assert EVIL in ' '.join(parser.text)  # shown as text, not run
    assert not any(href.lower().startswith('javascript:') for href in parser.hrefs)
    assert not any('"' in href or '<' in href for href in parser.hrefs)


def test_no_records():
    parser = parse(render_report([], []))
    text = ' '.join(parser.text)
    assert re.search(r'0\s*tests', text) and 'No tests in this run' in text
    assert not any(i.startswith('test-') for i in parser.ids)
    assert render_report(None, None)


def test_every_test_failed_without_figures():
    records = [record(i, node='dut%d' % i, succeeded=False, error='unable to connect to server: Connection refused',
                      bps=None, sent_bps=None, retransmits=None, intervals=[]) for i in range(1, 4)]
    parser = parse(render_report(records, None))
    text = ' '.join(parser.text)
    assert re.search(r'3\s*failed', text) and re.search(r'0\s*succeeded', text)
    assert text.count('Connection refused') >= 3
    assert sum(1 for classes, row in parser.rows if classes.split()[:1] == ['failed']) >= 3
    assert 'No per-interval figures' in text
    assert parser.tags.count('polyline') == 0


def test_odd_values_do_not_break_the_report():
    records = [
        record(1, intervals=None, retransmits=None, jitter_ms=None),
        record(2, direction='from_node', bps=None, succeeded=True, intervals=[{'start': 0}]),
        record(3, repetition=2, intervals=[{'start': 0, 'end': 1, 'bps': float('nan')}, {'end': 2, 'bps': 'x'},
                                           None, {'start': 2, 'end': 3, 'bps': 5e8}]),
        record(4, direction='from_node', repetition=2, bps=float('inf'), sent_bps='fast', lost_percent=True),
        dict(index=5, node=7, direction=None, repetition=None),
        'not a record',
    ]
    parser = parse(render_report(records, None))
    assert 'test-5' in parser.ids


def test_bidirectional_tests_show_the_reverse_figures():
    records = [record(1, jitter_ms=0.02, lost_percent=0.5, protocol='udp',
                      reverse=dict(received_bps=3.21e8, sent_bps=3.3e8, jitter_ms=0.07, lost_percent=1.25,
                                   intervals=intervals(10, 3.2e8)))]
    parser = parse(render_report(records, None))
    reverse = [row for classes, row in parser.rows if 'reverse' in classes.split()]
    assert any('321 Mbit/s' in row and '1.25 %' in row and '0.070 ms' in row for row in reverse)
    assert len(reverse) == 2  # in the tests table, and in the statistics
    assert len(parser.charts) == 2  # the forward and the reverse direction over time
    assert 'to_node (reverse)' in ' '.join(parser.text)


@pytest.mark.parametrize('count, budget', [(36000, 500), (1001, 500), (500, 500), (7, 4), (3, 1)])
def test_downsample_keeps_the_extremes_within_the_budget(count, budget):
    points = [(float(i), math.sin(i / 10.0) + (5.0 if i == count // 3 else 0.0)) for i in range(count)]
    kept = downsample(points, budget)
    assert len(kept) <= budget
    assert [x for x, y in kept] == sorted(x for x, y in kept)
    assert set(kept) <= set(points)
    if budget >= 2:
        assert max(y for x, y in kept) == max(y for x, y in points)
        assert min(y for x, y in kept) == min(y for x, y in points)


def test_long_runs_give_a_small_file():
    """200 tests of 10 hours in one-second intervals: every chart within its budget, the file a few MB."""
    long_run = intervals(36000)
    records = []
    for index in range(200):
        records.append(record(index + 1, node='dut%02d' % (index // 4), direction=('to_node', 'from_node')[index % 2],
                              repetition=index // 2 % 2 + 1, intervals=long_run))
    document = render_report(records, None)
    assert len(document.encode('utf-8')) < 5 * 1024 * 1024
    parser = parse(document)
    assert len(parser.charts) == 100
    for lines in parser.charts:
        assert sum(lines) <= MAX_POINTS_PER_CHART
    assert 'downsampled' in ' '.join(parser.text)


def test_many_repetitions_stay_within_the_chart_budget():
    records = [record(i, repetition=i, intervals=intervals(3000)) for i in range(1, 21)]
    parser = parse(render_report(records, None))
    assert len(parser.charts) == 1 and len(parser.charts[0]) == 20
    assert sum(parser.charts[0]) <= MAX_POINTS_PER_CHART


def test_the_layout_and_the_style_come_from_the_data_files():
    document = render_report(matrix(('dut1',), 1), None, title='run 1')
    data = os.path.join(os.path.dirname(os.path.abspath(_report.__file__)), 'report')
    with open(os.path.join(data, 'report.css')) as handle:
        assert '<style>\n%s</style>' % handle.read() in document
    with open(os.path.join(data, 'page.html')) as handle:
        layout = handle.read()
    assert document.startswith(layout[:layout.index('${title}')]) and document.endswith('</body>\n</html>\n')
    assert '${' not in document


def test_text_from_records_is_not_read_as_a_placeholder():
    """The page is a string.Template: a record's ``${tests}`` or ``$css`` stays text."""
    document = render_report([record(1, node='${tests}', error='$css', succeeded=False)], None, title='$$ ${title}')
    text = ' '.join(parse(document).text)
    assert '${tests}' in text and '$css' in text and '$$ ${title}' in text


def test_write_report_writes_atomically_into_the_run_folder(tmp_path):
    run_dir = tmp_path / '20261126T130501'
    run_dir.mkdir()
    (run_dir / 'plan.json').write_text('{"options": {"version": 3, "protocol": "tcp", "time": 10, "parallel": 2}}')
    (tmp_path / 'latest').symlink_to(run_dir.name)
    path = write_report(str(tmp_path / 'latest'), matrix(('dut1',), 2), None)
    assert path == os.path.join(str(tmp_path / 'latest'), REPORT_HTML)
    assert sorted(os.listdir(str(run_dir))) == ['plan.json', REPORT_HTML]  # no temporary file left
    with open(path) as handle:
        document = handle.read()
    text = ' '.join(parse(document).text)
    assert '20261126T130501' in text and '2026-11-26 13:05:01' in text
    assert 'iperf3' in text and 'TCP' in text and '10 s per test' in text and '2 streams' in text
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o644)
    # A second report replaces the first.
    write_report(str(run_dir), [], [])
    with open(path) as handle:
        assert 'No tests in this run' in handle.read()


def test_write_report_without_a_plan(tmp_path):
    path = write_report(str(tmp_path), [record()], None)
    with open(path) as handle:
        parse(handle.read())
