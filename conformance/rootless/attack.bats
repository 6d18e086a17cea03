#!/usr/bin/env bats
# CVE-2019-5736 rootless (issue #16): the runtime binary of a user is theirs and writable by
# them, and the container's root is that user on the host, so a container process that gets hold
# of the binary through /proc/PID/exe of a runtime process could rewrite it. Without privileges
# the runtime cannot make its sealed overlayfs view; it runs from a sealed memfd copy instead
# (F_SEAL_WRITE), for the init and for exec.
load ../helpers/common
load rootless

setup() {
  rootless_setup
  # The user's own copy of the runtime, writable by them (as one in ~/bin would be).
  UBIN=$RL_WORK/home-$RL_USER/bin-$BATS_TEST_NUMBER
  mkdir -p "$UBIN"
  cp "$RUNTIME" "$UBIN/"
  chown -R "$RL_USER:$RL_USER" "$UBIN"
  chmod 755 "$UBIN/$(basename "$RUNTIME")"
  RUNTIME=$UBIN/$(basename "$RUNTIME")
  BINARY_SUM=$(sha256sum "$RUNTIME" | cut -d' ' -f1)
}

teardown() {
  rootless_teardown
  local rc=$?
  rm -rf "$UBIN"
  return $rc
}

@test "rootless host binary: the init and exec run from a sealed copy, not the user's binary" {
  nucleus_only
  run urt create --bundle "$UBUNDLE" "$ID"
  expect_status 0
  local pid
  pid=$(urt state "$ID" | jq -r .pid)
  # A created init is a clone of the runtime: its exe is the sealed memfd, not the file.
  expect_eq "$(readlink "/proc/$pid/exe")" "/memfd:nucleus-oci (deleted)" "exe of the created init"
  run sh -c "echo x >> /proc/$pid/exe"
  expect_failure
  run urt start "$ID"
  expect_status 0
}

@test "rootless host binary: a container sharing the user and pid namespaces cannot rewrite the binary" {
  # As conformance/attacks/host_binary.bats, as the user: container B joins A's user and pid
  # namespaces (a pod), so B's init, a process of the runtime until `start`, is visible in A.
  # A (CAP_SYS_PTRACE in that user namespace) opens its /proc/PID/exe, waits until B has started
  # and nothing executes the runtime any more, and writes through the fd. (A "#!/proc/self/exe"
  # entry point fails with ENOENT for runc and nucleus-oci alike.)
  ucfg '.process.capabilities |= with_entries(.value += ["CAP_SYS_PTRACE"])'
  uargs sh -c '
    while :; do
      for d in /proc/[0-9]*; do
        grep -q create $d/cmdline 2>/dev/null || continue
        p=${d#/proc/}
        break 2
      done
      sleep 0.02
    done
    if exec 3<"/proc/$p/exe" 2>/err; then echo opened > /opened; else echo OPENFAIL > /result; sleep 1000; fi
    while [ ! -e /go ]; do sleep 0.05; done
    if echo PWNED >/proc/self/fd/3 2>/err; then echo WROTE > /result; else echo DENIED > /result; fi
    sleep 1000'
  run urt run -d --bundle "$UBUNDLE" "$ID"
  expect_status 0
  local apid b=$RL_WORK/home-$RL_USER/b-$BATS_TEST_NUMBER-b
  apid=$(urt state "$ID" | jq -r .pid)
  make_user_bundle "$b" "$RL_USER"
  jq --arg u "/proc/$apid/ns/user" --arg p "/proc/$apid/ns/pid" '
      .linux.namespaces = [.linux.namespaces[] | if .type == "user" then .path = $u
                           elif .type == "pid" then .path = $p else . end]
      | .process.args = ["true"]
      # runc 1.1 wants the mappings even for a joined user namespace; nucleus-oci (and runc
      # 1.3) refuse them there
      | if $runc then . else del(.linux.uidMappings, .linux.gidMappings) end' \
    --argjson runc "$(is_runc && echo true || echo false)" "$b/config.json" > "$b/c.json"
  chown "$RL_USER:$RL_USER" "$b/c.json"
  mv "$b/c.json" "$b/config.json"
  run urt create --bundle "$b" "${ID}b"
  expect_status 0
  local bpid
  bpid=$(urt state "${ID}b" | jq -r .pid)
  if ! is_runc; then
    expect_eq "$(readlink "/proc/$bpid/exe")" "/memfd:nucleus-oci (deleted)" "exe of B's created init"
  fi
  local i
  for i in $(seq 200); do [[ -s $UBUNDLE/rootfs/opened || -s $UBUNDLE/rootfs/result ]] && break; sleep 0.05; done
  run urt start "${ID}b"
  expect_status 0
  touch "$UBUNDLE/rootfs/go"
  for i in $(seq 200); do [[ -s $UBUNDLE/rootfs/result ]] && break; sleep 0.05; done
  local result
  result=$(cat "$UBUNDLE/rootfs/result" 2>/dev/null) || true
  echo "A: $result ($(cat "$UBUNDLE/rootfs/err" 2>/dev/null))"
  expect_eq "$(sha256sum "$RUNTIME" | cut -d' ' -f1)" "$BINARY_SUM" "sha256 of the user's runtime binary"
  [[ $result == DENIED || $result == OPENFAIL ]] || fail "A's write through /proc/PID/exe: [$result]"
  AS=$RL_USER urt delete --force "${ID}b" >/dev/null 2>&1 || true
  rm -rf "$b"
}
