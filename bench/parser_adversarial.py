"""Parsers against hostile text: how long 1 MB of adversarial input takes, per input format.

For each format (iperf3 JSON, iperf3 text errors, iperf2 human, CSV and
enhanced, long lines) it parses every case of tests/fixtures/adversarial_iperf.py
5 times and prints the median of the slowest case, against the target of 1 s
(issue "Trust boundaries": 1 MB of adversarial text in under a second, for
every input format). Below that, the median of 5 parses of the largest real
output of each format, from tests/fixtures/iperf_output (and --corpus, a
folder of more real outputs, if given).

    .venv/bin/python bench/parser_adversarial.py [--rounds 5] [--all] [--corpus DIR]
"""
import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, '.collections'), os.path.join(ROOT, 'tests', 'fixtures')]

from adversarial_iperf import FORMATS, adversarial_cases  # noqa: E402
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_results import parse_output  # noqa: E402

TARGET = 1.0


def median_time(text, version, rounds):
    times = []
    for _round in range(rounds):
        began = time.perf_counter()
        parse_output(text, version)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def real_format(name):
    """The input format of a real output file, from its name; None for files that are no output."""
    if name.endswith(('.md', '.tsv', '.py', '.sh', '.stderr')):
        return None
    if name.endswith('.json'):
        return 'iperf3 JSON'
    if name.startswith('iperf3'):
        return 'iperf3 text errors'  # iperf3 without -J: the parser says what is wrong
    if not name.startswith('iperf2'):
        return None
    if 'csv' in name:
        return 'iperf2 CSV'
    if 'enhanced' in name or name.startswith('iperf2-e-') or '-e-' in name:
        return 'iperf2 enhanced'
    return 'iperf2 human'


def largest_real(folders):
    largest = {}
    for folder in folders:
        for here, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if not d.startswith('_')]
            for name in files:
                fmt = real_format(name)
                path = os.path.join(here, name)
                if fmt and os.path.getsize(path) > largest.get(fmt, ('', -1))[1]:
                    largest[fmt] = (path, os.path.getsize(path), os.path.relpath(path, os.path.dirname(os.path.normpath(folder))))
    return largest


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--all', action='store_true', help='print every case, not only the slowest per format')
    parser.add_argument('--corpus', action='append', default=[], help='a folder of more real outputs')
    args = parser.parse_args()

    slowest = {}
    cases = adversarial_cases()
    if args.all:
        print('%-20s %-55s %9s %9s' % ('format', 'case', 'bytes', 'median'))
    for fmt, name, version, make in cases:
        text = make()
        took = median_time(text, version, args.rounds)
        if args.all:
            print('%-20s %-55s %9d %7.3f s' % (fmt, name, len(text), took))
        if took > slowest.get(fmt, ('', -1.0))[1]:
            slowest[fmt] = (name, took)
    if args.all:
        print()
    print('1 MB of adversarial text, median of %d parses of the slowest case (%d cases)' % (args.rounds, len(cases)))
    print('%-20s %-55s %9s   %s' % ('format', 'slowest case', 'median', 'target <= 1 s'))
    for fmt in FORMATS:
        name, took = slowest[fmt]
        print('%-20s %-55s %7.3f s   %s' % (fmt, name, took, 'PASS' if took <= TARGET else 'MISS'))

    print()
    print('largest real output of each format, median of %d parses' % args.rounds)
    real = largest_real([os.path.join(ROOT, 'tests', 'fixtures', 'iperf_output')] + args.corpus)
    for fmt in FORMATS:
        if fmt not in real:
            continue
        path, size, shown = real[fmt]
        with open(path, 'rb') as handle:
            text = handle.read()
        took = median_time(text, 3 if fmt.startswith('iperf3') else 2, args.rounds)
        verdict = 'PASS' if took <= TARGET else 'MISS'
        print('%-20s %-62s %9d B %7.4f s   %s' % (fmt, shown, size, took, verdict))


if __name__ == '__main__':
    main()
