#!/usr/bin/env bats
# A Kubernetes node's day through the CRI: containerd 1.6's CRI plugin with nucleus-oci as the
# default runtime handler ("nucleus", io.containerd.runc.v2 + BinaryName) and runc as a second
# one, driven with crictl the way kubelet drives it. The node (kubernetes.bash) is private: a
# containerd, a registry and CNI under a temp dir, in a network and IPC namespace of its own.
#
# crictl is not packaged in Debian 12: it is $CRICTL, crictl from PATH, or $CRITEST_DIR/crictl
# (a cri-tools build made by hand, see critest.sh); without one every test skips with the reason.
# By hand:
#   CRITEST_DIR=/opt/cri-tools NUCLEUS_OCI=$PWD/build/runtime/nucleus-oci NUCLEUS_SRC=$PWD \
#     bats conformance/kubernetes/crictl.bats
# RUNTIME=runc runs the same day with runc as the default handler.
load ../helpers/common
load kubernetes

BUSYBOX=registry.k8s.io/e2e-test-images/busybox:1.29-2

setup_file() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "SKIP: conformance tests need root" >&3
    return 0
  fi
  if ! CRICTL=$(k8s_find_crictl); then
    echo "SKIP: no crictl (not packaged in Debian 12): set CRITEST_DIR to a cri-tools build (conformance/kubernetes/README.md)" >&3
    return 0
  fi
  export CRICTL
  k8s_install_deps || return 1
  RUNTIME=$(find_runtime) || return 1
  RUNTIME_NAME=$("$RUNTIME" --version 2>/dev/null | awk 'NR==1 {print $1}')
  export RUNTIME RUNTIME_NAME
  # short: containerd's socket paths must fit in 107 bytes
  K8S_DIR=$(mktemp -d /tmp/k8s-nucleus.XXXXXX)
  export K8S_DIR
  k8s_start "$K8S_DIR" || return 1
  crictl_ pull "$BUSYBOX" >/dev/null || return 1
}

teardown_file() {
  [[ -n ${K8S_DIR:-} ]] || return 0
  k8s_remove_all
  k8s_stop
}

setup() {
  [[ $(id -u) -eq 0 ]] || skip "conformance tests need root"
  [[ -n ${CRICTL:-} ]] || skip "no crictl (not packaged in Debian 12): set CRITEST_DIR to a cri-tools build"
  N=$BATS_TEST_NUMBER
  J=$BATS_TEST_TMPDIR
}

teardown() {
  [[ -n ${CRICTL:-} && -n ${K8S_DIR:-} ]] || return 0
  local rc=0
  k8s_remove_all
  # nothing of the test's pods may be left: runtime state, shims' tasks, cgroups
  local left
  left=$(ls -A "$K8S_DIR/runtime-root/nucleus/k8s.io" "$K8S_DIR/runtime-root/runc/k8s.io" 2>/dev/null | grep -v ':$' | grep . || true)
  [[ -z $left ]] || { echo "LEAK: runtime state left: $left" >&2; rc=1; }
  left=$(find /sys/fs/cgroup/*/"$K8S_CGROUP_PARENT" -mindepth 1 -type d 2>/dev/null || true)
  [[ -z $left ]] || { echo "LEAK: cgroups left: $left" >&2; rc=1; }
  return $rc
}

# pod NAME [JQ]: runs a pod sandbox (handler: $HANDLER if set); POD is its id
pod() {
  jq -n --arg n "$1-$N" --arg logs "$J/logs" --arg parent "/$K8S_CGROUP_PARENT" '{
    metadata: {name: $n, namespace: "nucleus", uid: ($n + "-uid"), attempt: 0},
    hostname: $n, log_directory: $logs,
    linux: {cgroup_parent: $parent, security_context: {namespace_options: {}}}
  }' | jq "${2:-.}" > "$J/pod-$1.json"
  mkdir -p "$J/logs"
  POD=$(crictl_ runp ${HANDLER:+--runtime "$HANDLER"} "$J/pod-$1.json") || return 1
  POD_JSON=$J/pod-$1.json
}

# ctr NAME JQ CMD...: creates and starts a container of $POD running CMD; C is its id
ctr() {
  local name=$1 filter=$2
  shift 2
  # (one --arg per word: jq would take a "-c" among --args as its own flag)
  local cmd='[]' a
  for a in "$@"; do cmd=$(jq -c --arg v "$a" '. + [$v]' <<<"$cmd"); done
  jq -n --arg n "$name" --arg img "$BUSYBOX" --argjson cmd "$cmd" '{
    metadata: {name: $n}, image: {image: $img}, command: $cmd,
    log_path: ($n + ".log"), linux: {security_context: {}}
  }' | jq "$filter" > "$J/ctr-$name.json"
  C=$(crictl_ create "$POD" "$J/ctr-$name.json" "$POD_JSON") || return 1
  crictl_ start "$C" >/dev/null || return 1
}

# state_of CID: CONTAINER_RUNNING, CONTAINER_EXITED...
state_of() { crictl_ inspect -o json "$1" | jq -r .status.state; }

@test "the handlers: nucleus-oci runs the default handler's pods, runc the \"runc\" handler's" {
  pod default
  ctr web . sleep 1000
  run "$RUNTIME" --root "$K8S_DIR/runtime-root/nucleus/k8s.io" state "$C"
  expect_status 0
  expect_eq "$(jq -r .status <<<"$output")" running "state of the container, from $RUNTIME"
  local nucleus_pod=$POD
  HANDLER=runc pod other
  ctr web2 . sleep 1000
  run runc --root "$K8S_DIR/runtime-root/runc/k8s.io" state "$C"
  expect_status 0
  run runc --root "$K8S_DIR/runtime-root/runc/k8s.io" state "$nucleus_pod"
  expect_failure
}

@test "two containers of a pod share localhost, the pod's IP and hostname" {
  pod web
  ctr server . sh -c 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www'
  ctr client . sleep 1000
  local ip
  ip=$(crictl_ inspectp -o json "$POD" | jq -r .status.network.ip)
  [[ $ip == 10.88.* ]] || fail "pod IP: $ip"
  run crictl_ exec "$C" sh -c 'for i in $(seq 50); do wget -q -O- http://127.0.0.1:8080/ && exit 0; sleep 0.1; done; exit 1'
  expect_status 0
  expect_eq "$output" "hello from web-$N" "page served by the other container"
  run crictl_ exec "$C" sh -c 'ip -4 -o addr show eth0'
  expect_status 0
  expect_output_contains "$ip/"
}

@test "crictl exec -it runs in a terminal, exec without it does not; attach reaches the container's stdin" {
  pod shell
  ctr sh '.stdin = true' sh -c 'while read -r l; do echo "got:$l"; done'
  run script -qec "$(printf '%q ' nsenter --net="$K8S_DIR/ns/net" --ipc="$K8S_DIR/ns/ipc" -- \
    "$CRICTL" --runtime-endpoint "unix://$K8S_SOCK" --timeout 60s exec -it "$C" sh -c 'tty; echo in-a-tty')" /dev/null
  expect_status 0
  expect_output_contains /dev/pts/ in-a-tty
  run crictl_ exec "$C" sh -c 'tty; echo no-tty'
  expect_output_contains "not a tty" no-tty
  # attach: our stdin goes to the container's sh, its answer to the container's log
  echo attached-line | timeout 10 nsenter --net="$K8S_DIR/ns/net" --ipc="$K8S_DIR/ns/ipc" -- \
    "$CRICTL" --runtime-endpoint "unix://$K8S_SOCK" --timeout 60s attach -i "$C" > "$J/attach.out" 2>&1 || true
  local i
  for i in $(seq 50); do crictl_ logs "$C" 2>&1 | grep -q got:attached-line && break; sleep 0.1; done
  run crictl_ logs "$C"
  expect_output_contains got:attached-line
}

@test "a container over its memory limit is reported OOMKilled (exit 137)" {
  pod oom
  ctr hog '.linux.resources.memory_limit_in_bytes = 33554432' sh -c 'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived'
  local i st
  for i in $(seq 150); do [[ $(state_of "$C") == CONTAINER_EXITED ]] && break; sleep 0.2; done
  st=$(crictl_ inspect -o json "$C")
  expect_eq "$(jq -r .status.state <<<"$st")" CONTAINER_EXITED state
  expect_eq "$(jq -r .status.reason <<<"$st")" OOMKilled reason
  expect_eq "$(jq -r .status.exitCode <<<"$st")" 137 "exit code"
}

@test "seccomp RuntimeDefault: the container runs under containerd's default profile (unshare refused); Unconfined: no filter" {
  pod secure
  ctr confined '.linux.security_context.seccomp = {profile_type: 0}' sleep 1000
  run crictl_ exec "$C" sh -c 'grep ^Seccomp: /proc/self/status; unshare -U true && echo UNSHARED'
  expect_output_contains "Seccomp:	2"
  [[ $output != *UNSHARED* ]] || fail "unshare allowed under RuntimeDefault: $output"
  ctr free '.linux.security_context.seccomp = {profile_type: 1}' sleep 1000
  run crictl_ exec "$C" sh -c 'grep ^Seccomp: /proc/self/status; unshare -U true && echo UNSHARED'
  expect_output_contains "Seccomp:	0" UNSHARED
}

@test "crictl stats: the container's CPU and memory, from its cgroup" {
  pod stats
  ctr busy . sh -c 'x=$(head -c 4000000 /dev/zero | tr "\0" a); while :; do :; done'
  sleep 2
  run crictl_ stats -o json --id "$C"
  expect_status 0
  local cpu mem
  cpu=$(jq -r '.stats[0].cpu.usageCoreNanoSeconds.value' <<<"$output")
  mem=$(jq -r '.stats[0].memory.workingSetBytes.value' <<<"$output")
  [[ $cpu =~ ^[0-9]+$ && $cpu -gt 500000000 ]] || fail "cpu usage: $cpu ns after 2 s of a busy loop: $output"
  [[ $mem =~ ^[0-9]+$ && $mem -gt 4000000 ]] || fail "working set: $mem bytes with 8 MB in use: $output"
  expect_eq "$(jq -r '.stats[0].attributes.id' <<<"$output")" "$C" "stats id"
}

# run_to_exit NAME JQ CMD...: a container that runs CMD to its end; C its id, EXIT its exit code
run_to_exit() {
  ctr "$@" || return 1
  local i
  for i in $(seq 150); do [[ $(state_of "$C") == CONTAINER_EXITED ]] && break; sleep 0.1; done
  EXIT=$(crictl_ inspect -o json "$C" | jq -r .status.exitCode)
}

@test "seccomp Localhost: a profile made by 'nucleus-oci seccomp generate' from a trace of the same container (trace annotation through the CRI)" {
  [[ $RUNTIME_NAME == nucleus-oci ]] || skip "trace mode and seccomp generate are nucleus-oci's"
  local work='cat /etc/hostname; ls / >/dev/null; echo done-$((6 * 7))'
  pod traced
  run_to_exit tracer ".annotations = $(jq -nc --arg t "$J/trace.ndjson" '{"org.nucleus.seccomp.trace": $t}')" sh -c "$work"
  expect_eq "$EXIT" 0 "exit code of the traced run"
  local i
  for i in $(seq 50); do [[ -s $J/trace.ndjson ]] && break; sleep 0.1; done
  run "$RUNTIME" seccomp generate "$J/trace.ndjson" -o "$J/profile.json"
  expect_status 0
  # the same work under the generated profile: runs; something it never did: refused
  local localhost
  localhost=".linux.security_context.seccomp = $(jq -nc --arg p "$J/profile.json" '{profile_type: 2, localhost_ref: $p}')"
  run_to_exit confined "$localhost" sh -c "$work"
  expect_eq "$EXIT" 0 "exit code under the generated profile"
  run crictl_ logs "$C"
  expect_output_contains "traced-$N" done-42
  run_to_exit other "$localhost" sh -c "$work; mkdir /made-here && echo MADE"
  run crictl_ logs "$C"
  expect_output_contains done-42
  [[ $output != *MADE* ]] || fail "mkdir ran under a profile made without it: $output"
}
