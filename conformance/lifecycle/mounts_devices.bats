#!/usr/bin/env bats
# mounts, readonly root, masked/readonly paths, /dev, linux.devices, hostname, sysctl.
load ../helpers/common

@test "tmpfs mount with options shows in /proc/mounts" {
  update_config '.mounts += [{destination: "/mnt/t", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "noexec", "size=1m", "mode=1700"]}]'
  run_in_container 'grep " /mnt/t " /proc/mounts; stat -c %a /mnt/t'
  expect_status 0
  local line=${lines[0]}
  [[ $line == "tmpfs /mnt/t tmpfs "* ]] || fail "mount line: $line"
  local opt
  for opt in rw nosuid nodev noexec size=1024k mode=1700; do
    [[ ,$(awk '{print $4}' <<<"$line"), == *,$opt,* ]] || fail "option $opt missing: $line"
  done
  expect_eq "${lines[1]}" 1700 "mode of the tmpfs root"
}

@test "bind mount of a host dir, read-only (rbind, ro)" {
  mkdir -p "$BATS_TEST_TMPDIR/hostdir"
  echo from-host > "$BATS_TEST_TMPDIR/hostdir/file"
  update_config '.mounts += [{destination: "/host", type: "bind", source: $s, options: ["rbind", "ro"]}]' \
    --arg s "$BATS_TEST_TMPDIR/hostdir"
  run_in_container 'cat /host/file; touch /host/new && echo WRITABLE; grep " /host " /proc/mounts'
  expect_status 0
  expect_eq "${lines[0]}" from-host "file content"
  [[ $output != *WRITABLE* ]] || fail "ro bind mount is writable"
  [[ ! -e $BATS_TEST_TMPDIR/hostdir/new ]] || fail "a file was created on the host"
  [[ $(grep " /host " <<<"$output" | awk '{print $4}') == ro* ]] || fail "not ro: $output"
}

@test "bind mount read-write: writes reach the host" {
  mkdir -p "$BATS_TEST_TMPDIR/hostdir"
  update_config '.mounts += [{destination: "/host", type: "bind", source: $s, options: ["bind"]}]' \
    --arg s "$BATS_TEST_TMPDIR/hostdir"
  run_in_container 'echo from-container > /host/out'
  expect_status 0
  expect_eq "$(cat "$BATS_TEST_TMPDIR/hostdir/out")" from-container "host file"
}

@test "bind mount of a single file" {
  echo file-content > "$BATS_TEST_TMPDIR/onefile"
  update_config '.mounts += [{destination: "/etc/onefile", type: "bind", source: $s, options: ["bind", "ro"]}]' \
    --arg s "$BATS_TEST_TMPDIR/onefile"
  run_in_container 'cat /etc/onefile'
  expect_status 0
  expect_eq "$output" file-content content
}

@test "readonly root: writing to / fails, /proc/mounts shows ro" {
  update_config '.root.readonly = true'
  run_in_container 'touch /newfile && echo WRITABLE; grep -E "^[^ ]+ / " /proc/mounts | tail -n1'
  expect_status 0
  [[ $output != *WRITABLE* ]] || fail "root is writable"
  [[ ! -e $BUNDLE/rootfs/newfile ]] || fail "file created"
  [[ $(tail -n1 <<<"$output" | awk '{print $4}') == ro* ]] || fail "root not ro: $output"
}

@test "maskedPaths: /proc/kcore reads empty, a masked dir is empty" {
  # (a kernel without CONFIG_PROC_KCORE has no /proc/kcore: /proc/cmdline is masked too)
  update_config '.linux.maskedPaths = ["/proc/kcore", "/proc/cmdline", "/etc/hostname", "/home"]'
  run_in_container '[ -e /proc/kcore ] && echo "kcore:$(wc -c < /proc/kcore)" || echo kcore:absent
    echo "cmdline:$(wc -c < /proc/cmdline)"; echo "hostname:$(cat /etc/hostname)"; echo "home:$(ls -A /home | wc -l)"'
  expect_status 0
  expect_output_contains "cmdline:0" "hostname:" "home:0"
  [[ $output == *kcore:0* || ( $output == *kcore:absent* && ! -e /proc/kcore ) ]] || fail "kcore: $output"
  [[ $output != *"hostname:rootfs"* ]] || fail "/etc/hostname not masked"
}

@test "readonlyPaths: /proc/sys is read-only" {
  update_config '.linux.readonlyPaths = ["/proc/sys", "/proc/sysrq-trigger"]'
  run_in_container 'grep " /proc/sys " /proc/mounts; echo 1 > /proc/sys/kernel/ns_last_pid && echo WRITABLE; true'
  expect_status 0
  [[ $output != *WRITABLE* ]] || fail "/proc/sys is writable"
  [[ $(grep " /proc/sys " <<<"$output" | awk '{print $4}') == ro* ]] || fail "not ro: $output"
}

@test "/dev has the default devices, pts, shm and the /dev/fd links" {
  run_in_container '
    for d in null zero full random urandom tty ptmx; do [ -c /dev/$d ] || echo "missing char dev $d"; done
    [ -d /dev/pts ] || echo "no /dev/pts"; [ -d /dev/shm ] || echo "no /dev/shm"
    echo "fd:$(readlink /dev/fd)"; echo "stdin:$(readlink /dev/stdin)"
    echo "stdout:$(readlink /dev/stdout)"; echo "stderr:$(readlink /dev/stderr)"
    echo "null:$(stat -c %t:%T /dev/null)"; echo "zero:$(stat -c %t:%T /dev/zero)"
    echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | wc -c; echo x > /dev/full || echo full-ENOSPC
    grep -q " /dev/pts devpts " /proc/mounts && echo pts-mounted; grep -q " /dev/shm " /proc/mounts && echo shm-mounted'
  expect_status 0
  [[ $output != *missing* && $output != *"no /dev"* ]] || fail "$output"
  expect_output_contains "fd:/proc/self/fd" "stdin:/proc/self/fd/0" "stdout:/proc/self/fd/1" "stderr:/proc/self/fd/2" \
    "null:1:3" "zero:1:5" null-ok full-ENOSPC pts-mounted shm-mounted
}

@test "linux.devices adds a node with the right type, major:minor and mode" {
  update_config '.linux.devices = [{path: "/dev/mydev", type: "c", major: 1, minor: 7, fileMode: 416, uid: 0, gid: 0}]
    | .linux.resources.devices += [{allow: true, type: "c", major: 1, minor: 7, access: "rwm"}]'
  run_in_container 'stat -c "%F %t:%T %a" /dev/mydev; echo x > /dev/mydev || echo write-failed'
  expect_status 0
  expect_eq "${lines[0]}" "character special file 1:7 640" "device node"
  expect_output_contains write-failed   # 1:7 is "full": ENOSPC
}

@test "hostname is set" {
  update_config '.hostname = "ctr-host"'
  run_in_container 'hostname; cat /proc/sys/kernel/hostname'
  expect_status 0
  expect_eq "${lines[0]}" ctr-host hostname
  expect_eq "${lines[1]}" ctr-host "kernel.hostname"
  [[ $(hostname) != ctr-host ]] || fail "the host's hostname changed"
}

@test "domainname is set" {
  # runtime-spec 1.1 field; runc 1.1 ignores it (the container keeps "(none)").
  nucleus_only
  update_config '.hostname = "ctr-host" | .domainname = "ctr.example"'
  run_in_container 'cat /proc/sys/kernel/domainname'
  expect_status 0
  expect_eq "$output" ctr.example domainname
}

@test "sysctl net.ipv4.ip_forward is applied in the new netns" {
  update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
  local before
  before=$(cat /proc/sys/net/ipv4/ip_forward)
  run_in_container 'cat /proc/sys/net/ipv4/ip_forward'
  expect_status 0
  expect_eq "$output" 1 "ip_forward inside"
  expect_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$before" "ip_forward on the host"
}

@test "/proc and /sys are mounted" {
  run_in_container 'grep -E " /proc proc | /sys sysfs " /proc/mounts | awk "{print \$2}"'
  expect_status 0
  expect_output_contains /proc /sys
}

@test "mount destination inside a symlink stays inside the rootfs" {
  mkdir -p "$BATS_TEST_TMPDIR/hostdir" "$BATS_TEST_TMPDIR/outside"
  ln -s "$BATS_TEST_TMPDIR/outside" "$BUNDLE/rootfs/escape"
  update_config '.mounts += [{destination: "/escape/m", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]'
  run_in_container 'true'
  # whatever the runtime did, nothing may be created outside the rootfs
  [[ ! -e $BATS_TEST_TMPDIR/outside/m ]] || fail "mounted outside the rootfs"
}

@test "mounts: tmpfs with tmpcopyup gets what the image had at the mount point" {
  mkdir -p "$BUNDLE/rootfs/data/sub"
  echo kept > "$BUNDLE/rootfs/data/sub/file"
  ln -s sub/file "$BUNDLE/rootfs/data/link"
  chmod 0750 "$BUNDLE/rootfs/data/sub"
  chown 1000:1000 "$BUNDLE/rootfs/data/sub/file"
  update_config '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs",
      "options": ["rw", "nosuid", "nodev", "tmpcopyup"]}]'
  set_cmd 'grep " /data " /proc/self/mountinfo | grep -c tmpfs; cat /data/link;
    stat -c "%a %u:%g" /data/sub /data/sub/file; echo new > /data/new'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_output_contains "1" "kept" "750 0:0" "644 1000:1000"
  [[ ! -e $BUNDLE/rootfs/data/new ]] || fail "the write went to the image, not the tmpfs"
}
