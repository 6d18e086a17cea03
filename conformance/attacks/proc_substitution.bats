#!/usr/bin/env bats
# /proc and /dev/null substitution (CVE-2019-16884, CVE-2025-31133, CVE-2025-52881 classes):
# the runtime writes sysctls and LSM labels into /proc, and masks paths with /dev/null. A
# container that controls what /proc or /dev/null is at that moment must not be able to
# redirect those writes or mounts.
load ../helpers/common

# sysctl_in_netns PID KEY: the value of a net sysctl in the network namespace of PID.
sysctl_in_netns() { nsenter -t "$1" -n cat "/proc/sys/${2//.//}"; }

@test "/proc replaced by a fake directory: sysctl writes still reach the real procfs" {
  mkdir -p "$BUNDLE/fakeproc/sys/net/ipv4"
  echo 0 > "$BUNDLE/fakeproc/sys/net/ipv4/ip_forward"
  update_config '.mounts = [.mounts[] | if .destination == "/proc"
      then {"destination": "/proc", "type": "bind", "source": $fake, "options": ["rbind"]}
      else . end]
    | .linux.sysctl = {"net.ipv4.ip_forward": "1"}
    | .linux.maskedPaths = [] | .linux.readonlyPaths = []' --arg fake "$BUNDLE/fakeproc"
  run rt run --detach --bundle "$BUNDLE" "$ID"
  # A runtime may refuse a /proc that is not procfs (runc does); it must not write the fake.
  expect_eq "$(cat "$BUNDLE/fakeproc/sys/net/ipv4/ip_forward")" 0 "the fake /proc's ip_forward"
  if [[ $status -eq 0 ]]; then
    expect_eq "$(sysctl_in_netns "$(pid_of "$ID")" net.ipv4.ip_forward)" 1 \
      "net.ipv4.ip_forward in the container's netns"
  fi
}

@test "a file mounted over a /proc/sys entry: the sysctl write is not redirected into it" {
  echo 0 > "$BUNDLE/decoy"
  update_config '.mounts += [{"destination": "/proc/sys/net/ipv4/ip_forward", "type": "bind",
      "source": $decoy, "options": ["bind"]}]
    | .linux.sysctl = {"net.ipv4.ip_forward": "1"}' --arg decoy "$BUNDLE/decoy"
  run rt run --detach --bundle "$BUNDLE" "$ID"
  expect_eq "$(cat "$BUNDLE/decoy")" 0 "the decoy file mounted over /proc/sys/net/ipv4/ip_forward"
  if [[ $status -eq 0 ]]; then
    expect_eq "$(sysctl_in_netns "$(pid_of "$ID")" net.ipv4.ip_forward)" 1 \
      "net.ipv4.ip_forward in the container's netns"
  fi
}

@test "/dev/null swapped for a symlink: masking never binds the symlink's target" {
  if is_runc; then skip "runc 1.1.5 predates the CVE-2025-31133 fix"; fi
  # The container's own /dev (bind-mounted, so the runtime does not make it) has a null that
  # points at a procfs file.
  mkdir -p "$BUNDLE/dev"
  ln -s /proc/sys/kernel/core_pattern "$BUNDLE/dev/null"
  update_config '.mounts = [.mounts[] | select(.destination != "/dev" and
      (.destination | startswith("/dev/") | not))]
    + [{"destination": "/dev", "type": "bind", "source": $dev, "options": ["rbind"]}]
    | .linux.maskedPaths = ["/proc/timer_list"] | .linux.readonlyPaths = []' --arg dev "$BUNDLE/dev"
  set_cmd 'grep -E "core_pattern" /proc/self/mountinfo; stat -c "%F %t:%T" /proc/timer_list'
  run rt run --bundle "$BUNDLE" "$ID"
  # Refused (nucleus-oci: "/dev/null ... is or goes through a symlink"), or masked with the
  # real null device; core_pattern is never mounted anywhere.
  [[ $output != *core_pattern* ]] || fail "core_pattern was bind-mounted: $output"
  if [[ $status -eq 0 ]]; then
    expect_output_contains "character special file 1:3"
  else
    expect_output_contains "/dev/null"
  fi
}

@test "masked and read-only paths that are symlinks are refused, not followed" {
  nucleus_only
  ln -s /etc "$BUNDLE/rootfs/linked-etc"
  set_args true
  update_config '.linux.readonlyPaths = ["/linked-etc"]'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_failure
  expect_output_contains "readonlyPaths: /linked-etc: is or goes through a symlink"
  update_config '.linux.readonlyPaths = [] | .linux.maskedPaths = ["/linked-etc/passwd"]'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_failure
  expect_output_contains "maskedPaths: /linked-etc/passwd: is or goes through a symlink"
}
