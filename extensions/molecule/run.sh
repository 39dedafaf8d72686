#!/usr/bin/env bash
# Runs `molecule test` for every scenario under extensions/molecule, from the
# repository root, with the project venv first on PATH (molecule calls
# ansible-playbook, ansible-config, ansible-inventory by name).
#
#   extensions/molecule/run.sh                    # all scenarios
#   extensions/molecule/run.sh --scenario-name default
#   extensions/molecule/run.sh --destroy never    # keep the lab and results
#
# Needs root and the system packages of scripts/bootstrap.sh (the namespace
# lab: openssh-server, iproute2, iperf3) and molecule in .venv.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_FORCE_COLOR=false NO_COLOR=1
command -v molecule >/dev/null || { echo "run.sh: molecule not in $root/.venv (pip install molecule)" >&2; exit 2; }

args=("$@")
if [[ " ${args[*]-} " != *" --scenario-name "* && " ${args[*]-} " != *" -s "* ]]; then
  args=(--all "${args[@]}")
fi
start=$SECONDS
rc=0
molecule test "${args[@]}" || rc=$?
echo "run.sh: molecule test ${args[*]} -> rc=$rc in $((SECONDS - start))s"
exit $rc
