#!/usr/bin/env bash
# Starts a throwaway control plane on free loopback ports:
#   etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok and one kwok Node.
# The binaries come from build.sh (run it first). Returns once the API server is ready,
# the node is Ready and the default ServiceAccount exists (the controllers are working).
#
#   start.sh <dir>     <dir> receives pki/, logs/, etcd data, kubeconfig and env
#
# <dir>/env is shell-sourceable: KUBECONFIG, CUTOVER_K8S_DIR, CUTOVER_K8S_BIN,
# CUTOVER_K8S_PIDS (one process group per component) and the ports. stop.sh <dir> undoes it,
# also after a failed or interrupted start.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.sh
source "$here/versions.sh"

dir=${1:?usage: start.sh <dir>}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
[[ ! -e "$dir/pids" ]] || { echo "start.sh: $dir is in use; run stop.sh $dir first" >&2; exit 1; }
"$here/build.sh" --check || { echo "start.sh: binaries missing in $K8S_BIN; run build.sh" >&2; exit 1; }

log() { printf '[k8s-testenv start %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
t0=$(date +%s%N)
pki="$dir/pki"
logs="$dir/logs"
mkdir -p "$pki" "$logs" "$dir/etcd"
pids=()
trap 'exit 130' INT TERM

fail() {
  echo "start.sh: $*" >&2
  local f
  for f in "$logs"/*.log; do
    [[ -s "$f" ]] || continue
    echo "----- last lines of $f" >&2
    tail -n 15 "$f" >&2
  done
  "$here/stop.sh" "$dir" --keep-logs >&2 || true
  exit 1
}

# The kernel picks a free port; it is released right away and bound again by the
# component a moment later, which is fine on a loopback-only test machine.
free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Each component runs in its own session, so its process group id is its pid and
# stop.sh can end exactly the processes started here.
launch() { # name, argv...
  local name=$1
  shift
  setsid "$@" >"$logs/$name.log" 2>&1 </dev/null &
  pids+=("$!")
  # Recorded at once, so stop.sh can clean up even if this script is interrupted.
  echo "$!" >>"$dir/pids"
}

wait_until() { # seconds, description, command...
  local limit=$1 what=$2 deadline
  shift 2
  deadline=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s) < deadline )) || fail "$what did not happen within ${limit}s"
    sleep 0.2
  done
}

# --- credentials ------------------------------------------------------------------------
# One CA signs the API server's and kwok's serving certificates, so clients verify TLS
# instead of skipping it. EC keys: quick to generate, accepted everywhere here.
ssl() { openssl "$@" 2>/dev/null; }
ssl ecparam -name prime256v1 -genkey -noout -out "$pki/ca.key"
ssl req -x509 -new -key "$pki/ca.key" -subj "/CN=cutover-testenv-ca" -days 30 -out "$pki/ca.crt"
serving_cert() { # name, subjectAltName
  ssl ecparam -name prime256v1 -genkey -noout -out "$pki/$1.key"
  ssl req -new -key "$pki/$1.key" -subj "/CN=$1" -out "$pki/$1.csr"
  ssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 30 \
    -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$2") -out "$pki/$1.crt"
}
serving_cert apiserver "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
serving_cert kwok "IP:127.0.0.1,DNS:localhost,DNS:kwok-node-0"
# Service-account tokens are signed with this key by the API server and the
# controller-manager's token controller, and verified with its public half.
ssl ecparam -name prime256v1 -genkey -noout -out "$pki/sa.key"
ssl ec -in "$pki/sa.key" -pubout -out "$pki/sa.pub"
[[ -s "$pki/sa.pub" && -s "$pki/kwok.crt" && -s "$pki/apiserver.crt" ]] || fail "openssl could not create the certificates"

token() { openssl rand -hex 24; }
admin_token=$(token)
cm_token=$(token)
sched_token=$(token)
kwok_token=$(token)
# Static token authentication: token,user,uid,"groups". The controller-manager and
# scheduler users are the ones the RBAC bootstrap policy already grants rights to.
cat >"$pki/tokens.csv" <<EOF
$admin_token,cutover-admin,cutover-admin,"system:masters"
$cm_token,system:kube-controller-manager,system:kube-controller-manager
$sched_token,system:kube-scheduler,system:kube-scheduler
$kwok_token,kwok-controller,kwok-controller
EOF
chmod 600 "$pki"/*.key "$pki/tokens.csv"

api_port=$(free_port)
server="https://127.0.0.1:$api_port"
kubeconfig() { # file, user, token
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: testenv
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
- name: $2
  user:
    token: $3
contexts:
- name: testenv
  context:
    cluster: testenv
    user: $2
    namespace: default
current-context: testenv
EOF
  chmod 600 "$1"
}
kubeconfig "$dir/kubeconfig" cutover-admin "$admin_token"
kubeconfig "$pki/controller-manager.kubeconfig" system:kube-controller-manager "$cm_token"
kubeconfig "$pki/scheduler.kubeconfig" system:kube-scheduler "$sched_token"
kubeconfig "$pki/kwok.kubeconfig" kwok-controller "$kwok_token"
kubectl() { "$K8S_BIN/kubectl" --kubeconfig "$dir/kubeconfig" "$@"; }

# --- etcd ---------------------------------------------------------------------------------
etcd_port=$(free_port)
etcd_peer_port=$(free_port)
# --unsafe-no-fsync: the data is thrown away after the run, and fsync dominates etcd's
# latency on shared CI disks.
launch etcd "$K8S_BIN/etcd" --name testenv --data-dir "$dir/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster "testenv=http://127.0.0.1:$etcd_peer_port" --unsafe-no-fsync --log-level warn
wait_until 30 "etcd health on port $etcd_port" curl -sf "http://127.0.0.1:$etcd_port/health"

# --- kube-apiserver -------------------------------------------------------------------------
# --endpoint-reconciler-type=none: the default reconciler would publish 127.0.0.1 as the
# endpoint of the `kubernetes` Service, which endpoint validation rejects (loopback).
launch kube-apiserver "$K8S_BIN/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$etcd_port" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" \
  --token-auth-file "$pki/tokens.csv" \
  --authorization-mode Node,RBAC \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" \
  --service-account-signing-key-file "$pki/sa.key" \
  --service-cluster-ip-range 10.96.0.0/16 \
  --kubelet-certificate-authority "$pki/ca.crt" \
  --kubelet-preferred-address-types InternalIP \
  --endpoint-reconciler-type none \
  --profiling=false
apicurl() { curl -sf --cacert "$pki/ca.crt" -H "Authorization: Bearer $admin_token" "$server$1"; }
wait_until 90 "kube-apiserver /readyz on port $api_port" apicurl /readyz

# --- RBAC for kwok --------------------------------------------------------------------------
# kwok plays every kubelet and needs to write node and pod status, leases and events; it
# gets its own user so the audit trail shows which writes are kwok's.
kubectl apply -f - >/dev/null <<EOF || fail "could not apply RBAC and the kwok CRDs"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: cutover-testenv:kwok
rules:
- apiGroups: [""]
  resources: [nodes, nodes/status, pods, pods/status, events]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, update, patch]
- apiGroups: [kwok.x-k8s.io]
  resources: ["*"]
  verbs: [get, list, watch, create, update, patch, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: cutover-testenv:kwok
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cutover-testenv:kwok
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: kwok-controller
EOF
kubectl apply -f "$K8S_CRDS" >/dev/null || fail "could not apply the kwok CRDs from $K8S_CRDS"

# --- controller-manager and scheduler -------------------------------------------------------
# --authentication-skip-lookup: their own HTTPS endpoints only serve /healthz here, so they
# need not read the front-proxy CA, which this cluster does not have.
cm_port=$(free_port)
launch kube-controller-manager "$K8S_BIN/kube-controller-manager" \
  --kubeconfig "$pki/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$pki/controller-manager.kubeconfig" \
  --authorization-kubeconfig "$pki/controller-manager.kubeconfig" \
  --authentication-skip-lookup \
  --bind-address 127.0.0.1 --secure-port "$cm_port" \
  --controllers '*' \
  --use-service-account-credentials \
  --service-account-private-key-file "$pki/sa.key" \
  --root-ca-file "$pki/ca.crt" \
  --leader-elect=false
sched_port=$(free_port)
launch kube-scheduler "$K8S_BIN/kube-scheduler" \
  --kubeconfig "$pki/scheduler.kubeconfig" \
  --authentication-kubeconfig "$pki/scheduler.kubeconfig" \
  --authorization-kubeconfig "$pki/scheduler.kubeconfig" \
  --authentication-skip-lookup \
  --bind-address 127.0.0.1 --secure-port "$sched_port" \
  --leader-elect=false

# --- kwok and its node ----------------------------------------------------------------------
# kwok serves the kubelet API (port-forward, logs) on the node's address, so the API
# server reaches it at 127.0.0.1:<kwok_port> like it would reach a real kubelet.
# --node-lease-duration-seconds: without it (run without a KwokConfiguration) kwok renews no
# node Lease, the node controller marks the node NotReady after its grace period (~50s) and
# with it every pod, so endpoints flap in any test that runs longer than that.
kwok_port=$(free_port)
stage_args=()
for s in "$K8S_STAGES"/*.yaml "$here"/stages/*.yaml; do stage_args+=(--config "$s"); done
launch kwok "$K8S_BIN/kwok" \
  --kubeconfig "$pki/kwok.kubeconfig" \
  --manage-all-nodes=true \
  "${stage_args[@]}" \
  --enable-crds PortForward,ClusterPortForward,Logs,ClusterLogs \
  --node-ip 127.0.0.1 --node-port "$kwok_port" --server-address "127.0.0.1:$kwok_port" \
  --tls-cert-file "$pki/kwok.crt" --tls-private-key-file "$pki/kwok.key" \
  --cidr 10.244.0.1/16 \
  --node-lease-duration-seconds 40

kubectl apply -f - >/dev/null <<EOF || fail "could not create the kwok node"
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: kwok-node-0
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
EOF

for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || fail "a component exited during start (pid $p)"; done
node_ready() {
  [[ $(kubectl get node kwok-node-0 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]]
}
wait_until 60 "node kwok-node-0 Ready" node_ready
wait_until 60 "ServiceAccount default/default (controller-manager)" kubectl get serviceaccount default -n default

cat >"$dir/env" <<EOF
KUBECONFIG=$dir/kubeconfig
CUTOVER_K8S_DIR=$dir
CUTOVER_K8S_BIN=$K8S_BIN
CUTOVER_K8S_VERSION=$K8S_VERSION
CUTOVER_K8S_SERVER=$server
CUTOVER_K8S_NODE=kwok-node-0
CUTOVER_K8S_PORTS="etcd=$etcd_port apiserver=$api_port controller-manager=$cm_port scheduler=$sched_port kwok=$kwok_port"
CUTOVER_K8S_PIDS="${pids[*]}"
EOF
log "ready in $(( ($(date +%s%N) - t0) / 1000000 ))ms: $server (KUBECONFIG=$dir/kubeconfig)"
