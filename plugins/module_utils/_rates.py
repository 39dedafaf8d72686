# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to the collection, not a public API: the one way a rate is written for people.

The terminal (the line printed as a test ends, the summary table, the floor's
error) and report.html show rates with :func:`format_bps`, so a figure reads
the same everywhere. Three significant digits, as iperf3 prints its own
rates (``9.41 Gbits/sec``, ``941 Mbits/sec``), so a figure can be compared
with the raw ``.iperf`` file at a glance.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math


def rate_unit(bps):
    """(factor, unit) for rates up to ``bps``: ``(1e9, 'Gbit/s')`` for 9.4e9; also a chart's axis unit."""
    bps = abs(bps or 0.0)
    for factor, unit in ((1e9, 'Gbit/s'), (1e6, 'Mbit/s'), (1e3, 'kbit/s')):
        if bps >= factor:
            return factor, unit
    return 1.0, 'bit/s'


def format_bps(bps, missing='-'):
    """``9.41 Gbit/s``, ``941 Mbit/s``, ``94.1 Mbit/s``, ``12 bit/s``: three significant digits.

    ``missing`` is what a value that is no finite number (None, text, a bool,
    NaN, inf) gives: ``-`` in the terminal's table; the report passes None.
    """
    if isinstance(bps, bool) or not isinstance(bps, (int, float)):
        return missing
    bps = float(bps)
    if math.isnan(bps) or math.isinf(bps):
        return missing
    factor, unit = rate_unit(bps)
    value = bps / factor
    if abs(value) >= 100 or factor == 1.0:
        text = '%.0f' % value
    elif abs(value) >= 10:
        text = '%.1f' % value
    else:
        text = '%.2f' % value
    return '%s %s' % (text, unit)
