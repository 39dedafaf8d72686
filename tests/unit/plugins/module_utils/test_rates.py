# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one rate format, shared by the terminal (iperf_records) and report.html."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.apetools.iperf.plugins.module_utils import iperf_records
from ansible_collections.apetools.iperf.plugins.module_utils._rates import format_bps, rate_unit


@pytest.mark.parametrize('bps, text', [
    (0.0, '0 bit/s'), (12, '12 bit/s'), (950.0, '950 bit/s'), (2500, '2.50 kbit/s'), (12345.0, '12.3 kbit/s'),
    (9.4123e7, '94.1 Mbit/s'), (9.4123e8, '941 Mbit/s'), (941.2e6, '941 Mbit/s'), (1.5e9, '1.50 Gbit/s'),
    (9.4123e9, '9.41 Gbit/s'), (-2.5e6, '-2.50 Mbit/s'),
])
def test_three_significant_digits_as_iperf3_prints_them(bps, text):
    assert format_bps(bps) == text


@pytest.mark.parametrize('bps', [None, float('nan'), float('inf'), True, 'fast', [1e9]])
def test_no_figure_gives_what_the_caller_asks_for(bps):
    assert format_bps(bps) == '-'
    assert format_bps(bps, missing=None) is None
    assert format_bps(bps, missing='no figure') == 'no figure'


def test_the_terminal_and_the_report_share_it():
    assert iperf_records.format_bps is format_bps


@pytest.mark.parametrize('bps, unit', [(None, (1.0, 'bit/s')), (999.0, (1.0, 'bit/s')), (1e3, (1e3, 'kbit/s')),
                                       (4e7, (1e6, 'Mbit/s')), (-3e9, (1e9, 'Gbit/s'))])
def test_rate_unit(bps, unit):
    assert rate_unit(bps) == unit
