# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How much does apetools.iperf.session cost per test, and does it measure what iperf3 measures?

Builds a namespace lab (tests/lab/lab.py), then, R rounds in a row, runs a
session of 8 one-second tests and one of 2 over ssh, the same with a raw ssh
script, and the session over paramiko. (8-test wall - 2-test wall) / 6 - 1 s
is the cost of one test beyond its traffic: the fixed costs (ansible-playbook
start, preflight, summary) are in both runs and mostly cancel out; what does
not (tasks that loop over the hosts: 3 in the big run, 2 in the small one) is
shown apart, from the task timings of the bench_timer callback.

    .venv/bin/python bench/bench.py [--quick] [--rounds N]

Python stdlib only. Prints a table, writes bench/results/latest.json, and
always takes the lab down. Exits 0 whether targets are met or not; 1 when a
run failed (a failed run is not a figure).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / 'bench'
BIN = ROOT / '.venv' / 'bin'
sys.path.insert(0, str(ROOT / 'tests' / 'lab'))
import lab  # noqa: E402  pylint: disable=wrong-import-position

TEST_TIME = 1  # seconds of traffic per test
# The big session has 8 tests, the small one 2; the difference is 6 tests.
BIG = dict(nodes=['node1', 'node2'], repetitions=2)
SMALL = dict(nodes=['node1'], repetitions=1)
PORT = 5201
TARGET_OVERHEAD_S = 0.5
TARGET_RATIO = 2.0
TARGET_FIDELITY = 0.9


class BenchError(Exception):
    pass


def tests_of(size):
    """The session's matrix, in its order: repetition, node, direction."""
    return [(node, direction) for repetition in range(size['repetitions']) for node in size['nodes']
            for direction in ('to_node', 'from_node')]


EXTRA_TESTS = len(tests_of(BIG)) - len(tests_of(SMALL))


def overhead(big_wall, small_wall):
    return (big_wall - small_wall) / EXTRA_TESTS - TEST_TIME


# --- the collection -----------------------------------------------------------

def play(argv, out, work, **extra_env):
    """Run ansible-playbook from the repository on the snapshot of the collection,
    logging to ``out``/ansible.log; return (rc, wall seconds, log path)."""
    env = dict(os.environ, PATH='%s:%s' % (BIN, os.environ.get('PATH', '')), ANSIBLE_CONFIG='ansible.cfg',
               ANSIBLE_NOCOLOR='1', ANSIBLE_COLLECTIONS_PATH=str(Path(work) / 'collections'),
               # A fresh ControlMaster per run, as the raw script has: connection
               # setup is then in every run alike.
               ANSIBLE_SSH_CONTROL_PATH_DIR=str(out / 'cp'), **extra_env)
    log = out / 'ansible.log'
    started = time.monotonic()
    with open(log, 'w') as handle:
        rc = subprocess.run(argv, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, timeout=900,
                            check=False).returncode
    return rc, time.monotonic() - started, log


def run_session(info, connection, size, work):
    out = Path(tempfile.mkdtemp(prefix='%s%d-' % (connection, len(tests_of(size))), dir=work))
    argv = [str(BIN / 'ansible-playbook'), '-i', info['inventory'], 'apetools.iperf.session', '-c', connection,
            '-e', 'iperf_time=%d' % TEST_TIME, '-e', 'iperf_repetitions=%d' % size['repetitions'],
            '-e', 'iperf_output_dir=%s' % out,
            # Lab hosts share this machine's /var/tmp and other labs use the same
            # host names: the default remote dir would share locks and pid files
            # with their runs, and wait for them.
            '-e', 'iperf_remote_dir=%s' % (Path(work) / 'remote')]
    if size is SMALL:
        argv += ['--limit', ','.join(size['nodes'] + ['tpc1'])]
    rc, wall, log = play(argv, out, work, ANSIBLE_CALLBACK_PLUGINS=str(BENCH / 'callback_plugins'),
                         ANSIBLE_CALLBACKS_ENABLED='bench_timer', BENCH_TIMER_FILE=str(out / 'timer.jsonl'))
    what = '%s session of %d tests' % (connection, len(tests_of(size)))
    if rc != 0:
        raise BenchError('%s failed (rc %d), log %s:\n%s' % (what, rc, log, log.read_text()[-3000:]))
    summary = json.loads((out / 'latest' / 'summary.json').read_text())
    if len(summary) != len(tests_of(size)) or not all(test['succeeded'] for test in summary):
        raise BenchError('%s: not every test succeeded, see %s' % (what, out / 'latest'))
    attempts = [json.loads(path.read_text()).get('attempts') for path in (out / 'latest' / 'records').glob('*sender*')]
    tasks = task_timings(out / 'timer.jsonl')
    tests = [task for task in tasks if task['name'].startswith('Iperf test')]
    other = {}
    for task in tasks:
        if task not in tests:
            other[task['name']] = other.get(task['name'], 0.0) + task['wall']
    ordered = sorted(summary, key=lambda test: test['started_at'])
    return dict(wall=wall, bps=[test['throughput_bps'] for test in summary
                                if test['direction'] == 'to_node' and test['protocol'] == 'tcp'],
                # The hosts' own view: how long each test's traffic lasted, and
                # the time from one test's end to the next one's start.
                traffic=[test['ended_at'] - test['started_at'] for test in ordered],
                gaps=[b['started_at'] - a['ended_at'] for a, b in zip(ordered, ordered[1:])],
                attempts=attempts, tests=tests, other_tasks=other,
                # Everything but the test tasks: start-up, preflight, leases, clean-up, summary.
                outside_tests=wall - sum(test['wall'] for test in tests))


def task_timings(timer_file):
    """Every task in order, with its wall time up to the next task's start."""
    events = [json.loads(line) for line in timer_file.read_text().splitlines()]
    starts = [i for i, event in enumerate(events) if event['event'] == 'task']
    return [dict(name=events[first]['task'], wall=events[following]['t'] - events[first]['t'])
            for first, following in zip(starts, starts[1:] + [len(events) - 1])]


def snapshot(work):
    """Copy the collection as it is now: every run of the bench then measures
    the same code, even while the checkout is being edited."""
    target = Path(work) / 'collections' / 'ansible_collections' / 'apetools' / 'iperf'
    for name in ('galaxy.yml', 'meta', 'plugins', 'playbooks', 'roles'):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns('__pycache__'))
        elif source.exists():
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


# --- the raw ssh script -------------------------------------------------------

def ssh(info, control_dir, host, *command):
    return ['ssh', '-i', info['private_key'], '-l', 'root', '-o', 'BatchMode=yes',
            '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
            '-o', 'ControlMaster=auto', '-o', 'ControlPersist=60s', '-o', 'ControlPath=%s/%%C' % control_dir,
            info['hosts'][host]['mgmt_address']] + list(command)


def raw_test(info, control_dir, sender, receiver, port):
    """One test by hand: server in the background, client retried until the server is up."""
    address = info['hosts'][receiver]['test_address']
    # coreutils timeout ends the server if the client never comes.
    server = subprocess.Popen(ssh(info, control_dir, receiver, 'timeout', '60', 'iperf3', '-s', '-1', '-J',
                                  '-p', str(port)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    pause, deadline, attempts = 0.05, time.monotonic() + 30, 0
    while True:
        attempts += 1
        client = subprocess.run(ssh(info, control_dir, sender, 'iperf3', '-c', address, '-p', str(port),
                                    '-t', str(TEST_TIME), '-J'),
                                capture_output=True, universal_newlines=True, timeout=60, check=False)
        # iperf3 3.12 -J exits 0 even when refused: the error is in its JSON.
        if 'refused' not in client.stdout + client.stderr or time.monotonic() > deadline:
            break
        time.sleep(pause)
        pause = min(pause * 2, 0.5)
    if client.returncode != 0 or '"error"' in client.stdout:
        server.kill()
        raise BenchError('raw client %s -> %s failed: %s' % (sender, receiver, (client.stdout + client.stderr)[-500:]))
    output, errors = server.communicate(timeout=60)
    try:
        return json.loads(output)['end']['sum_received']['bits_per_second'], attempts
    except (ValueError, KeyError) as exc:
        raise BenchError('raw server on %s: no result (%s): %s' % (receiver, exc, (output + errors)[-500:]))


def run_raw(info, size, work):
    control_dir = tempfile.mkdtemp(prefix='cp-', dir=work)
    hosts = size['nodes'] + ['tpc1']
    started = time.monotonic()
    try:
        # Like the session's preflight: check iperf3 everywhere at once, which
        # also opens every ControlMaster before the first test.
        checks = [subprocess.Popen(ssh(info, control_dir, host, 'iperf3', '--version'), stdout=subprocess.DEVNULL)
                  for host in hosts]
        if any(check.wait(60) for check in checks):
            raise BenchError('raw preflight: iperf3 --version failed on a host')
        bps, attempts = [], []
        for index, (node, direction) in enumerate(tests_of(size)):
            sender, receiver = ('tpc1', node) if direction == 'to_node' else (node, 'tpc1')
            received, tries = raw_test(info, control_dir, sender, receiver, PORT + index)
            attempts.append(tries)
            if direction == 'to_node':
                bps.append(received)
        wall = time.monotonic() - started
    finally:
        for host in hosts:
            subprocess.run(ssh(info, control_dir, host)[:-1] + ['-O', 'exit', info['hosts'][host]['mgmt_address']],
                           capture_output=True, check=False)
    return dict(wall=wall, bps=bps, attempts=attempts)


# --- rounds and figures ---------------------------------------------------------

def leftovers(info):
    """iperf processes still running in the lab after a run (there should be none)."""
    return {host: pids for host, data in info['hosts'].items()
            for pids in [lab.iperf_pids_in_namespace(data['namespace'])] if pids}


def build_lab(name):
    """The lab, on its default subnet or, if another lab has that one, on a free one above 200."""
    for subnet in [None] + list(range(200, 255)):
        try:
            return lab.up(name, nodes=2, subnet=subnet)
        except lab.LabError as exc:
            if 'already used' not in str(exc):
                raise
    raise BenchError('no free lab subnet')


def run_rounds(info, rounds, work, warnings):
    runs = {kind: [] for kind in ('ssh', 'raw', 'paramiko')}
    for number in range(1, rounds + 1):
        for kind in runs:
            pair = {}
            for size_name, size in (('big', BIG), ('small', SMALL)):
                pair[size_name] = (run_raw(info, size, work) if kind == 'raw'
                                   else run_session(info, kind, size, work))
                left = leftovers(info)
                if left:
                    warnings.append('round %d %s %s: iperf left running: %s' % (number, kind, size_name, left))
            pair['overhead'] = overhead(pair['big']['wall'], pair['small']['wall'])
            runs[kind].append(pair)
            print('round %d/%d %-8s 8 tests %5.1f s, 2 tests %5.1f s -> %.2f s per test (load %.1f)'
                  % (number, rounds, kind, pair['big']['wall'], pair['small']['wall'], pair['overhead'],
                     os.getloadavg()[0]), flush=True)
    return runs


def median(values):
    return statistics.median(values) if values else None


def figures(runs):
    """Rows of (figure, median, unit, per-round values, target, met), the targets first."""
    def overheads(kind):
        return [pair['overhead'] for pair in runs[kind]]

    def bps(kinds, round_index=None):
        return [value for kind in kinds
                for pair in (runs[kind] if round_index is None else [runs[kind][round_index]])
                for size in ('big', 'small') for value in pair[size]['bps']]

    def each(kind, size, key):
        return [pair[size][key] for pair in runs[kind]]

    sessions = ('ssh', 'paramiko')
    ssh_s, raw_s = median(overheads('ssh')), median(overheads('raw'))
    fidelity = median(bps(sessions)) / median(bps(['raw']))
    rows = [
        ('session overhead per test (ssh)', ssh_s, 's', overheads('ssh'),
         '<= %.1f s' % TARGET_OVERHEAD_S, ssh_s <= TARGET_OVERHEAD_S),
        ('raw ssh script overhead per test', raw_s, 's', overheads('raw'), None, None),
        ('ratio session/raw', ssh_s / raw_s, '', [s / r for s, r in zip(overheads('ssh'), overheads('raw'))],
         '<= %.1f' % TARGET_RATIO, ssh_s / raw_s <= TARGET_RATIO),
        ('session overhead per test (paramiko)', median(overheads('paramiko')), 's', overheads('paramiko'),
         None, None),
        ('throughput fidelity (session/raw)', fidelity, '',
         [median(bps(sessions, i)) / median(bps(['raw'], i)) for i in range(len(runs['raw']))],
         '>= %.1f' % TARGET_FIDELITY, fidelity >= TARGET_FIDELITY),
    ]

    def info(name, values, unit='s'):
        rows.append(('  ' + name, median(values), unit, [], None, None))

    # Where a session's time goes (8-test runs): the tasks that run the tests,
    # from the bench_timer callback, and the tests as the hosts saw them.
    for kind in sessions:
        tests = [test for pair in runs[kind] for test in pair['big']['tests']]
        info('%s: test tasks per run' % kind, [len(pair['big']['tests']) for pair in runs[kind]], '')
        info('%s: test task, start to next task' % kind, [t['wall'] for t in tests])
        info('%s: traffic per test (records)' % kind, [v for pair in runs[kind] for v in pair['big']['traffic']])
        info('%s: gap between tests (records)' % kind, [v for pair in runs[kind] for v in pair['big']['gaps']])
        # Not a per-test cost, though the figure counts it as one: the 8-test run
        # has 3 hosts, the 2-test run 2, and some tasks loop over the hosts.
        info('%s: non-test tasks, (8-run - 2-run) / %d' % (kind, EXTRA_TESTS),
             [(pair['big']['outside_tests'] - pair['small']['outside_tests']) / EXTRA_TESTS for pair in runs[kind]])
    info('session wall, 8 tests (ssh)', each('ssh', 'big', 'wall'))
    info('session wall, 2 tests (ssh)', each('ssh', 'small', 'wall'))
    info('raw wall, 8 tests', each('raw', 'big', 'wall'))
    info('raw wall, 2 tests', each('raw', 'small', 'wall'))
    info('to_node throughput, session', [value / 1e9 for value in bps(sessions)], 'Gbit/s')
    info('to_node throughput, raw', [value / 1e9 for value in bps(['raw'])], 'Gbit/s')
    for kind in ('ssh', 'raw'):
        info('client attempts per test (%s)' % kind,
             [a for pair in runs[kind] for size in ('big', 'small') for a in pair[size]['attempts']], '')
    return [dict(figure=name, median=value, unit=unit, runs=values, target=target,
                 result=None if met is None else 'PASS' if met else 'MISS')
            for name, value, unit, values, target, met in rows]


def table(rows):
    line = '%-50s %-12s %-22s %-10s %s'
    lines = [line % ('figure', 'median', 'runs', 'target', 'result')]
    for row in rows:
        value = '%.2f %s' % (row['median'], row['unit']) if row['median'] is not None else '-'
        lines.append(line % (row['figure'], value.strip(), ' '.join('%.2f' % v for v in row['runs']),
                             row['target'] or '', row['result'] or ''))
    return '\n'.join(lines)


def non_test_tasks(runs, kind='ssh', top=6):
    """The slowest tasks outside the tests: median wall in the 8-test and in the 2-test run."""
    def wall(name, size):
        return median([pair[size]['other_tasks'].get(name, 0.0) for pair in runs[kind]])

    names = sorted(runs[kind][0]['big']['other_tasks'], key=lambda name: -wall(name, 'big'))[:top]
    lines = ['%-52s %-11s %s' % ('slowest non-test tasks (%s), median s' % kind, '8-test run', '2-test run')]
    lines += ['  %-50s %5.2f       %5.2f' % (name[:50], wall(name, 'big'), wall(name, 'small')) for name in names]
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=3, help='rounds to take medians over (default 3)')
    parser.add_argument('--quick', action='store_true', help='one round, for a smoke run')
    parser.add_argument('--lab', default='bnch', help='lab name (default bnch)')
    args = parser.parse_args(argv)
    rounds = 1 if args.quick else args.rounds
    started, load_before = time.monotonic(), os.getloadavg()
    work = tempfile.mkdtemp(prefix='bn-')
    warnings = []
    try:
        snapshot(work)
        info = build_lab(args.lab)
        print('lab %s up: %s' % (args.lab, info['inventory']), flush=True)
        runs = run_rounds(info, rounds, work, warnings)
    except (BenchError, lab.LabError, subprocess.TimeoutExpired) as exc:
        print('bench: error: %s\n(run folders kept in %s)' % (exc, work), file=sys.stderr)
        return 1
    finally:
        lab.down(args.lab)
    shutil.rmtree(work)
    rows = figures(runs)
    duration = time.monotonic() - started
    print()
    print(table(rows))
    print()
    print(non_test_tasks(runs))
    for warning in warnings:
        print('warning: %s' % warning)
    print('\n%d round(s) in %.0f s; load average %.1f before, %.1f after'
          % (rounds, duration, load_before[0], os.getloadavg()[0]))
    results = BENCH / 'results'
    results.mkdir(exist_ok=True)
    (results / 'latest.json').write_text(json.dumps(dict(
        date=time.strftime('%Y-%m-%dT%H:%M:%S%z'), rounds=rounds, duration_s=round(duration, 1),
        cpus=os.cpu_count(), load_before=load_before, load_after=os.getloadavg(), figures=rows,
        warnings=warnings, runs=runs), indent=2) + '\n')
    print('figures: %s' % (results / 'latest.json'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
