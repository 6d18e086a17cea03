#!/usr/bin/env bats
# Mount propagation of bind volumes, as Kubernetes asks for it through containerd's CRI:
# - Bidirectional: the host directory is a shared mount, the volume is {"rbind", "rshared"} and
#   rootfsPropagation is "rshared". A mount made under the directory on the host must show in
#   the container, and one made inside the container must show on the host (critest: "mount
#   with 'rshared' should support propagation from host to container and vice versa").
# - HostToContainer: {"rbind", "rslave"}, rootfsPropagation "rslave": host -> container only.
# No containerd here: the bundle carries what containerd 1.6 writes into config.json.
# Nothing the container mounts besides the volume's own mounts may reach the host.
load ../helpers/common

setup() {
  common_setup
  # HOST/vol is the volume: a bind mount of itself, made rshared, as critest does.
  HOST=$BATS_TEST_TMPDIR/host
  mkdir -p "$HOST/vol/fromhost" "$HOST/src"
  echo marker > "$HOST/src/hostfile"
  mount --bind "$HOST/vol" "$HOST/vol"
  mount --make-rshared "$HOST/vol"
  MOUNTS_BEFORE=$(grep -vcF "$HOST" /proc/self/mountinfo)
}

teardown() {
  local m i
  # what the test and the container left on the host under HOST (deepest first)
  for ((i = 0; i < 3; i++)); do
    for m in $(awk -v h="$HOST" 'index($5, h) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
      umount -l "$m" 2>/dev/null || true
    done
  done
  common_teardown
}

# volume_bundle PROPAGATION: the volume at /vol with {"rbind", PROPAGATION}, rootfsPropagation
# PROPAGATION, CAP_SYS_ADMIN (to mount inside), sleeping.
volume_bundle() {
  update_config '.mounts += [{destination: "/vol", type: "bind", source: $s, options: ["rbind", $p]}]
    | .linux.rootfsPropagation = $p
    | .process.capabilities.bounding += ["CAP_SYS_ADMIN"]
    | .process.capabilities.effective += ["CAP_SYS_ADMIN"]
    | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]' --arg s "$HOST/vol" --arg p "$1"
  set_args sleep 1000
}

# host_mount_size PATH: the size= option of the tmpfs on PATH in the host's mount table, if any
host_mount_size() { awk -v p="$1" '$5 == p' /proc/self/mountinfo | grep -o 'size=[0-9]*k' || true; }

# the mounts of the host outside HOST are what they were before the container
host_mounts_unchanged() {
  local now
  now=$(grep -vcF "$HOST" /proc/self/mountinfo)
  [[ $now -eq $MOUNTS_BEFORE ]] && return 0
  echo "the host's mount table outside $HOST changed: $MOUNTS_BEFORE -> $now mounts" >&2
  grep -vF "$HOST" /proc/self/mountinfo | tail -n $((now > MOUNTS_BEFORE ? now - MOUNTS_BEFORE : 1)) >&2
  return 1
}

# check_bidirectional: host -> container and container -> host through /vol
check_bidirectional() {
  rt run -d --bundle "$BUNDLE" "$ID"
  # host -> container
  mount --bind "$HOST/src" "$HOST/vol/fromhost"
  run rt exec "$ID" cat /vol/fromhost/hostfile
  expect_status 0
  expect_eq "$output" marker "the host's mount, read in the container"
  # container -> host
  run rt exec "$ID" sh -c 'mkdir -p /vol/fromcontainer && mount -t tmpfs -o size=1236k tmpfs /vol/fromcontainer && echo inside > /vol/fromcontainer/f'
  expect_status 0
  expect_eq "$(host_mount_size "$HOST/vol/fromcontainer")" size=1236k "the container's tmpfs on the host"
  expect_eq "$(cat "$HOST/vol/fromcontainer/f" 2>&1)" inside "the container's file, read on the host"
  host_mounts_unchanged
  rt delete --force "$ID"
  host_mounts_unchanged
}

@test "rshared volume, rootfsPropagation rshared (CRI Bidirectional): mounts propagate host -> container and container -> host" {
  volume_bundle rshared
  check_bidirectional
}

@test "rshared volume with the rootfs on a mount of its own (as containerd's overlay): both ways, and the rootfs's mounts stay in the container" {
  mkdir -p "$HOST/rootfs"
  mount -t tmpfs tmpfs "$HOST/rootfs"
  cp -a "$BUNDLE/rootfs/." "$HOST/rootfs/"
  update_config '.root.path = $r' --arg r "$HOST/rootfs"
  volume_bundle rshared
  check_bidirectional
  # only the tmpfs made on the rootfs by the test: nothing the container mounted on its root
  expect_eq "$(awk -v r="$HOST/rootfs" 'index($5, r) == 1' /proc/self/mountinfo | wc -l)" 1 "mounts on the host under the rootfs"
}

@test "rslave volume, rootfsPropagation rslave (CRI HostToContainer): host -> container only" {
  volume_bundle rslave
  rt run -d --bundle "$BUNDLE" "$ID"
  mount --bind "$HOST/src" "$HOST/vol/fromhost"
  run rt exec "$ID" cat /vol/fromhost/hostfile
  expect_status 0
  expect_eq "$output" marker "the host's mount, read in the container"
  run rt exec "$ID" sh -c 'mkdir -p /vol/fromcontainer && mount -t tmpfs -o size=1236k tmpfs /vol/fromcontainer && grep -c size=1236k /proc/self/mountinfo'
  expect_status 0
  expect_eq "$output" 1 "the container's tmpfs, inside"
  expect_eq "$(host_mount_size "$HOST/vol/fromcontainer")" "" "the container's tmpfs on the host"
  host_mounts_unchanged
}

@test "private volume (CRI's default): no propagation either way" {
  update_config '.mounts += [{destination: "/vol", type: "bind", source: $s, options: ["rbind", "rprivate"]}]
    | .process.capabilities.bounding += ["CAP_SYS_ADMIN"]
    | .process.capabilities.effective += ["CAP_SYS_ADMIN"]
    | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]' --arg s "$HOST/vol"
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  mount --bind "$HOST/src" "$HOST/vol/fromhost"
  run rt exec "$ID" ls -A /vol/fromhost
  expect_status 0
  expect_eq "$output" "" "the host's later mount, seen in the container"
  run rt exec "$ID" sh -c 'mkdir -p /vol/fromcontainer && mount -t tmpfs -o size=1236k tmpfs /vol/fromcontainer'
  expect_status 0
  expect_eq "$(host_mount_size "$HOST/vol/fromcontainer")" "" "the container's tmpfs on the host"
}
