#!/usr/bin/env bats
# --pidfd-socket (create, run, exec; runc 1.2+): the process sends a pidfd of itself to the
# socket ("standard" from the init, "setns" from exec), which a supervisor signals it through.
load ../helpers/common

setup() {
  common_setup
  PIDFD_KILL=${NUCLEUS_BUILD:+$NUCLEUS_BUILD/conformance/tools/pidfd-kill}
  [[ -x $PIDFD_KILL ]] || fail "pidfd-kill not found: build conformance/tools"
  SOCK=$BATS_TEST_TMPDIR/pidfd.sock
  set_args sleep 1000
}

# start_receiver [SIGNAL]: pidfd-kill listening on $SOCK, its output in $BATS_TEST_TMPDIR/recv.out
start_receiver() {
  "$PIDFD_KILL" --signal "${1:-9}" "$SOCK" >"$BATS_TEST_TMPDIR/recv.out" 2>&1 &
  RECV_PID=$!
  bg "$RECV_PID"
  wait_for_file "$SOCK"
}

# receiver_done: tells pidfd-kill to signal the process (SIGUSR1) and returns its exit status
# (it exits once the process it signalled is gone).
receiver_done() {
  for _ in $(seq 100); do [[ -s $BATS_TEST_TMPDIR/recv.out ]] && break; sleep 0.05; done
  kill -USR1 "$RECV_PID"
  wait "$RECV_PID"
}

@test "pidfd-socket: create sends the init's pidfd; SIGTERM through it stops the created container" {
  start_receiver 15
  run rt create --pidfd-socket "$SOCK" --pid-file "$BATS_TEST_TMPDIR/pid" --bundle "$BUNDLE" "$ID"
  expect_status 0
  receiver_done || fail "pidfd-kill: $(cat "$BATS_TEST_TMPDIR/recv.out")"
  expect_eq "$(head -n1 "$BATS_TEST_TMPDIR/recv.out")" "standard $(cat "$BATS_TEST_TMPDIR/pid")" "message and pid"
  wait_status "$ID" stopped
}

@test "pidfd-socket: run -d sends the init's pidfd; SIGKILL through it stops the container" {
  start_receiver 9
  run rt run -d --pidfd-socket "$SOCK" --pid-file "$BATS_TEST_TMPDIR/pid" --bundle "$BUNDLE" "$ID"
  expect_status 0
  receiver_done || fail "pidfd-kill: $(cat "$BATS_TEST_TMPDIR/recv.out")"
  expect_eq "$(head -n1 "$BATS_TEST_TMPDIR/recv.out")" "standard $(cat "$BATS_TEST_TMPDIR/pid")" "message and pid"
  wait_status "$ID" stopped
}

@test "pidfd-socket: exec sends the exec'd process's pidfd; the container keeps running" {
  rt run -d --bundle "$BUNDLE" "$ID"
  start_receiver 9
  # (the detached process would hold `run`'s output pipe open)
  rt_raw exec -d --pidfd-socket "$SOCK" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" sleep 1000 \
    </dev/null >"$BATS_TEST_TMPDIR/exec.out" 2>&1 || fail "exec: $(cat "$BATS_TEST_TMPDIR/exec.out")"
  receiver_done || fail "pidfd-kill: $(cat "$BATS_TEST_TMPDIR/recv.out")"
  expect_eq "$(head -n1 "$BATS_TEST_TMPDIR/recv.out")" "setns $(cat "$BATS_TEST_TMPDIR/pid")" "message and pid"
  expect_eq "$(status_of "$ID")" running "container status"
}

@test "pidfd-socket: a socket nobody listens on is an error naming it, nothing left behind" {
  run rt run -d --pidfd-socket "$BATS_TEST_TMPDIR/nobody.sock" --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains "pidfd socket" "nobody.sock"
  run rt state "$ID"
  expect_status 1
}
