#!/usr/bin/env bats
# Docker 20.10 (dockerd + its managed containerd + the io.containerd.runc.v2 shim) driving the
# runtime under test, registered in dockerd's daemon.json as the runtime "nucleus":
#   {"runtimes": {"nucleus": {"path": "<runtime>"}}}
# and selected per container with `docker run --runtime nucleus`.
#
# RUNTIME switch: the runtime under test is $RUNTIME when set (RUNTIME=runc registers
# /usr/bin/runc under the same name "nucleus", to validate the suite itself), else $NUCLEUS_OCI
# (ctest sets it), else nucleus-oci from PATH. By hand:
#   NUCLEUS_OCI=$PWD/build/runtime/nucleus-oci NUCLEUS_SRC=$PWD NUCLEUS_BUILD=$PWD/build \
#     bats conformance/engines/docker.bats
#   RUNTIME=runc NUCLEUS_SRC=$PWD NUCLEUS_BUILD=$PWD/build bats conformance/engines/docker.bats
# DK_TRACE=1 registers a wrapper that logs every runtime argv to $DK_DIR/argv.log (printed with
# dockerd's errors when a test fails); DK_KEEP=1 keeps $DK_DIR.
#
# A private dockerd is started for this file (no systemd) with everything in one temp dir:
# --data-root, --exec-root, --pidfile, --host unix://..., --config-file; without --containerd it
# starts its own containerd whose state, root and socket are under the exec and data roots.
# Networking uses a private bridge (created here, passed with --bridge) with --iptables=false,
# --ip-masq=false and --ip-forward=false, so dockerd changes no global iptables chain, sysctl or
# docker0. The image is a busybox-static rootfs (hack/mkrootfs) imported with `docker import`.
# The docker client is /usr/bin/docker (Debian's, the same version as dockerd).
#
# If Docker cannot work here at all, setup_file prints "SKIP: <reason>" and every test skips
# with that reason (bats 1.8 turns a skip or exit 77 in setup_file into a failure).
# Every test's teardown removes its containers and fails the test if a container or a process of
# the test's containers (tagged through the env) is left; teardown_file stops dockerd and its
# containerd, checks no shim or container process is left, unmounts what is left under the temp
# dir and deletes the bridge, the cgroup parent and the temp dir.
load ../helpers/common
load docker
bats_require_minimum_version 1.5.0

setup_file() {
  dk_setup_file || return 1
  if [[ -n $DK_SKIP ]]; then echo "SKIP: $DK_SKIP" >&3; fi
  export DK_SKIP DK_NET_SKIP DK_BRIDGE DK_GW DK_PID DK_CGPARENT
}

teardown_file() { dk_teardown_file; }
setup() { dk_setup; }
teardown() { dk_teardown; }

@test "docker: the runtime is registered and used" {
  run dk info --format '{{json .Runtimes}}'
  expect_status 0
  expect_output_contains '"nucleus"'
  dk run -d --name "$N" "${RUN[@]}" "$IMG" sleep 1000
  expect_eq "$(inspect "$N" '{{.HostConfig.Runtime}}')" nucleus runtime
  # the shim's runtime --root is <exec-root>/runtime-runc/moby (dockerd 20.10 uses that name for
  # every runtime): the container's state is there
  local id
  id=$(inspect "$N" '{{.Id}}')
  run "$RUNTIME" --root "$DK_DIR/exec/runtime-runc/moby" state "$id"
  expect_status 0
  expect_eq "$(jq -r .status <<<"$output")" running status
}

@test "docker run --rm: output, and the container is removed" {
  run dk run --rm --name "$N" "${RUN[@]}" "$IMG" echo hello from docker
  expect_status 0
  expect_eq "$output" "hello from docker" output
  run dk ps -aq --filter "name=^$N\$"
  expect_eq "$output" "" "containers named $N"
}

@test "docker run: exit status propagation (0, 42, 127 for a missing binary, 126 for a non-executable)" {
  run dk run --rm "${RUN[@]}" "$IMG" true
  expect_status 0
  run dk run --rm "${RUN[@]}" "$IMG" sh -c 'exit 42'
  expect_status 42
  run -127 dk run --rm "${RUN[@]}" "$IMG" /no/such/binary
  expect_output_contains "no such file or directory"
  run -126 dk run --rm "${RUN[@]}" "$IMG" /etc/passwd
  expect_output_contains "permission denied"
}

@test "docker run -i: stdin" {
  run sh -c "printf 'line one\nline two\n' | $DK_CLI -H unix://$DK_SOCK run --rm -i ${RUN[*]} $IMG sh -c 'while read l; do echo \"got \$l\"; done'"
  expect_status 0
  expect_output_contains "got line one" "got line two"
}

@test "docker run -t: a terminal" {
  run dk_tty "run --rm -t ${RUN[*]} $IMG sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo is-a-tty; exit 3'"
  expect_status 3
  expect_output_contains /dev/pts/0 is-a-tty
}

@test "docker run -e -h -u -w: env, hostname, user, workdir" {
  run dk run --rm "${RUN[@]}" -e FOO=bar -h dockerhost -u 1000:1000 -w /tmp "$IMG" \
    sh -c 'echo "$FOO $(hostname) $(id -u):$(id -g) $(pwd)"'
  expect_status 0
  expect_eq "$output" "bar dockerhost 1000:1000 /tmp" output
}

@test "docker run -d, exec (status, -t, -u, -d), stop, rm" {
  dk run -d --name "$N" "${RUN[@]}" "$IMG" sleep 1000
  wait_state "$N" '{{.State.Status}}' running
  # the shim calls `exec --detach`: the process must outlive that call (hence the sleeps)
  run dk exec "$N" sh -c 'sleep 0.5; echo in-exec; exit 7'
  expect_status 7
  expect_eq "$output" in-exec output
  run dk exec -u 1000:1000 "$N" sh -c 'sleep 0.5; id'
  expect_status 0
  expect_output_contains "uid=1000" "gid=1000"
  run dk_tty "exec -t $N sh -c 'tty; sleep 0.5; echo after-sleep; exit 5'"
  expect_status 5
  expect_output_contains /dev/pts/ after-sleep
  run dk exec -d "$N" sh -c 'sleep 0.5; touch /tmp/exec-d-done'
  expect_status 0
  local i
  for ((i = 0; i < 50; i++)); do dk exec "$N" test -e /tmp/exec-d-done && break; sleep 0.1; done
  run dk exec "$N" test -e /tmp/exec-d-done
  expect_status 0
  run -126 dk exec "$N" /no/such/binary
  # the exec processes are gone: only sleep is left in the container
  run dk exec "$N" ps -o pid,args
  expect_status 0
  [[ $(grep -c 'sleep 1000' <<<"$output") -eq 1 ]] || fail "ps in the container: $output"
  # sleep as pid 1 ignores SIGTERM: docker stop -t 1 ends with SIGKILL
  run dk stop -t 1 "$N"
  expect_status 0
  expect_eq "$(inspect "$N" '{{.State.Status}} {{.State.ExitCode}}')" "exited 137" state
  run dk rm "$N"
  expect_status 0
  run dk ps -aq --filter "name=^$N\$"
  expect_eq "$output" "" "containers named $N"
}

@test "docker kill -s USR1: the signal reaches the container's init" {
  dk run -d --name "$N" "${RUN[@]}" "$IMG" \
    sh -c 'trap "echo got USR1" USR1; trap "echo got TERM; exit 9" TERM; echo ready; while :; do sleep 0.1; done'
  wait_logs "$N" ready
  run dk kill -s USR1 "$N"
  expect_status 0
  wait_logs "$N" "got USR1"
  expect_eq "$(inspect "$N" '{{.State.Status}}')" running "status after USR1"
  run dk kill -s TERM "$N"
  expect_status 0
  wait_state "$N" '{{.State.Status}} {{.State.ExitCode}}' "exited 9"
  wait_logs "$N" "got TERM"
}

@test "docker restart, and --restart on-failure:2" {
  dk run -d --name "$N" "${RUN[@]}" "$IMG" sh -c 'echo started; exec sleep 1000'
  wait_state "$N" '{{.State.Status}}' running
  local pid1 pid2
  pid1=$(inspect "$N" '{{.State.Pid}}')
  run dk restart -t 1 "$N"
  expect_status 0
  wait_state "$N" '{{.State.Status}}' running
  pid2=$(inspect "$N" '{{.State.Pid}}')
  [[ $pid2 -gt 0 && $pid2 != "$pid1" ]] || fail "pid before restart $pid1, after $pid2"
  [[ $(dk logs "$N" | grep -c started) -eq 2 ]] || fail "logs: $(dk logs "$N")"

  dk run -d --name "${N}b" --restart on-failure:2 "${RUN[@]}" "$IMG" sh -c 'echo run; exit 3'
  wait_state "${N}b" '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' "2 exited 3" 20
  [[ $(dk logs "${N}b" | grep -c run) -eq 3 ]] || fail "logs: $(dk logs "${N}b")"
}

@test "docker run -m: the memory limit is set, and the OOM killer's victim is reported (137, OOMKilled)" {
  dk run -d --name "$N" "${RUN[@]}" -m 32m "$IMG" sleep 1000
  wait_state "$N" '{{.State.Status}}' running
  local cg
  cg=$(host_cg "$N" memory)
  expect_eq "$(cat "$cg/memory.limit_in_bytes")" 33554432 "$cg/memory.limit_in_bytes"
  # a container sees its own cgroup (docker mounts /sys/fs/cgroup read-only)
  run dk run --rm "${RUN[@]}" -m 32m "$IMG" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
  expect_eq "$output" 33554432 "memory.limit_in_bytes in the container"

  # tail buffers an endless line: it grows until the OOM killer ends it
  run dk run --name "${N}b" "${RUN[@]}" -m 32m --memory-swap 32m "$IMG" tail /dev/zero
  expect_status 137
  expect_eq "$(inspect "${N}b" '{{.State.OOMKilled}} {{.State.ExitCode}}')" "true 137" "OOMKilled ExitCode"
}

@test "docker run --pids-limit: forks beyond the limit fail" {
  local script='cat /sys/fs/cgroup/pids/pids.max; for i in $(seq 20); do sleep 2 & done; echo all started; wait'
  run dk run --rm "${RUN[@]}" --pids-limit 10 "$IMG" sh -c "$script"
  expect_failure
  expect_output_contains "can't fork"
  [[ ${lines[0]} == 10 ]] || fail "pids.max in the container: ${lines[0]}"
  [[ $output != *"all started"* ]] || fail "20 sleeps started under pids-limit 10: $output"
  # the same with room for them
  run dk run --rm "${RUN[@]}" --pids-limit 30 "$IMG" sh -c "$script"
  expect_status 0
  expect_output_contains "all started"
}

@test "docker run --read-only: the root filesystem is read-only" {
  run dk run --rm "${RUN[@]}" --read-only "$IMG" touch /newfile
  expect_failure
  expect_output_contains "Read-only file system"
  # /dev/shm and the volume-like mounts docker adds stay writable
  run dk run --rm "${RUN[@]}" --read-only "$IMG" sh -c 'touch /dev/shm/x && grep " / " /proc/mounts'
  expect_status 0
  expect_output_contains " ro,"
}

@test "docker run --cap-drop ALL: no capabilities" {
  run dk run --rm "${RUN[@]}" --cap-drop ALL "$IMG" grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status
  expect_status 0
  expect_output_contains "CapEff:	0000000000000000" "CapPrm:	0000000000000000" "CapBnd:	0000000000000000"
  run dk run --rm "${RUN[@]}" --cap-drop ALL "$IMG" chown 1000 /tmp
  expect_failure
  expect_output_contains "Operation not permitted"
  # the default set, for comparison: CAP_CHOWN is in it
  run dk run --rm "${RUN[@]}" "$IMG" chown 1000 /tmp
  expect_status 0
}

@test "docker run --security-opt seccomp=FILE: the denied syscall fails with EPERM, the rest works" {
  cat >"$BATS_TEST_TMPDIR/seccomp.json" <<'EOF'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"],
  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]
}
EOF
  run dk run --rm "${RUN[@]}" --security-opt "seccomp=$BATS_TEST_TMPDIR/seccomp.json" "$IMG" \
    sh -c 'grep ^Seccomp: /proc/self/status; echo works; touch /tmp/file && echo touched; mkdir /tmp/dir'
  expect_failure
  expect_output_contains "works" "touched" "mkdir: can't create directory '/tmp/dir': Operation not permitted"
  [[ $(grep '^Seccomp:' <<<"$output" | awk '{print $2}') == 2 ]] || fail "$output"
  run dk run --rm "${RUN[@]}" "$IMG" mkdir /tmp/dir
  expect_status 0
}

@test "docker run -v, --tmpfs, --shm-size: mounts" {
  mkdir "$BATS_TEST_TMPDIR/vol"
  echo from-host >"$BATS_TEST_TMPDIR/vol/in"
  run dk run --rm "${RUN[@]}" -v "$BATS_TEST_TMPDIR/vol:/data" -v "$BATS_TEST_TMPDIR/vol:/rodata:ro" \
    --tmpfs /scratch:size=1m --shm-size 8m "$IMG" \
    sh -c 'cat /data/in; echo from-container > /data/out; touch /rodata/x 2>&1; grep -E " /(scratch|dev/shm|rodata) " /proc/mounts'
  expect_status 0
  expect_output_contains from-host "Read-only file system" "/scratch tmpfs rw" "size=1024k" "/dev/shm" "size=8192k"
  [[ $(grep ' /rodata ' <<<"$output") == *" ro,"* ]] || fail "/rodata: $output"
  expect_eq "$(cat "$BATS_TEST_TMPDIR/vol/out")" from-container "the file written through the bind mount"
}

@test "docker run --ulimit, --oom-score-adj, no-new-privileges: process attributes" {
  run dk run --rm "${RUN[@]}" --ulimit nofile=100:200 --oom-score-adj 123 \
    --security-opt no-new-privileges "$IMG" \
    sh -c 'ulimit -Sn; ulimit -Hn; cat /proc/self/oom_score_adj; grep ^NoNewPrivs: /proc/self/status'
  expect_status 0
  expect_eq "$(echo $output)" "100 200 123 NoNewPrivs: 1" "nofile soft, hard, oom_score_adj, NoNewPrivs"
}

@test "docker run --privileged: every capability, the host's devices, writable /sys" {
  # docker asks for every capability the kernel knows; a host whose root lacks one of them in its
  # bounding set (e.g. a sandbox without CAP_SYS_RESOURCE) fails with any runtime
  local last want have
  last=$(cat /proc/sys/kernel/cap_last_cap)
  want=$(printf '%016x' $(((1 << (last + 1)) - 1)))
  have=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
  [[ $have == "$want" ]] || skip "root's bounding set here is $have, not all of $want: docker run --privileged fails with runc too (unable to apply caps)"
  run dk run --rm "${RUN[@]}" --privileged "$IMG" sh -c 'grep ^CapEff: /proc/self/status; ls /dev | wc -l; grep " /sys " /proc/mounts'
  expect_status 0
  expect_eq "${lines[0]}" "CapEff:	$want" CapEff
  [[ ${lines[1]} -gt 20 ]] || fail "only ${lines[1]} entries in /dev of a privileged container"
  expect_output_contains " /sys sysfs rw"
}

@test "docker run --network none: only lo" {
  run dk run --rm "${RUN[@]}" --network none "$IMG" sh -c 'ls /sys/class/net'
  expect_status 0
  expect_eq "$(echo $output)" lo interfaces
}

@test "docker run on the default bridge network: eth0 with an address, the gateway answers" {
  [[ -z ${DK_NET_SKIP:-} ]] || skip "$DK_NET_SKIP"
  run dk run --rm "${RUN[@]}" "$IMG" sh -c 'ip -4 -o addr show eth0; ip route; ping -c 1 -W 3 $(ip route | awk "/^default/ {print \$3}")'
  expect_status 0
  expect_output_contains "inet ${DK_GW%.1}." "default via $DK_GW" "1 packets received"
  run dk network inspect bridge -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}'
  expect_eq "$output" "$DK_GW" "bridge gateway"
}

@test "docker pause, unpause" {
  dk run -d --name "$N" "${RUN[@]}" "$IMG" sh -c 'i=0; while :; do i=$((i + 1)); echo tick $i; sleep 0.1; done'
  wait_logs "$N" "tick 2"
  run dk pause "$N"
  expect_status 0
  expect_eq "$(inspect "$N" '{{.State.Status}} {{.State.Paused}}')" "paused true" state
  local cg
  cg=$(host_cg "$N" freezer)
  expect_eq "$(cat "$cg/freezer.state")" FROZEN "$cg/freezer.state"
  run dk exec "$N" true
  expect_failure
  local p1 p2
  p1=$(dk logs "$N" | tail -1)
  sleep 0.5
  p2=$(dk logs "$N" | tail -1)
  expect_eq "$p2" "$p1" "the last line of output while paused"
  run dk unpause "$N"
  expect_status 0
  expect_eq "$(inspect "$N" '{{.State.Status}} {{.State.Paused}}')" "running false" state
  expect_eq "$(cat "$cg/freezer.state")" THAWED "$cg/freezer.state"
  # the loop runs again (its output, not exec: exec has its own test)
  local t1 t2
  t1=$(dk logs "$N" | tail -1)
  sleep 0.5
  t2=$(dk logs "$N" | tail -1)
  [[ ${t2#tick } -gt ${t1#tick } ]] || fail "the loop does not run after unpause: $t1 then $t2"
}

@test "docker top: the container's processes" {
  dk run -d --name "$N" "${RUN[@]}" "$IMG" sh -c 'sleep 1001 & exec sleep 1000'
  wait_state "$N" '{{.State.Status}}' running
  local i
  for ((i = 0; i < 20; i++)); do
    run dk top "$N"
    [[ $output == *"sleep 1001"* ]] && break
    sleep 0.1
  done
  expect_status 0
  expect_output_contains "sleep 1000" "sleep 1001"
  [[ ${#lines[@]} -eq 3 ]] || fail "expected a header and 2 processes: $output"
}

@test "docker stats --no-stream: memory and pids of the container" {
  dk run -d --name "$N" "${RUN[@]}" "$IMG" sh -c 'sleep 1001 & exec sleep 1000'
  wait_state "$N" '{{.State.Status}}' running
  run dk stats --no-stream --format '{{.Name}} {{.PIDs}} {{.MemUsage}}' "$N"
  expect_status 0
  [[ $output =~ ^$N\ 2\ [0-9.]+[KMG]i?B\ / ]] || fail "stats: $output"
}

@test "docker update: new memory and pids limits reach the running container" {
  dk run -d --name "$N" "${RUN[@]}" -m 64m --memory-swap 64m --pids-limit 50 "$IMG" sleep 1000
  wait_state "$N" '{{.State.Status}}' running
  run dk update -m 48m --memory-swap 48m --pids-limit 30 "$N"
  expect_status 0
  expect_eq "$(cat "$(host_cg "$N" memory)/memory.limit_in_bytes")" 50331648 memory.limit_in_bytes
  expect_eq "$(cat "$(host_cg "$N" pids)/pids.max")" 30 pids.max
}

@test "docker wait, logs, and a second start of an exited container" {
  dk run -d --name "$N" "${RUN[@]}" "$IMG" sh -c 'echo out; echo err >&2; exit 4'
  run dk wait "$N"
  expect_eq "$output" 4 "docker wait"
  run dk logs "$N"
  expect_output_contains out err
  run dk start -a "$N"
  expect_status 4
  [[ $(dk logs "$N" 2>&1 | grep -c out) -eq 2 ]] || fail "logs: $(dk logs "$N" 2>&1)"
}
