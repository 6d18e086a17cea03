#!/usr/bin/env bats
# Rootless trace mode (issue #16): an unprivileged user records a container's syscalls. The eBPF
# recorder needs CAP_BPF and CAP_PERFMON, which the user lacks: `auto` (the default) falls back to
# USER_NOTIF and says why, an explicit `ebpf` fails with the reason and leaves nothing. The
# record generates a profile that the same user's container then runs under.
load ../helpers/common
load rootless

WORKLOAD='echo hello > /tmp/out; cat /tmp/out; ls / > /dev/null'

# utrace MODE: runs WORKLOAD traced as the user into $TRACE (a file the user owns)
utrace() {
  nucleus_only
  uargs sh -c "$WORKLOAD"
  TRACE=$RL_WORK/home-$RL_USER/trace-$BATS_TEST_NUMBER.ndjson
  run urt --log-format json run --seccomp-trace "$TRACE" ${1:+--seccomp-trace-mode "$1"} --bundle "$UBUNDLE" "$ID"
}

@test "rootless trace: auto falls back to USER_NOTIF, says why, and records the workload's syscalls" {
  utrace auto
  expect_status 0
  expect_output_contains hello "eBPF recorder unavailable" "USER_NOTIF"
  [[ -s $TRACE ]] || fail "no trace written"
  [[ $(stat -c %U "$TRACE") == "$RL_USER" ]] || fail "the trace is not the user's: $(stat -c %U "$TRACE")"
  for s in execve openat write exit_group; do
    jq -e -s --arg n "$s" 'any(.[]; .name == $n)' "$TRACE" >/dev/null || fail "$s missing from the trace"
  done
}

@test "rootless trace: an explicit ebpf mode fails with the reason, nothing is left" {
  utrace ebpf
  expect_failure
  expect_output_contains "ebpf"
  [[ ! -e $TRACE || ! -s $TRACE ]] || fail "a trace was written: $(head -c 200 "$TRACE")"
  run urt list -q
  expect_eq "$output" "" "containers left"
}

@test "rootless trace: the generated profile runs the workload as the user, a syscall outside it gets EPERM" {
  utrace notify
  expect_status 0
  local prof=$RL_WORK/home-$RL_USER/profile-$BATS_TEST_NUMBER.json
  run "$RUNTIME" seccomp generate "$TRACE" -o "$prof"
  expect_status 0
  ucfg '.linux.seccomp = $p[0]' --slurpfile p "$prof"
  uargs sh -c "$WORKLOAD; mkdir /tmp/newdir && echo MKDIR-ALLOWED || echo MKDIR-DENIED"
  run urt run --bundle "$UBUNDLE" "$ID"
  expect_status 0
  expect_output_contains hello "MKDIR-DENIED"
}
