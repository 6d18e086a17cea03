#!/usr/bin/env bats
# Global flags and flag syntax: --log, --log-format, --version, Go-style flags, unknown flags.
load ../helpers/common

@test "--log FILE --log-format json: error lines are JSON with level, msg, time" {
  local log=$BATS_TEST_TMPDIR/log.json
  run rt --log "$log" --log-format json state "${ID}nope"
  expect_status 1
  [[ -s $log ]] || fail "empty log"
  local line
  while IFS= read -r line; do
    [[ -z $line ]] && continue
    jq -e 'has("level") and has("msg") and has("time")' <<<"$line" >/dev/null || fail "not a JSON record: $line"
    [[ $(jq -r .time <<<"$line") =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T ]] || fail "time: $line"
  done < "$log"
  local last
  last=$(jq -c 'select(.level == "error")' "$log" | tail -n1)
  [[ -n $last ]] || fail "no error record: $(cat "$log")"
  [[ $(jq -r .msg <<<"$last") == *"does not exist"* ]] || fail "error msg: $last"
}

@test "--log FILE (text format): key=value lines with level=error and the message" {
  local log=$BATS_TEST_TMPDIR/log.txt
  run rt --log "$log" state "${ID}nope"
  expect_status 1
  grep -q 'level=error' "$log" || fail "log: $(cat "$log")"
  grep 'level=error' "$log" | grep -q 'msg=.*does not exist' || fail "log: $(cat "$log")"
  grep -qE '^time="?[0-9]{4}-' "$log" || fail "no time field: $(cat "$log")"
}

@test "--log-format=json and --log=FILE (= syntax) work" {
  local log=$BATS_TEST_TMPDIR/log.json
  run rt --log="$log" --log-format=json state "${ID}nope"
  expect_status 1
  jq -e 'select(.level == "error") | .msg' "$log" >/dev/null || fail "log: $(cat "$log")"
}

@test "--version: first line is '<name> version <number>'" {
  run "$RUNTIME" --version
  expect_status 0
  [[ ${lines[0]} =~ ^[a-z][a-z0-9-]*\ version\ [0-9]+\.[0-9]+ ]] || fail "first line: ${lines[0]}"
  [[ ${lines[0]} == "$RUNTIME_NAME version"* ]]
  # runc's second line (docker info shows it as the runtime's version)
  [[ ${lines[1]} =~ ^commit:\ [0-9a-zA-Z.-]+$ ]] || fail "second line: ${lines[1]}"
  run "$RUNTIME" -v
  expect_status 0
  [[ ${lines[0]} =~ ^[a-z][a-z0-9-]*\ version\ [0-9] ]] || fail "-v first line: ${lines[0]}"
}

@test "--version names the spec version" {
  run "$RUNTIME" --version
  expect_status 0
  expect_output_contains "spec: 1."
}

@test "Go-style flags: -bundle X, --bundle=X, -pid-file=X, -root X" {
  set_args sleep 1000
  "$RUNTIME" -root "$ROOT" create -bundle "$BUNDLE" -pid-file="$BATS_TEST_TMPDIR/p1" "$ID" </dev/null >/dev/null 2>&1
  run rt state "$ID"
  expect_status 0
  expect_eq "$(cat "$BATS_TEST_TMPDIR/p1")" "$(pid_of "$ID")" "-pid-file="
  "$RUNTIME" --root="$ROOT" create --bundle="$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/p2" "${ID}b" </dev/null >/dev/null 2>&1
  run rt state "${ID}b"
  expect_status 0
  expect_eq "$(jq -r .bundle <<<"$output")" "$BUNDLE" "--bundle="
}

@test "-b short flag for the bundle" {
  set_args sleep 1000
  run rt create -b "$BUNDLE" "$ID"
  expect_status 0
  expect_eq "$(rt state "$ID" | jq -r .bundle)" "$BUNDLE" bundle
}

@test "boolean flags accept --flag=true / --flag=false" {
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  run rt delete --force=false "$ID"
  expect_status 1
  run rt delete --force=true "$ID"
  expect_status 0
}

@test "an unknown global flag fails" {
  run rt --no-such-flag list
  expect_failure
}

@test "an unknown command flag fails and creates nothing" {
  run rt create --no-such-flag --bundle "$BUNDLE" "$ID"
  expect_failure
  run rt state "$ID"
  expect_status 1
}

@test "an unknown command fails" {
  run rt no-such-command
  expect_failure
}

@test "help of an unknown command: runc's \"No help topic for 'foo'\", exit 1" {
  local args
  for args in "foo -h" "foo --help" "help foo"; do
    # shellcheck disable=SC2086
    run rt $args
    expect_status 1
    expect_output_contains "No help topic for 'foo'"
  done
}

@test "a missing container id fails" {
  run rt state
  expect_failure
  run rt start
  expect_failure
}

@test "--root is honoured: containers are invisible under another root" {
  set_args sleep 1000
  rt create --bundle "$BUNDLE" "$ID"
  run "$RUNTIME" --root "$BATS_TEST_TMPDIR/other-root" state "$ID"
  expect_status 1
  run "$RUNTIME" --root "$BATS_TEST_TMPDIR/other-root" list -q
  expect_eq "$output" "" "list under the other root"
}

@test "--debug: debug lines on stderr, or in the --log file (text and json) and not on stderr" {
  set_args echo hello
  run rt --debug run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_output_contains "hello" "level=debug"
  local log=$BATS_TEST_TMPDIR/debug.log
  run rt --log "$log" --debug run --bundle "$BUNDLE" "$ID"
  expect_status 0
  [[ $output != *level=debug* ]] || fail "debug lines on stderr with --log: $output"
  grep -q 'level=debug' "$log" || fail "no debug line in the text log: $(cat "$log")"
  rm -f "$log"
  run rt --log "$log" --log-format json --debug run --bundle "$BUNDLE" "$ID"
  expect_status 0
  [[ $output != *'"level":"debug"'* ]] || fail "debug lines on stderr with --log: $output"
  grep -q '"level":"debug"' "$log" || fail "no debug record in the json log: $(cat "$log")"
  # without --debug, none
  rm -f "$log"
  run rt --log "$log" run --bundle "$BUNDLE" "$ID"
  expect_status 0
  ! grep -q 'level=debug' "$log" || fail "debug lines without --debug: $(cat "$log")"
}

@test "--debug exec: debug lines" {
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  run rt --debug exec "$ID" true
  expect_status 0
  expect_output_contains "level=debug"
}

@test "-h and --help on each command: status 0, the command named on the second line" {
  local c
  for c in create start run state kill delete list exec ps pause resume update events spec features; do
    run "$RUNTIME" "$c" -h
    expect_status 0
    [[ ${lines[1]} == *"$RUNTIME_NAME $c"* ]] || fail "$c -h, second line: ${lines[1]}"
    run "$RUNTIME" "$c" --help
    expect_status 0
    [[ ${lines[1]} == *"$RUNTIME_NAME $c"* ]] || fail "$c --help, second line: ${lines[1]}"
  done
  run "$RUNTIME" help kill
  expect_status 0
  [[ ${lines[1]} == *"$RUNTIME_NAME kill"* ]] || fail "help kill, second line: ${lines[1]}"
}

@test "ps ID ARGS: ps(1) with ARGS, its table cut to the container's processes" {
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  local pid
  pid=$(pid_of "$ID")
  # default: ps -ef
  run rt ps "$ID"
  expect_status 0
  [[ ${lines[0]} =~ UID\ +PID\ +PPID\ +C\ +STIME\ +TTY\ +TIME\ +CMD ]] || fail "header: ${lines[0]}"
  expect_eq "${#lines[@]}" 2 "lines (header + the init): $output"
  [[ ${lines[1]} == *" $pid "*"sleep 1000"* ]] || fail "the init's line: ${lines[1]}"
  # runc's ps.bats "ps -e -x"
  run rt ps "$ID" -e -x
  expect_status 0
  [[ ${lines[0]} =~ \ +PID\ +TTY\ +STAT\ +TIME\ +COMMAND ]] || fail "header: ${lines[0]}"
  expect_eq "${#lines[@]}" 2 "lines: $output"
  run rt ps "$ID" -o pid,comm
  expect_status 0
  expect_eq "$(awk '{print $1, $2}' <<<"$output" | paste -sd,)" "PID COMMAND,$pid sleep" "ps -o pid,comm"
  # after -- (runc 1.3 hands the -- to ps(1), which refuses it)
  if ! is_runc; then
    run rt ps "$ID" -- -o pid,comm
    expect_status 0
    expect_eq "$(awk '{print $1, $2}' <<<"$output" | paste -sd,)" "PID COMMAND,$pid sleep" "ps -- -o pid,comm"
  fi
  # a ps failure names ps's own message
  run rt ps "$ID" --no-such-ps-flag
  expect_failure
  expect_output_contains "exit status"
}
