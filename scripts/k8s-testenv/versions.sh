# Pinned versions and cache paths of the Kubernetes test environment (sourced, not run).
# Kubernetes 1.36 is built with Go 1.26, the toolchain here. v1.36.3 is its newest patch
# that the checksum database (sum.golang.org) knows: v1.36.5's lookup answers 404.
K8S_VERSION="${CUTOVER_K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${CUTOVER_ETCD_VERSION:-v3.6.16}"
KWOK_VERSION="${CUTOVER_KWOK_VERSION:-v0.8.0}"

KUBE_COMPONENTS="kube-apiserver kube-controller-manager kube-scheduler kubectl"
# Stage files inside the kwok module (kustomize/stage/...): the "fast" variants skip
# the artificial delays of the "general" ones, which keeps tests quick.
KWOK_STAGE_PATHS="node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml
pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml"
# kwok's own resources that tests create at run time: PortForward points a fake pod's
# port at a real local server, Logs gives a fake container a log file.
KWOK_CRDS="portforwards clusterportforwards logs clusterlogs"

K8S_CACHE_ROOT="${CUTOVER_K8S_CACHE:-$HOME/.cache/cutover/k8s}"
K8S_HOME="$K8S_CACHE_ROOT/$K8S_VERSION"
K8S_BIN="$K8S_HOME/bin"
K8S_STAGES="$K8S_HOME/stages"
K8S_CRDS="$K8S_HOME/crds"
