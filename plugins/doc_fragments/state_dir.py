# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """The state folder option, shared by the modules that keep state on a host (argspec: _state_dir.STATE_DIR_SPEC)."""

    DOCUMENTATION = r'''
options:
  state_dir:
    description:
      - The collection's state folder on the host. It holds the pid files of the iperf processes started there
        (C(pids)), the lease (C(locks)) and each run's raw files until the controller has them.
      - The default is C(/var/lib/apetools-iperf) for root, and C($XDG_STATE_HOME/apetools-iperf)
        (C(~/.local/state/apetools-iperf)) for another user. The session playbook sets it from C(iperf_remote_dir).
      - Every component of the path is checked before any use, as OpenSSH's StrictModes does; a folder another
        user could write, or a link they could change, is refused (see docs/security.md).
    type: path
'''
