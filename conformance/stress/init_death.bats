#!/usr/bin/env bats
# The container's init killed from outside (kill -9 of the pid from --pid-file): the runtime
# notices (state says stopped), start refuses, delete works without --force, nothing is left.
load ../helpers/common

# kill_init PIDFILE: SIGKILL the init and wait until it is gone (or a zombie).
kill_init() {
  local pid i
  pid=$(cat "$1")
  [[ $pid =~ ^[0-9]+$ ]] || fail "pid file $1 holds [$pid]"
  [[ -d /proc/$pid ]] || fail "init $pid is not running before the kill"
  kill -KILL "$pid"
  for i in $(seq 100); do
    [[ ! -d /proc/$pid || $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == Z ]] && return 0
    sleep 0.05
  done
  fail "init $pid still alive 5 s after SIGKILL"
}

@test "init death: created container, init killed -> stopped; delete without --force" {
  set_args sleep 1000
  run rt create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  expect_status 0
  expect_eq "$(status_of "$ID")" created "status before the kill"
  expect_eq "$(pid_of "$ID")" "$(cat "$BATS_TEST_TMPDIR/pid")" "state pid vs --pid-file"
  kill_init "$BATS_TEST_TMPDIR/pid"
  wait_status "$ID" stopped
  run rt list --format json
  expect_status 0
  expect_eq "$(jq -r --arg id "$ID" '.[] | select(.id == $id) | .status' <<<"$output")" stopped "status in list"
  run rt delete "$ID"
  expect_status 0
  run rt state "$ID"
  expect_status 1
  [[ ! -e $ROOT/$ID ]] || fail "state dir left after delete"
}

@test "init death: created container, init killed -> start fails cleanly, delete works" {
  set_args sleep 1000
  run rt create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  expect_status 0
  kill_init "$BATS_TEST_TMPDIR/pid"
  wait_status "$ID" stopped
  run timeout 20 "$RUNTIME" --root "$ROOT" start "$ID"
  expect_status 1
  expect_eq "$(status_of "$ID")" stopped "status after the failed start"
  run rt delete "$ID"
  expect_status 0
  [[ ! -e $ROOT/$ID ]] || fail "state dir left after delete"
}

@test "init death: running container (run -d), init killed -> stopped; kill fails; delete works" {
  set_args sleep 1000
  run rt run -d --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  expect_status 0
  wait_status "$ID" running
  kill_init "$BATS_TEST_TMPDIR/pid"
  wait_status "$ID" stopped
  # signalling a stopped container is an error (runc: "container not running")
  run rt kill "$ID" KILL
  expect_status 1
  run rt delete "$ID"
  expect_status 0
  [[ ! -e $ROOT/$ID ]] || fail "state dir left after delete"
}

@test "init death: a container with a process inside (exec) after init death: delete cleans all" {
  set_args sleep 1000
  # no pid namespace: killing init does not take the exec'd process with it
  update_config '.linux.namespaces |= map(select(.type != "pid"))'
  run rt run -d --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  expect_status 0
  wait_status "$ID" running
  local secs=$((100000 + $$)) i alive=
  rt_raw exec -d "$ID" sleep "$secs" </dev/null >/dev/null 2>&1 || fail "exec -d failed"
  # the exec'd process must outlive `exec -d` itself (runc: it does)
  for i in $(seq 20); do
    alive=$(pgrep -xf "sleep $secs" || true)
    [[ -n $alive ]] && break
    sleep 0.05
  done
  sleep 0.3
  alive=$(pgrep -xf "sleep $secs" || true)
  [[ -n $alive ]] || fail "the process of exec -d is gone right after exec returned"
  kill_init "$BATS_TEST_TMPDIR/pid"
  [[ -d /proc/$alive ]] || fail "the exec'd process died with the init (no pid namespace: it should not)"
  wait_status "$ID" stopped
  # a plain delete of a stopped container with processes left in its cgroup: runc kills them
  # (delete of a stopped container), the teardown's leak check finds any survivor
  run rt delete "$ID"
  expect_status 0
  [[ ! -e $ROOT/$ID ]] || fail "state dir left after delete"
}
