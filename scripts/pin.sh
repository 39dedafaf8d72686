#!/usr/bin/env bash
# Refreshes constraints.txt: resolves requirements-test.txt (which includes
# requirements.txt) afresh in a throw-away venv of Debian's Python, and writes
# every package that got installed, tools included, at its exact version.
#
#   scripts/pin.sh            # then review `git diff constraints.txt`, run scripts/test.sh, commit
#
# The ranges stay in requirements*.txt (what users and execution environments
# need); constraints.txt is what the demo, the tests and CI install.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --upgrade pip
"$work/venv/bin/python" -m pip install -q -r requirements-test.txt
"$work/venv/bin/python" -m pip check
{
  echo "# Exact versions that scripts/bootstrap.sh installs (pip install -c constraints.txt)."
  echo "# Made by scripts/pin.sh on $(date -u +%Y-%m-%d) with $("$work/venv/bin/python" --version); do not edit by hand."
  "$work/venv/bin/python" -m pip freeze --all --exclude-editable | LC_ALL=C sort -f -t= -k1,1
} > constraints.txt
echo "pin.sh: wrote constraints.txt ($(grep -vc '^#' constraints.txt) packages)"
