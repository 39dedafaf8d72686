#!/usr/bin/env bash
# Runs ansible-test (sanity, units and integration) on a clone of the
# collection, laid out where ansible-test wants it:
# .../ansible_collections/apetools/iperf (a symlink does not work).
# Steps as arguments (sanity units integration); sanity and units by default.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=$root/.venv
work=${APETOOLS_ANSIBLE_TEST_DIR:-/tmp/apetools-ansible-test}

# ansible-test downloads get-pip from a host we cannot reach; give it a stand-in.
pip_version=$("$venv/bin/python" - <<'PY'
import re, ansible_test, os
path = os.path.join(os.path.dirname(ansible_test.__file__), '_internal', 'python_requirements.py')
print(re.search(r"pip='([0-9.]+)'", open(path).read()).group(1))
PY
)
mkdir -p ~/.ansible/test/cache
cp "$root/tests/ansible_test/get_pip_standin.py" ~/.ansible/test/cache/"get_pip_${pip_version//./_}.py"

rm -rf "$work"
mkdir -p "$work/ansible_collections/apetools"
# A clone, as contributors to collections work, with nothing left out; then the
# working tree's changes on top (edited, new and deleted files), so that
# uncommitted work is checked too. ansible-test reads the file list from git.
dest=$work/ansible_collections/apetools/iperf
git clone -q --no-hardlinks "$root" "$dest"
cd "$root"
{ git diff -z --name-only HEAD; git ls-files -z --others --exclude-standard; } | while IFS= read -r -d '' path; do
  if { [ -e "$path" ] || [ -L "$path" ]; } && ! git check-ignore -q --no-index "$path"; then
    cp -P --parents -t "$dest" "$path"
  else
    rm -f "$dest/$path"
  fi
done
cd "$dest"
git add -A >/dev/null
export PATH="$venv/bin:$PATH"
status=0
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(sanity units)
for step in "${steps[@]}"; do
  case $step in
    sanity) ansible-test sanity --python 3.11 --requirements --color no || status=1 ;;
    units) ansible-test units --python 3.11 --requirements --color no || status=1 ;;
    # The targets in tests/integration/targets, on this machine over loopback, with
    # this venv (--local: nothing to install; they need iperf3 and iperf2).
    integration) ansible-test integration --local --python 3.11 --color no || status=1 ;;
    *) echo "unknown step: $step" >&2; exit 2 ;;
  esac
done
exit $status
