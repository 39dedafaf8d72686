# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan a session on the controller: check the inventory, then list the tests.

Everything a user can get wrong is refused here, before any traffic, with the
variable and the value in the message.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.apetools.iperf.plugins.module_utils.iperf_command import check_address
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_session import (
    IperfConfigurationError,
    IperfSession,
    Parameters,
    check_name,
    side_filename,
    test_prefix,
)

DEFAULT_DIRECTIONS = ('to_node', 'from_node')
MAX_PORT = 65535


def devices(nodes, tpcs):
    """Check the hosts of both groups; return ``(nodes_by_id, peers_by_host)``.

    ``nodes`` is a list of dicts with ``host``, ``id``, ``address`` and
    optionally ``tpc``, the host that plays the TPC for this node
    (``iperf_tpc``): a host of the tpc group, or another node for node-to-node
    pairs. Without it a node uses the one host of the tpc group. ``tpcs`` is a
    list of dicts with ``host`` and ``address``. Each node in the result names
    its peer in ``tpc``; ``peers_by_host`` holds every host that plays a TPC.
    """
    if not nodes:
        raise IperfConfigurationError('there are no nodes: the nodes group has no host in this play')
    tpc_by_host = {}
    for tpc in tpcs:
        host = check_name(tpc.get('host'), 'TPC host name')
        tpc_by_host[host] = dict(host=host, address=check_address(
            tpc.get('address'), 'the test address (iperf_address) of TPC %s' % host))
    by_id, node_by_host = {}, {}
    for node in nodes:
        host = check_name(node.get('host'), 'node host name')
        if host in tpc_by_host:
            raise IperfConfigurationError('host %s is in both the nodes group and the tpc group' % host)
        node_id = check_name(node.get('id') if node.get('id') not in (None, '') else host,
                             'iperf_node_id of %s' % host)
        if node_id in by_id:
            raise IperfConfigurationError('iperf_node_id %r is used by both %s and %s'
                                          % (node_id, by_id[node_id]['host'], host))
        address = check_address(node.get('address'), 'the test address (iperf_address) of node %s' % host)
        by_id[node_id] = node_by_host[host] = dict(host=host, address=address, tpc=node.get('tpc'))
    peers = {}
    for node_id, node in by_id.items():
        peer = node['tpc']
        if peer not in (None, '') and not isinstance(peer, str):
            raise IperfConfigurationError('iperf_tpc of node %s must be the inventory name of one host, not %r'
                                          % (node['host'], peer))
        if peer in (None, ''):
            if len(tpcs) != 1:
                raise IperfConfigurationError(
                    'the tpc group must hold exactly one traffic PC in this play, not %d (%s)%s'
                    % (len(tpcs), ', '.join(str(tpc.get('host')) for tpc in tpcs) or 'none',
                       '; with --limit, name the TPC too' if not tpcs else
                       '; or set iperf_tpc on each node to the host it tests with (node %s has none)' % node['host']))
            peer = tpcs[0]['host']
        elif peer == node['host']:
            raise IperfConfigurationError('iperf_tpc of node %s names the node itself' % node['host'])
        elif peer not in tpc_by_host and peer not in node_by_host:
            raise IperfConfigurationError('iperf_tpc of node %s is %r, which is not a host of the tpc group or the '
                                          'nodes group in this play' % (node['host'], peer))
        node['tpc'] = peer
        found = tpc_by_host.get(peer) or node_by_host[peer]
        peers[peer] = dict(host=found['host'], address=found['address'])
    return by_id, peers


def directions(values):
    """Canonical directions in the user's order, each once."""
    if values in (None, ''):
        values = DEFAULT_DIRECTIONS
    if isinstance(values, str) or not isinstance(values, (list, tuple)) or not values:
        raise IperfConfigurationError('iperf_directions %r must be a non-empty list such as [to_node, from_node]'
                                      % (values,))
    result = []
    for value in values:
        try:
            direction = IperfSession.direction(value)
        except IperfConfigurationError:
            raise IperfConfigurationError('iperf_directions item %r is not a direction: use to_node or from_node '
                                          '(or downlink, rx, receive / uplink, tx, send, transmit)' % (value,))
        if direction not in result:
            result.append(direction)
    return result


def whole_number(value, name, lowest, highest, what='a whole number'):
    """``value`` as an int from ``lowest`` to ``highest``; ``3`` and ``"3"`` pass, ``3.0``, ``"03"`` and booleans not."""
    try:
        count = int(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        count = None
    if count is None or not lowest <= count <= highest or str(value).strip() != str(count):
        raise IperfConfigurationError('%s %r must be %s from %d to %d' % (name, value, what, lowest, highest))
    return count


def repetitions(value):
    return whole_number(value, 'iperf_repetitions', 1, 10000)


_RATE = re.compile(r'\A\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(?:bit/s|bps|b/s)?\s*\Z')
_RATE_FACTORS = dict(k=1e3, m=1e6, g=1e9, t=1e12)


def rate(value, name):
    """Bits per second from ``941000000``, ``'941M'`` or ``'1.5 Gbit/s'``."""
    if isinstance(value, bool):
        raise IperfConfigurationError('%s %r is not a rate in bits per second' % (name, value))
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        match = _RATE.match(str(value))
        if not match:
            raise IperfConfigurationError('%s %r is not a rate: write bits per second, such as 500000000 or 500M'
                                          % (name, value))
        number = float(match.group(1)) * _RATE_FACTORS.get(match.group(2).lower(), 1.0)
    if number < 0:
        raise IperfConfigurationError('%s %r is negative' % (name, value))
    return number


def floors(value):
    """The throughput floor of each direction, from one rate or a dict by direction."""
    if value in (None, ''):
        return {}
    if isinstance(value, dict):
        result = {}
        for direction, floor in value.items():
            result[IperfSession.direction(direction)] = rate(floor, 'iperf_min_bps[%s]' % direction)
        return result
    floor = rate(value, 'iperf_min_bps')
    return dict((direction, floor) for direction in DEFAULT_DIRECTIONS)


def _version(text):
    try:
        return tuple(int(part) for part in re.findall(r'\d+', str(text))[:3])
    except ValueError:
        return ()


# Options that need a newer iperf than some hosts have: (option, version, lowest).
NEEDS = (('bidir', 3, (3, 7)),)


def check_versions(options, preflight):
    """Refuse options the hosts' iperf is too old for, naming host and version."""
    for option, version, lowest in NEEDS:
        if not options.get(option) or options.get('version') != version:
            continue
        key = 'iperf%d' % version
        for host, found in sorted(preflight.items()):
            have = (found.get(key) or {}).get('version')
            if have and _version(have) < lowest:
                raise IperfConfigurationError(
                    'iperf_%s needs %s %s or newer, and host %s has %s'
                    % (option, key, '.'.join(str(part) for part in lowest), host, have))


def free_port(index, port, port_count, busy):
    """The test's port: the next one in the cycle that nothing else holds."""
    for step in range(port_count):
        candidate = port + (index + step) % port_count
        if candidate not in busy:
            return candidate
    raise IperfConfigurationError('every port from %d to %d is taken on the receiver (%s)'
                                  % (port, port + port_count - 1, ', '.join(str(p) for p in sorted(busy)[:10])))


def plan(nodes, peers, direction_list, repetition_count, port, port_count=100,
         filename_prefix=None, filename_base=None, node_order=None, busy_ports=None, min_bps=None):
    """Every test of the matrix, repetitions outermost, in inventory order.

    ``nodes`` and ``peers`` come from :func:`devices`. Each test has its own
    port, cycling through ``port_count`` ports, so a client can never reach
    the server of another test. A port that another program holds on the
    receiver (``busy_ports``: host -> ports) is skipped: never stop a process
    we did not start.
    """
    busy_ports = busy_ports or {}
    min_bps = min_bps or {}
    if port_count < 1:
        raise IperfConfigurationError('iperf_port_count %r must be at least 1' % (port_count,))
    if port + port_count - 1 > MAX_PORT:
        raise IperfConfigurationError('iperf_port %r with iperf_port_count %r runs past port %d'
                                      % (port, port_count, MAX_PORT))
    sessions = dict((host, IperfSession(None, nodes, peer, filename_base=filename_base))
                    for host, peer in peers.items())
    tests = []
    for repetition in range(1, repetition_count + 1):
        for node_id in node_order or list(nodes):
            session = sessions[nodes[node_id]['tpc']]
            for direction in direction_list:
                parameters = Parameters(node_id, direction)
                pair = session.participants(parameters)
                try:
                    filename = session.filename(parameters, test_prefix(direction, repetition, filename_prefix))
                except IperfConfigurationError as exc:
                    # Name the variables the user set, not the function's arguments.
                    raise IperfConfigurationError(re.sub(r'^filename (prefix|base) ', r'iperf_filename_\1 ', str(exc)))
                index = len(tests)
                tests.append(dict(
                    index=index + 1,
                    node=node_id,
                    direction=direction,
                    repetition=repetition,
                    tpc=session.tpc,
                    sender=pair.sender['host'],
                    receiver=pair.receiver['host'],
                    sender_address=pair.sender['address'],
                    receiver_address=pair.receiver['address'],
                    port=free_port(index, port, port_count, set(busy_ports.get(pair.receiver['host']) or ())),
                    min_bps=min_bps.get(direction),
                    filename=filename,
                    files=dict(sender=side_filename(filename, 'sender'),
                               receiver=side_filename(filename, 'receiver')),
                ))
    return tests


def seconds(value, name, lowest=1, highest=86400):
    """A whole number of seconds from ``lowest`` to ``highest``, for the variable ``name``."""
    return whole_number(value, name, lowest, highest, what='a whole number of seconds')


def concurrency(value, name='iperf_concurrency'):
    """How many tests may run at once (``iperf_concurrency``), or one host may be in."""
    return whole_number(value, name, 1, 1000)


def waves(tests, limit, capacity=None):
    """Group the tests into waves that run at once, at most ``limit`` per wave.

    Within a wave a host is in at most ``capacity[host]`` tests (default 1).
    A test is taken in plan order unless one of its hosts is full in the
    wave, and a test that had to wait also holds back its hosts of capacity 1
    from later tests: such a host runs its tests in plan order, so repetition
    2 of a pair never comes before repetition 1. A host of higher capacity
    (a TPC serving several nodes at once) is not held: that is what it is for.
    Returns a list of lists of tests.
    """
    capacity = capacity or {}
    pending = list(tests)
    result = []
    while pending:
        wave, count, held, waiting = [], {}, set(), []
        for position, test in enumerate(pending):
            if len(wave) == limit:
                waiting.extend(pending[position:])
                break
            hosts = (test['sender'], test['receiver'])
            if set(hosts) & held or any(count.get(host, 0) >= capacity.get(host, 1) for host in hosts):
                waiting.append(test)
                held.update(host for host in hosts if capacity.get(host, 1) == 1)
            else:
                wave.append(test)
                for host in hosts:
                    count[host] = count.get(host, 0) + 1
        result.append(wave)
        pending = waiting
    return result


def separate_ports(schedule, port, port_count, busy_ports=None):
    """Give every server of a wave on one host its own port.

    A host that receives in several tests at once (``iperf_host_concurrency``)
    needs as many ports; the plan's cycle can give two of them the same one
    when the range is short. Changes the tests in place.
    """
    busy_ports = busy_ports or {}
    for wave in schedule:
        taken = {}
        for test in wave:
            used = taken.setdefault(test['receiver'], set())
            if test['port'] in used:
                busy = used | set(busy_ports.get(test['receiver']) or ())
                try:
                    test['port'] = free_port(test['port'] - port, port, port_count, busy)
                except IperfConfigurationError:
                    free = port_count - len(busy - used)
                    raise IperfConfigurationError(
                        'host %s receives in %d tests at once, and only %d of the ports from %d to %d are free: '
                        'raise iperf_port_count' % (test['receiver'], len(used) + 1, free, port, port + port_count - 1))
            used.add(test['port'])
    return schedule


def batches(schedule, limit, budget, forks, one_wave=False):
    """Group consecutive waves into batches: one task runs a batch.

    In a batch each host goes through its tests by itself, wave after wave,
    and a test starts when both of its hosts get to it; no task boundary waits
    for the slowest test of a wave. That is only safe while the hosts' own
    order keeps the promises of the waves:

    - at most ``limit`` tests at once: the batch's tests must fall into at most
      ``limit`` chains, each test sharing a host with the one before it in its
      chain (that host runs them one after the other);
    - a client never reaches the server of another test: no two tests of a
      batch have the same receiver and port;
    - every host of the batch has a fork for the whole task: at most
      ``forks`` hosts, or a host would wait for a peer that has no fork yet.

    ``one_wave`` keeps one wave per batch (``iperf_continue_on_error: false``
    stops the run at the first failed wave). Each test gets ``wave`` and
    ``starts_within``: the seconds after its batch starts by which both of its
    hosts are done with their earlier tests, had each of those taken its whole
    ``budget``; a side waits that long for its peer, and no longer. Returns a
    list of lists of waves.
    """
    result, tails, ports, hosts = [], [], set(), set()
    for number, wave in enumerate(schedule, 1):
        chains = _chains(tails, wave)
        receivers = set((test['receiver'], test['port']) for test in wave)
        joined = hosts | set(host for test in wave for host in (test['sender'], test['receiver']))
        if one_wave or not result or len(chains) > limit or receivers & ports or len(joined) > forks:
            result.append([])
            chains, ports = list(wave), set()
            joined = set(host for test in wave for host in (test['sender'], test['receiver']))
        result[-1].append(wave)
        tails, hosts = chains, joined
        ports |= receivers
        for test in wave:
            test['wave'] = number
    for batch in result:
        _starts_within(batch, budget)
    return result


def _chains(tails, wave):
    """The tails of the chains once ``wave`` follows: a test extends a chain it shares a host with, or starts one."""
    left, started = list(tails), []
    for test in wave:
        hosts = set((test['sender'], test['receiver']))
        follows = [tail for tail in left if hosts & set((tail['sender'], tail['receiver']))]
        if follows:
            left.remove(follows[0])
        started.append(test)
    return left + started


def _starts_within(batch, budget):
    free = {}
    for wave in batch:
        ends = {}
        for test in wave:
            hosts = (test['sender'], test['receiver'])
            test['starts_within'] = max(free.get(host, 0) for host in hosts)
            for host in hosts:
                ends[host] = max(ends.get(host, 0), test['starts_within'] + budget)
        free.update(ends)
