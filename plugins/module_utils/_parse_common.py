# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to the collection, not a public API: what the iperf output parsers share.

The measurement's shape (``MEASUREMENT_KEYS``, ``DIRECTION_KEYS``, described
in iperf_results.py), the line cap, the checks that turn untrusted JSON
values into numbers, and the record of one iperf2 report line.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math

MEASUREMENT_KEYS = (
    'error', 'protocol', 'streams', 'duration_s',
    'sent_bps', 'received_bps', 'sent_bytes', 'received_bytes',
    'retransmits', 'jitter_ms', 'lost_percent', 'lost_packets', 'packets',
    'cpu_local_percent', 'cpu_remote_percent',
    'intervals', 'reverse', 'role',
)

# The keys of the nested ``reverse`` dict: the per-direction figures.
DIRECTION_KEYS = (
    'duration_s', 'sent_bps', 'received_bps', 'sent_bytes', 'received_bytes',
    'retransmits', 'jitter_ms', 'lost_percent', 'lost_packets', 'packets',
    'intervals',
)

_ROLES = ('client', 'server')

# iperf prints lines of at most a few hundred characters: a longer one is not
# a report, and is skipped before any pattern looks at it.
MAX_LINE = 4096


def new_measurement(**values):
    """A measurement with every key present: None, and [] for intervals."""
    measurement = dict.fromkeys(MEASUREMENT_KEYS)
    measurement['intervals'] = []
    measurement.update(values)
    return measurement


def _new_direction():
    direction = dict.fromkeys(DIRECTION_KEYS)
    direction['intervals'] = []
    return direction


def _as_text(text):
    if text is None:
        return ''
    if isinstance(text, bytes):
        return text.decode('utf-8', 'replace')
    if not isinstance(text, str):
        return str(text)
    return text


def _role(role):
    if isinstance(role, str) and role.strip().lower() in _ROLES:
        return role.strip().lower()
    return None


def _num(value):
    """A float from a JSON number (not bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _int(value):
    number = _num(value)
    if number is None or math.isnan(number) or math.isinf(number):
        return None
    return int(number)


def _dict(value):
    return value if isinstance(value, dict) else {}


def _one_line(message, limit=300):
    message = ' '.join(str(message).split())
    if len(message) > limit:
        message = message[:limit - 3].rstrip() + '...'
    return message


# The iperf2 readers, human (_iperf2_text) and CSV (_iperf2_csv), both turn
# each report line into a _Record; _iperf2 adds the records up.
class _Record:
    """One report line: one stream (or the sum) over one interval."""

    __slots__ = ('key', 'is_sum', 'star', 'start', 'end', 'bytes', 'bps',
                 'jitter', 'lost', 'total', 'pct', 'rtry', 'report', 'flow', 'seq')

    def __init__(self, key, is_sum, star, start, end, nbytes, bps):
        self.key = key
        self.is_sum = is_sum
        self.star = star
        self.start = start
        self.end = end
        self.bytes = nbytes
        self.bps = bps
        self.jitter = None
        self.lost = None
        self.total = None
        self.pct = None
        self.rtry = None
        self.report = False  # a UDP server report printed by the client
        self.flow = None
        self.seq = 0  # position in the output


def _pct(text):
    try:
        value = float(text)
    except ValueError:
        return None
    return None if math.isnan(value) else value
