#!/usr/bin/env bats
# The commands that work through the container's cgroup: pause/resume (freezer), ps, kill --all,
# and (when the runtime has them) update and events --stats.
load ../helpers/common
load cgroups

# start_cmd 'SCRIPT': create + start sh -c SCRIPT as $ID
start_cmd() {
  set_cmd "$1"
  rt create --bundle "$BUNDLE" "$ID"
  rt start "$ID"
  expect_eq "$(status_of "$ID")" running status
}

# wait_cg_count CTRL N: wait until the cgroup holds at least N processes
wait_cg_count() {
  local i
  for ((i = 0; i < 100; i++)); do
    (($(cg_pids "$1" | wc -l) >= $2)) && return 0
    sleep 0.05
  done
  fail "cgroup $1 holds $(cg_pids "$1" | wc -l) processes, expected $2"
}

has_update() { "$RUNTIME" update --help >/dev/null 2>&1; }
need_update() { has_update || skip "update/events not implemented yet"; }

@test "pause freezes (state paused, freezer.state FROZEN, list paused); resume thaws" {
  start_cmd 'exec sleep 1000'
  run rt pause "$ID"
  expect_status 0
  expect_eq "$(status_of "$ID")" paused "status after pause"
  if [[ -e $(cg_dir freezer)/freezer.state ]]; then
    expect_eq "$(cat "$(cg_dir freezer)/freezer.state")" FROZEN freezer.state
  fi
  run rt list
  expect_status 0
  [[ $output =~ $ID[[:space:]]+[0-9]+[[:space:]]+paused ]] || fail "list: $output"
  run rt list --format json
  expect_status 0
  expect_eq "$(jq -r --arg id "$ID" '.[] | select(.id == $id) | .status' <<<"$output")" paused "list json status"
  run rt resume "$ID"
  expect_status 0
  expect_eq "$(status_of "$ID")" running "status after resume"
  if [[ -e $(cg_dir freezer)/freezer.state ]]; then
    expect_eq "$(cat "$(cg_dir freezer)/freezer.state")" THAWED freezer.state
  fi
}

@test "a paused container's processes do not run until resume" {
  update_config '.root.readonly = false'
  start_cmd 'i=0; while :; do i=$((i+1)); echo $i > /count; sleep 0.05; done'
  wait_for_file "$BUNDLE/rootfs/count"
  rt pause "$ID"
  local a b
  a=$(cat "$BUNDLE/rootfs/count")
  sleep 0.5
  b=$(cat "$BUNDLE/rootfs/count")
  expect_eq "$b" "$a" "counter while paused"
  rt resume "$ID"
  sleep 0.5
  b=$(cat "$BUNDLE/rootfs/count")
  [[ $b != "$a" ]] || fail "counter did not move after resume"
}

@test "ps --format json lists the init pid and a child; ps prints a PID table" {
  start_cmd 'sleep 1001 & exec sleep 1000'
  wait_cg_count pids 2
  local init child
  init=$(pid_of "$ID")
  child=$(grep -vx "$init" <(cg_pids pids) | head -n1)
  [[ -n $child ]] || fail "no child in the cgroup"
  run rt ps --format json "$ID"
  expect_status 0
  jq -e 'type == "array"' <<<"$output" >/dev/null || fail "not a JSON array: $output"
  jq -e --argjson p "$init" 'index($p) != null' <<<"$output" >/dev/null || fail "init $init missing: $output"
  jq -e --argjson p "$child" 'index($p) != null' <<<"$output" >/dev/null || fail "child $child missing: $output"
  run rt ps "$ID"
  expect_status 0
  [[ ${lines[0]} == *PID* ]] || fail "no PID header: $output"
  expect_output_contains "$init" "$child"
}

@test "kill --all KILL kills every process in the cgroup" {
  start_cmd 'sleep 100 & sleep 100 & wait'
  wait_cg_count pids 3
  local pids p
  local dir
  dir=$(cg_dir pids)
  pids=$(cat "$dir/cgroup.procs")
  run rt kill --all "$ID" KILL
  expect_status 0
  wait_status "$ID" stopped
  for p in $pids; do
    local i
    for ((i = 0; i < 50; i++)); do
      [[ -d /proc/$p && $(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) != Z ]] || break
      sleep 0.05
    done
    [[ ! -d /proc/$p || $(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) == Z ]] || fail "pid $p survived kill --all"
  done
  [[ ! -e $dir/cgroup.procs || -z $(cat "$dir/cgroup.procs") ]] || fail "cgroup not empty: $(cat "$dir/cgroup.procs")"
}

@test "update --memory changes memory.limit_in_bytes of a running container" {
  need_update
  update_config '.linux.resources.memory.limit = 33554432'
  start_cmd 'exec sleep 1000'
  run rt update --memory 67108864 "$ID"
  expect_status 0
  expect_eq "$(cat "$(cg_dir memory)/memory.limit_in_bytes")" 67108864 memory.limit_in_bytes
}

@test "update --pids-limit changes pids.max" {
  need_update
  update_config '.linux.resources.pids.limit = 16'
  start_cmd 'exec sleep 1000'
  run rt update --pids-limit 20 "$ID"
  expect_status 0
  expect_eq "$(cat "$(cg_dir pids)/pids.max")" 20 pids.max
}

@test "update --resources - reads LinuxResources JSON from stdin" {
  need_update
  start_cmd 'exec sleep 1000'
  run rt update --resources - "$ID" <<<'{"memory": {"limit": 50331648}, "pids": {"limit": 30}, "cpu": {"shares": 256}}'
  expect_status 0
  expect_eq "$(cat "$(cg_dir memory)/memory.limit_in_bytes")" 50331648 memory.limit_in_bytes
  expect_eq "$(cat "$(cg_dir pids)/pids.max")" 30 pids.max
  expect_eq "$(cat "$(cg_dir cpu)/cpu.shares")" 256 cpu.shares
}

@test "update --resources leaves the device rules alone (as runc): /dev/null stays usable" {
  need_update
  start_cmd 'exec sleep 1000'
  local before
  before=$(cat "$(cg_dir devices)/devices.list")
  run rt update --resources - "$ID" <<<'{"devices": [{"allow": false, "access": "rwm"}], "pids": {"limit": 40}}'
  expect_status 0
  expect_output_contains "linux.resources.devices is ignored"
  expect_eq "$(cat "$(cg_dir pids)/pids.max")" 40 pids.max
  expect_eq "$(cat "$(cg_dir devices)/devices.list")" "$before" devices.list
  run rt exec "$ID" sh -c 'echo x > /dev/null && echo ok'
  expect_status 0
  expect_output_contains ok
}

@test "events --stats prints one stats JSON object with memory and pids" {
  need_update
  start_cmd 'exec sleep 1000'
  run rt events --stats "$ID"
  expect_status 0
  local n
  n=$(jq -s length <<<"$output") || fail "not JSON: $output"
  expect_eq "$n" 1 "number of JSON objects"
  expect_eq "$(jq -r .type <<<"$output")" stats type
  expect_eq "$(jq -r .id <<<"$output")" "$ID" id
  jq -e '.data.memory | type == "object"' <<<"$output" >/dev/null || fail "no data.memory: $output"
  jq -e '.data.pids.current >= 1' <<<"$output" >/dev/null || fail "no data.pids.current: $output"
}

@test "--systemd-cgroup on a host without systemd: a clear error, exit 1, nothing left behind" {
  [[ ! -d /run/systemd/system ]] || skip "this host runs systemd (conformance.systemd-vm tests the driver)"
  set_cmd 'true'
  update_config '.linux.cgroupsPath = "system.slice:nucleus-test:'"$ID"'"'
  run rt --systemd-cgroup run --bundle "$BUNDLE" "$ID"
  expect_status 1
  # runc's words (cgroups/manager.New)
  [[ $output == *"systemd not running on this host, cannot use systemd cgroups manager"* ]] ||
    fail "output: $output"
  run rt state "$ID"
  expect_status 1
  [[ ! -e /sys/fs/cgroup/unified/system.slice/nucleus-test-$ID.scope ]] || fail "a cgroup was left"
  # A malformed systemd cgroupsPath names the field (runc words it "expected cgroupsPath to be
  # of format ...").
  update_config '.linux.cgroupsPath = "/not/a/slice"'
  run rt --systemd-cgroup run --bundle "$BUNDLE" "$ID"
  expect_status 1
  is_runc || [[ $output == *'linux.cgroupsPath: expected \"slice:prefix:name\" for systemd cgroups'* ]] ||
    fail "output: $output"
}
