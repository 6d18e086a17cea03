#!/usr/bin/env bats
# CVE-2019-5736 class: a container process must not be able to write the runtime's binary
# through /proc/PID/exe of a runtime process that is inside the container (the init before
# `start`, or an exec'd process before its execve).
#
# The attack (as in the original exploit, minus the hijacked library): container B shares the
# pid namespace of container A, whose init is still the runtime's process waiting for `start`.
# B holds CAP_SYS_PTRACE (enough to open /proc/1/exe of a non-dumpable process), opens
# /proc/1/exe read-only, waits until A has started (the runtime binary is no longer executed by
# anyone, so ETXTBSY no longer protects it), then reopens the fd for writing. A naive runtime
# loses its binary here. The runtime under test is a private copy, so a naive one only corrupts
# the copy.
load ../helpers/common

setup_file() {
  common_setup_file
  [[ -n ${RUNTIME:-} ]] || return 0
  mkdir -p "$BATS_FILE_TMPDIR/bin"
  cp "$RUNTIME" "$BATS_FILE_TMPDIR/bin/$(basename "$RUNTIME")"
  RUNTIME=$BATS_FILE_TMPDIR/bin/$(basename "$RUNTIME")
  BINARY_SUM=$(sha256sum "$RUNTIME" | cut -d' ' -f1)
  export RUNTIME BINARY_SUM
}

# A sealed install (README.md): the binary's directory seen through a read-only overlayfs
# without upper layer, made here for the test's private copy. Prints the sealed binary's path.
sealed_install() {
  local d=$BATS_TEST_TMPDIR/seal
  mkdir -p "$d/empty" "$d/view"
  mount -t overlay -o "ro,lowerdir=$(dirname "$RUNTIME"):$d/empty,xino=off" overlay "$d/view" ||
    fail "mount the sealed install"
  echo "$d/view" > "$BATS_TEST_TMPDIR/seal.mnt"
  echo "$d/view/$(basename "$RUNTIME")"
}

teardown() {
  common_teardown
  local rc=$?
  if [[ -f $BATS_TEST_TMPDIR/seal.mnt ]]; then
    umount "$(cat "$BATS_TEST_TMPDIR/seal.mnt")" || rc=1
  fi
  return $rc
}

# The attack on the init of a created container (see the top of the file), with the runtime
# under test at $RUNTIME; the binary whose sha256 is checked is $BINARY (the real file).
attack_created_init() {
  mkdir -p "$BATS_TEST_TMPDIR/sync"
  chmod 777 "$BATS_TEST_TMPDIR/sync"
  # A: created, not started: its pid 1 is the runtime's own process.
  run rt create --bundle "$BUNDLE" "$ID"
  expect_status 0
  local pid
  pid=$(pid_of "$ID")
  if ! is_runc; then
    # The init runs from a sealed view: a read-only overlayfs without upper layer.
    expect_eq "$(stat -f -c %T "/proc/$pid/exe")" overlayfs "filesystem of /proc/$pid/exe"
  fi
  # B: joins A's pid namespace, with CAP_SYS_PTRACE.
  local b=$BATS_TEST_TMPDIR/b
  mkdir -p "$b"
  cp -a "$BUNDLE/rootfs" "$b/rootfs"
  jq --arg ns "/proc/$pid/ns/pid" --arg sync "$BATS_TEST_TMPDIR/sync" '
    .linux.namespaces = [.linux.namespaces[] | if .type == "pid" then .path = $ns else . end]
    | .process.capabilities |= with_entries(.value += ["CAP_SYS_PTRACE"])
    | .mounts += [{"destination": "/sync", "type": "bind", "source": $sync,
                   "options": ["rbind", "rw"]}]
    | .process.args = ["sh", "-c",
        "exec 3</proc/1/exe || { echo OPENFAIL > /sync/result; exit 0; }
         echo opened > /sync/opened
         while [ ! -e /sync/go ]; do sleep 0.05; done
         if echo PWNED >/proc/self/fd/3 2>/sync/err; then r=WROTE; else r=DENIED; fi
         echo $r > /sync/result"]' "$BUNDLE/config.json" > "$b/config.json"
  run rt run --detach --bundle "$b" "${ID}b"
  expect_status 0
  wait_for_file "$BATS_TEST_TMPDIR/sync/opened" 10 || {
    cat "$BATS_TEST_TMPDIR/sync/result" 2>/dev/null
    fail "container B could not open /proc/1/exe"
  }
  # A starts: nobody executes the runtime binary any more.
  run rt start "$ID"
  expect_status 0
  touch "$BATS_TEST_TMPDIR/sync/go"
  wait_for_file "$BATS_TEST_TMPDIR/sync/result" 10
  local result
  result=$(cat "$BATS_TEST_TMPDIR/sync/result")
  echo "B: $result ($(cat "$BATS_TEST_TMPDIR/sync/err" 2>/dev/null))"
  expect_eq "$(sha256sum "$BINARY" | cut -d' ' -f1)" "$BINARY_SUM" "sha256 of the runtime binary"
  expect_eq "$result" DENIED "B's write through /proc/1/exe"
}

@test "host binary: /proc/1/exe of a created container cannot be reopened for writing" {
  BINARY=$RUNTIME attack_created_init
}

@test "host binary: from a sealed install, the init is a clone (no second exec) and stays sealed" {
  nucleus_only
  local binary=$RUNTIME sealed
  sealed=$(sealed_install)
  RUNTIME=$sealed
  cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/config.json"
  set_args true
  # The init is a plain clone of the sealed runtime: its command line is create's, not
  # `nucleus-oci init FD`, and its /proc/PID/exe is the sealed view.
  run rt create --bundle "$BUNDLE" "${ID}c"
  expect_status 0
  local pid
  pid=$(pid_of "${ID}c")
  expect_eq "$(stat -f -c %T "/proc/$pid/exe")" overlayfs "filesystem of /proc/$pid/exe"
  local cmdline
  cmdline=$(tr '\0' ' ' < "/proc/$pid/cmdline")
  [[ $cmdline == *create* ]] || fail "the init was exec'd (cmdline: $cmdline)"
  run rt start "${ID}c"
  expect_status 0
  wait_status "${ID}c" stopped
  run rt delete "${ID}c"
  expect_status 0
  # And the attack on its created init fails like the one on an exec'd init (A's process must
  # outlive B's, which is in A's pid namespace: the bundle's own long-running one).
  cp "$BATS_TEST_TMPDIR/config.json" "$BUNDLE/config.json"
  BINARY=$binary attack_created_init
}

@test "host binary: exec re-executes itself from a sealed binary before entering" {
  nucleus_only
  run rt run --detach --bundle "$BUNDLE" "$ID"
  expect_status 0
  # A foreground exec: the runtime process stays while its child runs in the container. It
  # re-executed itself (same pid) from the sealed overlay before forking that child.
  "$RUNTIME" --root "$ROOT" exec "$ID" sh -c "sleep 1000" </dev/null >/dev/null 2>&1 &
  local p=$!
  bg $p
  local f=
  for _ in $(seq 100); do
    f=$(stat -f -c %T "/proc/$p/exe" 2>/dev/null) || true
    [[ $f == overlayfs ]] && break
    sleep 0.05
  done
  expect_eq "$f" overlayfs "filesystem of /proc/$p/exe (exec)"
  # Writing to it is refused by the filesystem itself.
  run sh -c "echo x >> /proc/$p/exe"
  expect_failure
  expect_output_contains "Read-only file system"
}

@test "host binary: a pid namespace joined by path gets an init cloned from a sealed runtime" {
  nucleus_only
  run rt run --detach --bundle "$BUNDLE" "$ID"
  expect_status 0
  local pid
  pid=$(pid_of "$ID")
  # B joins A's pid namespace: its init must never run the host binary there, not even
  # between its clone and its exec, so create re-execs itself from the sealed view first.
  local b=$BATS_TEST_TMPDIR/b
  mkdir -p "$b"
  cp -a "$BUNDLE/rootfs" "$b/rootfs"
  jq --arg ns "/proc/$pid/ns/pid" '
    .linux.namespaces = [.linux.namespaces[] | if .type == "pid" then .path = $ns else . end]
    | .process.args = ["sleep", "1000"]' "$BUNDLE/config.json" > "$b/config.json"
  "$RUNTIME" --root "$ROOT" --debug --log "$BATS_TEST_TMPDIR/b.log" create --bundle "$b" "${ID}b"
  local bpid
  bpid=$(pid_of "${ID}b")
  expect_eq "$(stat -f -c %T "/proc/$bpid/exe")" overlayfs "filesystem of /proc/$bpid/exe"
  # A plain clone of the sealed runtime, not `nucleus-oci init` exec'd by an unsealed one.
  run cat "/proc/$bpid/cmdline"
  [[ $output != *"init"* ]] || fail "the init was exec'd (cmdline: $output)"
  run rt delete --force "${ID}b"
  expect_status 0
}

@test "host binary: nucleus-oci init refuses to run when not started by create" {
  nucleus_only
  # From the host binary (unsealed), with a made-up fd: an error, exit 1, nothing started.
  exec 7</dev/null
  run "$RUNTIME" init 7
  exec 7<&-
  expect_status 1
  expect_output_contains "refusing to run from an unsealed binary"
  run "$RUNTIME" init notanumber
  expect_status 1
  expect_output_contains "internal command"
}
