#!/usr/bin/env bats
# The runtime alone with --systemd-cgroup on a booted systemd host (hack/vm/run-systemd):
# cgroupsPath "system.slice:nucleus-test:<id>" makes the container's cgroup a transient scope
# unit nucleus-test-<id>.scope in system.slice with Delegate=yes and the resources as unit
# properties; run/exec/update/pause/resume/kill --all/delete; nothing left after delete and after
# a create killed with SIGKILL. The tests of the first part share one container (in order).

load lib

setup_file() {
  export CID=sdt-${RUNTIME_NAME:-rt}-$RANDOM
  export UNIT=nucleus-test-$CID.scope
  export CG=/sys/fs/cgroup/system.slice/$UNIT
  # the container's own cgroup: the scope's (runc, nucleus-oci) or scope/container (crun, lib.bash)
  export CCG=/sys/fs/cgroup$(ccg "/system.slice/$UNIT")
  export B=$BATS_FILE_TMPDIR/bundle
}

setup() { sd_require; }

# the per-test containers ($CID-<x>) never outlive their test, whatever failed
teardown() {
  local id
  for id in $(timeout 30 "$RUNTIME" --root "$RT_ROOT" list -q 2>/dev/null); do
    [[ $id == "$CID"-* ]] && timeout 30 "$RUNTIME" --root "$RT_ROOT" --systemd-cgroup delete --force "$id" >/dev/null 2>&1
  done
  return 0
}

teardown_file() {
  local id
  for id in $(timeout 30 "$RUNTIME" --root "${RT_ROOT:-/run/nucleus-sd-test}" list -q 2>/dev/null); do
    timeout 30 "$RUNTIME" --root "${RT_ROOT:-/run/nucleus-sd-test}" --systemd-cgroup delete --force "$id" >/dev/null 2>&1
  done
  timeout 30 systemctl stop nucleustest.slice >/dev/null 2>&1 || true
}

# run_d ID BUNDLE: `run -d`, stdio to a file (a detached container keeps its stdio open)
run_d() {
  if ! rt run -d --bundle "$2" "$1" </dev/null >"$BATS_FILE_TMPDIR/run-$1.out" 2>&1; then
    cat "$BATS_FILE_TMPDIR/run-$1.out" >&2
    return 1
  fi
}

@test "run -d: the init runs in the active scope nucleus-test-<id>.scope (Delegate=yes) in system.slice" {
  bundle "$B" "system.slice:nucleus-test:$CID" sh -c 'sleep 1000 & exec sleep 1001'
  # memory 64 MiB, 100 tasks, shares 512 (weight 20), quota 50 ms / 100 ms, cpu 0 and node 0
  bundle_jq "$B" '.linux.resources += {memory: {limit: 67108864}, pids: {limit: 100},
    cpu: {shares: 512, quota: 50000, period: 100000, cpus: "0", mems: "0"}}'
  run_d "$CID" "$B"
  expect_eq "$(rt_state "$CID")" running "state"
  expect_prop "$UNIT" ActiveState active
  expect_prop "$UNIT" Delegate yes
  expect_prop "$UNIT" Slice system.slice
  pid=$(rt state "$CID" | jq -r .pid)
  expect_eq "$(cgroup_of "$pid")" "$(ccg "/system.slice/$UNIT")" "cgroup of the init $pid"
  [[ -d $CG ]]
}

@test "run -d: the unit's properties (systemctl show) are the container's resources" {
  skip_unit_props
  expect_prop "$UNIT" MemoryMax 67108864
  expect_prop "$UNIT" TasksMax 100
  expect_prop "$UNIT" CPUWeight 20
  expect_prop "$UNIT" CPUQuotaPerSecUSec 500ms
  expect_prop "$UNIT" AllowedCPUs 0
  expect_prop "$UNIT" AllowedMemoryNodes 0
}

@test "run -d: the cgroup files of system.slice/nucleus-test-<id>.scope match" {
  expect_file "$CCG/memory.max" 67108864
  expect_file "$CCG/pids.max" 100
  expect_file "$CCG/cpu.weight" 20
  expect_file "$CCG/cpu.max" "50000 100000"
  expect_file "$CCG/cpuset.cpus" 0
  expect_file "$CCG/cpuset.mems" 0
  # the init and its child sleep
  expect_eq "$(wc -l <"$CCG/cgroup.procs")" 2 "processes in $CCG"
}

@test "exec: the process joins the container's cgroup" {
  # inside: the root of its cgroup namespace (runc spec adds one on a cgroup v2 host)
  # (stdout only: a runtime may warn on stderr, e.g. about ambient capabilities)
  out=$(rt exec "$CID" cat /proc/self/cgroup 2>"$BATS_TEST_TMPDIR/exec.err") ||
    { cat "$BATS_TEST_TMPDIR/exec.err" >&2; false; }
  expect_eq "$out" "0::/" "exec'd process's cgroup, seen inside"
  # outside: the scope
  # (stdio not to bats' pipe: a detached process keeps it open)
  rt exec -d --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$CID" sleep 30 </dev/null >/dev/null 2>&1
  pid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
  expect_eq "$(cgroup_of "$pid")" "$(ccg "/system.slice/$UNIT")" "cgroup of the exec'd process $pid"
  kill -KILL "$pid"
}

@test "update: the cgroup files follow" {
  run rt update --memory 134217728 --pids-limit 200 --cpu-quota 25000 --cpu-period 100000 \
    --cpu-share 1024 "$CID"
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  expect_file "$CCG/memory.max" 134217728
  expect_file "$CCG/pids.max" 200
  expect_file "$CCG/cpu.max" "25000 100000"
  expect_file "$CCG/cpu.weight" 39
}

@test "update: the unit's properties follow" {
  skip_unit_props
  expect_prop "$UNIT" MemoryMax 134217728
  expect_prop "$UNIT" TasksMax 200
  expect_prop "$UNIT" CPUQuotaPerSecUSec 250ms
  expect_prop "$UNIT" CPUWeight 39
}

@test "pause/resume: cgroup.freeze, the state, the unit stays active" {
  run rt pause "$CID"
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  expect_eq "$(rt_state "$CID")" paused "state after pause"
  expect_file "$CCG/cgroup.freeze" 1
  wait_for grep -qx 'frozen 1' "$CCG/cgroup.events"
  expect_prop "$UNIT" ActiveState active
  run rt resume "$CID"
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  expect_eq "$(rt_state "$CID")" running "state after resume"
  expect_file "$CCG/cgroup.freeze" 0
  wait_for grep -qx 'frozen 0' "$CCG/cgroup.events"
}

@test "kill --all: every process of the container is killed" {
  run rt kill --all "$CID" KILL
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  wait_for bash -c "[[ \$(timeout 30 $RUNTIME --root $RT_ROOT state $CID | jq -r .status) == stopped ]]"
  # the scope's cgroup is empty (systemd may already have stopped the scope and removed it)
  if [[ -d $CCG ]]; then
    wait_for bash -c "[[ ! -s $CCG/cgroup.procs ]]"
  fi
}

@test "delete: the unit and its cgroup are gone" {
  run rt delete "$CID"
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  unit_gone "$UNIT" "$CG"
  run rt state "$CID"
  [[ $status -ne 0 ]]
}

@test "delete --force of a running container: the unit and its cgroup are gone" {
  local id=$CID-f unit=nucleus-test-$CID-f.scope
  bundle "$BATS_TEST_TMPDIR/b" "system.slice:nucleus-test:$id" sleep 1000
  run_d "$id" "$BATS_TEST_TMPDIR/b"
  expect_prop "$unit" ActiveState active
  run rt delete --force "$id"
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  unit_gone "$unit" "/sys/fs/cgroup/system.slice/$unit"
}

@test "create killed with SIGKILL, then delete --force: no unit, cgroup or process left" {
  local id=$CID-k unit=nucleus-test-$CID-k.scope
  local cg=/sys/fs/cgroup/system.slice/nucleus-test-$CID-k.scope
  bundle "$BATS_TEST_TMPDIR/b" "system.slice:nucleus-test:$id" sleep 1000
  # a createRuntime hook that sleeps holds the create after the cgroup is set up
  bundle_jq "$BATS_TEST_TMPDIR/b" '.hooks = {createRuntime: [{path: "/usr/bin/sleep", args: ["sleep", "60"]}]}'
  timeout "$T" "$RUNTIME" --root "$RT_ROOT" --systemd-cgroup create --bundle "$BATS_TEST_TMPDIR/b" "$id" \
    </dev/null >"$BATS_TEST_TMPDIR/create.out" 2>&1 &
  local rtpid=$!
  # timeout's child is the runtime
  wait_for pgrep -P "$rtpid"
  local child
  child=$(pgrep -P "$rtpid" | head -n1)
  wait_for test -d "$cg" || { cat "$BATS_TEST_TMPDIR/create.out" >&2; false; }
  local hooks
  hooks=$(pgrep -f '^sleep 60$' -P "$child" || true)
  kill -KILL "$child"
  wait "$rtpid" || true
  [[ -z $hooks ]] || kill -KILL $hooks 2>/dev/null || true
  run rt delete --force "$id"
  echo "delete --force: status $status: $output"
  unit_gone "$unit" "$cg"
  # no process of the container is left (the container's init, if it had been started)
  run pgrep -f "sleep 1000"
  [[ $status -ne 0 ]] || { echo "left: $output" >&2; false; }
}

@test "cgroupsPath with a .slice name: the container gets its own slice unit" {
  local id=$CID-s
  local name=nucleustest-${id//-/_}.slice
  local cg=/sys/fs/cgroup/nucleustest.slice/$name
  bundle "$BATS_TEST_TMPDIR/b" "nucleustest.slice:nucleus-test:$name" sleep 1000
  bundle_jq "$BATS_TEST_TMPDIR/b" '.linux.resources += {memory: {limit: 33554432}}'
  if ! run_d "$id" "$BATS_TEST_TMPDIR/b"; then
    # runc 1.1.5 asks systemd for a slice unit with the init's PID: systemd refuses ("Cannot set
    # property PIDs, or unknown property"), so runc cannot run such a container
    if [[ ${RUNTIME_NAME:-} == runc ]] && grep -q 'Cannot set property PIDs' "$BATS_FILE_TMPDIR/run-$id.out"; then
      skip "runc 1.1.5 passes PIDs for a .slice unit and systemd refuses it"
    fi
    false
  fi
  pid=$(rt state "$id" | jq -r .pid)
  echo "init $pid in $(cgroup_of "$pid"); units: $(systemctl list-units --all --plain --no-legend 'nucleustest*' | awk '{print $1, $3, $4}' | tr '\n' ' ')"
  # crun 1.8.1 has no special case for a .slice name: its unit is <prefix>-<name>.scope
  if [[ ${RUNTIME_NAME:-} == crun && $(cgroup_of "$pid") == "/nucleustest.slice/nucleus-test-$name.scope/container" ]]; then
    skip "crun 1.8.1 makes a scope nucleus-test-$name.scope for a .slice name"
  fi
  expect_eq "$(cgroup_of "$pid")" "$(ccg "/nucleustest.slice/$name")" "cgroup of the init"
  expect_prop "$name" ActiveState active
  [[ ${RUNTIME_NAME:-} == crun ]] || expect_prop "$name" MemoryMax 33554432 # (lib.bash: crun)
  expect_file "/sys/fs/cgroup$(ccg "/nucleustest.slice/$name")/memory.max" 33554432
  run rt delete --force "$id"
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  unit_gone "$name" "$cg"
}

@test "cgroupsPath in a nested slice nucleustest-a.slice: both slices are created as systemd does" {
  local id=$CID-n unit=nucleus-test-$CID-n.scope
  local cg=/sys/fs/cgroup/nucleustest.slice/nucleustest-a.slice/$unit
  bundle "$BATS_TEST_TMPDIR/b" "nucleustest-a.slice:nucleus-test:$id" sleep 1000
  bundle_jq "$BATS_TEST_TMPDIR/b" '.linux.resources += {pids: {limit: 20}}'
  run_d "$id" "$BATS_TEST_TMPDIR/b"
  expect_prop "$unit" ActiveState active
  expect_prop "$unit" Slice nucleustest-a.slice
  expect_prop nucleustest-a.slice Slice nucleustest.slice
  [[ ${RUNTIME_NAME:-} == crun ]] || expect_prop "$unit" TasksMax 20 # (lib.bash: crun)
  pid=$(rt state "$id" | jq -r .pid)
  expect_eq "$(cgroup_of "$pid")" "$(ccg "/nucleustest.slice/nucleustest-a.slice/$unit")" "cgroup of the init"
  expect_file "/sys/fs/cgroup$(ccg "/nucleustest.slice/nucleustest-a.slice/$unit")/pids.max" 20
  run rt delete --force "$id"
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  unit_gone "$unit" "$cg"
}

@test "nothing of this file is left: no container, no nucleus-test scope" {
  run timeout 30 "$RUNTIME" --root "$RT_ROOT" list -q
  expect_eq "$output" "" "containers left"
  run bash -c "systemctl list-units --all --plain --no-legend 'nucleus-test-*' | grep -v 'not-found'"
  expect_eq "$output" "" "units left"
}
