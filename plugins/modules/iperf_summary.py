#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: iperf_summary
short_description: Write the summary of an iperf run
version_added: 0.1.0
description:
  - Runs on the controller only. Merges the records that each side of each test wrote into C(run_dir)
    and writes C(summary.json) (a list, one record per test), C(summary.csv) (the same rows),
    C(statistics.json) and C(statistics.csv) (mean, min, max and standard deviation per node and direction)
    and C(report.html).
  - A test with no record from one of its sides is recorded as failed, with the host named. A side record is read
    back through the same checks as when it was written; one that does not fit fails its test, and the summary is
    written all the same.
  - In the CSV files, a text cell that starts with C(=), C(+), C(-), C(@), a tab or a carriage return gets a
    leading C(') so that a spreadsheet shows it as text (OWASP's CSV injection rule); numbers stay numbers.
author:
  - apetools.iperf contributors (@apetools)
extends_documentation_fragment:
  - action_common_attributes
  - action_common_attributes.flow
attributes:
  check_mode:
    support: none
  diff_mode:
    support: none
  platform:
    platforms: all
  action:
    support: full
    details: An action plugin of the same name runs on the controller.
  async:
    support: none
  bypass_host_loop:
    support: none
options:
  run_dir:
    description: The run's folder, as returned by M(apetools.iperf.iperf_plan).
    type: path
    required: true
  min_bps:
    description:
      - A floor in bits per second for tests that the plan gave none (see C(iperf_min_bps)); a test below it is
        recorded as failed, with its figure kept.
    type: float
  run_error:
    description: Why the run stopped early, if it did; tests that did not run are recorded as failed with it.
    type: str
  fail_on_error:
    description: Fail the task when any test failed.
    type: bool
    default: true
  artifacts:
    description:
      - Hand the results to AWX or AAP as the job's artifacts, as M(ansible.builtin.set_stats) would. C(iperf_results)
        holds C(run_dir), C(tests), C(failed_tests), C(records) and C(statistics). The figures then outlive the
        execution environment's container, where the run's folder is.
    type: bool
    default: false
  planned_tests:
    description: In check mode, how many tests the plan has, for RV(shown). Nothing is written in check mode.
    type: int
'''

EXAMPLES = r'''
- name: Write the summary of the planned run, keeping the play going when tests failed
  apetools.iperf.iperf_summary:
    run_dir: "{{ iperf_plan.run_dir }}"
    fail_on_error: false
  run_once: true
  register: iperf_summary

- name: Show the matrix
  ansible.builtin.debug:
    msg: "{{ iperf_summary.table }}"
  run_once: true
'''

RETURN = r'''
summary_json:
  description: Path of summary.json.
  returned: always
  type: str
summary_csv:
  description: Path of summary.csv.
  returned: always
  type: str
report_html:
  description: Path of report.html, a self-contained report with tables and plots that opens from disk.
  returned: when the report could be written
  type: str
report_error:
  description: Why report.html could not be written (the summary files are written all the same).
  returned: when the report could not be written
  type: str
tests:
  description: How many tests the run planned.
  returned: always
  type: int
failed_tests:
  description: How many of them failed.
  returned: always
  type: int
statistics:
  description: Mean, min, max and standard deviation of the throughput per node and direction.
  returned: always
  type: list
  elements: dict
records:
  description: The records of C(summary.json), one per planned test, without the per-interval figures and C(reverse).
  returned: always
  type: list
  elements: dict
table:
  description: The matrix as lines of text.
  returned: always
  type: list
  elements: str
shown:
  description: What the session playbook shows at the end, as lines of text; in check mode, what check mode did.
  returned: always
  type: list
  elements: str
'''
