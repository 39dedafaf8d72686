# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Do 8 disjoint pairs at iperf_concurrency 8 take as long as one pair?

Builds a namespace lab of 8 nodes and 8 TPCs (node K tests with tpcK through
iperf_tpc), then, R rounds in a row, runs the session for one pair
(--limit node1,tpc1) and for all 8 pairs with iperf_concurrency=8 and
--forks 16. Both runs have the same tests per pair (both directions, one
repetition, T seconds each); the ratio of their wall times is the price of
running 8 pairs at once instead of one. Target: at most 1.5.

    .venv/bin/python bench/concurrency.py [--rounds 3] [--time 10] [--bandwidth 200M]

Each test is capped at --bandwidth (iperf -b), so 8 pairs do not fight for the
2 cores of a small machine and the throughput per pair can be compared too.
Python stdlib only; always takes the lab down.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import BENCH, BIN, BenchError, lab, leftovers, play, snapshot, task_timings  # noqa: E402  pylint: disable=wrong-import-position

PAIRS = 8
TARGET_RATIO = 1.5


def peers_inventory(work):
    path = Path(work) / 'peers.yml'
    lines = ['all:', '  children:', '    nodes:', '      hosts:']
    lines += ['        node%d: {iperf_tpc: tpc%d}' % (k, k) for k in range(1, PAIRS + 1)]
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def run_session(info, work, args, all_pairs):
    out = Path(tempfile.mkdtemp(prefix='all-' if all_pairs else 'one-', dir=work))
    argv = [str(BIN / 'ansible-playbook'), '-i', info['inventory'], '-i', peers_inventory(work),
            'apetools.iperf.session', '-e', 'iperf_time=%d' % args.time, '-e', 'iperf_bandwidth=%s' % args.bandwidth,
            '-e', 'iperf_output_dir=%s' % out, '-e', 'iperf_remote_dir=%s' % (Path(work) / 'remote')]
    argv += (['-e', 'iperf_concurrency=%d' % PAIRS, '--forks', '%d' % (2 * PAIRS)] if all_pairs
             else ['--limit', 'node1,tpc1'])
    rc, wall, log = play(argv, out, work, ANSIBLE_CALLBACK_PLUGINS=str(BENCH / 'callback_plugins'),
                         ANSIBLE_CALLBACKS_ENABLED='bench_timer', BENCH_TIMER_FILE=str(out / 'timer.jsonl'))
    summary = json.loads((out / 'latest' / 'summary.json').read_text()) if rc == 0 else []
    expected = 2 * (PAIRS if all_pairs else 1)
    if rc != 0 or len(summary) != expected or not all(test['succeeded'] for test in summary):
        raise BenchError('%s failed (rc %d), log %s:\n%s' % (out.name, rc, log, log.read_text()[-3000:]))
    tasks = {}
    for task in task_timings(out / 'timer.jsonl'):
        name = 'Iperf test (every batch)' if task['name'].startswith('Iperf test') else task['name']
        tasks[name] = tasks.get(name, 0.0) + task['wall']
    return dict(wall=wall, tasks=tasks, bps=[test['throughput_bps'] for test in summary],
                # Tests of a wave overlap: the span from first start to last end of each direction.
                spans=[max(t['ended_at'] for t in summary if t['direction'] == d)
                       - min(t['started_at'] for t in summary if t['direction'] == d) for d in ('to_node', 'from_node')])


def build_lab(name):
    for subnet in [None] + list(range(200, 255)):
        try:
            return lab.up(name, nodes=PAIRS, tpcs=PAIRS, subnet=subnet)
        except lab.LabError as exc:
            if 'already used' not in str(exc):
                raise
    raise BenchError('no free lab subnet')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=3)
    # The collection's own default (iperf_time): what a run of the session measures unless told otherwise.
    parser.add_argument('--time', type=int, default=10, help='seconds per test (default 10, as iperf_time)')
    parser.add_argument('--bandwidth', default='200M', help='iperf -b per test (default 200M)')
    parser.add_argument('--lab', default='bcon')
    args = parser.parse_args(argv)
    work = tempfile.mkdtemp(prefix='bc-')
    one, every, left = [], [], []
    try:
        snapshot(work)
        info = build_lab(args.lab)
        print('lab %s up: %d pairs' % (args.lab, PAIRS), flush=True)
        for number in range(1, args.rounds + 1):
            one.append(run_session(info, work, args, all_pairs=False))
            every.append(run_session(info, work, args, all_pairs=True))
            left.append(leftovers(info))
            print('round %d/%d: one pair %.1f s, %d pairs %.1f s -> ratio %.2f (load %.1f)'
                  % (number, args.rounds, one[-1]['wall'], PAIRS, every[-1]['wall'],
                     every[-1]['wall'] / one[-1]['wall'], os.getloadavg()[0]), flush=True)
    except (BenchError, lab.LabError, subprocess.TimeoutExpired) as exc:
        print('bench: error: %s\n(run folders kept in %s)' % (exc, work), file=sys.stderr)
        return 1
    finally:
        lab.down(args.lab)
    ratio = statistics.median(e['wall'] / o['wall'] for o, e in zip(one, every))
    print()
    print('%-52s %10s' % ('median of %d rounds (%d s tests, -b %s)' % (args.rounds, args.time, args.bandwidth), ''))
    print('  %-50s %8.1f s' % ('one pair, 2 tests, one at a time', statistics.median(o['wall'] for o in one)))
    print('  %-50s %8.1f s' % ('%d pairs, %d tests, iperf_concurrency %d' % (PAIRS, 2 * PAIRS, PAIRS),
                               statistics.median(e['wall'] for e in every)))
    print('  %-50s %8.2f    (target <= %.1f: %s)' % ('ratio %d pairs / one pair' % PAIRS, ratio, TARGET_RATIO,
                                                     'PASS' if ratio <= TARGET_RATIO else 'MISS'))
    print('  %-50s %8.1f s' % ('  span of a wave of %d tests (first start to last end)' % PAIRS,
                               statistics.median(s for e in every for s in e['spans'])))
    print('  %-50s %8.1f Mbit/s' % ('  throughput per test, one pair', statistics.median(
        b for o in one for b in o['bps']) / 1e6))
    print('  %-50s %8.1f Mbit/s' % ('  throughput per test, %d pairs at once' % PAIRS, statistics.median(
        b for e in every for b in e['bps']) / 1e6))
    print()
    print('%-52s %9s %9s' % ('where the time goes, median s per run', 'one pair', '%d pairs' % PAIRS))
    names = sorted(every[0]['tasks'], key=lambda name: -statistics.median(e['tasks'].get(name, 0.0) for e in every))
    for name in names:
        print('  %-50s %9.2f %9.2f' % (name[:50], statistics.median(o['tasks'].get(name, 0.0) for o in one),
                                       statistics.median(e['tasks'].get(name, 0.0) for e in every)))
    print('  %-50s %9.2f %9.2f' % ('ansible-playbook start, before the first task', statistics.median(
        o['wall'] - sum(o['tasks'].values()) for o in one), statistics.median(
        e['wall'] - sum(e['tasks'].values()) for e in every)))
    print('  iperf processes left after the runs: %s' % (sum(len(p) for found in left for p in found.values())))
    return 0


if __name__ == '__main__':
    sys.exit(main())
