#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: iperf_lock
short_description: Take or give back a host for one iperf run
version_added: 0.1.0
description:
  - Two runs must never measure on a shared host at the same time. Each run takes a lease on every
    host it uses before its first test and gives it back after its last one.
  - The lease is one file, C(<lock_dir>/<name>.lock) (mode 0600), that holds the owner's record (run id, controller,
    when it was taken, when it expires, and the hosts of the run that hold it). Each change of it happens under an
    exclusive C(flock) on the file, so taking a free host, breaking an expired lease and giving one back are each
    atomic, and two runs can never both hold a host. O(lock_dir) is checked before use, as for the state folder (no
    symbolic link, no folder another user could write); the file is never opened through a link.
  - Take the leases of a run one host at a time in sorted order, so two runs that share hosts cannot
    wait for each other for ever.
  - A lease expires O(expires_in) seconds after it was taken, so a run that crashed frees its hosts by itself.
    M(apetools.iperf.iperf_session) renews it with a short TTL while the run measures.
author:
  - apetools.iperf contributors (@apetools)
extends_documentation_fragment:
  - action_common_attributes
attributes:
  check_mode:
    support: full
    details: In check mode the module only reports who holds the host.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  host:
    description: Inventory name of the host, for messages.
    type: str
    required: true
  name:
    description:
      - Name of the lease file on the host. It does not depend on the inventory, so a host known by two
        names in two inventories still has one lease. Hosts that share a file system (network namespaces
        on one machine) then share one lease too, which only serializes runs that use them. Each host of the run
        that takes it is listed in its C(holders), and the lease goes back when the last of them gives it back.
    type: str
    default: iperf
  run:
    description: Id of the run that takes or gives back the lease.
    type: str
    required: true
  state:
    description: C(present) takes the lease, waiting up to O(timeout) seconds; C(absent) gives it back; C(query) only reports.
    type: str
    choices: [present, absent, query]
    default: present
  expires_in:
    description: Seconds until the lease expires by itself.
    type: float
    default: 86400
  wait:
    description:
      - With C(false), take the lease only if the host is free now, and otherwise fail at once (the message still
        says O(timeout), the wait that follows). The session playbook first tries every host this way, in parallel.
    type: bool
    default: true
  timeout:
    description: How long to wait for another run to give the host back.
    type: float
    default: 600
  controller:
    description: Name of the controller, recorded for the message another run sees.
    type: str
  remove:
    description:
      - With O(state=absent), a folder to delete before the lease is given back, such as the run's raw files on the
        host once the controller has them. One call ends the run on the host.
      - Giving back a lease that this run does not hold (another run's, or none with C(iperf_lock) false) changes
        nothing, so the session playbook calls this on every host.
    type: path
  lock_dir:
    description:
      - Folder of the leases on the host. The default is C(locks) in the collection's state folder
        (C(/var/lib/apetools-iperf/locks) for root; see M(apetools.iperf.iperf_facts)).
    type: path
'''

EXAMPLES = r'''
- name: Take the hosts for this run, in sorted order
  apetools.iperf.iperf_lock:
    host: "{{ item }}"
    run: "{{ run_id }}"
    expires_in: 3600
  loop: "{{ ansible_play_hosts | sort }}"
  delegate_to: "{{ item }}"
  run_once: true

- name: Take this host only if it is free now; a busy host fails at once
  apetools.iperf.iperf_lock:
    host: "{{ inventory_hostname }}"
    run: "{{ run_id }}"
    expires_in: 3600
    wait: false
  register: lease
  failed_when: false

- name: Give them back
  apetools.iperf.iperf_lock:
    host: "{{ item }}"
    run: "{{ run_id }}"
    state: absent
  loop: "{{ ansible_play_hosts | sort }}"
  delegate_to: "{{ item }}"
  run_once: true
'''

RETURN = r'''
holder:
  description:
    - The lease's owner before the call (run, controller, taken, expires, holders), or null when the host was free
      (no lease, or an expired one).
  returned: always
  type: dict
busy:
  description: Whether another run held the host before the call.
  returned: always
  type: bool
waited_s:
  description: Seconds spent waiting for the host.
  returned: when state is present
  type: float
host:
  description: O(host), so that a play can tell the results of several hosts apart.
  returned: always
  type: str
  sample: tpc1
message:
  description: A sentence on who holds the host, for people.
  returned: always
  type: str
'''

import os
import shutil

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.apetools.iperf.plugins.module_utils import _state_dir
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_lock import HostBusy, Lease, UnsafeStateDir, look
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_session import IperfConfigurationError, check_name


def _remove(module, path):
    if not path or not os.path.lexists(path):
        return False
    for attempt in (1, 2):
        try:
            shutil.rmtree(path)
        except FileNotFoundError:
            # The host's job removes the same folder once the controller has its files.
            if attempt == 1 and os.path.lexists(path):
                continue
        except OSError as exc:
            module.fail_json(msg='could not remove %s on %s: %s' % (path, module.params['host'], exc))
        break
    return True


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host=dict(type='str', required=True),
            name=dict(type='str', default='iperf'),
            run=dict(type='str', required=True),
            state=dict(type='str', choices=['present', 'absent', 'query'], default='present'),
            expires_in=dict(type='float', default=86400),
            timeout=dict(type='float', default=600),
            wait=dict(type='bool', default=True),
            controller=dict(type='str'),
            lock_dir=dict(type='path'),
            remove=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    params['lock_dir'] = params['lock_dir'] or os.path.join(_state_dir.default_state_dir(), 'locks')
    try:
        lease = Lease(params['lock_dir'], params['host'], check_name(params['name'], 'name'))
    except IperfConfigurationError as exc:
        module.fail_json(msg=str(exc))
    try:
        result = look(lease, params['run'], params['timeout'])
    except (UnsafeStateDir, OSError) as exc:
        module.fail_json(msg='could not look at the lease of %s: %s' % (params['host'], exc))
    holder = result['holder']
    if params['state'] == 'query' or module.check_mode:
        if params['state'] == 'present' and not result['busy']:
            result['waited_s'] = 0.0  # as if taken: check mode then takes the same path as a real run
        module.exit_json(changed=False, **result)
    if params['state'] == 'absent':
        removed = _remove(module, params['remove'])
        try:
            released = lease.release(params['run'])
        except (UnsafeStateDir, OSError) as exc:
            module.fail_json(msg='could not give back the lease of %s: %s' % (params['host'], exc), **result)
        module.exit_json(changed=released or removed, **result)
    try:
        result['waited_s'] = round(lease.acquire(params['run'], params['expires_in'],
                                                 params['timeout'] if params['wait'] else 0,
                                                 controller=params['controller']), 3)
    except (HostBusy, UnsafeStateDir, OSError) as exc:
        module.fail_json(msg=str(exc), **result)
    module.exit_json(changed=not (holder and holder.get('run') == params['run']), **result)


if __name__ == '__main__':
    main()
