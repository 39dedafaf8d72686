# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-only: a run's report.html, assembled and written.

One self-contained page (inline CSS, inline SVG charts, no script, nothing
fetched from anywhere) that opens from disk:

    render_report(records, stats, title=None, when=None, options=None) -> str
    write_report(run_dir, records, stats) -> path of report.html

``records`` are summary records (iperf_records.merge_test), ``stats`` the
rows of iperf_records.statistics (None: worked out here). This file holds the
page's header and its assembly; the charts are in _report_charts.py, the
tables in _report_tables.py, and the page's layout and CSS are data files,
report/page.html (a string.Template) and report/report.css, read at run time.

Every text that comes from a record (node ids, host names, errors, file
names) is escaped (_report_common.esc): it comes from inventories and networks.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import io
import json
import os
import re
import string
import tempfile

from ansible_collections.apetools.iperf.plugins.plugin_utils._report_charts import throughput_plot, time_plots
from ansible_collections.apetools.iperf.plugins.plugin_utils._report_common import (
    as_dict,
    direction_words,
    esc,
    finite,
    first_given,
)
from ansible_collections.apetools.iperf.plugins.plugin_utils._report_tables import stats_table, tests_table

REPORT_HTML = 'report.html'
# The page's layout and style, beside this file (the collection ships them).
_DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'report')

_RUN_NAME = re.compile(r'^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})')


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
    """The options of the run's plan.json, or {}: the report is written even without one."""
    try:
        with open(os.path.join(run_dir, 'plan.json')) as handle:
            return as_dict(as_dict(json.load(handle)).get('options'))
    except (IOError, OSError, ValueError):
        return {}


def _header(records, title, when, options):
    """The top of the page: the run, how it was set up, the counts, and the first failures."""
    failed = [r for r in records if not r.get('succeeded')]
    nodes = []
    for record in records:
        if str(record.get('node')) not in nodes:
            nodes.append(str(record.get('node')))
    repetitions = max([int(finite(r.get('repetition')) or 0) for r in records] or [0])
    facts = []
    if when:
        facts.append('Run of <b>%s</b>' % esc(when))
    setup = []
    version = first_given(options.get('version'), *[r.get('iperf_version') for r in records])
    if version is not None:
        setup.append('iperf%s' % esc(version) if str(version) in ('2', '3') else 'iperf %s' % esc(version))
    protocol = first_given(options.get('protocol'), *[r.get('protocol') for r in records])
    if protocol:
        setup.append(esc(str(protocol).upper()))
    if finite(options.get('time')) is not None:
        setup.append('%s s per test' % esc('%g' % finite(options['time'])))
    if finite(options.get('parallel')) is not None:
        streams = int(finite(options['parallel']))
        setup.append('%d stream%s' % (streams, '' if streams == 1 else 's'))
    if options.get('bidir'):
        setup.append('bidirectional')
    if setup:
        facts.append(' &middot; '.join(setup))
    if repetitions:
        facts.append('%d repetition%s' % (repetitions, '' if repetitions == 1 else 's'))
    parts = ['<header class="top">', '<h1>%s</h1>' % esc(title)]
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
                esc(record.get('index')), esc(record.get('index')), esc(record.get('node')),
                esc(direction_words(record.get('direction'))), esc(record.get('repetition')),
                esc(record.get('error') or 'failed')))
        if len(failed) > 12:
            parts.append('<li>and %d more: see the table of tests</li>' % (len(failed) - 12))
        parts.append('</ul></div>')
    parts.append('</header>')
    return '\n'.join(parts)


def _data(name):
    """A data file of the page, read as it is needed: a report is written once per run."""
    with io.open(os.path.join(_DATA_DIR, name), encoding='utf-8') as handle:
        return handle.read()


def render_report(records, stats=None, title=None, when=None, options=None):
    """The report as one HTML document (str)."""
    records = [record for record in (records or []) if isinstance(record, dict)]
    title = title or 'iperf report'
    options = as_dict(options)
    return string.Template(_data('page.html')).substitute(
        title=esc(title),
        css=_data('report.css').strip(),
        header=_header(records, title, when, options),
        throughput=throughput_plot(records),
        statistics=stats_table(records, stats),
        over_time=time_plots(records),
        tests=tests_table(records),
    )


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
