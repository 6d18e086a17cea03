#!/usr/bin/env bats
# Capabilities as runc 1.3 sets them (runc's tests/integration/capabilities.bats):
# - `exec --cap` adds to the bounding, effective and permitted sets, never to the inheritable
#   set (CVE-2022-29162: inheritable capabilities let a file-capability binary gain them across
#   execve), and to the ambient set only when the config has an inheritable set;
# - an ambient capability that is not also inheritable is a warning, not an error;
# - unknown capability names are a warning, not an error (runtime-spec config.md).
# Masks: CAP_CHOWN 0x1, CAP_KILL 0x20, CAP_AUDIT_WRITE 0x20000000, CAP_SYSLOG 0x400000000.
load ../helpers/common

setup() {
  common_setup
  set_args cat /proc/self/status
}

@test "capabilities: exec --cap never adds to the inheritable or ambient set" {
  update_config '.process.args = ["sleep", "1000"] | .process.capabilities = {}'
  run rt run -d --bundle "$BUNDLE" "$ID"
  expect_status 0

  run rt exec "$ID" cat /proc/self/status
  expect_status 0
  expect_output_contains $'CapInh:\t0000000000000000' $'CapPrm:\t0000000000000000' \
    $'CapEff:\t0000000000000000' $'CapBnd:\t0000000000000000' $'CapAmb:\t0000000000000000'

  run rt exec --cap CAP_KILL --cap CAP_AUDIT_WRITE "$ID" cat /proc/self/status
  expect_status 0
  expect_output_contains $'CapInh:\t0000000000000000' $'CapPrm:\t0000000020000020' \
    $'CapEff:\t0000000020000020' $'CapBnd:\t0000000020000020' $'CapAmb:\t0000000000000000'
}

@test "capabilities: exec --cap adds ambient capabilities when the config has an inheritable set" {
  update_config '.process.args = ["sleep", "1000"]
    | .process.capabilities.inheritable = ["CAP_CHOWN", "CAP_SYSLOG"]
    | .process.capabilities.permitted = ["CAP_KILL", "CAP_CHOWN"]
    | .process.capabilities.effective = ["CAP_KILL"]
    | .process.capabilities.bounding = ["CAP_KILL", "CAP_CHOWN", "CAP_SYSLOG"]
    | .process.capabilities.ambient = ["CAP_CHOWN"]'
  run rt run -d --bundle "$BUNDLE" "$ID"
  expect_status 0

  run rt exec "$ID" cat /proc/self/status
  expect_status 0
  expect_output_contains $'CapInh:\t0000000400000001' $'CapPrm:\t0000000000000021' \
    $'CapEff:\t0000000000000021' $'CapBnd:\t0000000400000021' $'CapAmb:\t0000000000000001'

  # CAP_SYSLOG is inheritable in the config: it becomes ambient too.
  run rt exec --cap CAP_SYSLOG "$ID" cat /proc/self/status
  expect_status 0
  expect_output_contains $'CapInh:\t0000000400000001' $'CapPrm:\t0000000400000021' \
    $'CapEff:\t0000000400000021' $'CapBnd:\t0000000400000021' $'CapAmb:\t0000000400000001'

  # CAP_KILL is not: the inheritable set stays as configured, and it cannot be ambient.
  run rt exec --cap CAP_KILL "$ID" cat /proc/self/status
  expect_status 0
  expect_output_contains $'CapInh:\t0000000400000001' $'CapAmb:\t0000000000000001' \
    "can't raise ambient capability CAP_KILL: operation not permitted"
}

@test "capabilities: an ambient capability that is not inheritable is a warning" {
  update_config '.process.capabilities.inheritable = ["CAP_KILL"]
    | .process.capabilities.ambient = ["CAP_KILL", "CAP_CHOWN"]'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_output_contains "can't raise ambient capability CAP_CHOWN: " $'CapAmb:\t0000000000000020'
}

@test "capabilities: unknown names are a warning and are ignored" {
  update_config '.process.capabilities.bounding = ["CAP_UNKNOWN", "UNKNOWN_CAP", "cap_kill"]'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_output_contains "ignoring unknown or unavailable capabilities: [CAP_UNKNOWN UNKNOWN_CAP cap_kill]" \
    $'CapBnd:\t0000000000000000' $'CapInh:\t0000000000000000' $'CapAmb:\t0000000000000000'
}

@test "capabilities: exec --cap with an unknown name is a warning" {
  update_config '.process.args = ["sleep", "1000"]
    | .process.capabilities = {bounding: ["CAP_CHOWN"], effective: ["CAP_CHOWN"], permitted: ["CAP_CHOWN"]}'
  run rt run -d --bundle "$BUNDLE" "$ID"
  expect_status 0
  run rt exec --cap CAP_NOT_A_CAPABILITY --cap CAP_KILL "$ID" grep -E "^Cap(Bnd|Inh)" /proc/self/status
  expect_status 0
  expect_output_contains "ignoring unknown or unavailable capabilities: [CAP_NOT_A_CAPABILITY]" \
    $'CapBnd:\t0000000000000021' $'CapInh:\t0000000000000000'
}
