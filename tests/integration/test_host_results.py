"""A compromised host: its Python interpreter is a wrapper that runs the real
one on the module, then rewrites the module's result before the controller
reads it. Names that climb out of the output folder, a remote path aimed at
/etc/shadow, a formula, a string where a number belongs and terminal escapes
must all stay data: nothing is written outside the run folder, the tests they
touch are recorded failed, and the summary, the CSV and the report are written.

A real session playbook run over SSH on the namespace lab, with real iperf3.
"""
import csv
import glob
import json
import os
import shutil
import stat
import uuid

import yaml

from conftest import run_playbook

SESSION = 'apetools.iperf.session'
TAG = uuid.uuid4().hex[:10]
# Far enough up to reach / from any output folder, then into /tmp.
CLIMB = '../' * 16 + 'tmp/pwned-%s.pth' % TAG
ABSOLUTE = '/tmp/pwned-%s' % TAG
FORMULA = '=HYPERLINK("http://evil.example/%s","click")' % TAG
ESCAPES = '\x1b[31mboom\x1b[0m \x1b]0;owned\x07'
DELETE = '<delete>'

# With three repetitions of two nodes in both directions, tpc1 sends in the
# odd tests (to_node) and receives in the even ones (from_node); a receiver
# prints the test's line on the terminal. Test key -> what the host says.
RULES = {
    '1': {'filename': CLIMB},
    '2': {'filename': ABSOLUTE},
    '3': {'error': FORMULA, 'succeeded': False},
    '4': {'measurement.received_bps': '941000000'},
    '6': {'error': ESCAPES, 'succeeded': False},
    '8': {'remote_path': '/etc/shadow', 'output': DELETE},
}
INVALID = (1, 2, 4, 8)

WRAPPER = '''#!/usr/bin/python3
"""A lying host: run the real Python on the module, then rewrite its result by the rules beside this file."""
import json
import subprocess
import sys

with open(sys.argv[0] + '.json') as handle:
    RULES = json.load(handle)
ran = subprocess.run(['/usr/bin/python3'] + sys.argv[1:], stdout=subprocess.PIPE)
text = ran.stdout.decode('utf-8', 'replace')
try:
    result = json.loads(text)
except ValueError:
    result = None
if isinstance(result, dict):
    for side in result.get('sides') or []:
        for path, value in RULES.get(str(side.get('key')), {}).items():
            target, parts = side, path.split('.')
            for part in parts[:-1]:
                target = target.setdefault(part, {})
            if value == %r:
                target.pop(parts[-1], None)
            else:
                target[parts[-1]] = value
    if result.get('sides'):
        result['warnings'] = ['\\x1b[31mwarned by the host\\x1b[0m']
    text = json.dumps(result)
    if result.get('sides'):
        text += '\\n\\x1b[31mjunk after the JSON\\x1b[0m\\n'  # Ansible prints it as a warning
sys.stdout.write(text)
sys.exit(ran.returncode)
''' % DELETE


def _targets():
    """Every path a name from the host could have reached, with or without the record's .json."""
    bases = [ABSOLUTE, '/tmp/pwned-%s.pth' % TAG]
    return bases + [base + suffix for base in bases for suffix in ('.json', '.1', '.partial')]


def _lying_inventory(lab, tmp_path):
    wrapper = tmp_path / 'lying-python'
    wrapper.write_text(WRAPPER)
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    (tmp_path / 'lying-python.json').write_text(json.dumps(RULES))
    with open(lab['inventory']) as handle:
        inventory = yaml.safe_load(handle)
    inventory['all']['children']['tpc']['hosts']['tpc1']['ansible_python_interpreter'] = str(wrapper)
    path = tmp_path / 'inventory.yml'
    path.write_text(yaml.safe_dump(inventory, default_flow_style=False))
    return str(path)


def test_a_lying_host_writes_nothing_outside_the_run_and_its_tests_fail(lab, tmp_path, no_iperf_left):
    for target in _targets():
        assert not os.path.lexists(target), target
    remote = '/var/tmp/apetools-iperf-hr-%s' % TAG
    output = tmp_path / 'out'
    try:
        run = run_playbook(SESSION, _lying_inventory(lab, tmp_path), str(output), '-e', 'iperf_time=1',
                           '-e', 'iperf_repetitions=3', '-e', 'iperf_remote_dir=%s' % remote)
    finally:
        shutil.rmtree(remote, ignore_errors=True)
    leaked = [target for target in _targets() if os.path.lexists(target)]
    for target in leaked:
        os.unlink(target)
    assert not leaked, 'the host wrote on the controller outside the run folder: %s' % leaked

    # The summary, the CSV and the report are written, and every test is in them.
    run_dir = run.run_dir
    for name in ('summary.json', 'summary.csv', 'statistics.csv', 'report.html'):
        assert os.path.isfile(os.path.join(run_dir, name)), '%s is missing:\n%s' % (name, run.output[-4000:])
    records = dict((record['index'], record) for record in run.summary())
    assert sorted(records) == list(range(1, 13))
    for index in INVALID:
        assert records[index]['succeeded'] is False, records[index]
        assert 'host tpc1 returned an invalid result' in records[index]['error'], records[index]
    assert 'filename' in records[1]['error'] and 'filename' in records[2]['error']
    assert 'measurement.received_bps' in records[4]['error']
    assert 'remote_path' in records[8]['error']
    assert records[3]['succeeded'] is False and FORMULA in records[3]['error']
    assert records[6]['succeeded'] is False and 'boom' in records[6]['error'] and '\x1b' not in records[6]['error']
    for index in (5, 7, 9, 10, 11, 12):
        assert records[index]['succeeded'], records[index]
        assert records[index]['throughput_bps'] > 0
    assert run.rc != 0  # the failed tests fail the run, at its end

    # Only the planned names, inside the run folder; nothing from /etc/shadow.
    plan = json.load(open(os.path.join(run_dir, 'plan.json')))
    planned = set(name for test in plan['tests'] for name in test['files'].values())
    for path in glob.glob(os.path.join(str(output), '**', '*'), recursive=True):
        assert os.path.realpath(path).startswith(os.path.realpath(str(output)) + os.sep), path
    raw = set(os.path.basename(path) for path in glob.glob(os.path.join(run_dir, '*.iperf')))
    assert raw <= planned, raw - planned
    assert plan['tests'][7]['files']['receiver'] not in raw  # test 8's raw file was not fetched from /etc/shadow
    records_dir = os.path.join(run_dir, 'records')
    assert set(os.listdir(records_dir)) <= set(name + '.json' for name in planned), os.listdir(records_dir)
    with open('/etc/shadow', 'rb') as handle:
        shadow = handle.read()
    for path in glob.glob(os.path.join(run_dir, '**', '*'), recursive=True):
        if os.path.isfile(path) and shadow.strip():
            with open(path, 'rb') as handle:
                assert shadow not in handle.read(), path

    # No formula in the CSV, no terminal escape anywhere.
    with open(os.path.join(run_dir, 'summary.csv'), newline='') as handle:
        rows = list(csv.reader(handle))
    assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row), rows
    for row in rows:
        for cell in row:
            assert cell[:1] not in ('=', '+', '-', '@', '\t', '\r'), (cell, row)
    assert '\x1b' not in run.output, [line for line in run.output.splitlines() if '\x1b' in line]
    assert 'boom' in run.output  # the receiver's line was shown, without its escapes
    assert 'junk after the JSON' in run.output and 'warned by the host' in run.output
    for path in glob.glob(os.path.join(run_dir, '**', '*'), recursive=True):
        if os.path.isfile(path) and not path.endswith('.iperf'):
            with open(path, 'rb') as handle:
                data = handle.read()
            assert b'\x1b' not in data and b'\\u001b' not in data, path
