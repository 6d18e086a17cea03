#!/usr/bin/env bats
# `seccomp trace-listener` + `seccomp trace-profile`: trace mode for any OCI runtime through
# linux.seccomp.listenerPath (runc here, and nucleus-oci itself).
load ../helpers/common

listener_trace() {  # RUNTIME-BIN: runs the workload under BIN with the trace profile
  nucleus_only
  local bin=$1 sock=$BATS_TEST_TMPDIR/tl.sock
  OUT=$BATS_TEST_TMPDIR/listener.ndjson
  "$RUNTIME" seccomp trace-profile --socket "$sock" > "$BATS_TEST_TMPDIR/profile.json"
  update_config '.linux.seccomp = $p[0]' --slurpfile p "$BATS_TEST_TMPDIR/profile.json"
  set_cmd 'echo traced; ls / > /dev/null'
  timeout 60 "$RUNTIME" seccomp trace-listener --socket "$sock" --output "$OUT" --once &
  local listener=$!
  for _ in $(seq 100); do [[ -S $sock ]] && break; sleep 0.05; done
  run timeout 60 "$bin" --root "$BATS_TEST_TMPDIR/other-root" run --bundle "$BUNDLE" "$ID-l"
  "$bin" --root "$BATS_TEST_TMPDIR/other-root" delete --force "$ID-l" >/dev/null 2>&1 || true
  wait "$listener" || fail "trace-listener failed"
  expect_status 0
  expect_output_contains traced
  [[ -s $OUT ]] || fail "no trace written"
  jq -e -s 'any(.[]; .name == "getdents64") and any(.[]; .name == "execve")' "$OUT" >/dev/null ||
    fail "the trace lacks the workload's syscalls: $(cat "$OUT")"
}

@test "trace-listener records a runc container through listenerPath" {
  command -v runc >/dev/null || skip "runc not installed"
  listener_trace runc
  run "$RUNTIME" seccomp generate "$OUT"
  expect_status 0
}

@test "trace-listener records a nucleus-oci container through listenerPath" {
  listener_trace "$RUNTIME"
}
