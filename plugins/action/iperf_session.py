# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of apetools.iperf.iperf_session.

Runs the module on the host until its side of the test ends, then brings the
raw output back and writes the side's record next to it, in the same task: a
test costs one task, and what was measured is on the controller's disk as
soon as the test ends.

The side runs detached on the host. A long test takes several module calls,
and a lost connection (a killed ControlMaster, a restarted sshd) is retried
with the same job id for up to ``follow_timeout`` seconds: the calls find the
running side again, and nothing measured is lost.

What a host returns is data, never a name or a path: every side result is
checked against a schema and against the plan (plugin_utils/_host_result.py)
before anything is stored, the raw file and the record get the names the
controller planned, the raw file is fetched from the folder the controller
named, and text from the host is cleaned before a terminal sees it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import binascii
import json
import os
import posixpath
import shlex
import time

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_records import (
    RECORDS_DIR,
    describe_side,
    write_json,
)
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_command import normalize_options
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_runner import WATCHDOG_GRACE, unique_path
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_session import IperfConfigurationError
from ansible_collections.apetools.iperf.plugins.plugin_utils._host_module_action import RAW_CONTROLS
from ansible_collections.apetools.iperf.plugins.plugin_utils._action_args import checked_args
from ansible_collections.apetools.iperf.plugins.plugin_utils._host_result import (
    LONG,
    InvalidResult,
    against_plan,
    check_call,
    check_side,
    clean_text,
    left_on_host_path,
    planned_side,
    remote_file,
)


display = Display()
# The longest one call waits for a host's sides.
CALL_WAIT = 15


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        this_host = self._this_host = task_vars.get('inventory_hostname')
        if 'plan' in self._task.args and self._stopped(task_vars):
            result.update(skipped=True, msg='a test failed before, and iperf_continue_on_error is false')
            return result
        args = self._from_plan(task_vars) if 'plan' in self._task.args else dict(self._task.args)
        output_dir = args.pop('output_dir', None)
        args.setdefault('this_host', this_host)
        tests = args.get('tests')
        planned = tests if tests is not None else [args]
        args.setdefault('job_id', binascii.hexlify(os.urandom(8)).decode())
        if self._play_context.become:
            # fetch_file reads as the connecting user, who cannot read root's private
            # raw files: each comes back in the module's result instead, up to its cap.
            args['inline_limit'] = 2 ** 40
        # What each side must be and where its files go, by the key the module
        # returns it under: from what the controller sends, never from the host.
        self._planned = self._plan(planned, args)
        self._remote_dir = args.get('remote_dir')
        # With tests, the sides stored so far: each as soon as a call returns it.
        self._stored = []
        self._strays = 0
        self._reconnects = 0
        # Whom a peer may wait for in vain: hosts that left the play, and hosts
        # this task loses (records of earlier tasks are no verdict: a host lost
        # then may be back, and its own call says so quickly).
        self._play_hosts = set(task_vars.get('ansible_play_hosts') or ())
        self._known_records = self._record_names(output_dir)
        if tests is not None and output_dir:
            # A host that got its fork late: its peer may have failed already.
            args['cancel'] = self._cancellations(tests, output_dir, this_host)
        try:
            module_result, call = self._follow(args, task_vars, output_dir)
        except AnsibleConnectionFailure as exc:
            self._record_failure(output_dir, self._unreported(planned, args), this_host, 'unreachable',
                                 ' is unreachable: %s' % exc)
            raise
        except AnsibleError as exc:
            errors = self._errors() + self._record_failure(
                output_dir, self._unreported(planned, args), this_host, 'lost', ': %s' % exc)
            result.update(failed=True, succeeded=False, error='; '.join(errors), msg='; '.join(errors),
                          sides=self._stored)
            return result
        # Only what the controller checked goes into the task's result: no fact,
        # warning or internal key that the host made up.
        result.update(changed=bool(call.get('changed')), **self._passed_on(module_result))
        if tests is None:
            side = self._side(module_result, self._planned[self._key(args, 1)], output_dir, this_host)
            result.update(side)
            if side.get('error') or call.get('failed'):
                result.update(failed=True, msg=side.get('error') or call.get('msg') or 'the module failed')
            return result
        errors = self._errors()
        if call.get('failed'):
            # The host's job may still run, or not: its peers stop waiting for it,
            # and its raw files stay on it (see troubleshooting.md).
            errors += self._record_failure(output_dir, self._unreported(planned, args), this_host, 'lost',
                                           ': %s' % (call.get('msg') or 'the module failed'))
            result['failed'] = True
        result.update(((key, call[key]) for key in ('finished',) if key in call), sides=self._stored)
        if errors:
            result.update(failed=True, error='; '.join(errors), succeeded=False)
        if errors:
            result['msg'] = '; '.join(errors)
        elif call.get('failed'):
            result['msg'] = call.get('msg') or 'the module failed'
        else:
            result['msg'] = '%d sides %s' % (len(self._stored), 'checked' if self._task.check_mode else 'measured')
        return result

    def _plan(self, tests, args):
        """Key -> this host's planned side of each test (planned_side); a test the controller cannot plan (the module
        then refuses its parameters) gets a side with no role, and why."""
        planned = {}
        for position, test in enumerate(tests, 1):
            try:
                planned[self._key(test, position)] = planned_side(test, args['this_host'], args.get('nodes'),
                                                                  args.get('filename_prefix'), args.get('filename_base'))
            except (IperfConfigurationError, AttributeError, KeyError, TypeError, ValueError) as exc:
                planned[self._key(test, position)] = dict(
                    node=clean_text(test.get('node')), direction=clean_text(test.get('direction')),
                    repetition=test.get('repetition') or 1, role=None, filename=None, unplanned=clean_text(exc))
        return planned

    def _passed_on(self, module_result):
        """The host's warnings, made safe to print, and the interpreter it was found to have."""
        passed = {}
        warnings = module_result.get('warnings')
        if isinstance(warnings, list) and warnings:
            # ansible-core 2.19 turns them into objects with the text in .event.msg.
            passed['warnings'] = [clean_text(getattr(getattr(warning, 'event', None), 'msg', None) or warning, LONG)
                                  for warning in warnings[:20]]
        key = getattr(self, '_discovered_interpreter_key', None)
        if key and getattr(self, '_discovered_interpreter', None):
            passed['ansible_facts'] = {key: self._discovered_interpreter}
        return passed

    def _errors(self):
        """The errors of the sides stored so far, and of the sides that were no side of a test of the call."""
        errors = [side['error'] for side in self._stored if side.get('error')]
        if self._strays:
            errors.append('host %s returned an invalid result: %d sides that are no test of the call, or were '
                          'returned before' % (self._this_host, self._strays))
        return errors

    @staticmethod
    def _record_names(output_dir):
        try:
            return set(os.listdir(os.path.join(output_dir, RECORDS_DIR))) if output_dir else set()
        except OSError:
            return set()

    @staticmethod
    def _given_up(host, names, kinds=('unreachable', 'lost')):
        """Whether one of the records ``names`` says that this run gave up on ``host``."""
        return any(name.startswith('%s.%s' % (host, kind)) for name in names for kind in kinds)

    @staticmethod
    def _key(test, position):
        """How the module names a test of the call: the plan's index."""
        return str(test.get('index') or position)

    def _unreported(self, planned, args):
        reported = set(args.get('reported') or ())
        return [test for position, test in enumerate(planned, 1) if self._key(test, position) not in reported]

    def _collect(self, call, args, output_dir, this_host):
        """Store the sides a call returned, and tell the next call what to skip and what to stop."""
        reported = args.setdefault('reported', [])
        for raw in call.get('sides') or []:
            # A side is matched to its test by the key the controller sent, once.
            key = raw.get('key') if isinstance(raw, dict) else None
            if not isinstance(key, str) or key not in self._planned or key in reported:
                self._strays += 1
                continue
            reported.append(key)
            self._stored.append(self._side(raw, self._planned[key], output_dir, this_host))
        if output_dir and args.get('tests') is not None:
            args['cancel'] = self._cancellations(self._unreported(args['tests'], args), output_dir, this_host)

    def _cancellations(self, tests, output_dir, this_host):
        """Sides whose peer left the play or was lost in this task, or whose peer's side failed: they would wait
        for it in vain."""
        records = os.path.join(output_dir, RECORDS_DIR)
        # One listing per call: a TPC's batch may hold hundreds of tests.
        names = self._record_names(output_dir)
        new = names - self._known_records
        peers = set(test[role] for test in tests for role in ('sender', 'receiver') if test.get(role))
        lost = set(peer for peer in peers if (self._play_hosts and peer not in self._play_hosts)
                   or self._given_up(peer, new))
        reasons = {}
        for position, test in enumerate(tests, 1):
            if not test.get('sender') or not test.get('files'):
                continue
            peer_role = 'receiver' if test['sender'] == this_host else 'sender'
            key = self._key(test, position)
            if test[peer_role] in lost:
                reasons[key] = 'this run lost its peer %s' % test[peer_role]
                continue
            name = test['files'][peer_role] + '.json'
            if name not in names:
                continue
            try:
                with open(os.path.join(records, name)) as handle:
                    record = json.load(handle)
            except (OSError, IOError, ValueError):
                continue
            if isinstance(record, dict) and record.get('error'):
                reasons[key] = 'its peer failed: %s' % clean_text(record['error'])
        return reasons

    def _record_failure(self, output_dir, planned, this_host, kind, cause):
        """A record for every test of the call that has no side result; return their errors."""
        errors = []
        for test in planned:
            record = dict(node=test.get('node'), direction=test.get('direction'),
                          repetition=test.get('repetition', 1), host=this_host)
            record['error'] = clean_text('%s %s rep %s: %s%s' % (record['node'], record['direction'],
                                                                 record['repetition'], this_host, cause))
            errors.append(record['error'])
            self._write_record(output_dir, record, '%s.%s' % (this_host, kind))
        return errors

    def _side(self, raw, planned, output_dir, this_host):
        """Check one side's result, store its raw output and record on the controller, and say how it went."""
        side = self._checked(raw, planned, this_host)
        side['reconnects'] = self._reconnects
        # The raw output is data: kept under the planned name, even from a side that failed the check.
        output = raw.get('output')
        stored = output_dir and side.get('role') and not self._task.check_mode
        if stored:
            if isinstance(output, str):
                self._store(side, output_dir, output)
            elif side.get('remote_path'):
                self._fetch(side, output_dir)
            if not side.get('file') and (output is not None or raw.get('remote_path') is not None):
                # What the side wrote is only on the host: the run's end keeps its folder there.
                self._left_on_host(output_dir, raw.get('remote_path'), 'its raw file did not reach the controller')
        record = dict(node=side.get('node'), direction=side.get('direction'), repetition=side.get('repetition', 1),
                      host=this_host)
        if stored:
            record.update((key, side.get(key)) for key in (
                'role', 'sender', 'receiver', 'direction', 'filename', 'file', 'argv', 'attempts',
                'duration_s', 'started_at', 'ended_at', 'reconnects', 'error', 'succeeded', 'measurement', 'rc',
                'stderr'))
            self._write_record(output_dir, record, side['filename'])
        if side.get('role') and self._task.check_mode:
            side['msg'] = '%s %s rep %s: the %s on %s would run: %s' % (
                side.get('node'), side.get('direction'), side.get('repetition', 1), side['role'], this_host,
                ' '.join(shlex.quote(arg) for arg in side.get('argv') or []))
            display.display(side['msg'])
        elif side.get('role'):
            side['msg'] = side.get('error') or describe_side(record if stored else dict(record, **side))
            # One line per finished test, from the side whose figure counts.
            if side['role'] == 'receiver':
                display.display(side['msg'], color='red' if side.get('error') else None)
        return side

    def _checked(self, raw, planned, this_host):
        """The side as the controller keeps it: who, what and which file from the plan, and the host's figures
        only if its whole result fits the schema and the plan; else an error that says what did not."""
        problem = None
        try:
            side = check_side(raw)
            if planned.get('unplanned') is None:
                against_plan(raw, planned)
            elif raw.get('role') is not None:
                raise InvalidResult('is %r, and the controller could not plan the test: %s'
                                    % (side['role'], planned['unplanned']), ['role'])
        except InvalidResult as exc:
            problem, side = exc, {}
        side.pop('remote_path', None)
        if planned['role'] and raw.get('remote_path') is not None:
            try:
                side['remote_path'] = remote_file(raw['remote_path'], self._remote_dir, planned['filename'])
            except InvalidResult as exc:
                problem = problem or exc
        if planned.get('unplanned') is None:
            side.update((key, planned[key]) for key in ('node', 'direction', 'repetition', 'sender', 'receiver',
                                                        'role', 'filename'))
        else:
            side.update((key, planned[key]) for key in ('node', 'direction', 'repetition') if side.get(key) is None)
        if problem is not None:
            side.update(error='%s %s rep %s: host %s returned an invalid result: %s' % (
                side['node'], side['direction'], side['repetition'], this_host, problem),
                succeeded=False, failed=True)
        return side

    def _follow(self, args, task_vars, output_dir):
        """Call the module until the side has ended, through lost connections."""
        follow_timeout = int(args.get('follow_timeout') or 120)
        # A host this run already gave up on is not waited for again, test after test.
        this_host = args['this_host']
        patience = 0 if self._given_up(this_host, self._known_records, ('unreachable',)) else follow_timeout
        deadline = self._deadline(args, follow_timeout)
        # A call on a host outlives a controller killed outright (the ControlMaster
        # keeps its session): it must end well within follow_timeout, so that the
        # side then finds nobody following it. And a side whose peer failed hears
        # of it only when its call returns.
        args.setdefault('wait', max(1, min(CALL_WAIT, follow_timeout // 2)))
        reconnects, lost_since, pause = 0, None, 1.0
        controller = os.getppid()
        while True:
            # Workers outlive a controller killed outright (they are in sessions
            # of their own): stop following, so the side stops by itself.
            if os.getppid() != controller:
                raise AnsibleError('the controller (ansible-playbook, pid %d) is gone' % controller)
            if deadline and time.monotonic() > deadline:
                # The side's own deadlines have all passed, yet it says it runs.
                raise AnsibleError('its side did not report its end within %.0f s, past every deadline of the '
                                   'test (job %s); the side is lost' % (deadline - self._started, args['job_id']))
            try:
                module_result = self._execute_module(module_name='apetools.iperf.iperf_session', module_args=args,
                                                     task_vars=task_vars)
                if self._lost(module_result):
                    raise AnsibleConnectionFailure(clean_text(module_result.get('msg'), LONG) or
                                                   'the module ended without a result')
            except AnsibleConnectionFailure as exc:
                lost_since = lost_since or time.monotonic()
                if time.monotonic() - lost_since + pause > patience:
                    raise AnsibleConnectionFailure('%s (%s)' % (clean_text(exc, LONG), (
                        'retried for %d s, iperf_follow_timeout' % follow_timeout) if patience else
                        'not retried: this run lost the host before'))
                display.vvv('iperf_session: lost the host (%s); trying again in %.0f s' % (clean_text(exc, LONG), pause))
                time.sleep(pause)
                pause = min(pause * 2, 10.0)
                try:
                    self._connection.reset()
                except Exception:  # pylint: disable=broad-except
                    pass
                continue
            if lost_since is not None:
                reconnects, lost_since, pause = reconnects + 1, None, 1.0
            self._reconnects = reconnects
            try:
                call = check_call(module_result)
            except InvalidResult as exc:
                raise AnsibleError('host %s returned an invalid result: %s' % (this_host, exc))
            self._collect(call, args, output_dir, this_host)
            if call.get('finished') is not False:
                return module_result, call

    def _deadline(self, args, follow_timeout):
        """When every deadline of the test has passed (monotonic clock), or None if the options are wrong."""
        self._started = time.monotonic()
        try:
            options = normalize_options(args.get('options') or {})
        except (IperfConfigurationError, ValueError, TypeError):
            return None  # the module refuses them, with the reason
        # The last test of a batch starts when its hosts are done with the others, at the latest.
        waits = max([float(test.get('starts_within') or 0) for test in args.get('tests') or []] or [0])
        return (self._started + waits + options['connect_timeout'] + options['max_time'] + WATCHDOG_GRACE
                + follow_timeout + 60)

    def _parse_returned_data(self, res, *args, **kwargs):
        """Parse the module's output without the control characters that no JSON holds: Ansible prints text around
        the JSON as a warning, and that text comes from the host."""
        if isinstance(res.get('stdout'), str):
            res = dict(res, stdout=RAW_CONTROLS.sub('', res['stdout']))
        return super(ActionModule, self)._parse_returned_data(res, *args, **kwargs)

    @staticmethod
    def _lost(module_result):
        """Whether the module died with its connection or by a signal (ssh's 255, rc >= 128), not on an error.

        Either way its side lives on, detached: calling again finds it.
        """
        if module_result.get('unreachable'):
            return True
        if 'module_stdout' not in module_result or module_result['module_stdout'].strip():
            return False
        rc = module_result.get('rc')
        return 'Traceback' not in (module_result.get('module_stderr') or '') and (
            rc is None or rc < 0 or rc >= 128)

    def _store(self, result, output_dir, output):
        """Write the raw output that came in the result, under the planned name (``result['filename']``)."""
        local = self._local_path(output_dir, result['filename'])
        # 'replace': a lone surrogate in the host's JSON has no UTF-8 form.
        with open(local, 'x', encoding='utf-8', errors='replace') as handle:
            handle.write(output)
        result['file'] = os.path.basename(local)

    def _fetch(self, result, output_dir):
        """Bring a large raw file back without holding it in a result: from the checked ``remote_path``, to the
        planned name."""
        local = self._local_path(output_dir, result['filename'])
        try:
            self._connection.fetch_file(result['remote_path'], local)
        except Exception as exc:  # pylint: disable=broad-except
            # The measurement is still in the record; the error fails the test.
            fetch_error = clean_text('could not fetch %s from %s: %s' % (result['remote_path'], self._task_vars_host(), exc))
            result['error'] = '%s; %s' % (result['error'], fetch_error) if result.get('error') else fetch_error
            result.update(succeeded=False, failed=True)
            self._left_on_host(output_dir, result['remote_path'], fetch_error)
            return
        result['file'] = os.path.basename(local)

    def _left_on_host(self, output_dir, remote_path, error):
        """Say on the controller that a raw file is only on the host: the run's end keeps the host's folder
        (_host_result.kept_on_host). A file, not a fact: a failed task sets none."""
        path = left_on_host_path(output_dir, self._this_host)
        if not os.path.lexists(path):
            write_json(path, dict(host=self._this_host, path=remote_path, error=error))

    def _stopped(self, task_vars):
        """With ``iperf_continue_on_error`` false, whether a test of an earlier batch failed: the first failure
        stops the matrix on every host. The hosts of the failed test have left the play, and a test of the
        others would only have one side, waiting for the other until its deadline."""
        raw = task_vars.get('iperf_continue_on_error', True)
        if boolean(self._templar.template(raw) if isinstance(raw, str) else raw, strict=False):
            return False
        hostvars = task_vars.get('hostvars') or {}
        return any((hostvars[host].get('iperf_side') or {}).get('failed') for host in task_vars.get('ansible_play_hosts_all') or ()
                   if 'iperf_side' in hostvars[host])

    def _from_plan(self, task_vars):
        """The module's arguments for this host's tests of one batch of the session's plan: everything comes
        from the plan, which worked it out once; only the host's own ``iperf_binary`` is read here."""
        args = checked_args(self._task, dict(plan=dict(type='dict', required=True), batch=dict(type='dict', required=True)))
        plan, batch, host = args['plan'], args['batch'], self._this_host
        mine = set(batch['by_host'].get(host) or ())
        dirs = plan['host_dirs'][host]
        module_args = dict(tests=[test for test in plan['tests'] if test['index'] in mine], nodes=plan['nodes'],
                           options=plan['options'], output_dir=plan['run_dir'], remote_dir=dirs['run_dir'],
                           state_dir=dirs['state_dir'], follow_timeout=plan['follow_timeout'])
        module_args.update((key, plan[key]) for key in ('filename_prefix', 'filename_base') if plan.get(key))
        binary = self._templar.template(task_vars['iperf_binary']) if task_vars.get('iperf_binary') else None
        if binary:
            module_args['binary'] = binary
        if plan.get('lease'):
            module_args['lease'] = dict(run=plan['run_id'], expires_in=plan['lease']['ttl'],
                                        controller=plan['lease']['controller'],
                                        next_within=(batch.get('next_within_s') or {}).get(host, 0))
        return module_args

    @staticmethod
    def _local_path(output_dir, filename):
        """Never overwrite a file already there."""
        os.makedirs(output_dir, exist_ok=True)
        return unique_path(os.path.join(output_dir, _plain(filename)))

    def _task_vars_host(self):
        return getattr(self._play_context, 'remote_addr', None) or 'the host'

    def _write_record(self, output_dir, record, name):
        if not output_dir:
            return
        path, counter = os.path.join(output_dir, RECORDS_DIR, '%s.json' % _plain(name)), 0
        while os.path.lexists(path):
            counter += 1
            path = os.path.join(output_dir, RECORDS_DIR, '%s.%d.json' % (name, counter))
        write_json(path, record)


def _plain(name):
    """``name`` if it names a file in the folder it is joined to, else raise: a last guard, as every name here comes
    from the plan or the inventory."""
    if not isinstance(name, str) or name in ('', '.', '..') or posixpath.basename(name) != name or '\0' in name:
        raise AnsibleError('%r is not a plain file name' % (name,))
    return name
