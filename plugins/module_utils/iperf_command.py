# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""iperf options: validate them once, then build the argv of either side.

Every value is checked here, before any traffic, and the argv is a list that
never passes through a shell.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math
import re

from ansible_collections.apetools.iperf.plugins.module_utils.iperf_session import IperfConfigurationError

DEFAULT_PORT = 5201
DEFAULT_TIME = 10.0
IPERF3_MAX_TIME = 86400

_UNITS = (
    (('days', 'day', 'd'), 86400),
    (('hours', 'hour', 'hrs', 'hr', 'h'), 3600),
    (('minutes', 'minute', 'mins', 'min', 'm'), 60),
    (('seconds', 'second', 'secs', 'sec', 's'), 1),
)
_UNIT_SECONDS = dict((name, seconds) for names, seconds in _UNITS for name in names)
_DURATION_TOKEN = re.compile(r'\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*(?:,|and\b)?', re.IGNORECASE)
_SIZE = re.compile(r'\A\d+(\.\d+)?[kKmMgGtT]?\Z')
_HOST = re.compile(r'\A[A-Za-z0-9:][A-Za-z0-9.:%_-]*\Z')

FORMATS = ('b', 'k', 'm', 'g', 'K', 'M', 'G')

OPTION_NAMES = (
    'version', 'time', 'protocol', 'parallel', 'window', 'len', 'interval', 'format',
    'bandwidth', 'port', 'bind', 'ipv6', 'omit', 'tos', 'congestion', 'zerocopy',
    'bidir', 'extra_args', 'max_time', 'connect_timeout', 'max_output_bytes', 'binary',
)
# Each side's raw output is capped, as a host's output is not trusted: past
# the cap the side is stopped. iperf3's JSON takes about 0.3 KB per interval
# and stream, plus 0.25 KB: an hour at -i 0.1 with 2 streams is 30 MB, a day
# at -i 1 with one stream 47 MB.
DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024


def parse_duration(value, name='time'):
    """Seconds from ``90``, ``'90 s'``, ``'1h30m'`` or ``'2 days 3 hours 22 minutes'``."""
    if isinstance(value, bool):
        raise IperfConfigurationError('%s must be a duration, not %r' % (name, value))
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = str(value).strip()
        seconds = 0.0
        position = 0
        tokens = 0
        while position < len(text):
            match = _DURATION_TOKEN.match(text, position)
            if not match or match.end() == position:
                raise IperfConfigurationError(
                    '%s %r is not a duration: write seconds (90) or words (90 s, 1h30m, 2 days 3 hours)'
                    % (name, value))
            unit = match.group(2).lower() or 's'
            if unit not in _UNIT_SECONDS or (not match.group(2) and tokens):
                raise IperfConfigurationError('%s %r has an unknown unit %r' % (name, value, match.group(2)))
            seconds += float(match.group(1)) * _UNIT_SECONDS[unit]
            tokens += 1
            position = match.end()
        if not tokens:
            raise IperfConfigurationError('%s %r is not a duration' % (name, value))
    if math.isnan(seconds) or seconds <= 0 or seconds > 366 * 86400:
        raise IperfConfigurationError('%s %r must be more than 0 seconds and at most a year' % (name, value))
    return seconds


def _seconds_arg(seconds):
    return str(int(seconds)) if float(seconds).is_integer() else repr(round(seconds, 3))


def _size(value, name):
    if value in (None, ''):
        return None
    text = str(value).strip()
    if not _SIZE.match(text):
        raise IperfConfigurationError('%s %r is not a size: write a number with an optional k, m, g or t suffix' % (name, value))
    return text


def _integer(value, name, low, high):
    if value in (None, ''):
        return None
    try:
        number = int(str(value).strip(), 0) if not isinstance(value, int) or isinstance(value, bool) else value
    except ValueError:
        number = None
    if number is None or isinstance(value, bool) or not low <= number <= high:
        raise IperfConfigurationError('%s %r must be a whole number from %d to %d' % (name, value, low, high))
    return number


_TRUE = ('true', 'yes', 'on', '1')
_FALSE = ('false', 'no', 'off', '0', '')


def _boolean(value, name):
    """A boolean from YAML or from ``-e name=false`` (a string there)."""
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise IperfConfigurationError('%s %r must be true or false' % (name, value))


def _host(value, name):
    if value in (None, ''):
        return None
    text = str(value).strip()
    if not _HOST.match(text) or len(text) > 253:
        raise IperfConfigurationError('%s %r is not a host name or address' % (name, value))
    return text


def check_address(value, what):
    """A test address as given in the inventory; refused if it could be an option or worse."""
    address = _host(value, what)
    if address is None:
        raise IperfConfigurationError('%s is missing: set iperf_address (or ansible_host) for it' % what)
    return address


def _not_in_iperf2(options, names):
    for name in names:
        if options.get(name) not in (None, False, ''):
            raise IperfConfigurationError(
                '%s=%r is an iperf3 option that iperf2 does not have' % (name, options[name]))


def normalize_options(raw):
    """Validate user options; return a dict with every key of OPTION_NAMES."""
    raw = dict(raw or {})
    unknown = sorted(set(raw) - set(OPTION_NAMES))
    if unknown:
        raise IperfConfigurationError('unknown iperf option(s): %s' % ', '.join(unknown))
    options = dict((name, raw.get(name)) for name in OPTION_NAMES)

    version = options['version'] if options['version'] not in (None, '') else 3
    if str(version).strip() not in ('2', '3'):
        raise IperfConfigurationError('version %r must be 2 or 3' % (version,))
    options['version'] = int(str(version).strip())

    options['time'] = parse_duration(options['time'] if options['time'] not in (None, '') else DEFAULT_TIME)
    protocol = str(options['protocol'] or 'tcp').strip().lower()
    if protocol not in ('tcp', 'udp'):
        raise IperfConfigurationError('protocol %r must be tcp or udp' % (options['protocol'],))
    options['protocol'] = protocol
    options['parallel'] = _integer(options['parallel'], 'parallel', 1, 128) or 1
    options['window'] = _size(options['window'], 'window')
    options['len'] = _size(options['len'], 'len')
    options['bandwidth'] = _size(options['bandwidth'], 'bandwidth')
    if options['interval'] not in (None, ''):
        options['interval'] = parse_duration(options['interval'], 'interval')
    if options['format'] not in (None, '') and options['format'] not in FORMATS:
        raise IperfConfigurationError('format %r must be one of %s' % (options['format'], ' '.join(FORMATS)))
    options['port'] = _integer(options['port'], 'port', 1, 65535) or DEFAULT_PORT
    # Each side binds to its own test address, so traffic cannot leave by the
    # management network when the two share a route.
    options['bind'] = _boolean(options['bind'], 'bind')
    options['ipv6'] = _boolean(options['ipv6'], 'ipv6')
    options['omit'] = _integer(options['omit'], 'omit', 0, 3600)
    options['tos'] = _integer(options['tos'], 'tos', 0, 255)
    if options['congestion'] not in (None, ''):
        if not re.match(r'\A[a-z0-9_]{1,16}\Z', str(options['congestion'])):
            raise IperfConfigurationError('congestion %r is not a congestion algorithm name' % (options['congestion'],))
    options['zerocopy'] = _boolean(options['zerocopy'], 'zerocopy')
    options['bidir'] = _boolean(options['bidir'], 'bidir')
    options['extra_args'] = _extra_args(options['extra_args'], options['version'])
    if options['max_time'] not in (None, ''):
        options['max_time'] = parse_duration(options['max_time'], 'max_time')
    else:
        # The seed's client gave up after max(120, 1.5 x time).
        options['max_time'] = max(120.0, 1.5 * options['time'])
    if options['max_time'] < options['time']:
        raise IperfConfigurationError('max_time %r is shorter than time %r' % (options['max_time'], options['time']))
    if options['connect_timeout'] not in (None, ''):
        options['connect_timeout'] = parse_duration(options['connect_timeout'], 'connect_timeout')
    else:
        options['connect_timeout'] = 30.0
    options['max_output_bytes'] = _integer(options['max_output_bytes'], 'max_output_bytes', 4096, 1 << 40) \
        or DEFAULT_MAX_OUTPUT_BYTES
    binary = options['binary'] or ('iperf3' if options['version'] == 3 else 'iperf')
    if not re.match(r'\A[A-Za-z0-9_./+-]+\Z', str(binary)) or str(binary).startswith('-'):
        raise IperfConfigurationError('binary %r is not a program name or path' % (binary,))
    options['binary'] = str(binary)
    if options['version'] == 2:
        _not_in_iperf2(options, ('omit', 'zerocopy'))
    elif not options['time'].is_integer() or options['time'] > IPERF3_MAX_TIME:
        # iperf3 reads -t as whole seconds and refuses more than a day.
        raise IperfConfigurationError(
            'time %r must be whole seconds and at most %d (24 hours) for iperf3; use iperf_repetitions for longer'
            % (raw.get('time'), IPERF3_MAX_TIME))
    else:
        _fits_the_cap(options)
    return options


# Bytes of iperf3 JSON per report interval, for each stream and the sum (measured
# with 3.12 on loopback: 315 to 340). A day of one stream, reported every second,
# then fits the default cap (64 MiB).
IPERF3_JSON_PER_STREAM = 350


def _fits_the_cap(options):
    """Refuse an iperf3 test whose JSON would pass max_output_bytes: iperf3 prints it only at the end,
    so the test would run to its end and then lose its result to the cap."""
    reports = options['time'] / (options['interval'] or 1.0)
    expected = int(reports * IPERF3_JSON_PER_STREAM * (options['parallel'] + 1) * (2 if options['bidir'] else 1)) + 16384
    if expected > options['max_output_bytes']:
        raise IperfConfigurationError(
            'max_output_bytes %d is too small for the iperf3 output of this test (about %d bytes: %d reports of %d '
            'streams); raise it, or report less often with a longer interval'
            % (options['max_output_bytes'], expected, reports, options['parallel']))


# iperf_extra_args is an allow-list: options that only shape the traffic, and
# that no iperf_ variable sets. Everything else is refused at the plan.
#
# The tables hold EVERY option that getopt_long knows in iperf3 3.12 and iperf
# 2.1.8 (their option tables, read from the Debian binaries), not only the
# allowed ones: an abbreviation is resolved, or found ambiguous, against all of
# them, exactly as iperf resolves it. A spec is "[letter/]name[/alias]", then
# ":" if the option needs a value, "::" if a value can only be attached with
# "=". The letters take a value as the short option string says (iperf3's -d
# takes none; --debug=N does). An option that a newer iperf added is unknown
# here, so it is refused.
_IPERF3_SHORT = 'p:f:i:D1VJvsc:ub:t:n:k:l:P:Rw:B:M:N46S:L:ZO:F:A:T:C:dI:hX:'
_IPERF3 = (
    # Allowed: each changes only the packets (segment size, Nagle, pacing,
    # IPv6 flow label, the DF bit, the payload, UDP counter width) or pins iperf
    # to CPUs (-A), which sets how fast it can send. None touches a file or the JSON.
    (None, 'A/affinity: M/set-mss: N/no-delay L/flowlabel: fq-rate: pacing-timer: dont-fragment '
           'udp-counters-64bit repeating-payload'),
    ('it reads or writes files on the host', 'F/file: I/pidfile: logfile:'),
    ('it is for authentication, which reads keys and credentials',
     'username: rsa-public-key-path: rsa-private-key-path: authorized-users-path: time-skew-threshold:'),
    # The collection parses the JSON of both sides, and keeps the receiver's own.
    ('it changes the output that the collection reads',
     'f/format: V/verbose d/debug:: timestamps:: T/title: extra-data: forceflush get-server-output'),
    ('the collection sets it itself', 'c/client: s/server 1/one-off J/json'),
    ('the collection sets it from iperf_port', 'p/port:'),
    ('the collection sets it from iperf_time', 't/time:'),
    ('the collection sets it from iperf_protocol', 'u/udp'),
    ('the collection sets it from iperf_bandwidth', 'b/bitrate/bandwidth:'),
    ('the collection sets it from iperf_parallel', 'P/parallel:'),
    ('the collection sets it from iperf_window', 'w/window:'),
    ('the collection sets it from iperf_len', 'l/length:'),
    ('the collection sets it from iperf_interval', 'i/interval:'),
    ('the collection sets it from iperf_bind', 'B/bind:'),
    ('the collection sets it from iperf_ipv6', '6/version6 4/version4'),
    ('the collection sets it from iperf_tos', 'S/tos: dscp:'),
    ('the collection sets it from iperf_congestion', 'C/congestion/linux-congestion:'),
    ('the collection sets it from iperf_zerocopy', 'Z/zerocopy'),
    ('the collection sets it from iperf_omit', 'O/omit:'),
    ('the collection sets it from iperf_bidir', 'bidir'),
    # The summary names the sender from the plan: -R would make it wrong.
    ('it makes the receiver send: use iperf_directions', 'R/reverse'),
    ('it ends the test by size, not at iperf_time, which the deadlines count on', 'n/bytes: k/blockcount:'),
    ('it changes when iperf gives up, which iperf_connect_timeout and iperf_max_time decide',
     'connect-timeout: rcv-timeout: snd-timeout:'),
    ('it picks the device, port or links, which iperf_address, iperf_bind and iperf_port decide',
     'bind-dev: cport: X/xbind:'),
    ('it changes the protocol, which iperf_protocol sets', 'sctp nstreams:'),
    ('it daemonises iperf', 'D/daemon'),
    ('it is a server option, and iperf_extra_args goes to the client only', 'server-bitrate-limit: idle-timeout:'),
    ('it makes iperf exit without a test', 'h/help v/version'),
    ('it is deprecated (not in iperf3 --help)', 'no-fq-socket-pacing'),
)

_IPERF2_SHORT = '146b:c:def:hi:l:mn:o:p:rst:uvw:x:y:zAB:CDF:H:IL:M:NP:RS:T:UVWXZ:'
_IPERF2 = (
    # Allowed: segment size, Nagle, quick ACKs, the not-sent low-water mark,
    # pacing, bursts and isochronous frames, RTT-based write delay, and
    # timestamps in the payload (--trip-times; the receiver then also reports
    # latency, which its parser reads). None touches a file or the report format.
    (None, 'M/mss: N/nodelay tcp-quickack tcp-write-prefetch: fq-rate: trip-times isochronous:: ipg: '
           'burst-size: burst-period: near-congestion::'),
    ('it reads or writes files on the host, or reads stdin', 'o/output: F/file_input: I/stdin_input'),
    ('it is for access control with a key', 'permit-key:: permit-key-timeout:'),
    # The collection parses iperf2's text report; these change it.
    ('it changes the output that the collection reads',
     'e/enhanced m/print_mss x/reportexclude: y/reportstyle: hide-ips sum-only histograms/udp-histograms:: '
     'tcp-write-times'),
    ('the collection sets it itself', 'c/client: s/server'),
    ('the collection sets it from iperf_port', 'p/port:'),
    ('the collection sets it from iperf_time', 't/time:'),
    ('the collection sets it from iperf_protocol', 'u/udp'),
    ('the collection sets it from iperf_bandwidth', 'b/bandwidth:'),
    ('the collection sets it from iperf_parallel', 'P/parallel:'),
    ('the collection sets it from iperf_window', 'w/window:'),
    ('the collection sets it from iperf_len', 'l/len:'),
    ('the collection sets it from iperf_interval', 'i/interval:'),
    ('the collection sets it from iperf_format', 'f/format:'),
    ('the collection sets it from iperf_bind', 'B/bind:'),
    ('the collection sets it from iperf_ipv6', 'V/ipv6_domain 6 4'),
    ('the collection sets it from iperf_tos', 'S/tos:'),
    ('the collection sets it from iperf_congestion', 'Z/tcp-congestion:'),
    ('the collection sets it from iperf_bidir', 'full-duplex'),
    ('it makes the receiver send: use iperf_directions or iperf_bidir', 'R/reverse d/dualtest r/tradeoff'),
    ('it changes when the test starts or ends, which iperf_time and the deadlines decide',
     'n/num: txstart-time: txdelay-time:'),
    ('it changes when iperf gives up, which iperf_connect_timeout decides', 'connect-retries:'),
    ('it picks the addresses, ports, route or devices, which iperf_address, iperf_bind and iperf_port decide',
     'L/listenport: incr-dstip incr-srcip incr-dstport incr-srcport local-only:: tap-dev:: tun-dev::'),
    ('it is for multicast, and the collection tests between two unicast addresses', 'H/ssm-host: T/ttl:'),
    ('it runs another kind of test than a throughput test',
     'bounceback:: bounceback-congest:: bounceback-txdelay: bounceback-hold: bounceback-no-quickack '
     'bounceback-period: connect-only::'),
    # Unsynchronised streams, or no end-of-test exchange, break the sums and the receiver's report.
    ('it changes how the client and the server start or end the test',
     'C/compatibility X/peer-detect no-udp-fin no-connect-sync'),
    ('it daemonises iperf or asks for realtime scheduling, which can starve the host', 'D/daemon z/realtime'),
    ('it is a server option, and iperf_extra_args goes to the client only',
     '1/singleclient U/single_udp tcp-rx-window-clamp: tos-override: sum-dstip l2checks'),
    ('it makes iperf exit without a test', 'h/help v/version'),
    ('it is not in iperf --help (internal or platform-specific)', 'A/awdl W/suggest_win_size NUM_REPORT_STRUCTS:'),
)


class _Option(object):
    """One getopt entry: its letter, its long names, whether it takes a value."""

    def __init__(self, spec, reason):
        has_arg = len(spec) - len(spec.rstrip(':'))
        names = spec.rstrip(':').split('/')
        self.letter = names.pop(0) if len(names[0]) == 1 else None
        self.names = names
        self.has_arg = has_arg  # 0 none, 1 required, 2 only after "="
        self.reason = reason

    def __str__(self):
        shown = ['-' + self.letter] if self.letter else []
        return '/'.join(shown + ['--' + name for name in self.names[:1]])


def _table(groups, short):
    options = [_Option(spec, reason) for reason, specs in groups for spec in specs.split()]
    letters = {}
    for position, letter in enumerate(short):
        if letter != ':':
            takes = len(short[position + 1:]) - len(short[position + 1:].lstrip(':'))
            letters[letter] = (takes, [option for option in options if option.letter == letter][0])
    allowed = sorted((option for option in options if option.reason is None), key=lambda option: option.names[0])
    return dict(options=options, letters=letters, allowed=', '.join(str(option) for option in allowed))


EXTRA_ARGS_TABLES = {3: _table(_IPERF3, _IPERF3_SHORT), 2: _table(_IPERF2, _IPERF2_SHORT)}


def _refuse(text, message, version, table):
    return IperfConfigurationError('extra_args item %r %s; allowed with iperf%d: %s' % (text, message, version, table['allowed']))


def _long_option(table, text, name, version):
    """The option a "--name" means, as getopt_long finds it: exact, or the only one it abbreviates."""
    exact = [option for option in table['options'] if name in option.names]
    found = exact or [option for option in table['options']
                      if name and any(candidate.startswith(name) for candidate in option.names)]
    if len(found) > 1:
        raise _refuse(text, 'is ambiguous: for iperf%d it could be %s'
                      % (version, ', '.join('--' + option.names[0] for option in found)), version, table)
    if not found:
        raise _refuse(text, 'is not an iperf%d option' % version, version, table)
    return found[0]


def _allowed(table, text, option, version, verb='is'):
    if option.reason:
        raise _refuse(text, '%s %s, which is refused: %s' % (verb, option, option.reason), version, table)
    return option


def _next_value(text, option, items):
    if not items:
        raise IperfConfigurationError('extra_args item %r needs a value for %s, and none follows' % (text, option))
    return items.pop(0)


def _options_in(table, text, items, version):
    """The (option, value) pairs that getopt_long reads from ``text``; a value may be the next of ``items``."""
    if text.startswith('--') and text != '--':
        name, equals, value = text[2:].partition('=')
        option = _allowed(table, text, _long_option(table, text, name, version), version)
        if equals and not option.has_arg:
            raise IperfConfigurationError('extra_args item %r gives a value to %s, which takes none' % (text, option))
        if not equals:
            # An optional value must be attached with "="; a required one may be the next item.
            value = _next_value(text, option, items) if option.has_arg == 1 else None
        return [(option, value)]
    if not text.startswith('-') or text in ('-', '--'):
        raise _refuse(text, 'is not an option: only options and their values are passed', version, table)
    # A cluster such as -NM1400: letters until one that takes a value, which is the rest.
    found = []
    position = 1
    while position < len(text):
        letter = text[position]
        position += 1
        if letter not in table['letters']:
            raise _refuse(text, 'has -%s, which is not an iperf%d option' % (letter, version), version, table)
        takes, option = table['letters'][letter]
        option = _allowed(table, text, option, version, 'is' if len(text) == 2 else 'has')
        value = None
        if takes:
            value = text[position:] or (_next_value(text, option, items) if takes == 1 else None)
            position = len(text)
        found.append((option, value))
    return found


def _extra_args(value, version=3):
    """Check iperf_extra_args against the allow-list of iperf ``version``, as getopt_long reads them.

    Returns each option in its full long form (``-M1400`` becomes ``--set-mss=1400``, ``--no-d``
    becomes ``--no-delay``), so that what iperf runs is what was checked, whatever its own table.
    """
    if value in (None, ''):
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise IperfConfigurationError('extra_args must be a list of separate arguments, not %r' % (value,))
    items = []
    for item in value:
        text = str(item)
        if not text or any(ord(char) < 32 or ord(char) == 127 for char in text):
            raise IperfConfigurationError('extra_args item %r is empty or has control characters' % (item,))
        items.append(text)
    table = EXTRA_ARGS_TABLES[version]
    args = []
    while items:
        text = items.pop(0)
        for option, argument in _options_in(table, text, items, version):
            if argument is not None and not argument.strip():
                raise IperfConfigurationError('extra_args item %r gives %s an empty value' % (text, option))
            args.append('--' + option.names[0] + ('' if argument is None else '=' + argument))
    return args


def server_argv(options, own_address=None):
    """The receiver's argv: a server that serves one test and ends."""
    argv = [options['binary'], '-s', '-p', str(options['port'])]
    if options['version'] == 3:
        argv += ['-1', '-J']
    else:
        argv += ['-f', options['format'] or 'm']
        if options['protocol'] == 'udp':
            argv.append('-u')
        if options['interval']:
            argv += ['-i', _seconds_arg(options['interval'])]
        if options['window']:
            argv += ['-w', options['window']]
        if options['len'] and options['protocol'] == 'udp':
            argv += ['-l', options['len']]
    # A UDP server that is not bound may answer from another of its addresses,
    # and the client's connected socket then drops the answer (seen with iperf3
    # 3.12 on a host with several addresses): bind it to the address in use.
    if options['bind'] or (options['protocol'] == 'udp' and own_address):
        argv += ['-B', check_address(own_address, 'the receiver address')]
    if options['ipv6']:
        argv.append('-6' if options['version'] == 3 else '-V')
    return argv


def client_argv(options, receiver_address, own_address=None):
    """The sender's argv, aimed at the receiver's test address."""
    address = check_address(receiver_address, 'the receiver address')
    argv = [options['binary'], '-c', address, '-p', str(options['port']),
            '-t', _seconds_arg(options['time'])]
    if options['version'] == 3:
        argv.append('-J')
    else:
        argv += ['-f', options['format'] or 'm']
    if options['protocol'] == 'udp':
        argv.append('-u')
    if options['bandwidth']:
        argv += ['-b', options['bandwidth']]
    if options['parallel'] > 1:
        argv += ['-P', str(options['parallel'])]
    for flag, name in (('-w', 'window'), ('-l', 'len')):
        if options[name]:
            argv += [flag, options[name]]
    if options['interval']:
        argv += ['-i', _seconds_arg(options['interval'])]
    if options['bind']:
        argv += ['-B', check_address(own_address, 'the sender address')]
    if options['ipv6']:
        argv.append('-6' if options['version'] == 3 else '-V')
    if options['tos'] is not None:
        argv += ['-S', str(options['tos'])]
    if options['congestion']:
        argv += ['-C' if options['version'] == 3 else '-Z', options['congestion']]
    if options['version'] == 3:
        if options['omit'] is not None:
            argv += ['-O', str(options['omit'])]
        if options['zerocopy']:
            argv.append('-Z')
        if options['bidir']:
            argv.append('--bidir')
    elif options['bidir']:
        argv.append('--full-duplex')
    return argv + options['extra_args']
