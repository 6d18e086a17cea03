#!/usr/bin/env bats
# checkpoint and restore on this host: the error paths, which need no working CRIU. A real
# checkpoint needs a kernel Debian's CRIU 3.17 can dump on (6.18 here is not: "vdso: Failed to
# fill self vdso symtable"); those checks run in the VM (conformance/systemd/checkpoint.bats via
# hack/vm/run-systemd). Whatever fails, the container keeps running and nothing is left behind
# (teardown's leak check).
load ../helpers/common

@test "checkpoint and restore are commands (help lists them, --help describes them)" {
  run rt --help
  expect_status 0
  expect_output_contains checkpoint restore
  run rt checkpoint --help
  expect_status 0
  expect_output_contains --image-path --leave-running --pre-dump --parent-path --manage-cgroups-mode
  run rt restore --help
  expect_status 0
  expect_output_contains --bundle --detach --pid-file --console-socket --image-path
}

@test "checkpoint of a container that does not exist: exit 1" {
  run rt checkpoint --image-path "$BATS_TEST_TMPDIR/img" nosuch
  expect_status 1
  expect_output_contains "does not exist"
}

@test "checkpoint of a created container: runc's refusal" {
  set_args sleep 100
  rt create --bundle "$BUNDLE" "$ID"
  run rt checkpoint --image-path "$BATS_TEST_TMPDIR/img" "$ID"
  expect_status 1
  expect_output_contains "Container cannot be checkpointed in created state"
  expect_eq "$(status_of "$ID")" created
}

@test "checkpoint: bad --manage-cgroups-mode, --page-server, --parent-path, --empty-ns" {
  set_args sleep 100
  rt run -d --bundle "$BUNDLE" "$ID"
  run rt checkpoint --image-path "$BATS_TEST_TMPDIR/img" --manage-cgroups-mode bogus "$ID"
  expect_status 1
  expect_output_contains "invalid manage-cgroups-mode value"
  run rt checkpoint --image-path "$BATS_TEST_TMPDIR/img" --page-server nohostport "$ID"
  expect_status 1
  expect_output_contains "Use --page-server ADDRESS:PORT to specify page server"
  run rt checkpoint --image-path "$BATS_TEST_TMPDIR/img" --pre-dump --parent-path /abs "$ID"
  expect_status 1
  expect_output_contains "--parent-path must be relative"
  run rt checkpoint --image-path "$BATS_TEST_TMPDIR/img" --pre-dump --parent-path ../nosuch "$ID"
  expect_status 1
  expect_output_contains "invalid --parent-path"
  run rt checkpoint --image-path "$BATS_TEST_TMPDIR/img" --empty-ns pid "$ID"
  expect_status 1
  expect_output_contains 'namespace \"pid\" is not supported'
  expect_eq "$(status_of "$ID")" running
}

@test "checkpoint without criu in PATH: runc's error, the container keeps running" {
  set_args sleep 100
  rt run -d --bundle "$BUNDLE" "$ID"
  run env PATH=/nonexistent "$RUNTIME" --root "$ROOT" checkpoint --image-path "$BATS_TEST_TMPDIR/img" "$ID"
  expect_status 1
  expect_output_contains 'CRIU version check failed: exec: \"criu\": executable file not found in $PATH'
  expect_eq "$(status_of "$ID")" running
}

@test "checkpoint with a criu too old for the version RPC: the version named, still running" {
  nucleus_only
  set_args sleep 100
  rt run -d --bundle "$BUNDLE" "$ID"
  # a "criu" that answers no RPC (CRIU < 3.0 had no swrk version request): it just exits
  mkdir -p "$BATS_TEST_TMPDIR/bin"
  printf '#!/bin/sh\nexit 1\n' >"$BATS_TEST_TMPDIR/bin/criu"
  chmod +x "$BATS_TEST_TMPDIR/bin/criu"
  run env PATH="$BATS_TEST_TMPDIR/bin:$PATH" "$RUNTIME" --root "$ROOT" checkpoint --image-path "$BATS_TEST_TMPDIR/img" "$ID"
  expect_status 1
  expect_output_contains "CRIU version check failed"
  expect_eq "$(status_of "$ID")" running
}

@test "restore without images: exit 1, nothing left (no state, no cgroup)" {
  set_args sleep 100
  run rt restore -d --bundle "$BUNDLE" --image-path "$BATS_TEST_TMPDIR/none" "$ID"
  expect_status 1
  expect_output_contains "$BATS_TEST_TMPDIR/none"
  run rt state "$ID"
  expect_status 1
  [[ ! -e $ROOT/$ID ]]
}

@test "restore without criu in PATH: runc's error, nothing left" {
  set_args sleep 100
  mkdir -p "$BATS_TEST_TMPDIR/img"
  echo '["/dev/null","/dev/null","/dev/null"]' >"$BATS_TEST_TMPDIR/img/descriptors.json"
  run env PATH=/nonexistent "$RUNTIME" --root "$ROOT" restore -d --bundle "$BUNDLE" --image-path "$BATS_TEST_TMPDIR/img" "$ID"
  expect_status 1
  expect_output_contains 'executable file not found in $PATH'
  [[ ! -e $ROOT/$ID ]]
}

@test "checkpoint where CRIU cannot dump (this host's kernel): criu's error quoted, exit 1, still running" {
  command -v criu >/dev/null || skip "criu is not installed"
  if timeout 60 criu check >/dev/null 2>&1; then
    skip "criu check passes on this kernel: the dump failure is checked in the VM (conformance/systemd/checkpoint.bats)"
  fi
  set_args sleep 100
  rt run -d --bundle "$BUNDLE" "$ID"
  pid=$(pid_of "$ID")
  run rt checkpoint --image-path "$BATS_TEST_TMPDIR/img" "$ID"
  expect_status 1
  expect_output_contains "criu failed: type DUMP"
  expect_eq "$(status_of "$ID")" running
  expect_eq "$(pid_of "$ID")" "$pid" "the init after the failed checkpoint"
  # the log CRIU wrote is where runc's is: in the image directory
  [[ -s $BATS_TEST_TMPDIR/img/dump.log ]]
}

@test "features: org.nucleus.checkpoint says which criu (and its version) or why none" {
  nucleus_only
  run env PATH=/nonexistent "$RUNTIME" features
  expect_status 0
  expect_eq "$(jq -r '.annotations["org.nucleus.checkpoint"]' <<<"$output")" \
    'unavailable: exec: "criu": executable file not found in $PATH'
  command -v criu >/dev/null || skip "criu is not installed"
  want=$(criu --version | awk '/^Version:/ {print $2}')
  run "$RUNTIME" features
  expect_status 0
  v=$(jq -r '.annotations["org.nucleus.checkpoint"]' <<<"$output")
  [[ $v == "criu $want"* ]] || fail "org.nucleus.checkpoint is [$v], criu --version says $want"
}

@test "stdio that is the host's /dev/null becomes the container's /dev/null (runc's reOpenDevNull: CRIU can dump it)" {
  set_args sleep 100
  # rt gives a detached container stdin from the host's /dev/null (as Podman does)
  rt run -d --bundle "$BUNDLE" "$ID"
  pid=$(pid_of "$ID")
  mnt=$(awk '$1 == "mnt_id:" {print $2}' "/proc/$pid/fdinfo/0")
  expect_eq "$(readlink "/proc/$pid/fd/0")" /dev/null "fd 0"
  # the file's mount is one of the container's, not the host's /dev
  awk -v m="$mnt" '$1 == m {found = 1} END {exit !found}' "/proc/$pid/mountinfo" ||
    fail "fd 0 is /dev/null on mount $mnt, which is not in the container's mount namespace"
}
