"""Bad input is refused before any traffic, with a message naming the variable
and the value: real session playbook runs on the namespace lab.

The runs are cheap (they stop at "Plan the session"), so the module's fixture
starts the selected ones a few at a time and each test checks its own.
"""
import glob
import os
import shutil
import time
import uuid

import pytest

import faults as F
from conftest import lab_builder

LAB = 'fti'
REMOTE_DIR = '/var/tmp/apetools-iperf-fti'
PARALLEL = 4
PWNED = '/tmp/pwned-apetools-ft-%s' % uuid.uuid4().hex[:8]


def without_tpc2(inventory):
    del inventory['all']['children']['tpc']['hosts']['tpc2']


def empty_nodes(inventory):
    without_tpc2(inventory)
    inventory['all']['children']['nodes']['hosts'] = {}


def in_both_groups(inventory):
    tpcs = inventory['all']['children']['tpc']['hosts']
    tpcs.clear()
    tpcs['node1'] = dict(F.host_vars(inventory, 'node1'))


def duplicate_node_id(inventory):
    without_tpc2(inventory)
    F.host_vars(inventory, 'node1')['iperf_node_id'] = 'ap-kitchen'
    F.host_vars(inventory, 'node2')['iperf_node_id'] = 'ap-kitchen'


def empty_address(inventory):
    without_tpc2(inventory)
    F.host_vars(inventory, 'node1')['iperf_address'] = ''


# case -> (inventory change, extra arguments, what the message must name)
CASES = {
    'unknown direction': (without_tpc2, ['-e', '{"iperf_directions": ["to_node", "north"]}'],
                          ['iperf_directions', "'north'"]),
    'tpc not in --limit': (without_tpc2, ['--limit', 'node1'], ['tpc', 'not 0']),
    'unknown node in --limit': (without_tpc2, ['--limit', 'node9,tpc1'], ['no nodes']),
    'empty nodes group': (empty_nodes, [], ['no nodes']),
    'two TPCs': (None, [], ['tpc1', 'tpc2', 'exactly one']),
    'host in both groups': (in_both_groups, [], ['node1', 'both the nodes group and the tpc group']),
    'duplicate iperf_node_id': (duplicate_node_id, [], ['iperf_node_id', "'ap-kitchen'", 'node1', 'node2']),
    # Were it taken, the test would run over the management network: keep it to one test.
    'empty iperf_address': (empty_address, ['--limit', 'node1,tpc1', '-e', '{"iperf_directions": ["to_node"]}'],
                            ['iperf_address', 'node1']),
    'iperf_time=abc': (without_tpc2, ['-e', 'iperf_time=abc'], ['iperf_time', "'abc'"]),
    'iperf_time=-5': (without_tpc2, ['-e', 'iperf_time=-5'], ['iperf_time', '-5']),
    'iperf_port=70000': (without_tpc2, ['-e', 'iperf_port=70000'], ['iperf_port', '70000']),
    'iperf_extra_args=[-J]': (without_tpc2, ['-e', '{"iperf_extra_args": ["-J"]}'], ['iperf_extra_args', "'-J'"]),
    # Options that touch files, abbreviated or hidden in a cluster: iperf would write PWNED.
    'iperf_extra_args=[--logf=]': (without_tpc2, ['-e', '{"iperf_extra_args": ["--logf=%s"]}' % PWNED],
                                   ['iperf_extra_args', "'--logf=%s'" % PWNED, 'is --logfile', 'files']),
    'iperf_extra_args=[-NF x]': (without_tpc2, ['-e', '{"iperf_extra_args": ["-NF", "/etc/shadow"]}'],
                                 ['iperf_extra_args', "'-NF'", 'has -F/--file', 'allowed with iperf3: ']),
    'iperf2 iperf_extra_args=[--outp=]': (
        without_tpc2, ['-e', '{"iperf_version": 2, "iperf_extra_args": ["--outp=%s"]}' % PWNED],
        ['iperf_extra_args', "'--outp=%s'" % PWNED, 'is -o/--output', 'allowed with iperf2: ']),
    'iperf_filename_prefix=../evil': (without_tpc2, ['-e', 'iperf_filename_prefix=../evil'],
                                      ['iperf_filename_prefix', "'../evil'"]),
    'iperf_filename_prefix=$(touch)': (without_tpc2, ['-e', '{"iperf_filename_prefix": "$(touch %s)"}' % PWNED],
                                       ['iperf_filename_prefix', "'$(touch %s)'" % PWNED]),
}


@pytest.fixture(scope='module')
def inputlab():
    info = F.build_lab(LAB, nodes=2, tpcs=2)
    shutil.rmtree(REMOTE_DIR, ignore_errors=True)
    try:
        yield info
    finally:
        F.kill_iperf_left(info)
        lab_builder.down(LAB)
        shutil.rmtree(REMOTE_DIR, ignore_errors=True)


@pytest.fixture(scope='module')
def runs(request, inputlab, tmp_path_factory):
    """Every selected case, run to its end, PARALLEL at a time: {case: (run, folder)}."""
    wanted = [item.callspec.params['case'] for item in request.session.items
              if item.module is request.module and hasattr(item, 'callspec') and 'case' in item.callspec.params]
    assert not os.path.exists(PWNED)
    pending, running, done = list(dict.fromkeys(wanted)), [], {}
    deadline = time.monotonic() + F.PLAYBOOK_TIMEOUT
    try:
        while pending or running:
            assert time.monotonic() < deadline, 'still running after %d s: %s' % (
                F.PLAYBOOK_TIMEOUT, [entry[0] for entry in running])
            while pending and len(running) < PARALLEL:
                case = pending.pop(0)
                change, args = CASES[case][:2]
                folder = tmp_path_factory.mktemp('input')
                inventory = F.load_inventory(inputlab)
                if change:
                    change(inventory)
                path = F.write_inventory(inventory, folder / 'inventory.yml')
                run = F.Playbook(path, folder / 'out', '-e', 'iperf_time=1', '-e', 'iperf_remote_dir=%s' % REMOTE_DIR,
                                 *args)
                running.append((case, run, folder))
            for entry in list(running):
                case, run, folder = entry
                if not run.running():
                    run.wait(10)
                    done[case] = (run, folder)
                    running.remove(entry)
            time.sleep(0.1)
        yield done
    finally:
        for case, run, folder in running:
            run.kill()
            run.cleanup()
        for run, folder in done.values():
            run.cleanup()


@pytest.mark.parametrize('case', list(CASES))
def test_bad_input_is_refused_before_any_traffic(case, runs, inputlab):
    run, folder = runs[case]
    expected = CASES[case][2]
    assert run.rc not in (0, None), 'the run was not refused:\n%s' % run.output[-4000:]
    refused = [e for e in run.events if e['event'] == 'failed' and e.get('task') == 'Plan the session']
    assert refused, 'the run was not refused at "Plan the session":\n%s' % run.output[-4000:]
    message = refused[0]['msg']
    for part in expected:
        assert part in message, 'the message does not name %r: %s' % (part, message)
    # Before any traffic: no test started, no iperf output anywhere, no lease taken.
    assert not [e for e in run.events if e['event'] == 'task' and e['task'].startswith('Iperf test')]
    assert not run.iperf_files()
    assert not glob.glob(os.path.join(REMOTE_DIR, '**', '*.iperf*'), recursive=True)
    assert not any(F.iperf_left(inputlab).values())
    # Nothing written outside iperf_output_dir, and no command ran from a value.
    assert sorted(os.listdir(str(folder))) in (['inventory.yml'], ['inventory.yml', 'out'])
    assert not glob.glob(os.path.join(REMOTE_DIR, '**', '*evil*'), recursive=True)
    assert not glob.glob(os.path.join(str(folder), '**', '*evil*'), recursive=True)
    assert not glob.glob(os.path.join(os.path.dirname(str(folder)), '*evil*'))
    assert not os.path.exists(PWNED)
