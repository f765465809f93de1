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
cleanup() {
  # Keep the component logs of a failed run for whoever reads the CI output.
  if (( status != 0 )); then "$here/stop.sh" "$dir" --keep-logs; else "$here/stop.sh" "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$here/start.sh" "$dir"
set -a
# shellcheck disable=SC1091
source "$dir/env"
set +a
export PATH="$K8S_BIN:$PATH"

cd "$root"
status=0
node scripts/test.mjs k8s "$@" || status=$?
exit "$status"
