#!/usr/bin/env bats
# runtime-tools' cgroup validations (opencontainers/runtime-tools, validation/linux_cgroups_*.t and
# delete_resources.t) on a pure cgroup v2 host booted with systemd (hack/vm/run-systemd): they use
# the runtime's cgroupfs driver (no --systemd-cgroup; cgroupsPath /cgrouptest...), so they show
# which cgroup files pass here that fail on the hybrid development host for host reasons.
# Optional: run-systemd copies the binaries (+ runtimetest and rootfs-amd64.tar.gz) into the
# payload when a runtime-tools build is at /opt/runtime-tools; else every test skips.

load lib

RTT=$PAYLOAD/runtime-tools

# runtime-tools' cgroups package reads cgroup v1 only: on a pure v2 host every cgroup
# validation's assertion fails with "cgroupv2 is not supported yet" whatever the runtime (seen
# with runc 1.1.5 and crun 1.8.1). One probe decides, instead of ~10 s per file for nothing.
setup_file() {
  [[ -x $RTT/linux_cgroups_pids.t && -x ${RUNTIME:-} ]] || return 0
  (cd "$RTT" && RUNTIME=$RUNTIME TMPDIR=$BATS_FILE_TMPDIR timeout -k 10 120 ./linux_cgroups_pids.t) \
    >"$BATS_FILE_TMPDIR/probe.tap" 2>&1 </dev/null
  if grep -q 'cgroupv2 is not supported yet' "$BATS_FILE_TMPDIR/probe.tap"; then
    export RTT_NO_V2="runtime-tools cannot validate cgroup v2 (linux_cgroups_pids.t: $(grep -m1 '^not ok' "$BATS_FILE_TMPDIR/probe.tap"): cgroupv2 is not supported yet)"
  elif grep -q 'unknown version specified' "$BATS_FILE_TMPDIR/probe.tap"; then
    # crun 1.8.1 refuses the ociVersion runtime-tools writes (1.3.0): nothing can run at all
    export RTT_NO_V2="$RUNTIME_NAME refuses runtime-tools' config.json: unknown version specified"
  fi
}

setup() {
  [[ -z ${RTT_NO_V2:-} ]] || skip "$RTT_NO_V2"
  [[ -x ${RUNTIME:-} ]] || skip "RUNTIME (${RUNTIME:-unset}) is not executable"
  [[ -x $RTT/runtimetest && -f $RTT/rootfs-amd64.tar.gz ]] ||
    skip "no runtime-tools build in the payload (build one at /opt/runtime-tools on the host)"
}

# rtt NAME: run NAME.t from the payload (cwd: runtimetest and the rootfs tarball are there),
# every TAP line on stderr; fails on a "not ok", a non-zero exit or no "ok" at all
rtt() {
  [[ -x $RTT/$1.t ]] || skip "$1.t not built"
  local out=$BATS_TEST_TMPDIR/$1.tap rc=0
  (cd "$RTT" && RUNTIME=$RUNTIME TMPDIR=$BATS_TEST_TMPDIR timeout -k 10 120 "./$1.t") \
    >"$out" 2>&1 </dev/null || rc=$?
  sed "s/^/  $1: /" "$out" >&2
  [[ $rc -eq 0 ]] && grep -q '^ok ' "$out" && ! grep -q '^not ok ' "$out"
}

@test "linux_cgroups_blkio" {
  rtt linux_cgroups_blkio
}

@test "linux_cgroups_cpus" {
  rtt linux_cgroups_cpus
}

@test "linux_cgroups_devices" {
  rtt linux_cgroups_devices
}

@test "linux_cgroups_hugetlb" {
  rtt linux_cgroups_hugetlb
}

@test "linux_cgroups_memory" {
  rtt linux_cgroups_memory
}

@test "linux_cgroups_network" {
  rtt linux_cgroups_network
}

@test "linux_cgroups_pids" {
  rtt linux_cgroups_pids
}

@test "linux_cgroups_relative_blkio" {
  rtt linux_cgroups_relative_blkio
}

@test "linux_cgroups_relative_cpus" {
  rtt linux_cgroups_relative_cpus
}

@test "linux_cgroups_relative_devices" {
  rtt linux_cgroups_relative_devices
}

@test "linux_cgroups_relative_hugetlb" {
  rtt linux_cgroups_relative_hugetlb
}

@test "linux_cgroups_relative_memory" {
  rtt linux_cgroups_relative_memory
}

@test "linux_cgroups_relative_network" {
  rtt linux_cgroups_relative_network
}

@test "linux_cgroups_relative_pids" {
  rtt linux_cgroups_relative_pids
}

@test "delete_resources" {
  rtt delete_resources
}
