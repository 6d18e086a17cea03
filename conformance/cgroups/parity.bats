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
}

teardown() {
  common_teardown
  local rc=$? d
  # the parents the tests made themselves, deepest first (the runtime leaves a parent it did not
  # make; one it made and still holds a container is gone with the container)
  for d in $(find "$CG"/*/"$PARENT" -depth -type d 2>/dev/null); do rmdir "$d" 2>/dev/null || true; done
  return $rc
}

start_sleeping() {
  set_args sleep 1000
  rt create --bundle "$BUNDLE" "$ID"
  rt start "$ID"
  expect_eq "$(status_of "$ID")" running status
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
