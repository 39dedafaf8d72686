#!/usr/bin/env bash
# Sets everything up, then runs a real session on the embedded default:
# this machine as both the node and the traffic PC, over loopback, no SSH.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"
ansible-playbook apetools.iperf.install
status=0
ansible-playbook apetools.iperf.session "$@" || status=$?
echo
echo "Results of this run: $(readlink -f iperf-results/latest)"
ls -1 iperf-results/latest/
exit $status
