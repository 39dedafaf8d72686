#!/usr/bin/env bash
# Sets everything up, then runs the whole test suite: unit tests, linters,
# ansible-test sanity, units and integration (its targets run on loopback), and
# the integration tests that run the real playbooks over real SSH on a namespace lab.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --test
export PATH="$PWD/.venv/bin:$PATH"
status=0
run() {
  echo "=== $*"
  "$@" || { echo "=== FAILED: $*"; status=1; }
}
run yamllint -s .
run ansible-lint --profile production
run antsibull-docs lint-collection-docs --plugin-docs .
run tests/ansible_test/run.sh sanity units integration
# ansible-test units runs tests/unit (the same tests plain pytest would) in its own tree.
run python -m pytest -p no:cacheprovider -v tests/integration
run extensions/molecule/run.sh
exit $status
