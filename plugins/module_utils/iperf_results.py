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

import json
import math
import re

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


# --------------------------------------------------------------------------
# iperf3 (-J)

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


# --------------------------------------------------------------------------
# iperf2 (human and CSV)

# Each pattern is matched right after a line's [id] (see _split_id), and is
# linear: every quantifier is followed by something it cannot match, so a
# failed match gives back each character at most once.
_NUMBER = r'\d+(?:\.\d*)?'
_DATA_RE = re.compile(
    r'\s+(?P<start>' + _NUMBER + r')\s*-\s*(?P<end>' + _NUMBER + r')\s+sec\s+'
    r'(?P<xfer>' + _NUMBER + r')\s+(?P<xunit>[kKmMgGtT]?)Bytes\s+'
    r'(?P<rate>' + _NUMBER + r')\s+(?P<runit>[kKmMgGtT]?)(?P<rkind>bits|Bytes)/sec'
    r'(?P<rest>.*)')
_UDP_STATS_RE = re.compile(
    r'\s+(?:(?P<jitter>' + _NUMBER + r')\s+ms\s+)?'
    r'(?P<lost>-?\d+)\s*/\s*(?P<total>-?\d+)\s+\(\s*(?P<pct>[-+.\deEnaNA]+)\s*%\)')
_WRITES_RE = re.compile(r'\s+(?P<writes>\d+)/(?P<errors>\d+)\s+(?P<rtry>\d+)(?:\s|$)')
_SENT_RE = re.compile(r'\s+Sent\s+(?P<count>\d+)\s+datagrams')
_SUM_COUNT_RE = re.compile(r'\*?SUM-(\d+)')
_CSV_RE = re.compile(r'\d{8,14}(?:\.\d+)?,')
_FAILED_RE = re.compile(
    r'(?i)\b(?:(?:tcp|udp)\s+)?(?:connect|read|write\d?|recv|send\w*|bind|listen|accept'
    r'|getaddrinfo|socket)\s+failed.*')
_ERROR_RE = re.compile(r'(?i)(?:iperf:\s*)?error\b\s*(?:[:-]\s*)?(.+)')
_SEED_ERRORS = ('no route to host', 'connection refused', 'connect failed',
                'network is unreachable', 'connection timed out', 'unknown host',
                'name or service not known')
_NO_ACK_RE = re.compile(r'(?i)did not receive ack of last datagram.*')

_BYTE_UNITS = {'': 1, 'K': 1024, 'M': 1024 ** 2, 'G': 1024 ** 3, 'T': 1024 ** 4}
_BIT_UNITS = {'': 1, 'K': 1e3, 'M': 1e6, 'G': 1e9, 'T': 1e12}


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


def _bits_per_second(value, unit, kind):
    unit = unit.upper()
    if kind == 'Bytes':
        return value * _BYTE_UNITS[unit] * 8
    return value * _BIT_UNITS[unit]


def _split_id(line):
    """(id, index after its ']') of a line that starts with '[', or (None, 0) without a ']'.

    The id is the text up to the first ']', stripped: str.find, not a
    pattern, so a long run of spaces or brackets costs one pass.
    """
    close = line.find(']', 1)
    if close < 0:
        return None, 0
    return line[1:close].strip(), close + 1


def _classify_id(raw):
    """(key, is_sum, star) for a report id, or None for ids that are no stream."""
    raw = raw.strip()
    star = raw.startswith('*')
    name = raw.lstrip('*').strip()
    if name.isdigit():
        return name, False, star
    if name.upper().startswith('SUM'):
        return 'SUM', True, star or name.endswith('*')
    return None


def _pct(text):
    try:
        value = float(text)
    except ValueError:
        return None
    return None if math.isnan(value) else value


def parse_iperf2(text, role=None):
    """Parse iperf2 output, human (any -f format, -e) or CSV (-y C).

    Pass the client's or the server's stdout, with its stderr appended if
    you have it: iperf2 writes connection errors to stderr only. ``role``
    ('client'/'server') is used when the output does not tell (CSV).
    """
    text = _as_text(text)
    try:
        return _parse_iperf2(text, _role(role))
    except Exception as exc:  # defensive: odd text must not raise
        return new_measurement(
            error='unexpected iperf2 output ({0})'.format(type(exc).__name__), role=_role(role))


def _parse_iperf2(text, role_hint):
    records = []
    reports_pending = set()
    sent_datagrams = {}
    errors = []  # (priority, order, message)
    detected_role = None
    protocol = None
    reverse_test = False
    full_duplex = False
    rtry_column = False
    connect_failed_hint = False
    connections = 0
    sum_count = None  # N of [SUM-N] (--sum-only prints no per-stream lines)
    csv_lines = []

    for line in text.splitlines():
        if len(line) > MAX_LINE:
            continue
        stripped = line.strip()
        if not stripped:
            continue
        first = stripped[0]
        if first == '[':
            ident, after = _split_id(stripped)
            match = _DATA_RE.match(stripped, after) if ident is not None else None
            if match:
                record = _human_record(ident, match, rtry_column)
                if record is not None:
                    if record.key in reports_pending and not record.is_sum:
                        record.report = True
                        reports_pending.discard(record.key)
                    records.append(record)
                    if record.total is not None:
                        protocol = 'udp'
                    if record.is_sum:
                        count = _SUM_COUNT_RE.match(ident)
                        if count:
                            sum_count = max(sum_count or 0, int(count.group(1)))
                continue
            if stripped.startswith('[ ID]'):
                rtry_column = 'Rtry' in stripped
                if 'Jitter' in stripped or 'Lost/Total' in stripped:
                    protocol = 'udp'
                continue
            if 'connected with' in stripped:
                connections += 1
                if '(reverse)' in stripped:
                    reverse_test = True
                if '(full-duplex)' in stripped:
                    full_duplex = True
                if 'local 0.0.0.0 port 0 ' in stripped:
                    connect_failed_hint = True
                continue
            if 'Server Report:' in stripped:
                if ident is not None:
                    classified = _classify_id(ident)
                    if classified:
                        reports_pending.add(classified[0])
                continue
            sent = _SENT_RE.match(stripped, after) if ident is not None else None
            if sent:
                classified = _classify_id(ident)
                if classified:
                    sent_datagrams[classified[0]] = int(sent.group('count'))
                protocol = 'udp'
                continue
        elif first.isdigit() and _CSV_RE.match(stripped):
            csv_lines.append(stripped)
            continue
        elif stripped.startswith('Client connecting to'):
            detected_role = detected_role or 'client'
            protocol = _header_protocol(stripped) or protocol
            continue
        elif stripped.startswith('Server listening on'):
            detected_role = detected_role or 'server'
            protocol = _header_protocol(stripped) or protocol
            continue
        _scan_error(stripped, errors)

    csv_role = None
    if csv_lines:
        csv_records, csv_udp, csv_role = _csv_records(csv_lines, detected_role or role_hint)
        records.extend(csv_records)
        if csv_udp:
            protocol = 'udp'
    for seq, record in enumerate(records):
        record.seq = seq
    role = detected_role or role_hint or csv_role
    if protocol is None and records:
        protocol = 'tcp'

    error = None
    if errors:
        error = min(errors)[2]
    own = [record for record in records if not record.report]
    if error is None and not own:
        if connect_failed_hint:
            error = 'iperf2 could not connect to the server (it reported local 0.0.0.0 port 0)'
        elif not text.strip():
            error = 'iperf2 produced no output'
        elif role == 'server':
            error = 'iperf2 server output has no results (no client connected?)'
        else:
            error = 'no iperf2 results found in the output'

    # Which way each line's traffic went. Lines marked '*' are the server ->
    # client traffic of a full-duplex or reverse test; in a reverse test the
    # server marks nothing, and everything it reports it sent.
    acting_client = role != 'server'  # unknown: read it as a client's output
    for record in own:
        if acting_client:
            local_sends = not record.star
        elif reverse_test and not full_duplex:
            local_sends = True
        elif full_duplex:
            local_sends = record.star
        else:
            local_sends = False
        record.flow = 'forward' if local_sends == acting_client else 'backward'

    main_flow = 'backward' if reverse_test and not full_duplex else 'forward'
    reports = [record for record in records if record.report]
    main = _iperf2_direction([r for r in own if r.flow == main_flow], reports, sent_datagrams,
                             acting_client, main_flow, not full_duplex)
    reverse = None
    if full_duplex:
        reverse = _iperf2_direction([r for r in own if r.flow == 'backward'], [], {},
                                    acting_client, 'backward', False)
        reverse.pop('_streams', None)
    streams = main.pop('_streams', None) or sum_count
    if streams is None and own and connections:
        streams = connections

    measurement = new_measurement(error=error, protocol=protocol, streams=streams,
                                  role=role, reverse=reverse)
    measurement.update(main)
    if protocol != 'udp':
        for key in ('jitter_ms', 'lost_percent', 'lost_packets', 'packets'):
            measurement[key] = None
    return measurement


class Iperf2Progress:
    """How far an iperf2 report has got, read a piece at a time: for the runner's end-of-test check.

    feed() takes the bytes written since its last call. Each line is looked
    at once; a partial last line waits for the rest (up to MAX_LINE, past
    which the line is skipped), so following a test costs what its output
    costs, however often one looks. The figures come from parse_iperf2, once,
    on the whole output.
    """

    def __init__(self):
        self._carry = b''
        self._skipping = False  # inside a line longer than MAX_LINE
        self._last = {}  # (id, star) -> (start, end, line number) of the stream's latest report line
        self._sum = None  # (start, end, line number) of the latest [SUM] line
        self._lines = 0
        self._sum_streams = None  # N of [SUM-N]
        self._connections = 0

    def feed(self, data):
        if self._skipping:
            newline = data.find(b'\n')
            if newline < 0:
                return
            data, self._skipping = data[newline + 1:], False
        data = self._carry + data
        cut = data.rfind(b'\n') + 1
        self._carry = data[cut:]
        if len(self._carry) > MAX_LINE:
            self._carry, self._skipping = b'', True
        for line in data[:cut].decode('utf-8', 'replace').splitlines():
            self._line(line)

    def _line(self, line):
        stripped = line.strip() if len(line) <= MAX_LINE else ''
        if not stripped.startswith('['):
            return
        ident, after = _split_id(stripped)
        match = _DATA_RE.match(stripped, after) if ident is not None else None
        classified = _classify_id(ident) if match else None
        if classified is None:
            if 'connected with' in stripped:
                self._connections += 1
            return
        self._lines += 1
        span = (float(match.group('start')), float(match.group('end')), self._lines)
        if classified[1]:
            self._sum = span
            count = _SUM_COUNT_RE.match(ident)
            if count:
                self._sum_streams = max(self._sum_streams or 0, int(count.group(1)))
        else:
            self._last[classified[0], classified[2]] = span

    @property
    def duration_s(self):
        """The seconds of the latest report that starts at 0 (the whole-test line looks like that), else None.

        As in parse_iperf2: the [SUM] line's if it came after the streams' lines from 0 (else it is
        the first interval's), else the longest of the streams'.
        """
        finals = [(line, end) for start, end, line in self._last.values() if start == 0]
        if self._sum is not None and self._sum[0] == 0 and (not finals or self._sum[2] > max(finals)[0]):
            return self._sum[1]
        return max(end for _line, end in finals) if finals else None

    @property
    def streams(self):
        """How many streams have reported so far, or None."""
        streams = len(set(key for key, _star in self._last)) or self._sum_streams
        if not streams and self.duration_s is not None:
            streams = self._connections
        return streams or None


def _header_protocol(line):
    if 'UDP port' in line:
        return 'udp'
    if 'TCP port' in line:
        return 'tcp'
    return None


def _human_record(ident, match, rtry_column):
    classified = _classify_id(ident)
    if classified is None:
        return None
    key, is_sum, star = classified
    xfer = float(match.group('xfer')) * _BYTE_UNITS[match.group('xunit').upper()]
    bps = _bits_per_second(float(match.group('rate')), match.group('runit'), match.group('rkind'))
    record = _Record(key, is_sum, star, float(match.group('start')), float(match.group('end')),
                     int(round(xfer)), bps)
    rest = match.group('rest')
    if rest:
        stats = _UDP_STATS_RE.match(rest)
        if stats:
            if stats.group('jitter') is not None:
                record.jitter = float(stats.group('jitter'))
            record.lost = int(stats.group('lost'))
            record.total = int(stats.group('total'))
            record.pct = _pct(stats.group('pct'))
        elif rtry_column:
            writes = _WRITES_RE.match(rest)
            if writes:
                record.rtry = int(writes.group('rtry'))
    return record


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


def _scan_error(line, errors):
    """Collect error sentences from a line that is not a report."""
    lowered = line.lower()
    if not any(word in lowered for word in ('fail', 'error', 'refused', 'unreachable',
                                            'no route', 'timed out', 'did not receive ack',
                                            'unknown host', 'not known')):
        return
    message = line
    if line.startswith('['):
        ident, after = _split_id(line)
        if ident is not None:
            message = line[after:].strip()
    match = _FAILED_RE.search(message)
    if match:
        errors.append((0, len(errors), _one_line(match.group(0).rstrip(' .'))))
        return
    match = _ERROR_RE.match(message)
    if match:
        errors.append((1, len(errors), _one_line(match.group(1).rstrip(' .'))))
        return
    if any(phrase in lowered for phrase in _SEED_ERRORS):
        errors.append((1, len(errors), _one_line(message.rstrip(' .'))))
        return
    match = _NO_ACK_RE.search(message)
    if match:
        errors.append((2, len(errors), _one_line(
            match.group(0).rstrip(' .') + ' (no report from the server)')))


def _split_final(records):
    """(final record or None, interval records) for the records of one id.

    The whole-test line is the id's last line and starts at 0; every other
    line is an interval report.
    """
    if not records:
        return None, []
    last = records[-1]
    if last.start == 0:
        return last, records[:-1]
    return None, records


def _aggregate(records, use_sums):
    """Figures of one direction from its report lines."""
    by_id = {}
    sums = []
    for record in records:
        if record.is_sum:
            sums.append(record)
        else:
            by_id.setdefault(record.key, []).append(record)
    finals = []
    interval_records = []
    for stream_records in by_id.values():
        final, intervals = _split_final(stream_records)
        if final is not None:
            finals.append(final)
        interval_records.extend(intervals)
    sum_final, sum_intervals = _split_final(sums) if use_sums else (None, [])
    if sum_final is not None and finals and sum_final.seq < max(final.seq for final in finals):
        # iperf prints the whole-test [SUM] after the streams' whole-test
        # lines; a [SUM] from 0 printed before them is the first interval's
        # (iperf 2.1.8's UDP server sometimes prints no whole-test [SUM]).
        sum_intervals.append(sum_final)
        sum_final = None

    figure = {'bps': None, 'bytes': None, 'duration': None, 'rtry': None,
              'jitter': None, 'lost': None, 'total': None, 'pct': None,
              'streams': len(by_id) or None, 'intervals': []}
    if sum_final is not None:
        figure['bps'] = sum_final.bps
        figure['bytes'] = sum_final.bytes
        figure['duration'] = sum_final.end
    elif finals:
        figure['bps'] = sum(final.bps for final in finals)
        figure['bytes'] = sum(final.bytes for final in finals)
        figure['duration'] = max(final.end for final in finals)

    if sum_final is not None and sum_final.rtry is not None:
        figure['rtry'] = sum_final.rtry
    elif any(final.rtry is not None for final in finals):
        figure['rtry'] = sum(final.rtry or 0 for final in finals)

    # UDP loss: iperf 2.1.8's [SUM] line can miscount lost datagrams, so add
    # up the streams' own lines when there are any.
    with_stats = [final for final in finals if final.total is not None and final.total >= 0]
    if with_stats:
        lost = sum(final.lost for final in with_stats)
        total = sum(final.total for final in with_stats)
        jitters = [final.jitter for final in with_stats if final.jitter is not None]
        figure['lost'] = lost
        figure['total'] = total
        figure['jitter'] = sum(jitters) / len(jitters) if jitters else None
        if total > 0:
            figure['pct'] = 100.0 * lost / total
        elif len(with_stats) == 1:
            figure['pct'] = with_stats[0].pct
    elif sum_final is not None and sum_final.total is not None and sum_final.total >= 0:
        figure['lost'] = sum_final.lost
        figure['total'] = sum_final.total
        figure['jitter'] = sum_final.jitter
        figure['pct'] = (100.0 * sum_final.lost / sum_final.total) if sum_final.total \
            else sum_final.pct

    # Intervals: the [SUM] line where iperf printed one, else the sum of the
    # streams' lines for that interval (iperf 2.1.8 sometimes leaves out the
    # last interval's [SUM] line, and CSV output has none).
    grouped = {}
    for record in interval_records:
        key = round(record.start, 3)
        slot = grouped.get(key)
        if slot is None:
            grouped[key] = {'start': record.start, 'end': record.end, 'bps': record.bps}
        else:
            slot['bps'] += record.bps
            if record.end > slot['end']:
                slot['end'] = record.end
    for record in sum_intervals:
        grouped[round(record.start, 3)] = {'start': record.start, 'end': record.end,
                                           'bps': record.bps}
    figure['intervals'] = [grouped[key] for key in sorted(grouped)]
    return figure


def _iperf2_direction(records, reports, sent_datagrams, acting_client, flow, use_sums):
    direction = _new_direction()
    figure = _aggregate(records, use_sums)
    local_sends = acting_client == (flow == 'forward')
    direction['intervals'] = figure['intervals']
    direction['duration_s'] = figure['duration']
    if local_sends:
        direction['sent_bps'] = figure['bps']
        direction['sent_bytes'] = figure['bytes']
        direction['retransmits'] = figure['rtry']
        receiver = _aggregate(reports, False) if reports else None
        if receiver is not None and receiver['bps'] is not None:
            direction['received_bps'] = receiver['bps']
            direction['received_bytes'] = receiver['bytes']
            if direction['duration_s'] is None:
                direction['duration_s'] = receiver['duration']
        stats = receiver
    else:
        direction['received_bps'] = figure['bps']
        direction['received_bytes'] = figure['bytes']
        stats = figure
    if stats is not None:
        direction['jitter_ms'] = stats['jitter']
        direction['lost_packets'] = stats['lost']
        direction['lost_percent'] = stats['pct']
        direction['packets'] = stats['total']
    if direction['packets'] is None and local_sends and sent_datagrams:
        if 'SUM' in sent_datagrams:
            direction['packets'] = sent_datagrams['SUM']
        else:
            direction['packets'] = sum(sent_datagrams.values())
    direction['_streams'] = figure['streams']
    return direction
