#!/usr/bin/env bats
# Trace mode -> seccomp generate -> enforcement, with nucleus-oci and with runc. Runs twice
# (conformance/CMakeLists.txt): NUCLEUS_TRACE_MODE=ebpf (the default here; explicit, so that a
# silent fallback to USER_NOTIF fails the run) and NUCLEUS_TRACE_MODE=notify.
load ../helpers/common

TRACE_MODE=${NUCLEUS_TRACE_MODE:-ebpf}

WORKLOAD='echo hello > /tmp/out; cat /tmp/out; ls / > /dev/null; wc -l /etc/passwd'

trace_workload() {  # traces WORKLOAD into $BATS_TEST_TMPDIR/trace.ndjson
  nucleus_only
  set_cmd "$WORKLOAD"
  TRACE=$BATS_TEST_TMPDIR/trace.ndjson
  run rt run --seccomp-trace "$TRACE" --seccomp-trace-mode "$TRACE_MODE" --bundle "$BUNDLE" "$ID-trace"
  expect_status 0
  expect_output_contains hello
  [[ -s $TRACE ]] || fail "no trace written"
}

@test "trace mode records every syscall of the workload and its children, with counts" {
  trace_workload
  # Every line is a record with syscall, name, arch and count.
  run jq -e -s 'all(.[]; has("syscall") and has("name") and has("arch") and (.count >= 1))' "$TRACE"
  expect_status 0
  # wc and ls are separate processes (children of sh): their syscalls are there too.
  for s in execve openat getdents64 write exit_group; do
    jq -e -s --arg n "$s" 'any(.[]; .name == $n)' "$TRACE" >/dev/null || fail "$s missing from the trace"
  done
  # clone (sh forking its children) carries its argument values.
  jq -e -s 'any(.[]; (.name == "clone" or .name == "clone3"))' "$TRACE" >/dev/null || fail "no clone"
}

@test "the annotation org.nucleus.seccomp.trace turns trace mode on" {
  nucleus_only
  local trace=$BATS_TEST_TMPDIR/annotated.ndjson
  update_config ".annotations[\"org.nucleus.seccomp.trace\"] = \"$trace\" |
    .annotations[\"org.nucleus.seccomp.trace-mode\"] = \"$TRACE_MODE\""
  run_in_container 'true'
  expect_status 0
  [[ -s $trace ]] || fail "no trace written through the annotation"
}

@test "generate -> the workload passes under the profile, a syscall outside it gets EPERM" {
  trace_workload
  run "$RUNTIME" seccomp generate "$TRACE" --bundle "$BUNDLE"
  expect_status 0
  [[ $(jq -r .linux.seccomp.defaultAction "$BUNDLE/config.json") == SCMP_ACT_ERRNO ]] || fail "no profile"
  set_cmd "$WORKLOAD; mkdir /tmp/newdir && echo MKDIR-ALLOWED || echo MKDIR-DENIED"
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_output_contains hello "MKDIR-DENIED" "Operation not permitted"
}

@test "generate -> runc enforces the same profile" {
  trace_workload
  command -v runc >/dev/null || skip "runc not installed"
  run "$RUNTIME" seccomp generate "$TRACE" --bundle "$BUNDLE"
  expect_status 0
  set_cmd "$WORKLOAD; mkdir /tmp/newdir && echo MKDIR-ALLOWED || echo MKDIR-DENIED"
  run runc --root "$BATS_TEST_TMPDIR/runc-root" run --bundle "$BUNDLE" "$ID-runc"
  runc --root "$BATS_TEST_TMPDIR/runc-root" delete --force "$ID-runc" >/dev/null 2>&1 || true
  expect_status 0
  expect_output_contains hello "MKDIR-DENIED"
}

@test "generate: bad traces are errors with the line number" {
  nucleus_only
  printf '{"syscall":0,"count":1}\nnot json\n' > "$BATS_TEST_TMPDIR/bad.ndjson"
  run "$RUNTIME" seccomp generate "$BATS_TEST_TMPDIR/bad.ndjson"
  expect_status 1
  expect_output_contains "bad.ndjson:2: not a JSON object"
  : > "$BATS_TEST_TMPDIR/empty.ndjson"
  run "$RUNTIME" seccomp generate "$BATS_TEST_TMPDIR/empty.ndjson"
  expect_status 1
  expect_output_contains "empty trace"
}

# copy_dynamic BIN: BIN and every shared object it needs (ldd), at the same paths in the rootfs.
copy_dynamic() {
  local bin=$1 lib
  mkdir -p "$BUNDLE/rootfs$(dirname "$bin")"
  cp -L "$bin" "$BUNDLE/rootfs$bin"
  for lib in $(ldd "$bin" | grep -oE '/[^ ]+'); do
    mkdir -p "$BUNDLE/rootfs$(dirname "$lib")"
    cp -L "$lib" "$BUNDLE/rootfs$lib"
  done
}

@test "a dynamically linked program (jq): trace -> generate -> enforce" {
  nucleus_only
  local jq_bin
  jq_bin=$(command -v jq)
  ldd "$jq_bin" | grep -q 'ld-linux' || fail "$jq_bin is not dynamically linked"
  copy_dynamic "$jq_bin"
  echo '{"a": [1, 2, 3]}' > "$BUNDLE/rootfs/tmp/in.json"
  local work="$jq_bin '.a | add' /tmp/in.json"
  # "; true": the shell forks for jq (as it will below, where a command follows)
  set_cmd "$work; true"
  TRACE=$BATS_TEST_TMPDIR/jq.ndjson
  run rt run --seccomp-trace "$TRACE" --seccomp-trace-mode "$TRACE_MODE" --bundle "$BUNDLE" "$ID-trace"
  expect_status 0
  expect_output_contains 6
  # The dynamic loader's work is in the trace: mapping the libraries read-only after relocation.
  jq -e -s 'any(.[]; .name == "mprotect")' "$TRACE" >/dev/null || fail "no mprotect in the trace"
  run "$RUNTIME" seccomp generate "$TRACE" --bundle "$BUNDLE"
  expect_status 0
  # Enforced: jq works under its own profile, with nucleus-oci and runc...
  set_cmd "$work; mkdir /tmp/newdir && echo MKDIR-ALLOWED || echo MKDIR-DENIED"
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_output_contains 6 MKDIR-DENIED
  run runc --root "$BATS_TEST_TMPDIR/runc-root" run --bundle "$BUNDLE" "$ID-runc"
  runc --root "$BATS_TEST_TMPDIR/runc-root" delete --force "$ID-runc" >/dev/null 2>&1 || true
  expect_status 0
  expect_output_contains 6 MKDIR-DENIED
}
