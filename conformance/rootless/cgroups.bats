#!/usr/bin/env bats
# Rootless cgroups (issue #16), as runc's rootless cgroup manager: without a cgroup the user may
# write to, a config without limits runs in the caller's cgroups (nothing made) and a limit
# fails naming its field; a cgroup the user owns (a v1 directory chowned to them, a delegated
# cgroup2 subtree) is used.
load ../helpers/common
load rootless

# A directory each test may hand to the user in a hierarchy; removed by teardown.
CG_MADE=()

teardown() {
  rootless_teardown
  local rc=$? d
  for d in "${CG_MADE[@]}"; do
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || { echo "LEAK: cgroup $d" >&2; rc=1; }
  done
  return $rc
}

# user_cgroup MOUNT: a cgroup MOUNT/nrl-ID owned by the user, its path in $UCG (not printed:
# CG_MADE must be set in this shell).
user_cgroup() {
  UCG=$1/nrl-$ID
  mkdir "$UCG" || return 1
  CG_MADE+=("$UCG")
  chown -R "$RL_USER:$RL_USER" "$UCG"
}

v1_mount() { awk -v c="$1" '$9 == "cgroup" && $NF ~ ("(^|,)" c "(,|$)") {print $5; exit}' /proc/self/mountinfo; }
v2_mount() { awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo; }

@test "rootless cgroups: no limits and no writable cgroup: runs in the caller's cgroups, nothing made" {
  uargs sh -c 'echo ok'
  run urt run --bundle "$UBUNDLE" "$ID"
  expect_status 0
  expect_output_contains ok
  expect_eq "$(leaked_cgroups)" "" "cgroups named $ID"
}

@test "rootless cgroups: --rootless=false makes the cgroup unconditionally, and fails naming it" {
  nucleus_only  # runc's text differs (same failure)
  uargs true
  run urt --rootless=false run --bundle "$UBUNDLE" "$ID"
  expect_status 1
  expect_output_contains "create cgroup /sys/fs/cgroup/" "permission denied"
}

@test "rootless cgroups: a memory limit without a writable cgroup fails naming the field, nothing left" {
  ucfg '.linux.resources = {"memory": {"limit": 104857600}}'
  uargs true
  run urt run --bundle "$UBUNDLE" "$ID"
  expect_status 1
  expect_output_contains "memory"
  # runc's words (its test cgroups.bats matches them), then the field and the hierarchy
  expect_output_contains "cannot set memory limit: container could not join or create cgroup"
  if ! is_runc; then
    expect_output_contains "linux.resources.memory: " "a rootless container cannot use" "permission denied"
  fi
}

@test "rootless cgroups: an explicit cgroupsPath where no hierarchy is writable fails (runc's error), nothing left" {
  # runc's cgroups.bats "rootless + no limits + cgrouppath + no permission": the cgroup was asked
  # for, so it is not silently left out (before: the container ran without it)
  ucfg '.linux.cgroupsPath = $p' --arg p "/nrl-$ID/c"
  uargs true
  run urt run --bundle "$UBUNDLE" "$ID"
  expect_status 1
  expect_output_contains "unable to apply cgroup configuration" "permission denied"
  expect_eq "$(leaked_cgroups)" "" "cgroups named $ID"
}

@test "rootless cgroups: no cgroup and the host's pid namespace: runc's warning, and it runs" {
  # runc's create.bats "[shared pidns + rootless]": such a container's processes cannot all be
  # killed; runc warns and goes on.
  ucfg '.linux.namespaces -= [{"type": "pid"}]
      | .mounts |= map(if .type == "proc" then .type = "none" | .source = "/proc"
                       | .options = ["rbind", "nosuid", "nodev", "noexec"] else . end)'
  uargs true
  run urt run --bundle "$UBUNDLE" "$ID"
  expect_status 0
  expect_output_contains "Such configuration is strongly discouraged"
}

@test "rootless cgroups: a pids limit where the user owns the v1 pids cgroup is applied there" {
  nucleus_only  # runc 1.1 wants every hierarchy writable for an explicit cgroupsPath
  local m
  m=$(v1_mount pids)
  [[ -n $m ]] || skip "no cgroup v1 pids hierarchy"
  user_cgroup "$m"
  ucfg '.linux.cgroupsPath = $p | .linux.resources = {"pids": {"limit": 42}}' --arg p "/nrl-$ID/c"
  uargs sh -c 'cat /sys/fs/cgroup/pids/pids.max'
  run urt run --bundle "$UBUNDLE" "$ID"
  expect_status 0
  expect_eq "$output" 42 "pids.max seen in the container"
  [[ ! -d $m/nrl-$ID/c ]] || fail "the container's cgroup $m/nrl-$ID/c was left"
}

@test "rootless cgroups: a delegated cgroup2 subtree: the container joins it, pause and resume freeze it" {
  # runc 1.1 wants every hierarchy writable for an explicit cgroupsPath (hybrid: the v1 ones)
  if is_runc && [[ -n $(v1_mount pids) ]]; then skip "runc: every v1 hierarchy must be writable"; fi
  local m
  m=$(v2_mount)
  [[ -n $m ]] || skip "no cgroup2 hierarchy"
  [[ -e $m/cgroup.freeze || -n $(ls "$m"/*/cgroup.freeze 2>/dev/null) ]] || skip "no cgroup.freeze"
  user_cgroup "$m"
  local d=$UCG
  mkdir "$d/caller"
  chown "$RL_USER:$RL_USER" "$d/caller"
  ucfg '.linux.cgroupsPath = $p' --arg p "/nrl-$ID/c"
  # The caller runs inside the subtree (as under systemd's user@.service): moving a process
  # between cgroups needs write access to their common ancestor.
  local out=$BATS_TEST_TMPDIR/run-d.out
  bash -c 'echo $$ > "$1/caller/cgroup.procs" && exec "${@:2}"' sh "$d" \
    runuser -u "$RL_USER" -- env XDG_RUNTIME_DIR="$RL_WORK/xdg-$RL_USER" \
    "$RUNTIME" run -d --bundle "$UBUNDLE" "$ID" </dev/null >"$out" 2>&1 ||
    fail "run -d from inside the subtree: $(cat "$out")"
  local pid
  pid=$(urt state "$ID" | jq -r .pid)
  expect_eq "$(cat "$d/c/cgroup.procs")" "$pid" "processes of $d/c"
  run urt pause "$ID"
  expect_status 0
  expect_eq "$(ustatus "$ID")" paused "status after pause"
  grep -q 'frozen 1' "$d/c/cgroup.events" || fail "$d/c is not frozen"
  run urt resume "$ID"
  expect_status 0
  expect_eq "$(ustatus "$ID")" running "status after resume"
  run urt delete --force "$ID"
  expect_status 0
  [[ ! -d $d/c ]] || fail "the container's cgroup $d/c was left"
}

@test "rootless cgroups: pause without a freezer the user may write fails saying so" {
  nucleus_only  # runc's text differs
  run urt run -d --bundle "$UBUNDLE" "$ID"
  expect_status 0
  run urt pause "$ID"
  expect_status 1
  expect_output_contains "rootless"
  expect_eq "$(ustatus "$ID")" running "status"
}
