# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The seed's IperfSession: who sends, who receives, and what the file is called.

Pure Python with no Ansible imports, so the same code plans on the controller
and decides its side on the hosts.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
from collections import namedtuple


class ConfigurationError(Exception):
    """A user's configuration cannot work."""


class IperfConfigurationError(ConfigurationError):
    """The parameters of an iperf session are wrong."""


SenderReceiver = namedtuple('SenderReceiver', 'sender receiver')
Parameters = namedtuple('Parameters', 'node direction')

TO_NODE = 'to_node'
FROM_NODE = 'from_node'
DIRECTIONS = (TO_NODE, FROM_NODE)

# Names end up as file names on the controller and the hosts, so they may not
# hold path separators, '..', shell metacharacters or control characters.
_SAFE_NAME = re.compile(r'\A[A-Za-z0-9][A-Za-z0-9._+@=-]*\Z')


def check_name(value, what):
    """Return ``value`` as a str if it is safe inside a file name, else raise."""
    text = '' if value is None else str(value)
    if not _SAFE_NAME.match(text) or '..' in text or len(text) > 100:
        raise IperfConfigurationError(
            '%s %r is not a safe file name part: use letters, digits and . _ + @ = - '
            '(no path separators, no "..", at most 100 characters, starting with a letter or digit)'
            % (what, value))
    return text


class IperfSession(object):
    """Bundles the nodes, the traffic PC and the iperf test.

    ``nodes`` maps node ids to devices, ``tpc`` is the traffic PC's device and
    ``iperf_test`` is a callable ``iperf_test(sender, receiver, filename)``.
    """

    # Matched at the start of the word: to_dut, downlink, receive, rx...
    to_node_expression = re.compile(r'(to|d|r)', re.IGNORECASE)
    # ...and from_dut, send, transmit, tx, uplink.
    from_node_expression = re.compile(r'(f|s|tr|tx|u)', re.IGNORECASE)

    def __init__(self, iperf_test, nodes, tpc, filename_base=None):
        self.iperf_test = iperf_test
        self.nodes = nodes
        self.tpc = tpc
        self.filename_base = filename_base
        self.poll = None

    @classmethod
    def direction(cls, direction):
        """Return the canonical direction (``to_node`` or ``from_node``)."""
        text = str(direction).strip() if direction is not None else ''
        # 'to' is tested before 'tr'/'tx' can steal it, and a word that could be
        # both (none today) resolves to to_node as in the seed.
        if text and cls.to_node_expression.match(text):
            return TO_NODE
        if text and cls.from_node_expression.match(text):
            return FROM_NODE
        raise IperfConfigurationError('Unknown traffic direction: {0!r}'.format(direction))

    def node(self, node_id):
        try:
            return self.nodes[node_id]
        except (KeyError, TypeError):
            raise IperfConfigurationError(
                'Unknown node id: {0!r} (known: {1})'.format(
                    node_id, ', '.join(sorted(str(key) for key in self.nodes)) or 'none'))

    def participants(self, parameters):
        """Return the ``SenderReceiver`` for a ``Parameters(node, direction)``."""
        node = self.node(parameters.node)
        if self.direction(parameters.direction) == TO_NODE:
            return SenderReceiver(sender=self.tpc, receiver=node)
        return SenderReceiver(sender=node, receiver=self.tpc)

    def filename(self, parameters, filename_prefix=None):
        """Return ``<node>_<prefix>_<base>.iperf``, leaving out missing parts."""
        parts = [check_name(parameters.node, 'node id')]
        for value, what in ((filename_prefix, 'filename prefix'), (self.filename_base, 'filename base')):
            if value not in (None, ''):
                parts.append(check_name(value, what))
        return '_'.join(parts) + '.iperf'

    def __call__(self, parameters, filename_prefix=None):
        sender_receiver = self.participants(parameters)
        filename = self.filename(parameters, filename_prefix)
        self.poll = self.iperf_test(sender=sender_receiver.sender,
                                    receiver=sender_receiver.receiver,
                                    filename=filename)
        return self.poll


def test_prefix(direction, repetition, filename_prefix=None):
    """The prefix that makes a test's file unique within a run.

    The seed names files ``<node>_<prefix>_<base>.iperf``; a run holds every
    direction and repetition of a node, so both join the user's prefix.
    """
    parts = [] if filename_prefix in (None, '') else [check_name(filename_prefix, 'filename prefix')]
    parts.append(IperfSession.direction(direction))
    parts.append('rep{0}'.format(int(repetition)))
    return '_'.join(parts)


def side_filename(filename, side):
    """``dut1_to_node_rep1.iperf`` -> ``dut1_to_node_rep1.receiver.iperf``."""
    return '{0}.{1}.iperf'.format(filename[:-len('.iperf')], side)
