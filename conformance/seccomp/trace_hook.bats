#!/usr/bin/env bats
# `seccomp trace-hook`: trace mode's eBPF recorder for a container of another runtime (Debian's
# runc), as an OCI createRuntime hook: exact counts of a grandchild's loop, the trace written
# once the container is gone, the generated profile enforced by runc, clear errors, nothing left
# behind (recorder, BPF link, container).
load ../helpers/common
load trace

setup_file() {
  common_setup_file
  [[ $(id -u) -eq 0 ]] || return 0
  gcc -static -O2 -o "$BATS_FILE_TMPDIR/tracee" "$NUCLEUS_SRC/conformance/seccomp/tracee.c"
}

setup() {
  common_setup
  nucleus_only  # the hook is nucleus-oci's; the container runs under runc
  RUNC=$(command -v runc || echo /usr/sbin/runc)
  [[ -x $RUNC ]] || skip "runc not installed (apt-get install runc)"
  RROOT=$BATS_TEST_TMPDIR/runc-root
  cp "$BATS_FILE_TMPDIR/tracee" "$BUNDLE/rootfs/bin/"
  TRACE=$BATS_TEST_TMPDIR/trace.ndjson
}

teardown() {
  local id
  for id in $("$RUNC" --root "$RROOT" list -q 2>/dev/null); do
    "$RUNC" --root "$RROOT" delete --force "$id" >/dev/null 2>&1 || true
  done
  common_teardown
  no_recorder || fail "a trace-hook recorder is still running"
  no_trace_links || fail "a BPF link of the trace recorder is still attached"
}

# no_recorder: no process runs `seccomp trace-hook` for this test's trace (waits up to 5 s).
no_recorder() {
  local i f c left
  for i in $(seq 50); do
    left=
    for f in /proc/[0-9]*/cmdline; do
      c=$( { tr '\0' ' ' <"$f"; } 2>/dev/null) || continue
      [[ $c == *"seccomp trace-hook"*"$TRACE"* ]] && left+="${f%/cmdline}: $c"$'\n'
    done
    [[ -z $left ]] && return 0
    sleep 0.1
  done
  echo "$left" >&2
  return 1
}

# with_hook [PATH ARG...]: hooks.createRuntime runs the hook (default: trace-hook -o $TRACE).
with_hook() {
  local j='[]' a path=${1:-$RUNTIME}
  [[ $# -gt 0 ]] && shift || set -- nucleus-oci seccomp trace-hook -o "$TRACE"
  for a in "$@"; do j=$(jq -c --arg v "$a" '. + [$v]' <<<"$j"); done
  update_config '.hooks.createRuntime = [{"path": $p, "args": $a, "timeout": 30}]' \
    --arg p "$path" --argjson a "$j"
}

# with_wait: hooks.poststop waits for the trace (trace-hook --wait), so `runc run` returns with it.
with_wait() {
  update_config '.hooks.poststop = [{"path": $p, "args": ["nucleus-oci", "seccomp", "trace-hook", "--wait", "-o", $t], "timeout": 30}]' \
    --arg p "$RUNTIME" --arg t "$TRACE"
}

runc_run() { run timeout 60 "$RUNC" --root "$RROOT" run --bundle "$BUNDLE" "$1" </dev/null; }

@test "trace-hook: runc container, a grandchild's loop counted exactly, trace written when it ends" {
  set_cmd '/bin/tracee fork2 37 && echo workload-done'
  with_hook
  runc_run "$ID"
  expect_status 0
  expect_output_contains workload-done
  # The recorder writes the trace when the cgroup is empty: usually before `runc run` returns,
  # otherwise tens of ms after (12-66 ms measured at load 6.5); the file only ever appears
  # whole (written atomically) and was removed by the hook, so waiting for it is enough.
  wait_for_file "$TRACE" 5 || fail "no trace within 5 s of runc's exit"
  # getpgid: only the grandchild calls it (runc's init, recorded too from createRuntime on, does
  # not; read/write would count its own calls as well, so the dd loop's exact read/write is not
  # the check here).
  expect_eq "$(count "$TRACE" SCMP_ARCH_X86_64 getpgid)" 37 "getpgid of the grandchild"
  jq -e -s 'any(.[]; .name == "clone" and (.args[0].values | length) >= 1)' "$TRACE" >/dev/null ||
    fail "clone without its flags"
  jq -e -s 'any(.[]; .name == "wait4") and any(.[]; .name == "execve")' "$TRACE" >/dev/null ||
    fail "the trace lacks the workload's own syscalls: $(cat "$TRACE")"
}

@test "trace-hook --wait as a poststop hook: the trace is complete when runc run returns" {
  set_args /bin/tracee fork2 41
  with_hook
  with_wait
  local i
  for i in 1 2 3; do
    runc_run "$ID-$i"
    expect_status 0
    [[ -s $TRACE ]] || fail "run $i: no trace when runc run returned"
    expect_eq "$(count "$TRACE" SCMP_ARCH_X86_64 getpgid)" 41 "run $i: getpgid"
  done
  # Without a recorder (no createRuntime hook) --wait gives up after --timeout, naming the file.
  rm -f "$TRACE"
  run "$RUNTIME" seccomp trace-hook --wait --timeout 1 -o "$TRACE" <<<'{"pid":1}'
  expect_status 1
  expect_output_contains "no trace at $TRACE after 1s"
}

@test "trace-hook: a process added by runc exec during the trace is recorded" {
  set_args /bin/tracee wait /tmp/done
  with_hook
  "$RUNC" --root "$RROOT" create --bundle "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/c.out" 2>&1 ||
    fail "runc create: $(cat "$BATS_TEST_TMPDIR/c.out")"
  "$RUNC" --root "$RROOT" start "$ID"
  run timeout 30 "$RUNC" --root "$RROOT" exec "$ID" /bin/tracee getpgid 23
  expect_status 0
  touch "$BUNDLE/rootfs/tmp/done"
  poll_eq 10 stopped "runc container $ID" sh -c "'$RUNC' --root '$RROOT' state '$ID' | jq -r .status"
  "$RUNC" --root "$RROOT" delete "$ID"
  wait_for_file "$TRACE" 5 || fail "no trace within 5 s of the container's end"
  expect_eq "$(count "$TRACE" SCMP_ARCH_X86_64 getpgid)" 23 "getpgid of the exec'd process"
}

@test "trace-hook: the profile generated from the trace is enforced by runc" {
  set_cmd '/bin/tracee fork2 5 && echo workload-done'
  with_hook
  runc_run "$ID-t"
  expect_status 0
  wait_for_file "$TRACE" 5 || fail "no trace within 5 s of runc's exit"
  update_config 'del(.hooks)'
  run "$RUNTIME" seccomp generate --bundle "$BUNDLE" "$TRACE"
  expect_status 0
  # The traced workload passes under the profile.
  runc_run "$ID-e"
  expect_status 0
  expect_output_contains workload-done
  # mkdir was never traced: EPERM (without the profile it succeeds: the rootfs is writable).
  set_cmd '/bin/tracee fork2 5 && mkdir /tmp/outside'
  runc_run "$ID-d"
  expect_status 1
  expect_output_contains "Operation not permitted"
  [[ ! -d $BUNDLE/rootfs/tmp/outside ]] || fail "mkdir was not denied"
}

@test "trace-hook: a state whose pid has no container cgroup, or none at all: exit 1, clear error" {
  run "$RUNTIME" seccomp trace-hook -o "$TRACE" <<<'{"ociVersion":"1.0.2","id":"x","pid":1}'
  expect_status 1
  expect_output_contains "process 1 is in the root of the cgroup v2 hierarchy, not in a container's own cgroup"
  run "$RUNTIME" seccomp trace-hook -o "$TRACE" <<<'{"ociVersion":"1.0.2","id":"x"}'
  expect_status 1
  expect_output_contains 'the container state on stdin has no \"pid\" (run this as a createRuntime or prestart hook)'
  run "$RUNTIME" seccomp trace-hook <<<'{"pid":1}'
  expect_status 1
  expect_output_contains "seccomp trace-hook needs -o FILE"
  [[ ! -e $TRACE ]] || fail "a trace was written"
}

@test "trace-hook: without privileges the hook fails, so does runc's create, nothing left" {
  command -v setpriv >/dev/null || skip "setpriv not installed"
  set_cmd 'echo should-not-run'
  # (where nobody may look: the test's own directory is not reachable for it)
  TRACE=/tmp/nucleus-trace-hook-$ID.ndjson
  rm -f "$TRACE"
  with_hook /usr/bin/setpriv setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$RUNTIME" seccomp trace-hook -o "$TRACE"
  runc_run "$ID"
  expect_status 1
  expect_output_contains "the eBPF trace recorder cannot run here" "CAP_BPF and CAP_PERFMON"
  [[ $output != *should-not-run* ]] || fail "the container ran"
  [[ -z $("$RUNC" --root "$RROOT" list -q 2>/dev/null) ]] || fail "runc left a container"
  [[ ! -e $TRACE ]] || fail "a trace was written"
}
