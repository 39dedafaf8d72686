# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-only action: merge a run's records into summary.json and summary.csv."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible.plugins.action import ActionBase
from ansible_collections.apetools.iperf.plugins.plugin_utils._report import write_report
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_records import (
    SUMMARY_CSV,
    SUMMARY_JSON,
    statistics,
    summarize,
    table,
)
from ansible_collections.apetools.iperf.plugins.plugin_utils._host_result import check_record


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars or {})
        run_dir = self._task.args.get('run_dir')
        if self._task.check_mode:
            result.update(changed=False, tests=0, failed_tests=0, table=[], msg='check mode: nothing ran', shown=[
                'Check mode: %s tests planned and checked on their hosts; nothing ran, and no results folder was made '
                '(it would be %s).' % (self._task.args.get('planned_tests', 'the'), run_dir)])
            return result
        if not run_dir or not os.path.isdir(run_dir):
            result.update(failed=True, msg='run_dir %r is not a folder of an iperf run' % (run_dir,))
            return result
        min_bps = self._task.args.get('min_bps')
        # The side records hold what hosts sent: read back through the same schema
        # as when they were written, so a bad file is a failed test, not a crash.
        records = summarize(run_dir, float(min_bps) if min_bps not in (None, '') else None,
                            run_error=self._task.args.get('run_error'), check=check_record)
        failed = [record for record in records if not record['succeeded']]
        stats = statistics(records)
        try:
            result['report_html'] = write_report(run_dir, records, stats)
        except Exception as exc:  # pylint: disable=broad-except
            # The measurements and the summary are written; a report must not fail the run.
            result['report_error'] = 'report.html could not be written: %s' % exc
        result.update(
            changed=True,
            run_dir=run_dir,
            summary_json=os.path.join(run_dir, SUMMARY_JSON),
            summary_csv=os.path.join(run_dir, SUMMARY_CSV),
            tests=len(records),
            failed_tests=len(failed),
            statistics=stats,
            records=[dict((k, v) for k, v in record.items() if k not in ('intervals', 'reverse')) for record in records],
            table=table(records),
        )
        lines = ['%d of %d tests succeeded; results in %s' % (len(records) - len(failed), len(records), run_dir)]
        lines += ['FAILED %s %s rep %s: %s' % (r['node'], r['direction'], r['repetition'], r['error']) for r in failed]
        result['msg'] = lines if failed else lines[0]
        result['shown'] = result['table'] + [''] + lines + [
            'summary: ' + result['summary_json'], '         ' + result['summary_csv'],
            'report:  ' + (result.get('report_html') or result.get('report_error'))]
        if self._task.args.get('artifacts'):
            # Read by the strategy from any task's result, as set_stats returns it.
            result['ansible_stats'] = dict(aggregate=True, per_host=False, data=dict(iperf_results=dict(
                (key, result[key]) for key in ('run_dir', 'tests', 'failed_tests', 'records', 'statistics'))))
        if failed and self._task.args.get('fail_on_error', True):
            result['failed'] = True
        return result
