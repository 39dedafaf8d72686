# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-only action: plan a session from the inventory and the play's variables."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import binascii
import os
import socket
import time

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_command import normalize_options
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_plan import (
    batches,
    check_versions,
    concurrency,
    devices,
    directions,
    floors,
    plan,
    repetitions,
    seconds,
    separate_ports,
    waves,
)
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_rundir import create_run_dir
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_runner import WATCHDOG_GRACE
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_session import IperfConfigurationError
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_records import PLAN_FILE, RECORDS_DIR, write_json

# Play variable -> iperf option.
OPTION_VARS = dict(
    version='iperf_version', time='iperf_time', protocol='iperf_protocol', parallel='iperf_parallel',
    window='iperf_window', len='iperf_len', interval='iperf_interval', format='iperf_format',
    bandwidth='iperf_bandwidth', bind='iperf_bind', ipv6='iperf_ipv6', omit='iperf_omit', tos='iperf_tos',
    congestion='iperf_congestion', zerocopy='iperf_zerocopy', bidir='iperf_bidir',
    extra_args='iperf_extra_args', max_time='iperf_max_time', connect_timeout='iperf_connect_timeout',
    max_output_bytes='iperf_max_output_bytes',
)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        value = self._var(task_vars)
        try:
            nodes_group = args.get('nodes_group') or value('iperf_nodes_group', 'nodes')
            tpc_group = args.get('tpc_group') or value('iperf_tpc_group', 'tpc')
            in_play = args.get('play_hosts') or task_vars.get('ansible_play_hosts_all') or []
            groups = task_vars.get('groups', {})
            if nodes_group not in groups or tpc_group not in groups:
                raise IperfConfigurationError('the inventory has no group %r' % (
                    nodes_group if nodes_group not in groups else tpc_group))
            node_hosts = [host for host in groups[nodes_group] if host in in_play]
            tpc_hosts = [host for host in groups[tpc_group] if host in in_play]
            hostvars = task_vars.get('hostvars', {})
            nodes, peers = devices([self._device(hostvars, host, node=True) for host in node_hosts],
                                   [self._device(hostvars, host) for host in tpc_hosts])
            options = self._options(value)
            forks = int(task_vars.get('ansible_forks', 2))
            if forks < 2:
                raise IperfConfigurationError('forks is %s: both sides of a test run at once, so it must be at '
                                              'least 2' % forks)
            wanted = concurrency(value('iperf_concurrency', 1))
            follow_timeout = seconds(value('iperf_follow_timeout', 120), 'iperf_follow_timeout', lowest=10)
            lock_timeout = seconds(value('iperf_lock_timeout', 600), 'iperf_lock_timeout', lowest=0)
            preflight = self._preflight(hostvars, node_hosts + tpc_hosts)
            tests = plan(nodes, peers, directions(value('iperf_directions')), repetitions(value('iperf_repetitions', 1)),
                         options['port'], int(value('iperf_port_count', 100)),
                         value('iperf_filename_prefix'), value('iperf_filename_base'),
                         node_order=list(nodes),
                         busy_ports=dict((host, found.get('busy_ports')) for host, found in preflight.items()),
                         min_bps=floors(value('iperf_min_bps')))
            check_versions(options, preflight)
        except (IperfConfigurationError, ValueError, TypeError) as exc:
            result.update(failed=True, msg='iperf session configuration: %s' % exc)
            return result

        # Hosts that failed the preflight check take no part; their tests are
        # recorded as failed with the cause, and the others still run.
        problems = dict((host, self._host_error(host, found)) for host, found in preflight.items())
        problems.update(args.get('host_errors') or {})
        for test in tests:
            causes = [problems[host] for host in (test['sender'], test['receiver']) if problems.get(host)]
            if causes:
                test['error'] = '; '.join(causes)
        # Both sides of every test in a wave need a worker at once.
        limit = min(wanted, forks // 2)
        if limit < wanted:
            result['warnings'] = ['iperf_concurrency %d needs forks of at least %d, and forks is %d: running '
                                  'at most %d at once (run with --forks %d)'
                                  % (wanted, 2 * wanted, forks, limit, 2 * wanted)]
        try:
            capacity = dict((host, self._host_concurrency(hostvars, host)) for host in node_hosts + tpc_hosts)
            schedule = separate_ports(waves([test for test in tests if not test.get('error')], limit, capacity),
                                      options['port'], int(value('iperf_port_count', 100)),
                                      dict((host, found.get('busy_ports')) for host, found in preflight.items()))
            # The longest a side can take: its peer's connect window, iperf's deadline, the stop.
            budget = options['connect_timeout'] + options['max_time'] + 2 * WATCHDOG_GRACE
            grouped = batches(schedule, limit, budget, forks,
                              one_wave=not boolean(value('iperf_continue_on_error', True), strict=False))
        except IperfConfigurationError as exc:
            result.update(failed=True, msg='iperf session configuration: %s' % exc)
            return result
        # Check mode names the run folder, and creates nothing.
        run_dir = create_run_dir(value('iperf_output_dir', 'iperf-results'), create=not self._task.check_mode)
        participants = sorted(set(host for test in tests for host in (test['sender'], test['receiver'])))
        # Unique across controllers: the leases and the hosts' folders carry it.
        run_id = '%s-%s' % (time.strftime('%Y%m%dT%H%M%SZ', time.gmtime()), binascii.hexlify(os.urandom(4)).decode())
        planned = self._lease_times([self._batch(number, batch) for number, batch in enumerate(grouped, 1)],
                                    grouped, budget + follow_timeout + 30)
        # The hosts that run a test: those the run takes, and gives back at its end.
        hosts = sorted(set(host for batch in planned for host in batch['by_host']))
        lease = self._lease(value, planned, hosts, run_id, follow_timeout, lock_timeout, forks)
        host_dirs = dict((host, self._host_dirs(hostvars, preflight.get(host) or {}, host, run_id)) for host in participants)
        tpc = list(peers.values())[0] if len(peers) == 1 else None
        if not self._task.check_mode:
            # The session's actions write the records of lost hosts in this folder from the start.
            os.mkdir(os.path.join(run_dir, RECORDS_DIR))
            write_json('%s/%s' % (run_dir, PLAN_FILE),
                       dict(tests=tests, options=options, nodes=nodes, tpc=tpc, tpcs=peers, concurrency=limit))
        result.update(changed=not self._task.check_mode, run_dir=run_dir, run_id=run_id, tests=tests,
                      options=options, nodes=nodes, tpc=tpc, tpcs=peers, concurrency=limit,
                      follow_timeout=follow_timeout, port_count=int(value('iperf_port_count', 100)),
                      filename_prefix=value('iperf_filename_prefix'), filename_base=value('iperf_filename_base'),
                      batches=planned, hosts=hosts, host_dirs=host_dirs,
                      lease=lease,
                      msg='%d tests planned%s; results go to %s' % (
                          len(tests), ' in %d waves, at most %d at once' % (len(schedule), limit) if limit > 1 else '',
                          run_dir))
        return result

    @staticmethod
    def _batch(number, schedule):
        """What each host does in a batch: the indexes of its tests, by host."""
        tests = [test for wave in schedule for test in wave]
        by_host = {}
        for test in tests:
            for host in (test['sender'], test['receiver']):
                by_host.setdefault(host, []).append(test['index'])
        names = ['%s %s rep %d' % (test['node'], test['direction'], test['repetition']) for test in tests]
        if len(tests) <= 3:
            label = ', '.join('%d: %s' % (test['index'], name) for test, name in zip(tests, names))
        else:
            indexes = [test['index'] for test in tests]
            label = '%d to %d: %s ... %s (%d tests in %d waves)' % (
                min(indexes), max(indexes), names[0], names[-1], len(tests), len(schedule))
        return dict(batch=number, tests=[test['index'] for test in tests], waves=len(schedule), by_host=by_host,
                    label=label)

    @staticmethod
    def _lease_times(planned, grouped, slack):
        """When each batch starts at the latest, in seconds after the first one starts (``starts_within_s``); and, in
        each batch, for each host with a later one, when its next batch starts at the latest, in seconds after this
        one starts (``next_within_s``).

        A batch lasts at most its last test's ``starts_within`` plus ``slack``: one test's budget, one
        iperf_follow_timeout for a host lost on the way (its fork retries it that long, once) and 30 s for the
        tasks. A host that is done with a batch before the others, or has no test in the next ones, has no call
        that renews its lease: it is kept until then instead.
        """
        start = 0
        for batch, waves in zip(planned, grouped):
            batch['starts_within_s'] = start
            start += max(test['starts_within'] for wave in waves for test in wave) + slack
        for position, batch in enumerate(planned):
            later = planned[position + 1:]
            batch['next_within_s'] = dict(
                (host, [b for b in later if host in b['by_host']][0]['starts_within_s'] - batch['starts_within_s'])
                for host in batch['by_host'] if any(host in b['by_host'] for b in later))
        return planned

    @staticmethod
    def _lease(value, planned, hosts, run_id, follow_timeout, timeout, forks):
        """How the run holds its hosts (see action/iperf_lease.py), or None with ``iperf_lock`` false.

        ``ttl``: how long a lease lasts past each renewal (each test call, and the host's job while a controller
        follows it), so a crashed run's hosts are free that long after its controller went. ``expires_in``: the
        first hold of each host, until its first batch starts at the latest; ``ordered_expires_in``: the same when
        the hosts are taken one by one, each after a wait of up to ``timeout``.
        """
        if not boolean(value('iperf_lock', True), strict=False):
            return None
        ttl = follow_timeout + 60
        first = dict((host, min(batch['starts_within_s'] for batch in planned if host in batch['by_host']))
                     for host in hosts)
        return dict(run=run_id, controller=socket.gethostname(), hosts=hosts, ttl=ttl, timeout=timeout,
                    at_once=len(hosts) <= forks,
                    expires_in=dict((host, ttl + first[host]) for host in hosts),
                    ordered_expires_in=dict((host, ttl + first[host] + len(hosts) * timeout) for host in hosts))

    def _host_dirs(self, hostvars, found, host, run_id):
        """The host's state folder (``iperf_remote_dir``, or the default the preflight found for the user it runs
        the modules as), and the run's folder in it, named after the run id: two controllers' runs may share a
        host and a results folder name."""
        raw = hostvars.get(host, {}).get('iperf_remote_dir')
        # What the host reported is data: only an absolute path (the modules check it again before any use).
        reported = found.get('state_dir')
        reported = reported if isinstance(reported, str) and os.path.isabs(reported) else None
        state = (self._templar.template(raw) if raw is not None else None) or reported
        state = state or '/var/lib/apetools-iperf'
        return dict(state_dir=state, run_dir='%s/%s/%s' % (state.rstrip('/'), host, run_id))

    def _host_concurrency(self, hostvars, host):
        """``iperf_host_concurrency`` of a host: how many tests it may be in at once."""
        raw = hostvars.get(host, {}).get('iperf_host_concurrency')
        return concurrency(self._templar.template(raw) if raw is not None else 1,
                           'iperf_host_concurrency of %s' % host)

    @staticmethod
    def _options(value):
        """The checked iperf options, from the play's iperf_* variables."""
        raw = dict((name, value(var)) for name, var in OPTION_VARS.items())
        raw['port'] = value('iperf_port')
        try:
            return normalize_options(dict((k, v) for k, v in raw.items() if v is not None))
        except IperfConfigurationError as exc:
            # The option's messages start with its name; users set it as iperf_<name>.
            text = str(exc)
            if text.split(' ', 1)[0].split('=', 1)[0] in OPTION_VARS or text.startswith('port '):
                text = 'iperf_' + text
            raise IperfConfigurationError(text)

    def _preflight(self, hostvars, hosts):
        """The preflight results that the session playbook registered, by host."""
        name = self._task.args.get('preflight_var', 'iperf_preflight')
        found = {}
        for host in hosts:
            host_vars = hostvars.get(host, {})
            if name in host_vars:
                found[host] = self._templar.template(host_vars[name]) or {}
        return found

    @staticmethod
    def _host_error(host, found):
        if found.get('unreachable'):
            return 'host %s was unreachable before the run: %s' % (host, str(found.get('msg', '')).strip())
        if found.get('failed'):
            return 'host %s cannot take part: %s' % (host, str(found.get('msg', '')).strip())
        return None

    def _var(self, task_vars):
        def value(name, default=None):
            if name not in task_vars:
                return default
            resolved = self._templar.template(task_vars[name])
            return default if resolved in (None, '') else resolved
        return value

    def _device(self, hostvars, host, node=False):
        host_vars = hostvars.get(host, {})

        def get(name):
            resolved = self._templar.template(host_vars.get(name)) if name in host_vars else None
            return None if resolved in (None, '') else resolved
        if 'iperf_address' in host_vars and get('iperf_address') is None:
            # Set but empty is a mistake to report, not a reason to fall back.
            raise IperfConfigurationError('iperf_address of %s is empty: set it to the address traffic goes to, '
                                          'or remove it to use ansible_host' % host)
        device = dict(host=host, address=get('iperf_address') or get('ansible_host') or host)
        if node:
            device.update(id=get('iperf_node_id') or host, tpc=get('iperf_tpc'))
        return device
