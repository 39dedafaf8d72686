"""Scale on paper: plan a matrix of 100 nodes on the controller.

Times the pure planning step (checks, matrix, ports, file names, waves) for a
large inventory, the part of a run's controller time that grows with the
matrix before any test runs.

    .venv/bin/python bench/plan_scale.py [--nodes 100] [--repetitions 10] [--rounds 5]
"""
import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, '.collections'))

from ansible_collections.apetools.iperf.plugins.module_utils.iperf_command import normalize_options  # noqa: E402
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_plan import (  # noqa: E402
    batches, devices, directions, plan, waves)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--nodes', type=int, default=100)
    parser.add_argument('--repetitions', type=int, default=10)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--tpcs', type=int, default=10)
    args = parser.parse_args()
    hosts = [dict(host='node%03d' % i, address='198.19.%d.%d' % (i // 200, 10 + i % 200)) for i in range(args.nodes)]
    tpc = [dict(host='tpc1', address='198.19.255.1')]
    print('plan of %d nodes x 2 directions x %d repetitions = %d tests'
          % (args.nodes, args.repetitions, args.nodes * 2 * args.repetitions))
    # One TPC, one test at a time; then one TPC per 10 nodes, 10 tests at once.
    for label, tpcs, limit in (('one TPC, one test at a time', tpc, 1),
                               ('%d TPCs, iperf_concurrency %d' % (args.tpcs, args.tpcs), [
                                   dict(host='tpc%d' % j, address='198.19.254.%d' % j) for j in range(args.tpcs)],
                                args.tpcs)):
        if len(tpcs) > 1:
            for i, host in enumerate(hosts):
                host['tpc'] = 'tpc%d' % (i % len(tpcs))
        times, schedule, grouped = [], [], []
        for _round in range(args.rounds):
            began = time.perf_counter()
            options = normalize_options(dict(time=10, port=5201))
            nodes, peers = devices(hosts, tpcs)
            tests = plan(nodes, peers, directions(None), args.repetitions, options['port'], 1000,
                         busy_ports={'node001': [5201, 5202]})
            schedule = waves(tests, limit)
            # 200 forks: a controller sized for the 100 nodes and their TPCs.
            grouped = batches(schedule, limit, options['connect_timeout'] + options['max_time'] + 10, 200)
            times.append(time.perf_counter() - began)
        print('  %-40s %8.3f s  (%d waves in %d tasks; median of %d; target <= 1 s: %s)' % (
            label, statistics.median(times), len(schedule), len(grouped), len(times),
            'PASS' if statistics.median(times) <= 1 else 'MISS'))


if __name__ == '__main__':
    main()
