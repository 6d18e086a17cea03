#!/usr/bin/env bats
# process.terminal with --console-socket: the pty master goes to recvtty.
load ../helpers/common

setup() {
  common_setup
  RECVTTY_BIN=$(find_recvtty)
  SOCK=$BATS_TEST_TMPDIR/tty.sock
}

# start_recvtty MODE [ARGS...]: recvtty listening on $SOCK, output in $BATS_TEST_TMPDIR/recvtty.out
start_recvtty() {
  "$RECVTTY_BIN" --mode "$@" "$SOCK" >"$BATS_TEST_TMPDIR/recvtty.out" 2>&1 &
  RECVTTY_PID=$!
  bg "$RECVTTY_PID"
  wait_for_file "$SOCK"
}

# wait_recvtty: recvtty exits once every slave is closed (the container's processes exited).
wait_recvtty() {
  local i
  for i in $(seq 100); do kill -0 "$RECVTTY_PID" 2>/dev/null || break; sleep 0.05; done
  wait "$RECVTTY_PID"
}

@test "terminal: the process sees a pty slave and the consoleSize" {
  update_config '.process.terminal = true | .process.consoleSize = {"height": 33, "width": 111}'
  set_cmd 'tty; stty size; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-tty'
  start_recvtty file --out "$BATS_TEST_TMPDIR/pty.out"
  run rt run -d --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
  expect_status 0
  wait_recvtty
  expect_eq "$(cat "$BATS_TEST_TMPDIR/recvtty.out")" ok "recvtty's own output"
  local out
  out=$(tr -d '\r' < "$BATS_TEST_TMPDIR/pty.out")
  [[ $out =~ (^|$'\n')/dev/pts/[0-9]+($'\n'|$) ]] || fail "tty output: $out"
  [[ $out == *$'\n33 111'* ]] || fail "stty size output: $out"
  [[ $out == *all-tty* ]] || fail "stdio are not all ttys: $out"
}

@test "terminal: create + start with the console socket" {
  update_config '.process.terminal = true'
  set_cmd 'tty'
  start_recvtty file --out "$BATS_TEST_TMPDIR/pty.out"
  run rt create --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
  expect_status 0
  # the master was handed over at create time
  for _ in $(seq 40); do [[ -s $BATS_TEST_TMPDIR/recvtty.out ]] && break; sleep 0.05; done
  expect_eq "$(cat "$BATS_TEST_TMPDIR/recvtty.out")" ok "recvtty after create"
  run rt start "$ID"
  expect_status 0
  wait_recvtty
  [[ $(tr -d '\r' < "$BATS_TEST_TMPDIR/pty.out") =~ ^/dev/pts/[0-9]+ ]] || fail "tty: $(cat "$BATS_TEST_TMPDIR/pty.out")"
}

@test "terminal: input written to the master reaches the process (recvtty single)" {
  update_config '.process.terminal = true'
  set_cmd 'stty -echo; read line; echo "got:$line"'
  mkfifo "$BATS_TEST_TMPDIR/in"
  "$RECVTTY_BIN" --mode single "$SOCK" <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/recvtty.out" 2>&1 &
  RECVTTY_PID=$!
  bg "$RECVTTY_PID"
  exec 7>"$BATS_TEST_TMPDIR/in"
  wait_for_file "$SOCK"
  run rt run -d --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
  expect_status 0
  sleep 0.3
  echo hello-tty >&7
  wait_recvtty
  exec 7>&-
  [[ $(tr -d '\r' < "$BATS_TEST_TMPDIR/recvtty.out") == *got:hello-tty* ]] || fail "output: $(cat "$BATS_TEST_TMPDIR/recvtty.out")"
}

@test "terminal: true without --console-socket in detached mode fails and leaves nothing" {
  update_config '.process.terminal = true'
  set_args sleep 1000
  run rt create --bundle "$BUNDLE" "$ID"
  expect_status 1
  run rt state "$ID"
  expect_status 1
}

@test "terminal: false with a console socket is refused" {
  set_args true
  start_recvtty file --out "$BATS_TEST_TMPDIR/pty.out"
  run rt create --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
  expect_status 1
  run rt state "$ID"
  expect_status 1
}

@test "terminal: the pty is the controlling terminal, in a new session" {
  update_config '.process.terminal = true'
  set_cmd 'cat /proc/self/stat | cut -d" " -f6,7; ls -l /proc/self/fd/0'
  start_recvtty file --out "$BATS_TEST_TMPDIR/pty.out"
  run rt run -d --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
  expect_status 0
  wait_recvtty
  local out
  out=$(tr -d '\r' < "$BATS_TEST_TMPDIR/pty.out")
  # stat field 6 = session id (the process is pid 1 and the session leader), 7 = tty_nr != 0
  local sid ttynr
  read -r sid ttynr <<<"$(head -n1 <<<"$out")"
  expect_eq "$sid" 1 "session id"
  [[ $ttynr != 0 ]] || fail "no controlling tty: $out"
  [[ $out == *"/dev/pts/"* ]] || fail "fd 0: $out"
}

# tty_owner FILE: the "uid:gid" the process printed (pty output, \r dropped).
tty_owner() { tr -d '\r' < "$1" | grep -E '^[0-9]+:[0-9]+$' | head -n1; }

@test "terminal: the pty belongs to the process's uid and the tty group (devpts gid=5), as runc's" {
  update_config '.process.terminal = true'
  set_cmd 'stat -c %u:%g $(tty)'
  start_recvtty file --out "$BATS_TEST_TMPDIR/pty.out"
  run rt run -d --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
  expect_status 0
  wait_recvtty
  expect_eq "$(tty_owner "$BATS_TEST_TMPDIR/pty.out")" 0:5 "owner of the pty (root)"
}

@test "terminal: a non-root process's pty is uid:5, not its own gid" {
  update_config '.process.terminal = true | .process.user = {uid: 1000, gid: 100}'
  set_cmd 'stat -c %u:%g $(tty)'
  start_recvtty file --out "$BATS_TEST_TMPDIR/pty.out"
  run rt run -d --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
  expect_status 0
  wait_recvtty
  expect_eq "$(tty_owner "$BATS_TEST_TMPDIR/pty.out")" 1000:5 "owner of the pty (1000:100)"
}

@test "terminal: exec -t gives a pty of the process's uid and group tty" {
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  local user
  for user in 0:0 1000:100; do
    start_recvtty file --out "$BATS_TEST_TMPDIR/pty.out"
    run rt exec -t -d --console-socket "$SOCK" -u "$user" "$ID" sh -c 'stat -c %u:%g $(tty)'
    expect_status 0
    wait_recvtty
    expect_eq "$(tty_owner "$BATS_TEST_TMPDIR/pty.out")" "${user%%:*}:5" "owner of the exec's pty ($user)"
    rm -f "$SOCK" "$BATS_TEST_TMPDIR/pty.out"
  done
}

@test "terminal: exec -t without --console-socket (the runtime's own pty) is uid:5 too" {
  nucleus_only  # runc's exec -t needs a terminal on the caller's side
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  run rt exec -t -u 1000:100 "$ID" sh -c 'stat -c %u:%g $(tty)'
  expect_status 0
  expect_eq "$(tr -d '\r' <<<"$output")" 1000:5 "owner of the exec's pty (1000:100)"
}

# in_tty CMD...: CMD on a pty of its own (stdin/stdout, Python's pty.spawn), its output as
# written. Not script(1): at its stdin's EOF it types a control character into the pty, which
# the runtime forwards and the container's pty echoes, and it waits for that EOF.
in_tty() {
  python3 -c 'import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)' "$@" </dev/null
}

@test "terminal: run in the foreground passes the output through as written (no \\r\\n)" {
  update_config '.process.terminal = true'
  set_cmd 'printf "a\nb\n"'
  run in_tty "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
  expect_status 0
  # runc's recvtty clears ONLCR on the container's pty: "\n" arrives as "\n", not "\r\n"
  expect_eq "$(od -An -c <<<"$output" | tr -s ' ')" "$(od -An -c <<<$'a\nb' | tr -s ' ')" "bytes of the output"
}

@test "terminal: exec -t in the foreground passes the output through as written (no \\r\\n)" {
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  run in_tty "$RUNTIME" --root "$ROOT" exec -t "$ID" printf 'a\nb\n'
  expect_status 0
  expect_eq "$(od -An -c <<<"$output" | tr -s ' ')" "$(od -An -c <<<$'a\nb' | tr -s ' ')" "bytes of the output"
}
