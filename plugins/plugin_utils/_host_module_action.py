# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of a module that runs on a host: private to the collection, not a public API.

Ansible prints what a module returns (its msg, warnings, deprecations, and any
text around its JSON), and that comes from a host, which is not trusted. This
action runs the module and passes the result on without control characters,
so a host cannot write escape sequences to the controller's terminal.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible.plugins.action import ActionBase
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_records import clean_text

# Control characters that no JSON text holds raw (line breaks stay: they separate the JSON from the rest).
RAW_CONTROLS = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]')


def scrub(value):
    """``value`` with every string in it as clean text (see clean_text); keys are cleaned too."""
    if isinstance(value, str):
        return clean_text(value, 1 << 20)
    if isinstance(value, dict):
        return dict((scrub(key), scrub(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [scrub(item) for item in value]
    return value


class HostModuleAction(ActionBase):
    """Runs the module ``MODULE`` and returns its result scrubbed."""

    TRANSFERS_FILES = False
    MODULE = None

    def run(self, tmp=None, task_vars=None):
        result = super(HostModuleAction, self).run(tmp, task_vars)
        module_result = self._execute_module(module_name=self.MODULE, module_args=self._task.args,
                                             task_vars=task_vars)
        result.update(scrub(module_result))
        return result

    def _parse_returned_data(self, res, *args, **kwargs):
        """Parse the module's output without the control characters that no JSON holds: Ansible prints text
        around the JSON as a warning, and that text comes from the host."""
        if isinstance(res.get('stdout'), str):
            res = dict(res, stdout=RAW_CONTROLS.sub('', res['stdout']))
        return super(HostModuleAction, self)._parse_returned_data(res, *args, **kwargs)
