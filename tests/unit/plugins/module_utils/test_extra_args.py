"""iperf_extra_args: an allow-list matched as getopt_long matches, checked against the real iperf3 and iperf2."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import random
import shutil
import subprocess
import time

import pytest

from ansible_collections.apetools.iperf.plugins.module_utils.iperf_command import (
    EXTRA_ARGS_TABLES,
    client_argv,
    normalize_options,
    server_argv,
)
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_results import parse_output
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_session import IperfConfigurationError

BINARIES = {3: 'iperf3', 2: 'iperf'}
# The allowed options, as the docs list them.
ALLOWED = {
    3: ['--affinity', '--dont-fragment', '--flowlabel', '--fq-rate', '--no-delay', '--pacing-timer',
        '--repeating-payload', '--set-mss', '--udp-counters-64bit'],
    2: ['--burst-period', '--burst-size', '--fq-rate', '--ipg', '--isochronous', '--mss', '--near-congestion',
        '--nodelay', '--tcp-quickack', '--tcp-write-prefetch', '--trip-times'],
}


def extra(args, version=3):
    return normalize_options({'version': version, 'extra_args': args})['extra_args']


def refused(args, version=3):
    with pytest.raises(IperfConfigurationError) as caught:
        extra(args, version)
    message = str(caught.value)
    assert message.startswith('extra_args item ') and '\n' not in message
    return message


@pytest.mark.parametrize('version, args, means, why', [
    (3, ['--logf=/x'], '--logfile', 'files'),
    (3, ['--logf', '/x'], '--logfile', 'files'),
    (3, ['--pidf'], '-I/--pidfile', 'files'),
    (3, ['--fil', 'x'], '-F/--file', 'files'),
    (3, ['-F', 'x'], '-F/--file', 'files'),
    (3, ['-Fx'], '-F/--file', 'files'),
    (3, ['-I/tmp/p'], '-I/--pidfile', 'files'),
    (3, ['--rsa-pr=/k'], '--rsa-private-key-path', 'authentication'),
    (3, ['--author', '/u'], '--authorized-users-path', 'authentication'),
    (3, ['-D'], '-D/--daemon', 'daemonises'),
    (3, ['--cport=5000'], '--cport', 'port'),
    (3, ['--json-s'], None, 'not an iperf3 option'),  # iperf3 3.17's --json-stream is unknown here
    (3, ['-J'], '-J/--json', 'sets it itself'),
    (3, ['--get-s'], '--get-server-output', 'output'),
    (3, ['-R'], '-R/--reverse', 'iperf_directions'),
    (3, ['-t', '5'], '-t/--time', 'iperf_time'),
    (3, ['--bitr=1M'], '-b/--bitrate', 'iperf_bandwidth'),
    (3, ['--linux-c', 'bbr'], '-C/--congestion', 'iperf_congestion'),
    (2, ['-F', 'x'], '-F/--file_input', 'files'),
    (2, ['-o', '/x'], '-o/--output', 'files'),
    (2, ['--outp=/x'], '-o/--output', 'files'),
    (2, ['-I'], '-I/--stdin_input', 'stdin'),
    (2, ['-y', 'C'], '-y/--reportstyle', 'output'),
    (2, ['-e'], '-e/--enhanced', 'output'),
    (2, ['-z'], '-z/--realtime', 'realtime'),
    (2, ['--permit-key=x'], '--permit-key', 'key'),
    (2, ['--bounceback'], '--bounceback', 'kind of test'),
    (2, ['-Z', 'bbr'], '-Z/--tcp-congestion', 'iperf_congestion'),
])
def test_refusals_name_the_option_and_why(version, args, means, why):
    message = refused(args, version)
    assert repr(args[0]) in message and why in message
    if means:
        assert (' is %s,' % means) in message or (' has %s,' % means) in message
    # Every refusal of an option lists what is allowed for that version.
    assert ('allowed with iperf%d: ' % version) in message and ALLOWED[version][0] in message


def test_a_refused_letter_hidden_in_a_cluster_is_found():
    assert 'has -F/--file, which is refused' in refused(['-NF', 'x'])
    assert 'has -F/--file, which is refused' in refused(['-NFx'])
    assert 'has -e/--enhanced' in refused(['-Ne'], 2)
    assert 'has -q, which is not an iperf3 option' in refused(['-Nq'])


def test_clusters_and_attached_values_are_read_as_getopt_reads_them():
    assert extra(['-M1400']) == ['--set-mss=1400']
    assert extra(['-NM1400']) == ['--no-delay', '--set-mss=1400']
    assert extra(['-NM', '1400']) == ['--no-delay', '--set-mss=1400']
    assert extra(['-NM1400'], 2) == ['--nodelay', '--mss=1400']
    # A letter that takes a value takes the rest of the cluster, whatever it is.
    assert extra(['-MN']) == ['--set-mss=N']
    assert extra(['-A0,1']) == ['--affinity=0,1']


def test_long_options_abbreviate_to_any_unique_prefix():
    assert extra(['--no-d', '--fq=10M', '--pac', '500', '--dont', '--udp-c', '--rep']) == [
        '--no-delay', '--fq-rate=10M', '--pacing-timer=500', '--dont-fragment', '--udp-counters-64bit',
        '--repeating-payload']
    assert extra(['--nod', '--tcp-q', '--tcp-write-p=64K', '--trip', '--isoch', '--burst-s', '1M', '--near=0.5'], 2) == [
        '--nodelay', '--tcp-quickack', '--tcp-write-prefetch=64K', '--trip-times', '--isochronous',
        '--burst-size=1M', '--near-congestion=0.5']


@pytest.mark.parametrize('version, prefix, could_be', [
    (3, '--no', '--no-delay, --no-fq-socket-pacing'),
    (3, '--f', '--flowlabel, --fq-rate, --file, --format, --forceflush'),
    (3, '--rsa', '--rsa-public-key-path, --rsa-private-key-path'),
    (2, '--burst', '--burst-size, --burst-period'),
    (2, '--tcp-w', '--tcp-write-prefetch, --tcp-write-times'),
    (2, '--no', '--nodelay, --no-udp-fin, --no-connect-sync'),
])
def test_an_ambiguous_prefix_is_refused_with_its_candidates(version, prefix, could_be):
    message = refused([prefix + '=1'], version)
    assert 'is ambiguous: for iperf%d it could be %s;' % (version, could_be) in message


def test_an_exact_name_wins_over_longer_ones():
    # iperf2 has --bounceback and --bounceback-hold...: the exact name is not ambiguous.
    assert '--bounceback,' in refused(['--bounceback'], 2)
    assert extra(['--ipg', '0.01'], 2) == ['--ipg=0.01']


def test_values_that_look_like_options_belong_to_the_option_before_them():
    assert extra(['-M', '-F']) == ['--set-mss=-F']
    assert extra(['--fq-rate', '--logfile']) == ['--fq-rate=--logfile']
    assert extra(['--pacing-timer', '-D', '-N']) == ['--pacing-timer=-D', '--no-delay']
    assert extra(['--tcp-write-prefetch', '-o'], 2) == ['--tcp-write-prefetch=-o']


def test_values_are_required_where_getopt_requires_them():
    assert 'needs a value for -M/--set-mss, and none follows' in refused(['-M'])
    assert 'needs a value for -M/--set-mss' in refused(['-NM'])
    assert 'needs a value for --fq-rate' in refused(['--fq'])
    assert 'gives --fq-rate an empty value' in refused(['--fq-rate='])
    assert 'gives -M/--set-mss an empty value' in refused(['-M', ' '])
    assert 'gives a value to -N/--no-delay, which takes none' in refused(['--no-delay=1'])
    assert 'gives a value to --trip-times, which takes none' in refused(['--trip=1'], 2)


def test_an_optional_value_is_only_taken_after_equals():
    assert extra(['--isochronous=60:20m,0'], 2) == ['--isochronous=60:20m,0']
    assert extra(['--near-congestion'], 2) == ['--near-congestion']
    # As getopt does, the next item is not the value: it is a positional argument.
    assert "item '60:20m,0' is not an option" in refused(['--isochronous', '60:20m,0'], 2)


@pytest.mark.parametrize('args', [['foo'], ['/etc/passwd'], ['--'], ['-'], ['-N', 'x'], ['--', '-N']])
def test_positional_arguments_are_refused(args):
    assert 'is not an option: only options and their values are passed' in refused(args)


def test_the_old_checks_still_hold():
    assert 'must be a list' in str(pytest.raises(IperfConfigurationError, extra, '-N').value)
    assert 'empty or has control characters' in refused(['-N\n-F'])
    assert 'empty or has control characters' in refused([''])


def every_form(version, name):
    """The ways to give an allowed option: long, with its letter if it has one."""
    option = [option for option in EXTRA_ARGS_TABLES[version]['options'] if option.names[:1] == [name[2:]]][0]
    value = ['1'] if option.has_arg == 1 else []
    forms = [[name] + value]
    if option.letter:
        forms.append(['-' + option.letter] + value)
    return forms


# Only these forms of one version's allowed options mean an allowed option of the other too.
SHARED = {('-M', '1'), ('-N',), ('--fq-rate', '1')}


@pytest.mark.parametrize('version, name', [(version, name) for version in ALLOWED for name in ALLOWED[version]])
def test_every_allowed_option_is_accepted_for_its_version_and_checked_for_the_other(version, name):
    other = 5 - version
    for form in every_form(version, name):
        assert extra(form, version)[0].startswith(name)
        if tuple(form) in SHARED:
            assert extra(form, other)
        else:
            message = refused(form, other)
            assert 'which is refused' in message or 'is not an iperf%d option' % other in message


def test_the_allow_lists_are_as_documented():
    for version in ALLOWED:
        names = ['--' + option.names[0] for option in EXTRA_ARGS_TABLES[version]['options'] if option.reason is None]
        assert sorted(names) == ALLOWED[version]


def test_normalized_extra_args_normalize_to_themselves():
    once = normalize_options({'extra_args': ['-NM1400', '--fq', '1G', '--dont']})
    assert normalize_options(once) == once
    once = normalize_options({'version': 2, 'extra_args': ['--isoch=60:20m,0', '-N']})
    assert normalize_options(once) == once


# ---------------------------------------------------------------------------
# The real programs: the tables are theirs, and each allowed option runs.

needs_iperf = pytest.mark.skipif(not shutil.which('iperf3') or not shutil.which('iperf'),
                                 reason='needs iperf3 and iperf (scripts/bootstrap.sh installs them)')


def run(version, args, cwd):
    environment = dict((key, value) for key, value in os.environ.items() if not key.startswith('IPERF'))
    done = subprocess.run([BINARIES[version]] + args, cwd=str(cwd), env=environment, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=10,
                          check=False)
    return done.stdout


def printed_version(output, version):
    return ('iperf 3.' if version == 3 else 'iperf version 2.') in output


def means(version, name):
    """The options that "--name" can mean, by the table: an exact name wins, else every one it abbreviates."""
    options = EXTRA_ARGS_TABLES[version]['options']
    return [option for option in options if name in option.names] or [
        option for option in options if any(candidate.startswith(name) for candidate in option.names)]


def unique_prefix(version, option, name):
    return [name[:end] for end in range(1, len(name) + 1) if means(version, name[:end]) == [option]][0]


def getopt_disagrees(version, option, written, cwd):
    """What the real getopt says of "--written" (the full name or an abbreviation) that the table does not."""
    full = written if written in option.names else [name for name in option.names if name.startswith(written)][0]
    if option.has_arg == 1:
        # Alone, so that nothing can be taken as its value. getopt names the option it found
        # (iperf2's older getopt repeats what was written).
        output = run(version, ['--' + written], cwd)
        expected = "--%s' requires an argument" % (full if version == 3 else written)
    else:
        output = run(version, ['--%s=1' % written, '-v'], cwd)
        expected = "--%s' doesn't allow an argument" % full if option.has_arg == 0 else ''
    if expected not in output or 'ambiguous' in output or 'unrecognized' in output or "doesn't allow" in output \
            and option.has_arg:
        return ('--' + written, expected, output[:200])
    # An optional value is only taken after "=": -v stays an option. (An option that stops iperf
    # itself, as iperf2's --tun-dev does, "not yet supported", cannot show it.)
    if option.has_arg == 2 and printed_version(output, version) and \
            not printed_version(run(version, ['--' + written, '-v'], cwd), version):
        return ('--%s -v' % written, 'an optional value is only taken after =')
    return None


@needs_iperf
@pytest.mark.parametrize('version', [3, 2])
def test_the_tables_match_the_real_getopt(version, tmp_path):
    """Each option's value rule and abbreviations, and each letter, as the installed iperf reads them."""
    table = EXTRA_ARGS_TABLES[version]
    wrong = []
    for option in table['options']:
        for name in option.names:
            prefix = unique_prefix(version, option, name)
            wrong += [getopt_disagrees(version, option, written, tmp_path) for written in set([name, prefix])]
            if len(means(version, prefix[:-1])) > 1 and 'ambiguous' not in run(version, ['--%s=1' % prefix[:-1], '-v'], tmp_path):
                wrong.append(('--' + prefix[:-1], 'ambiguous'))
    # -v ends the parse, unless the letter before it takes it as its value.
    # (iperf2's -D becomes a daemon at once and prints nothing; -h and -v print their own text.)
    for letter, (takes, option) in sorted(table['letters'].items()):
        if letter not in ('hvD' if version == 2 else 'hv'):
            if printed_version(run(version, ['-' + letter, '-v'], tmp_path), version) == bool(takes):
                wrong.append(('-' + letter, takes))
    for letter in 'aEgGjKoqQrWxYz' if version == 3 else 'aEgGjkKqQY':
        assert letter not in table['letters']
        if 'invalid option' not in run(version, ['-' + letter, '-v'], tmp_path):
            wrong.append(('-' + letter, 'is an option'))
    assert [problem for problem in wrong if problem] == []


def listening(port, udp=False):
    for name in (('udp', 'udp6') if udp else ('tcp', 'tcp6')):
        with open('/proc/net/' + name) as handle:
            for line in handle.readlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(':', 1)[1], 16) == port and (udp or fields[3] == '0A'):
                    return True
    return False


def loopback_test(version, extra_args, tmp_path, protocol='tcp', ipv6=False, bandwidth=None):
    """One 1 s test on loopback, with the argv and the parsers the collection uses."""
    port = random.randint(30000, 60000)
    options = normalize_options(dict(version=version, time=1, port=port, protocol=protocol, bandwidth=bandwidth,
                                     ipv6=ipv6, extra_args=extra_args))
    address = '::1' if ipv6 else '127.0.0.1'
    with open(str(tmp_path / 'server.out'), 'w+') as server_out:
        server = subprocess.Popen(server_argv(options, address), stdout=server_out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while not listening(port, udp=version == 2 and protocol == 'udp') and time.monotonic() < deadline:
                time.sleep(0.02)
            client = subprocess.run(client_argv(options, address, address), stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, universal_newlines=True, timeout=20,
                                    stdin=subprocess.DEVNULL, check=False)
            receiver = None
            # iperf3's server ends after its one test; iperf2's is stopped once it has reported.
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                server_out.seek(0)
                receiver = parse_output(server_out.read(), version, 'server')
                if server.poll() is not None or (version == 2 and receiver['received_bps']):
                    break
                time.sleep(0.05)
        finally:
            server.kill()
            server.wait()
    return options['extra_args'], parse_output(client.stdout, version, 'client'), receiver, client.stdout


REAL_RUNS = [
    (3, ['-A0'], {}),
    (3, ['--dont-fragment'], {'protocol': 'udp', 'bandwidth': '20M'}),
    (3, ['-L5'], {'ipv6': True}),  # a flow label needs IPv6
    (3, ['--fq-rate', '100M'], {}),
    (3, ['-N'], {}),
    (3, ['--pacing-timer=500'], {}),
    (3, ['--repeating-payload'], {}),
    (3, ['-M1400'], {}),
    (3, ['--udp-counters-64bit'], {'protocol': 'udp', 'bandwidth': '20M'}),
    (2, ['--burst-period=0.5'], {}),
    (2, ['--burst-size', '1M'], {}),
    (2, ['--fq-rate=100m'], {}),
    (2, ['--ipg', '0.001'], {'protocol': 'udp'}),  # iperf2 refuses --ipg with -b
    (2, ['--isochronous=60:10m,0'], {'protocol': 'udp'}),
    (2, ['-M1400'], {}),
    (2, ['--near-congestion'], {}),
    (2, ['-N'], {}),
    (2, ['--tcp-quickack'], {}),
    (2, ['--tcp-write-prefetch=64K'], {}),
    (2, ['--trip-times'], {}),
]


def test_every_allowed_option_has_a_real_run():
    ran = set((version, extra(args, version)[0].split('=')[0]) for version, args, _settings in REAL_RUNS)
    assert ran == set((version, name) for version in ALLOWED for name in ALLOWED[version])


@needs_iperf
@pytest.mark.parametrize('version, args, settings', REAL_RUNS)
def test_every_allowed_option_runs_and_is_parsed(version, args, settings, tmp_path):
    passed, sender, receiver, text = loopback_test(version, args, tmp_path, **settings)
    assert passed == extra(args, version)
    assert sender['error'] is None and sender['sent_bps'] > 0, text
    assert receiver['error'] is None and receiver['received_bps'] > 0, receiver
    # iperf2 does not stop at an option it cannot read: it warns and goes on.
    assert 'option' not in text.split('\n', 1)[0] and 'ignoring' not in text, text
