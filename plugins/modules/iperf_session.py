#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: iperf_session
short_description: Run this host's side of one iperf test of an IperfSession
version_added: 0.1.0
description:
  - Runs one test of an iperf session between a node (device under test) and the traffic PC (TPC),
    the way the seed's C(IperfSession) does. From the node id and the direction it decides who sends
    and who receives (C(SenderReceiver)), names the C(.iperf) file, and runs this host's side.
  - Run the task on both participants at once, for example on every host of the play with
    C(when) limiting it to the two participants; each host learns its own role from the parameters.
  - The receiver runs an iperf server that serves exactly one test. The sender runs the client aimed
    at the receiver's test address, and retries only on "connection refused" until the server is up,
    for at most C(connect_timeout) seconds. There are no sleeps and no port probes.
  - Every iperf process has a hard deadline (C(max_time), by default max(120, 1.5 x C(time)) seconds)
    enforced by a watchdog on the host, so none is left behind even when the controller goes away.
  - The side runs detached from the SSH session, so a test may last for days. The action plugin waits for it
    through calls of at most O(wait) seconds, and after a lost connection (a killed ControlMaster, a restarted
    sshd) it reconnects and finds the running side again. A side that nobody follows for O(follow_timeout)
    seconds stops.
  - The raw output is written on the host under O(remote_dir). The action plugin of the same name
    fetches it to O(output_dir) on the controller and writes a record of the side there.
  - Commands are argument lists and never pass through a shell.
author:
  - apetools.iperf contributors (@apetools)
extends_documentation_fragment:
  - action_common_attributes
  - apetools.iperf.state_dir
  - action_common_attributes.flow
attributes:
  check_mode:
    support: full
    details: In check mode the module decides the role and builds the command, and runs no traffic.
  diff_mode:
    support: none
  platform:
    platforms: posix
  action:
    support: full
    details: An action plugin of the same name runs on the controller.
  async:
    support: none
  bypass_host_loop:
    support: none
options:
  node:
    description: Id of the node under test (a key of O(nodes)). Give either O(node) or O(tests).
    type: str
  tests:
    description:
      - This host's tests of a batch, instead of O(node), O(direction), O(repetition) and O(tpc). Each item has
        C(node), C(direction), C(repetition), C(tpc) (the device this node tests with), C(port), C(index) (the
        test's number), C(wave) and C(starts_within); other keys (the plan's) are ignored.
      - The host runs them in one detached job, wave after wave, the sides of a wave at once. A side waits for its
        peer up to C(starts_within) seconds after the job started (the peer may still be busy with its earlier
        tests) plus C(connect_timeout).
      - The session playbook always gives this, from the plan's batch.
    type: list
    elements: dict
  reported:
    description:
      - With O(tests), the C(index) of each side that an earlier call of the same task already returned; they are
        not returned again. The action plugin sets it.
    type: list
    elements: str
    default: []
  cancel:
    description:
      - With O(tests), test C(index) to the reason to stop that side now, or not to start it, because the
        controller knows its peer failed or was lost. The action plugin sets it.
    type: dict
    default: {}
  direction:
    description:
      - Traffic direction. Words starting with C(to), C(d) or C(r) (C(to_node), C(downlink), C(rx)) mean
        TPC to node; words starting with C(f), C(s), C(tr), C(tx) or C(u) (C(from_node), C(send), C(uplink))
        mean node to TPC. Required with O(node).
    type: str
  repetition:
    description: Repetition number, used in the file name.
    type: int
    default: 1
  nodes:
    description:
      - The session's nodes, node id to device. A device has the inventory name C(host) and the
        test address C(address) that traffic goes to.
    type: dict
    required: true
  tpc:
    description: The traffic PC (or the node's peer), a device with C(host) and C(address) as in O(nodes). Required with O(node).
    type: dict
  this_host:
    description:
      - Inventory name of the host the module runs on, compared with the devices' C(host) to pick
        the role. The action plugin fills it in from C(inventory_hostname).
    type: str
    required: true
  filename_prefix:
    description: Optional prefix of the file name, as in the seed.
    type: str
  filename_base:
    description: Optional base of the file name, as in the seed.
    type: str
  binary:
    description:
      - The iperf program on this host, a name on the PATH or a full path, when it is not the one in
        O(options) (by default C(iperf3) for version 3, C(iperf) for version 2). Hosts may differ.
    type: str
  remote_dir:
    description:
      - Folder on the host where the raw output is written. Created (mode 0700) if missing.
      - The default is O(state_dir). The session playbook gives each run a folder of its own in it, named after
        the run id, and M(apetools.iperf.iperf_lease) removes it at the run's end.
      - Every component of the path is checked before any use, as for O(state_dir). A folder that another user could
        steer fails the call with the path and the reason.
    type: path
  job_id:
    description:
      - Names this run of the task on the host. When the connection is lost, the action plugin runs the module
        again with the same id, and it waits for the side that is already running instead of starting another.
        The action plugin sets it; without it, every call starts a new side.
    type: str
  wait:
    description:
      - How many seconds one call waits for the side to end. A longer test comes back with RV(finished) false,
        and the action plugin calls again, until it ends. Each call renews the side's heartbeat.
      - The action plugin sets half of O(follow_timeout), at most 15, because a call may outlive a controller that was
        killed outright, so a side stops at most 1.5 x O(follow_timeout) after its controller is gone; and because a
        side whose peer failed learns it only from the next call (O(cancel)).
    type: int
    default: 60
  follow_timeout:
    description:
      - A side that no call has waited for during this many seconds stops its iperf and reports why (the
        controller was stopped, or lost the host for good). A lost connection is retried for as long.
    type: int
    default: 120
  inline_limit:
    description:
      - Raw output up to this many bytes comes back in the module's result, which saves a file transfer;
        larger output stays on the host for the action plugin to fetch.
    type: int
    default: 1048576
  output_dir:
    description:
      - Folder on the controller where the action plugin stores the fetched file and the side record.
        Not passed to the host.
    type: path
  plan:
    description:
      - The session's plan (what M(apetools.iperf.iperf_plan) returned), with O(batch). The action plugin then takes
        from it this host's tests of the batch, the nodes, the options, the folders, the follow timeout and the
        lease, and the task needs no other option. Not passed to the host.
    type: dict
  batch:
    description: With O(plan), the batch to run, one of the plan's C(batches).
    type: dict
  lease:
    description:
      - The run's lease on this host (see M(apetools.iperf.iperf_lease)), in C(locks) in O(state_dir). Every call makes sure the run holds it,
        taking it when it is free, and sets this host's part of it to O(lease.expires_in) seconds from now, before
        any traffic (a longer lease from the preflight then ends). While the host's sides run, its job renews it
        too, every C(min(10, expires_in / 3)) seconds, to O(lease.expires_in) seconds after a call last followed it,
        and stops once no call has for O(follow_timeout). So the lease of a run whose controller went away expires
        O(lease.expires_in) seconds after its last call. When another run holds it, the call fails and starts
        nothing.
      - Not in check mode.
    type: dict
    suboptions:
      run:
        description: Id of the run.
        type: str
        required: true
      expires_in:
        description:
          - Seconds the lease lasts past each renewal (by a call, or by the host's job while it is followed).
          - The session playbook gives C(iperf_follow_timeout) + 60; a host with no test in the first batch is given
            until its first batch can start at the latest, plus that, by M(apetools.iperf.iperf_lease).
        type: float
        required: true
      controller:
        description: Name of the controller, recorded for the message another run sees.
        type: str
      next_within:
        description:
          - With O(tests), for a host with a later batch, the seconds after this batch's start by which that batch
            starts at the latest (the plan's C(next_within_s)). The call that finds every side of the host ended
            keeps the lease until then, plus O(lease.expires_in), since the host waits for the others with no call of its
            own.
        type: float
        default: 0
  options:
    description:
      - The iperf options. Keys are C(version) (2 or 3, default 3), C(time) (seconds or words such as
        C(90 s), C(1h30m), C(2 days 3 hours), default 10), C(protocol) (C(tcp) or C(udp)), C(parallel),
        C(window), C(len), C(interval), C(format) (b k m g K M G), C(bandwidth), C(port) (default 5201),
        C(bind) (each side binds to its own test address), C(ipv6), C(omit), C(tos), C(congestion),
        C(zerocopy), C(bidir), C(extra_args) (a list), C(max_time), C(connect_timeout) (default 30),
        C(max_output_bytes) and C(binary).
      - C(max_output_bytes) caps each side's raw output, in bytes (4096 to 2^40, default 67108864, 64 MiB).
        A side whose output passes it is stopped and fails with
        C(<role> output passed iperf_max_output_bytes (N bytes); the side was stopped); its output up to the cap
        is kept and brought back. The play variable is C(iperf_max_output_bytes).
      - Every value is checked before any traffic; an unknown key or a wrong value fails the task with
        a message naming the option and the value.
    type: dict
    default: {}
notes:
  - The same logic is in C(plugins/module_utils/iperf_session.py) for use outside Ansible.
seealso:
  - name: The session playbook
    description: C(apetools.iperf.session) runs every node in every direction and writes a summary.
    link: https://github.com/apetools/apetools.iperf/blob/main/README.md
'''

EXAMPLES = r'''
# Run on every host of the play; the two participants each run their side.
- name: Run dut1 to_node (the TPC sends, dut1 receives)
  apetools.iperf.iperf_session:
    node: dut1
    direction: to_node
    nodes:
      dut1:
        host: dut1
        address: "{{ hostvars['dut1'].iperf_address }}"
    tpc:
      host: tpc1
      address: "{{ hostvars['tpc1'].iperf_address }}"
    options:
      time: 2
      port: 5301
    output_dir: /tmp/iperf-examples
  when: inventory_hostname in ['dut1', 'tpc1']

- name: Run a UDP test from the node to the TPC, time in words, and keep this side's record
  apetools.iperf.iperf_session:
    node: dut1
    direction: uplink
    repetition: 2
    nodes:
      dut1:
        host: dut1
        address: "{{ hostvars['dut1'].iperf_address }}"
    tpc:
      host: tpc1
      address: "{{ hostvars['tpc1'].iperf_address }}"
    filename_prefix: nightly
    options:
      protocol: udp
      bandwidth: 100M
      time: 2 seconds
      port: 5302
    output_dir: /tmp/iperf-examples
  register: iperf_side
  when: inventory_hostname in ['dut1', 'tpc1']

- name: Show what the receiver measured
  ansible.builtin.debug:
    msg: "{{ iperf_side.measurement.received_bps }} bit/s, jitter {{ iperf_side.measurement.jitter_ms }} ms"
  when: iperf_side.role | default(none) == 'receiver'
'''

RETURN = r'''
role:
  description: The part this host played, C(sender) or C(receiver), or null when it does not take part.
  returned: always
  type: str
  sample: receiver
sender:
  description: Inventory name of the sender.
  returned: always
  type: str
  sample: tpc1
receiver:
  description: Inventory name of the receiver.
  returned: always
  type: str
  sample: dut1
direction:
  description: The canonical direction, C(to_node) or C(from_node).
  returned: always
  type: str
  sample: to_node
filename:
  description: The file name of this side's raw output.
  returned: always
  type: str
  sample: dut1_to_node_rep1.receiver.iperf
remote_path:
  description: Where the raw output is on the host.
  returned: when the test ran
  type: str
  sample: /var/lib/apetools-iperf/dut1/20261126T130501/dut1_to_node_rep1.receiver.iperf
argv:
  description: The iperf command this host ran, as a list.
  returned: always
  type: list
  elements: str
  sample: [iperf3, -s, -p, '5201', '-1', -J]
succeeded:
  description: Whether this side measured without error.
  returned: always
  type: bool
error:
  description: Null, or a sentence naming the host, the test and the cause.
  returned: always
  type: str
measurement:
  description:
    - This side's figures, in bits per second where they are rates. Keys are C(error), C(protocol), C(streams),
      C(duration_s), C(sent_bps), C(received_bps), C(sent_bytes), C(received_bytes), C(retransmits), C(jitter_ms),
      C(lost_percent), C(lost_packets), C(packets), C(cpu_local_percent), C(cpu_remote_percent), C(intervals),
      C(reverse) and C(role).
  returned: when the test ran
  type: dict
output:
  description: The raw output, when it is at most O(inline_limit) bytes. The action plugin stores it and drops it from the result.
  returned: when the test ran and the output is small
  type: str
cleared_stale_pids:
  description: Pids of stale iperf servers of an earlier run that held the test's port and were stopped.
  returned: when the test ran
  type: list
  elements: int
attempts:
  description: How many times the client was started (it retries while the server is not up yet).
  returned: when the test ran
  type: int
sides:
  description:
    - With O(tests), one result per side that ended and was not in O(reported) yet, each with the keys that a single
      test returns at the top level (RV(role), RV(filename), RV(measurement), RV(error), RV(succeeded)...) and
      C(node), C(repetition) and C(key) (the test's C(index)).
    - The module returns before every side ended when a side failed, so that the controller can stop the peers
      that wait for it, or after O(wait) seconds.
  returned: when O(tests) was given
  type: list
  elements: dict
finished:
  description: False while the side is still running (the action plugin then calls again); true once it ended.
  returned: when the host takes part
  type: bool
reconnects:
  description: How many times the action plugin lost the connection to the host during the test and reconnected.
  returned: when the host takes part
  type: int
duration_s:
  description: Wall time of this side, in seconds.
  returned: when the test ran
  type: float
started_at:
  description: When this side started, in seconds since the epoch (UTC), by the host's clock.
  returned: when the test ran
  type: float
  sample: 1795705501.125
ended_at:
  description: When this side ended, in seconds since the epoch (UTC), by the host's clock.
  returned: when the test ran
  type: float
  sample: 1795705511.482
'''

import binascii
import os
import time
import traceback

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_batch import Batch
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_command import (
    normalize_options,
)
from ansible_collections.apetools.iperf.plugins.module_utils import _state_dir
from ansible_collections.apetools.iperf.plugins.module_utils._lease import HostBusy, Lease, UnsafeStateDir
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_pids import PidFiles
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_runner import Side
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_session import (
    IperfConfigurationError,
    IperfSession,
    Parameters,
    check_name,
    side_filename,
    test_prefix,
)


def _who(params, test):
    """``(sender, receiver, files)`` of a test: each side's host and address, and each role's file name.

    A planned test carries them: the plan worked them out once, with the seed's IperfSession. A test given by
    its parameters (a single test, or a list without a plan) is worked out here, by the same code.
    """
    if test.get('files') and test.get('sender') and test.get('receiver'):
        return (dict(host=test['sender'], address=test.get('sender_address')),
                dict(host=test['receiver'], address=test.get('receiver_address')), dict(test['files']))
    found = {}

    def iperf_test(sender, receiver, filename):
        found.update(sender=sender, receiver=receiver, files=dict(
            (role, side_filename(filename, role)) for role in ('sender', 'receiver')))
    session = IperfSession(iperf_test, params['nodes'], test['tpc'], filename_base=params['filename_base'])
    session(Parameters(test['node'], test['direction']), filename_prefix=test_prefix(
        test['direction'], int(test.get('repetition') or 1), params['filename_prefix']))
    return found['sender'], found['receiver'], found['files']


def _side(module, params, this_host, batch, key, test):
    """This host's side of one test: (its result so far, its runner); the runner is None in check mode or when
    the host has no part in the test."""
    options = normalize_options(dict(params['options'], **dict(
        ([('binary', params['binary'])] if params['binary'] else []) + ([('port', test['port'])] if test.get('port') else []))))
    side = dict(node=test['node'], repetition=int(test.get('repetition') or 1), key=key,
                direction=IperfSession.direction(test['direction']))
    sender, receiver, files = _who(params, test)
    role = 'sender' if sender['host'] == this_host else 'receiver' if receiver['host'] == this_host else None
    side.update(role=role, sender=sender['host'], receiver=receiver['host'], argv=[])
    if role is None:
        return side, None
    own, peer = (sender, receiver) if role == 'sender' else (receiver, sender)
    name = files[role]
    if not isinstance(name, str) or name in ('', '.', '..') or '/' in name or '\0' in name:
        raise ValueError('the file name %r is not a plain file name' % (name,))
    runner = Side(options, role, own.get('address'), peer.get('address'), os.path.join(params['remote_dir'], name),
                  PidFiles(params['folders']['pids'], this_host), abandoned=lambda: batch.stop_reason(key))
    side.update(filename=name, argv=runner.argv)
    return side, None if module.check_mode else runner


def _finish(side, ran, inline_limit, planned_path):
    """Fill a side's result from what its detached process returned."""
    if 'output_path' not in ran:
        side['error'] = ran.get('error')
        return
    # The runner adds a counter rather than overwrite; anything else is not a file of ours to read.
    path = ran['output_path']
    if not isinstance(path, str) or not (path == planned_path or (
            path.startswith(planned_path + '.') and path[len(planned_path) + 1:].isdigit())):
        side['error'] = 'its result names %r, not its own raw file %s' % (path, planned_path)
        return
    side.update(remote_path=ran['output_path'], measurement=ran['measurement'], attempts=ran['attempts'],
                duration_s=ran['duration_s'], error=ran['error'], started_at=ran['started_at'],
                ended_at=ran['ended_at'], rc=ran['rc'], stderr=ran['stderr'], cleared_stale_pids=ran['cleared'])
    if os.lstat(path).st_size <= inline_limit:
        side['output'] = _state_dir.read(path)


def _name(test):
    return '%s %s rep %s' % (test.get('node'), test.get('direction'), test.get('repetition') or 1)


ARGUMENT_SPEC = dict(
    node=dict(type='str'),
    direction=dict(type='str'),
    repetition=dict(type='int', default=1),
    tests=dict(type='list', elements='dict'),
    nodes=dict(type='dict', required=True),
    tpc=dict(type='dict'),
    this_host=dict(type='str', required=True),
    filename_prefix=dict(type='str'),
    filename_base=dict(type='str'),
    binary=dict(type='str'),
    remote_dir=dict(type='path'),
    inline_limit=dict(type='int', default=1048576),
    job_id=dict(type='str'),
    wait=dict(type='int', default=60),
    follow_timeout=dict(type='int', default=120),
    reported=dict(type='list', elements='str', default=[]),
    cancel=dict(type='dict', default={}),
    output_dir=dict(type='path'),
    # The action plugin's, with output_dir: never sent to the host.
    plan=dict(type='dict'),
    batch=dict(type='dict'),
    options=dict(type='dict', default={}),
    lease=dict(type='dict', options=dict(
        run=dict(type='str', required=True),
        expires_in=dict(type='float', required=True),
        controller=dict(type='str'),
        next_within=dict(type='float', default=0),
    )),
    **_state_dir.STATE_DIR_SPEC
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_one_of=[('node', 'tests')],
                           mutually_exclusive=[('node', 'tests')], required_by=dict(node=('direction', 'tpc')),
                           supports_check_mode=True)
    _check_state(module)
    params = module.params
    job_id = check_name(params['job_id'] or binascii.hexlify(os.urandom(8)).decode(), 'job_id')
    batch = Batch(os.path.join(params['remote_dir'], 'batch.%s.job' % job_id), params['follow_timeout'])
    sides = _sides(module, batch)
    finished = _run(module, batch, sides)
    _exit(module, sides, finished)


def _sides(module, batch):
    """``(side, runner, test)`` for each test of the call; fail the call on a test that cannot be run."""
    params = module.params
    tests = params['tests'] if params['tests'] is not None else [dict(
        node=params['node'], direction=params['direction'], repetition=params['repetition'], tpc=params['tpc'])]
    sides = []
    for position, test in enumerate(tests, 1):
        try:
            # The key names a file on the host.
            key = check_name(str(test.get('index') or position), 'index')
            side, runner = _side(module, params, check_name(params['this_host'], 'this_host'), batch, key, test)
        except (IperfConfigurationError, KeyError, TypeError, ValueError) as exc:
            module.fail_json(msg='%s on %s: %s' % (_name(test), params['this_host'], exc), succeeded=False,
                             error=str(exc))
        sides.append((side, runner, test))
    return sides


def _run(module, batch, sides):
    """Hold the lease, start the sides (once per job) and wait for them up to O(wait); True once all ended."""
    params = module.params
    running = [(side, runner, test) for side, runner, test in sides if runner is not None]
    # A call that only picks up what already ended (a retry of the last one, whose
    # lease may be given back) has no traffic to protect.
    lease = Lease(params['folders']['locks'], params['this_host']) if params['lease'] and not module.check_mode else None
    ended = bool(running) and len(batch.results([side['key'] for side, _runner, _test in running])) == len(running)
    if lease and not ended:
        _hold(module, lease, params['lease'], [test for _side_, _runner, test in sides])
    # The job renews the lease while its sides run.
    beat = (lease, params['lease']['run'], params['lease']['expires_in']) if lease else None
    finished = True
    try:
        if running:
            if params['cancel']:
                batch.cancel(params['cancel'])
            batch.start([dict(key=side['key'], wave=int(test.get('wave') or 1),
                              starts_within=float(test.get('starts_within') or 0), runner=runner)
                         for side, runner, test in running], lease=beat)
            results, finished = batch.wait([side['key'] for side, _runner, _test in running
                                            if side['key'] not in params['reported']], params['wait'])
            for side, runner, _test in running:
                side['finished'] = side['key'] in results or side['key'] in params['reported']
                if side['key'] in results:
                    _finish(side, results[side['key']], params['inline_limit'], runner.output_path)
    except OSError as exc:
        module.fail_json(msg='%s on %s: %s' % (', '.join(_name(test) for _side_, _runner, test in running),
                                               params['this_host'], exc),
                         succeeded=False, error=str(exc), exception=traceback.format_exc())
    if lease and finished and running:
        _keep_for_next(lease, params['lease'], batch)
    return finished


def _exit(module, sides, finished):
    """Return the sides that ended and were not reported before."""
    params = module.params
    found = []
    for side, runner, _test in sides:
        if runner is not None and (not side['finished'] or side['key'] in params['reported']):
            continue
        if side.get('error'):
            side['error'] = '%s %s rep %s: %s on %s: %s' % (side['node'], side['direction'], side['repetition'],
                                                            side['role'], params['this_host'], side['error'])
        side['succeeded'] = side.get('error') is None
        found.append(side)
    ran = any('measurement' in side for side in found)
    if params['tests'] is None:
        result = dict(found[0]) if found else dict(finished=False)
        if result.get('error'):
            module.fail_json(msg=result['error'], changed=ran, **result)
        module.exit_json(changed=ran, **result)
    # The action plugin stores each side as it comes, and fails the task for the failed ones.
    module.exit_json(changed=ran, sides=found, finished=finished)


def _check_state(module):
    """The state folders (see _state_dir.folders) and the run's folder, checked before any use; fail the call with
    the path and the reason if one is unsafe."""
    params = module.params
    try:
        params['folders'] = _state_dir.checked_folders(params['state_dir'], create=not module.check_mode)
        params['remote_dir'] = params['remote_dir'] or params['folders']['state']
        _state_dir.check(params['remote_dir'], create=not module.check_mode)
    except (_state_dir.UnsafeStateDir, ValueError) as exc:
        module.fail_json(msg='%s cannot run here: %s' % (params['this_host'], exc), succeeded=False, error=str(exc))


def _keep_for_next(lease, params, batch):
    """Every side ended, and the host has a later batch (``next_within``): it waits for the other hosts with no
    call of its own, so it stays held until that batch starts at the latest, plus the TTL. Every call that sees
    the end does this, after its own hold, so a retried call never cuts it short."""
    if not params['next_within']:
        return
    started = batch.started_at()
    ran_for = time.time() - started if started is not None else 0.0
    try:
        lease.renew(params['run'], max(0.0, params['next_within'] - ran_for) + params['expires_in'])
    except (UnsafeStateDir, OSError):
        pass  # the next batch's call holds the host again, or says why it cannot


def _hold(module, lease, params, tests):
    """Make sure the run holds the host's lease for long enough, before any traffic; fail the call if not."""
    try:
        lease.hold(params['run'], params['expires_in'], params['controller'])
    except (HostBusy, UnsafeStateDir, OSError) as exc:
        module.fail_json(msg='%s: %s' % (', '.join(_name(test) for test in tests) or lease.host, exc),
                         succeeded=False, error=str(exc))


if __name__ == '__main__':
    main()
