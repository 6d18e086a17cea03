#!/usr/bin/env bats
# Podman (Debian's 4.3) checkpoint/restore with the runtime under test (registered as in
# podman.bats), on the booted systemd VM where Debian's CRIU 3.17.1 can dump (hack/vm/run-systemd):
# `podman container checkpoint` / `restore`, and `--export` / `--import` (the container moved
# through a tarball). The container counts in /tmp/count; a restored one goes on from there.

load lib

pm() { timeout "$T" podman "$@"; }

setup_file() {
  [[ -d /run/systemd/system && -x ${RUNTIME:-} ]] || return 0
  mkdir -p /etc/containers
  printf '[engine]\nruntime = "test-rt"\n\n[engine.runtimes]\ntest-rt = ["%s"]\n' "$RUNTIME" \
    >/etc/containers/containers.conf
  timeout 120 podman load -i "$PAYLOAD/image.tar" >/dev/null
}

setup() {
  sd_require
  command -v criu >/dev/null || skip "criu is not installed in this VM"
  timeout 60 criu check >/dev/null 2>&1 || skip "criu check fails on this kernel ($(uname -r))"
}

teardown_file() {
  timeout 60 podman rm -af -t 0 >/dev/null 2>&1 || true
}

# count NAME: the counter inside the container
count() {
  local v
  v=$(pm exec "$1" cat /tmp/count 2>/dev/null)
  echo "${v:-0}"
}

wait_count() {
  local i
  for ((i = 0; i < 50; i++)); do
    [[ $(count "$1") -ge $2 ]] && return 0
    sleep 0.2
  done
  echo "$1: the counter is at $(count "$1"), not $2" >&2
  return 1
}

start_counter() {
  run pm run -d --name "$1" "$IMG" sh -c \
    'i=0; while true; do i=$((i+1)); echo $i > /tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.2; done'
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
}

@test "podman container checkpoint / restore: the container stops, then goes on counting" {
  start_counter pm-cr
  wait_count pm-cr 3
  run pm container checkpoint pm-cr
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  expect_eq "$(pm inspect -f '{{.State.Status}}' pm-cr)" exited "status after checkpoint"
  run pm container restore pm-cr
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  expect_eq "$(pm inspect -f '{{.State.Status}}' pm-cr)" running "status after restore"
  n=$(count pm-cr)
  [[ $n -ge 3 ]] || { echo "counter restarted: $n" >&2; false; }
  wait_count pm-cr $((n + 3))
}

@test "podman container checkpoint --export / restore --import: the container moved through a tarball" {
  start_counter pm-ex
  wait_count pm-ex 3
  run pm container checkpoint --export "$BATS_TEST_TMPDIR/pm-ex.tar.gz" pm-ex
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  [[ -s $BATS_TEST_TMPDIR/pm-ex.tar.gz ]]
  pm rm -f pm-ex >/dev/null
  run pm container restore --import "$BATS_TEST_TMPDIR/pm-ex.tar.gz"
  [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
  expect_eq "$(pm inspect -f '{{.State.Status}}' pm-ex)" running "status after restore --import"
  n=$(count pm-ex)
  [[ $n -ge 3 ]] || { echo "counter restarted: $n" >&2; false; }
  wait_count pm-ex $((n + 3))
}
