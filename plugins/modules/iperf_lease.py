#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: iperf_lease
short_description: Take a host for one iperf run, or give it back
version_added: 0.2.0
description:
  - Two runs must never measure on a shared host at the same time. A run takes a lease on each of its hosts before
    its first test, and gives it back at its end.
  - The lease is one file, C(<state_dir>/locks/iperf.lock) (mode 0600), that holds the owner's record (run id,
    controller, when it was taken, until when each host of the run holds it). Each change of it happens under an
    exclusive C(flock) on the file, so taking a free host, breaking an expired lease and giving one back are each
    atomic, and two runs can never both hold a host.
  - Hosts that share a file system (network namespaces on one machine) share one lease. Each host of the run that
    takes it is listed in it, and it goes back when the last of them gives it back.
  - A lease expires O(expires_in) seconds after it was taken, so a crashed run frees its hosts by itself.
    M(apetools.iperf.iperf_session) and the host's job renew it while the run measures.
  - Once the host is taken, the iperf servers that an earlier run of the collection left on the ports of the range
    (O(port), O(port_count)) are stopped. A process counts as ours only if its recorded uid, start time and argv
    still match.
  - With O(state=absent), the run's folder O(remove) is deleted, then the lease is given back. Giving back a lease
    that the run does not hold changes nothing.
  - The session playbook runs this through its action plugin, which decides the order. All hosts try at once; if
    one is busy, they all give theirs back, then take them one by one in sorted order, waiting for each. Two runs
    that share hosts can then never wait for each other for ever.
author:
  - apetools.iperf contributors (@apetools)
extends_documentation_fragment:
  - action_common_attributes
  - apetools.iperf.state_dir
attributes:
  check_mode:
    support: full
    details: In check mode the module only reports who holds the host.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  plan:
    description:
      - The session's plan (what M(apetools.iperf.iperf_plan) returned). The action plugin then takes every other
        option from it, for the host the task runs on, and follows the session's policy (above). Only O(state) may
        be given beside it. Not passed to the host.
    type: dict
  host:
    description: Inventory name of the host, for messages and the lease's list of holders. Required without O(plan).
    type: str
  run:
    description: Id of the run that takes or gives back the lease. Required without O(plan).
    type: str
  state:
    description: C(present) takes the host for the run; C(absent) removes O(remove) and gives the host back.
    type: str
    choices: [present, absent]
    default: present
  expires_in:
    description: Seconds until the lease expires by itself, unless renewed.
    type: float
    default: 600
  wait:
    description:
      - How long to wait for another run to give the host back. With C(0), a busy host is reported (RV(busy)),
        not failed.
    type: float
    default: 0
  controller:
    description: Name of the controller, recorded for the message another run sees.
    type: str
  port:
    description: First port of the run's range, whose stale servers of ours are stopped once the host is taken.
    type: int
  port_count:
    description: How many ports the range has.
    type: int
    default: 100
  remove:
    description:
      - With O(state=absent), the run's folder on the host, deleted before the lease is given back.
      - It must be a folder inside O(state_dir) that holds neither the pid files nor the lease.
    type: path
'''

EXAMPLES = r'''
- name: Take the session's hosts, as the session playbook does
  apetools.iperf.iperf_lease:
    plan: "{{ iperf_plan }}"

- name: Take this host for the run if it is free; a busy one is reported
  apetools.iperf.iperf_lease:
    host: "{{ inventory_hostname }}"
    run: "{{ run_id }}"
    expires_in: 3600
  register: lease

- name: Give it back, with the run's files
  apetools.iperf.iperf_lease:
    host: "{{ inventory_hostname }}"
    run: "{{ run_id }}"
    state: absent
    remove: "/var/lib/apetools-iperf/{{ inventory_hostname }}/{{ run_id }}"
'''

RETURN = r'''
holder:
  description:
    - The lease's owner before the call (run, controller, taken, expires, holders), or null when the host was free
      (no lease, or an expired one).
  returned: always
  type: dict
busy:
  description: Whether another run holds the host, so that this call did not take it.
  returned: always
  type: bool
waited_s:
  description: Seconds spent waiting for the host.
  returned: when the host was taken
  type: float
host:
  description: O(host).
  returned: always
  type: str
  sample: tpc1
message:
  description: A sentence on who holds the host, for people.
  returned: always
  type: str
released:
  description: Whether the call gave the host back (the run held it).
  returned: when O(state=absent), not in check mode
  type: bool
removed:
  description: Whether the call removed O(remove).
  returned: when O(state=absent), not in check mode
  type: bool
cleared_stale_pids:
  description: The pids of the stale iperf servers of ours that were stopped.
  returned: when the host was taken
  type: list
  elements: int
'''

import os
import shutil

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.apetools.iperf.plugins.module_utils import _state_dir
from ansible_collections.apetools.iperf.plugins.module_utils._host_ports import clear_stale
from ansible_collections.apetools.iperf.plugins.module_utils._lease import HostBusy, Lease, UnsafeStateDir, look
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_pids import PidFiles

ARGUMENT_SPEC = dict(
    host=dict(type='str'),
    run=dict(type='str'),
    # The action plugin's: never sent to the host.
    plan=dict(type='dict'),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    expires_in=dict(type='float', default=600),
    wait=dict(type='float', default=0),
    controller=dict(type='str'),
    port=dict(type='int'),
    port_count=dict(type='int', default=100),
    remove=dict(type='path'),
    **_state_dir.STATE_DIR_SPEC
)


def take(module, lease, folders):
    """Take the host, waiting up to O(wait); then stop what an earlier run left on the ports."""
    params = module.params
    result = look(lease, params['run'], params['wait'])
    if module.check_mode:
        module.exit_json(changed=False, **result)
    try:
        result['waited_s'] = round(lease.acquire(params['run'], params['expires_in'], params['wait'],
                                                 controller=params['controller']), 3)
    except HostBusy as exc:
        if params['wait']:
            module.fail_json(msg=str(exc), **result)
        module.exit_json(changed=False, **dict(result, busy=True))
    result.update(busy=False, message='host %s is taken for run %s' % (lease.host, params['run']))
    if params['port']:
        result['cleared_stale_pids'] = clear_stale(PidFiles(folders['pids'], params['host']), params['port'],
                                                   params['port_count'])
    module.exit_json(changed=True, **result)


def give_back(module, lease, folders):
    """Remove the run's folder, then give the host back."""
    params = module.params
    result = look(lease, params['run'], 0)
    if module.check_mode:
        module.exit_json(changed=False, **result)
    removed = _remove(module, params['remove'], folders)
    result['released'] = lease.release(params['run'])
    module.exit_json(changed=removed or result['released'], removed=removed, **result)


def _remove(module, path, folders):
    """Delete the run's folder ``path``, which must be inside the state folder and hold none of its own."""
    if not path:
        return False
    path = os.path.abspath(path)
    if os.path.commonpath([path, folders['state']]) != folders['state'] or path == folders['state'] or any(
            os.path.commonpath([path, folders[kind]]) in (path, folders[kind]) for kind in ('pids', 'locks')):
        module.fail_json(msg='%s: remove=%s is not a run folder inside the state folder %s'
                             % (module.params['host'], path, folders['state']))
    if not os.path.lexists(path):
        return False
    parent = os.path.dirname(path)
    _state_dir.check(parent, create=False)
    shutil.rmtree(path)
    if parent != folders['state']:
        try:
            os.rmdir(parent)  # the host's folder, once no run of it is left
        except OSError:
            pass
    return True


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_together=[('host', 'run')],
                           required_one_of=[('host', 'plan')], supports_check_mode=True)
    params = module.params
    try:
        folders = _state_dir.checked_folders(params['state_dir'], create=not module.check_mode)
        lease = Lease(folders['locks'], params['host'])
        (take if params['state'] == 'present' else give_back)(module, lease, folders)
    except (UnsafeStateDir, OSError) as exc:
        module.fail_json(msg='%s: could not %s the host for run %s: %s' % (
            params['host'], 'take' if params['state'] == 'present' else 'give back', params['run'], exc))


if __name__ == '__main__':
    main()
