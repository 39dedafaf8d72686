"""Helpers for the fault-injection tests: labs, playbook runs in the background,
task timings, and the faults themselves (sshd stops, process kills, nftables).

Everything here acts on one lab's namespaces only, and finds processes by
namespace and pid, never by name across the machine (other people's labs run
the same programs on the same machine).
"""
import atexit
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

import yaml

from conftest import BIN, ROOT, Run, ansible_env, lab_builder

SESSION = 'apetools.iperf.session'
# Short tests, so every fault resolves quickly: a test can never outlive
# connect_timeout + max_time (+ the watchdog's kill-after grace).
TIME = 2
MAX_TIME = 10
CONNECT_TIMEOUT = 5
WATCHDOG_GRACE = 5  # iperf_runner.WATCHDOG_GRACE: timeout --kill-after
# What Ansible itself may add to one test task on a loaded, shared machine.
TASK_SLACK = 15
SHORT = ('-e', 'iperf_time=%d' % TIME, '-e', 'iperf_max_time=%d' % MAX_TIME,
         '-e', 'iperf_connect_timeout=%d' % CONNECT_TIMEOUT)
# The longest one test may take, fault or not: the receiver waits connect_timeout
# for its sender, then max_time for the test; then it is stopped (SIGTERM, SIGKILL).
TEST_BOUND = CONNECT_TIMEOUT + MAX_TIME + WATCHDOG_GRACE + TASK_SLACK
# Preflight, plan, leases, cleanup and summary of one run on a loaded machine.
RUN_OVERHEAD = 90
PLAYBOOK_TIMEOUT = 300

# --- labs ----------------------------------------------------------------------


def build_lab(name, nodes, tpcs=1):
    """lab.up, on another subnet when the default one is taken by someone else's lab."""
    try:
        return lab_builder.up(name, nodes=nodes, tpcs=tpcs)
    except lab_builder.LabError as exc:
        if 'already used' not in str(exc):
            raise
    start = lab_builder.default_subnet(name)
    for step in range(1, 200):
        try:
            return lab_builder.up(name, nodes=nodes, tpcs=tpcs, subnet=(start + 37 * step) % 200)
        except lab_builder.LabError as exc:
            if 'already used' not in str(exc):
                raise
    raise lab_builder.LabError('no free subnet for lab %s' % name)


def repair_lab(info):
    """lab.up on the lab's own subnet: restarts a stopped sshd, fixes addresses."""
    groups = [data['group'] for data in info['hosts'].values()]
    return lab_builder.up(info['name'], nodes=groups.count('nodes'), tpcs=groups.count('tpc'), subnet=info['subnet'])


def namespaces(info):
    return dict((host, data['namespace']) for host, data in info['hosts'].items())


def iperf_left(info):
    return dict((host, lab_builder.iperf_pids_in_namespace(ns)) for host, ns in namespaces(info).items())


def describe_pids(pids):
    return dict((pid, _cmdline(pid)) for pid in pids)


def assert_no_iperf_left(info, within=MAX_TIME + WATCHDOG_GRACE + 2):
    """No iperf process in any of the lab's namespaces, waiting up to ``within`` s
    for deadline-based cleanup. Return the seconds it took."""
    started = time.monotonic()
    while True:
        left = dict((host, pids) for host, pids in iperf_left(info).items() if pids)
        if not left:
            return time.monotonic() - started
        if time.monotonic() - started > within:
            raise AssertionError('iperf processes left behind after %.0f s: %r' % (
                within, dict((host, describe_pids(pids)) for host, pids in left.items())))
        time.sleep(0.2)


def kill_iperf_left(info):
    """Teardown safety net: SIGKILL whatever iperf a failed test left in this lab."""
    for pids in iperf_left(info).values():
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def _cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            return [part.decode('utf-8', 'replace') for part in handle.read().split(b'\0') if part]
    except OSError:
        return None


def _comm(pid):
    try:
        with open('/proc/%d/comm' % pid) as handle:
            return handle.read().strip()
    except OSError:
        return ''


def alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as handle:
            state = handle.read().rsplit(')', 1)[1].split()[0]
    except OSError:
        return False
    return state not in ('Z', 'X')


def wait_for(predicate, timeout, interval=0.05, what='condition'):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('timed out after %.0f s waiting for %s' % (timeout, what))
        time.sleep(interval)


# --- inventories -----------------------------------------------------------------


def load_inventory(info):
    with open(info['inventory']) as handle:
        return yaml.safe_load(handle)


def host_vars(inventory, host):
    for group in inventory['all']['children'].values():
        if host in (group.get('hosts') or {}):
            return group['hosts'][host]
    raise KeyError(host)


def write_inventory(inventory, path):
    with open(str(path), 'w') as handle:
        yaml.safe_dump(inventory, handle, default_flow_style=False)
    return str(path)


# --- task timings ------------------------------------------------------------------

_TIMER = textwrap.dedent('''\
    from __future__ import absolute_import, division, print_function
    __metaclass__ = type
    import json
    import os
    import time
    from ansible.plugins.callback import CallbackBase

    DOCUMENTATION = """
    name: ft_timer
    type: aggregate
    short_description: task starts and host results as JSON lines, for the fault tests
    description: [Appends to the file named by FT_TIMER_FILE.]
    """


    class CallbackModule(CallbackBase):
        CALLBACK_VERSION = 2.0
        CALLBACK_TYPE = 'aggregate'
        CALLBACK_NAME = 'ft_timer'
        CALLBACK_NEEDS_ENABLED = True

        def __init__(self):
            super(CallbackModule, self).__init__()
            path = os.environ.get('FT_TIMER_FILE')
            self._out = open(path, 'a') if path else None

        def _write(self, **event):
            if self._out:
                event['t'] = time.time()
                self._out.write(json.dumps(event, default=str) + '\\n')
                self._out.flush()

        def v2_playbook_on_task_start(self, task, is_conditional):
            self._write(event='task', task=task.get_name())

        def _result(self, result, status):
            res = result._result
            self._write(event=status, task=result._task.get_name(), host=result._host.get_name(),
                        msg=str(res.get('msg', ''))[:2000], duration_s=res.get('duration_s'),
                        items=[str(item.get('msg', ''))[:2000] for item in res.get('results') or []
                               if isinstance(item, dict) and item.get('failed')])

        def v2_runner_on_ok(self, result):
            self._result(result, 'ok')

        def v2_runner_on_failed(self, result, ignore_errors=False):
            self._result(result, 'failed')

        def v2_runner_on_unreachable(self, result):
            self._result(result, 'unreachable')

        def v2_playbook_on_stats(self, stats):
            self._write(event='end')
''')

_CALLBACK_DIR = None


def callback_dir():
    global _CALLBACK_DIR  # pylint: disable=global-statement
    if _CALLBACK_DIR is None:
        _CALLBACK_DIR = tempfile.mkdtemp(prefix='ft-callbacks-')
        atexit.register(shutil.rmtree, _CALLBACK_DIR, True)
        with open(os.path.join(_CALLBACK_DIR, 'ft_timer.py'), 'w') as handle:
            handle.write(_TIMER)
    return _CALLBACK_DIR


def read_events(path):
    events = []
    if os.path.exists(path):
        with open(path) as handle:
            for line in handle:
                try:
                    events.append(json.loads(line))
                except ValueError:
                    pass  # a line being written
    return events


def task_spans(events):
    """[(task name, start, end)] in run order; a task ends when the next one starts."""
    starts = [e for e in events if e['event'] in ('task', 'end')]
    return [(a['task'], a['t'], b['t']) for a, b in zip(starts, starts[1:]) if a['event'] == 'task']


def test_task_spans(events):
    """{test index: (task name, seconds)} of the 'Iperf test ...' tasks: a task runs a batch of tests
    ('Iperf test 1: ..., 2: ...' or 'Iperf test 1 to 8: ...'), and its span counts for each of them."""
    spans = {}
    for name, start, end in task_spans(events):
        if name.startswith('Iperf test '):
            label = name[len('Iperf test '):]
            ranged = re.match(r'(\d+) to (\d+): ', label)
            indexes = range(int(ranged.group(1)), int(ranged.group(2)) + 1) if ranged else [
                int(index) for index in re.findall(r'(?:^|, )(\d+): ', label)]
            for index in indexes:
                spans[index] = (name, end - start)
    return spans


# --- playbook runs -------------------------------------------------------------------


class Playbook(object):
    """One ansible-playbook run in the background, in its own process group."""

    def __init__(self, inventory, output_dir, *args, playbook=SESSION, env=None):
        self.output_dir = str(output_dir)
        os.makedirs(self.output_dir, exist_ok=True)
        fd, self.log = tempfile.mkstemp(prefix='ft-playbook-', suffix='.log')
        os.close(fd)
        fd, self.timer = tempfile.mkstemp(prefix='ft-timer-', suffix='.jsonl')
        os.close(fd)
        self.argv = [os.path.join(BIN, 'ansible-playbook'), '-i', str(inventory), playbook,
                     '-e', 'iperf_output_dir=%s' % self.output_dir] + [str(a) for a in args]
        extra = dict(ANSIBLE_CALLBACK_PLUGINS=callback_dir(), ANSIBLE_CALLBACKS_ENABLED='ft_timer',
                     FT_TIMER_FILE=self.timer)
        extra.update(env or {})
        self._stdout = open(self.log, 'w')
        self.started = time.monotonic()
        self.process = subprocess.Popen(self.argv, cwd=ROOT, env=ansible_env(**extra), stdout=self._stdout,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self.ended = None

    @property
    def pid(self):
        return self.process.pid

    def running(self):
        return self.process.poll() is None

    def wait(self, timeout=PLAYBOOK_TIMEOUT):
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError('ansible-playbook still running after %d s:\n%s' % (timeout, self.output[-6000:]))
        finally:
            self._stdout.close()
        self.ended = self.ended or time.monotonic()
        sys.stdout.write('$ %s\n%s\n' % (' '.join(self.argv), self.output[-6000:]))
        return self

    def kill(self):
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except OSError:
            pass
        self.process.wait(10)

    def signal(self, sig, group=False):
        if group:
            os.killpg(self.process.pid, sig)
        else:
            self.process.send_signal(sig)

    @property
    def rc(self):
        return self.process.returncode

    @property
    def wall_s(self):
        return (self.ended or time.monotonic()) - self.started

    @property
    def output(self):
        with open(self.log, errors='replace') as handle:
            return handle.read()

    @property
    def events(self):
        return read_events(self.timer)

    @property
    def run_dir(self):
        latest = os.path.join(self.output_dir, 'latest')
        return os.path.realpath(latest) if os.path.lexists(latest) else None

    def run_dirs(self):
        return sorted(d for d in glob.glob(os.path.join(self.output_dir, '2*')) if os.path.isdir(d))

    def summary(self):
        return Run(self.process, self.output_dir).summary()

    def plan(self):
        with open(os.path.join(self.run_dir, 'plan.json')) as handle:
            return json.load(handle)

    def records(self):
        """The side records on disk: {file name: record}."""
        found = {}
        for path in sorted(glob.glob(os.path.join(self.run_dir or '/nonexistent', 'records', '*.json'))):
            with open(path) as handle:
                found[os.path.basename(path)] = json.load(handle)
        return found

    def iperf_files(self):
        return sorted(glob.glob(os.path.join(self.output_dir, '**', '*.iperf*'), recursive=True))

    def cleanup(self):
        for path in (self.log, self.timer):
            try:
                os.unlink(path)
            except OSError:
                pass


def run(inventory, output_dir, *args, **kwargs):
    """A playbook run, to its end."""
    timeout = kwargs.pop('timeout', PLAYBOOK_TIMEOUT)
    return Playbook(inventory, output_dir, *args, **kwargs).wait(timeout)


# --- faults ----------------------------------------------------------------------------


def _module_utils():
    """The collection's module_utils package, from this checkout."""
    if os.path.join(ROOT, '.collections') not in sys.path:
        sys.path.insert(0, os.path.join(ROOT, '.collections'))
    from ansible_collections.apetools.iperf.plugins import module_utils
    return module_utils


def lease_path(lock_dir, host):
    """Where the collection keeps ``host``'s lease under ``lock_dir`` (iperf_lock.Lease)."""
    _module_utils()
    from ansible_collections.apetools.iperf.plugins.module_utils._lease import Lease
    return Lease(lock_dir, host).path


def sshd_pids(info, host):
    """(listener pid or None, [session pids]) of the sshd of one lab host."""
    ns = info['hosts'][host]['namespace']
    pidfile = os.path.join(info['state_dir'], 'hosts', host, 'sshd.pid')
    listener = lab_builder._sshd_pid(pidfile, ns)  # pylint: disable=protected-access
    sessions = [pid for pid in lab_builder.pids_in_namespace(ns)
                if _comm(pid) in ('sshd', 'sshd-session') and pid != listener]
    return listener, sessions


def kill_pids(pids, sig=signal.SIGKILL):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def stop_sshd(info, host):
    """The host stops answering SSH: its sshd and every session it serves are killed."""
    listener, sessions = sshd_pids(info, host)
    kill_pids(([listener] if listener else []) + sessions)
    wait_for(lambda: not any(alive(p) for p in ([listener] if listener else []) + sessions), 5, what='sshd to die')
    assert not lab_builder._ssh_answers(info['hosts'][host]['mgmt_address'])  # pylint: disable=protected-access


def drop_ssh_sessions(info, host):
    """Cut the management connections of the controller to ``host``: its sshd
    session processes die (the listener stays, so new connections work).
    Return the pids killed."""
    sessions = sshd_pids(info, host)[1]
    kill_pids(sessions)
    return sessions


def nft(ns, script):
    proc = subprocess.run(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], input=script, universal_newlines=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30, check=False)
    assert proc.returncode == 0, proc.stdout
    return proc.stdout


BLACKHOLE_TABLE = 'ftblackhole'


def blackhole(ns, interface='eth1'):
    """Drop every packet in and out of ``interface`` (the test network) in ``ns``;
    the management interface keeps working."""
    nft(ns, textwrap.dedent('''\
        table inet %(t)s {
          chain input { type filter hook input priority -300; policy accept; iifname "%(i)s" drop; }
          chain output { type filter hook output priority -300; policy accept; oifname "%(i)s" drop; }
        }
        ''') % dict(t=BLACKHOLE_TABLE, i=interface))


def remove_blackhole(ns):
    subprocess.run(['ip', 'netns', 'exec', ns, 'nft', 'delete', 'table', 'inet', BLACKHOLE_TABLE],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30, check=False)


_LISTENER = textwrap.dedent('''\
    import socket, sys, time
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], int(sys.argv[2])))
    s.listen(5)
    print('listening', flush=True)
    while True:
        time.sleep(3600)
''')


def foreign_listener(ns, address, port):
    """A program that is not ours holds ``address:port`` in ``ns``; return its Popen."""
    process = subprocess.Popen(['ip', 'netns', 'exec', ns, sys.executable, '-c', _LISTENER, address, str(port)],
                               stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, universal_newlines=True,
                               start_new_session=True)
    line = process.stdout.readline()
    assert line.strip() == 'listening', 'the foreign listener did not start: %r' % line
    return process


def stale_server(ns, port, pid_dir, host, binary='iperf3', lifetime=300, hung=False):
    """An iperf3 server of ours that an earlier, killed run left behind: started
    under the module's watchdog and with the pid file the module writes
    (iperf_pids.PidFiles.claim). ``hung``: the server and its watchdog are stopped
    (SIGSTOP): it holds its port, the kernel still accepts connections for it,
    and only SIGKILL ends it.
    Return (Popen of its watchdog, pid file)."""
    argv = [binary, '-s', '-p', str(port), '-1', '-J']
    timeout = shutil.which('timeout')
    process = subprocess.Popen(['ip', 'netns', 'exec', ns, timeout, '--kill-after=%d' % WATCHDOG_GRACE,
                                str(lifetime)] + argv,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                               start_new_session=True)
    wait_for(lambda: listening(ns, port), 10, what='the stale server to listen')
    # Recorded once ip(8) has become timeout(1), as the module records its own servers.
    _module_utils()
    from ansible_collections.apetools.iperf.plugins.module_utils.iperf_pids import PidFiles
    path = PidFiles(pid_dir, host).claim(process.pid, port)
    if hung:
        # The whole group, watchdog included: timeout(1) would send SIGCONT with the SIGTERM it forwards.
        os.killpg(process.pid, signal.SIGSTOP)
    return process, path


def listening(ns, port):
    """Whether something listens on TCP ``port`` in namespace ``ns`` (from its /proc/net/tcp)."""
    pids = lab_builder.pids_in_namespace(ns)
    if not pids:
        return False
    for name in ('tcp', 'tcp6'):
        try:
            with open('/proc/%d/net/%s' % (pids[0], name)) as handle:
                lines = handle.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == '0A' and int(fields[1].rsplit(':', 1)[1], 16) == port:
                return True
    return False


def wait_for_traffic(info, sender, receiver, timeout=120, settle=0.5):
    """Wait until a test between ``sender`` and ``receiver`` is under way: the
    receiver's server runs, and a client has lived ``settle`` s in the sender
    (a refused attempt ends at once). Return (client pids, server pids)."""
    sender_ns, receiver_ns = info['hosts'][sender]['namespace'], info['hosts'][receiver]['namespace']
    deadline = time.monotonic() + timeout
    seen = {}
    while time.monotonic() < deadline:
        now = time.monotonic()
        clients = lab_builder.iperf_pids_in_namespace(sender_ns)
        servers = lab_builder.iperf_pids_in_namespace(receiver_ns)
        seen = dict((pid, seen.get(pid, now)) for pid in clients)
        settled = [pid for pid, since in seen.items() if now - since >= settle]
        if settled and servers:
            return settled, servers
        time.sleep(0.02)
    raise AssertionError('no test between %s and %s got under way within %d s' % (sender, receiver, timeout))
