#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: iperf_plan
short_description: Plan an iperf session from the inventory and the play's variables
version_added: 0.1.0
description:
  - Runs on the controller only. Reads the hosts of the nodes group and the tpc group that are in the play
    (so C(--limit) narrows the matrix), their C(iperf_node_id), C(iperf_address) and C(iperf_tpc), and the
    play's C(iperf_*) variables.
  - A node tests with the one host of the tpc group, or with the host its C(iperf_tpc) names, a TPC or another
    node. With several TPCs, or node-to-node pairs, every node names its peer.
  - With C(iperf_concurrency) N (default 1), the tests are grouped into waves of at most N tests that share
    no host, which run at once. Every host runs its tests in plan order. Both sides of every test of a wave need
    a fork, so N is capped at half of C(--forks), with a warning.
  - Consecutive waves form a batch, which one task runs, as long as the hosts' own order keeps the waves'
    promises (at most N tests at once, no receiver port used twice) and the batch has no more hosts than
    C(--forks) (each holds a fork for the whole task). In a batch each host goes through its tests by itself and a
    test starts when both of its hosts get to it, so no task boundary costs time between tests. With one TPC, the
    default C(iperf_port_count) of 100 and enough forks, the whole matrix of a lab is one task.
    With C(iperf_continue_on_error) false, every wave is a batch of its own, so that the first failed test stops the run.
  - Refuses, before any traffic, everything that cannot work (no nodes, no TPC for a node, a host in both
    groups, duplicate node ids, a missing test address, an unknown direction, a bad option value, an unsafe
    file name part), with a message naming the variable and the value.
  - Creates the run folder C(<iperf_output_dir>/<timestamp>), points C(<iperf_output_dir>/latest) at it,
    writes C(plan.json) there, and returns the list of tests (repetitions x nodes x directions).
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
  nodes_group:
    description: Group of the nodes. Defaults to C(iperf_nodes_group), then C(nodes).
    type: str
  tpc_group:
    description: Group of the traffic PC. Defaults to C(iperf_tpc_group), then C(tpc).
    type: str
  play_hosts:
    description: Hosts taking part. Defaults to C(ansible_play_hosts_all).
    type: list
    elements: str
  host_errors:
    description: Host name to the reason it cannot take part; its tests are recorded as failed with that reason.
    type: dict
  preflight_var:
    description:
      - Name of the variable where each host registered the result of M(apetools.iperf.iperf_facts).
        A host whose check failed or was unreachable takes no part, and its tests are recorded as failed
        with the cause; ports that other programs hold on a receiver are skipped.
    type: str
    default: iperf_preflight
'''

EXAMPLES = r'''
- name: Plan the session
  apetools.iperf.iperf_plan:
  run_once: true
  register: iperf_plan
'''

RETURN = r'''
run_dir:
  description: The run's folder on the controller.
  returned: success
  type: str
  sample: /home/user/iperf-results/20261126T130501
hosts:
  description:
    - The hosts that run some test (they passed the preflight check, and so did their peer), sorted.
    - The run takes them, and gives them back at its end.
  returned: success
  type: list
  elements: str
run_id:
  description:
    - The run's id, C(<UTC time>-<8 hex digits>), unique across controllers. The leases carry it, and the run's
      folder on each host is named after it.
  returned: success
  type: str
  sample: 20261126T130501Z-5f3a9c01
host_dirs:
  description:
    - Host name to its C(state_dir) (C(iperf_remote_dir), or the default that M(apetools.iperf.iperf_facts) found)
      and C(run_dir), the run's folder in it, C(<state_dir>/<host>/<run_id>).
  returned: success
  type: dict
  sample: {tpc1: {state_dir: /var/lib/apetools-iperf, run_dir: /var/lib/apetools-iperf/tpc1/20261126T130501Z-5f3a9c01}}
lease:
  description:
    - How the run holds its hosts (see M(apetools.iperf.iperf_lease)), or null with C(iperf_lock) false.
    - C(run), C(controller), C(hosts) (sorted), C(timeout) (C(iperf_lock_timeout)), C(ttl) (how long a lease lasts
      past each renewal, C(iperf_follow_timeout) + 60), C(at_once) (whether the play has a fork for every host, so
      they can all be tried at once), C(expires_in) and C(ordered_expires_in) (host name to the first hold, until
      its first batch can start at the latest, when the hosts are taken at once or one by one).
  returned: success
  type: dict
port_count:
  description: C(iperf_port_count), the size of the port range.
  returned: success
  type: int
  sample: 100
filename_prefix:
  description: C(iperf_filename_prefix), or null.
  returned: success
  type: str
filename_base:
  description: C(iperf_filename_base), or null.
  returned: success
  type: str
tests:
  description: The planned tests, in order, with node, direction, repetition, sender, receiver, their addresses, port and file names.
  returned: success
  type: list
  elements: dict
options:
  description: The checked iperf options.
  returned: success
  type: dict
nodes:
  description: Node id to device (host and address).
  returned: success
  type: dict
tpc:
  description: The traffic PC's device (host and address) when every node tests with the same one, else null.
  returned: success
  type: dict
tpcs:
  description: Every host that plays the TPC for some node, by host name, with its device (host and address).
  returned: success
  type: dict
concurrency:
  description: How many tests may run at once (C(iperf_concurrency), capped at half the forks).
  returned: success
  type: int
  sample: 1
follow_timeout:
  description: C(iperf_follow_timeout), checked; how long a lost host is retried, and a test nobody follows runs on.
  returned: success
  type: int
  sample: 120
batches:
  description:
    - The tests grouped into batches, each run by one task, in order. Each batch has C(batch) (its number),
      C(tests) (the indexes of its tests), C(waves) (how many waves it holds), C(by_host) (host name to the
      indexes of the tests it takes part in),
      C(label), C(starts_within_s) (the seconds after the first batch starts by which this one starts at the latest,
      every earlier test running to its deadline and a lost host retried for C(iperf_follow_timeout)) and
      C(next_within_s) (host name to the seconds after this batch starts by which the host's next batch starts at
      the latest, for the hosts that have a later one; their leases are kept until then once their sides end).
    - Each test in RV(tests) has C(wave), its wave's number, and C(starts_within), the seconds after the start of
      its batch by which both of its hosts are done with their earlier tests at the latest.
  returned: success
  type: list
  elements: dict
  sample:
    - batch: 1
      tests: [1, 2]
      waves: 2
      by_host: {tpc1: [1, 2], dut1: [1, 2]}
      label: "1: dut1 to_node rep 1, 2: dut1 from_node rep 1"
      starts_within_s: 0
      next_within_s: {}
'''
