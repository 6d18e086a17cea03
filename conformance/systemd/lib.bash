# Helpers for conformance/systemd/*.bats. These files run INSIDE the hack/vm/run-systemd VM
# (Debian 12, systemd as PID 1, pure cgroup v2), not on the development host: they need a
# running systemd and change the system's Docker/Podman configuration.
#
#   RUNTIME   the runtime under test (absolute path; nucleus-oci from the payload, /usr/sbin/runc,
#             /usr/bin/crun)
#   PAYLOAD   the payload disk (default /mnt/payload): rootfs.tar (busybox-static), image.tar
#             (hack/mkimage's archive of the same rootfs, nucleus-busybox:latest)
# Every runtime and engine command runs under `timeout` (T seconds, default 60).

PAYLOAD=${PAYLOAD:-/mnt/payload}
T=${T:-60}
IMG=nucleus-busybox:latest

sd_require() {
  [[ -d /run/systemd/system ]] || skip "systemd is not running (these checks run in hack/vm/run-systemd)"
  [[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]] || skip "not a pure cgroup v2 host"
  [[ -x ${RUNTIME:-} ]] || skip "RUNTIME (${RUNTIME:-unset}) is not executable"
}

# rt ARGS...: the runtime with the systemd cgroup driver, bounded
# (a private state root: nothing the engines' containers use)
RT_ROOT=${RT_ROOT:-/run/nucleus-sd-test}
rt() { timeout "$T" "$RUNTIME" --root "$RT_ROOT" --systemd-cgroup "$@"; }

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
  if [[ "$1" != "$2" ]]; then
    echo "$3: expected '$2', got '$1'" >&2
    return 1
  fi
}

# unit_prop UNIT PROPERTY: the property's value (systemctl show -P)
unit_prop() { timeout "$T" systemctl show -P "$2" "$1"; }

# expect_prop UNIT PROPERTY VALUE
expect_prop() { expect_eq "$(unit_prop "$1" "$2")" "$3" "$1 $2"; }

# expect_file FILE VALUE: the first line of FILE
expect_file() {
  [[ -e $1 ]] || { echo "$1 does not exist" >&2; return 1; }
  expect_eq "$(head -n1 "$1")" "$2" "$1"
}

# unit_gone UNIT [CGROUP-DIR]: within 10 s the unit is not active/loaded and the directory is gone
unit_gone() {
  local i state
  for ((i = 0; i < 100; i++)); do
    state=$(unit_prop "$1" ActiveState)
    if [[ $state != active && $state != activating && $state != deactivating &&
      ( -z ${2:-} || ! -d $2 ) ]]; then
      return 0
    fi
    sleep 0.1
  done
  echo "$1 still there: ActiveState=$state LoadState=$(unit_prop "$1" LoadState)" \
    "${2:+cgroup ${2} exists: $([[ -d $2 ]] && echo yes || echo no)}" >&2
  return 1
}

# wait_for CMD...: up to 10 s for CMD to succeed
wait_for() {
  local i
  for ((i = 0; i < 100; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "timed out waiting for: $*" >&2
  return 1
}

# cgroup_of PID: the process's cgroup v2 path (the 0:: line)
cgroup_of() { sed -n 's/^0:://p' "/proc/$1/cgroup"; }

# bundle DIR CGROUPS-PATH ARGS...: a bundle in DIR whose config.json is `runc spec` (Debian's
# runc: the same template whatever the runtime under test) with the busybox rootfs from the
# payload (extracted once per file into $BATS_FILE_TMPDIR/rootfs), terminal false, ARGS as the
# process and linux.cgroupsPath CGROUPS-PATH. Add resources with bundle_jq.
bundle() {
  local dir=$1 cg=$2
  shift 2
  if [[ ! -x $BATS_FILE_TMPDIR/rootfs/bin/busybox ]]; then
    mkdir -p "$BATS_FILE_TMPDIR/rootfs"
    tar -C "$BATS_FILE_TMPDIR/rootfs" -xf "$PAYLOAD/rootfs.tar"
  fi
  mkdir -p "$dir"
  (cd "$dir" && rm -f config.json && /usr/sbin/runc spec)
  local args
  args=$(printf '%s\n' "$@" | jq -R . | jq -s .)
  bundle_jq "$dir" --arg root "$BATS_FILE_TMPDIR/rootfs" --arg cg "$cg" --argjson args "$args" \
    '.root.path = $root | .process.terminal = false | .process.args = $args |
     .linux.cgroupsPath = $cg'
}

# bundle_jq DIR JQ-ARGS...: edit DIR/config.json in place
bundle_jq() {
  local dir=$1
  shift
  jq "$@" "$dir/config.json" >"$dir/config.json.new" && mv "$dir/config.json.new" "$dir/config.json"
}

# rt_state ID: the container's status
rt_state() { rt state "$1" | jq -r .status; }

# crun 1.8.1 (Debian 12's, the second control runtime) differs from runc 1.1.5 in two ways, seen
# in this VM: on cgroup v2 it puts the container in a sub-cgroup "container" of the unit's cgroup
# (its run.oci.systemd.subgroup annotation, default "container") and writes the limits there, and
# it sets no resource property on the unit (MemoryMax stays infinity, TasksMax the default).
# The checks look at the cgroup the container's init is in, and skip the unit-property
# assertions for crun with that reason.
#
# ccg UNIT-CGROUP-PATH: the cgroup path of the container for a unit whose cgroup is at that path
ccg() { if [[ ${RUNTIME_NAME:-} == crun ]]; then echo "$1/container"; else echo "$1"; fi; }
# skip_unit_props: skip a test of the unit's resource properties for crun
skip_unit_props() {
  [[ ${RUNTIME_NAME:-} != crun ]] ||
    skip "crun 1.8.1 sets no resource property on the unit: the limits are in <unit>/container's files"
}
