#!/usr/bin/env bats
# linux.resources on this host's cgroups: where the cgroup lives, and that each limit is written
# to the controller file and really limits the workload. Written for the hybrid layout (v1
# controllers under /sys/fs/cgroup/<ctrl>, cgroup2 at /sys/fs/cgroup/unified with hugetlb only);
# the paths are chosen from what the host mounts.
load ../helpers/common
load cgroups

setup() {
  common_setup
  [[ -d $CG/memory && -d $CG/pids ]] || skip "needs cgroup v1 memory and pids hierarchies"
}

teardown() {
  common_teardown
  local rc=$?
  # the parent of the absolute cgroupsPath test (the runtime leaves parents, like runc)
  rmdir "$CG"/*/nucleus-conformance-"$ID" 2>/dev/null || true
  return $rc
}

# cg_dirs REL: every hierarchy's directory for cgroup path REL (v1 controllers + unified)
cg_dirs() {
  local c
  for c in "${V1_CTRLS[@]}" unified; do
    [[ -d $CG/$c ]] && echo "$CG/$c$1"
  done
}

# expect_cgroups_gone REL
expect_cgroups_gone() {
  local d
  for d in $(cg_dirs "$1"); do
    [[ ! -e $d ]] || fail "cgroup $d left after delete"
  done
}

# start_sleeping: create + start `sleep 1000` as $ID (config already edited)
start_sleeping() {
  set_args sleep 1000
  rt create --bundle "$BUNDLE" "$ID"
  rt start "$ID"
  expect_eq "$(status_of "$ID")" running status
}

@test "default cgroup path is /nucleus-oci/<id>; delete removes it from every hierarchy" {
  start_sleeping
  local c pid rel
  pid=$(pid_of "$ID")
  # runc's default is /<id> under the caller's own cgroup
  rel=/nucleus-oci/$ID
  if is_runc; then rel=$(cg_rel "$pid" memory); [[ $rel == */$ID ]] || fail "runc path $rel"; fi
  for c in "${V1_CTRLS[@]}"; do
    is_runc && rel=$(cg_rel "$pid" "$c")
    [[ -d $CG/$c$rel ]] || fail "no $CG/$c$rel while running"
    grep -qx "$pid" "$CG/$c$rel/cgroup.procs" || fail "init $pid not in $CG/$c$rel"
  done
  is_runc || grep -q ":memory:/nucleus-oci/$ID\$" "/proc/$pid/cgroup" || fail "/proc/$pid/cgroup: $(cat "/proc/$pid/cgroup")"
  rt kill "$ID" KILL
  wait_status "$ID" stopped
  run rt delete "$ID"
  expect_status 0
  expect_cgroups_gone "$rel"
  [[ -z $(leaked_cgroups) ]] || fail "cgroups left: $(leaked_cgroups)"
}

@test "an absolute linux.cgroupsPath is honoured and removed by delete" {
  local rel=/nucleus-conformance-$ID/$ID c pid
  update_config '.linux.cgroupsPath = $p' --arg p "$rel"
  start_sleeping
  pid=$(pid_of "$ID")
  for c in "${V1_CTRLS[@]}"; do
    [[ -d $CG/$c$rel ]] || fail "no $CG/$c$rel while running"
    grep -qx "$pid" "$CG/$c$rel/cgroup.procs" || fail "init $pid not in $CG/$c$rel"
  done
  [[ ! -e $CG/memory/nucleus-oci/$ID ]] || fail "the default path was used too"
  run rt delete --force "$ID"
  expect_status 0
  expect_cgroups_gone "$rel"
}

memory_limit_config() {
  update_config '.linux.resources.memory.limit = 33554432'
  if [[ -e $CG/memory/memory.memsw.limit_in_bytes ]]; then
    update_config '.linux.resources.memory.swap = 33554432'
  fi
}

@test "memory.limit lands in memory.limit_in_bytes (and memsw)" {
  memory_limit_config
  start_sleeping
  local d
  d=$(cg_dir memory)
  expect_eq "$(cat "$d/memory.limit_in_bytes")" 33554432 memory.limit_in_bytes
  if [[ -e $d/memory.memsw.limit_in_bytes ]]; then
    expect_eq "$(cat "$d/memory.memsw.limit_in_bytes")" 33554432 memory.memsw.limit_in_bytes
  fi
}

@test "memory.limit: a hog filling a tmpfs is OOM-killed (run exits 137)" {
  memory_limit_config
  update_config '(.mounts[] | select(.destination == "/dev/shm") | .options) |= (map(select(startswith("size=") | not)) + ["size=300m"])'
  set_args dd if=/dev/zero of=/dev/shm/x bs=1M count=200
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 137
}

@test "memory.limit: an anonymous-memory hog (tail /dev/zero) is OOM-killed" {
  memory_limit_config
  set_args tail /dev/zero
  run timeout 60 "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
  expect_status 137
}

@test "pids.limit = 16: forks fail with can't fork and pids.current never exceeds 16" {
  update_config '.linux.resources.pids.limit = 16'
  # busybox sh exits at its first failed fork: an outer shell keeps the container (and the
  # orphaned sleeps, so that the peak can be read) alive for their 5 s.
  # (the inner shell's stderr goes to a file in the rootfs; the `run` test below checks the
  # runtime's stderr)
  update_config '.root.readonly = false'
  set_cmd 'sh -c '"'"'for i in $(seq 40); do sleep 5 & done; wait'"'"' 2>/fork.err; sleep 5'
  rt create --bundle "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1
  local d max=0 cur i
  d=$(cg_dir pids)
  expect_eq "$(cat "$d/pids.max")" 16 pids.max
  rt start "$ID"
  for ((i = 0; i < 400; i++)); do
    cur=$(cat "$d/pids.current" 2>/dev/null) || break
    ((cur > max)) && max=$cur
    [[ $(status_of "$ID") == stopped ]] && break
    sleep 0.025
  done
  wait_status "$ID" stopped 15
  ((max <= 16)) || fail "pids.current reached $max"
  ((max >= 10)) || fail "pids.current peaked at $max only: the workload did not fork"
  if [[ -e $d/pids.events ]]; then
    # v1 pids.events counts the forks refused at the limit
    ! grep -qx 'max 0' "$d/pids.events" 2>/dev/null || fail "pids.events: $(cat "$d/pids.events")"
  fi
  grep -q "can't fork" "$BUNDLE/rootfs/fork.err" || fail "no \"can't fork\" in stderr: $(cat "$BUNDLE/rootfs/fork.err")"
}

@test "pids.limit = 16 with run: the shell reports can't fork" {
  update_config '.linux.resources.pids.limit = 16'
  run_in_container 'for i in $(seq 40); do sleep 1 & done; wait'
  expect_output_contains "can't fork"
}

@test "cpu: shares, cfs quota and period land in cpu.shares / cpu.cfs_quota_us / cpu.cfs_period_us" {
  update_config '.linux.resources.cpu = {"shares": 512, "quota": 50000, "period": 100000}'
  start_sleeping
  local d
  d=$(cg_dir cpu)
  expect_eq "$(cat "$d/cpu.shares")" 512 cpu.shares
  expect_eq "$(cat "$d/cpu.cfs_quota_us")" 50000 cpu.cfs_quota_us
  expect_eq "$(cat "$d/cpu.cfs_period_us")" 100000 cpu.cfs_period_us
}

kmsg_device() {
  update_config '.linux.devices += [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 438, "uid": 0, "gid": 0}]'
}

@test "devices: a linux.devices node the cgroup does not allow cannot be opened (EPERM)" {
  kmsg_device
  run_in_container 'echo nucleus-conformance > /dev/kmsg && echo WROTE'
  expect_failure
  expect_output_contains "Operation not permitted"
  [[ $output != *WROTE* ]] || fail "the write succeeded"
}

@test "devices: allowing c 1:11 rw in resources.devices makes the write succeed" {
  kmsg_device
  update_config '.linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "rw"}]'
  run_in_container 'echo nucleus-conformance-kmsg > /dev/kmsg && echo WROTE'
  expect_status 0
  expect_output_contains WROTE
}

@test "devices: the default rules allow null zero full random urandom tty ptmx and mknod" {
  # mknod needs CAP_MKNOD too (not in the default spec)
  update_config '.process.capabilities |= with_entries(.value += ["CAP_MKNOD"])'
  run_in_container 'for d in null zero full random urandom tty; do
      head -c 1 /dev/$d >/dev/null 2>&1 || [ $d = tty ] || echo BAD-r-$d; done
    echo x > /dev/null || echo BAD-w-null
    [ -c /dev/ptmx ] && : < /dev/ptmx || echo BAD-ptmx
    mknod /dev/n c 1 3 && echo x > /dev/n || echo BAD-mknod
    echo DONE'
  expect_status 0
  expect_output_contains DONE
  [[ $output != *BAD* ]] || fail "$output"
}

@test "hugetlb: hugepageLimits 2MB lands in unified hugetlb.2MB.max" {
  [[ -e $CG/unified/cgroup.controllers ]] && grep -qw hugetlb "$CG/unified/cgroup.controllers" ||
    skip "no hugetlb on the unified hierarchy"
  update_config '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]'
  if is_runc; then
    # runc 1.1.5 (fs driver) looks for a v1 hugetlb hierarchy and fails create on this host
    skip "runc 1.1 cannot set hugetlb on a hybrid host's unified hierarchy"
  fi
  start_sleeping
  local f=$CG/unified/nucleus-oci/$ID/hugetlb.2MB.max
  [[ -e $f ]] || fail "no $f"
  expect_eq "$(cat "$f")" 4194304 hugetlb.2MB.max
  expect_eq "$(cg_dir unified)" "$CG/unified/nucleus-oci/$ID" "unified cgroup of init"
  rt delete --force "$ID"
  expect_cgroups_gone "/nucleus-oci/$ID"
}

@test "a resource the host cannot apply (network classID, no net_cls) fails create naming the field" {
  [[ ! -e $CG/net_cls ]] || skip "this host has net_cls"
  update_config '.linux.resources.network = {"classID": 1048577}'
  set_args sleep 1000
  run rt create --bundle "$BUNDLE" "$ID"
  expect_status 1
  # runc: "cannot set net_cls limit: container could not join or create cgroup"
  is_runc || expect_output_contains "linux.resources.network"
  [[ ! -e $ROOT/$ID ]] || fail "state dir left after the failed create"
  run rt state "$ID"
  expect_failure
  expect_cgroups_gone "/nucleus-oci/$ID"
}
