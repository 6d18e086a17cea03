#!/usr/bin/env bats
# namespaces: new ones, joining by path, user namespace mappings, cgroup and time namespaces.
load ../helpers/common

ns_of() { readlink "/proc/$1/ns/$2"; }

# start_userns_owner: container $ID with a user namespace of its own (sleeping), its init's pid
# in OWNER; config.json as it was before in $BATS_TEST_TMPDIR/orig.json.
start_userns_owner() {
  [[ -e /proc/self/ns/user ]] || skip "kernel without user namespaces"
  traversable_bundle
  cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/orig.json"
  update_config '.linux.namespaces += [{type: "user"}]
    | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
    | .linux.gidMappings = [{containerID: 0, hostID: 200000, size: 65536}]
    | .mounts |= map(select(.type != "cgroup"))
    | .process.args = ["sleep", "1000"]'
  rt run -d --bundle "$BUNDLE" "$ID"
  OWNER=$(pid_of "$ID")
}

# The mapped root of a user namespace must be able to reach the rootfs: bats' temp dirs are 0700.
traversable_bundle() {
  local d=$BUNDLE
  while [[ $d != / ]]; do
    chmod o+x "$d"
    d=$(dirname "$d")
  done
}

@test "pid namespace: the process is pid 1" {
  run_in_container 'echo $$; cat /proc/1/cmdline | tr "\0" " "'
  expect_status 0
  expect_eq "${lines[0]}" 1 "pid"
}

@test "every configured namespace differs from the host's" {
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  local p ns
  p=$(pid_of "$ID")
  for ns in pid ipc uts mnt net; do
    [[ $(ns_of "$p" $ns) != "$(ns_of $$ $ns)" ]] || fail "$ns namespace is the host's"
  done
}

@test "two containers get two new network namespaces, neither the runtime's" {
  # create makes the new network namespace on a thread of its own and hands it to the init
  # (init::NetnsPrep): it must be fresh for each container and not the one create runs in.
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  rt run -d --bundle "$BUNDLE" "$ID-2"
  local a b
  a=$(ns_of "$(pid_of "$ID")" net)
  b=$(ns_of "$(pid_of "$ID-2")" net)
  [[ $a != "$b" ]] || fail "both containers are in $a"
  [[ $a != "$(ns_of $$ net)" && $b != "$(ns_of $$ net)" ]] || fail "a container has the host's"
  rt delete -f "$ID-2"
}

@test "uts namespace: hostname is private" {
  update_config '.hostname = "uts-private"'
  run_in_container 'hostname'
  expect_eq "$output" uts-private hostname
  [[ $(hostname) != uts-private ]]
}

@test "ipc namespace: no host SysV objects visible" {
  run_in_container 'cat /proc/sysvipc/shm | wc -l; cat /proc/sysvipc/msg | wc -l'
  expect_status 0
  expect_eq "$(paste -sd' ' <<<"$output")" "1 1" "only the header lines"
}

@test "network namespace: only lo" {
  run_in_container 'ls /sys/class/net; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
  expect_status 0
  expect_eq "$(sort -u <<<"$output" | paste -sd' ')" lo "interfaces"
}

@test "no network namespace in the config: the host's network" {
  update_config '.linux.namespaces |= map(select(.type != "network"))'
  run_in_container 'readlink /proc/self/ns/net'
  expect_status 0
  expect_eq "$output" "$(ns_of $$ net)" "net ns"
}

@test "mount namespace: container mounts are invisible on the host" {
  update_config '.mounts += [{destination: "/mnt/t", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]'
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  grep -q "/mnt/t" /proc/self/mountinfo && fail "the tmpfs is visible on the host"
  grep -q " /mnt/t " "/proc/$(pid_of "$ID")/mounts" || fail "the tmpfs is not in the container"
}

@test "joining a network namespace by path" {
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  local p1 want
  p1=$(pid_of "$ID")
  want=$(ns_of "$p1" net)
  update_config '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' \
    --arg p "/proc/$p1/ns/net"
  set_cmd 'readlink /proc/self/ns/net'
  run rt run --bundle "$BUNDLE" "${ID}b"
  expect_status 0
  expect_eq "$output" "$want" "net ns of the second container"
  [[ $want != "$(ns_of $$ net)" ]] || fail "the first container had the host netns"
}

@test "joining ipc and uts namespaces by path" {
  update_config '.hostname = "first"'
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  local p1
  p1=$(pid_of "$ID")
  update_config 'del(.hostname) | .linux.namespaces |= map(if .type == "ipc" or .type == "uts" then .path = "/proc/\($p)/ns/\(if .type == "ipc" then "ipc" else "uts" end)" else . end)' \
    --arg p "$p1"
  set_cmd 'readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts; hostname'
  run rt run --bundle "$BUNDLE" "${ID}b"
  expect_status 0
  expect_eq "${lines[0]}" "$(ns_of "$p1" ipc)" "ipc ns"
  expect_eq "${lines[1]}" "$(ns_of "$p1" uts)" "uts ns"
  expect_eq "${lines[2]}" first "hostname from the joined uts ns"
}

@test "a namespace path that does not exist fails" {
  update_config '.linux.namespaces |= map(if .type == "network" then .path = "/proc/999999999/ns/net" else . end)'
  set_args true
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 1
  run rt state "$ID"
  expect_status 1
}

@test "user namespace with uid/gid mappings" {
  [[ -e /proc/self/ns/user ]] || skip "kernel without user namespaces"
  traversable_bundle
  update_config '.linux.namespaces += [{type: "user"}]
    | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
    | .linux.gidMappings = [{containerID: 0, hostID: 200000, size: 65536}]
    | .mounts |= map(select(.type != "cgroup"))'
  run_in_container 'cat /proc/self/uid_map; cat /proc/self/gid_map; id -u'
  expect_status 0
  [[ $(sed -n 1p <<<"$output" | xargs) == "0 100000 65536" ]] || fail "uid_map: $output"
  [[ $(sed -n 2p <<<"$output" | xargs) == "0 200000 65536" ]] || fail "gid_map: $output"
  expect_eq "${lines[2]}" 0 "uid inside"
}

@test "joining a user namespace by path, with new network and pid namespaces: they belong to that user namespace" {
  start_userns_owner
  local owner=$OWNER second
  # The second container joins that user namespace and makes its own network and pid
  # namespaces: both must belong to the joined user namespace. The init makes the network one
  # itself, after joining (one made by the runtime would be owned by the host's user namespace,
  # and joining it from inside fails with EPERM); the pid namespace comes with the init's clone,
  # made by a helper in that user namespace (with the host's as owner, mounting /proc failed:
  # "mount proc on /proc: operation not permitted").
  cp "$BATS_TEST_TMPDIR/orig.json" "$BUNDLE/config.json"
  update_config '.linux.namespaces += [{type: "user", path: $p}]
    | .mounts |= map(select(.type != "cgroup"))
    | .process.args = ["sh", "-c", "echo pid=$$; ls /proc/1/ns/pid >/dev/null && echo proc-ok; exec sleep 1000"]' \
    --arg p "/proc/$owner/ns/user"
  rt run -d --bundle "$BUNDLE" "$ID-2"
  second=$(pid_of "$ID-2")
  expect_eq "$(ns_of "$second" user)" "$(ns_of "$owner" user)" "user namespace"
  [[ $(ns_of "$second" net) != "$(ns_of "$owner" net)" ]] || fail "the first one's network namespace"
  [[ $(ns_of "$second" pid) != "$(ns_of "$owner" pid)" ]] || fail "the first one's pid namespace"
  # NS_GET_USERNS (ioctl 0xb701) on a namespace names its owner.
  local ns
  for ns in net pid; do
    run python3 -c 'import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
print(os.readlink("/proc/self/fd/%d" % fcntl.ioctl(fd, 0xb701)))' "/proc/$second/ns/$ns"
    expect_status 0
    expect_eq "$output" "$(ns_of "$owner" user)" "owner of the $ns namespace"
  done
  workload_says() { grep -E '^(pid=|proc-ok)' "$BATS_TEST_TMPDIR/detached.out" | tr '\n' ' '; }
  poll_eq 5 "pid=1 proc-ok " "the workload's output" workload_says
  rt delete -f "$ID-2"
}

@test "user namespace: the process runs as the mapped host uid" {
  [[ -e /proc/self/ns/user ]] || skip "kernel without user namespaces"
  traversable_bundle
  update_config '.linux.namespaces += [{type: "user"}]
    | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
    | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
    | .mounts |= map(select(.type != "cgroup"))'
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  local p
  p=$(pid_of "$ID")
  [[ $(awk '/^Uid:/ {print $2}' "/proc/$p/status") == 100000 ]] || fail "host uid: $(grep Uid "/proc/$p/status")"
  [[ $(ns_of "$p" user) != "$(ns_of $$ user)" ]] || fail "host user ns"
}

@test "cgroup namespace: the container's cgroups are its root" {
  [[ -e /proc/self/ns/cgroup ]] || skip "kernel without cgroup namespaces"
  update_config '.linux.namespaces |= (map(select(.type != "cgroup")) + [{type: "cgroup"}])'
  run_in_container 'cat /proc/self/cgroup'
  expect_status 0
  local bad
  bad=$(grep -v ':/$' <<<"$output" || true)
  [[ -z $bad ]] || fail "paths outside the namespace root: $bad"
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "${ID}b"
  [[ $(ns_of "$(pid_of "${ID}b")" cgroup) != "$(ns_of $$ cgroup)" ]] || fail "host cgroup ns"
}

@test "time namespace with a boottime offset" {
  [[ -e /proc/self/ns/time ]] || skip "kernel without time namespaces"
  # runtime-spec 1.1 (linux.timeOffsets); runc 1.1 rejects the "time" namespace type.
  nucleus_only
  update_config '.linux.namespaces += [{type: "time"}]
    | .linux.timeOffsets = {boottime: {secs: 864000, nanosecs: 0}, monotonic: {secs: 86400, nanosecs: 0}}'
  run_in_container 'cut -d. -f1 /proc/uptime; cat /proc/self/timens_offsets'
  expect_status 0
  local host_up
  host_up=$(cut -d. -f1 /proc/uptime)
  ((${lines[0]} >= host_up + 864000 - 5)) || fail "uptime inside ${lines[0]}, host $host_up"
  expect_output_contains "864000" "86400"
}

@test "time namespace with a user namespace: the offsets are set (runc's timens.bats)" {
  [[ -e /proc/self/ns/time && -e /proc/self/ns/user ]] || skip "kernel without time or user namespaces"
  traversable_bundle
  update_config '.linux.namespaces += [{type: "user"}, {type: "time"}]
    | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
    | .linux.gidMappings = [{containerID: 0, hostID: 200000, size: 65536}]
    | .mounts |= map(select(.type != "cgroup"))
    | .linux.timeOffsets = {monotonic: {secs: 7881, nanosecs: 2718281}, boottime: {secs: 1337, nanosecs: 3141519}}'
  run_in_container 'cat /proc/self/timens_offsets'
  expect_status 0
  grep -qE '^monotonic\s+7881\s+2718281$' <<<"$output" || fail "monotonic offset: $output"
  grep -qE '^boottime\s+1337\s+3141519$' <<<"$output" || fail "boottime offset: $output"
}

@test "time namespace: exec and a container joining it by path see the offsets" {
  [[ -e /proc/self/ns/time ]] || skip "kernel without time namespaces"
  update_config '.linux.namespaces += [{type: "time"}]
    | .linux.timeOffsets = {monotonic: {secs: 7881, nanosecs: 2718281}, boottime: {secs: 1337, nanosecs: 3141519}}'
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  run rt_raw exec "$ID" cat /proc/self/timens_offsets
  expect_status 0
  grep -qE '^boottime\s+1337\s+3141519$' <<<"$output" || fail "exec: $output"
  local pid
  pid=$(pid_of "$ID")
  update_config '.linux.namespaces |= map(if .type == "time" then .path = "/proc/'"$pid"'/ns/time" else . end)
    | del(.linux.timeOffsets)'
  set_args cat /proc/self/timens_offsets
  run rt_raw run --bundle "$BUNDLE" "${ID}b"
  expect_status 0
  grep -qE '^boottime\s+1337\s+3141519$' <<<"$output" || fail "joined by path: $output"
}

@test "namespaces: a new network namespace has lo up" {
  update_config '.linux.namespaces |= (map(select(.type != "network")) + [{"type": "network"}])'
  run_in_container 'ip link show lo'
  expect_status 0
  expect_output_contains "LOOPBACK,UP"
}

@test "joining a user namespace and a network namespace it does not own (runc's userns.bats)" {
  start_userns_owner
  local owner=$OWNER second
  # The host's network namespace, by a path of its own: the joined user namespace does not own
  # it, so only the host's privileges can join it (before the user namespace, as runc's nsexec).
  touch "$BATS_TEST_TMPDIR/netns"
  mount --bind /proc/self/ns/net "$BATS_TEST_TMPDIR/netns"
  cp "$BATS_TEST_TMPDIR/orig.json" "$BUNDLE/config.json"
  update_config '.linux.namespaces |= map(select(.type != "network"))
    | .linux.namespaces += [{type: "user", path: $u}, {type: "network", path: $n}]
    | .mounts |= map(select(.type != "cgroup")
        | if .type == "sysfs" then {source: "/sys", destination: .destination, type: "bind", options: ["rbind"]} else . end)
    | .process.args = ["sleep", "1000"]' \
    --arg u "/proc/$owner/ns/user" --arg n "$BATS_TEST_TMPDIR/netns"
  run rt run -d --bundle "$BUNDLE" "$ID-2"
  umount "$BATS_TEST_TMPDIR/netns"
  expect_status 0
  second=$(pid_of "$ID-2")
  expect_eq "$(ns_of "$second" user)" "$(ns_of "$owner" user)" "user namespace"
  expect_eq "$(ns_of "$second" net)" "$(readlink /proc/self/ns/net)" "network namespace"
  # exec joins them in the same order
  run rt exec "$ID-2" readlink /proc/self/ns/net
  expect_status 0
  expect_eq "$output" "$(readlink /proc/self/ns/net)" "exec's network namespace"
  rt delete -f "$ID-2"
}
