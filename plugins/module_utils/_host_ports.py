# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to the collection, not a public API: the iperf ports of a host.

Which ports of the range something listens on, read from ``/proc/net`` and
never by connecting (a connect would end an iperf3 one-off server), and the
stopping of iperf servers that an earlier run of ours left on them.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import time


def listening_ports(first, count):
    """Local ports in [first, first + count) that a socket holds, from /proc/net."""
    found = set()
    for name, states in (('tcp', ('0A',)), ('tcp6', ('0A',)), ('udp', None), ('udp6', None)):
        try:
            with open(os.path.join('/proc/net', name)) as handle:
                lines = handle.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 4 or (states and fields[3] not in states):
                continue
            port = int(fields[1].rsplit(':', 1)[1], 16)
            if first <= port < first + count:
                found.add(port)
    return sorted(found)


def stale_ports(pids, first, count):
    """``(busy, stale)``: the ports of the range that something holds, and those of them whose server is one of
    ours by its recorded identity (see iperf_pids)."""
    busy = listening_ports(first, count)
    stale = [port for port in busy if pids.is_ours(port)]
    return [port for port in busy if port not in stale], stale


def clear_stale(pids, first, count):
    """Stop the servers of ours that still hold ports of the range; return their pids.

    Only once the host is this run's (its lease taken): then no other run of
    ours measures here, and a server of ours is one a run before left behind.
    Cleared only when its test starts, such a server would still take the
    sender's connection, then die under it.
    """
    _busy, stale = stale_ports(pids, first, count)
    cleared = [pid for port in stale for pid in pids.clear_stale(port)]
    # The group's leader goes first: its iperf may need a moment more to let go of the port.
    deadline = time.time() + 3
    while stale and time.time() < deadline:
        time.sleep(0.1)
        stale = [port for port in listening_ports(first, count) if port in stale]
    return cleared
