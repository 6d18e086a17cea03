#!/usr/bin/env bats
# linux.seccomp.listenerPath (runtime-spec's seccomp agent) with SCMP_ACT_NOTIFY rules, as runc's
# seccomp-notify.bats checks it: the init and every exec'd process hand their notify fd to the
# agent; an empty listenerPath or an unreachable agent is an error; a profile without notify
# rules ignores its listenerPath. The agent here is `seccomp trace-listener`, which lets each
# notified syscall continue and records it.
load ../helpers/common

notify_mkdir_profile() {  # LISTENER-PATH
  update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: $l,
      listenerMetadata: "bar", architectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_X86_64"],
      syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY"}]}' --arg l "$1"
}

start_agent() {  # sets SOCK, OUT, AGENT
  SOCK=$BATS_TEST_TMPDIR/agent.sock OUT=$BATS_TEST_TMPDIR/agent.ndjson
  timeout 120 "$RUNTIME" seccomp trace-listener --socket "$SOCK" --output "$OUT" &
  AGENT=$!
  for _ in $(seq 100); do [[ -S $SOCK ]] && break; sleep 0.05; done
  [[ -S $SOCK ]] || fail "the agent did not listen on $SOCK"
}

teardown() {
  [[ -n ${AGENT:-} ]] && kill "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null
  common_teardown
}

@test "seccomp agent: run and exec both hand their notify fd to the agent" {
  nucleus_only
  start_agent
  notify_mkdir_profile "$SOCK"
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  # Without the agent holding its notify fd, mkdir fails with ENOSYS ("Function not implemented").
  run timeout 30 "$RUNTIME" --root "$ROOT" exec "$ID" sh -c 'mkdir /tmp/by-exec && echo made'
  expect_status 0
  expect_output_contains made
  rt delete --force "$ID"
  kill "$AGENT"; wait "$AGENT" 2>/dev/null || true; AGENT=
  jq -e -s 'any(.[]; .name == "mkdir" or .name == "mkdirat")' "$OUT" >/dev/null ||
    fail "the agent saw no mkdir: $(cat "$OUT" 2>/dev/null)"
}

@test "seccomp agent: an empty listenerPath with SCMP_ACT_NOTIFY rules is refused, nothing left" {
  notify_mkdir_profile ""
  set_cmd 'echo ran'
  run timeout 60 "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains "listenerPath is not set"
  run rt list -q
  expect_eq "$output" "" "containers left"
}

@test "seccomp agent: no agent listening is 'failed to connect with seccomp agent'" {
  notify_mkdir_profile "$BATS_TEST_TMPDIR/nobody.sock"
  set_cmd 'echo ran'
  run timeout 60 "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains "failed to connect with seccomp agent" "nobody.sock"
  run rt list -q
  expect_eq "$output" "" "containers left"
}

@test "seccomp agent: a profile without notify rules ignores its listenerPath" {
  notify_mkdir_profile "$BATS_TEST_TMPDIR/nobody.sock"
  update_config '.linux.seccomp.syscalls = []'
  set_cmd 'echo ran'
  run timeout 60 "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_output_contains ran
}
