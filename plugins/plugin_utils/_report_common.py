# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-only: what the report's page, charts and tables share.

HTML escaping, and the records read with care: a record is data from an
inventory and a network, so a figure is only a finite number
(:func:`finite`), and every text goes through :func:`esc` before it is
written into the page. :func:`groups_of` puts the records in the order the
report shows them: per node and direction, each reverse direction (of a
bidirectional test) after its own.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import html
import math


def esc(value):
    """Text for HTML (element content and quoted attributes)."""
    if value is None:
        return ''
    if not isinstance(value, str):
        value = str(value)
    return html.escape(value, quote=True)


def finite(value):
    """A finite float, else None (None, strings, NaN and bool are no figures)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return None
    return value


def as_dict(value):
    return value if isinstance(value, dict) else {}


def first_given(*values):
    for value in values:
        if value is not None:
            return value
    return None


def direction_words(direction):
    return '' if direction is None else str(direction)


def figure_bps(record, reverse=False):
    """The throughput of a record (or of its reverse direction)."""
    if reverse:
        side = as_dict(record.get('reverse'))
        return finite(first_given(finite(side.get('received_bps')), finite(side.get('sent_bps'))))
    return finite(record.get('throughput_bps'))


def has_reverse(record):
    side = as_dict(record.get('reverse'))
    if not side:
        return False
    return any(finite(side.get(key)) is not None for key in ('received_bps', 'sent_bps')) or bool(side.get('intervals'))


def groups_of(records):
    """Ordered {(node, direction, reverse): [records]}; reverse groups follow their direction."""
    groups = {}
    order = []
    for record in records:
        key = (str(record.get('node')), str(record.get('direction')), False)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(record)
        if has_reverse(record):
            rkey = (key[0], key[1], True)
            if rkey not in groups:
                groups[rkey] = []
                order.append(rkey)
            groups[rkey].append(record)
    position = dict((key, index) for index, key in enumerate(order))
    order.sort(key=lambda k: (position[(k[0], k[1], False)], k[2]))
    return [(key, groups[key]) for key in order]
