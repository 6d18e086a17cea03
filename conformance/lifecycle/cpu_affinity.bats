#!/usr/bin/env bats
# CPU affinity of the container's processes, as runc's (its tests/integration/cpu_affinity.bats):
# the runtime's own affinity (taskset, systemd's CPUAffinity=) does not reach the container: the
# init and exec'd processes get every CPU of the container's cpuset (Linux 6.2+ keeps a narrower
# affinity across a cpuset join); process.execCPUAffinity gives exec'd processes an initial and a
# final affinity; --debug logs the initial one as runc's nsexec does.
load ../helpers/common

setup() {
  common_setup
  [[ $(nproc --all) -ge 2 ]] || skip "needs 2 CPUs; this host has $(nproc --all)"
  read -r FIRST SECOND < <(sed 's/[-,]/ /' /sys/devices/system/cpu/online)
  [[ -n $SECOND ]] || skip "needs CPUs 0-1 online"
  ALL=$(awk '/^Cpus_allowed_list:/ {print $2}' /proc/self/status)
}

# pinned ARGS...: the runtime (with --root) started under taskset -c $FIRST.
pinned() { taskset -c "$FIRST" "$RUNTIME" --root "$ROOT" "$@"; }

expect_allowed() { expect_output_contains $'Cpus_allowed_list:\t'"$1"$'\n'; }

@test "cpu affinity: run under taskset, no cpuset: the init gets every CPU" {
  set_args grep -F Cpus_allowed_list: /proc/self/status
  update_config 'del(.linux.resources.cpu)'
  run pinned run --bundle "$BUNDLE" "$ID"
  expect_status 0
  output+=$'\n'
  expect_allowed "$ALL"
}

@test "cpu affinity: run under taskset with a cpuset: the init gets the cpuset" {
  set_args grep -F Cpus_allowed_list: /proc/self/status
  local cpus
  for cpus in "$FIRST-$SECOND" "$SECOND"; do
    update_config '.linux.resources.cpu = {"cpus": $c, "mems": "0"}' --arg c "$cpus"
    run pinned run --bundle "$BUNDLE" "$ID"
    expect_status 0
    output+=$'\n'
    expect_allowed "$cpus"
  done
}

@test "cpu affinity: exec under taskset gets every CPU of the container's cpuset" {
  set_args sleep 1000
  local cpus
  for cpus in "$FIRST-$SECOND" "$SECOND"; do
    update_config '.linux.resources.cpu = {"cpus": $c, "mems": "0"}' --arg c "$cpus"
    rt run -d --bundle "$BUNDLE" "$ID"
    run pinned exec "$ID" grep -F Cpus_allowed_list: /proc/self/status
    expect_status 0
    output+=$'\n'
    expect_allowed "$cpus"
    rt delete -f "$ID"
  done
}

@test "cpu affinity: exec --process with execCPUAffinity initial and final" {
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  local cpus mask
  for cpus in "$SECOND" "$FIRST-$SECOND" "$FIRST"; do
    case $cpus in "$FIRST") mask=0x1 ;; "$SECOND") mask=0x2 ;; *) mask=0x3 ;; esac
    [[ $FIRST == 0 ]] || skip "the masks below assume CPUs 0 and 1"
    jq -n --arg c "$cpus" '{cwd: "/", args: ["grep", "-F", "Cpus_allowed_list:", "/proc/self/status"],
      execCPUAffinity: {initial: $c, final: $c}}' >"$BATS_TEST_TMPDIR/p.json"
    run rt --debug exec --process "$BATS_TEST_TMPDIR/p.json" "$ID"
    expect_status 0
    output+=$'\n'
    # runc's nsexec debug line, the affinity the process started with
    [[ $output == *nsexec*": affinity: $mask"* ]] || fail "no 'affinity: $mask' debug line: $output"
    expect_allowed "$cpus"
  done
}

@test "cpu affinity: execCPUAffinity from config.json applies to exec, not to the init" {
  set_cmd 'grep -F Cpus_allowed_list: /proc/self/status; sleep 1000'
  update_config '.process.execCPUAffinity = {initial: $i, final: $f}' --arg i "$FIRST" --arg f "$SECOND"
  rt run -d --bundle "$BUNDLE" "$ID"
  run rt exec "$ID" grep -F Cpus_allowed_list: /proc/self/status
  expect_status 0
  output+=$'\n'
  expect_allowed "$SECOND"
  # the init ignores it (runtime-spec: "not applicable to the container's init process")
  output=$(detached_output)$'\n'
  expect_allowed "$ALL"
}

@test "cpu affinity: a malformed execCPUAffinity is an error naming the field" {
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  jq -n '{cwd: "/", args: ["true"], execCPUAffinity: {initial: "1-x"}}' >"$BATS_TEST_TMPDIR/p.json"
  run rt exec --process "$BATS_TEST_TMPDIR/p.json" "$ID"
  expect_failure
  nucleus_only
  expect_output_contains "process.execCPUAffinity.initial"
}
