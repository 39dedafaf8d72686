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
# Flags the collection sets itself; letting extra_args repeat them would break
# the run (-D, --logfile) or the parsing (-J, -y).
_MANAGED_FLAGS = frozenset((
    '-s', '--server', '-c', '--client', '-p', '--port', '-J', '--json', '-y', '--reportstyle',
    '-D', '--daemon', '--logfile', '-1', '--one-off', '-t', '--time', '-o', '--output',
    '-I', '--pidfile', '-P', '--parallel', '-u', '--udp', '-f', '--format',
))

FORMATS = ('b', 'k', 'm', 'g', 'K', 'M', 'G')

OPTION_NAMES = (
    'version', 'time', 'protocol', 'parallel', 'window', 'len', 'interval', 'format',
    'bandwidth', 'port', 'bind', 'ipv6', 'omit', 'tos', 'congestion', 'zerocopy',
    'bidir', 'extra_args', 'max_time', 'connect_timeout', 'binary',
)


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
    options['extra_args'] = _extra_args(options['extra_args'])
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
    return options


def _extra_args(value):
    if value in (None, ''):
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise IperfConfigurationError('extra_args must be a list of separate arguments, not %r' % (value,))
    args = []
    for item in value:
        text = str(item)
        if not text or any(ord(char) < 32 or ord(char) == 127 for char in text):
            raise IperfConfigurationError('extra_args item %r is empty or has control characters' % (item,))
        if text.split('=', 1)[0] in _MANAGED_FLAGS:
            raise IperfConfigurationError(
                'extra_args item %r is set by the collection itself; use the matching iperf_ variable' % (item,))
        args.append(text)
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
