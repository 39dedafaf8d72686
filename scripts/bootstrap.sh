#!/usr/bin/env bash
# Installs everything the demo and the tests need on Debian 12 (run as root):
# the system packages and a Python virtual environment in .venv.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  python3 python3-venv
  iperf3 iperf
  openssh-server openssh-client
  iproute2 nftables procps psmisc
)
# The tests render report.html in a real headless browser.
# The tests also need: chromium (the report renders), ufw (the install role's
# firewall, in a lab namespace), rpm and pacman (its check mode as RedHat, Arch),
# and the shellcheck program (ansible-test sanity skips that test without it).
[ "${1:-}" = "--test" ] && packages+=(chromium fonts-liberation ufw rpm pacman-package-manager shellcheck)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # iperf3 asks whether to start a daemon; we never want one.
  echo "iperf3 iperf3/start_daemon boolean false" | debconf-set-selections
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Debian's own Python, so the controller matches what a fresh machine has.
# Every package at the version constraints.txt pins (scripts/pin.sh refreshes it).
# .venv/.stamp lists hashes of the sets installed: a change to any file reinstalls.
stamp() { cat constraints.txt requirements.txt "$1" | sha256sum | cut -d' ' -f1; }
requirements=requirements.txt
[ "${1:-}" = "--test" ] && requirements="requirements-test.txt"
if ! grep -qx "$(stamp "$requirements")" .venv/.stamp 2>/dev/null; then
  [ -x .venv/bin/python ] || /usr/bin/python3 -m venv .venv
  .venv/bin/python -m pip install -q -c constraints.txt pip
  .venv/bin/python -m pip install -q -c constraints.txt -r "$requirements"
  # The test set includes the demo's.
  { stamp "$requirements"; stamp requirements.txt; } > .venv/.stamp
fi

# ansible.cfg's collections_path (./.collections) makes apetools.iperf.* resolve
# to this checkout. Made here, not tracked: git ignores it.
mkdir -p .collections/ansible_collections/apetools
[ -L .collections/ansible_collections/apetools/iperf ] || ln -s ../../.. .collections/ansible_collections/apetools/iperf
