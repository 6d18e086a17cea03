#!/usr/bin/env bats
# Podman (Debian's 4.3) as root in its default configuration on a booted systemd + cgroup v2 host
# (hack/vm/run-systemd): cgroup_manager "systemd" (the default), only the runtime registered in
# /etc/containers/containers.conf ([engine] runtime = "test-rt", [engine.runtimes] test-rt =
# [RUNTIME]; Podman merges it over /usr/share/containers/containers.conf). The container's cgroup
# is machine.slice/libpod-<id>.scope.

load lib

pm() { timeout "$T" podman "$@"; }

setup_file() {
  [[ -d /run/systemd/system && -x ${RUNTIME:-} ]] || return 0
  mkdir -p /etc/containers
  printf '[engine]\nruntime = "test-rt"\n\n[engine.runtimes]\ntest-rt = ["%s"]\n' "$RUNTIME" \
    >/etc/containers/containers.conf
  timeout 120 podman load -i "$PAYLOAD/image.tar" >/dev/null
}

setup() { sd_require; }

teardown_file() {
  timeout 60 podman rm -af -t 0 >/dev/null 2>&1 || true
}

@test "podman info: cgroup manager systemd, cgroup v2, the runtime under test" {
  run pm info --format '{{.Host.CgroupManager}} {{.Host.CgroupsVersion}} {{.Host.OCIRuntime.Path}}'
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  expect_eq "$output" "systemd v2 $RUNTIME" "podman info"
}

@test "podman run --rm: a container runs and prints" {
  run pm run --rm "$IMG" echo hello from podman
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  expect_eq "$output" "hello from podman" "output"
}

@test "podman run -d --memory: the libpod scope unit and its memory.max" {
  # (the id from stdout only: warnings go to stderr)
  id=$(pm run -d --name sd-pm --memory 64m "$IMG" sleep 1000 2>"$BATS_TEST_TMPDIR/run.err") ||
    { cat "$BATS_TEST_TMPDIR/run.err" >&2; false; }
  cat "$BATS_TEST_TMPDIR/run.err"
  unit=libpod-$id.scope
  cg=/sys/fs/cgroup/machine.slice/$unit
  expect_prop "$unit" ActiveState active
  expect_prop "$unit" Delegate yes
  pid=$(pm inspect -f '{{.State.Pid}}' "$id")
  expect_eq "$(cgroup_of "$pid")" "$(ccg "/machine.slice/$unit")" "cgroup of the init"
  expect_file "/sys/fs/cgroup$(ccg "/machine.slice/$unit")/memory.max" 67108864
}

@test "podman run -d --memory: the scope unit's MemoryMax" {
  skip_unit_props
  expect_prop "libpod-$(pm inspect -f '{{.Id}}' sd-pm).scope" MemoryMax 67108864
}

@test "podman exec: runs in the container and sees its memory limit" {
  # (stdout only: Podman passes the runtime's warnings on stderr)
  out=$(pm exec sd-pm cat /sys/fs/cgroup/memory.max 2>"$BATS_TEST_TMPDIR/exec.err") ||
    { cat "$BATS_TEST_TMPDIR/exec.err" >&2; false; }
  expect_eq "$out" 67108864 "memory.max seen inside"
}

@test "podman pause/unpause: frozen and thawed" {
  id=$(pm inspect -f '{{.Id}}' sd-pm)
  cg=/sys/fs/cgroup$(ccg "/machine.slice/libpod-$id.scope")
  run pm pause sd-pm
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  expect_eq "$(pm inspect -f '{{.State.Status}}' sd-pm)" paused "status after pause"
  expect_file "$cg/cgroup.freeze" 1
  run pm unpause sd-pm
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  expect_eq "$(pm inspect -f '{{.State.Status}}' sd-pm)" running "status after unpause"
  expect_file "$cg/cgroup.freeze" 0
}

@test "podman stats --no-stream: reads the container's cgroup (64 MiB limit)" {
  run pm stats --no-stream --format '{{.Name}} {{.MemUsage}}' sd-pm
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  [[ $output == "sd-pm "*" / 67.11MB" ]] || { echo "stats: $output" >&2; false; }
}

@test "podman rm -f: the scope unit and its cgroup are gone" {
  id=$(pm inspect -f '{{.Id}}' sd-pm)
  unit=libpod-$id.scope
  run pm rm -f -t 2 sd-pm
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  unit_gone "$unit" "/sys/fs/cgroup/machine.slice/$unit"
  run bash -c "systemctl list-units --all --plain --no-legend 'libpod-*.scope' | grep -v not-found"
  expect_eq "$output" "" "libpod scopes left"
}
