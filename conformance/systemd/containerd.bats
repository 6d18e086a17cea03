#!/usr/bin/env bats
# containerd (Debian's 1.6, the system daemon in its default configuration) through ctr on a
# booted systemd + cgroup v2 host (hack/vm/run-systemd), the runc v2 shim running the runtime
# under test with the systemd cgroup driver: `ctr run --runc-binary RUNTIME --runc-systemd-cgroup
# --cgroup system.slice:ctr:<id>`. --runc-systemd-cgroup sets the shim's SystemdCgroup option,
# the one `SystemdCgroup = true` sets in the CRI plugin's runtime options (ctr does not use the
# CRI plugin's configuration); ctr refuses it without a slice:prefix:name --cgroup.

load lib

CD_NS=nucleus-test
ctr_() { timeout "$T" ctr -n "$CD_NS" "$@"; }
REF=docker.io/library/nucleus-busybox:latest

setup_file() {
  export CTID=sdc-${RUNTIME_NAME:-rt}-$RANDOM
  [[ -d /run/systemd/system ]] || return 0
  timeout 120 ctr -n "$CD_NS" image import "$PAYLOAD/image.tar" >/dev/null
}

setup() {
  sd_require
  systemctl -q is-active containerd.service || skip "containerd.service is not active"
}

teardown_file() {
  local c
  for c in $(timeout 30 ctr -n "$CD_NS" task ls -q 2>/dev/null); do
    timeout 30 ctr -n "$CD_NS" task kill -s KILL "$c" >/dev/null 2>&1
    timeout 30 ctr -n "$CD_NS" task delete -f "$c" >/dev/null 2>&1
  done
  for c in $(timeout 30 ctr -n "$CD_NS" container ls -q 2>/dev/null); do
    timeout 30 ctr -n "$CD_NS" container delete "$c" >/dev/null 2>&1
  done
}

task_status() { ctr_ task ls | awk -v id="$1" '$1 == id {print $3}'; }

@test "ctr run --rm --runc-systemd-cgroup: a container runs and prints" {
  run ctr_ run --rm --runc-binary "$RUNTIME" --runc-systemd-cgroup \
    --cgroup "system.slice:ctr:$CTID-rm" "$REF" "$CTID-rm" echo hello from ctr
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  expect_eq "$output" "hello from ctr" "output"
  unit_gone "ctr-$CTID-rm.scope" "/sys/fs/cgroup/system.slice/ctr-$CTID-rm.scope"
}

@test "ctr run -d --memory-limit: the scope unit ctr-<id>.scope and its memory.max" {
  run ctr_ run -d --runc-binary "$RUNTIME" --runc-systemd-cgroup --memory-limit 67108864 \
    --cgroup "system.slice:ctr:$CTID" "$REF" "$CTID" sleep 1000
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  unit=ctr-$CTID.scope
  cg=/sys/fs/cgroup/system.slice/$unit
  expect_prop "$unit" ActiveState active
  expect_prop "$unit" Delegate yes
  pid=$(ctr_ task ls | awk -v id="$CTID" '$1 == id {print $2}')
  expect_eq "$(cgroup_of "$pid")" "$(ccg "/system.slice/$unit")" "cgroup of the init $pid"
  expect_file "/sys/fs/cgroup$(ccg "/system.slice/$unit")/memory.max" 67108864
}

@test "ctr run -d --memory-limit: the scope unit's MemoryMax" {
  skip_unit_props
  expect_prop "ctr-$CTID.scope" MemoryMax 67108864
}

@test "ctr task exec: runs in the container's cgroup" {
  out=$(ctr_ task exec --exec-id e1 "$CTID" cat /proc/self/cgroup 2>"$BATS_TEST_TMPDIR/exec.err") ||
    { cat "$BATS_TEST_TMPDIR/exec.err" >&2; false; }
  # "0::/" with a cgroup namespace, the full path without one
  [[ $out == "0::/" || $out == "0::$(ccg "/system.slice/ctr-$CTID.scope")" ]] ||
    { echo "exec's cgroup: $out" >&2; false; }
}

@test "ctr task pause/resume" {
  cg=/sys/fs/cgroup$(ccg "/system.slice/ctr-$CTID.scope")
  run ctr_ task pause "$CTID"
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  expect_eq "$(task_status "$CTID")" PAUSED "status after pause"
  expect_file "$cg/cgroup.freeze" 1
  run ctr_ task resume "$CTID"
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  expect_eq "$(task_status "$CTID")" RUNNING "status after resume"
}

@test "ctr task kill, task delete, container delete: the scope unit and its cgroup are gone" {
  unit=ctr-$CTID.scope
  run ctr_ task kill -s KILL "$CTID"
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  wait_for bash -c "[[ \$(timeout 30 ctr -n $CD_NS task ls | awk '\$1 == \"$CTID\" {print \$3}') == STOPPED ]]"
  run ctr_ task delete "$CTID"
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  run ctr_ container delete "$CTID"
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  unit_gone "$unit" "/sys/fs/cgroup/system.slice/$unit"
  run bash -c "systemctl list-units --all --plain --no-legend 'ctr-*.scope' | grep -v not-found"
  expect_eq "$output" "" "ctr scopes left"
}
