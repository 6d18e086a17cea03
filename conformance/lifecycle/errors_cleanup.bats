#!/usr/bin/env bats
# Errors in the bundle: exit 1 with a useful message, and nothing left behind (teardown checks
# the state dir, cgroups, mounts and processes after each test).
load ../helpers/common

# create_fails [TEXT...]: create (and run) must exit 1 and mention each TEXT; no state after.
create_fails() {
  run rt create --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains "$@"
  run rt state "$ID"
  expect_status 1
  [[ ! -e $ROOT/$ID ]] || fail "state dir left: $(ls -la "$ROOT/$ID")"
  run rt run --bundle "$BUNDLE" "${ID}b"
  expect_status 1
  expect_output_contains "$@"
  run rt state "${ID}b"
  expect_status 1
}

@test "missing rootfs" {
  set_args true
  rm -rf "$BUNDLE/rootfs"
  create_fails rootfs
}

@test "root.path that does not exist" {
  set_args true
  update_config '.root.path = "no-such-rootfs"'
  create_fails no-such-rootfs
}

@test "malformed config.json (not JSON)" {
  echo 'this is { not json' > "$BUNDLE/config.json"
  create_fails ""
}

@test "missing config.json" {
  rm "$BUNDLE/config.json"
  create_fails config.json
}

@test "process.args empty" {
  update_config '.process.args = []'
  create_fails args
}

@test "missing executable (PATH lookup): executable file not found" {
  set_args no-such-binary-xyz
  create_fails no-such-binary-xyz "executable file not found"
}

@test "missing executable (absolute path): no such file or directory" {
  set_args /no/such/binary
  create_fails /no/such/binary "no such file or directory"
}

@test "executable without the exec bit fails" {
  printf '#!/bin/sh\necho hi\n' > "$BUNDLE/rootfs/noexec.sh"
  chmod 644 "$BUNDLE/rootfs/noexec.sh"
  set_args /noexec.sh
  run rt run --bundle "$BUNDLE" "$ID"
  expect_failure
  [[ $output != *hi* ]] || fail "it ran: $output"
}

@test "relative process.cwd" {
  set_args true
  update_config '.process.cwd = "relative/dir"'
  create_fails
}

@test "process.cwd that is a file" {
  set_args true
  update_config '.process.cwd = "/etc/passwd"'
  create_fails
}

@test "process.cwd that cannot be made" {
  # A missing cwd is created (as runc does; Kubernetes' workingDir relies on it), but not under a
  # file.
  set_args true
  update_config '.process.cwd = "/etc/passwd/sub"'
  create_fails
}

@test "a mount with a missing bind source" {
  set_args true
  update_config '.mounts += [{destination: "/mnt/x", type: "bind", source: "/no/such/source", options: ["rbind"]}]'
  create_fails /no/such/source
}

@test "errors say where they happened, in runc's words (its error chain)" {
  # "runc create failed: unable to start container process: error during container init: error
  # mounting ..." is what Docker shows after "OCI runtime create failed: " and what runc's
  # mounts_sshfs.bats matches; the name is the binary's own (runc installed as runc).
  local name
  name=$(basename "$RUNTIME")
  set_args true
  update_config '.mounts += [{destination: "/proc/nucleus-x", type: "bind", source: "/etc/hostname", options: ["bind"]}]'
  # (the log's msg="..." escapes the quotes around the paths)
  local chain='unable to start container process: error during container init: error mounting '
  local where='/etc/hostname\" to rootfs at \"/proc/nucleus-x\": '
  create_fails "$chain" "$where"  # (create and run: nothing left)
  run rt create --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains "$name create failed: $chain"
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains "$name run failed: $chain"
  # before the init starts: the command's name only
  update_config '.mounts |= map(select(.destination != "/proc/nucleus-x")) | .process.cwd = "relative"'
  run rt create --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains "$name create failed: "
  [[ $output != *"unable to start container process"* ]] || fail "a config error read as an init's: $output"
  # exec: runc's "exec failed: unable to start container process: ...", exit 255
  update_config '.process.cwd = "/" | .process.args = ["sleep", "100"]'
  run rt run -d --bundle "$BUNDLE" "$ID"
  expect_status 0
  run rt exec --cwd /no/such/dir "$ID" true
  expect_status 255
  expect_output_contains 'exec failed: unable to start container process: ' /no/such/dir
}

@test "an invalid container id is refused" {
  set_args true
  run rt create --bundle "$BUNDLE" "../escape"
  expect_failure
  [[ ! -e $ROOT/../escape ]] || { rm -rf "$ROOT/../escape"; fail "created a dir outside the root"; }
  run rt create --bundle "$BUNDLE" ""
  expect_failure
}

@test "unknown namespace type is refused" {
  set_args true
  update_config '.linux.namespaces += [{type: "nosuchns"}]'
  create_fails
}

@test "a failed start leaves the container deletable and nothing else" {
  set_args /no/such/binary
  run rt create --bundle "$BUNDLE" "$ID"
  if [[ $status -eq 0 ]]; then
    # a runtime may report the missing binary at start instead of create
    run rt start "$ID"
    expect_status 1
    rt delete --force "$ID"
  fi
  run rt state "$ID"
  expect_status 1
}

@test "exec --detach of a missing binary reports the error every time (50 tries)" {
  # A child that fails before reading the runtime's last message closes with it unread: the
  # kernel then reports ECONNRESET ahead of the child's error. The error must still come through.
  run rt run --detach --bundle "$BUNDLE" "$ID"
  expect_status 0
  local i
  for i in $(seq 50); do
    run rt exec --detach --pid-file "$BATS_TEST_TMPDIR/p" "$ID" /nonexistent
    expect_failure  # (1; runc says 255)
    expect_output_contains "no such file or directory"
    [[ ! -e $BATS_TEST_TMPDIR/p ]] || fail "pid file written for a failed exec"
  done
}
