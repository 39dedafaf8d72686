"""Large outputs: parse and summarise a one-hour test at 0.1 s intervals.

Prints the controller-side time and peak memory of what the collection does
with such a test: parse the raw iperf3 JSON (36,000 intervals, about 33 MB),
then merge the side records and write summary.json and summary.csv. Each
round runs in a fresh process, so the peak memory is that work's alone.

    .venv/bin/python bench/large_output.py [--rounds 5] [--intervals 36000]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ROUND = r'''
import json, os, resource, sys, time
sys.path[:0] = [os.path.join(ROOT, '.collections'), os.path.join(ROOT, 'tests', 'fixtures')]
from long_iperf3 import long_iperf3_json
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_results import parse_output
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_records import RECORDS_DIR, summarize, write_json

run_dir = sys.argv[1]
text = long_iperf3_json(int(sys.argv[2]), 0.1)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
began = time.perf_counter()
measurement = parse_output(text, 3, role='client')
parsed = time.perf_counter()
test = dict(index=1, node='dut1', direction='to_node', repetition=1, sender='tpc1', receiver='dut1', port=5201)
write_json(os.path.join(run_dir, 'plan.json'), dict(tests=[test], options=dict(protocol='tcp', version=3)))
for host, role in (('tpc1', 'sender'), ('dut1', 'receiver')):
    write_json(os.path.join(run_dir, RECORDS_DIR, role + '.json'),
               dict(test, host=host, role=role, error=None, measurement=measurement, file=role + '.iperf'))
recorded = time.perf_counter()
records = summarize(run_dir)
done = time.perf_counter()
assert records[0]['succeeded'] and len(records[0]['intervals']) == int(sys.argv[2])
print(json.dumps(dict(bytes=len(text), parse_s=parsed - began, record_s=recorded - parsed, summary_s=done - recorded,
                      total_s=done - began,
                      peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                      text_mb=before / 1024.0)))
'''


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--intervals', type=int, default=36000)
    args = parser.parse_args()
    rounds = []
    for _round in range(args.rounds):
        with tempfile.TemporaryDirectory() as run_dir:
            out = subprocess.run([sys.executable, '-c', 'ROOT = %r\n' % ROOT + ROUND, run_dir, str(args.intervals)],
                                 check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
            rounds.append(json.loads(out))
    median = dict((key, statistics.median(r[key] for r in rounds)) for key in rounds[0])
    print('large output: %d intervals, %.1f MB of iperf3 JSON, %d rounds (medians)'
          % (args.intervals, median['bytes'] / 1e6, len(rounds)))
    print('  %-40s %8.2f s' % ('parse (on the host that ran iperf)', median['parse_s']))
    print('  %-40s %8.2f s' % ('write both side records', median['record_s']))
    print('  %-40s %8.2f s' % ('merge + summary.json/csv', median['summary_s']))
    verdict = dict((key, 'PASS' if median[key] <= limit else 'MISS') for key, limit in (('total_s', 2), ('peak_mb', 300)))
    print('  %-40s %8.2f s   target <= 2 s: %s' % ('all of it', median['total_s'], verdict['total_s']))
    print('  %-40s %8.0f MB  target <= 300 MB: %s' % ('peak memory of the process', median['peak_mb'], verdict['peak_mb']))
    print('  %-40s %8.0f MB  (the generated text alone)' % ('memory before parsing', median['text_mb']))


if __name__ == '__main__':
    main()
