#!/usr/bin/env bats
# kill and delete: signals, --all, --force, errors.
load ../helpers/common

# A workload that reports the signals it receives into the rootfs, then exits.
trap_workload() {
  set_cmd 'trap "echo TERM > /sig; exit 0" TERM; trap "echo USR1 > /sig; exit 0" USR1; touch /ready; while :; do sleep 0.1; done'
}

start_trapper() {
  trap_workload
  rt run -d --bundle "$BUNDLE" "$ID"
  wait_for_file "$BUNDLE/rootfs/ready"
}

@test "kill without a signal sends TERM" {
  start_trapper
  run rt kill "$ID"
  expect_status 0
  wait_status "$ID" stopped
  expect_eq "$(cat "$BUNDLE/rootfs/sig")" TERM signal
}

@test "kill by name: TERM, SIGUSR1" {
  start_trapper
  run rt kill "$ID" USR1
  expect_status 0
  wait_status "$ID" stopped
  expect_eq "$(cat "$BUNDLE/rootfs/sig")" USR1 signal
  rt delete "$ID"
  rm -f "$BUNDLE/rootfs/sig" "$BUNDLE/rootfs/ready"
  start_trapper
  run rt kill "$ID" SIGTERM
  expect_status 0
  wait_status "$ID" stopped
  expect_eq "$(cat "$BUNDLE/rootfs/sig")" TERM signal
}

@test "kill ID KILL, kill ID 9, kill ID SIGKILL all stop the container" {
  local sig
  for sig in KILL 9 SIGKILL; do
    set_args sleep 1000
    rt run -d --bundle "$BUNDLE" "$ID"
    run rt kill "$ID" "$sig"
    expect_status 0
    wait_status "$ID" stopped
    rt delete "$ID"
  done
}

@test "kill --all signals every process of the container" {
  set_cmd 'sleep 1000 & sleep 1000 & touch /ready; wait'
  rt run -d --bundle "$BUNDLE" "$ID"
  wait_for_file "$BUNDLE/rootfs/ready"
  run rt kill --all "$ID" KILL
  expect_status 0
  wait_status "$ID" stopped
  # the test's teardown fails if one of the sleeps survived
  local left
  for _ in $(seq 40); do
    left=$(leaked_processes)
    [[ -z $left ]] && break
    sleep 0.05
  done
  [[ -z $left ]] || fail "processes left after kill --all: $left"
}

@test "kill of a created container is allowed" {
  set_args sleep 1000
  rt create --bundle "$BUNDLE" "$ID"
  run rt kill "$ID" KILL
  expect_status 0
  wait_status "$ID" stopped
}

@test "kill of an unknown id: exit 1, 'does not exist'" {
  run rt kill "${ID}nope" KILL
  expect_status 1
  expect_output_contains "does not exist"
}

@test "kill with an invalid signal fails" {
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  run rt kill "$ID" NOTASIGNAL
  expect_failure
  expect_eq "$(status_of "$ID")" running "status after a bad kill"
}

@test "delete of a running container fails without --force" {
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  run rt delete "$ID"
  expect_status 1
  expect_eq "$(status_of "$ID")" running "status after the refused delete"
}

@test "delete --force kills a running container and removes it" {
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  local p
  p=$(pid_of "$ID")
  run rt delete --force "$ID"
  expect_status 0
  run rt state "$ID"
  expect_status 1
  [[ ! -e $ROOT/$ID ]] || fail "state dir left"
  [[ -z $(leaked_processes) ]] || fail "processes left: $(leaked_processes)"
}

@test "delete -f of a created container" {
  set_args sleep 1000
  rt create --bundle "$BUNDLE" "$ID"
  run rt delete -f "$ID"
  expect_status 0
  run rt state "$ID"
  expect_status 1
}

@test "delete of a stopped container removes its state" {
  set_args true
  rt run -d --bundle "$BUNDLE" "$ID"
  wait_status "$ID" stopped
  run rt delete "$ID"
  expect_status 0
  [[ ! -e $ROOT/$ID ]] || fail "state dir left"
  run rt list -q
  expect_eq "$output" "" "list after delete"
}

@test "delete of an unknown id: exit 1, 'does not exist'" {
  run rt delete "${ID}nope"
  expect_status 1
  expect_output_contains "does not exist"
}

@test "delete --force of an unknown id succeeds" {
  run rt delete --force "${ID}nope"
  expect_status 0
}

@test "kill ID 0: signal 0 checks the container; 'container not running' once stopped, -a then no error" {
  # runc's kill.bats "kill detached busybox"
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  run rt kill "$ID" 0
  expect_status 0
  expect_eq "$(status_of "$ID")" running "status after signal 0"
  rt kill "$ID" KILL
  wait_status "$ID" stopped
  run rt kill "$ID" 0
  expect_failure
  expect_output_contains "container not running"
  run rt kill -a "$ID" 0
  expect_status 0
  run rt delete "$ID"
  expect_status 0
}

@test "delete of a created container kills and removes it without --force (as runc, crun)" {
  # The runtime-spec says this must fail; README.md "Where nucleus-oci follows runc rather
  # than the runtime-spec" says why nucleus-oci deletes it.
  set_args sleep 1000
  rt create --bundle "$BUNDLE" "$ID"
  local p
  p=$(pid_of "$ID")
  run rt delete "$ID"
  expect_status 0
  run rt state "$ID"
  expect_status 1
  for _ in $(seq 50); do kill -0 "$p" 2>/dev/null && [[ $(awk '{print $3}' /proc/$p/stat 2>/dev/null) != Z ]] || break; sleep 0.05; done
  ! kill -0 "$p" 2>/dev/null || [[ $(awk '{print $3}' /proc/$p/stat) == Z ]] || fail "init $p still alive"
}

# host_pidns_container: a container in the host's pid namespace with three more processes
# (exec -d); their host pids in PIDS, the init's in INIT.
host_pidns_container() {
  update_config '.linux.namespaces -= [{"type": "pid"}]'
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  INIT=$(pid_of "$ID")
  local i
  for i in 1 2 3; do rt_raw exec -d "$ID" sleep 1000 </dev/null >/dev/null 2>&1; done
  for _ in $(seq 40); do
    mapfile -t PIDS < <(tagged_pids)
    [[ ${#PIDS[@]} -ge 4 ]] && break
    sleep 0.05
  done
  [[ ${#PIDS[@]} -eq 4 ]] || fail "expected 4 container processes, found: ${PIDS[*]}"
}

# tagged_pids: host pids of the processes carrying this test's environment tag.
tagged_pids() {
  local p
  for p in $(pgrep -x sleep); do
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "NUCLEUS_CONFORMANCE_TAG=$ID" && echo "$p"
  done
  return 0
}

# all_gone PIDS...: every pid has exited (within 5 s; a zombie nobody reaped yet counts as gone).
all_gone() {
  local p left st
  for _ in $(seq 100); do
    left=
    for p in "$@"; do
      st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) || continue
      [[ -n $st && $st != Z ]] && left+="$p "
    done
    [[ -z $left ]] && return 0
    sleep 0.05
  done
  fail "still running: $left"
}

@test "kill KILL without a pid namespace kills every process of the container (runc)" {
  host_pidns_container
  run rt kill "$ID" KILL
  expect_status 0
  all_gone "${PIDS[@]}"
  wait_status "$ID" stopped
}

@test "kill KILL without a pid namespace, the init gone already: the rest are killed (runc)" {
  host_pidns_container
  kill -9 "$INIT"
  for _ in $(seq 100); do kill -0 "$INIT" 2>/dev/null || break; sleep 0.05; done
  PIDS=("${PIDS[@]/$INIT/}")
  run rt kill "$ID" KILL
  expect_status 0
  all_gone ${PIDS[@]}
  wait_status "$ID" stopped
  # nothing left to kill now: as for any stopped container
  run rt kill "$ID" KILL
  expect_status 1
  expect_output_contains "container not running"
}
