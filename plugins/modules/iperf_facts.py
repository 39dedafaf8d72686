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
  - With O(port), lists the ports of the range that something already listens on, and those that a stale iperf
    server of this collection holds (M(apetools.iperf.iperf_lease) stops those once the host is taken).
  - Checks the state folder (O(state_dir)), and makes nothing. The check is read-only.
author:
  - apetools.iperf contributors (@apetools)
extends_documentation_fragment:
  - action_common_attributes
  - apetools.iperf.state_dir
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
    description: Inventory name of the host, to tell the ports held by stale iperf servers of this collection.
    type: str
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
  description: The state folder of the host, checked (see O(state_dir)); the default when O(state_dir) is not given.
  returned: always
  type: str
  sample: /var/lib/apetools-iperf
busy_ports:
  description: Ports of the range that something listens on (TCP) or is bound to (UDP), except stale servers of ours.
  returned: when O(port) is given
  type: list
  elements: int
  sample: [5203]
stale_ports:
  description: Ports of the range held by a stale iperf server of this collection, which M(apetools.iperf.iperf_lease) stops once the host is taken.
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

import re
import sys

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.apetools.iperf.plugins.module_utils import _state_dir
from ansible_collections.apetools.iperf.plugins.module_utils._host_ports import stale_ports
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_pids import PidFiles

_VERSION = re.compile(r'iperf (?:version )?(\d+\.\d+(?:\.\d+)?)')
ARGUMENT_SPEC = dict(
    require=dict(type='int', choices=[2, 3]),
    binary=dict(type='str'),
    port=dict(type='int'),
    port_count=dict(type='int', default=100),
    this_host=dict(type='str'),
    **_state_dir.STATE_DIR_SPEC
)


def find(module, name, argv_tail):
    path = module.get_bin_path(name)
    if not path:
        return None
    # iperf2 prints its version on stderr and exits 1 on some releases.
    rc, out, err = module.run_command([path] + argv_tail)
    match = _VERSION.search(out + err)
    return dict(path=path, version=match.group(1) if match else None)


def binaries(module):
    """The iperf binaries, by version; fail the module when the required one is missing."""
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
    return found


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    if sys.version_info < (3, 8):
        # The session's modules use Python 3.8; say so here, before any traffic, not in a traceback mid-run.
        module.fail_json(msg='apetools.iperf needs Python 3.8 or newer on this host, and %s is %s: set '
                             'ansible_python_interpreter to a newer one' % (sys.executable, sys.version.split()[0]))
    found = binaries(module)
    params = module.params
    try:
        folders = _state_dir.checked_folders(params['state_dir'], create=False)
    except _state_dir.UnsafeStateDir as exc:
        module.fail_json(msg=str(exc), state_dir=params['state_dir'] or _state_dir.default_state_dir(), **found)
    found['state_dir'] = folders['state']
    if params['port']:
        try:
            found['busy_ports'], found['stale_ports'] = stale_ports(
                PidFiles(folders['pids'], params['this_host'] or ''), params['port'], params['port_count'])
        except Exception as exc:  # pylint: disable=broad-except
            module.fail_json(msg='could not check the iperf ports: %s: %s' % (type(exc).__name__, exc), **found)
    module.exit_json(changed=False, **found)


if __name__ == '__main__':
    main()
