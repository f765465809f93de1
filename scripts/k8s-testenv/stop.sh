#!/usr/bin/env bash
# Stops a control plane started by start.sh and removes its directory.
#
#   stop.sh <dir> [--keep-logs]    --keep-logs (or CUTOVER_K8S_KEEP_LOGS=1) keeps <dir>/logs
#
# Idempotent: a second call, or a call for a half-started environment, is harmless.
set -uo pipefail

dir=${1:?usage: stop.sh <dir> [--keep-logs]}
keep_logs=${CUTOVER_K8S_KEEP_LOGS:-0}
[[ "${2:-}" == --keep-logs ]] && keep_logs=1
[[ -d "$dir" ]] || exit 0

pids=""
[[ -f "$dir/pids" ]] && pids=$(tr '\n' ' ' <"$dir/pids")

# Each pid leads its own process group (start.sh uses setsid): signal the groups, in
# reverse start order so kwok and the controllers go before the API server and etcd.
# The data is thrown away, so whatever has not exited 2s after SIGTERM gets SIGKILL.
# A process counts as gone once it is a zombie: reaping it is up to init, not us.
alive() {
  ps -e -o pgid=,stat= | awk -v ids=" $pids " 'index(ids, " " $1 " ") && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}
reversed=$(printf '%s\n' $pids | tac)
for p in $reversed; do kill -TERM -- "-$p" 2>/dev/null; done
for _ in $(seq 1 20); do alive || break; sleep 0.1; done
for p in $reversed; do kill -KILL -- "-$p" 2>/dev/null; done
for _ in $(seq 1 10); do alive || break; sleep 0.1; done

if [[ "$keep_logs" == 1 ]]; then
  find "$dir" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} +
  echo "stop.sh: logs kept in $dir/logs" >&2
else
  rm -rf "$dir"
fi
