# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to the collection, not a public API: the readers of iperf2's human output (any -f, and -e).

The patterns of the report lines and their units, the [id] of a line, the
error sentences iperf2 prints, and Iperf2Progress, the runner's incremental
end-of-test check. _iperf2 runs them over the output.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.apetools.iperf.plugins.module_utils._parse_common import (
    MAX_LINE,
    _one_line,
    _pct,
    _Record,
)


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
