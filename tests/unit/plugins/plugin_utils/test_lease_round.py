# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a run takes its hosts: one real thread per host, as Ansible's workers run, meeting through real files."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import threading
import time

import pytest

from ansible_collections.apetools.iperf.plugins.module_utils._lease import HostBusy, Lease
from ansible_collections.apetools.iperf.plugins.plugin_utils._lease_round import BUSY, FAILED, TAKEN, LeaseRound

HOSTS = ['a', 'b', 'c']
# Far above what a healthy round takes (a few polls), far below what it takes once a worker waits out a timeout.
TIMEOUT = 10


@pytest.fixture(autouse=True)
def _no_worker_left():
    yield
    # Every worker is a daemon that Workers.run stops; none may still write in another test's folders.
    assert not [thread for thread in threading.enumerate() if thread.daemon and thread.is_alive()]


class Stopped(Exception):
    """Raised in a worker's sleep once the test is over, so a worker stuck in a long wait never outlives it."""


class Workers(object):
    """One thread per host running ``LeaseRound.take``; what each returned or raised, when it ended, and a log."""

    def __init__(self, folder, hosts, at_once, timeout=TIMEOUT):
        self.folder, self.hosts, self.at_once, self.timeout = folder, hosts, at_once, timeout
        self.lock, self.log, self.outcome, self.ended = threading.Lock(), [], {}, {}
        self.stop, self.started = threading.Event(), None

    def record(self, *event):
        with self.lock:
            self.log.append(event)

    def sleep(self, seconds):
        if self.stop.is_set():
            raise Stopped()
        time.sleep(seconds)

    def round(self, host):
        return LeaseRound(self.folder, self.hosts, host, self.at_once, self.timeout, sleep=self.sleep)

    def run(self, callbacks, start_order=None, within=20):
        """Run every host's take with ``callbacks(host)`` -> (try_now, give_back, take_waiting)."""
        def work(host):
            try:
                self.outcome[host] = self.round(host).take(*callbacks(host))
            except Exception as exc:  # pylint: disable=broad-except
                self.outcome[host] = exc
            self.ended[host] = time.time()

        threads = [threading.Thread(target=work, args=(host,), daemon=True) for host in start_order or self.hosts]
        self.started = time.time()
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(max(0, self.started + within - time.time()))
        finally:
            self.stop.set()  # a worker still waiting stops at its next poll
        for thread in threads:
            thread.join(5)
        return self.outcome

    def took(self, host):
        return self.ended[host] - self.started


def logging_callbacks(workers, busy=(), raises=(), hold=0.05, give_back_fails=()):
    """Callbacks that log each call; hosts in ``busy`` are busy at first, hosts in ``raises`` fail their try,
    hosts in ``give_back_fails`` fail to give theirs back."""
    def callbacks(host):
        def try_now():
            workers.record('try', host)
            if host in raises:
                raise RuntimeError('the module failed on %s' % host)
            return BUSY if host in busy else TAKEN

        def give_back():
            workers.record('give back', host)
            if host in give_back_fails:
                raise RuntimeError('the module failed on %s' % host)

        def take_waiting():
            workers.record('take start', host)
            time.sleep(hold)  # long enough for a worker that does not wait its turn to start meanwhile
            workers.record('take end', host)
        return try_now, give_back, take_waiting
    return callbacks


def steps(log, *names):
    return [event for event in log if event[0] in names]


def test_all_free_every_host_is_taken_at_once(tmp_path):
    workers = Workers(str(tmp_path / 'leases'), HOSTS, at_once=True)
    outcome = workers.run(logging_callbacks(workers))
    assert outcome == dict((host, ('at once', [])) for host in HOSTS)
    assert sorted(workers.log) == [('try', host) for host in HOSTS]  # once each, nothing given back or waited for


def test_one_busy_host_all_give_back_first_then_take_one_by_one_in_sorted_order(tmp_path):
    workers = Workers(str(tmp_path / 'leases'), HOSTS, at_once=True)
    # Started in reverse order: the sorted order of the takes is the round's, not the threads'.
    outcome = workers.run(logging_callbacks(workers, busy=('b',)), start_order=HOSTS[::-1])
    assert outcome == dict((host, ('in order', ['b'])) for host in HOSTS)
    log = workers.log
    assert sorted(event for event in log if event[0] == 'try') == [('try', host) for host in HOSTS]
    # What was taken is given back (b was not taken), every give back before any ordered take starts.
    assert sorted(steps(log, 'give back')) == [('give back', 'a'), ('give back', 'c')]
    first_take = log.index(steps(log, 'take start')[0])
    assert all(log.index(event) < first_take for event in steps(log, 'give back', 'try'))
    # Strictly one after the other: each take ends before the next host's starts.
    assert steps(log, 'take start', 'take end') == [
        (step, host) for host in HOSTS for step in ('take start', 'take end')]


def test_without_a_fork_for_every_host_they_go_straight_to_the_ordered_take(tmp_path):
    workers = Workers(str(tmp_path / 'leases'), HOSTS, at_once=False)
    outcome = workers.run(logging_callbacks(workers), start_order=HOSTS[::-1])
    assert outcome == dict((host, ('in order', [])) for host in HOSTS)
    assert workers.log == [(step, host) for host in HOSTS for step in ('take start', 'take end')]


def test_a_worker_whose_try_fails_still_marks_so_the_others_do_not_wait_for_it(tmp_path):
    workers = Workers(str(tmp_path / 'leases'), HOSTS, at_once=True)
    outcome = workers.run(logging_callbacks(workers, raises=('b',)))
    assert isinstance(outcome['b'], RuntimeError)  # its failure is the task's failure on b
    with open(str(tmp_path / 'leases' / 'b.tried')) as handle:
        assert handle.read() == FAILED
    assert outcome['a'] == outcome['c'] == ('at once', [])
    # Generous: a worker that waited for b's mark would take the whole TIMEOUT.
    assert workers.took('a') < TIMEOUT / 2 and workers.took('c') < TIMEOUT / 2


def test_a_failed_try_and_a_busy_host_the_others_do_not_wait_for_the_failed_one(tmp_path):
    # b drops out, so it must mark every step it had left: else a and c would wait TIMEOUT for its 'free', and c,
    # after b in the order, up to 3 * (TIMEOUT + 60) s for its 'done' (33 minutes with iperf_lock_timeout 600 s).
    workers = Workers(str(tmp_path / 'leases'), HOSTS, at_once=True)
    outcome = workers.run(logging_callbacks(workers, busy=('a',), raises=('b',)), within=TIMEOUT / 4)
    assert isinstance(outcome.get('b'), RuntimeError)
    assert outcome.get('a') == ('in order', ['a']) and outcome.get('c') == ('in order', ['a'])
    assert workers.took('a') < TIMEOUT / 4 and workers.took('c') < TIMEOUT / 4


def test_a_failed_give_back_still_marks_so_the_others_do_not_wait_for_it(tmp_path):
    workers = Workers(str(tmp_path / 'leases'), HOSTS, at_once=True)
    outcome = workers.run(logging_callbacks(workers, busy=('c',), give_back_fails=('b',)), within=TIMEOUT / 4)
    assert isinstance(outcome.get('b'), RuntimeError)
    assert outcome.get('a') == ('in order', ['c']) and outcome.get('c') == ('in order', ['c'])
    assert workers.took('a') < TIMEOUT / 4 and workers.took('c') < TIMEOUT / 4


def test_forget_removes_the_hosts_marks_and_the_folder_once_empty(tmp_path):
    folder = tmp_path / 'leases'
    workers = Workers(str(folder), HOSTS, at_once=True)
    workers.run(logging_callbacks(workers, busy=('c',)))  # every step marked: tried, free, done
    assert sorted(os.listdir(str(folder))) == sorted('%s.%s' % (host, step) for host in HOSTS
                                                     for step in ('tried', 'free', 'done'))
    workers.round('a').forget()
    assert sorted(os.listdir(str(folder))) == sorted('%s.%s' % (host, step) for host in ('b', 'c')
                                                     for step in ('tried', 'free', 'done'))
    workers.round('b').forget()
    workers.round('c').forget()
    assert not folder.exists()
    workers.round('c').forget()  # again, or with no folder at all: nothing to do, no error


def test_a_draft_is_never_read_as_a_mark(tmp_path):
    folder = tmp_path / 'leases'
    folder.mkdir(mode=0o700)
    # b's worker is writing its mark: the draft is there, the mark is not yet.
    (folder / 'b.tried.draft').write_text(TAKEN)
    workers = Workers(str(folder), ['a', 'b'], at_once=True, timeout=0.5)
    outcome = workers.run(logging_callbacks(workers), start_order=['a'])  # b's worker never gets further
    # a never saw b's try: it did not take the hosts at once, and gave its own back.
    assert outcome['a'] == ('in order', [])
    assert ('give back', 'a') in workers.log


def test_marks_are_whole_when_seen_and_no_draft_is_left(tmp_path):
    folder = tmp_path / 'leases'
    seen, stop = set(), threading.Event()

    def watch():
        # What another worker reads while the marks are written: a 'tried' mark is a whole word or nothing.
        while not stop.is_set():
            for name in os.listdir(str(folder)) if folder.exists() else ():
                if name.endswith('.tried'):
                    try:
                        seen.add((folder / name).read_text())
                    except OSError:
                        pass
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        hosts = ['h%02d' % number for number in range(12)]
        workers = Workers(str(folder), hosts, at_once=True)
        workers.run(logging_callbacks(workers, busy=('h05',), hold=0))
    finally:
        stop.set()
        watcher.join(5)
    assert seen and seen <= {TAKEN, BUSY}
    assert not [name for name in os.listdir(str(folder)) if name.endswith('.draft')]


def test_two_runs_that_hold_one_host_each_both_end_one_after_the_other(tmp_path):
    timeout = 5
    leases = dict((host, Lease(str(tmp_path / host / 'locks'), host)) for host in ('a', 'b'))
    leases['a'].acquire('run1', 60, 0)
    leases['b'].acquire('run2', 60, 0)  # each run holds the host the other needs
    lock, measured, outcomes, tried = threading.Lock(), [], {}, threading.Barrier(4)

    def callbacks(run, host):
        lease = leases[host]

        def try_now():
            try:
                lease.acquire(run, 60, 0)
            except HostBusy:
                return BUSY
            finally:
                # Every try is made before any run sees what it found, so both runs find the other's host busy
                # (a run whose threads started late could otherwise find both free, and rightly take them at once).
                tried.wait(timeout)
            return TAKEN

        def take_waiting():
            lease.acquire(run, 60, timeout, poll=0.05)  # raises HostBusy at the timeout: then the run fails
        return try_now, lambda: lease.release(run), take_waiting

    def session(run):
        (tmp_path / run).mkdir()  # the run's folder on the controller, made by the plan
        workers = Workers(str(tmp_path / run / 'leases'), ['a', 'b'], at_once=True, timeout=timeout)
        outcomes[run] = workers.run(lambda host: callbacks(run, host), within=4 * timeout)
        if all(isinstance(outcome, tuple) for outcome in outcomes[run].values()):
            # Both hosts taken: the run measures, then its last task gives them back.
            with lock:
                measured.append((run, time.time(), 'start'))
            time.sleep(0.2)
            with lock:
                measured.append((run, time.time(), 'end'))
            for lease in leases.values():
                lease.release(run)

    threads = [threading.Thread(target=session, args=(run,)) for run in ('run1', 'run2')]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(6 * timeout)
    # Each saw the other's host busy, gave its own back, and then took both in order.
    assert outcomes == dict(run1=dict(a=('in order', ['b']), b=('in order', ['b'])),
                            run2=dict(a=('in order', ['a']), b=('in order', ['a'])))
    # One after the other: the first run ended before the second started.
    assert [(run, step) for run, _when, step in sorted(measured, key=lambda event: event[1])] in (
        [('run1', 'start'), ('run1', 'end'), ('run2', 'start'), ('run2', 'end')],
        [('run2', 'start'), ('run2', 'end'), ('run1', 'start'), ('run1', 'end')])
    assert leases['a'].holder() is None and leases['b'].holder() is None
