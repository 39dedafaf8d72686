# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Turn raw iperf output (iperf3 ``-J`` JSON, iperf2 human or CSV text) into
# one measurement dict.
#
# Pure Python 3 (3.8+), standard library only: it runs on the controller and,
# as module_utils, on the managed hosts.
#
# Each parser reads the output of ONE side (client or server) and returns a
# measurement with exactly the keys in ``MEASUREMENT_KEYS``::
#
#     error               None, or one sentence (iperf's own text where it gave one)
#     protocol            'tcp' / 'udp' (None when unknown)
#     streams             int: parallel streams
#     duration_s          float: seconds the figures cover
#     sent_bps            float bits/s: what the test's SENDER sent
#     received_bps        float bits/s: what the test's RECEIVER received
#     sent_bytes          int
#     received_bytes      int
#     retransmits         int: TCP retransmits counted by the sender
#     jitter_ms           float: UDP, receiver side
#     lost_percent        float: UDP, receiver side
#     lost_packets        int: UDP, receiver side
#     packets             int: UDP datagrams (receiver's total, else the sender's count)
#     cpu_local_percent   float: iperf3 host_total of the side that printed the output
#     cpu_remote_percent  float: iperf3 remote_total
#     intervals           list of {'start', 'end', 'bps'}: per interval, summed over
#                         streams, as seen by the side that printed the output
#                         (empty list when there are none)
#     reverse             None, or for bidirectional tests (iperf3 --bidir, iperf2
#                         --full-duplex) a dict with the keys in DIRECTION_KEYS
#                         for the server -> client direction
#     role                'client' / 'server' (None when it cannot be told)
#
# "sent" and "received" always mean the sender and the receiver of the test's
# traffic, whichever host printed the output: in a reverse (-R) test the server
# sends. A figure that the side could not know is None, not 0 (an iperf3
# server's JSON holds zeros for the client's half).
#
# Nothing here raises on bad output: empty, truncated or garbled text gives a
# measurement whose ``error`` says what was wrong.
#
# iperf2: pass stdout with stderr appended (iperf 2.1.8 reports connection
# errors on stderr only, and exits 0). Human figures are as precise as iperf
# printed them (3-4 significant digits; -f b gives exact ones); KBytes, MBytes
# are powers of 1024, Kbits, Mbits powers of 1000. With parallel streams the
# [SUM] line is the figure, else the sum of the streams' own lines. TCP CSV
# output does not tell which side printed it: pass role='client'/'server'
# (without it, it is read as a client's: sent figures).
#
# The text comes from hosts, which are not trusted: every scan here takes time
# linear in the text. No pattern has two neighbouring quantifiers that can
# match the same characters (the cause of backtracking), ids in brackets are cut
# out with str.find, and iperf2 lines longer than MAX_LINE are skipped.
#
# The parsers, one file per format, private to the collection:
# _iperf3_json.py (iperf3 -J, and what iperf3's text says when it is not
# JSON), _iperf2.py (iperf2, either format: one pass over the lines) with its
# readers _iperf2_text.py (human, -e) and _iperf2_csv.py (-y C), all on
# _parse_common.py (the measurement's shape, number checks, MAX_LINE).

from ansible_collections.apetools.iperf.plugins.module_utils._parse_common import (
    DIRECTION_KEYS,
    MAX_LINE,
    MEASUREMENT_KEYS,
    new_measurement,
)
from ansible_collections.apetools.iperf.plugins.module_utils._iperf3_json import parse_iperf3_json
from ansible_collections.apetools.iperf.plugins.module_utils._iperf2 import parse_iperf2
from ansible_collections.apetools.iperf.plugins.module_utils._iperf2_text import Iperf2Progress

__all__ = ('DIRECTION_KEYS', 'MAX_LINE', 'MEASUREMENT_KEYS', 'Iperf2Progress',
           'new_measurement', 'parse_iperf2', 'parse_iperf3_json', 'parse_output')


def parse_output(text, version, role=None):
    """Parse one side's output of iperf ``version`` (3 or 2).

    ``role`` ('client'/'server') is a hint for outputs that do not tell which
    side printed them (iperf2 CSV); what the output itself says wins.
    Raises ValueError only for an unknown ``version``.
    """
    key = str(version).strip().lower()
    if key in ('3', '3.0', 'iperf3'):
        return parse_iperf3_json(text, role=role)
    if key in ('2', '2.0', 'iperf2', 'iperf'):
        return parse_iperf2(text, role=role)
    raise ValueError('unknown iperf version: {0!r} (expected 2 or 3)'.format(version))
