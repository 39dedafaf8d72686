"""Real ansible-playbook runs of the apetools.iperf.install role on this host.

* Debian: the role runs for real over the local connection (apt, debconf,
  the version check), in check mode and not.
* RedHat, Archlinux, Suse: check mode over the local connection, with the
  host's OS family fact set to that family. The role's query commands
  (rpm, pacman) are real Debian packages, so the query really runs and
  really answers "not installed"; the test checks the package names, the
  command the role would run, and that nothing changed.
* Alpine: Debian 12 has no apk, so the test proves the role gets as far as
  asking apk, with the right package names, and fails with a clear message.
* An unknown family fails with a message naming host and family.
* iperf_manage_firewall: with no active firewall (this host), a warning, or
  a failure with iperf_firewall_required; and for real with ufw, enabled in
  a throw-away lab namespace whose /etc/ufw is its own (see ufw_lab).
"""
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import BIN, ROOT, ansible_env, lab_builder

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='needs root')

PLAYBOOK = os.path.join(ROOT, 'playbooks', 'install.yml')

# A play that runs the role on this host as if it were of another OS family:
# the fact os_family is replaced (cacheable, so ansible_facts sees it) and the
# role's own gathering is skipped. After the role, what it registered is
# written to a JSON file for the test to read (check_mode: false: that file is
# the test's, not the role's).
AS_FAMILY = """\
- name: Run the install role as a host of another OS family
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Pretend to be a host of that family
      ansible.builtin.set_fact:
        os_family: "{{ family }}"
        cacheable: true
      when: family != 'real'

    - name: Run the role
      ansible.builtin.include_role:
        name: apetools.iperf.install

    - name: Keep what the role found
      ansible.builtin.copy:
        content: >-
          {{ {'query': iperf_install_query | default({}),
              'versions': iperf_installed_versions | default({}),
              'os_family': ansible_facts['os_family']} | to_json }}
        dest: "{{ result_file }}"
        mode: "0644"
      check_mode: false
      changed_when: false
"""

COMMANDS = {
    'RedHat': (['rpm', '--query', '--whatprovides'], ['dnf', '--assumeyes', 'install']),
    'Archlinux': (['pacman', '--query'], ['pacman', '--sync', '--needed', '--noconfirm']),
    'Suse': (['rpm', '--query', '--whatprovides'], ['zypper', '--non-interactive', 'install']),
    'Alpine': (['apk', 'info', '--installed'], ['apk', 'add', '--update-cache']),
}
# The Debian package that brings each query tool to this host.
TOOL_PACKAGE = {'rpm': 'rpm', 'pacman': 'pacman-package-manager', 'apk': '(none in Debian 12)'}


def _recap(output, host):
    match = re.search(r'^%s\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)'
                      % re.escape(host), output, re.MULTILINE)
    assert match, 'no PLAY RECAP line for %s:\n%s' % (host, output[-3000:])
    return dict(zip(('ok', 'changed', 'unreachable', 'failed'), map(int, match.groups())))


def _messages(output):
    """The msg of every debug or failed task, from the JSON result format."""
    return re.findall(r'"msg": "((?:[^"\\]|\\.)*)"', output)


class Play(object):
    def __init__(self, process, result_file):
        self.rc = process.returncode
        self.output = process.stdout
        self.result_file = result_file

    def recap(self, host='localhost'):
        return _recap(self.output, host)

    def messages(self):
        return [json.loads('"%s"' % m) for m in _messages(self.output)]

    def found(self):
        with open(self.result_file) as handle:
            return json.load(handle)


def _run(argv, tmp_path, timeout=300):
    env = ansible_env(ANSIBLE_CALLBACK_RESULT_FORMAT='json', ANSIBLE_STDOUT_CALLBACK='default')
    process = subprocess.run([os.path.join(BIN, 'ansible-playbook')] + argv, cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True, timeout=timeout, check=False)
    print(process.stdout[-4000:])
    return process


def run_as_family(tmp_path, family, *args):
    playbook = tmp_path / 'as_family.yml'
    playbook.write_text(AS_FAMILY)
    result_file = str(tmp_path / 'found.json')
    # The system Python, as on the lab's hosts: it has python3-apt, and the
    # first python3 on PATH here may be a pyenv shim.
    process = _run(['-i', 'localhost,', str(playbook), '-e', 'family=%s' % family,
                    '-e', 'ansible_python_interpreter=/usr/bin/python3',
                    '-e', 'result_file=%s' % result_file] + list(args), tmp_path)
    return Play(process, result_file)


def _installed_rpms_and_pacman():
    """What rpm and pacman on this host say is installed (both empty on Debian)."""
    out = {}
    for argv in (['rpm', '-qa'], ['pacman', '-Q']):
        if shutil.which(argv[0]):
            out[argv[0]] = subprocess.run(argv, stdout=subprocess.PIPE, universal_newlines=True,
                                          check=False).stdout
    return out


@pytest.mark.parametrize('family', ['RedHat', 'Archlinux', 'Suse'])
def test_check_mode_as_family(tmp_path, family):
    query, install = COMMANDS[family]
    if not shutil.which(query[0], path='/usr/bin:/usr/sbin:/bin:/sbin'):
        pytest.skip('%s not on this host: apt-get install %s' % (query[0], TOOL_PACKAGE[query[0]]))
    before = _installed_rpms_and_pacman()

    play = run_as_family(tmp_path, family, '--check', '-e', 'iperf_version=2')

    assert play.rc == 0, play.output[-3000:]
    assert play.recap() == {'ok': play.recap()['ok'], 'changed': 0, 'unreachable': 0, 'failed': 0}
    found = play.found()
    assert found['os_family'] == family
    # The package manager was really asked, once per package, and said "no".
    asked = [(r['item'], r['cmd'], r['rc']) for r in found['query']['results']]
    assert asked == [('iperf3', query + ['iperf3'], 1), ('iperf', query + ['iperf'], 1)]
    assert ('Would install iperf3, iperf on localhost with: %s iperf3 iperf'
            % ' '.join(install)) in play.messages()
    assert 'TASK [apetools.iperf.install : Install the missing iperf packages]' in play.output
    assert re.search(r'Install the missing iperf packages\] \*+\nskipping: \[localhost\]',
                     play.output)
    # The version check ran against this host's real binaries.
    assert set(found['versions']) == {'iperf3', 'iperf2'}
    assert _installed_rpms_and_pacman() == before


def test_check_mode_as_alpine_stops_at_apk(tmp_path):
    """No apk on Debian: the role asks it for the right packages and says what failed."""
    if shutil.which('apk', path='/usr/bin:/usr/sbin:/bin:/sbin'):
        pytest.skip('this host has an apk; the test expects none (Debian 12)')
    play = run_as_family(tmp_path, 'Alpine', '--check', '-e', 'iperf_version=2')

    assert play.rc != 0
    assert play.recap()['failed'] == 1 and play.recap()['changed'] == 0
    assert 'TASK [apetools.iperf.install : Ask the package manager which iperf packages are installed]' \
        in play.output
    assert 'ok: [localhost] => (item=iperf3)' in play.output
    assert 'ok: [localhost] => (item=iperf)' in play.output
    assert ('apetools.iperf.install cannot tell whether iperf3 is installed on host localhost '
            '(OS family Alpine): `apk info --installed iperf3` gave exit status 2 '
            '(Error executing command.). Is apk installed and on the PATH?') in play.messages()
    assert 'Install the missing iperf packages' not in play.output


def test_unknown_family_fails_clearly(tmp_path):
    play = run_as_family(tmp_path, 'Solaris', '--check')
    assert play.rc != 0
    assert ('apetools.iperf.install does not know the iperf packages for host localhost: its OS '
            'family Solaris is not one of Debian, RedHat, Alpine, Archlinux, Suse.') in play.messages()
    assert play.recap()['changed'] == 0


@pytest.mark.parametrize('check', [True, False], ids=['check', 'real'])
def test_debian_for_real(tmp_path, check):
    """This host's own facts (Debian 12); iperf3 and iperf are installed by bootstrap."""
    play = run_as_family(tmp_path, 'real', '-e', 'iperf_version=2', *(['--check'] if check else []))
    assert play.rc == 0, play.output[-3000:]
    assert play.recap()['changed'] == 0 and play.recap()['failed'] == 0
    found = play.found()
    assert found['os_family'] == 'Debian'
    assert re.match(r'3\.', found['versions']['iperf3'])
    assert re.match(r'2\.', found['versions']['iperf2'])
    assert 'TASK [apetools.iperf.install : Install the iperf packages with apt]' in play.output


def test_no_firewall_warns(tmp_path):
    """This host runs neither firewalld nor an active ufw: a warning, no failure."""
    play = run_as_family(tmp_path, 'real', '--check', '-e', 'iperf_manage_firewall=true')
    assert play.rc == 0, play.output[-3000:]
    warnings = [m for m in play.messages() if m.startswith('WARNING: apetools.iperf.install opened no ports')]
    assert len(warnings) == 1, play.messages()
    assert 'neither is firewalld running' in warnings[0]
    assert warnings[0].endswith('open TCP and UDP 5201-5300 in it.')


def test_no_firewall_fails_when_required(tmp_path):
    play = run_as_family(tmp_path, 'real', '--check', '-e', 'iperf_manage_firewall=true',
                         '-e', 'iperf_firewall_required=true')
    assert play.rc != 0
    assert any(m.startswith('apetools.iperf.install could not open the iperf ports on host localhost: '
                            'iperf_firewall_required is true but neither is firewalld running')
               for m in play.messages()), play.messages()


# --- ufw for real, in a lab namespace ----------------------------------------

MARKER = '.apetools-install-role-test'


def _netns_exec(ns, *argv, **kwargs):
    return subprocess.run(['ip', 'netns', 'exec', ns] + list(argv), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, check=False, **kwargs)


@pytest.fixture
def ufw_lab():
    """A lab with node1 (ufw enabled: deny incoming, ssh allowed) and tpc1.

    ufw keeps its state in /etc/ufw, which every namespace shares. `ip netns
    exec NS` bind-mounts /etc/netns/NS/ufw over /etc/ufw, and the lab starts
    node1's sshd with `ip netns exec`, so node1 (its sshd, every Ansible task
    over SSH, and our `ip netns exec` calls) gets a private copy, made here
    before the lab is built. The copy's sysctl.conf is empty so ufw changes
    no kernel setting. Before ufw is enabled, the test makes sure node1 sees
    the copy, and afterwards that /etc/ufw of the machine is untouched.
    """
    if not shutil.which('ufw', path='/usr/sbin:/usr/bin:/sbin:/bin'):
        pytest.skip('ufw not installed: apt-get install ufw')
    name = 'fw%d' % (os.getpid() % 1000)
    ns = 'ape-%s-node1' % name
    netns_etc = '/etc/netns'
    made_netns_etc = not os.path.isdir(netns_etc)
    private = os.path.join(netns_etc, ns)
    with open('/etc/ufw/ufw.conf') as handle:
        machine_conf = handle.read()
    server = None
    try:
        if os.path.exists(private):
            raise RuntimeError('%s exists already; another run of this test?' % private)
        os.makedirs(private)
        shutil.copytree('/etc/ufw', os.path.join(private, 'ufw'), symlinks=True)
        with open(os.path.join(private, 'ufw', 'sysctl.conf'), 'w'):
            pass
        with open(os.path.join(private, 'ufw', MARKER), 'w'):
            pass
        lab = lab_builder.up(name, nodes=1, tpcs=1)
        node = lab['hosts']['node1']
        # node1's sshd must see the private /etc/ufw, or we stop here.
        seen = subprocess.run(['ssh', '-i', lab['private_key']] + lab_builder.SSH_ARGS.split()
                              + ['root@' + node['mgmt_address'], 'ls', '/etc/ufw/' + MARKER],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, timeout=30, check=False)
        assert seen.returncode == 0, 'node1 does not see its own /etc/ufw: %s' % seen.stdout
        assert _netns_exec(ns, 'ls', '/etc/ufw/' + MARKER).returncode == 0
        for argv in (['ufw', 'allow', '22/tcp'], ['ufw', '--force', 'enable']):
            done = _netns_exec(ns, *argv, timeout=60)
            assert done.returncode == 0, done.stdout
        assert 'Status: active' in _netns_exec(ns, 'ufw', 'status').stdout
        server = subprocess.Popen(['ip', 'netns', 'exec', ns, 'iperf3', '-s', '-p', '5201',
                                   '-B', node['test_address']],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        yield lab
    finally:
        if server is not None:
            server.kill()
            server.wait()
        lab_builder.down(name)
        shutil.rmtree(private, ignore_errors=True)
        if made_netns_etc:
            try:
                os.rmdir(netns_etc)
            except OSError:
                pass
        with open('/etc/ufw/ufw.conf') as handle:
            assert handle.read() == machine_conf, 'the machine /etc/ufw/ufw.conf was changed'


def _tcp_probe(ns, address, port):
    """'open' (refused or accepted: the packet got through) or 'dropped' (timeout)."""
    code = ('import socket,sys\n'
            'try:\n socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()\n'
            'except ConnectionRefusedError: pass\n'
            'except OSError: print("dropped"); sys.exit(0)\n'
            'print("open")\n')
    return _netns_exec(ns, 'python3', '-c', code, address, str(port), timeout=30).stdout.strip()


def _iperf3_client(ns, address, *extra):
    return _netns_exec(ns, 'iperf3', '-c', address, '-p', '5201', '-t', '1',
                       '--connect-timeout', '2000', *extra, timeout=60)


def _install(lab, tmp_path, *args):
    process = _run(['-i', lab['inventory'], PLAYBOOK, '--limit', 'node1',
                    '-e', 'iperf_manage_firewall=true',
                    # The lab has no route to the Debian mirrors.
                    '-e', 'iperf_apt_cache_valid_time=315360000'] + list(args), tmp_path)
    return process, _recap(process.stdout, 'node1')


def test_ufw_opens_the_iperf_ports(ufw_lab, tmp_path):
    node, tpc = ufw_lab['hosts']['node1'], ufw_lab['hosts']['tpc1']
    ns_node, ns_tpc, address = node['namespace'], tpc['namespace'], node['test_address']

    # ufw drops the iperf ports before the role runs.
    assert _tcp_probe(ns_tpc, address, 5201) == 'dropped'
    assert _iperf3_client(ns_tpc, address).returncode != 0

    # Check mode: says what it would open, opens nothing.
    process, recap = _install(ufw_lab, tmp_path, '--check')
    assert process.returncode == 0 and recap['changed'] == 0 and recap['failed'] == 0
    assert re.search(r'skipping: \[node1\] => \(item=tcp\)', process.stdout)
    assert re.search(r'skipping: \[node1\] => \(item=udp\)', process.stdout)
    assert _tcp_probe(ns_tpc, address, 5201) == 'dropped'

    # The real run adds one rule per protocol (one task, so changed=1).
    process, recap = _install(ufw_lab, tmp_path)
    assert process.returncode == 0 and recap['failed'] == 0
    assert recap['changed'] == 1, process.stdout[-3000:]
    assert re.search(r'changed: \[node1\] => \(item=tcp\)', process.stdout)
    assert re.search(r'changed: \[node1\] => \(item=udp\)', process.stdout)
    added = _netns_exec(ns_node, 'ufw', 'show', 'added').stdout
    assert "ufw allow 5201:5300/tcp comment 'apetools.iperf'" in added
    assert "ufw allow 5201:5300/udp comment 'apetools.iperf'" in added

    tcp = _iperf3_client(ns_tpc, address)
    assert tcp.returncode == 0, tcp.stdout
    udp = _iperf3_client(ns_tpc, address, '-u', '-b', '1M')
    assert udp.returncode == 0, udp.stdout
    assert _tcp_probe(ns_tpc, address, 5300) == 'open'      # last port of the range
    assert _tcp_probe(ns_tpc, address, 5301) == 'dropped'   # and no more

    # Idempotent.
    process, recap = _install(ufw_lab, tmp_path)
    assert process.returncode == 0 and recap['changed'] == 0, process.stdout[-3000:]
