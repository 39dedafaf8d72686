# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of apetools.iperf.iperf_lease: with ``plan``, take the session's hosts or give them back;
without it, run the module with its own options.

Taking follows the policy of plugin_utils/_lease_round.py. Giving back also
removes the run's folder on the host, unless something measured may be only
there (plugin_utils/_host_result.py ``kept_on_host``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail
from ansible.utils.display import Display
from ansible_collections.apetools.iperf.plugins.plugin_utils._action_args import checked_args
from ansible_collections.apetools.iperf.plugins.plugin_utils._host_module_action import HostModuleAction, scrub
from ansible_collections.apetools.iperf.plugins.plugin_utils._host_result import kept_on_host
from ansible_collections.apetools.iperf.plugins.plugin_utils._lease_round import BUSY, TAKEN, LeaseRound

display = Display()
ARGUMENT_SPEC = dict(
    plan=dict(type='dict', required=True),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
)


class ActionModule(HostModuleAction):

    MODULE = 'apetools.iperf.iperf_lease'

    def run(self, tmp=None, task_vars=None):
        if 'plan' not in self._task.args:
            # Used on its own: the module's options, one host at a time.
            return super(ActionModule, self).run(tmp, task_vars)
        result = super(HostModuleAction, self).run(tmp, task_vars)
        args = checked_args(self._task, ARGUMENT_SPEC)
        plan, host = args['plan'], task_vars['inventory_hostname']
        # No lease with iperf_lock false: the run's end still removes the run's files.
        lease, dirs = plan['lease'] or dict(hosts=[host], at_once=False, timeout=0), plan['host_dirs'][host]
        module_args = dict(host=host, run=plan['run_id'], state_dir=dirs['state_dir'])
        round_ = LeaseRound(os.path.join(plan['run_dir'], 'leases'), lease['hosts'], host, lease['at_once'],
                            lease['timeout'])
        if args['state'] == 'absent':
            round_.forget()
            keep = kept_on_host(plan['run_dir'], host)
            called = self._call(task_vars, module_args, state='absent', remove=None if keep else dirs['run_dir'])
            result.update(called, kept=keep)
            return result
        module_args.update(expires_in=lease['expires_in'][host], controller=lease['controller'],
                           port=plan['options']['port'], port_count=plan['port_count'])
        if self._task.check_mode:
            # Only a look, and no run folder on the controller to meet in.
            called = self._call(task_vars, module_args, wait=0)
            if called.get('busy'):
                display.display(called['message'])
            result.update(called)
            return result
        calls = []

        def try_now():
            calls.append(self._call(task_vars, module_args, wait=0))
            if calls[-1].get('busy'):
                display.display('%s; taking the hosts one by one, waiting up to %d s for each (iperf_lock_timeout)'
                                % (calls[-1]['message'], lease['timeout']))
            return BUSY if calls[-1].get('busy') else TAKEN

        def take_waiting():
            calls.append(self._call(task_vars, dict(module_args, expires_in=lease['ordered_expires_in'][host]),
                                    wait=lease['timeout']))
            if calls[-1].get('busy'):
                # With iperf_lock_timeout 0 the module reports a busy host instead of failing.
                raise AnsibleActionFail(calls[-1].get('message') or 'host %s is busy' % host, result=calls[-1])

        how, busy = round_.take(try_now, lambda: self._call(task_vars, module_args, state='absent'), take_waiting)
        result.update(calls[-1], taken=how, busy_hosts=busy, changed=any(call.get('changed') for call in calls))
        return result

    def _call(self, task_vars, module_args, **more):
        """Run the module on the host; raise AnsibleActionFail with its message when it fails."""
        called = scrub(self._execute_module(module_name=self.MODULE, module_args=dict(module_args, **more),
                                            task_vars=task_vars))
        if called.get('failed') or called.get('unreachable'):
            raise AnsibleActionFail(called.get('msg') or 'the module failed', result=called)
        return called
