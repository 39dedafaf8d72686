"""A throw-away multi-host lab on one machine, for real multi-host Ansible tests.

Every host is a network namespace with its own sshd. Hosts are managed over one
network and measure over another, as in a real lab:

    root ns  ape-NAME-mgmt 198.18.K.1 ----+
                                          |   ape-NAME-switch (namespace)
    host ns  eth0 198.18.K.<host> ------ bridge "mgmt"     (ssh, Ansible)
    host ns  eth1 198.19.K.<host> ------ bridge "test"     (iperf traffic)

The bridges live in a namespace of their own, so the host's firewall and
br_netfilter settings never see lab traffic and nothing global is changed.
The test network is not reachable from the root namespace at all.

Namespaces share the process table and the file system with the machine: a
`pkill iperf3` on one "host" kills iperf3 on all of them. Use
pids_in_namespace() / iperf_pids_in_namespace() to look at one host.

Usage (as root):
    lab.py up --name NAME --nodes N [--tpcs 1] [--state-dir DIR] [--subnet K]
    lab.py status --name NAME [--state-dir DIR]
    lab.py down --name NAME [--state-dir DIR]
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import zlib
from pathlib import Path

SSHD = "/usr/sbin/sshd"
SFTP_SERVER = "/usr/lib/openssh/sftp-server"
NETNS_DIR = Path("/run/netns")
MARKER = ".apetools-lab"  # down only deletes a state dir that carries this file
SSH_ARGS = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"


class LabError(Exception):
    pass


# --- small helpers -----------------------------------------------------------

def _tool(name):
    """Absolute path of a tool; sbin may be missing from PATH under pytest or sudo."""
    path = os.environ.get("PATH", "") + ":/usr/sbin:/usr/bin:/sbin:/bin"
    found = shutil.which(name, path=path)
    if not found:
        raise LabError(f"{name} not found: run scripts/bootstrap.sh")
    return found


def _run(argv, check=True):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise LabError(f"command failed (rc={proc.returncode}): {' '.join(map(str, argv))}\n"
                       f"{(proc.stderr or proc.stdout).strip()}")
    return proc


def _ip(ns, *args, check=True):
    """`ip` inside namespace ns (None = root namespace)."""
    return _run([_tool("ip"), *(["-n", ns] if ns else []), *args], check=check)


def _preflight():
    if os.geteuid() != 0:
        raise LabError("lab.py must run as root (it creates network namespaces and starts sshd)")
    for path in (SSHD, SFTP_SERVER):
        if not os.access(path, os.X_OK):
            raise LabError(f"{path} missing: run scripts/bootstrap.sh (installs openssh-server)")
    _tool("ip")
    _tool("ssh-keygen")


def _check_name(name):
    # Interface names are limited to 15 characters and "ape-NAME-mgmt" is one.
    if not re.fullmatch(r"[a-z0-9]{1,6}", name or ""):
        raise LabError(f"lab name {name!r} must match [a-z0-9]{{1,6}}")


def default_subnet(name):
    # crc32, not hash(): hash() is salted per process, the subnet must be stable.
    return zlib.crc32(name.encode()) % 200


def _state_dir(name, state_dir):
    return Path(state_dir or f"/tmp/apetools-lab-{name}").resolve()


def _switch_ns(name):
    return f"ape-{name}-switch"


def _uplink(name):
    return f"ape-{name}-mgmt"


def _lab_namespaces(name):
    prefix = f"ape-{name}-"  # names have no "-", so lab "t1" never matches "ape-t10-..."
    if not NETNS_DIR.is_dir():
        return []
    return sorted(n for n in os.listdir(NETNS_DIR) if n.startswith(prefix))


def _write_if_changed(path, text, mode=0o644):
    path = Path(path)
    if path.exists() and path.read_text() == text:
        return False
    path.write_text(text)
    path.chmod(mode)
    return True


# --- processes in a namespace ------------------------------------------------

def _netns_link(ns):
    """What /proc/PID/ns/net reads for processes inside namespace ns."""
    return f"net:[{os.stat(NETNS_DIR / ns).st_ino}]"


def _comm(pid):
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _alive(pid):
    # Zombies count as gone: our pid 1 may never reap them, and they hold no namespace.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def pids_in_namespace(ns):
    """Pids of the processes living in network namespace ns (empty if it does not exist).

    All namespaces share one pid space, so `ps` inside `ip netns exec` shows every
    process on the machine; the namespace identity is in /proc/PID/ns/net.
    """
    try:
        want = _netns_link(ns)
    except FileNotFoundError:
        return []
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/ns/net") == want:
                    pids.append(int(entry))
            except OSError:
                continue  # exited meanwhile, or a kernel thread
    return sorted(pids)


def iperf_pids_in_namespace(ns):
    """Pids of iperf (iperf2) and iperf3 processes in namespace ns."""
    return [pid for pid in pids_in_namespace(ns) if _comm(pid) in ("iperf", "iperf3")]


def _kill(pids, timeout=3.0):
    """SIGTERM, then SIGKILL whatever did not exit within timeout."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = [pid for pid in pids if _alive(pid)]
            if not pids:
                return
            time.sleep(0.05)


def _sshd_pid(pidfile, ns):
    """The pid in pidfile if it is still sshd in namespace ns, else None.

    Pids get reused, so a stale pid file must never make us kill a stranger.
    """
    try:
        pid = int(Path(pidfile).read_text().split()[0])
        if _comm(pid) == "sshd" and os.readlink(f"/proc/{pid}/ns/net") == _netns_link(ns):
            return pid
    except (OSError, ValueError, IndexError):
        pass
    return None


def _remove_namespace(ns, pidfile):
    pid = _sshd_pid(pidfile, ns)
    if pid:
        _kill([pid])
    # Whatever else still runs there (ssh sessions forked by sshd, iperf servers
    # left by tests) would keep the namespace and its interfaces alive unseen.
    _kill(pids_in_namespace(ns))
    _ip(None, "netns", "delete", ns, check=False)


# --- building ----------------------------------------------------------------

def _plan(name, nodes, tpcs, subnet):
    """Hosts and their addresses. Node i gets .10+i, tpc j gets .200+j, so an
    address never moves when the lab is rebuilt with another node count."""
    if not 1 <= nodes <= 189 or not 0 <= tpcs <= 54:
        raise LabError("need 1..189 nodes and 0..54 tpcs")
    hosts = [("nodes", f"node{i}", 10 + i) for i in range(1, nodes + 1)]
    hosts += [("tpc", f"tpc{j}", 200 + j) for j in range(1, tpcs + 1)]
    return {
        host: {
            "group": group,
            "namespace": f"ape-{name}-{host}",
            "mgmt_address": f"198.18.{subnet}.{octet}",
            "test_address": f"198.19.{subnet}.{octet}",
        }
        for group, host, octet in hosts
    }


def _check_subnet_free(name, subnet):
    """Refuse to share 198.18.K.0/24 with another lab (two names can hash alike)."""
    out = _ip(None, "-4", "-o", "addr", "show").stdout
    for line in out.splitlines():
        fields = line.split()
        dev, addr = fields[1], fields[3]
        if addr.startswith(f"198.18.{subnet}.") and dev.split("@")[0] != _uplink(name):
            raise LabError(f"subnet 198.18.{subnet}.0/24 is already used by {dev} "
                           f"(another lab?); pick another one with --subnet")


def _ensure_ns(ns):
    if not (NETNS_DIR / ns).exists():
        _ip(None, "netns", "add", ns)
    _ip(ns, "link", "set", "lo", "up")


def _set_address(ns, dev, cidr):
    """Give dev exactly this IPv4 address (drops a stale one from another subnet)."""
    out = _ip(ns, "-4", "-o", "addr", "show", "dev", dev).stdout
    if [line.split()[3] for line in out.splitlines()] != [cidr]:
        _ip(ns, "addr", "flush", "dev", dev)
        _ip(ns, "addr", "add", cidr, "brd", "+", "dev", dev)
    _ip(ns, "link", "set", dev, "up")


def _mac(subnet, net, octet):
    """A fixed MAC per address. A repaired host keeps its MAC, so the neighbours'
    ARP caches stay right; with a fresh random MAC they point at nothing for up
    to a minute and sshd looks dead."""
    return f"02:a9:{subnet:02x}:{net:02x}:00:{octet:02x}"


def _link_exists(ns, dev):
    return _ip(ns, "link", "show", "dev", dev, check=False).returncode == 0


def _ensure_switch(name, subnet):
    sw = _switch_ns(name)
    _ensure_ns(sw)
    for bridge in ("mgmt", "test"):
        if not _link_exists(sw, bridge):
            _ip(sw, "link", "add", bridge, "type", "bridge")
        _ip(sw, "link", "set", bridge, "up")
    # The root namespace reaches the management network through this veth.
    uplink = _uplink(name)
    if not _link_exists(None, uplink):
        _ip(None, "link", "add", uplink, "address", _mac(subnet, 0, 1),
            "type", "veth", "peer", "name", "uplink", "netns", sw)
    _ip(sw, "link", "set", "uplink", "master", "mgmt", "up")
    _set_address(None, uplink, f"198.18.{subnet}.1/24")


def _ensure_host(name, subnet, host, info):
    sw, ns = _switch_ns(name), info["namespace"]
    _ensure_ns(ns)
    octet = int(info["mgmt_address"].rsplit(".", 1)[1])
    for net, dev, bridge, addr in ((0, "eth0", "mgmt", info["mgmt_address"]),
                                   (1, "eth1", "test", info["test_address"])):
        port = f"{bridge[0]}-{host}"  # switch side, e.g. "m-node1"
        if not _link_exists(ns, dev):
            _ip(sw, "link", "del", port, check=False)  # orphan of an earlier attempt
            _ip(sw, "link", "add", port, "type", "veth", "peer", "name", dev,
                "address", _mac(subnet, net, octet), "netns", ns)
        _ip(sw, "link", "set", port, "master", bridge, "up")
        _set_address(ns, dev, f"{addr}/24")
    # Ansible's facts (ansible_default_ipv4) need a default route.
    _ip(ns, "route", "replace", "default", "via", f"198.18.{subnet}.1", "dev", "eth0")


def _keygen(path, comment):
    _run([_tool("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)])


def _ensure_keys(state):
    key = state / "id_ed25519"
    if not key.exists():
        _keygen(key, "apetools-lab")
    _write_if_changed(state / "authorized_keys", (state / "id_ed25519.pub").read_text(), 0o600)
    return key


def _sshd_config(state, hdir, name, host, info):
    return f"""\
# Written by tests/lab/lab.py for lab {name}, host {host}.
ListenAddress {info['mgmt_address']}:22
HostKey {hdir}/ssh_host_ed25519_key
PidFile {hdir}/sshd.pid
AuthorizedKeysFile {state}/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
# No PAM: no systemd-logind session and no /etc/pam.d setup needed.
UsePAM no
# The state dir lives in world-writable /tmp.
StrictModes no
Subsystem sftp {SFTP_SERVER}
# Ansible opens many connections at once (forks, ControlMaster sessions).
MaxStartups 100
MaxSessions 100
UseDNS no
PrintMotd no
LogLevel ERROR
"""


def _start_sshd(state, name, host, info):
    """Start sshd for host unless a correctly configured one already answers."""
    hdir = state / "hosts" / host
    hdir.mkdir(parents=True, exist_ok=True)
    hostkey = hdir / "ssh_host_ed25519_key"
    if not hostkey.exists():
        _keygen(hostkey, host)
    config = hdir / "sshd_config"
    changed = _write_if_changed(config, _sshd_config(state, hdir, name, host, info))
    pid = _sshd_pid(hdir / "sshd.pid", info["namespace"])
    if pid and not changed and _ssh_answers(info["mgmt_address"]):
        return
    if pid:
        _kill([pid])
    # Privilege separation directory; normally systemd's RuntimeDirectory creates it.
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    # -E: sshd logs to syslog otherwise, and there may be none to tell why it died.
    proc = _run([_tool("ip"), "netns", "exec", info["namespace"],
                 SSHD, "-f", str(config), "-E", str(hdir / "sshd.log")], check=False)
    if proc.returncode != 0:
        raise LabError(f"sshd for {host} failed to start (rc={proc.returncode}):\n"
                       f"{proc.stderr.strip()}\n{_log_tail(hdir)}")


def _log_tail(hdir):
    log = hdir / "sshd.log"
    return f"{log}:\n{log.read_text()[-1000:]}" if log.exists() else f"{log}: missing"


def _ssh_answers(addr, timeout=1.0):
    try:
        with socket.create_connection((addr, 22), timeout=timeout) as sock:
            answered = sock.recv(4).startswith(b"SSH-")
            # Without a client banner in return sshd logs an error for every probe.
            sock.sendall(b"SSH-2.0-apetools-lab-probe\r\n")
            return answered
    except OSError:
        return False


def _wait_for_sshd(state, hosts, timeout=15.0):
    deadline = time.monotonic() + timeout
    waiting = dict(hosts)
    while waiting:
        waiting = {h: i for h, i in waiting.items() if not _ssh_answers(i["mgmt_address"])}
        if waiting and time.monotonic() > deadline:
            raise LabError(f"sshd of {', '.join(waiting)} not answering on port 22 after "
                           f"{timeout:.0f}s; "
                           f"{_log_tail(state / 'hosts' / next(iter(waiting)))}")
        if waiting:
            time.sleep(0.05)


# Runs inside one namespace and knocks on port 9 of the others: a TCP reset
# proves the packet went there and back as well as an answer would.
_PROBE = """
import socket, sys
bad = []
for addr in sys.argv[1:]:
    try:
        socket.create_connection((addr, 9), timeout=2).close()
    except ConnectionRefusedError:
        pass
    except OSError as e:
        bad.append(f"{addr}: {e}")
print("; ".join(bad))
sys.exit(1 if bad else 0)
"""


def _check_test_network(hosts):
    first, *others = hosts.values()
    if not others:
        return
    proc = _run([_tool("ip"), "netns", "exec", first["namespace"], sys.executable, "-c", _PROBE,
                 *(h["test_address"] for h in others)], check=False)
    if proc.returncode != 0:
        raise LabError(f"test network broken, from {first['test_address']}: "
                       f"{(proc.stdout + proc.stderr).strip()}")


def _inventory(name, state, key, hosts):
    q = json.dumps  # a JSON string is a valid YAML scalar, and safely quoted
    lines = ["# Written by tests/lab/lab.py; `lab.py down` deletes it.", "all:", "  children:"]
    for group in ("nodes", "tpc"):
        lines += [f"    {group}:", "      hosts:"]
        members = [(h, i) for h, i in hosts.items() if i["group"] == group]
        if not members:
            lines[-1] += " {}"
        for host, info in members:
            hostvars = {
                "ansible_host": info["mgmt_address"],
                "iperf_address": info["test_address"],
                "lab_namespace": info["namespace"],
                "ansible_user": "root",
                "ansible_ssh_private_key_file": str(key),
                "ansible_python_interpreter": "/usr/bin/python3",
                "ansible_ssh_common_args": SSH_ARGS,
                "ansible_paramiko_host_key_checking": False,
                # The lab's hosts share one file system with every other lab
                # here: keep this lab's pid files, leases and raw files apart.
                "iperf_remote_dir": f"/var/tmp/apetools-iperf-{name}",
            }
            lines.append(f"        {host}:")
            lines += [f"          {k}: {q(v)}" for k, v in hostvars.items()]
    path = state / "inventory.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


# --- public API --------------------------------------------------------------

def up(name, nodes, tpcs=1, state_dir=None, subnet=None):
    """Build (or repair) lab `name` and return its description.

    Returns {"name", "subnet", "state_dir", "inventory", "private_key",
    "hosts": {host: {"group", "namespace", "mgmt_address", "test_address"}}}.
    """
    _check_name(name)
    _preflight()
    subnet = default_subnet(name) if subnet is None else subnet
    if not 0 <= subnet <= 255:
        raise LabError("subnet must be 0..255")
    state = _state_dir(name, state_dir)
    hosts = _plan(name, nodes, tpcs, subnet)
    _check_subnet_free(name, subnet)

    state.mkdir(parents=True, exist_ok=True)
    (state / MARKER).touch()
    key = _ensure_keys(state)

    # Hosts from an earlier, bigger build of this lab go away.
    wanted = {i["namespace"] for i in hosts.values()} | {_switch_ns(name)}
    for ns in set(_lab_namespaces(name)) - wanted:
        host = ns[len(f"ape-{name}-"):]
        _remove_namespace(ns, state / "hosts" / host / "sshd.pid")
        shutil.rmtree(state / "hosts" / host, ignore_errors=True)

    _ensure_switch(name, subnet)
    for host, info in hosts.items():
        _ensure_host(name, subnet, host, info)
    for host, info in hosts.items():
        _start_sshd(state, name, host, info)
    _wait_for_sshd(state, hosts)
    _check_test_network(hosts)

    lab = {"name": name, "subnet": subnet, "state_dir": str(state),
           "inventory": str(_inventory(name, state, key, hosts)), "private_key": str(key),
           "hosts": hosts}
    (state / "lab.json").write_text(json.dumps(lab, indent=2) + "\n")
    return lab


def down(name, state_dir=None):
    """Stop and delete lab `name`. Fine to call when nothing (or half of it) exists."""
    _check_name(name)
    if os.geteuid() != 0:
        raise LabError("lab.py must run as root")
    state = _state_dir(name, state_dir)
    for ns in _lab_namespaces(name):
        host = ns[len(f"ape-{name}-"):]
        _remove_namespace(ns, state / "hosts" / host / "sshd.pid")
    # Normally gone with the switch namespace; it is one end of a veth pair.
    _ip(None, "link", "del", _uplink(name), check=False)
    if (state / MARKER).exists():
        shutil.rmtree(state)
    elif state.exists():
        print(f"lab.py: left {state} alone: it has no {MARKER} file", file=sys.stderr)


def status(name, state_dir=None):
    """Print one line per host; return True if every sshd answers."""
    _check_name(name)
    state = _state_dir(name, state_dir)
    try:
        lab = json.loads((state / "lab.json").read_text())
    except FileNotFoundError:
        print(f"lab {name}: not built (no {state}/lab.json)")
        return False
    ok = True
    print(f"lab {name}: subnet {lab['subnet']}, inventory {lab['inventory']}")
    for host, info in lab["hosts"].items():
        exists = (NETNS_DIR / info["namespace"]).exists()
        answers = exists and _ssh_answers(info["mgmt_address"])
        ok = ok and answers
        print(f"  {host:8} {info['namespace']:22} mgmt {info['mgmt_address']:15} "
              f"test {info['test_address']:15} "
              f"{'sshd ok' if answers else 'sshd DOWN' if exists else 'namespace MISSING'}")
    return ok


def main(argv=None):
    parser = argparse.ArgumentParser(description="Network-namespace lab with one sshd per host.")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in ("up", "down", "status"):
        p = sub.add_parser(command)
        p.add_argument("--name", required=True, help="lab name, [a-z0-9]{1,6}")
        p.add_argument("--state-dir", help="default /tmp/apetools-lab-NAME")
        if command == "up":
            p.add_argument("--nodes", type=int, required=True)
            p.add_argument("--tpcs", type=int, default=1)
            p.add_argument("--subnet", type=int,
                           help="K in 198.18.K.0/24 and 198.19.K.0/24 (default: from the name)")
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            lab = up(args.name, args.nodes, args.tpcs, args.state_dir, args.subnet)
            for host, info in lab["hosts"].items():
                print(f"{host} {info['namespace']} "
                      f"mgmt={info['mgmt_address']} test={info['test_address']}")
            print(lab["inventory"])
        elif args.command == "down":
            down(args.name, args.state_dir)
        else:
            return 0 if status(args.name, args.state_dir) else 1
    except LabError as e:
        print(f"lab.py: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
