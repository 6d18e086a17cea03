#!/usr/bin/env bats
# Mount destinations through symlinks (CVE-2021-30465 class): every destination is resolved
# inside the rootfs, also when the image plants symlinks that point outside, and when a process
# swaps a directory for such a symlink while the runtime is mounting.
load ../helpers/common

@test "a destination through an absolute symlink lands inside the rootfs" {
  mkdir -p "$BATS_TEST_TMPDIR/src"
  echo marker > "$BATS_TEST_TMPDIR/src/marker"
  # /mnt/link -> /../../../../../../tmp/escape: on the host that is /tmp/escape
  ln -s /../../../../../../tmp/escape "$BUNDLE/rootfs/mnt/link"
  update_config '.mounts += [{"destination": "/mnt/link/inner", "type": "bind",
      "source": $src, "options": ["rbind", "ro"]}]' --arg src "$BATS_TEST_TMPDIR/src"
  set_cmd 'cat /tmp/escape/inner/marker'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_output_contains marker
  [[ ! -e /tmp/escape/inner ]] || fail "the runtime created /tmp/escape/inner on the host"
}

@test "a destination through a relative symlink climbing out lands inside the rootfs" {
  mkdir -p "$BATS_TEST_TMPDIR/src"
  echo marker > "$BATS_TEST_TMPDIR/src/marker"
  ln -s ../../../../../../../../etc "$BUNDLE/rootfs/mnt/up"
  update_config '.mounts += [{"destination": "/mnt/up/nucleus-escape", "type": "bind",
      "source": $src, "options": ["rbind", "ro"]}]' --arg src "$BATS_TEST_TMPDIR/src"
  set_cmd 'cat /etc/nucleus-escape/marker'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_output_contains marker
  [[ ! -e /etc/nucleus-escape ]] || { rmdir /etc/nucleus-escape; fail "created /etc/nucleus-escape on the host"; }
}

@test "a directory swapped for a symlink during create never mounts outside the rootfs" {
  # A host process flips rootfs/mnt/race between a directory and a symlink to /tmp while 30
  # containers mount a tmpfs (size=1232k, recognisable) on /mnt/race/x. Whatever state the
  # runtime sees, the tmpfs must end up inside the container: at /mnt/race/x or /tmp/x.
  local r=$BUNDLE/rootfs/mnt
  update_config '.mounts += [{"destination": "/mnt/race/x", "type": "tmpfs", "source": "tmpfs",
      "options": ["size=1232k"]}]'
  set_cmd 'grep -q "size=1232k" /proc/self/mountinfo && echo INSIDE || echo MISSING'
  # The flipper only renames directories away (never deletes them), so a tmpfs mounted on
  # one stays attached and visible in the container as /mnt/race.old.N/x.
  (
    set +e
    n=0
    while :; do
      n=$((n + 1))
      mkdir -p "$r/race.new/x"
      rm -f "$r/race" 2>/dev/null
      mv -T "$r/race.new" "$r/race" 2>/dev/null
      mv -T "$r/race" "$r/race.old.$n" 2>/dev/null
      ln -sfn /tmp "$r/race"
    done
  ) &
  local flipper=$!
  bg $flipper
  local i ok=0 refused=0
  for i in $(seq 30); do
    run rt run --bundle "$BUNDLE" "$ID"
    if [[ $status -eq 0 ]]; then
      [[ $output == *INSIDE* ]] || { kill $flipper; fail "run $i: the tmpfs is not inside the container: [$output]"; }
      ok=$((ok + 1))
    else
      refused=$((refused + 1))  # e.g. the destination changed type under the runtime
      rt delete --force "$ID" >/dev/null 2>&1 || true
    fi
    # Never on the host: the runtime's mount namespace is private, but a mount through a
    # host path would show up as a tmpfs of that size in the host's /tmp.
    ! grep -q "size=1232k" /proc/self/mountinfo || { kill $flipper; fail "a tmpfs of the container is mounted on the host"; }
  done
  kill $flipper
  echo "runs inside: $ok, refused: $refused"
  [[ $ok -gt 0 ]] || fail "no run succeeded"
}

@test "a dangling destination symlink pointing out of the rootfs is made inside it" {
  # /etc/hosts -> ../../../../../../../tmp/<name>: as the kernel resolves it with the rootfs as
  # "/", that is /tmp/<name> in the rootfs; on the host it would be the host's /tmp/<name>.
  local name=nucleus-escape-$$-$BATS_TEST_NUMBER
  rm -f "$BUNDLE/rootfs/etc/hosts"
  ln -s "../../../../../../../tmp/$name/hosts" "$BUNDLE/rootfs/etc/hosts"
  echo marker > "$BATS_TEST_TMPDIR/hosts"
  update_config '.mounts += [{"destination": "/etc/hosts", "type": "bind", "source": $src,
      "options": ["bind", "ro"]}]' --arg src "$BATS_TEST_TMPDIR/hosts"
  set_cmd 'cat /etc/hosts'
  run rt run --bundle "$BUNDLE" "$ID"
  local host_made=0
  [[ ! -e /tmp/$name ]] || { host_made=1; rm -rf "/tmp/$name"; }
  expect_status 0
  expect_output_contains marker
  [[ $host_made -eq 0 ]] || fail "the runtime created /tmp/$name on the host"
  [[ -f $BUNDLE/rootfs/tmp/$name/hosts ]] || fail "the link's target was not made in the rootfs"
}

@test "a dangling symlink chain with an absolute hop out of the rootfs stays inside" {
  local name=nucleus-escape-$$-$BATS_TEST_NUMBER
  mkdir -p "$BUNDLE/rootfs/a"
  ln -s "/../../../../../tmp/$name" "$BUNDLE/rootfs/a/hop"
  ln -s ../a/hop/deeper/dir "$BUNDLE/rootfs/mnt/target"
  update_config '.mounts += [{"destination": "/mnt/target", "type": "tmpfs", "source": "tmpfs",
      "options": ["size=1232k"]}]'
  set_cmd "grep -c size=1232k /proc/self/mountinfo; [ -d /tmp/$name/deeper/dir ] && echo INSIDE"
  run rt run --bundle "$BUNDLE" "$ID"
  local host_made=0
  [[ ! -e /tmp/$name ]] || { host_made=1; rm -rf "/tmp/$name"; }
  expect_status 0
  expect_output_contains INSIDE
  [[ $host_made -eq 0 ]] || fail "the runtime created /tmp/$name on the host"
}
