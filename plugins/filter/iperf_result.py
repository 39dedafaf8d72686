# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The apetools.iperf.iperf_result filter: raw iperf output to a measurement dict.

Its documentation is in iperf_result.yml, next to this file.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.apetools.iperf.plugins.module_utils.iperf_results import parse_output

_ROLES = ('client', 'server')


def detect_version(text):
    """3 for iperf3 JSON (text starting with ``{`` after whitespace), else 2."""
    return 3 if text.lstrip().startswith('{') else 2


def iperf_result(data, version=None, role=None):
    """Parse one side's raw iperf output (iperf3 -J JSON, iperf2 text or CSV).

    ``data`` is the text (or its lines, or iperf3 JSON already parsed into a
    dict). ``version`` 2 or 3, or None to tell from the text. ``role``
    'client' / 'server' is a hint for outputs that do not say which side
    printed them (iperf2 CSV).
    """
    if isinstance(data, Mapping):
        text = json.dumps(dict(data))
    elif isinstance(data, (list, tuple)):
        text = '\n'.join(to_text(line, errors='surrogate_or_strict') for line in data)
    elif isinstance(data, (str, bytes)):
        text = to_text(data, errors='surrogate_or_strict')
    elif data is None:
        text = ''
    else:
        raise AnsibleFilterError('iperf_result expects the raw output of iperf as a string, got %s'
                                 % type(data).__name__)
    if role is not None:
        role = to_text(role).strip().lower()
        if role not in _ROLES:
            raise AnsibleFilterError('iperf_result: role must be one of %s, got %r' % (', '.join(_ROLES), role))
    if version is None or (isinstance(version, str) and version.strip().lower() in ('', 'auto')):
        version = detect_version(text)
    try:
        return parse_output(text, version, role=role)
    except ValueError as exc:
        raise AnsibleFilterError('iperf_result: %s' % to_text(exc))


class FilterModule(object):
    """apetools.iperf filters."""

    def filters(self):
        return {'iperf_result': iperf_result}
