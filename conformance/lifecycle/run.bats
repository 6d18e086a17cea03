#!/usr/bin/env bats
# run: foreground exit status, stdio, --detach, --keep, --pid-file.
load ../helpers/common

@test "run: the exit status of the process is run's exit status" {
  run_in_container 'exit 42'
  expect_status 42
  run_in_container 'exit 0'
  expect_status 0
}

@test "run: a process killed by a signal gives 128+signal" {
  # pid 1 of a pid namespace cannot be SIGKILLed from inside: kill it from the host
  set_args sleep 1000
  rt run --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 &
  local runner=$!
  wait_status "$ID" running
  kill -KILL "$(pid_of "$ID")"
  local rc=0
  wait "$runner" || rc=$?
  expect_eq "$rc" 137 "exit status of run"
}

@test "run: stdout and stderr of the process reach the caller" {
  set_cmd 'echo to-stdout; echo to-stderr >&2'
  rt run --bundle "$BUNDLE" "$ID" >"$BATS_TEST_TMPDIR/o" 2>"$BATS_TEST_TMPDIR/e"
  expect_eq "$(cat "$BATS_TEST_TMPDIR/o")" to-stdout stdout
  expect_eq "$(cat "$BATS_TEST_TMPDIR/e")" to-stderr stderr
}

@test "run: stdin is passed to the process" {
  set_args cat
  run bash -c 'printf "hi\nthere\n" | "$0" --root "$1" run --bundle "$2" "$3"' "$RUNTIME" "$ROOT" "$BUNDLE" "$ID"
  expect_status 0
  expect_eq "$output" $'hi\nthere' "echoed stdin"
}

@test "run: the container is gone after a foreground run" {
  run_in_container 'true'
  expect_status 0
  run rt state "$ID"
  expect_status 1
  [[ ! -e $ROOT/$ID ]] || fail "state dir left"
}

@test "run --detach: returns at once, the container is running" {
  set_args sleep 1000
  SECONDS=0
  run rt run --detach --bundle "$BUNDLE" "$ID"
  expect_status 0
  ((SECONDS < 10)) || fail "run --detach took ${SECONDS}s"
  expect_eq "$(status_of "$ID")" running status
  rt kill "$ID" KILL
  wait_status "$ID" stopped
  rt delete "$ID"
}

@test "run -d (short flag) works too" {
  set_args sleep 1000
  run rt run -d --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_eq "$(status_of "$ID")" running status
}

@test "run --keep: the stopped container stays until delete" {
  set_cmd 'exit 3'
  run rt run --keep --bundle "$BUNDLE" "$ID"
  expect_status 3
  expect_eq "$(status_of "$ID")" stopped "status after run --keep"
  run rt delete "$ID"
  expect_status 0
  run rt state "$ID"
  expect_status 1
}

@test "run --pid-file writes the pid of the process" {
  set_cmd 'echo $$ > /dev/null; exec sleep 1000'
  run rt run -d --pid-file "$BATS_TEST_TMPDIR/pid" --bundle "$BUNDLE" "$ID"
  expect_status 0
  [[ $(cat "$BATS_TEST_TMPDIR/pid") =~ ^[0-9]+$ ]] || fail "pid file: $(cat "$BATS_TEST_TMPDIR/pid")"
  expect_eq "$(cat "$BATS_TEST_TMPDIR/pid")" "$(pid_of "$ID")" "pid file vs state"
}

@test "run --detach: the detached process's output goes to the caller's stdout" {
  set_cmd 'echo detached-hello; exec sleep 1000'
  run rt run -d --bundle "$BUNDLE" "$ID"
  expect_status 0
  for _ in $(seq 50); do [[ $(detached_output) == *detached-hello* ]] && break; sleep 0.05; done
  [[ $(detached_output) == *detached-hello* ]] || fail "no output: $(detached_output)"
}
