#!/usr/bin/env bash
# The session playbook on the embedded default inventory (the README's first
# command), with its results and the hosts' state folder in a temporary folder.
set -eux
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# needs/file (aliases) copies the inventory to the same place in ansible-test's work tree.
inventory=../../../../inventories/local/hosts.yml
ansible-playbook -i "$inventory" apetools.iperf.session -e iperf_time=1 \
  -e "iperf_output_dir=$work/results" -e "iperf_remote_dir=$work/state" "$@"
python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
records = json.load(open(os.path.join(work, 'results', 'latest', 'summary.json')))
got = sorted((r['node'], r['direction'], r['succeeded']) for r in records)
assert got == [('local-node', 'from_node', True), ('local-node', 'to_node', True)], got
assert all(r['throughput_bps'] > 0 for r in records), records
# The run's end gave the hosts back and removed the run's folders on them.
state = os.path.join(work, 'state')
assert not os.path.lexists(os.path.join(state, 'locks', 'iperf.lock')), os.listdir(os.path.join(state, 'locks'))
left = [os.path.join(top, name) for top, dirs, files in os.walk(state) for name in files]
assert not left, left
print('session_local: 2 tests succeeded; nothing left in', state)
PY
