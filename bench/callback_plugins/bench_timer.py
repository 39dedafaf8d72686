# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Timestamps of task starts and host results, for bench/bench.py.

ansible.posix.profile_tasks is not installed; the bench needs the task
starts in a file it can read, not in the run's output.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
name: bench_timer
type: aggregate
short_description: write task timings as JSON lines for bench/bench.py
description:
  - Appends one JSON line per task start and per host result to the file named by E(BENCH_TIMER_FILE).
requirements:
  - enabled with ANSIBLE_CALLBACKS_ENABLED=bench_timer
'''


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_timer'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        path = os.environ.get('BENCH_TIMER_FILE')
        self._out = open(path, 'a') if path else None

    def _write(self, **event):
        if self._out:
            event['t'] = time.monotonic()
            self._out.write(json.dumps(event) + '\n')
            self._out.flush()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._write(event='task', task=task.get_name())

    def _result(self, result, status):
        self._write(event=status, task=result._task.get_name(), host=result._host.get_name())

    def v2_runner_on_ok(self, result):
        self._result(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result(result, 'failed')

    def v2_runner_on_skipped(self, result):
        self._result(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._result(result, 'unreachable')
