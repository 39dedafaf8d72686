# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to the collection, not a public API: the parser of ``iperf3 -J`` output.

Either side's JSON, several objects in a row (a server without -1), JSON with
stderr after it. When the output is not JSON at all (iperf3 run without -J,
or an error printed as text), it says what the text says is wrong.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re

from ansible_collections.apetools.iperf.plugins.module_utils._parse_common import (
    _as_text,
    _dict,
    _int,
    _new_direction,
    _num,
    _one_line,
    _role,
    new_measurement,
)

_SPACES = re.compile(r'\s*')
_IPERF3_TEXT_ERROR = re.compile(r'iperf3?: error - (.+)')
_IPERF3_HUMAN = re.compile(
    r'^(Connecting to host|Server listening on|iperf Done\.|\[ ID\] Interval)', re.M)


def parse_iperf3_json(text, role=None):
    """Parse the JSON that ``iperf3 -J`` printed (client or server side)."""
    text = _as_text(text)
    if not text.strip():
        return new_measurement(error='iperf3 produced no output', role=_role(role))
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # deep nesting ([[[[...) raises RecursionError
        data = _salvage_json(text)
        if data is None:
            return new_measurement(error=_iperf3_text_error(text), role=_role(role))
    if not isinstance(data, dict):
        return new_measurement(error='iperf3 output is not an iperf3 JSON result', role=_role(role))
    try:
        return _from_iperf3(data, _role(role))
    except Exception as exc:  # defensive: odd structures must not raise
        return new_measurement(
            error='unexpected iperf3 JSON structure ({0})'.format(type(exc).__name__),
            role=_role(role))


def _salvage_json(text):
    """The useful object out of text that is not one JSON document.

    Covers several objects in a row (a server without -1 prints one per
    test) and JSON followed by other text (stderr appended). Returns the last
    object that has end-of-test results, else the last object, else None.
    Each object is decoded once, and only two are kept, however many there are.
    """
    first = text.find('{')
    if first < 0:
        return None
    # scan_once is what raw_decode calls, without its whitespace pass: a
    # megabyte of '{}' is 500,000 objects, and each must cost well under 2 us.
    scan = json.JSONDecoder().scan_once
    last = with_end = None
    index = first
    length = len(text)
    while index < length:
        try:
            obj, index = scan(text, index)
        except (ValueError, StopIteration, RecursionError):
            break
        last = obj
        if isinstance(obj, dict) and _dict(obj.get('end')):
            with_end = obj
        if index < length and text[index] != '{':
            index = _SPACES.match(text, index).end()
            if index < length and text[index] != '{':
                break
    return with_end if with_end is not None else last


def _iperf3_text_error(text):
    match = _IPERF3_TEXT_ERROR.search(text)
    if match:
        return _one_line(match.group(1))
    if _IPERF3_HUMAN.search(text):
        return 'iperf3 output is not JSON (run iperf3 with -J)'
    if text.lstrip().startswith('{'):
        return 'iperf3 output is not valid JSON (truncated?)'
    return 'iperf3 output is not valid JSON (truncated or not iperf3 output?)'


def _iperf3_role_from_error(error):
    if not error:
        return None
    lowered = error.lower()
    if 'the server has terminated' in lowered and 'interrupt' in lowered:
        return 'server'
    if 'the client has terminated' in lowered and 'interrupt' in lowered:
        return 'client'
    if 'unable to connect' in lowered or 'connect to server' in lowered:
        return 'client'
    return None


def _from_iperf3(data, role_hint):
    start = _dict(data.get('start'))
    end = _dict(data.get('end'))
    test_start = _dict(start.get('test_start'))
    error = data.get('error')
    error = _one_line(error) if isinstance(error, str) and error.strip() else None

    if 'connecting_to' in start:
        role = 'client'
    elif 'accepted_connection' in start:
        role = 'server'
    else:
        role = _iperf3_role_from_error(error) or role_hint

    protocol = test_start.get('protocol')
    protocol = protocol.lower() if isinstance(protocol, str) and protocol else None
    streams_list = end.get('streams') if isinstance(end.get('streams'), list) else []
    if protocol is None and streams_list:
        first = _dict(streams_list[0])
        protocol = 'udp' if 'udp' in first else ('tcp' if 'sender' in first else None)
    streams = _int(test_start.get('num_streams')) or (len(streams_list) or None)

    reverse_test = bool(test_start.get('reverse'))
    bidir = bool(test_start.get('bidir')) or 'sum_sent_bidir_reverse' in end \
        or 'sum_received_bidir_reverse' in end
    is_server = role == 'server'
    udp = protocol == 'udp'

    # Which figures this side measured itself. A client also gets the other
    # side's figures (iperf3 exchanges results); a server does not, and its
    # JSON holds zeros for them.
    local_sends = is_server == reverse_test
    main = _iperf3_direction(end, 'sum_sent', 'sum_received', 'sum', local_sends,
                             is_server, error, udp)
    main['intervals'] = _iperf3_intervals(data.get('intervals'), 'sum')
    reverse = None
    if bidir:
        reverse = _iperf3_direction(end, 'sum_sent_bidir_reverse', 'sum_received_bidir_reverse',
                                    'sum_bidir_reverse', is_server, is_server, error, udp)
        reverse['intervals'] = _iperf3_intervals(data.get('intervals'), 'sum_bidir_reverse')

    cpu = _dict(end.get('cpu_utilization_percent'))
    cpu_local = _num(cpu.get('host_total'))
    cpu_remote = _num(cpu.get('remote_total'))
    if not any(_num(cpu.get(key)) for key in ('remote_total', 'remote_user', 'remote_system')):
        cpu_remote = None  # the server never learns the client's CPU load

    measurement = new_measurement(
        error=error, protocol=protocol, streams=streams, role=role,
        cpu_local_percent=cpu_local, cpu_remote_percent=cpu_remote, reverse=reverse)
    measurement.update(main)
    if error is None and main['sent_bps'] is None and main['received_bps'] is None:
        measurement['error'] = 'iperf3 output has no end-of-test results'
    return measurement


def _iperf3_direction(end, sent_key, received_key, sum_key, local_sends, is_server, error, udp):
    direction = _new_direction()
    sent = end.get(sent_key)
    received = end.get(received_key)
    sent = sent if isinstance(sent, dict) else None
    received = received if isinstance(received, dict) else None
    stats = None
    if sent is None and received is None:
        # iperf3 before 3.2 had only end.sum for UDP: the local side's figure,
        # and on a client the receiver's jitter and loss in it too.
        whole = end.get(sum_key)
        if isinstance(whole, dict):
            if local_sends:
                sent = whole
                stats = None if is_server else whole
            else:
                received = whole
    sent_ok = sent is not None and (local_sends or not is_server) and _measured(sent, error)
    received_ok = received is not None and (not local_sends or not is_server) \
        and _measured(received, error)
    if sent_ok:
        direction['sent_bps'] = _num(sent.get('bits_per_second'))
        direction['sent_bytes'] = _int(sent.get('bytes'))
        direction['retransmits'] = _int(sent.get('retransmits'))
    if received_ok:
        direction['received_bps'] = _num(received.get('bits_per_second'))
        direction['received_bytes'] = _int(received.get('bytes'))
        stats = received
    if received_ok:
        direction['duration_s'] = _num(received.get('seconds'))
    if direction['duration_s'] is None and sent_ok:
        direction['duration_s'] = _num(sent.get('seconds'))
    if udp:
        if stats is not None:
            direction['jitter_ms'] = _num(stats.get('jitter_ms'))
            direction['lost_packets'] = _int(stats.get('lost_packets'))
            direction['lost_percent'] = _num(stats.get('lost_percent'))
            direction['packets'] = _int(stats.get('packets'))
        if direction['packets'] is None and sent_ok:
            direction['packets'] = _int(sent.get('packets'))
        direction['retransmits'] = None
    return direction


def _measured(block, error):
    """False for the all-zero figure an interrupted run leaves behind."""
    if error and not _num(block.get('bytes')):
        return False
    return True


def _iperf3_intervals(intervals, key):
    result = []
    if not isinstance(intervals, list):
        return result
    append = result.append
    for interval in intervals:
        if not isinstance(interval, dict):
            continue
        block = interval.get(key)
        if not isinstance(block, dict) or block.get('omitted'):
            continue
        start = _num(block.get('start'))
        stop = _num(block.get('end'))
        bps = _num(block.get('bits_per_second'))
        if start is None or stop is None or bps is None:
            continue
        append({'start': start, 'end': stop, 'bps': bps})
    return result
