#!/usr/bin/env bash
# `npm run test:k8s [filter...]`: builds the control plane if needed, starts it, runs the
# *.k8s.test.ts suite against it with KUBECONFIG set and our kubectl first on PATH, then
# stops it, always. Exits with the suite's exit code.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=versions.sh
source "$here/versions.sh"

"$here/build.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/cutover-k8s.XXXXXX")
status=1 # until the suite has run, any exit is a failure
child=
cleanup() {
  [[ -z "$child" ]] || kill -TERM -- "-$child" 2>/dev/null || true
  # Keep the component logs of a failed run for whoever reads the CI output.
  if (( status != 0 )); then "$here/stop.sh" "$dir" --keep-logs; else "$here/stop.sh" "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Children run in the background and are waited for, because bash defers a trap until
# the foreground command ends: Ctrl-C or a CI timeout must tear the cluster down now.
# `set -m` gives each its own process group, so the test runner's own children (node's
# test workers, CLI processes under test) are signalled with it.
run() {
  set -m
  "$@" &
  child=$!
  set +m
  local rc=0
  wait "$child" || rc=$?
  child=
  return "$rc"
}

run "$here/start.sh" "$dir"
set -a
# shellcheck disable=SC1091
source "$dir/env"
set +a
export PATH="$K8S_BIN:$PATH"

cd "$root"
status=0
run node scripts/test.mjs k8s "$@" || status=$?
exit "$status"
