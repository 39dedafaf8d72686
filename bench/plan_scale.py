"""Scale on paper: plan a matrix of 100 nodes on the controller.

Times the pure planning step (checks, matrix, ports, file names) for a large
inventory, the part of a run's controller time that grows with the matrix
before any test runs.

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
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_plan import devices, directions, plan  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--nodes', type=int, default=100)
    parser.add_argument('--repetitions', type=int, default=10)
    parser.add_argument('--rounds', type=int, default=5)
    args = parser.parse_args()
    hosts = [dict(host='node%03d' % i, address='198.19.%d.%d' % (i // 200, 10 + i % 200)) for i in range(args.nodes)]
    tpc = [dict(host='tpc1', address='198.19.255.1')]
    times, tests = [], []
    for _round in range(args.rounds):
        began = time.perf_counter()
        options = normalize_options(dict(time=10, port=5201))
        nodes, the_tpc = devices(hosts, tpc)
        tests = plan(nodes, the_tpc, directions(None), args.repetitions, options['port'], 1000,
                     busy_ports={'node001': [5201, 5202]})
        times.append(time.perf_counter() - began)
    print('plan of %d nodes x 2 directions x %d repetitions = %d tests' % (args.nodes, args.repetitions, len(tests)))
    print('  %-40s %8.3f s  (median of %d; target <= 1 s: %s)' % (
        'controller time to plan', statistics.median(times), len(times),
        'PASS' if statistics.median(times) <= 1 else 'MISS'))


if __name__ == '__main__':
    main()
