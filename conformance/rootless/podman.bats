#!/usr/bin/env bats
# Rootless Podman (issue #16) with the runtime under test as the user's OCI runtime: an image
# imported offline (the busybox rootfs the suites use) into the user's own storage, then run,
# --rm, slirp4netns networking, exec, exec -it, stop and rm, as that user. Podman runs the
# runtime as root of its own user namespace (its pause process), with the user's subordinate ids.
load ../helpers/common
load rootless

pm() {
  as_user "$RL_USER" podman --cgroup-manager=cgroupfs --events-backend=file --runtime "$RUNTIME" "$@"
}

setup_file() {
  rootless_setup_file
  [[ -n ${RUNTIME:-} ]] || return 0
  PM_SKIP=
  # A fresh machine: what rootless Podman needs, as engines/podman.bash installs its own.
  local missing=() c
  for c in podman slirp4netns; do command -v $c >/dev/null || missing+=($c); done
  if [[ ${#missing[@]} -gt 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" \
      >/dev/null 2>&1 || true
  fi
  command -v podman >/dev/null || PM_SKIP="podman is not installed"
  command -v slirp4netns >/dev/null || PM_SKIP="${PM_SKIP:-slirp4netns is not installed}"
  export PM_SKIP
  [[ -z $PM_SKIP ]] || return 0
  local tar=$RL_WORK/home-$RL_USER/rootfs.tar
  tar -C "$TEMPLATE/rootfs" -cf "$tar" .
  chown "$RL_USER:$RL_USER" "$tar"
  pm import "$tar" localhost/nucleus-busybox >/dev/null || return 1
}

setup() {
  rootless_setup
  [[ -z ${PM_SKIP:-} ]] || skip "SKIP: $PM_SKIP"
}

teardown() {
  [[ -n ${PM_SKIP:-} ]] || pm rm -af >/dev/null 2>&1 || true
  rootless_teardown
}

@test "rootless podman: run --rm, with slirp4netns" {
  run pm run --rm --network slirp4netns localhost/nucleus-busybox sh -c 'id -u; ip -o link | grep -c tap0'
  expect_status 0
  expect_eq "$(tr '\n' ' ' <<<"$output")" "0 1 " "uid and tap0 in the container"
  run pm ps -aq
  expect_eq "$output" "" "containers left after --rm"
}

@test "rootless podman: run -d, exec, exec -it, stop, rm" {
  run pm run -d --name "$ID" --network none localhost/nucleus-busybox sleep 1000
  expect_status 0
  run pm exec "$ID" sh -c 'echo exec-ok; cat /proc/self/uid_map | wc -l'
  expect_status 0
  expect_eq "$(tr '\n' ' ' <<<"$output")" "exec-ok 2 " "exec output (own id + subuid range)"
  run in_tty runuser -u "$RL_USER" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    HOME="$RL_WORK/home-$RL_USER" USER="$RL_USER" XDG_RUNTIME_DIR="$RL_WORK/xdg-$RL_USER" \
    podman --cgroup-manager=cgroupfs --events-backend=file --runtime "$RUNTIME" \
    exec -it "$ID" sh -c 'tty; echo it-ok'
  expect_status 0
  expect_output_contains "/dev/pts/" "it-ok"
  run pm stop -t 1 "$ID"
  expect_status 0
  run pm ps -a --format '{{.Names}} {{.State}}'
  expect_output_contains "$ID Exited"
  run pm rm "$ID"
  expect_status 0
  run pm ps -aq
  expect_eq "$output" "" "containers left after rm"
}
