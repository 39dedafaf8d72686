# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to the collection, not a public API: an action plugin's own arguments, checked as a module's are."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator


def checked_args(task, argument_spec, **rules):
    """The task's arguments, checked against ``argument_spec`` (with the defaults filled in); raise
    AnsibleActionFail naming every wrong one. ``rules`` are ArgumentSpecValidator's (mutually_exclusive, ...)."""
    validated = ArgumentSpecValidator(argument_spec, **rules).validate(task.args)
    if validated.error_messages:
        raise AnsibleActionFail('%s: %s' % (task.action, '; '.join(validated.error_messages)))
    return validated.validated_parameters
