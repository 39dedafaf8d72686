#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: iperf_facts
short_description: Find iperf3 and iperf2 on a host, with their versions
version_added: 0.1.0
description:
  - Looks for the iperf binaries on the host and reports their paths and versions.
  - With O(require), fails with a message that names the host and says how to install what is missing,
    so a session stops before any traffic.
  - With O(lease), then takes the host for a run if no other run holds it, without waiting (see
    M(apetools.iperf.iperf_lock)). The session's check and its lease then cost one call per host.
author:
  - apetools.iperf contributors (@apetools)
extends_documentation_fragment:
  - action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  require:
    description: The iperf version the host must have, C(2) or C(3). Nothing is required when omitted.
    type: int
    choices: [2, 3]
  binary:
    description: Name or path of the required binary, when it is not C(iperf3) (version 3) or C(iperf) (version 2).
    type: str
  port:
    description: First port of the range to check for listeners (Linux only, read from C(/proc/net), never by connecting).
    type: int
  port_count:
    description: How many ports from O(port) to check.
    type: int
    default: 100
  this_host:
    description: Inventory name of the host, to tell the ports held by stale iperf servers of this collection (see O(pid_dir)).
    type: str
  clear_stale:
    description:
      - Stop the stale iperf servers of this collection found on the ports (see O(pid_dir)).
      - With O(lease), only once the lease is taken. Servers of another run that holds the host are not stale.
    type: bool
    default: false
  lease:
    description:
      - Take the host for a run when no other run holds it, once iperf is found. A busy host is not a failure. RV(lease)
        says who holds it, and the caller waits for it with M(apetools.iperf.iperf_lock).
      - In check mode, only says whether the host is free.
    type: dict
    suboptions:
      run:
        description: Id of the run that takes the host.
        type: str
        required: true
      expires_in:
        description:
          - Seconds until the lease expires by itself, unless the run renews it (M(apetools.iperf.iperf_session) does,
            from the first test task on, with a short TTL).
          - The default, 600, is long enough for the plan and the tasks before the first test task, waits for busy
            hosts aside (those take the hosts again, for as long as they wait). A run that dies before its first test
            frees the host 600 s after its preflight at the latest.
        type: float
        default: 600
      timeout:
        description: How long the caller will wait for a busy host, for the message.
        type: float
        default: 600
      controller:
        description: Name of the controller, recorded for the message another run sees.
        type: str
      lock_dir:
        description: Folder of the leases on the host. The default is C(locks) in O(state_dir).
        type: path
  pid_dir:
    description:
      - Folder of the pid files that M(apetools.iperf.iperf_session) writes for its servers.
      - The default is C(pids) in O(state_dir).
    type: path
  state_dir:
    description:
      - The collection's state folder on the host, for pid files, leases and raw output.
      - The default is C(/var/lib/apetools-iperf) for root; for another user, C(apetools-iperf) in
        C($XDG_STATE_HOME), by default C(~/.local/state/apetools-iperf). RV(state_dir) says which.
      - Before any use, every component of the path (and of O(pid_dir) and O(lease.lock_dir)) is checked as
        OpenSSH's StrictModes does. No symbolic link; each owned by root or by the user the module runs as; none
        writable by group or others, unless it is root's and sticky (like C(/tmp)). A folder that fails fails the
        module with the path and the reason, for example C(/tmp/x is owned by uid 1001). What is missing is made
        with mode 0700.
    type: path
'''

EXAMPLES = r'''
- name: Make sure iperf3 is there before any traffic
  apetools.iperf.iperf_facts:
    require: 3

- name: Report what the hosts have
  apetools.iperf.iperf_facts:
  register: found
'''

RETURN = r'''
state_dir:
  description: The state folder of the host, checked (see O(state_dir)).
  returned: always
  type: str
  sample: /var/lib/apetools-iperf
busy_ports:
  description: Ports of the range that something listens on (TCP) or is bound to (UDP), except stale servers of ours.
  returned: when O(port) is given
  type: list
  elements: int
  sample: [5203]
lease:
  description: What the take found, when O(lease) is given.
  returned: when O(lease) is given and iperf was found
  type: dict
  contains:
    host:
      description: O(this_host).
      type: str
    busy:
      description: Whether another run holds the host.
      type: bool
    holder:
      description: The other run's record (run, controller, taken, expires, holders) when the host is busy, else null.
      type: dict
    waited_s:
      description: Present when this call took the lease (always 0).
      type: float
    message:
      description: A sentence on who holds the host, for people.
      type: str
      sample: "host tpc1 is busy with run 20261130T150102-1f2e3d4c from ctl1, until 2026-11-30 16:01:02 at the latest; waiting up to 600 s"
stale_ports:
  description: Ports of the range held by a stale iperf server of this collection, which a test clears before it starts.
  returned: when O(port) is given
  type: list
  elements: int
iperf3:
  description: The iperf3 binary, or null when there is none.
  returned: always
  type: dict
  contains:
    path:
      description: Full path of the binary.
      type: str
      sample: /usr/bin/iperf3
    version:
      description: Its version.
      type: str
      sample: "3.12"
iperf2:
  description: The iperf2 binary (C(iperf)), or null when there is none.
  returned: always
  type: dict
  contains:
    path:
      description: Full path of the binary.
      type: str
      sample: /usr/bin/iperf
    version:
      description: Its version.
      type: str
      sample: 2.1.8
'''

import os
import re
import sys
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.apetools.iperf.plugins.module_utils import _state_dir
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_lock import Lease, UnsafeStateDir, look, take_now
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_pids import PidFiles

_VERSION = re.compile(r'iperf (?:version )?(\d+\.\d+(?:\.\d+)?)')


def find(module, name, argv_tail):
    path = module.get_bin_path(name)
    if not path:
        return None
    # iperf2 prints its version on stderr and exits 1 on some releases.
    rc, out, err = module.run_command([path] + argv_tail)
    match = _VERSION.search(out + err)
    return dict(path=path, version=match.group(1) if match else None)


def listening_ports(first, count):
    """Local ports in [first, first + count) that a socket holds, from /proc/net."""
    found = set()
    for name, states in (('tcp', ('0A',)), ('tcp6', ('0A',)), ('udp', None), ('udp6', None)):
        try:
            with open(os.path.join('/proc/net', name)) as handle:
                lines = handle.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 4 or (states and fields[3] not in states):
                continue
            port = int(fields[1].rsplit(':', 1)[1], 16)
            if first <= port < first + count:
                found.add(port)
    return sorted(found)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            require=dict(type='int', choices=[2, 3]),
            binary=dict(type='str'),
            port=dict(type='int'),
            port_count=dict(type='int', default=100),
            this_host=dict(type='str'),
            pid_dir=dict(type='path'),
            state_dir=dict(type='path'),
            clear_stale=dict(type='bool', default=False),
            lease=dict(type='dict', options=dict(
                run=dict(type='str', required=True),
                expires_in=dict(type='float', default=600),
                timeout=dict(type='float', default=600),
                controller=dict(type='str'),
                lock_dir=dict(type='path'),
            )),
        ),
        supports_check_mode=True,
    )
    if sys.version_info < (3, 8):
        # The session's modules use Python 3.8; say so here, before any traffic, not in a traceback mid-run.
        module.fail_json(msg='apetools.iperf needs Python 3.8 or newer on this host, and %s is %s: set '
                             'ansible_python_interpreter to a newer one' % (sys.executable, sys.version.split()[0]))
    require, binary = module.params['require'], module.params['binary']
    found = dict(iperf3=find(module, binary if binary and require == 3 else 'iperf3', ['--version']),
                 iperf2=find(module, binary if binary and require == 2 else 'iperf', ['--version']))
    key = {3: 'iperf3', 2: 'iperf2'}.get(require)
    if key and not found[key]:
        module.fail_json(
            msg='%s is not installed on this host (looked for %s on the PATH); install it with: '
                'ansible-playbook apetools.iperf.install%s'
                % (key, binary or ('iperf3' if require == 3 else 'iperf'), ' -e iperf_version=2' if require == 2 else ''),
            **found)
    found['state_dir'] = _check_state(module)
    try:
        taken = take(module)
    except (OSError, UnsafeStateDir) as exc:
        module.fail_json(msg='could not take this host for run %s: %s' % (module.params['lease']['run'], exc), **found)
    if taken:
        found['lease'] = taken
    try:
        _ports(module, found, taken)
    except Exception as exc:  # pylint: disable=broad-except
        # No lease left behind by a check that failed.
        if taken and taken.get('taken'):
            Lease(module.params['lease']['lock_dir'], module.params['this_host'] or 'this host').release(
                module.params['lease']['run'])
        module.fail_json(msg='could not check the iperf ports: %s: %s' % (type(exc).__name__, exc), **found)
    taken_now = bool(taken) and bool(taken.pop('taken', False))
    module.exit_json(changed=bool(found.get('cleared_stale_pids')) or taken_now, **found)


def _ports(module, found, taken):
    """The ports of the range that something holds; stale servers of ours cleared once the host is ours."""
    port = module.params['port']
    if port:
        pids = PidFiles(module.params['pid_dir'], module.params['this_host'] or '')
        busy = listening_ports(port, module.params['port_count'])
        stale = [p for p in busy if module.params['this_host'] and pids.is_ours(p)]
        found.update(busy_ports=[p for p in busy if p not in stale], stale_ports=stale)
        if module.params['clear_stale'] and stale and not module.check_mode and not (taken or {}).get('busy'):
            # Now, before any test: cleared by the receiver when its test starts, a stale
            # server still takes the sender's connection, then dies under it.
            found['cleared_stale_pids'] = [pid for p in stale for pid in pids.clear_stale(p)]
            # The group's leader is gone first: its iperf may need a moment more to let go of the port.
            deadline = time.time() + 3
            still = [p for p in listening_ports(port, module.params['port_count']) if p in stale]
            while still and time.time() < deadline:
                time.sleep(0.1)
                still = [p for p in listening_ports(port, module.params['port_count']) if p in stale]
            found.update(busy_ports=sorted(found['busy_ports'] + still), stale_ports=[])


def _check_state(module):
    """The state folder, and the pid and lease folders in it, checked; the defaults filled in.

    Fails the module, before anything is written, with the path and the reason.
    """
    params = module.params
    state = params['state_dir'] = params['state_dir'] or _state_dir.default_state_dir()
    params['pid_dir'] = params['pid_dir'] or os.path.join(state, 'pids')
    if params['lease']:
        params['lease']['lock_dir'] = params['lease']['lock_dir'] or os.path.join(state, 'locks')
    for folder in [state, params['pid_dir']] + ([params['lease']['lock_dir']] if params['lease'] else []):
        try:
            # Check mode makes nothing: what is missing is checked when a real run makes it.
            _state_dir.check(folder, create=not module.check_mode)
        except (_state_dir.UnsafeStateDir, ValueError) as exc:
            module.fail_json(msg='its state folder %s is not safe to use: %s (see the security guide, '
                                 'docs/security.md)' % (folder, exc), state_dir=state)
    return state


def take(module):
    """Take the host for the run of O(lease) if it is free; in check mode, only look."""
    params = module.params['lease']
    if not params:
        return None
    lease = Lease(params['lock_dir'], module.params['this_host'] or 'this host')
    if not module.check_mode:
        return take_now(lease, params['run'], params['expires_in'], params['timeout'], params['controller'])
    seen = look(lease, params['run'], params['timeout'])
    # As if taken when free: check mode then takes the path a real run would.
    return seen if seen['busy'] else dict(seen, waited_s=0.0)


if __name__ == '__main__':
    main()
