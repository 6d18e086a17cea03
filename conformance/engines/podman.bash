# Helpers for engines/podman.bats: Podman 4.x + conmon with nucleus-oci (or runc) as the OCI
# runtime, on a private configuration so that nothing global is used or changed.
#
# Everything lives under one temp dir $PM_DIR (/tmp/podman-bats.XXXXXX):
#   containers.conf     CONTAINERS_CONF: cgroupfs, file events, ulimits this host allows, the
#                       runtime registered by name (+ runtime_supports_json), private tmp_dir and
#                       network config dir
#   storage.conf        CONTAINERS_STORAGE_CONF: overlay, graphroot storage/, runroot run/
#   bin/<name>          the runtime as Podman sees it: a two-line wrapper that records its argv in
#                       calls.log and execs the real binary with --root $PM_DIR/rtroot
#   rtroot/             the runtime's private state root (must be empty after every test)
#
# Why a wrapper and not `podman --runtime-flag root=...`: Podman passes --runtime-flag to conmon
# and to its own runtime calls, but not to the exit command conmon runs when a container exits
# (`podman container cleanup`, which calls `<runtime> delete --force ID`), so that delete would
# look in the runtime's default root and the state under the private root would leak.
# The wrapper keeps the runtime's file name (nucleus-oci / runc): Podman adds
# `--log-format=json --log <oci-log>` only for names listed in runtime_supports_json.

PM_IMAGE=localhost/nucleus-busybox:latest

# pm_install: install what Podman needs when it is missing (CI machines start clean).
pm_install() {
  local missing=() c
  command -v podman >/dev/null || missing+=(podman)
  command -v conmon >/dev/null || missing+=(conmon)
  [[ -x /usr/lib/podman/netavark || -x /usr/libexec/podman/netavark ]] || missing+=(netavark)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v fuse-overlayfs >/dev/null || missing+=(fuse-overlayfs)
  command -v newuidmap >/dev/null || missing+=(uidmap)
  command -v catatonit >/dev/null || [[ -x /usr/libexec/podman/catatonit ]] || missing+=(catatonit)
  command -v script >/dev/null || missing+=(bsdutils)
  command -v jq >/dev/null || missing+=(jq)
  [[ -x /bin/busybox ]] || missing+=(busybox-static)
  [[ ${#missing[@]} -eq 0 ]] && return 0
  echo "# installing ${missing[*]}" >&3
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update >/dev/null 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1; } ||
    { PM_SKIP="apt-get install ${missing[*]} failed"; return 1; }
  for c in podman conmon; do
    command -v $c >/dev/null || { PM_SKIP="$c still missing after apt-get install"; return 1; }
  done
}

# pm ARGS...: podman on the private configuration (the runtime comes from containers.conf).
pm() { podman "$@"; }

# pm_write_config: containers.conf, storage.conf, the runtime wrapper.
pm_write_config() {
  local real=$1 name=$2
  mkdir -p "$PM_DIR"/{bin,rtroot,tmp,networks,storage,run,cwd}
  cat > "$PM_DIR/bin/$name" <<WRAP
#!/bin/sh
printf '%s\n' "\$*" >> '$PM_DIR/calls.log'
exec '$real' --root '$PM_DIR/rtroot' "\$@"
WRAP
  chmod 755 "$PM_DIR/bin/$name"
  # runc under another name (no JSON logs), same private root: the baseline that tells whether a
  # failure is the host's (the bridge test asks it)
  local runc baseline=
  if runc=$(command -v runc); then
    printf '#!/bin/sh\nexec %q --root %q "$@"\n' "$runc" "$PM_DIR/rtroot" > "$PM_DIR/bin/runc-baseline"
    chmod 755 "$PM_DIR/bin/runc-baseline"
    baseline="runc-baseline = [\"$PM_DIR/bin/runc-baseline\"]"
  fi
  cat > "$PM_DIR/containers.conf" <<CONF
[containers]
# root here lacks CAP_SYS_RESOURCE: Podman's default 1048576 limits fail with EPERM
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[network]
network_backend = "netavark"
network_config_dir = "$PM_DIR/networks"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$PM_DIR/tmp"
runtime = "$name"
runtime_supports_json = ["crun", "runc", "kata", "runsc", "youki", "krun", "nucleus-oci"]

[engine.runtimes]
$name = ["$PM_DIR/bin/$name"]
$baseline
CONF
  cat > "$PM_DIR/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$PM_DIR/storage"
runroot = "$PM_DIR/run"
CONF
  # The default network ("podman") with its own bridge name and subnet, so that nothing of a
  # host-wide Podman setup (podman0, 10.88.0.0/16) is touched.
  cat > "$PM_DIR/networks/podman.json" <<NET
{
  "name": "podman",
  "id": "$(printf '%064x' 7777)",
  "driver": "bridge",
  "network_interface": "$PM_BRIDGE",
  "created": "2026-01-01T00:00:00Z",
  "subnets": [{"subnet": "10.89.217.0/24", "gateway": "10.89.217.1"}],
  "ipv6_enabled": false,
  "internal": false,
  "dns_enabled": false,
  "ipam_options": {"driver": "host-local"}
}
NET
}

pm_setup_file() {
  PM_SKIP=
  if [[ $(id -u) -ne 0 ]]; then
    PM_SKIP="the Podman engine suite needs root"
  else
    pm_install || true
  fi
  if [[ -z $PM_SKIP ]]; then
    case ${RUNTIME:-} in
      runc) PM_REAL=$(command -v runc) || PM_SKIP="RUNTIME=runc but runc is not installed" ;;
      "") PM_REAL=${NUCLEUS_OCI:-$NUCLEUS_SRC/build/runtime/nucleus-oci} ;;
      *) PM_REAL=$(command -v "$RUNTIME") || PM_SKIP="RUNTIME=$RUNTIME not found" ;;
    esac
  fi
  if [[ -z $PM_SKIP && ! -x $PM_REAL ]]; then
    echo "runtime not found: $PM_REAL (set NUCLEUS_OCI or RUNTIME)" >&2
    return 1
  fi
  if [[ -n $PM_SKIP ]]; then
    echo "SKIP: $PM_SKIP" >&3
    export PM_SKIP
    return 0
  fi
  PM_REAL=$(readlink -f "$PM_REAL")
  PM_NAME=$(basename "$PM_REAL")
  [[ $PM_NAME == runc ]] || PM_NAME=nucleus-oci
  PM_DIR=$(mktemp -d /tmp/podman-bats.XXXXXX)
  chmod 711 "$PM_DIR"
  PM_BRIDGE=nucpm$((RANDOM % 9000 + 1000))
  pm_write_config "$PM_REAL" "$PM_NAME"
  export CONTAINERS_CONF=$PM_DIR/containers.conf CONTAINERS_STORAGE_CONF=$PM_DIR/storage.conf
  export PM_DIR PM_REAL PM_NAME PM_BRIDGE PM_SKIP
  cd "$PM_DIR/cwd"
  # The image: a busybox rootfs, imported (no registry).
  "$NUCLEUS_SRC/hack/mkrootfs" "$PM_DIR/rootfs" >/dev/null
  tar -C "$PM_DIR/rootfs" -cf "$PM_DIR/rootfs.tar" .
  local out base
  PM_NO_BRIDGE=
  if ! out=$(pm import --change 'CMD ["/bin/sh"]' "$PM_DIR/rootfs.tar" "$PM_IMAGE" 2>&1) &&
    # overlay needs a filesystem that can be an overlay upper dir (not overlayfs itself, e.g. in
    # a container); vfs works anywhere
    ! { echo "# overlay storage failed ($out), trying vfs" >&3 &&
        sed -i 's/^driver = "overlay"$/driver = "vfs"/' "$PM_DIR/storage.conf" &&
        rm -rf "$PM_DIR/storage" "$PM_DIR/run" &&
        out=$(pm import --change 'CMD ["/bin/sh"]' "$PM_DIR/rootfs.tar" "$PM_IMAGE" 2>&1); }; then
    PM_SKIP="podman import failed: $out"
  elif ! out=$(pm run --rm "$PM_IMAGE" true 2>&1); then
    # Podman must work here. Whose fault is it? runc (the baseline) on the default bridge network
    # and on none tells the host's from ours.
    if command -v runc >/dev/null; then
      if ! base=$(podman --runtime runc-baseline run --rm "$PM_IMAGE" true 2>&1); then
        if podman --runtime runc-baseline run --rm --network none "$PM_IMAGE" true >/dev/null 2>&1; then
          # the host's bridge network is broken: every test but the bridge one runs without it
          PM_NO_BRIDGE=$base
          sed -i 's/^\[containers\]$/&\nnetns = "none"/' "$PM_DIR/containers.conf"
          echo "# the bridge network does not work here (with runc either), containers run with --network none: $base" >&3
        else
          PM_SKIP="podman run fails on this host with runc too: $base"
        fi
      fi
    elif [[ $PM_NAME == runc ]]; then
      PM_SKIP="podman run with runc fails on this host: $out"
    fi
  fi
  export PM_NO_BRIDGE
  if [[ -n $PM_SKIP ]]; then
    echo "SKIP: $PM_SKIP" >&3
    export PM_SKIP
  fi
  rm -rf "$PM_DIR/rootfs" "$PM_DIR/rootfs.tar"
}

pm_teardown_file() {
  [[ -n ${PM_DIR:-} && -d $PM_DIR ]] || return 0
  local rc=0 m left
  cd "$PM_DIR/cwd"
  pm rm -af -t 0 >/dev/null 2>&1 || true
  pm rmi -af >/dev/null 2>&1 || true
  left=$(ls -A "$PM_DIR/rtroot" 2>/dev/null)
  if [[ -n $left ]]; then
    echo "LEAK: runtime state left under $PM_DIR/rtroot: $left" >&2
    rc=1
  fi
  # storage's own mounts (overlay layers, the graphroot's private bind mount), deepest first
  for m in $(awk -v d="$PM_DIR/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  m=$(awk -v d="$PM_DIR/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo)
  [[ -z $m ]] || { echo "LEAK: mounts left: $m" >&2; rc=1; }
  # conmon, the tracer, container processes: anything whose command line names our dir
  local procs
  # ([/]: the pattern must not match grep's own command line)
  procs=$(grep -laE "[/]${PM_DIR#/}/" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 || true)
  if [[ -n $procs ]]; then
    echo "LEAK: processes left:" >&2
    for m in $procs; do echo "  $m: $(tr '\0' ' ' < "/proc/$m/cmdline" 2>/dev/null)" >&2; kill -KILL "$m" 2>/dev/null; done
    rc=1
  fi
  if ip link show "$PM_BRIDGE" >/dev/null 2>&1; then
    ip link del "$PM_BRIDGE" 2>/dev/null || true
  fi
  cd /
  rm -rf "$PM_DIR"
  return $rc
}

pm_setup() {
  [[ -z ${PM_SKIP:-} ]] || skip "$PM_SKIP"
  # conmon writes files (oom) into its working directory, which is podman's
  cd "$PM_DIR/cwd"
  C=pmc$BATS_TEST_NUMBER
  export C
}

# pm_teardown: remove every container (all belong to the current test) and check that nothing of
# them is left: runtime state under the private root, processes.
pm_teardown() {
  [[ -z ${PM_SKIP:-} ]] || return 0
  local i left
  pm rm -af -t 0 >/dev/null 2>&1 || true
  for i in $(seq 50); do
    left=$(ls -A "$PM_DIR/rtroot" 2>/dev/null)
    [[ -z $left ]] && return 0
    sleep 0.1
  done
  echo "LEAK: runtime state left under $PM_DIR/rtroot: $left" >&2
  for i in $left; do "$PM_REAL" --root "$PM_DIR/rtroot" delete --force "$i" >/dev/null 2>&1 || true; done
  return 1
}

# pm_wait_status NAME STATUS [TIMEOUT=10]: podman's .State.Status reaches STATUS
pm_wait_status() {
  poll_eq "${3:-10}" "$2" "container $1: status" pm inspect --format '{{.State.Status}}' "$1"
}

# pm_rootdir NAME: where the host sees what the running container writes to its root (the
# overlay's upper dir; the container's own dir with the vfs driver)
pm_rootdir() {
  local d
  d=$(pm inspect --format '{{.GraphDriver.Data.UpperDir}}' "$1")
  if [[ -z $d || $d == "<no value>" ]]; then d=$(pm mount "$1"); fi
  echo "$d"
}

# pm_tty COMMAND-LINE...: run a podman command line with a terminal on its stdin/stdout
# (script from util-linux/bsdutils allocates the pty); output has \r removed.
pm_tty() {
  local cmd
  cmd=$(printf '%q ' podman "$@")
  script -qec "$cmd" /dev/null </dev/null | tr -d '\r'
  return "${PIPESTATUS[0]}"
}
