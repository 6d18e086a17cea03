#!/usr/bin/env bats
# cgroup behaviours that follow runc 1.3.6 (opencontainers/cgroups fs and fs2, libcontainer's
# configs/validate and factory, exec.go, update.go), one test per behaviour, named after it.
# Written for this host's hybrid layout (v1 controllers, cgroup2 at /sys/fs/cgroup/unified); a
# test needing another layout skips.
load ../helpers/common
load cgroups

setup() {
  common_setup
  [[ -d $CG/memory && -d $CG/cpu ]] || skip "needs cgroup v1 memory and cpu hierarchies"
  PARENT=nucleus-parity-$ID
  RT_SAVED=()
}

teardown() {
  common_teardown
  local rc=$? d
  # the parents the tests made themselves, deepest first (the runtime leaves a parent it did not
  # make; one it made and still holds a container is gone with the container)
  for d in $(find "$CG"/*/"$PARENT" -depth -type d 2>/dev/null); do rmdir "$d" 2>/dev/null || true; done
  restore_rt_budgets
  return $rc
}

# save_rt_budget DIR: put DIR's cpu.rt_runtime_us back at teardown (the runtime may grow it; a
# DIR made meanwhile has none, as the kernel makes it).
save_rt_budget() {
  local v=0
  [[ -e $1/cpu.rt_runtime_us ]] && v=$(cat "$1/cpu.rt_runtime_us")
  RT_SAVED+=("$1=$v")
}

# (a removed child's budget is released asynchronously: retried for up to 2 s)
restore_rt_budgets() {
  local e i
  for e in "${RT_SAVED[@]}"; do
    for ((i = 0; i < 40; i++)); do
      [[ -e ${e%%=*}/cpu.rt_runtime_us ]] || break
      echo "${e#*=}" 2>/dev/null > "${e%%=*}/cpu.rt_runtime_us" && break
      sleep 0.05
    done
  done
  return 0
}

start_sleeping() {
  set_args sleep 1000
  rt create --bundle "$BUNDLE" "$ID"
  rt start "$ID"
  expect_eq "$(status_of "$ID")" running status
}

needs_rt() {
  [[ -e $CG/cpu/cpu.rt_runtime_us ]] || skip "the kernel has no RT group scheduling (CONFIG_RT_GROUP_SCHED)"
}

@test "a cgroup under a caller's cpuset cgroup with empty cpus/mems: each empty level is filled from its parent" {
  [[ -d $CG/cpuset ]] || skip "needs the v1 cpuset hierarchy"
  # a Kubernetes-like pod cgroup made by the caller (mkdir: cpus and mems start empty)
  mkdir -p "$CG/cpuset/$PARENT/pod"
  expect_eq "$(cat "$CG/cpuset/$PARENT/pod/cpuset.cpus")" "" "pod cpuset.cpus before"
  update_config '.linux.cgroupsPath = $p' --arg p "/$PARENT/pod/$ID"
  start_sleeping
  local want_cpus want_mems d
  want_cpus=$(cat "$CG/cpuset/cpuset.cpus")
  want_mems=$(cat "$CG/cpuset/cpuset.mems")
  for d in "$PARENT" "$PARENT/pod" "$PARENT/pod/$ID"; do
    expect_eq "$(cat "$CG/cpuset/$d/cpuset.cpus")" "$want_cpus" "$d cpuset.cpus"
    expect_eq "$(cat "$CG/cpuset/$d/cpuset.mems")" "$want_mems" "$d cpuset.mems"
  done
  grep -qx "$(pid_of "$ID")" "$CG/cpuset/$PARENT/pod/$ID/cgroup.procs" || fail "init not in the cpuset cgroup"
}

@test "cpu.realtimeRuntime in the default cgroup (its parent starts with no rt budget)" {
  needs_rt
  save_rt_budget "$CG/cpu/nucleus-oci"
  update_config '.linux.resources.cpu.realtimeRuntime = 10000 | .linux.resources.cpu.realtimePeriod = 1000000'
  start_sleeping
  local d
  d=$(cg_dir cpu)
  expect_eq "$(cat "$d/cpu.rt_period_us")" 1000000 cpu.rt_period_us
  expect_eq "$(cat "$d/cpu.rt_runtime_us")" 10000 cpu.rt_runtime_us
}

@test "update rt period and runtime: a smaller and a larger period both apply (runc's order)" {
  needs_rt
  # an explicit parent with a budget of its own, as runc's update.bats sets up
  mkdir -p "$CG/cpu/$PARENT"
  echo 1000000 > "$CG/cpu/$PARENT/cpu.rt_period_us"
  echo 100000 > "$CG/cpu/$PARENT/cpu.rt_runtime_us"
  update_config '.linux.cgroupsPath = $p' --arg p "/$PARENT/$ID"
  start_sleeping
  local d=$CG/cpu/$PARENT/$ID
  run rt update --cpu-rt-period 1000000 --cpu-rt-runtime 90000 "$ID"
  expect_status 0
  # smaller: 90000 does not fit a 10000 period, so the runtime must go first
  run rt update --cpu-rt-period 10000 --cpu-rt-runtime 900 "$ID"
  expect_status 0
  expect_eq "$(cat "$d/cpu.rt_period_us")" 10000 cpu.rt_period_us
  expect_eq "$(cat "$d/cpu.rt_runtime_us")" 900 cpu.rt_runtime_us
  # larger again
  run rt update --cpu-rt-period 100000 --cpu-rt-runtime 9000 "$ID"
  expect_status 0
  expect_eq "$(cat "$d/cpu.rt_period_us")" 100000 cpu.rt_period_us
  expect_eq "$(cat "$d/cpu.rt_runtime_us")" 9000 cpu.rt_runtime_us
}

@test "linux.resources.unified on a cgroup v1 (hybrid) host is refused: invalid configuration" {
  update_config '.linux.resources.unified = {"memory.min": "131072"}'
  set_args true
  run rt create --bundle "$BUNDLE" "$ID"
  expect_failure
  expect_output_contains "invalid configuration: cannot use unified on cgroup v1"
  [[ -z $(leaked_cgroups) ]] || fail "cgroups left: $(leaked_cgroups)"
}

@test "a device rule with an empty access is refused (runc's specconv): device access at N field cannot be empty" {
  local n
  n=$(jq '.linux.resources.devices // [] | length' "$BUNDLE/config.json")
  update_config '.linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 3, "access": ""}]'
  set_args true
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains "device access at $n field cannot be empty"
}

@test "create in an existing cgroup that holds processes is refused: container's cgroup is not empty" {
  update_config '.linux.cgroupsPath = $p' --arg p "/$PARENT/shared"
  start_sleeping
  local first
  first=$(pid_of "$ID")
  run rt create --bundle "$BUNDLE" "${ID}b"
  expect_failure
  expect_output_contains "container's cgroup is not empty: 1 process(es) found"
  # the first container's cgroup is untouched
  grep -qx "$first" "$CG/memory/$PARENT/shared/cgroup.procs" || fail "first container moved out"
  expect_eq "$(status_of "${ID}b")" none "second container state"
  # the same id again is still that error, not the cgroup's
  run rt create --bundle "$BUNDLE" "$ID"
  expect_failure
  expect_output_contains "already exists"
}

@test "exec on a hybrid host joins the container's cgroup2 directory too" {
  [[ -d $CG/unified && -d $CG/memory ]] || skip "needs a hybrid host"
  # no cgroup namespace: /proc/self/cgroup shows the host's paths
  update_config '.linux.cgroupsPath = $p | .linux.namespaces -= [{"type": "cgroup"}]' --arg p "/$PARENT/$ID"
  start_sleeping
  local run_cg exec_cg
  run_cg=$(grep '^0::' "/proc/$(pid_of "$ID")/cgroup")
  expect_eq "$run_cg" "0::/$PARENT/$ID" "init's cgroup2 path"
  run rt exec "$ID" cat /proc/self/cgroup
  expect_status 0
  exec_cg=$(grep '^0::' <<<"$output")
  expect_eq "$exec_cg" "$run_cg" "exec's cgroup2 path"
}

@test "update --cpu-burst writes cpu.cfs_burst_us and keeps it across other updates" {
  start_sleeping
  local d
  d=$(cg_dir cpu)
  [[ -e $d/cpu.cfs_burst_us ]] || skip "the kernel has no cpu.cfs_burst_us"
  expect_eq "$(cat "$d/cpu.cfs_burst_us")" 0 "cpu.cfs_burst_us at start"
  run rt update --cpu-period 900000 --cpu-burst 500000 "$ID"
  expect_status 0
  expect_eq "$(cat "$d/cpu.cfs_burst_us")" 500000 cpu.cfs_burst_us
  run rt update --memory 100M "$ID"
  expect_status 0
  expect_eq "$(cat "$d/cpu.cfs_burst_us")" 500000 "cpu.cfs_burst_us after --memory"
  run rt update --cpu-period 900000 --cpu-burst 0 "$ID"
  expect_status 0
  expect_eq "$(cat "$d/cpu.cfs_burst_us")" 0 "cpu.cfs_burst_us reset"
}

@test "cpu.idle at create, update --cpu-idle and idle JSON; values other than 0 and 1 are refused" {
  [[ -e $CG/cpu/cpu.idle ]] || skip "the kernel has no cpu.idle"
  update_config '.linux.resources.cpu.idle = 1'
  start_sleeping
  local d val
  d=$(cg_dir cpu)
  expect_eq "$(cat "$d/cpu.idle")" 1 "cpu.idle at create"
  for val in 0 1 0; do
    run rt update --cpu-idle "$val" "$ID"
    expect_status 0
    expect_eq "$(cat "$d/cpu.idle")" "$val" "cpu.idle after --cpu-idle $val"
  done
  run rt update -r - "$ID" <<<'{"cpu": {"idle": 1}}'
  expect_status 0
  expect_eq "$(cat "$d/cpu.idle")" 1 "cpu.idle after JSON"
  for val in -1 2; do
    run rt update --cpu-idle "$val" "$ID"
    expect_failure
    expect_eq "$(cat "$d/cpu.idle")" 1 "cpu.idle after --cpu-idle $val"
  done
}

@test "exec --cgroup: sub-cgroups of the container's cgroup (v1), not a parent, not a missing one" {
  # no cgroup namespace: /proc/self/cgroup shows the host's paths
  update_config '.linux.cgroupsPath = $p | .linux.namespaces -= [{"type": "cgroup"}]' --arg p "/$PARENT/$ID"
  start_sleeping
  local rel=/$PARENT/$ID
  run rt exec --cgroup .. "$ID" true
  expect_failure
  expect_output_contains ".. is not a sub cgroup path"
  run rt exec --cgroup nonexistent "$ID" true
  expect_failure
  expect_output_contains "/nonexistent/cgroup.procs: no such file"
  run rt exec --cgroup cpu:nonexistent "$ID" true
  expect_failure
  expect_output_contains "/nonexistent/cgroup.procs: no such file"
  run rt exec --cgroup whaaat:/ "$ID" true
  expect_failure
  expect_output_contains "unknown controller "
  run rt exec --cgroup / "$ID" cat /proc/self/cgroup
  expect_status 0
  run grep -v ":$rel\$" <<<"$output"
  expect_status 1
  mkdir "$CG/memory$rel/submem" "$CG/cpu$rel/subcpu" "$CG/cpuacct$rel/subcpu"
  run rt exec --cgroup memory:submem --cgroup cpu,cpuacct:subcpu "$ID" cat /proc/self/cgroup
  expect_status 0
  expect_output_contains ":memory:$rel/submem" ":cpu:$rel/subcpu" ":cpuacct:$rel/subcpu" ":pids:$rel"
}

@test "a scheduler refused for a container with cpu.cpus: process scheduler can't be used together with AllowedCPUs" {
  (($(nproc) > 1)) || skip "needs more than one CPU"
  update_config '.linux.resources.cpu.cpus = "0"
    | .process.scheduler = {"policy": "SCHED_DEADLINE", "nice": 19, "runtime": 42000, "deadline": 1000000, "period": 1000000}'
  set_args true
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains "process scheduler can't be used together with AllowedCPUs"
}
