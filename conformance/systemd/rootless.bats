#!/usr/bin/env bats
# Rootless containers on a booted systemd host (hack/vm/run-systemd): a test user (made here,
# removed after) with lingering on, so that user@UID.service runs its own systemd manager with a
# delegated cgroup v2 subtree and its session bus at /run/user/UID/bus (dbus-user-session).
# The runtime runs as that user inside its manager (a transient service of user@UID.service, as
# a command of a desktop session would: processes may only move between cgroups the user owns),
# with a `spec --rootless` style bundle in the user's home:
#   - the cgroupfs driver with a cgroupsPath inside the delegated subtree: limits, pause/resume,
#     delete; a limit on a controller that is not delegated fails naming the field;
#   - the systemd driver (--systemd-cgroup): the scope is a unit of the user's manager in its
#     user.slice, limits as unit properties and files, pause/resume, exec, delete.

load lib

U=nucleus-rl

setup_file() {
  [[ -d /run/systemd/system ]] || return 0
  export CID=rl-${RUNTIME_NAME:-rt}-$RANDOM
  userdel -r "$U" >/dev/null 2>&1 || true
  useradd -m -s /bin/sh "$U"
  sed -i "/^$U:/d" /etc/subuid /etc/subgid
  echo "$U:300000:65536" >>/etc/subuid
  echo "$U:300000:65536" >>/etc/subgid
  RUID=$(id -u "$U")
  export RUID
  export UHOME=/home/$U
  export UCG=/sys/fs/cgroup/user.slice/user-$RUID.slice/user@$RUID.service
  timeout "$T" loginctl enable-linger "$U"
  # the user's manager and its bus (user@UID.service, dbus.socket of dbus-user-session)
  local i
  for ((i = 0; i < 300; i++)); do
    [[ $(systemctl show -P ActiveState "user@$RUID.service") == active && -S /run/user/$RUID/bus ]] && break
    sleep 0.1
  done
  # the runtime where the user can run it (the payload disk is root's)
  export URT=/usr/local/bin/rl-${RUNTIME_NAME:-rt}
  install -m 755 "$RUNTIME" "$URT"
  mkdir -p "$UHOME/rootfs"
  tar -C "$UHOME/rootfs" -xf "$PAYLOAD/rootfs.tar"
  chown -R "$U:" "$UHOME"
}

teardown_file() {
  [[ -n ${RUID:-} ]] || return 0
  local id
  for id in $(as_user "$URT" --root "/run/user/$RUID/rl" list -q 2>/dev/null); do
    as_user "$URT" --root "/run/user/$RUID/rl" delete --force "$id" >/dev/null 2>&1
    as_user "$URT" --root "/run/user/$RUID/rl" --systemd-cgroup delete --force "$id" >/dev/null 2>&1
  done
  as_user podman rm -af -t 0 >/dev/null 2>&1
  as_user podman system reset -f >/dev/null 2>&1
  timeout "$T" loginctl disable-linger "$U" >/dev/null 2>&1
  timeout "$T" systemctl stop "user@$RUID.service" >/dev/null 2>&1
  rmdir "$UCG/nucleus-rl" 2>/dev/null
  userdel -r "$U" >/dev/null 2>&1
  sed -i "/^$U:/d" /etc/subuid /etc/subgid
  rm -f "$URT"
  return 0
}

setup() {
  sd_require
  [[ -S /run/user/$RUID/bus ]] || skip "the user's session bus /run/user/$RUID/bus is not there"
}

# user_env CMD...: CMD as the user with its session environment (not in its manager's cgroups)
user_env() {
  timeout "$T" runuser -u "$U" -- env -C "$UHOME" XDG_RUNTIME_DIR="/run/user/$RUID" \
    DBUS_SESSION_BUS_ADDRESS="unix:path=/run/user/$RUID/bus" "$@"
}

# as_user CMD...: CMD as the user, started by its manager (systemd-run --user: a transient
# service in user@UID.service/app.slice), stdio passed through, its exit status returned
as_user() {
  user_env systemd-run --user --quiet --wait --pipe --collect -p WorkingDirectory="$UHOME" \
    -- "$@"
}

# urt ARGS...: the runtime as the user (state under its XDG_RUNTIME_DIR)
urt() { as_user "$URT" --root "/run/user/$RUID/rl" "$@"; }

# ubundle DIR CGROUPS-PATH ARGS...: a rootless bundle (Debian runc's `spec --rootless`) in the
# user's home, the busybox rootfs, ARGS as the process and linux.cgroupsPath CGROUPS-PATH
ubundle() {
  local dir=$UHOME/$1 cg=$2
  shift 2
  rm -rf "$dir"
  mkdir -p "$dir"
  (cd "$dir" && /usr/sbin/runc spec --rootless)
  local args
  args=$(printf '%s\n' "$@" | jq -R . | jq -s .)
  # (the maps `spec --rootless` writes are of its caller, root here: the user's own ids instead)
  bundle_jq "$dir" --arg root "$UHOME/rootfs" --arg cg "$cg" --argjson args "$args" \
    --argjson uid "$RUID" --argjson gid "$(id -g "$U")" \
    '.root.path = $root | .process.terminal = false | .process.args = $args |
     .linux.cgroupsPath = $cg | .root.readonly = true |
     .linux.uidMappings = [{containerID: 0, hostID: $uid, size: 1}] |
     .linux.gidMappings = [{containerID: 0, hostID: $gid, size: 1}]'
  chown -R "$U:" "$dir"
}

ujq() { bundle_jq "$UHOME/$1" "${@:2}"; }

# urun_d ID BUNDLE-NAME: `run -d` as the user
urun_d() {
  if ! urt "${RT_FLAGS[@]}" run -d --bundle "$UHOME/$2" "$1" </dev/null >"$BATS_FILE_TMPDIR/run-$1.out" 2>&1; then
    cat "$BATS_FILE_TMPDIR/run-$1.out" >&2
    return 1
  fi
}

# the user's own systemctl (its manager)
usystemctl() { user_env systemctl --user "$@"; }
uprop() { usystemctl show -P "$2" "$1"; }

RT_FLAGS=()

@test "the user's manager: user@UID.service runs, delegates a cgroup v2 subtree, has a session bus" {
  [[ $(systemctl show -P ActiveState "user@$RUID.service") == active ]]
  echo "# Delegate=$(systemctl show -P Delegate "user@$RUID.service") DelegateControllers=$(systemctl show -P DelegateControllers "user@$RUID.service")" >&3
  echo "# $UCG: controllers '$(cat "$UCG/cgroup.controllers")' subtree_control '$(cat "$UCG/cgroup.subtree_control")' owner $(stat -c %U "$UCG")" >&3
  echo "# as_user's cgroup: $(as_user cat /proc/self/cgroup)" >&3
  echo "# user manager ControlGroup: $(user_env busctl --user get-property org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager ControlGroup)" >&3
  [[ $(stat -c %U "$UCG") == "$U" ]]
  [[ $(as_user cat /proc/self/cgroup) == "0::/user.slice/user-$RUID.slice/user@$RUID.service/"* ]]
}

# --- the cgroupfs driver, in the delegated subtree ------------------------------------------

@test "cgroupfs: memory.max, pids.max, cpu.max in a cgroup below user@UID.service" {
  local id=$CID-fs cg=$UCG/nucleus-rl/$CID-fs
  ubundle fs "/user.slice/user-$RUID.slice/user@$RUID.service/nucleus-rl/$id" sleep 1000
  local res='{memory: {limit: 67108864}, pids: {limit: 50}}'
  grep -qw cpu "$UCG/cgroup.controllers" && res='{memory: {limit: 67108864}, pids: {limit: 50}, cpu: {quota: 50000, period: 100000}}'
  ujq fs ".linux.resources = $res"
  urun_d "$id" fs
  expect_eq "$(urt state "$id" | jq -r .status)" running state
  pid=$(urt state "$id" | jq -r .pid)
  expect_eq "$(cgroup_of "$pid")" "${cg#/sys/fs/cgroup}" "cgroup of the init $pid"
  expect_file "$cg/memory.max" 67108864
  expect_file "$cg/pids.max" 50
  if grep -qw cpu "$UCG/cgroup.controllers"; then
    expect_file "$cg/cpu.max" "50000 100000"
  else
    echo "# cpu is not delegated to user@$RUID.service: cpu.max not checked" >&3
  fi
}

@test "cgroupfs: pause/resume freeze and thaw the container's cgroup" {
  local id=$CID-fs cg=$UCG/nucleus-rl/$CID-fs
  urt pause "$id"
  expect_file "$cg/cgroup.freeze" 1
  wait_for grep -qx 'frozen 1' "$cg/cgroup.events"
  expect_eq "$(urt state "$id" | jq -r .status)" paused state
  urt resume "$id"
  expect_file "$cg/cgroup.freeze" 0
  wait_for grep -qx 'frozen 0' "$cg/cgroup.events"
  expect_eq "$(urt state "$id" | jq -r .status)" running state
}

@test "cgroupfs: exec joins the container's cgroup" {
  local id=$CID-fs
  run urt exec "$id" cat /proc/self/cgroup
  [[ $status -eq 0 ]] || { echo "$output" >&2; return 1; }
  expect_eq "$(echo "$output" | grep '^0::')" "0::/" "exec's cgroup (cgroup namespace)"
}

@test "cgroupfs: delete --force removes the container's cgroup" {
  local id=$CID-fs cg=$UCG/nucleus-rl/$CID-fs
  urt delete --force "$id"
  [[ ! -d $cg ]]
  ! urt state "$id" >/dev/null 2>&1
}

@test "cgroupfs: a limit on a controller not delegated (cpuset) fails naming the field, nothing left" {
  grep -qw cpuset "$UCG/cgroup.controllers" && skip "cpuset is delegated to user@$RUID.service here"
  local id=$CID-nd cg=$UCG/nucleus-rl/$CID-nd
  ubundle nd "/user.slice/user-$RUID.slice/user@$RUID.service/nucleus-rl/$id" true
  ujq nd '.linux.resources = {cpu: {cpus: "0"}}'
  run urt run --bundle "$UHOME/nd" "$id"
  echo "# $output" >&3
  [[ $status -ne 0 ]]
  if [[ ${RUNTIME_NAME:-} == nucleus-oci ]]; then
    [[ $output == *"linux.resources.cpu.cpus"* && $output == *cpuset* ]]
  fi
  [[ ! -d $cg ]]
  ! urt state "$id" >/dev/null 2>&1
}

# --- the systemd driver: the user's manager ----------------------------------------------------

@test "systemd: the scope is a unit of the user's manager in its user.slice, with the limits" {
  local id=$CID-sd unit=nucleus-rl-$CID-sd.scope
  local cg=$UCG/user.slice/$unit
  ubundle sd "user.slice:nucleus-rl:$id" sleep 1000
  local res='{memory: {limit: 67108864}, pids: {limit: 50}}'
  grep -qw cpu "$UCG/cgroup.controllers" && res='{memory: {limit: 67108864}, pids: {limit: 50}, cpu: {quota: 50000, period: 100000}}'
  ujq sd ".linux.resources = $res"
  RT_FLAGS=(--systemd-cgroup)
  urun_d "$id" sd
  expect_eq "$(urt state "$id" | jq -r .status)" running state
  expect_eq "$(uprop "$unit" ActiveState)" active "$unit ActiveState"
  expect_eq "$(uprop "$unit" Slice)" user.slice "$unit Slice"
  pid=$(urt state "$id" | jq -r .pid)
  expect_eq "$(cgroup_of "$pid")" "${cg#/sys/fs/cgroup}" "cgroup of the init $pid"
  expect_eq "$(uprop "$unit" MemoryMax)" 67108864 "$unit MemoryMax"
  expect_eq "$(uprop "$unit" TasksMax)" 50 "$unit TasksMax"
  expect_file "$cg/memory.max" 67108864
  expect_file "$cg/pids.max" 50
  if grep -qw cpu "$UCG/cgroup.controllers"; then
    expect_eq "$(uprop "$unit" CPUQuotaPerSecUSec)" 500ms "$unit CPUQuotaPerSecUSec"
    expect_file "$cg/cpu.max" "50000 100000"
  fi
}

@test "systemd: pause/resume freeze and thaw the unit's cgroup" {
  local id=$CID-sd cg=$UCG/user.slice/nucleus-rl-$CID-sd.scope
  urt --systemd-cgroup pause "$id"
  expect_file "$cg/cgroup.freeze" 1
  wait_for grep -qx 'frozen 1' "$cg/cgroup.events"
  urt --systemd-cgroup resume "$id"
  expect_file "$cg/cgroup.freeze" 0
  wait_for grep -qx 'frozen 0' "$cg/cgroup.events"
  expect_eq "$(urt state "$id" | jq -r .status)" running state
}

@test "systemd: exec joins the unit's cgroup" {
  local id=$CID-sd
  run urt --systemd-cgroup exec "$id" cat /proc/self/cgroup
  [[ $status -eq 0 ]] || { echo "$output" >&2; return 1; }
  expect_eq "$(echo "$output" | grep '^0::')" "0::/" "exec's cgroup (cgroup namespace)"
}

@test "systemd: delete --force stops the unit, its cgroup is gone" {
  local id=$CID-sd unit=nucleus-rl-$CID-sd.scope cg=$UCG/user.slice/nucleus-rl-$CID-sd.scope
  urt --systemd-cgroup delete --force "$id"
  local i state
  for ((i = 0; i < 100; i++)); do
    state=$(uprop "$unit" ActiveState)
    [[ $state != active && $state != deactivating && ! -d $cg ]] && break
    sleep 0.1
  done
  expect_eq "$state" inactive "$unit ActiveState"
  [[ ! -d $cg ]]
}

@test "systemd: an empty cgroupsPath puts the scope in the user manager's user.slice" {
  local id=$CID-def
  ubundle def "" sleep 1000
  ujq def '.linux.resources = {memory: {limit: 33554432}}'
  RT_FLAGS=(--systemd-cgroup)
  urun_d "$id" def
  pid=$(urt state "$id" | jq -r .pid)
  local cg
  cg=$(cgroup_of "$pid")
  echo "# init's cgroup: $cg" >&3
  [[ $cg == "/user.slice/user-$RUID.slice/user@$RUID.service/user.slice/"*"-$id.scope" ]]
  expect_file "/sys/fs/cgroup$cg/memory.max" 33554432
  expect_eq "$(uprop "${cg##*/}" ActiveState)" active "${cg##*/} ActiveState"
  urt --systemd-cgroup delete --force "$id"
  wait_for test ! -d "/sys/fs/cgroup$cg"
}

@test "systemd: without a user bus address, a clear error and nothing left" {
  local id=$CID-nobus
  ubundle nobus "user.slice:nucleus-rl:$id" true
  ujq nobus '.linux.resources = {memory: {limit: 33554432}}'
  run timeout "$T" runuser -u "$U" -- env -u DBUS_SESSION_BUS_ADDRESS -u XDG_RUNTIME_DIR \
    "$URT" --root "$UHOME/state-nobus" --systemd-cgroup run --bundle "$UHOME/nobus" "$id"
  echo "# $output" >&3
  [[ $status -ne 0 ]]
  # runc 1.1.5 asks `systemctl --user show-environment` (no bus: "No medium found"); runc 1.3.6
  # and nucleus-oci say what is missing
  if [[ ${RUNTIME_NAME:-} == runc ]]; then
    [[ $output == *"failed to connect to dbus"* ]]
  else
    [[ $output == *"D-Bus user bus: could not detect DBUS_SESSION_BUS_ADDRESS"* ]]
  fi
  [[ -z $(ls -A "$UHOME/state-nobus" 2>/dev/null) ]]
}

# --- rootless Podman (its default on systemd: the systemd cgroup manager, the user's) ------------

@test "podman: rootless Podman with the runtime: --memory 64m in its libpod scope of the user's manager" {
  install -o "$U" -m 644 "$PAYLOAD/image.tar" "$UHOME/image.tar"
  run as_user podman load -i "$UHOME/image.tar"
  [[ $status -eq 0 ]] || { echo "podman load: $output" >&2; return 1; }
  run as_user podman info --format '{{.Host.CgroupManager}} {{.Host.CgroupsVersion}}'
  echo "# podman info: $output" >&3
  expect_eq "$output" "systemd v2" "podman's cgroup manager"
  run as_user podman --runtime "$URT" run --rm --network none --memory 64m "$IMG" \
    sh -c 'cat /sys/fs/cgroup/memory.max; cat /proc/self/cgroup'
  echo "# $output" >&3
  [[ $status -eq 0 ]]
  grep -qx 67108864 <<<"$output" || { echo "memory.max in the container is not 67108864" >&2; return 1; }
  # the scope: libpod-<id>.scope in user.slice of the user's manager (the host's cgroup
  # namespace shows the whole path; a detached container is left out: `systemd-run --wait`
  # would wait for the conmon it leaves in its service)
  run as_user podman --runtime "$URT" run --rm --network none --memory 64m --cgroupns host \
    "$IMG" cat /proc/self/cgroup
  echo "# $output" >&3
  [[ $status -eq 0 ]]
  local cg
  cg=$(sed -n 's/^0:://p' <<<"$output")
  [[ $cg == "/user.slice/user-$RUID.slice/user@$RUID.service/user.slice/libpod-"*.scope ]]
}

@test "nothing left: no container of the user, no nucleus-rl unit in its manager" {
  expect_eq "$(urt list -q)" "" "the user's containers"
  expect_eq "$(usystemctl list-units --all --plain --no-legend 'nucleus-rl-*')" "" "units"
  # (runc leaves the empty parent nucleus-rl it made; nucleus-oci removes it: no container's
  # cgroup may be left in either case)
  expect_eq "$(find "$UCG/nucleus-rl" -mindepth 1 -type d 2>/dev/null)" "" "cgroups left in $UCG/nucleus-rl"
}
