#!/usr/bin/env bash
# Builds the execution environment of execution-environment.yml:
#
#   extensions/ee/build.sh                 # image apetools-iperf-ee:<version> and :latest
#   extensions/ee/build.sh --context-only  # only the build context (no podman/docker needed)
#
# First builds this checkout's collection into
# extensions/ee/apetools-iperf-latest.tar.gz (git-ignored), from what git
# tracks plus untracked files that are not ignored, as in a fresh clone.
# Context folder: $APETOOLS_EE_CONTEXT, default /tmp/apetools-iperf-ee.
# Extra arguments go to `ansible-builder build` (e.g. --container-runtime docker).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export PATH="$root/.venv/bin:$PATH"
context=${APETOOLS_EE_CONTEXT:-/tmp/apetools-iperf-ee}
mode=build
if [[ ${1-} == --context-only ]]; then mode=create; shift; fi

version=$(python3 -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/src"
# .collections/ is the symlink that makes the checkout resolve as apetools.iperf;
# it must not end up inside the collection.
git ls-files -z --cached --others --exclude-standard | grep -zv '^\.collections/' |
  xargs -0 cp --parents -t "$stage/src"
ansible-galaxy collection build "$stage/src" --output-path "$stage" >/dev/null
cp "$stage/apetools-iperf-$version.tar.gz" extensions/ee/apetools-iperf-latest.tar.gz
echo "build.sh: collection apetools.iperf $version -> extensions/ee/apetools-iperf-latest.tar.gz"

if [[ $mode == create ]]; then
  ansible-builder create -f execution-environment.yml --context "$context" "$@"
else
  ansible-builder build -f execution-environment.yml --context "$context" \
    --tag "apetools-iperf-ee:$version" --tag apetools-iperf-ee:latest "$@"
fi
