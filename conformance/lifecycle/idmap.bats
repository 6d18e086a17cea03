#!/usr/bin/env bats
# Idmapped mounts as runc 1.3 makes them (its tests/integration/idmap.bats, case for case):
# a bind mount with uidMappings/gidMappings is idmapped with a user namespace built from them
# (containerID = the id on disk, hostID = the id the mount shows in the host's user namespace),
# with or without a user namespace of the container's own; "idmap" maps only the mount itself,
# "ridmap" its submounts too, and either one without mappings takes the container's user
# namespace (new, or joined by path). Plus runc's refusals (configs/validate: checkIDMapMounts).
load ../helpers/common

# idmap_probe DIR: empty when DIR's filesystem takes an idmapped bind mount, else the error.
# Independent of the runtime: open_tree(OPEN_TREE_CLONE) + mount_setattr(MOUNT_ATTR_IDMAP) with
# a user namespace made here.
idmap_probe() {
  python3 - "$1" 2>&1 <<'EOF'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
SYS_open_tree, SYS_mount_setattr = 428, 442
OPEN_TREE_CLONE, AT_EMPTY_PATH, MOUNT_ATTR_IDMAP = 1, 0x1000, 0x00100000
r, w = os.pipe()
ready_r, ready_w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(w)
    os.write(ready_w, b"1" if libc.unshare(0x10000000) == 0 else b"0")  # CLONE_NEWUSER
    os.read(r, 1)  # until the parent is done
    os._exit(0)
os.close(r)
os.close(ready_w)
try:
    if os.read(ready_r, 1) != b"1": sys.exit("unshare(CLONE_NEWUSER) failed")
    with open("/proc/%d/uid_map" % pid, "w") as f: f.write("0 100000 65536")
    with open("/proc/%d/gid_map" % pid, "w") as f: f.write("0 100000 65536")
    ns = os.open("/proc/%d/ns/user" % pid, os.O_RDONLY)
    tree = libc.syscall(SYS_open_tree, -100, sys.argv[1].encode(), OPEN_TREE_CLONE)
    if tree < 0: sys.exit("open_tree: " + os.strerror(ctypes.get_errno()))
    class Attr(ctypes.Structure):
        _fields_ = [("set", ctypes.c_uint64), ("clr", ctypes.c_uint64),
                    ("prop", ctypes.c_uint64), ("userns", ctypes.c_uint64)]
    attr = Attr(MOUNT_ATTR_IDMAP, 0, 0, ns)
    if libc.syscall(SYS_mount_setattr, tree, b"", AT_EMPTY_PATH, ctypes.byref(attr),
                    ctypes.sizeof(attr)) < 0:
        sys.exit("mount_setattr(MOUNT_ATTR_IDMAP): " + os.strerror(ctypes.get_errno()))
finally:
    os.close(w)
    os.waitpid(pid, 0)
EOF
}

setup() {
  common_setup
  OVERFLOW_UID=$(cat /proc/sys/kernel/overflowuid)
  OVERFLOW_GID=$(cat /proc/sys/kernel/overflowgid)
  HOST_MOUNTS=()
  local why
  why=$(idmap_probe "$BUNDLE") || true
  [[ -z $why ]] || skip "$(stat -f -c %T "$BUNDLE") at $BUNDLE takes no idmapped mount: $why"

  # The sources (relative to the bundle, as runc's test has them), with files of various owners.
  cd "$BUNDLE"
  mkdir -p source-{1,2,multi{1,2,3}}/
  touch source-{1,2,multi{1,2,3}}/foo.txt
  touch source-multi{1,2,3}/{bar,baz}.txt
  chown 1:1 source-2/foo.txt
  chown 100:211 source-multi1/foo.txt
  chown 101:222 source-multi1/bar.txt
  chown 102:233 source-multi1/baz.txt
  # the same gids as multi1, other uids
  chown 200:211 source-multi2/foo.txt
  chown 201:222 source-multi2/bar.txt
  chown 202:233 source-multi2/baz.txt
  # 1000 uids, 500 gids
  chown 5000528:6000491 source-multi3/foo.txt
  chown 5000133:6000337 source-multi3/bar.txt
  chown 5000999:6000444 source-multi3/baz.txt
  ln -s source-multi1 source-multi1-symlink
  # a tree whose subdirectories get host bind mounts (host_bind_mount)
  mkdir -p mnt-subtree/multi{1,2}
  touch mnt-subtree/{foo,bar,baz}.txt
  chown 100:211 mnt-subtree/foo.txt
  chown 200:222 mnt-subtree/bar.txt
  chown 300:233 mnt-subtree/baz.txt
  # The cgroup mount is beside the point here (and in a user namespace it needs a cgroup
  # namespace of its own).
  update_config '.mounts |= map(select(.type != "cgroup"))'
}

teardown() {
  local m
  for m in "${HOST_MOUNTS[@]}"; do umount -l "$m" 2>/dev/null || true; done
  common_teardown
}

# host_bind_mount SRC DST: a bind mount on the host, undone by teardown.
host_bind_mount() {
  mount --bind "$BUNDLE/$1" "$BUNDLE/$2"
  HOST_MOUNTS+=("$BUNDLE/$2")
}

# with_userns: a new user namespace, 0 -> 100000 (65536 ids); the rootfs owned by its root.
with_userns() {
  update_config '.linux.namespaces += [{type: "user"}]
    | .linux.uidMappings += [{containerID: 0, hostID: 100000, size: 65536}]
    | .linux.gidMappings += [{containerID: 0, hostID: 100000, size: 65536}]'
  chown -R 100000:100000 "$BUNDLE/rootfs"
  # the init, as 100000 on the host, reaches the rootfs
  local d=$BUNDLE
  while [[ $d != / ]]; do
    chmod o+x "$d"
    d=$(dirname "$d")
  done
}

# bind_mount NAME: a plain bind mount of source-NAME on /tmp/bind-mount-NAME.
bind_mount() {
  update_config '.mounts += [{source: ("source-" + $n + "/"), destination: ("/tmp/bind-mount-" + $n),
    options: ["bind"]}]' --arg n "$1"
}

# idmap_mount UIDMAP GIDMAP NAME [DEST-NAME]: source-NAME on /tmp/mount-DEST-NAME, a bind mount
# with the mappings (each CONTAINER:HOST:SIZE) and no idmap option.
idmap_mount() {
  local u g
  IFS=: read -ra u <<<"$1"
  IFS=: read -ra g <<<"$2"
  update_config '.mounts += [{source: ("source-" + $n + "/"), destination: ("/tmp/mount-" + $d),
    options: ["bind"],
    uidMappings: [{containerID: ($u[0]|tonumber), hostID: ($u[1]|tonumber), size: ($u[2]|tonumber)}],
    gidMappings: [{containerID: ($g[0]|tonumber), hostID: ($g[1]|tonumber), size: ($g[2]|tonumber)}]}]' \
    --arg n "$3" --arg d "${4:-$3}" --argjson u "$(jq -cn '$ARGS.positional' --args "${u[@]}")" \
    --argjson g "$(jq -cn '$ARGS.positional' --args "${g[@]}")"
}

basic_idmap_mount() { idmap_mount 0:100000:65536 0:100000:65536 "${1:-1}"; }

# tree_mount OPTIONS-JSON [with-mappings]: mnt-subtree/ on /tmp/mount-tree, after host bind
# mounts of source-multi1 and source-multi2 on its subdirectories; the mappings of runc's
# "complicated" cases when asked for.
tree_mount() {
  host_bind_mount source-multi1 mnt-subtree/multi1
  host_bind_mount source-multi2 mnt-subtree/multi2
  update_config '.mounts += [{source: "mnt-subtree/", destination: "/tmp/mount-tree", options: $o}]' \
    --argjson o "$1"
  [[ ${2:-} == with-mappings ]] || return 0
  update_config '.mounts[-1] += {
    uidMappings: [{containerID: 100, hostID: 101000, size: 3}, {containerID: 200, hostID: 102000, size: 3},
                  {containerID: 300, hostID: 103000, size: 3}],
    gidMappings: [{containerID: 210, hostID: 101100, size: 10}, {containerID: 220, hostID: 102200, size: 10},
                  {containerID: 230, hostID: 103300, size: 10}]}'
}

# stat_run PATH...: runs the container printing =PATH:UID=GID= for each PATH.
stat_run() {
  set_args stat -c =%n:%u=%g= "$@"
  run rt run --bundle "$BUNDLE" "$ID"
}

# owners PATH:UID=GID...: every one is in the output.
owners() {
  local o
  for o in "$@"; do expect_output_contains "=$o="; done
}

tree_files() { echo /tmp/mount-tree{,/multi1,/multi2}/{foo,bar,baz}.txt; }

@test "simple idmap mount [userns]" {
  with_userns
  basic_idmap_mount
  stat_run /tmp/mount-1/foo.txt
  expect_status 0
  owners /tmp/mount-1/foo.txt:0=0
}

@test "simple idmap mount [no userns]" {
  basic_idmap_mount
  stat_run /tmp/mount-1/foo.txt
  expect_status 0
  owners /tmp/mount-1/foo.txt:100000=100000
}

@test "write to an idmap mount [userns]" {
  with_userns
  basic_idmap_mount
  set_cmd 'touch /tmp/mount-1/bar && stat -c =%u=%g= /tmp/mount-1/bar'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_output_contains =0=0=
  # on disk: the container's root seen through the mapping, host 100000 -> 0
  expect_eq "$(stat -c %u:%g "$BUNDLE/source-1/bar")" 0:0 "owner on disk"
}

@test "write to an idmap mount [no userns]" {
  basic_idmap_mount
  set_cmd 'touch /tmp/mount-1/bar && stat -c =%u=%g= /tmp/mount-1/bar'
  run rt run --bundle "$BUNDLE" "$ID"
  # the writer (host root) has no id on the mount: EOVERFLOW
  expect_failure
  expect_output_contains "Value too large for defined data type"
  [[ ! -e $BUNDLE/source-1/bar ]] || fail "the file was made"
}

@test "idmap mount with propagation flag [userns]" {
  with_userns
  basic_idmap_mount
  update_config '.mounts |= map((select(.source == "source-1/") | .options += ["shared"]) // .)'
  set_cmd 'grep " /tmp/mount-1 " /proc/self/mountinfo'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_output_contains "shared:" idmapped
}

@test "idmap mount with relative path [userns]" {
  with_userns
  basic_idmap_mount
  update_config '.mounts |= map((select(.source == "source-1/") | .destination = "tmp/mount-1") // .)'
  stat_run /tmp/mount-1/foo.txt
  expect_status 0
  owners /tmp/mount-1/foo.txt:0=0
}

@test "idmap mount with bind mount [userns]" {
  with_userns
  basic_idmap_mount
  bind_mount 1
  stat_run /tmp/{,bind-}mount-1/foo.txt
  expect_status 0
  owners /tmp/mount-1/foo.txt:0=0 "/tmp/bind-mount-1/foo.txt:$OVERFLOW_UID=$OVERFLOW_GID"
}

@test "idmap mount with bind mount [no userns]" {
  basic_idmap_mount
  bind_mount 1
  stat_run /tmp/{,bind-}mount-1/foo.txt
  expect_status 0
  owners /tmp/mount-1/foo.txt:100000=100000 /tmp/bind-mount-1/foo.txt:0=0
}

@test "two idmap mounts (same mapping) with two bind mounts [userns]" {
  with_userns
  basic_idmap_mount 1
  bind_mount 1
  bind_mount 2
  basic_idmap_mount 2
  stat_run /tmp/mount-{1,2}/foo.txt
  expect_status 0
  owners /tmp/mount-1/foo.txt:0=0 /tmp/mount-2/foo.txt:1=1
}

# Three mounts of source-multi1 (one through a symlink) with other mappings each, uids and
# gids different.
same_source_mounts() {
  idmap_mount 100:100000:100 200:100000:100 multi1
  idmap_mount 100:101000:100 200:102000:100 multi1 multi1-alt
  idmap_mount 100:102000:100 200:103000:100 multi1-symlink multi1-alt-sym
  stat_run /tmp/mount-multi1{,-alt{,-sym}}/{foo,bar,baz}.txt
  expect_status 0
}

@test "same idmap mount (different mappings) [userns]" {
  with_userns
  same_source_mounts
  owners /tmp/mount-multi1/{foo.txt:0=11,bar.txt:1=22,baz.txt:2=33} \
    /tmp/mount-multi1-alt/{foo.txt:1000=2011,bar.txt:1001=2022,baz.txt:1002=2033} \
    /tmp/mount-multi1-alt-sym/{foo.txt:2000=3011,bar.txt:2001=3022,baz.txt:2002=3033}
}

@test "same idmap mount (different mappings) [no userns]" {
  same_source_mounts
  owners /tmp/mount-multi1/{foo.txt:100000=100011,bar.txt:100001=100022,baz.txt:100002=100033} \
    /tmp/mount-multi1-alt/{foo.txt:101000=102011,bar.txt:101001=102022,baz.txt:101002=102033} \
    /tmp/mount-multi1-alt-sym/{foo.txt:102000=103011,bar.txt:102001=103022,baz.txt:102002=103033}
}

@test "multiple idmap mounts (different mappings) [userns]" {
  with_userns
  idmap_mount 100:101100:3 200:101900:50 multi1
  idmap_mount 200:102200:3 200:102900:100 multi2
  idmap_mount 5000000:103000:1000 6000000:103000:500 multi3
  stat_run /tmp/mount-multi{1,2,3}/{foo,bar,baz}.txt
  expect_status 0
  owners /tmp/mount-multi1/{foo.txt:1100=1911,bar.txt:1101=1922,baz.txt:1102=1933} \
    /tmp/mount-multi2/{foo.txt:2200=2911,bar.txt:2201=2922,baz.txt:2202=2933} \
    /tmp/mount-multi3/{foo.txt:3528=3491,bar.txt:3133=3337,baz.txt:3999=3444}
}

@test "multiple idmap mounts (different mappings) [no userns]" {
  idmap_mount 100:1100:3 200:1900:50 multi1
  idmap_mount 200:2200:3 200:2900:100 multi2
  idmap_mount 5000000:3000:1000 6000000:3000:500 multi3
  stat_run /tmp/mount-multi{1,2,3}/{foo,bar,baz}.txt
  expect_status 0
  owners /tmp/mount-multi1/{foo.txt:1100=1911,bar.txt:1101=1922,baz.txt:1102=1933} \
    /tmp/mount-multi2/{foo.txt:2200=2911,bar.txt:2201=2922,baz.txt:2202=2933} \
    /tmp/mount-multi3/{foo.txt:3528=3491,bar.txt:3133=3337,baz.txt:3999=3444}
}

# complicated_mount HOST-BASE: source-multi1 with three one-uid and three ten-gid ranges.
complicated_mount() {
  local b=$1
  update_config '.mounts += [{source: "source-multi1/", destination: "/tmp/mount-multi1",
    options: ["bind"],
    uidMappings: [{containerID: 100, hostID: ($b + 1000), size: 1}, {containerID: 101, hostID: ($b + 2000), size: 1},
                  {containerID: 102, hostID: ($b + 3000), size: 1}],
    gidMappings: [{containerID: 210, hostID: ($b + 1100), size: 10}, {containerID: 220, hostID: ($b + 2200), size: 10},
                  {containerID: 230, hostID: ($b + 3300), size: 10}]}]' --argjson b "$b"
  stat_run /tmp/mount-multi1/{foo,bar,baz}.txt
  expect_status 0
  owners /tmp/mount-multi1/{foo.txt:1000=1101,bar.txt:2000=2202,baz.txt:3000=3303}
}

@test "idmap mount (complicated mapping) [userns]" {
  with_userns
  complicated_mount 100000
}

@test "idmap mount (complicated mapping) [no userns]" {
  complicated_mount 0
}

@test "idmap mount (non-recursive idmap) [userns]" {
  with_userns
  tree_mount '["rbind"]' with-mappings
  stat_run $(tree_files)
  expect_status 0
  owners /tmp/mount-tree/{foo.txt:1000=1101,bar.txt:2000=2202,baz.txt:3000=3303}
  # no "ridmap": the submounts are not mapped (the container's userns has no id for host root)
  owners /tmp/mount-tree/multi{1,2}/{foo,bar,baz}.txt:$OVERFLOW_UID=$OVERFLOW_GID
}

@test "idmap mount (non-recursive idmap) [no userns]" {
  tree_mount '["rbind"]' with-mappings
  stat_run $(tree_files)
  expect_status 0
  owners /tmp/mount-tree/{foo.txt:101000=101101,bar.txt:102000=102202,baz.txt:103000=103303}
  owners /tmp/mount-tree/multi1/{foo.txt:100=211,bar.txt:101=222,baz.txt:102=233} \
    /tmp/mount-tree/multi2/{foo.txt:200=211,bar.txt:201=222,baz.txt:202=233}
}

@test "idmap mount (idmap flag) [userns]" {
  with_userns
  tree_mount '["rbind", "idmap"]' with-mappings
  stat_run $(tree_files)
  expect_status 0
  owners /tmp/mount-tree/{foo.txt:1000=1101,bar.txt:2000=2202,baz.txt:3000=3303}
  owners /tmp/mount-tree/multi{1,2}/{foo,bar,baz}.txt:$OVERFLOW_UID=$OVERFLOW_GID
}

@test "idmap mount (idmap flag) [no userns]" {
  tree_mount '["rbind", "idmap"]' with-mappings
  stat_run $(tree_files)
  expect_status 0
  owners /tmp/mount-tree/{foo.txt:101000=101101,bar.txt:102000=102202,baz.txt:103000=103303}
  owners /tmp/mount-tree/multi1/{foo.txt:100=211,bar.txt:101=222,baz.txt:102=233} \
    /tmp/mount-tree/multi2/{foo.txt:200=211,bar.txt:201=222,baz.txt:202=233}
}

@test "idmap mount (ridmap flag) [userns]" {
  with_userns
  tree_mount '["rbind", "ridmap"]' with-mappings
  stat_run $(tree_files)
  expect_status 0
  owners /tmp/mount-tree/{foo.txt:1000=1101,bar.txt:2000=2202,baz.txt:3000=3303}
  # the submounts have the same mapping
  owners /tmp/mount-tree/multi1/{foo.txt:1000=1101,bar.txt:1001=2202,baz.txt:1002=3303} \
    /tmp/mount-tree/multi2/{foo.txt:2000=1101,bar.txt:2001=2202,baz.txt:2002=3303}
}

@test "idmap mount (ridmap flag) [no userns]" {
  tree_mount '["rbind", "ridmap"]' with-mappings
  stat_run $(tree_files)
  expect_status 0
  owners /tmp/mount-tree/{foo.txt:101000=101101,bar.txt:102000=102202,baz.txt:103000=103303}
  owners /tmp/mount-tree/multi1/{foo.txt:101000=101101,bar.txt:101001=102202,baz.txt:101002=103303} \
    /tmp/mount-tree/multi2/{foo.txt:102000=101101,bar.txt:102001=102202,baz.txt:102002=103303}
}

@test "idmap mount (idmap flag, implied mapping) [userns]" {
  with_userns
  tree_mount '["rbind", "idmap"]'
  stat_run $(tree_files)
  expect_status 0
  owners /tmp/mount-tree/{foo.txt:100=211,bar.txt:200=222,baz.txt:300=233}
  owners /tmp/mount-tree/multi{1,2}/{foo,bar,baz}.txt:$OVERFLOW_UID=$OVERFLOW_GID
}

@test "idmap mount (ridmap flag, implied mapping) [userns]" {
  with_userns
  tree_mount '["rbind", "ridmap"]'
  stat_run $(tree_files)
  expect_status 0
  owners /tmp/mount-tree/{foo.txt:100=211,bar.txt:200=222,baz.txt:300=233}
  owners /tmp/mount-tree/multi1/{foo.txt:100=211,bar.txt:101=222,baz.txt:102=233} \
    /tmp/mount-tree/multi2/{foo.txt:200=211,bar.txt:201=222,baz.txt:202=233}
}

# join_userns_of_first: a first container ($ID-a) with the user namespace, left running; this
# bundle's config then joins that user namespace by path (and has no mappings).
join_userns_of_first() {
  cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/orig.json"
  with_userns
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "${ID}a"
  local target
  target=$(pid_of "${ID}a")
  cp "$BATS_TEST_TMPDIR/orig.json" "$BUNDLE/config.json"
  update_config '.linux.namespaces += [{type: "user", path: $p}]' --arg p "/proc/$target/ns/user"
}

@test "idmap mount (idmap flag, implied mapping, userns join) [userns]" {
  join_userns_of_first
  tree_mount '["rbind", "idmap"]'
  stat_run $(tree_files)
  expect_status 0
  owners /tmp/mount-tree/{foo.txt:100=211,bar.txt:200=222,baz.txt:300=233}
  owners /tmp/mount-tree/multi{1,2}/{foo,bar,baz}.txt:$OVERFLOW_UID=$OVERFLOW_GID
}

@test "idmap mount (idmap flag, implied mapping, userns join, no pid namespace) [userns]" {
  # Not in runc's file. Without a new pid namespace the init joins the user namespace by
  # itself, after the runtime has made the idmapped trees: the mapping is the path's. (/proc
  # is the host's, bound: that user namespace does not own the host's pid namespace, so a new
  # procfs is refused.)
  join_userns_of_first
  update_config '.linux.namespaces |= map(select(.type != "pid"))
    | .mounts |= map(if .type == "proc" then {source: "/proc", destination: "/proc", type: "bind", options: ["rbind"]} else . end)'
  tree_mount '["rbind", "idmap"]'
  stat_run $(tree_files)
  expect_status 0
  owners /tmp/mount-tree/{foo.txt:100=211,bar.txt:200=222,baz.txt:300=233}
  owners /tmp/mount-tree/multi{1,2}/{foo,bar,baz}.txt:$OVERFLOW_UID=$OVERFLOW_GID
}

# ---- what runc refuses (libcontainer/configs/validate: checkIDMapMounts) ----------------------

@test "idmap without mappings and without a user namespace is refused" {
  update_config '.mounts += [{source: "source-1/", destination: "/tmp/mount-1", options: ["bind", "idmap"]}]'
  set_args true
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains "id-mapped mounts must have both uid and gid mappings specified"
  run rt state "$ID"
  expect_failure
}

@test "an idmapped mount with uidMappings only is refused" {
  update_config '.mounts += [{source: "source-1/", destination: "/tmp/mount-1", options: ["bind"],
    uidMappings: [{containerID: 0, hostID: 100000, size: 65536}]}]'
  set_args true
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains "id-mapped mounts must have both uid and gid mappings specified"
}

@test "an idmapped mount that is not a bind mount is refused" {
  update_config '.mounts += [{source: "tmpfs", type: "tmpfs", destination: "/tmp/mount-1",
    options: ["idmap"], uidMappings: [{containerID: 0, hostID: 100000, size: 65536}],
    gidMappings: [{containerID: 0, hostID: 100000, size: 65536}]}]'
  set_args true
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains "id-mapped mounts are only supported for bind-mounts"
}

# Mount sources the container's root cannot open: the runtime opens them in the init's mount
# namespace with the host's privileges and hands the tree over (runc's mountFd).

@test "user namespace: bind mounts of sources in a directory only the host's root may enter (runc's userns.bats)" {
  with_userns
  mkdir -p "$BUNDLE/private/a" "$BUNDLE/private/b"
  echo secret-a >"$BUNDLE/private/a/file"
  echo secret-b >"$BUNDLE/private/b/file"
  chmod 0700 "$BUNDLE/private"
  chmod 0755 "$BUNDLE/private/a" "$BUNDLE/private/b"
  chmod 0644 "$BUNDLE/private/a/file" "$BUNDLE/private/b/file"
  update_config '.mounts += [{source: $a, destination: "/mnt/a", options: ["rbind"]},
    {source: $b, destination: "/mnt/b", options: ["bind", "ro"]}]' \
    --arg a "$BUNDLE/private/a" --arg b "$BUNDLE/private/b"
  set_cmd 'cat /mnt/a/file /mnt/b/file; touch /mnt/b/x 2>/dev/null && echo b-writable; sleep 1000'
  run rt run -d --bundle "$BUNDLE" "$ID"
  expect_status 0
  for _ in $(seq 40); do [[ $(detached_output) == *secret-b* ]] && break; sleep 0.05; done
  expect_eq "$(detached_output)" $'secret-a\nsecret-b' "the container's output"
  # exec'd processes see the same mounts
  run rt exec "$ID" cat /mnt/a/file
  expect_status 0
  expect_eq "$output" secret-a "exec"
}

@test "an idmapped mount of a source that earlier mounts made in the container (runc's mount order)" {
  mkdir -p "$BUNDLE/src-a/x" "$BUNDLE/rootfs/final"
  echo from-a >"$BUNDLE/src-a/x/file"
  # /mnt is a bind of src-a; then $rootfs/mnt/x (there only in the container) goes, idmapped,
  # on /final
  update_config '.mounts += [{source: $a, destination: "/mnt", options: ["rbind"]},
    {source: $x, destination: "/final", options: ["rbind", "idmap"],
     uidMappings: [{containerID: 0, hostID: 100000, size: 65536}],
     gidMappings: [{containerID: 0, hostID: 100000, size: 65536}]}]' \
    --arg a "$BUNDLE/src-a" --arg x "$BUNDLE/rootfs/mnt/x"
  set_cmd 'cat /final/file; stat -c %u /final/file'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_eq "$output" $'from-a\n100000' "the file through the idmapped mount"
}

@test "a bind source nobody may open is still an error naming it" {
  with_userns
  update_config '.mounts += [{source: "/nonexistent/src", destination: "/mnt/a", options: ["rbind"]}]'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains "/nonexistent/src" "no such file or directory"
  run rt state "$ID"
  expect_status 1
}
