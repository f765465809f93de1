#!/usr/bin/env bash
# Builds the binaries of the Kubernetes test environment from the Go module proxy:
# kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd and kwok.
#
# Idempotent: a binary is rebuilt only when it is missing or reports another version.
# Output: ${CUTOVER_K8S_CACHE:-~/.cache/cutover/k8s}/<k8s version>/{bin,stages}
#
#   build.sh            build what is missing
#   build.sh --check    exit 0 if everything is cached at the right version, 1 otherwise
#   build.sh --prune    after building, drop the Go build cache (keeps the binaries)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.sh
source "$here/versions.sh"

mode=build
prune=0
for arg in "$@"; do
  case "$arg" in
    --check) mode=check ;;
    --prune) prune=1 ;;
    *) echo "build.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

log() { printf '[k8s-testenv build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Each check runs the binary and compares the version it reports, so a stale or
# half-written binary from an older run is rebuilt instead of trusted.
kube_ok() { # name
  local bin="$K8S_BIN/$1" out
  [[ -x "$bin" ]] || return 1
  if [[ "$1" == kubectl ]]; then
    out=$("$bin" version --client 2>/dev/null) || return 1
  else
    out=$("$bin" --version 2>/dev/null) || return 1
  fi
  [[ "$out" == *"$K8S_VERSION"* ]]
}
etcd_ok() {
  [[ -x "$K8S_BIN/etcd" ]] || return 1
  local out
  out=$("$K8S_BIN/etcd" --version 2>/dev/null) || return 1
  [[ "$out" == *"etcd Version: ${ETCD_VERSION#v}"* ]]
}
kwok_ok() {
  [[ -x "$K8S_BIN/kwok" ]] || return 1
  local out
  out=$("$K8S_BIN/kwok" --version 2>/dev/null) || return 1
  [[ "$out" == *"${KWOK_VERSION#v}"* ]] || return 1
  local s
  for s in $KWOK_STAGE_PATHS; do [[ -s "$K8S_STAGES/$(basename "$s")" ]] || return 1; done
  for s in $KWOK_CRDS; do [[ -s "$K8S_CRDS/kwok.x-k8s.io_$s.yaml" ]] || return 1; done
}
all_ok() {
  local c
  for c in $KUBE_COMPONENTS; do kube_ok "$c" || return 1; done
  etcd_ok && kwok_ok
}

if [[ "$mode" == check ]]; then
  all_ok && exit 0 || exit 1
fi

if all_ok; then
  log "cached: $K8S_BIN (kubernetes $K8S_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION)"
  exit 0
fi

command -v go >/dev/null || { echo "build.sh: go is required to build the test environment" >&2; exit 1; }
mkdir -p "$K8S_BIN" "$K8S_STAGES" "$K8S_CACHE_ROOT"

# Two concurrent runs (two engineers, or CI retries) must not build into the same
# directory at once; the second waits and then finds everything cached.
exec 9>"$K8S_CACHE_ROOT/.build.lock"
flock 9
if all_ok; then log "cached (built by a concurrent run)"; exit 0; fi

# A dedicated Go cache keeps the build reproducible and its disk use measurable; set
# CUTOVER_K8S_GOCACHE_SHARED=1 to reuse the user's own module and build caches.
if [[ "${CUTOVER_K8S_GOCACHE_SHARED:-0}" != 1 ]]; then
  export GOPATH="$K8S_CACHE_ROOT/go"
  export GOMODCACHE="$GOPATH/pkg/mod"
  export GOCACHE="$K8S_CACHE_ROOT/go-build"
fi
export CGO_ENABLED=0
export GOTOOLCHAIN=local
export GOFLAGS="-trimpath -buildvcs=false -mod=mod"
export GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}"
jobs="${CUTOVER_K8S_BUILD_JOBS:-2}"
timings="$K8S_HOME/build-times.txt"
started=$(date +%s)

step() { # label, command...
  local label=$1 t0 rc=0
  shift
  t0=$(date +%s)
  log "$label ..."
  "$@" || rc=$?
  if (( rc != 0 )); then log "$label failed (exit $rc)"; exit "$rc"; fi
  printf '%s %ss\n' "$label" "$(( $(date +%s) - t0 ))" | tee -a "$timings" >&2
}

# --- kwok (plain go install; its stage YAMLs come from the same module) -------------
build_kwok() {
  GOBIN="$K8S_BIN" go install -p "$jobs" -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  local moddir
  moddir=$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | jq -r .Dir)
  # The stages are copied out of the module cache so start.sh keeps working after
  # `go clean -modcache`.
  local s
  for s in $KWOK_STAGE_PATHS; do
    install -m 0644 "$moddir/kustomize/stage/$s" "$K8S_STAGES/$(basename "$s")"
  done
  mkdir -p "$K8S_CRDS"
  for s in $KWOK_CRDS; do
    install -m 0644 "$moddir/kustomize/crd/bases/kwok.x-k8s.io_$s.yaml" "$K8S_CRDS/"
  done
}

# --- wrapper modules -------------------------------------------------------------------
# A module that depends on k8s.io/kubernetes cannot resolve its staging modules: k/k's
# go.mod requires them at v0.0.0 and replaces them with ./staging paths, and replace
# directives only apply in the main module. The wrapper's own go.mod restates those
# replacements, pointing each staging module at its published v0.X.Y tag.
write_kube_wrapper() {
  local dir=$1 kmod staging minor
  kmod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | jq -r .GoMod)
  minor=${K8S_VERSION#v1.}
  staging=$(awk '/^[[:space:]]+k8s\.io\/[^[:space:]]+ v0\.0\.0$/ {print $1}' "$kmod" | sort -u)
  [[ -n "$staging" ]] || { echo "build.sh: no staging modules found in $kmod" >&2; return 1; }
  mkdir -p "$dir"
  {
    echo "module cutover.local/k8s-testenv/kube"
    echo
    echo "go $(awk '/^go /{print $2; exit}' "$kmod")"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    local m
    for m in $staging; do echo "replace $m => $m v0.$minor"; done
  } >"$dir/go.mod"
  : >"$dir/go.sum"
}

write_etcd_wrapper() {
  local dir=$1 emod
  emod=$(go mod download -json "go.etcd.io/etcd/server/v3@$ETCD_VERSION" | jq -r .GoMod)
  mkdir -p "$dir"
  {
    echo "module cutover.local/k8s-testenv/etcd"
    echo
    echo "go $(awk '/^go /{print $2; exit}' "$emod")"
    echo
    echo "require go.etcd.io/etcd/server/v3 $ETCD_VERSION"
    echo
    # Same trick as for Kubernetes: etcd's sibling modules are replaced with local
    # paths in its go.mod, so pin them to the matching release tag here.
    local m
    for m in $(awk '/^[[:space:]]+go\.etcd\.io\/etcd\/[^[:space:]]+ v/ {print $1}' "$emod" | sort -u); do
      echo "replace $m => $m $ETCD_VERSION"
    done
  } >"$dir/go.mod"
  : >"$dir/go.sum"
}

kube_ldflags() {
  local minor=${K8S_VERSION#v1.}
  minor=${minor%%.*}
  local now flags="-s -w" pkg
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  # Without these the binaries report v0.0.0-master, which kubectl warns about and
  # which would defeat the version check above.
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$now -X $pkg.gitCommit=module-$K8S_VERSION"
  done
  printf '%s' "$flags"
}

build_kube() {
  local dir="$K8S_HOME/src/kube" pkgs=() c
  write_kube_wrapper "$dir"
  for c in $KUBE_COMPONENTS; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  (cd "$dir" && go get "${pkgs[@]/%/@$K8S_VERSION}" >/dev/null)
  # One `go build` for all four: their shared packages compile once.
  (cd "$dir" && go build -p "$jobs" -ldflags "$(kube_ldflags)" -o "$K8S_BIN/" "${pkgs[@]}")
}

build_etcd() {
  local dir="$K8S_HOME/src/etcd"
  write_etcd_wrapper "$dir"
  (cd "$dir" && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null)
  (cd "$dir" && go build -p "$jobs" -ldflags "-s -w" -o "$K8S_BIN/etcd" go.etcd.io/etcd/server/v3)
}

log "building into $K8S_BIN (go $(go env GOVERSION), -p $jobs)"
printf -- '--- build %s (go %s, -p %s, %s cores)\n' "$(date -u +%FT%TZ)" "$(go env GOVERSION)" "$jobs" "$(nproc)" >>"$timings"
kwok_ok || step "kwok $KWOK_VERSION" build_kwok
etcd_ok || step "etcd $ETCD_VERSION" build_etcd
need_kube=0
for c in $KUBE_COMPONENTS; do kube_ok "$c" || need_kube=1; done
(( need_kube == 0 )) || step "kubernetes $K8S_VERSION ($KUBE_COMPONENTS)" build_kube

all_ok || { log "binaries built but the version check still fails"; exit 1; }
printf 'total %ss\n' "$(( $(date +%s) - started ))" | tee -a "$timings" >&2
if (( prune == 1 )) && [[ "${CUTOVER_K8S_GOCACHE_SHARED:-0}" != 1 ]]; then
  log "pruning the Go build cache $GOCACHE"
  go clean -cache
fi
log "done: $(du -sh "$K8S_BIN" | cut -f1) in $K8S_BIN"
