#!/usr/bin/env bats
# Mount behaviours of runc 1.3 (tests/integration/mounts*.bats, mask.bats): dangling symlinks as
# mount destinations, relative destinations, tmpfs modes, /proc and /sys on symlinks, read-only
# /dev and /sys/fs/cgroup, masked directories, bind mount flags and recursive attributes.
load ../helpers/common

# mount_target SRC DST REAL_DST: a bind mount of SRC on DST lands on REAL_DST (where DST's
# symlinks lead inside the rootfs), shows there in /proc/self/mounts, and is SRC's inode.
mount_target() {
  local src=$1 dst=$2 real=$3
  cp "$BUNDLE/config.json" "$BUNDLE/config.json.orig"
  update_config '.mounts += [{source: $s, destination: $d, options: ["bind"]}]' --arg s "$src" --arg d "$dst"
  set_args stat -c "%n %d:%i" -- "$real"
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_eq "$output" "$real $(stat -c %d:%i -- "$src")" "stat of $real"
  set_args awk -v p="$real" '$2 == p' /proc/self/mounts
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  [[ $output == *" $real "* ]] || fail "no mount on $real: $output"
  mv "$BUNDLE/config.json.orig" "$BUNDLE/config.json"
}

@test "bind mount through a dangling symlink component" {
  rm -rf "$BUNDLE/rootfs/etc/hosts" "$BUNDLE/rootfs/tmp/foo"
  ln -s /tmp/foo/bar "$BUNDLE/rootfs/jump"
  ln -s /jump/baz/hosts "$BUNDLE/rootfs/etc/hosts"
  mount_target "$BUNDLE/config.json" /etc/hosts /tmp/foo/bar/baz/hosts
}

@test "bind mount through a trailing dangling symlink (file and directory)" {
  rm -rf "$BUNDLE/rootfs/etc/hosts" "$BUNDLE/rootfs/tmp/hosts"
  ln -s /tmp/hosts "$BUNDLE/rootfs/etc/hosts"
  mount_target "$BUNDLE/config.json" /etc/hosts /tmp/hosts
  rm -rf "$BUNDLE/rootfs/tmp/hosts"
  mount_target "$BUNDLE" /etc/hosts /tmp/hosts
}

@test "bind mount on /etc/resolv.conf -> ../run/systemd/resolve/stub-resolv.conf (relative, dangling)" {
  rm -rf "$BUNDLE/rootfs/etc/resolv.conf" "$BUNDLE/rootfs/run"
  mkdir -p "$BUNDLE/rootfs/run"
  ln -s ../run/systemd/resolve/stub-resolv.conf "$BUNDLE/rootfs/etc/resolv.conf"
  echo "nameserver 192.0.2.53" > "$BATS_TEST_TMPDIR/resolv.conf"
  update_config '.mounts += [{source: $s, destination: "/etc/resolv.conf", type: "bind", options: ["rbind", "ro"]}]' \
    --arg s "$BATS_TEST_TMPDIR/resolv.conf"
  run_in_container 'cat /etc/resolv.conf; readlink /etc/resolv.conf'
  expect_status 0
  expect_eq "${lines[0]}" "nameserver 192.0.2.53" "resolv.conf in the container"
  expect_eq "${lines[1]}" ../run/systemd/resolve/stub-resolv.conf "the image's symlink"
  [[ -f $BUNDLE/rootfs/run/systemd/resolve/stub-resolv.conf ]] || fail "the link's target was not made in the rootfs"
}

@test "tmpfs on a dangling symlink behind a symlinked directory: made where the kernel resolves it" {
  # /a -> /x/y and /x/y/l -> ../z/cache: /a/l is /x/z/cache (relative to the link's real
  # directory, not to /a).
  mkdir -p "$BUNDLE/rootfs/x/y"
  ln -s /x/y "$BUNDLE/rootfs/a"
  ln -s ../z/cache "$BUNDLE/rootfs/x/y/l"
  update_config '.mounts += [{source: "tmpfs", destination: "/a/l", type: "tmpfs", options: ["size=1232k"]}]'
  run_in_container 'awk "\$2 == \"/x/z/cache\" {print \$3, \$4}" /proc/self/mounts; [ -d /a/l ] && echo REACHABLE || echo UNREACHABLE'
  expect_status 0
  [[ ${lines[0]} == "tmpfs "*size=1232k* ]] || fail "no tmpfs on /x/z/cache: $output"
  expect_eq "${lines[1]}" REACHABLE "/a/l in the container"
  [[ ! -e $BUNDLE/rootfs/z ]] || fail "made /z (resolved against the link's path, not its directory)"
}

@test "a relative mount destination is resolved against / (with runc's warning)" {
  update_config '.mounts += [{source: "tmpfs", destination: "mnt/rel", type: "tmpfs", options: ["size=1232k"]},
    {source: "tmpfs", destination: "../../up/../twice", type: "tmpfs", options: ["size=1236k"]}]'
  set_cmd 'awk "\$4 ~ /size=123[26]k/ {print \$2}" /proc/self/mounts'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_output_contains /mnt/rel /twice
  if ! is_runc; then
    expect_output_contains "mount destination mnt/rel is not absolute. Support for non-absolute mount destinations will be removed in a future release."
  fi
}

@test "an empty mount destination is refused" {
  nucleus_only
  update_config '.mounts += [{source: "tmpfs", destination: "", type: "tmpfs"}]'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains 'mounts[7].destination: required'
}

@test "a destination on the top of the rootfs is refused (., a link to /)" {
  update_config '.mounts += [{source: "tmpfs", destination: "/mnt/..", type: "tmpfs"}]'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains "is on the top of rootfs"
  update_config '.mounts[-1].destination = "/toroot"'
  ln -s / "$BUNDLE/rootfs/toroot"
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains "is on the top of rootfs"
}

@test "tmpfs without mode= keeps the mode of the directory it is mounted on" {
  mkdir "$BUNDLE/rootfs/tmpfs"
  chmod 0710 "$BUNDLE/rootfs/tmpfs"
  update_config '.mounts += [{type: "tmpfs", source: "tmpfs", destination: "/tmpfs", options: ["rw", "nodev", "nosuid"]}]'
  run_in_container 'stat -c %a /tmpfs; grep "^tmpfs /tmpfs " /proc/self/mounts'
  expect_status 0
  expect_eq "${lines[0]}" 710 "mode of the tmpfs"
  [[ ${lines[1]} =~ [,\ ]mode=710[,\ ] ]] || fail "no mode=710 in the mount options: ${lines[1]}"
}

@test "tmpfs with mode= uses it, the directory underneath is not changed" {
  mkdir "$BUNDLE/rootfs/tmpfs"
  chmod 0710 "$BUNDLE/rootfs/tmpfs"
  update_config '.mounts += [{type: "tmpfs", source: "tmpfs", destination: "/tmpfs", options: ["rw", "nodev", "nosuid", "mode=1500"]}]'
  run_in_container 'stat -c %a /tmpfs; grep "^tmpfs /tmpfs " /proc/self/mounts'
  expect_status 0
  expect_eq "${lines[0]}" 1500 "mode of the tmpfs"
  [[ ${lines[1]} =~ [,\ ]mode=1500[,\ ] ]] || fail "no mode=1500 in the mount options: ${lines[1]}"
  expect_eq "$(stat -c %a "$BUNDLE/rootfs/tmpfs")" 710 "mode of the directory underneath"
}

@test "tmpfs on a directory made for it: 1777 (the tmpfs default), the made directories 755" {
  rm -rf "$BUNDLE/rootfs/non-existent"
  update_config '.mounts += [{type: "tmpfs", source: "tmpfs", destination: "/non-existent/foo/bar/baz", options: ["rw", "nodev", "nosuid"]}]'
  run_in_container 'stat -c %a /non-existent/foo/bar/baz; grep "^tmpfs /non-existent/foo/bar/baz " /proc/self/mounts'
  expect_status 0
  expect_eq "${lines[0]}" 1777 "mode of the tmpfs"
  [[ ! ${lines[1]} =~ [,\ ]mode= ]] || fail "a mode= was given: ${lines[1]}"
  local d
  for d in non-existent non-existent/foo non-existent/foo/bar non-existent/foo/bar/baz; do
    expect_eq "$(stat -c %a "$BUNDLE/rootfs/$d")" 755 "mode of /$d"
  done
}

@test "/proc that is a symlink in the rootfs is refused" {
  rm -rf "$BUNDLE/rootfs/proc"
  mkdir -p "$BUNDLE/rootfs/bad-proc"
  ln -s /bad-proc "$BUNDLE/rootfs/proc"
  set_args true
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains 'must be mounted on ordinary directory'
  [[ -z $(ls -A "$BUNDLE/rootfs/bad-proc") ]] || fail "something was made in /bad-proc"
}

@test "/sys that is a symlink in the rootfs is refused" {
  rm -rf "$BUNDLE/rootfs/sys"
  mkdir -p "$BUNDLE/rootfs/bad-sys"
  ln -s /bad-sys "$BUNDLE/rootfs/sys"
  set_args true
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains 'mount sysfs on /sys' 'must be mounted on ordinary directory'
}

@test "/proc that is a file in the rootfs is refused" {
  rm -rf "$BUNDLE/rootfs/proc"
  touch "$BUNDLE/rootfs/proc"
  set_args true
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains 'must be mounted on ordinary directory'
}

@test "a mount inside /proc is refused, but for the files lxcfs emulates" {
  update_config '.mounts += [{source: "tmpfs", destination: "/proc/sys", type: "tmpfs"}]'
  set_args true
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains 'cannot be mounted because it is inside /proc'
  echo "12345.67 1.00" > "$BATS_TEST_TMPDIR/uptime"
  update_config '.mounts[-1] = {source: $s, destination: "/proc/uptime", type: "bind", options: ["bind", "ro"]}' \
    --arg s "$BATS_TEST_TMPDIR/uptime"
  set_args cat /proc/uptime
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_eq "$output" "12345.67 1.00" "/proc/uptime"
}

@test "an image symlink that sends a mount into /proc is refused" {
  ln -s /proc/sys "$BUNDLE/rootfs/vol"
  update_config '.mounts += [{source: "tmpfs", destination: "/vol", type: "tmpfs"}]'
  set_cmd 'grep " /proc/sys " /proc/self/mounts'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains 'cannot be mounted because it is inside /proc'
}

@test "/proc that is not procfs is refused" {
  update_config '.mounts = [.mounts[] | if .destination == "/proc" then {source: "tmpfs", destination: "/proc", type: "tmpfs"} else . end]'
  set_args true
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains 'cannot be mounted because it is not of type proc'
}

@test "a read-only /dev: devices are made, then /dev is read-only" {
  update_config '.mounts |= map((select(.destination == "/dev") | .options += ["ro"]) // .)'
  run_in_container 'grep "^tmpfs /dev " /proc/mounts; [ -c /dev/null ] && echo NULL; touch /dev/x 2>/dev/null && echo WRITABLE; true'
  expect_status 0
  [[ ${lines[0]} == "tmpfs /dev tmpfs ro,"* ]] || fail "/dev is not ro: $output"
  expect_output_contains NULL
  [[ $output != *WRITABLE* ]] || fail "/dev is writable"
}

@test "a read-only tmpfs gets what goes in and under it: tmpcopyup, later mount points" {
  mkdir -p "$BUNDLE/rootfs/ro/sub"
  echo kept > "$BUNDLE/rootfs/ro/file"
  update_config '.mounts += [{source: "tmpfs", destination: "/ro", type: "tmpfs", options: ["ro", "nodev", "nosuid", "tmpcopyup"]},
    {source: "tmpfs", destination: "/ro/new/deeper", type: "tmpfs", options: ["size=1232k"]}]'
  run_in_container 'grep "^tmpfs /ro " /proc/mounts; cat /ro/file; grep -c "^tmpfs /ro/new/deeper " /proc/mounts; touch /ro/x 2>/dev/null && echo WRITABLE; true'
  expect_status 0
  [[ ${lines[0]} == "tmpfs /ro tmpfs ro,"* ]] || fail "/ro is not ro: $output"
  expect_eq "${lines[1]}" kept "the copied-up file"
  expect_eq "${lines[2]}" 1 "the mount under the read-only tmpfs"
  [[ $output != *WRITABLE* ]] || fail "/ro is writable"
}

@test "masked directories share one read-only tmpfs" {
  mkdir -p "$BUNDLE/rootfs/testdir" "$BUNDLE/rootfs/testdir2" "$BUNDLE/rootfs/testdir3"
  echo secret > "$BUNDLE/rootfs/testdir2/file"
  update_config '.linux.maskedPaths += ["/testdir", "/testdir2", "/testdir3"]'
  run_in_container 'stat -c %d /testdir /testdir2 /testdir3 | sort -u | wc -l; ls -A /testdir2 | wc -l
    touch /testdir2/foo 2>&1; grep " /testdir3 " /proc/self/mounts'
  expect_status 0
  expect_eq "${lines[0]}" 1 "distinct devices of the masked directories"
  expect_eq "${lines[1]}" 0 "entries of a masked directory"
  expect_output_contains "Read-only file system"
  [[ ${lines[3]} == "tmpfs /testdir3 tmpfs ro,"* ]] || fail "not a read-only tmpfs: ${lines[3]}"
}

@test "masked directories with a read-only root" {
  mkdir -p "$BUNDLE/rootfs/testdir" "$BUNDLE/rootfs/testdir2"
  update_config '.linux.maskedPaths += ["/testdir", "/testdir2"] | .root.readonly = true'
  run_in_container 'ls -A /testdir /testdir2 | grep -v : | grep -c . ; true'
  expect_status 0
  expect_eq "${lines[0]}" 0 "entries of the masked directories"
}

# every mount point under /sys/fs/cgroup is read-only (the last mount of each path)
check_ro_cgroup_mounts() {
  set_cmd 'for f in $(grep /sys/fs/cgroup /proc/mounts | awk "{print \$2}" | uniq); do test -e $f && grep -w $f /proc/mounts | tail -n1; done'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  [[ ${#lines[@]} -ne 0 ]] || fail "no cgroup mounts"
  local line
  for line in "${lines[@]}"; do
    [[ $line == *' ro,'* ]] || fail "not read-only: $line (all: $output)"
  done
}

@test "read-only /sys/fs/cgroup mounts (no cgroup namespace)" {
  update_config '.linux.namespaces -= [{"type": "cgroup"}]'
  check_ro_cgroup_mounts
}

@test "read-only /sys/fs/cgroup mounts (cgroup namespace)" {
  update_config '.linux.namespaces |= if index({"type": "cgroup"}) then . else . + [{"type": "cgroup"}] end'
  check_ro_cgroup_mounts
}

# mount_order [userns]: binds whose sources are inside the container's rootfs see the mounts made
# before them (runc's test_mount_order).
mount_order() {
  local rootfs=$BUNDLE/rootfs src=$BATS_TEST_TMPDIR/bind-src subdir
  mkdir -p "$rootfs/final"
  rm -rf "$rootfs/mnt"
  mkdir "$rootfs/mnt"
  for subdir in a/x b/y c/z; do
    mkdir -p "$src/$subdir"
    echo "$subdir" > "$src/$subdir/file"
    ln -s "$(dirname "$subdir")" "$src/sym-$(dirname "$subdir")"
  done
  local m='[]' pair
  for pair in "$src/a:/mnt" "$src/sym-b:/mnt/x" "$src/c:/mnt/x/y" "$src/sym-a:/mnt/x/y/z" \
              "$rootfs/mnt/x:$rootfs/mnt/x/y/z/x" "$rootfs/mnt/x/y:$rootfs/mnt/x/y/z" \
              "$rootfs/mnt:$rootfs/final"; do
    m=$(jq -c --arg s "${pair%%:*}" --arg d "${pair#*:}" '. + [{source: $s, destination: $d, type: "bind", options: ["rbind", "rprivate"]}]' <<<"$m")
  done
  update_config '.mounts += $m' --argjson m "$m"
  set_args cat /final/x/y/z/z/x/y/z/x/file
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_output_contains a/x
}

@test "mount order: bind sources inside the container see earlier mounts" {
  mount_order
}

@test "mount order: bind sources inside the container see earlier mounts (user namespace)" {
  [[ -e /proc/self/ns/user ]] || skip "kernel without user namespaces"
  local d=$BUNDLE
  while [[ $d != / ]]; do chmod o+x "$d"; d=$(dirname "$d"); done
  update_config '.linux.namespaces += [{type: "user"}]
    | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
    | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
    | .mounts |= map(select(.type != "cgroup"))'
  mount_order
}

@test "mount order: a bind from the rootfs's /sys/fs/cgroup sees the cgroup mount made before it" {
  update_config '.mounts += [{source: ($r + "/sys/fs/cgroup"), destination: "/cg-again", type: "bind", options: ["rbind"]}]' \
    --arg r "$BUNDLE/rootfs"
  set_cmd 'ls /cg-again | grep -c . ; grep -c " /cg-again/" /proc/self/mounts'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  [[ ${lines[0]} -gt 0 ]] || fail "/cg-again is empty: $output"
  [[ ${lines[1]} -gt 0 ]] || fail "no cgroup mounts under /cg-again: $output"
}

# a host tmpfs with a tmpfs inside it, as bind sources (runc's mounts_recursive.bats volume)
setup_volume() {
  VOL=$BATS_TEST_TMPDIR/vol
  mkdir -p "$VOL"
  mount -t tmpfs none "$VOL"
  echo foo > "$VOL/foo"
  mkdir "$VOL/subvol"
  mount -t tmpfs none "$VOL/subvol"
  echo bar > "$VOL/subvol/bar"
}

teardown() {
  [[ -n ${VOL:-} ]] && umount -R "$VOL" 2>/dev/null
  [[ -n ${SRC:-} ]] && umount -R "$SRC" 2>/dev/null
  common_teardown
}

@test "rbind,ro is read-only but not recursively; rbind,rro and rbind,ro,rro are recursively" {
  setup_volume
  update_config '.mounts += [{source: $v, destination: "/ro", options: ["rbind", "ro"]},
    {source: $v, destination: "/rro", options: ["rbind", "rro"]},
    {source: $v, destination: "/rorro", options: ["rbind", "ro", "rro"]}]' --arg v "$VOL"
  set_cmd 'for d in /ro /rro /rorro; do for f in $d/foo $d/subvol/bar; do touch $f 2>/dev/null && echo "$f rw" || echo "$f ro"; done; done'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_eq "$(echo $output)" "/ro/foo ro /ro/subvol/bar rw /rro/foo ro /rro/subvol/bar ro /rorro/foo ro /rorro/subvol/bar ro" "writability"
}

@test "rbind with r*atime options: every mount of the tree gets the atime asked for" {
  setup_volume
  local i=0 o
  for o in ratime rnoatime rstrictatime rnostrictatime rrelatime rnorelatime; do
    i=$((i + 1))
    update_config '.mounts += [{source: $v, destination: $d, options: ["rbind", $o]}]' --arg v "$VOL" --arg d "/mnt$i" --arg o "$o"
  done
  set_cmd 'for i in 1 2 3 4 5 6; do for m in /mnt$i /mnt$i/subvol; do echo "$m $(awk -v m=$m "\$2 == m {print \$4}" /proc/self/mounts)"; done; done'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  local want=("rw,relatime," "rw,noatime," "rw," "rw,relatime," "rw,relatime," "rw,relatime,")
  for i in 1 2 3 4 5 6; do
    for o in "/mnt$i" "/mnt$i/subvol"; do
      local line
      line=$(grep "^$o " <<<"$output")
      [[ ${line#* }, == "${want[$((i - 1))]}"* ]] || fail "$line: want ${want[$((i - 1))]}..."
      [[ $i -ne 3 || ${line#* } != *atime* ]] || fail "$line: want strictatime (no atime option)"
    done
  done
}

# bind_flags HOST-FLAGS BIND-OPTIONS [userns]: a host tmpfs with HOST-FLAGS (set with
# "mount --bind -o remount", so they are per-mount, as runc's mounts_sshfs.bats does) bound on
# /mnt with BIND-OPTIONS; MNT_FLAGS gets /mnt's options in the container, or the run's status
# is left in $status (runc's pass/fail_sshfs_bind_flags).
bind_flags() {
  SRC=$BATS_TEST_TMPDIR/src
  if ! mountpoint -q "$SRC"; then
    mkdir -p "$SRC"
    mount -t tmpfs -o rw,suid,dev,exec,diratime,strictatime tmpfs "$SRC"
  fi
  mount --bind -o remount,diratime,atime,strictatime "$SRC"
  mount --bind -o "remount,$1" "$SRC"
  local opts
  opts=$(jq -cRn --arg o "$2" '$o | split(",")')
  cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/config.orig"
  update_config '.mounts += [{source: $s, destination: "/mnt", type: "bind", options: $o}]' \
    --arg s "$SRC" --argjson o "$opts"
  if [[ ${3:-} == userns ]]; then
    local d=$BUNDLE
    while [[ $d != / ]]; do chmod o+x "$d"; d=$(dirname "$d"); done
    chmod o+x "$BATS_TEST_TMPDIR"
    update_config '.linux.namespaces += [{type: "user"}]
      | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
      | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
      | .mounts |= map(select(.type != "cgroup"))'
  fi
  set_args awk '$2 == "/mnt" { print $4 }' /proc/self/mounts
  run rt run --bundle "$BUNDLE" "$ID"
  MNT_FLAGS=",$output,"
  mv "$BATS_TEST_TMPDIR/config.orig" "$BUNDLE/config.json"
}
has() { [[ $MNT_FLAGS == *",$1,"* ]] || fail "/mnt lacks $1: $MNT_FLAGS"; }
hasnt() { [[ $MNT_FLAGS != *",$1,"* ]] || fail "/mnt has $1: $MNT_FLAGS"; }

@test "bind with no flags keeps the source's flags (also in a user namespace)" {
  local u
  for u in "" userns; do
    bind_flags ro,noexec,nosymfollow,nodiratime bind $u
    expect_status 0
    has ro; hasnt rw; has noexec; has nodiratime; has nosymfollow
  done
}

@test "bind with a clearing flag: the flags not asked for are dropped, unless locked in a user namespace" {
  bind_flags ro,noexec,nosymfollow,nodiratime bind,dev
  expect_status 0
  hasnt ro; has rw; hasnt noexec; hasnt nosymfollow
  has nodiratime  # as mount(8): an atime flag cleared the naive way stays
  bind_flags ro,noexec,nosymfollow,nodiratime bind,dev userns
  expect_status 0
  has ro; hasnt rw; has noexec; has nodiratime
}

@test "bind,ro of a rw,nodev,nosuid,noexec source drops them; locked in a user namespace they stay" {
  bind_flags rw,nodev,nosuid,noexec,noatime bind,ro
  expect_status 0
  has ro; hasnt nosuid; hasnt nodev; hasnt noexec
  bind_flags rw,nodev,nosuid,noexec,noatime bind,ro userns
  expect_status 0
  has ro; has nosuid; has nodev; has noexec
}

@test "implied and explicit rw binds of a ro source; explicit rw of a locked ro is an error" {
  bind_flags ro bind,nosuid,nodev,rprivate
  expect_status 0
  hasnt ro; has rw; has nosuid; has nodev
  bind_flags ro bind,nosuid,nodev,rprivate userns
  expect_status 0
  has ro; has nosuid; has nodev
  bind_flags ro bind,rw,nosuid,nodev,rprivate
  expect_status 0
  hasnt ro; has rw
  bind_flags ro bind,rw,nosuid,nodev,rprivate userns
  expect_status 1
  [[ $MNT_FLAGS == *"operation not permitted"* ]] || fail "want operation not permitted: $MNT_FLAGS"
  if ! is_runc; then
    [[ $MNT_FLAGS == *"cannot clear locked flags MS_RDONLY"* ]] || fail "want runc's text: $MNT_FLAGS"
  fi
}

@test "dev,suid,exec,atime binds of a nodev,nosuid,noexec,noatime source" {
  bind_flags nosuid,nodev,noexec,noatime bind,dev,suid,exec,atime
  expect_status 0
  has rw; hasnt nosuid; hasnt nodev; hasnt noexec
  has noatime  # as mount(8): clearing an atime flag the naive way is ignored
  bind_flags nosuid,nodev,noexec,noatime bind,dev,suid,exec,atime userns
  expect_status 1
}

@test "ro,symfollow bind of a rw,nodev,nosymfollow source" {
  bind_flags rw,nodev,nosymfollow bind,ro,symfollow
  expect_status 0
  has ro; hasnt rw; hasnt nodev; hasnt nosymfollow
  bind_flags rw,nodev,nosymfollow bind,ro,symfollow userns
  expect_status 0
  has ro; has nodev; hasnt nosymfollow
}

@test "bind atime semantics: a locked atime must match what is asked for" {
  bind_flags noatime bind,relatime
  expect_status 0
  hasnt noatime; has relatime
  bind_flags noatime bind,nodiratime,strictatime
  expect_status 0
  hasnt noatime; has nodiratime; hasnt relatime
  bind_flags noatime,nodiratime bind,norelatime userns
  expect_status 0
  has noatime; has nodiratime
  local f
  for f in "relatime bind,strictatime" "noatime bind,strictatime" "relatime bind,noatime" "strictatime bind,relatime"; do
    bind_flags ${f% *} ${f#* } userns
    expect_status 1
    is_runc || [[ $MNT_FLAGS == *"cannot change locked atime flags"* ]] || fail "$f: $MNT_FLAGS"
  done
}

@test "rootfsPropagation shared: the container's / is shared (and no slave of the host)" {
  # The rootfs on a shared host mount (as on a systemd host): runc makes the rootfs's parent
  # mount private before binding it, so / becomes shared in a peer group of its own.
  SRC=$BATS_TEST_TMPDIR/shared
  mkdir -p "$SRC"
  mount -t tmpfs tmpfs "$SRC"
  mount --make-shared "$SRC"
  cp -a "$BUNDLE/rootfs" "$SRC/rootfs"
  update_config '.linux.rootfsPropagation = "shared" | .root.path = $r' --arg r "$SRC/rootfs"
  set_args awk '$5 == "/" { print }' /proc/self/mountinfo
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  [[ $output == *" shared:"* ]] || fail "/ is not shared: $output"
  [[ $output != *" master:"* ]] || fail "/ is a slave of the host's mount: $output"
}

@test "default propagation: mounts made on the host under the rootfs later do not reach the container" {
  SRC=$BATS_TEST_TMPDIR/shared
  mkdir -p "$SRC"
  mount -t tmpfs tmpfs "$SRC"
  mount --make-shared "$SRC"
  cp -a "$BUNDLE/rootfs" "$SRC/rootfs"
  update_config '.root.path = $r' --arg r "$SRC/rootfs"
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  mkdir -p "$SRC/rootfs/mnt/late"
  mount -t tmpfs -o size=1232k tmpfs "$SRC/rootfs/mnt/late"
  run rt exec "$ID" grep -c size=1232k /proc/self/mountinfo
  umount "$SRC/rootfs/mnt/late"
  expect_eq "$output" 0 "host mounts seen in the container"
}

@test "--no-pivot must not expose a bare /proc" {
  update_config '.process.args |= ["unshare", "-mrpf", "sh", "-euxc", "mount -t proc none /proc && echo h > /proc/sysrq-trigger"]
    | .process.capabilities.bounding += ["CAP_SETFCAP"]
    | .process.capabilities.permitted += ["CAP_SETFCAP"]'
  run rt run --no-pivot --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains "mount: permission denied"
}

@test "--no-pivot: the container runs on its rootfs with its /proc, masks and read-only root; the host keeps its /proc and /sys" {
  update_config '.root.readonly = true | .linux.maskedPaths += ["/proc/cmdline"]'
  set_cmd 'echo "pid:$$"; echo "cmdline:$(wc -c < /proc/cmdline)"; touch /x 2>/dev/null && echo WRITABLE; ls /sys/kernel >/dev/null && echo SYS; true'
  run rt run --no-pivot --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_output_contains "pid:1" "cmdline:0" SYS
  [[ $output != *WRITABLE* ]] || fail "the root is writable"
  [[ -e /proc/self/status && -d /sys/kernel ]] || fail "the host lost /proc or /sys"
}
