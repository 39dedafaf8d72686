# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of apetools.iperf.iperf_facts: the module's result, without a host's control characters."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.apetools.iperf.plugins.plugin_utils._host_module_action import HostModuleAction


class ActionModule(HostModuleAction):
    """See HostModuleAction."""

    MODULE = 'apetools.iperf.iperf_facts'
