# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to the collection, not a public API: the reader of iperf2's CSV output (-y C).

_iperf2 collects the lines that look like CSV rows and hands them here.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.apetools.iperf.plugins.module_utils._parse_common import (
    _pct,
    _Record,
)

_CSV_RE = re.compile(r'\d{8,14}(?:\.\d+)?,')


def _csv_records(lines, role):
    """Records from iperf2 CSV lines: (records, is_udp, guessed role).

    Fields: timestamp, source ip, source port, destination ip, destination
    port, id (-1 for the sum in iperf 2.0.x), interval (a-b), bytes, bits/s,
    and for UDP jitter (ms), lost, total, percent lost, out of order.
    iperf 2.1.8 prints total -1 on a UDP client's own lines and no server
    report; iperf 2.0.x UDP clients print their own line (9 fields) and then
    the server report (14 fields) for the same id.
    """
    records = []
    udp = False
    sender_lines = False
    finished = set()  # ids whose own whole-test line has been seen
    for line in lines:
        fields = line.split(',')
        if len(fields) < 9:
            continue
        try:
            start_text, _dash, end_text = fields[6].partition('-')
            start = float(start_text)
            stop = float(end_text)
            nbytes = int(float(fields[7]))
            bps = float(fields[8])
        except ValueError:
            continue
        ident = fields[5].strip()
        if ident == '-1' or ident.upper().startswith('SUM'):
            key, is_sum = 'SUM', True
        else:
            key, is_sum = ident, False
        record = _Record(key, is_sum, False, start, stop, nbytes, bps)
        total = -1
        jitter = lost = None
        if len(fields) >= 14:
            udp = True
            try:
                total = int(float(fields[11]))
                jitter = float(fields[9])
                lost = int(float(fields[10]))
            except ValueError:
                total = -1
        if total >= 0:
            record.jitter = jitter
            record.lost = lost
            record.total = total
            record.pct = _pct(fields[12])
            record.report = key in finished
        else:
            sender_lines = True
            if start == 0:
                finished.add(key)
        records.append(record)
    guessed = None
    if udp:
        guessed = 'client' if sender_lines else 'server'
    if not udp or (role or guessed) != 'client':
        for record in records:
            record.report = False
    return records, udp, guessed
