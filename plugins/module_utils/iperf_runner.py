# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one side of an iperf test on this host, with a hard deadline.

The receiver runs a server that serves one test; the sender retries its client
on "connection refused" until that server is up. There is no sleep to wait for
the other side and no probe of its port: a probe would end a one-off server.
Every iperf process runs in its own session under a watchdog, so it ends at
its deadline even if this process dies with the SSH connection that ran it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import signal
import subprocess
import time

from ansible_collections.apetools.iperf.plugins.module_utils import _state_dir
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_command import client_argv, server_argv
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_results import Iperf2Progress, parse_output

# A refused connect costs a few milliseconds on a LAN: retry often.
RETRY_PAUSE = 0.02
RETRY_PAUSE_MAX = 0.1
# While the peer is busy with a long earlier test, try less often: a pause of
# at most 1% of the time waited so far, and never more than a second.
RETRY_PAUSE_LONG = 1.0
WATCHDOG_GRACE = 5
# How long an iperf2 server may keep printing after its final report.
IPERF2_FLUSH = 0.3
# How long a partial iperf2 report must stand unchanged to count as final.
IPERF2_QUIET = 3.0
POLL = 0.05
# What _wait returns when the side's raw output passed options['max_output_bytes'].
OUTPUT_CAPPED = 'output cap'
IPERF_ROLE = dict(sender='client', receiver='server')


def _refused(error):
    text = (error or '').lower()
    return 'refused' in text


def _telling_line(text):
    """The line of iperf's stderr that says what went wrong (not its usage footer)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if 'error' in line.lower():
            return line
    return lines[0] if lines else ''


def watchdog(argv, seconds):
    """Wrap argv in coreutils' timeout, which kills iperf even if we die first.

    It fires a little after our own deadline, which normally stops iperf first.
    """
    timeout = shutil.which('timeout')
    if not timeout:
        return list(argv)
    # Short options: BusyBox's timeout knows -k but not --kill-after.
    return [timeout, '-k', '%d' % WATCHDOG_GRACE, '%d' % (int(seconds + 0.999) + WATCHDOG_GRACE)] + list(argv)


def unique_path(path):
    """``path``, or ``path`` with a counter, so nothing measured is overwritten."""
    candidate, counter = path, 0
    while os.path.lexists(candidate):
        counter += 1
        candidate = '%s.%d' % (path, counter)
    return candidate


class Side(object):
    """One participant's part of a test."""

    def __init__(self, options, role, own_address, peer_address, output_path, pids, clock=time.monotonic,
                 abandoned=None):
        self.options = options
        # Returns why the test must stop now (no controller follows it), or None.
        self.abandoned = abandoned or (lambda: None)
        self.pids = pids
        self.role = role
        self.own_address = own_address
        self.peer_address = peer_address
        self.output_path = output_path
        self.clock = clock
        self.attempts = 0
        self.pid = None
        self.cleared = []
        # Seconds the peer may still be busy with its earlier tests of the batch:
        # both the client's connect window and the server's wait grow by this.
        self.wait_for_peer = 0

    @property
    def argv(self):
        if self.role == 'receiver':
            return server_argv(self.options, self.own_address)
        return client_argv(self.options, self.peer_address, self.own_address)

    def clear_stale(self):
        """Stop a server of ours that a killed earlier job left on this receiver's port (by its pid file)."""
        if self.role == 'receiver':
            self.cleared += self.pids.clear_stale(self.options['port'])

    def run(self):
        started = self.clock()
        argv = self.argv
        if self.role == 'receiver':
            self.clear_stale()
            # The server waits for the sender to connect, then for the test.
            result = self._run_once(argv, self.wait_for_peer + self.options['connect_timeout'] + self.options['max_time'])
        else:
            result = self._run_client(argv, started)
        result.update(role=self.role, argv=argv, attempts=self.attempts, cleared=self.cleared,
                      duration_s=round(self.clock() - started, 3),
                      started_at=round(self.attempt_started_at, 3), ended_at=round(time.time(), 3))
        return result

    def _run_client(self, argv, started):
        pause = RETRY_PAUSE
        connect_deadline = started + self.wait_for_peer + self.options['connect_timeout']
        while True:
            result = self._run_once(argv, self.options['max_time'])
            error = result['measurement'].get('error')
            # A refused attempt ends in milliseconds, before iperf's own wait looks
            # at abandoned(): look between the attempts.
            stop = _refused(error) and self.abandoned()
            if not _refused(error) or self.clock() + pause >= connect_deadline or result['abandoned'] or stop:
                if stop:
                    result.update(abandoned=True, error='it stopped waiting for the receiver at %s port %s because %s'
                                  % (self.peer_address, self.options['port'], stop))
                elif _refused(error):
                    result['error'] = 'connection refused by the receiver at %s port %s for %.0f s: %s' % (
                        self.peer_address, self.options['port'], self.clock() - started,
                        'its iperf server did not start' + (
                            ' (its host may still have been busy with its earlier tests)' if self.wait_for_peer
                            else ''))
                return result
            os.unlink(result['output_path'])
            time.sleep(pause)
            pause = min(pause * 2, max(RETRY_PAUSE_MAX, min(RETRY_PAUSE_LONG, (self.clock() - started) / 100)))

    def _run_once(self, argv, seconds):
        self.attempts += 1
        # The side's start: not the time it waited for its peer, which refused it.
        self.attempt_started_at = time.time()
        path = unique_path(self.output_path)
        deadline = self.clock() + seconds
        iperf2 = self.options['version'] == 2
        # A new file (mode 0600), never one that is there, never through a link.
        with _state_dir.create(path, binary=True) as stdout, open(os.devnull, 'rb') as stdin:
            # iperf2 reports connection errors on stderr only: keep them in
            # its raw file, as 2>&1 would. iperf3's JSON must stay clean.
            process = subprocess.Popen(watchdog(argv, seconds), stdin=stdin, stdout=stdout,
                                       stderr=subprocess.STDOUT if iperf2 else subprocess.PIPE,
                                       start_new_session=True)
            self.pid = process.pid
            pid_file = None
            try:
                # Inside the try: a claim that fails (an unsafe folder, a full disk) still stops the server.
                pid_file = self.pids.claim(process.pid, self.options['port']) if self.role == 'receiver' else None
                ended_by = self._wait(process, path, deadline)
            finally:
                stopped = stop(process)
                if pid_file:
                    self.pids.release(pid_file)
            stderr = '' if iperf2 else process.stderr.read().decode('utf-8', 'replace').strip()
            if process.stderr:
                process.stderr.close()
            # iperf3 prints its JSON at the end: the cap is checked then too.
            capped = ended_by == OUTPUT_CAPPED or os.fstat(stdout.fileno()).st_size > self.options['max_output_bytes']
            if capped:
                # Keep the output up to the cap: that is what is parsed and brought back.
                os.ftruncate(stdout.fileno(), self.options['max_output_bytes'])
        with open(path, 'rb') as handle:
            text = handle.read().decode('utf-8', 'replace')
        measurement = parse_output(text, self.options['version'], role=IPERF_ROLE[self.role])
        error = measurement.get('error')
        # 124 is timeout(1)'s status when the watchdog had to fire.
        timed_out = ended_by == 'deadline' or process.returncode == 124
        abandoned = ended_by not in (None, 'deadline', OUTPUT_CAPPED)
        if capped:
            error = '%s output passed iperf_max_output_bytes (%d bytes); the side was stopped' % (
                self.role, self.options['max_output_bytes'])
        elif abandoned:
            error = 'iperf was stopped because %s%s' % (ended_by, '; its partial figures are kept' if (
                measurement.get('received_bps') is not None or measurement.get('sent_bps') is not None) else '')
        elif timed_out:
            measured = measurement.get('received_bps') is not None or measurement.get('sent_bps') is not None
            error = '%s did not finish within %.0f s and was stopped; %s' % (
                'the iperf server' if self.role == 'receiver' else 'the iperf client', seconds,
                'its partial figures are kept' if measured else
                ('nothing was measured (no sender connected, or no traffic arrived)' if self.role == 'receiver'
                 else 'nothing was measured (no traffic got through)'))
        elif killed_by(process.returncode) and not stopped:
            # Something else killed iperf (timeout(1) dies of its child's signal).
            error = 'iperf was killed by %s%s' % (killed_by(process.returncode), '; %s' % error if error else '')
        elif error and stderr:
            error = '%s (%s)' % (error, _telling_line(stderr))
        elif not error and process.returncode not in (0, None) and not measurement.get('received_bps') \
                and not measurement.get('sent_bps'):
            error = 'iperf exited with status %s and measured nothing%s' % (
                process.returncode, ': %s' % _telling_line(stderr) if stderr else '')
        return dict(rc=process.returncode, stopped=stopped, timed_out=timed_out, abandoned=abandoned,
                    stderr=stderr[-2000:], output_path=path, measurement=measurement, error=error)

    def _wait(self, process, path, deadline):
        """Wait for the process; 'deadline', OUTPUT_CAPPED, or why it was abandoned, if that ended it; else None."""
        iperf2_server = self.role == 'receiver' and self.options['version'] == 2
        finished_at = None
        checked = self.clock()
        while process.poll() is None:
            now = self.clock()
            if now >= deadline:
                return 'deadline'
            if os.lstat(path).st_size > self.options['max_output_bytes']:
                return OUTPUT_CAPPED
            if now - checked >= 1.0:
                checked = now
                reason = self.abandoned()
                if reason:
                    return reason
            if iperf2_server:
                # iperf2 has no one-off server: stop it once its report is out.
                if finished_at is None and self._iperf2_report_done(path, now):
                    finished_at = now
                if finished_at is not None and now - finished_at >= IPERF2_FLUSH:
                    return None
            time.sleep(POLL)
        return None

    def _iperf2_report_done(self, path, now):
        """Whether the iperf2 server has printed the test's final report.

        A whole-test line looks like an interval line that starts at 0, so a
        report counts as final when it covers the test's time, or when the
        output has then been quiet for longer than an interval (the sender
        stopped early).

        This runs every POLL, during the measurement: it reads only the bytes
        written since its last look, and decides from those lines (the whole
        output is parsed once, when the side ends).
        """
        if getattr(self, '_report_path', None) != path:
            self._report_path, self._report_offset, self._report = path, 0, Iperf2Progress()
            self._seen_at = now
        fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0))
        with os.fdopen(fd, 'rb') as handle:
            handle.seek(self._report_offset)
            new = handle.read()
        if new:
            self._report_offset += len(new)
            self._seen_at = now
            self._report.feed(new)
        duration = self._report.duration_s
        if duration is None or (self._report.streams or 1) < self.options['parallel']:
            return False
        quiet = now - self._seen_at >= max(IPERF2_QUIET, 1.5 * (self.options['interval'] or 0))
        return duration >= 0.9 * self.options['time'] or quiet


def killed_by(returncode):
    """The name of the signal that ended a process, from its return code, or None."""
    if returncode is None or returncode >= 0:
        return None
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return 'signal %d' % -returncode


def stop(process):
    """Stop a process group we started; True if it had to be stopped."""
    if process.poll() is not None:
        return False
    for sig, grace in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except OSError:
            pass
        try:
            process.wait(grace)
            return True
        except subprocess.TimeoutExpired:
            continue
    return True
