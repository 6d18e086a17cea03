#!/usr/bin/env bats
# Trace mode's eBPF recorder (seccomp/ebpf_trace.hpp) on real containers: exact counts, the
# workload's grandchildren, processes added by `exec`, 32-bit syscalls, two traced containers at
# once, the mode flag and annotation, and nothing left behind (tracer, BPF link).
load ../helpers/common
load trace

setup_file() {
  common_setup_file
  [[ $(id -u) -eq 0 ]] || return 0
  # The workload with known syscall counts (tracee.c), static, 64-bit and 32-bit.
  gcc -static -O2 -o "$BATS_FILE_TMPDIR/tracee" "$NUCLEUS_SRC/conformance/seccomp/tracee.c"
  gcc -m32 -static -O2 -o "$BATS_FILE_TMPDIR/tracee32" "$NUCLEUS_SRC/conformance/seccomp/tracee.c"
  gcc -O2 -o "$BATS_FILE_TMPDIR/nobpf" "$NUCLEUS_SRC/conformance/seccomp/nobpf.c" -lseccomp
}

setup() {
  common_setup
  nucleus_only
  cp "$BATS_FILE_TMPDIR/tracee" "$BATS_FILE_TMPDIR/tracee32" "$BUNDLE/rootfs/bin/"
  TRACE=$BATS_TEST_TMPDIR/trace.ndjson
}

teardown() {
  common_teardown
  no_trace_links || fail "a BPF link of the trace recorder is still attached"
}

@test "ebpf: exact counts of a dd loop (read 50000, write 50001)" {
  set_args dd if=/dev/zero of=/dev/null bs=1 count=50000
  run rt run --seccomp-trace "$TRACE" --seccomp-trace-mode ebpf --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_eq "$(count "$TRACE" SCMP_ARCH_X86_64 read)" 50000 "read"
  expect_eq "$(count "$TRACE" SCMP_ARCH_X86_64 write)" 50001 "write"
}

@test "ebpf: a grandchild's syscalls are recorded, exactly" {
  set_args /bin/tracee fork2 37
  run rt run --seccomp-trace "$TRACE" --seccomp-trace-mode ebpf --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_eq "$(count "$TRACE" SCMP_ARCH_X86_64 getpgid)" 37 "getpgid of the grandchild"
  # fork() in glibc is clone: the flags are kept.
  jq -e -s 'any(.[]; .name == "clone" and (.args[0].values | length) >= 1)' "$TRACE" >/dev/null ||
    fail "clone without its flags"
}

@test "ebpf: a process added by exec during the trace is recorded" {
  set_args /bin/tracee wait /tmp/done
  rt create --seccomp-trace "$TRACE" --seccomp-trace-mode ebpf --bundle "$BUNDLE" "$ID" >/dev/null
  rt start "$ID"
  run rt exec "$ID" /bin/tracee getpgid 23
  expect_status 0
  # Told to finish from the host (an exec'd touch can be killed with the container: its init
  # may see the file and exit before touch has, and the pid namespace goes with it: 137).
  touch "$BUNDLE/rootfs/tmp/done"
  wait_status "$ID" stopped 10
  rt delete "$ID"
  [[ -s $TRACE ]] || fail "no trace written by delete"
  expect_eq "$(count "$TRACE" SCMP_ARCH_X86_64 getpgid)" 23 "getpgid of the exec'd process"
}

@test "ebpf: two traced containers at once keep their own traces" {
  set_args sh -c '/bin/tracee getpgid 11; /bin/tracee wait /tmp/done'
  cp -a "$BUNDLE" "$BATS_TEST_TMPDIR/b2"
  jq '.process.args = ["sh", "-c", "/bin/tracee getpgid 22; /bin/tracee wait /tmp/done"]' \
    "$BUNDLE/config.json" > "$BATS_TEST_TMPDIR/b2/config.json"
  rt create --seccomp-trace "$TRACE" --bundle "$BUNDLE" "$ID-a" >/dev/null
  rt create --seccomp-trace "$TRACE.b" --bundle "$BATS_TEST_TMPDIR/b2" "$ID-b" >/dev/null
  rt start "$ID-a"
  rt start "$ID-b"
  # Both run (and are traced) at the same time until both are told to finish.
  # (from the host, as above: an exec'd touch may be killed with its container)
  touch "$BUNDLE/rootfs/tmp/done" "$BATS_TEST_TMPDIR/b2/rootfs/tmp/done"
  wait_status "$ID-a" stopped 10
  wait_status "$ID-b" stopped 10
  rt delete "$ID-a"
  rt delete "$ID-b"
  expect_eq "$(count "$TRACE" SCMP_ARCH_X86_64 getpgid)" 11 "container a"
  expect_eq "$(count "$TRACE.b" SCMP_ARCH_X86_64 getpgid)" 22 "container b"
}

ia32_works() { "$BATS_FILE_TMPDIR/tracee" int80 1 2>/dev/null; }

@test "both modes: 32-bit syscalls (int \$0x80) are recorded under SCMP_ARCH_X86" {
  # This host's kernel may run without IA32 emulation (ia32_emulation=0, or built without it):
  # then neither a 32-bit program nor int $0x80 can run at all.
  ia32_works || skip "the kernel has no IA32 emulation (int \$0x80 faults): no compat syscalls"
  local mode
  for mode in ebpf notify; do
    set_args /bin/tracee int80 13
    run rt run --seccomp-trace "$TRACE.$mode" --seccomp-trace-mode $mode --bundle "$BUNDLE" "$ID-$mode"
    expect_status 0
    expect_eq "$(count "$TRACE.$mode" SCMP_ARCH_X86 getppid)" 13 "$mode: i386 getppid"
    # Not mistaken for x86_64 syscall 64 (semget).
    expect_eq "$(count "$TRACE.$mode" SCMP_ARCH_X86_64 semget)" 0 "$mode: semget"
    set_args /bin/tracee32 getpgid 5
    run rt run --seccomp-trace "$TRACE.32.$mode" --seccomp-trace-mode $mode --bundle "$BUNDLE" "$ID-32$mode"
    expect_status 0
    expect_eq "$(count "$TRACE.32.$mode" SCMP_ARCH_X86 getpgid)" 5 "$mode: 32-bit program's getpgid"
  done
}

@test "ebpf and notify traces of the same workload agree on every count" {
  set_args /bin/tracee fork2 9
  run rt run --seccomp-trace "$TRACE.e" --seccomp-trace-mode ebpf --bundle "$BUNDLE" "$ID-e"
  expect_status 0
  run rt run --seccomp-trace "$TRACE.n" --seccomp-trace-mode notify --bundle "$BUNDLE" "$ID-n"
  expect_status 0
  # The workload's own calls; the init's last steps before its exec differ between the modes
  # (the filter load in notify mode), so compare what tracee makes.
  local s
  for s in getpgid clone wait4 exit_group; do
    expect_eq "$(count "$TRACE.e" SCMP_ARCH_X86_64 $s)" "$(count "$TRACE.n" SCMP_ARCH_X86_64 $s)" "$s"
  done
}

@test "--seccomp-trace-mode and the annotation: bad values are errors naming them" {
  set_args true
  run rt run --seccomp-trace "$TRACE" --seccomp-trace-mode fast --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains '--seccomp-trace-mode: unknown trace mode' fast '(auto, notify, ebpf)'
  update_config '.annotations["org.nucleus.seccomp.trace"] = "'"$TRACE"'" | .annotations["org.nucleus.seccomp.trace-mode"] = "slow"'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains 'annotation org.nucleus.seccomp.trace-mode: unknown trace mode' slow
  [[ ! -e $TRACE ]] || fail "a trace was written"
  [[ -z $(ls -A "$ROOT") ]] || fail "state left behind: $(ls -A "$ROOT")"
}

@test "the annotation selects notify mode (the init loads the USER_NOTIF filter)" {
  set_args sh -c 'grep Seccomp: /proc/self/status'
  update_config 'del(.linux.seccomp) | .annotations["org.nucleus.seccomp.trace"] = "'"$TRACE"'" | .annotations["org.nucleus.seccomp.trace-mode"] = "notify"'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_output_contains "Seccomp:	2"
  # ebpf: no filter at all in the container
  update_config '.annotations["org.nucleus.seccomp.trace-mode"] = "ebpf"'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_output_contains "Seccomp:	0"
  [[ -s $TRACE ]] || fail "no trace"
}

@test "auto without bpf(2): USER_NOTIF, with a warning saying why; ebpf: a clear error" {
  set_args /bin/tracee getpgid 5
  local nobpf=$BATS_FILE_TMPDIR/nobpf
  run "$nobpf" "$RUNTIME" --root "$ROOT" run --seccomp-trace "$TRACE" --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_output_contains 'eBPF recorder unavailable' 'operation not permitted' \
    'recording with SECCOMP_RET_USER_NOTIF'
  expect_eq "$(count "$TRACE" SCMP_ARCH_X86_64 getpgid)" 5 "getpgid through USER_NOTIF"
  rm -f "$TRACE"
  run "$nobpf" "$RUNTIME" --root "$ROOT" run --seccomp-trace "$TRACE" --seccomp-trace-mode ebpf \
    --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains 'seccomp trace mode ebpf:' 'operation not permitted'
  [[ ! -e $TRACE ]] || fail "a trace was written"
  [[ -z $(ls -A "$ROOT") ]] || fail "state left behind: $(ls -A "$ROOT")"
}
