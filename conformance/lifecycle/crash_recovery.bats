#!/usr/bin/env bats
# The runtime killed (SIGKILL) at each step of create: `delete --force` must then clean up
# completely (state dir, cgroups, mounts, processes: the leak check of every test's teardown).
# The steps come from the fault-injection hook NUCLEUS_OCI_TEST_CRASH_AT (runtime/fault.hpp).
load ../helpers/common

crash_at() {
  local step=$1
  # A prestart hook, so that the "prestart" step has hooks to run.
  update_config '.hooks.prestart = [{"path": "/bin/true"}]'
  # (rt gives the create a file for stdio: the init may outlive the killed runtime)
  NUCLEUS_OCI_TEST_CRASH_AT=$step run rt create --bundle "$BUNDLE" \
    --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  expect_status 137  # killed by SIGKILL
  # What is left is a container that is not running; state works on it (or it is gone).
  run rt state "$ID"
  if [[ $status -eq 0 ]]; then
    local s
    s=$(jq -r .status <<<"$output")
    [[ $s == stopped || $s == created ]] || fail "status after a crash at $step: $s"
  fi
  run rt delete --force "$ID"
  expect_status 0
  run rt state "$ID"
  expect_failure
  expect_output_contains "does not exist"
  # teardown checks that nothing is left: state dir, cgroups, mounts, processes.
}

@test "crash during create: after the state dir is made" { nucleus_only; crash_at state-dir; }
@test "crash during create: after the cgroup is made" { nucleus_only; crash_at cgroup; }
@test "crash during create: after the init is cloned" { nucleus_only; crash_at cloned; }
@test "crash during create: while prestart hooks are due" { nucleus_only; crash_at prestart; }
@test "crash during create: after the init is ready" { nucleus_only; crash_at ready; }
@test "crash during create: after the state is saved" { nucleus_only; crash_at saved; }

@test "crash during create: a new container of the same id works afterwards" {
  nucleus_only
  crash_at ready
  set_args true
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
}

@test "the init dies right after its exec: create fails and leaves nothing" {
  nucleus_only
  NUCLEUS_OCI_TEST_CRASH_AT=init-loaded run rt create --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains "container init exited during create (exit status 137)"
  run rt state "$ID"
  expect_failure
  expect_output_contains "does not exist"
  # teardown checks that nothing is left: state dir, cgroups, mounts, processes.
}
