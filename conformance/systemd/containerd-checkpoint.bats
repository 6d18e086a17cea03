#!/usr/bin/env bats
# containerd (Debian's 1.6) checkpoint/restore through ctr with the runtime under test, on the
# booted systemd VM where Debian's CRIU 3.17.1 can dump (hack/vm/run-systemd). The runc v2 shim
# runs `RUNTIME checkpoint --image-path ... --work-path ...` for `ctr containers checkpoint
# --task` (the task goes on running: --leave-running) and `RUNTIME restore --detach
# --pid-file ... --image-path ...` when `ctr containers restore --live` starts the task from the
# checkpoint image. The container counts in /tmp/count; a restored one goes on from there.

load lib

CD_NS=nucleus-cr-test
ctr_() { timeout "$T" ctr -n "$CD_NS" "$@"; }
REF=docker.io/library/nucleus-busybox:latest

setup_file() {
  export CTID=cdcr-${RUNTIME_NAME:-rt}-$RANDOM
  [[ -d /run/systemd/system ]] || return 0
  timeout 120 ctr -n "$CD_NS" image import "$PAYLOAD/image.tar" >/dev/null
}

setup() {
  sd_require
  systemctl -q is-active containerd.service || skip "containerd.service is not active"
  command -v criu >/dev/null || skip "criu is not installed in this VM"
  timeout 60 criu check >/dev/null 2>&1 || skip "criu check fails on this kernel ($(uname -r))"
}

teardown_file() {
  local c i
  for c in $(timeout 30 ctr -n "$CD_NS" task ls -q 2>/dev/null); do
    timeout 30 ctr -n "$CD_NS" task kill -s KILL "$c" >/dev/null 2>&1
    for ((i = 0; i < 20; i++)); do
      timeout 30 ctr -n "$CD_NS" task delete -f "$c" >/dev/null 2>&1 && break
      sleep 0.5
    done
  done
  for c in $(timeout 30 ctr -n "$CD_NS" container ls -q 2>/dev/null); do
    timeout 30 ctr -n "$CD_NS" container delete "$c" >/dev/null 2>&1
  done
  for c in $(timeout 30 ctr -n "$CD_NS" image ls -q 2>/dev/null); do
    timeout 30 ctr -n "$CD_NS" image rm "$c" >/dev/null 2>&1
  done
}

task_status() { ctr_ task ls | awk -v id="$1" '$1 == id {print $3}'; }

# the loop writes "TOKEN N": TOKEN is drawn once when the shell starts, so a restored process
# keeps it and a fresh start would not
counter_line() { ctr_ task exec --exec-id "c$RANDOM" "$1" cat /tmp/count 2>/dev/null; }
count() {
  local v
  v=$(counter_line "$1")
  v=${v#* }
  echo "${v:-0}"
}
token() { local v; v=$(counter_line "$1"); echo "${v% *}"; }

wait_count() {
  local i
  for ((i = 0; i < 50; i++)); do
    [[ $(count "$1") -ge $2 ]] && return 0
    sleep 0.2
  done
  echo "$1: the counter is at $(count "$1"), not $2" >&2
  return 1
}

stop_task() { # ID: kill the task, wait for it to stop, delete task and container
  local i
  ctr_ task kill -s KILL "$1" >/dev/null 2>&1
  for ((i = 0; i < 50; i++)); do
    [[ $(task_status "$1") == STOPPED || -z $(task_status "$1") ]] && break
    sleep 0.2
  done
  ctr_ task delete "$1" >/dev/null 2>&1
  ctr_ container delete "$1" >/dev/null
}

@test "ctr containers checkpoint --task: the task goes on running, the image holds the checkpoint" {
  run ctr_ run -d --runc-binary "$RUNTIME" --runc-systemd-cgroup \
    --cgroup "system.slice:ctr:$CTID" "$REF" "$CTID" sh -c \
    't=$(od -An -N4 -tu4 /dev/urandom | tr -d " "); i=0; while true; do i=$((i+1)); echo "$t $i" > /tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.2; done'
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  wait_count "$CTID" 3
  token "$CTID" >"$BATS_FILE_TMPDIR/token"
  run ctr_ containers checkpoint --task "$CTID" "checkpoint/$CTID:1"
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  expect_eq "$(task_status "$CTID")" RUNNING "status after checkpoint"
  run ctr_ image ls -q
  [[ $output == *"checkpoint/$CTID:1"* ]] || { echo "images: $output" >&2; false; }
  # still counting
  n=$(count "$CTID")
  wait_count "$CTID" $((n + 2))
}

@test "ctr containers restore --live: a new task from the checkpoint goes on counting" {
  n_before=$(count "$CTID")
  stop_task "$CTID"
  run ctr_ containers restore --live "$CTID" "checkpoint/$CTID:1"
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  wait_for bash -c "[[ \$(timeout 30 ctr -n $CD_NS task ls | awk '\$1 == \"$CTID\" {print \$3}') == RUNNING ]]"
  n=$(count "$CTID")
  # the checkpoint was taken at >= 3 by the shell that drew the token: the restored loop goes on
  # from there with the same token (a fresh start draws another and counts from 1)
  expect_eq "$(token "$CTID")" "$(cat "$BATS_FILE_TMPDIR/token")" "the counter's token after restore"
  [[ $n -ge 3 ]] || { echo "counter restarted: $n (was $n_before when stopped)" >&2; false; }
  wait_count "$CTID" $((n + 3))
  # the restored task is a normal container of the runtime: exec, kill, delete
  pid=$(ctr_ task ls | awk -v id="$CTID" '$1 == id {print $2}')
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid"
  stop_task "$CTID"
  unit_gone "ctr-$CTID.scope" "/sys/fs/cgroup/system.slice/ctr-$CTID.scope"
}
