#!/usr/bin/env bats
# containerd 1.6 (ctr + the io.containerd.runc.v2 shim) driving the runtime under test.
#
# A private containerd is started for this file (no systemd): config, root, state and sockets in a
# temp dir, the CRI plugin disabled, the overlayfs snapshotter. The image comes from hack/mkimage
# (busybox-static, built offline) and is imported with `ctr image import`. Every ctr call is
#   ctr --address <private socket> -n nucleus-test ...
# and every container runs with `ctr run --runc-binary <runtime>`, so the shim calls the runtime
# with `--root /run/containerd/runc/nucleus-test --log <bundle>/log.json --log-format json`.
#
# RUNTIME switch: the runtime under test is $RUNTIME when set (RUNTIME=runc runs the whole suite
# against /usr/bin/runc, to validate the suite itself), else $NUCLEUS_OCI (ctest sets it), else
# nucleus-oci from PATH. By hand:
#   NUCLEUS_OCI=$PWD/build/runtime/nucleus-oci NUCLEUS_SRC=$PWD NUCLEUS_BUILD=$PWD/build \
#     bats conformance/engines/containerd.bats
#   RUNTIME=runc NUCLEUS_SRC=$PWD NUCLEUS_BUILD=$PWD/build bats conformance/engines/containerd.bats
#
# Not tested, on purpose: the "default bridge network". Without the CRI plugin containerd has no
# network setup at all; a container gets its own network namespace with only lo (tested), or
# the host's with --net-host (tested). `ctr run --cni` would need CNI plugins and a config in
# /etc/cni/net.d, a CNI concern rather than a runtime one.
# ctr 1.6 has no --user/--hostname/--pids-limit for `run`: those tests give ctr a whole OCI spec
# with --config (generated from `ctr oci spec`), which is also how the custom seccomp profile and
# the empty capability sets are tested besides ctr's own flags.
#
# Every test's teardown removes its containers and then fails the test if anything is left: a
# task, a container, a bundle under the private state dir, a state dir under the runtime root,
# a shim, a mount, a cgroup, or a process of the test's containers.
load ../helpers/common
load containerd

IMAGE_NAME=nucleus-busybox:latest
IMAGE=docker.io/library/nucleus-busybox:latest
RUNC_ROOT=/run/containerd/runc/nucleus-test

setup_file() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "SKIP: conformance tests need root" >&3
    return 0
  fi
  local pkg
  for pkg in containerd:containerd script:bsdutils jq:jq; do
    command -v "${pkg%%:*}" >/dev/null && continue
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkg#*:}" >/dev/null 2>&1 ||
      { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkg#*:}" >/dev/null; } ||
      { echo "cannot install ${pkg#*:}" >&2; return 1; }
  done
  RUNTIME=$(find_runtime) || return 1
  RUNTIME_NAME=$("$RUNTIME" --version 2>/dev/null | awk 'NR==1 {print $1}')
  [[ -n $RUNTIME_NAME ]] || RUNTIME_NAME=$(basename "$RUNTIME")
  ROOTFS_CACHE=${NUCLEUS_BUILD:-/tmp}/rootfs-cache
  export RUNTIME RUNTIME_NAME ROOTFS_CACHE
  # a short path: containerd's sockets live there (AF_UNIX paths are limited to 107 bytes)
  CD_DIR=$(mktemp -d /tmp/containerd-nucleus.XXXXXX)
  export CD_DIR
  cd_start "$CD_DIR" || return 1
  IMAGE_ID=$(NUCLEUS_BUILD=${NUCLEUS_BUILD:-} "$NUCLEUS_SRC/hack/mkimage" "$CD_DIR/image.tar" --name "$IMAGE_NAME") ||
    return 1
  export IMAGE_ID
  ctr_ image import "$CD_DIR/image.tar" >/dev/null || return 1
}

teardown_file() {
  [[ -n ${CD_DIR:-} ]] || return 0
  local rc=0 c
  if [[ -S ${CD_SOCK:-} ]]; then
    # anything a failed test left
    for c in $(ctr_ task ls -q 2>/dev/null); do ctr_ task kill -s SIGKILL "$c" >/dev/null 2>&1; done
    for c in $(ctr_ task ls -q 2>/dev/null); do ctr_ task rm -f "$c" >/dev/null 2>&1; done
    for c in $(ctr_ container ls -q 2>/dev/null); do ctr_ container rm "$c" >/dev/null 2>&1; done
    for c in $(ctr_ image ls -q 2>/dev/null); do ctr_ image rm "$c" >/dev/null 2>&1; done
  fi
  cd_stop || rc=1
  # parents the runtimes leave behind (runc never removes them either), only when empty
  rmdir "$RUNC_ROOT" 2>/dev/null || true
  for c in /sys/fs/cgroup/*/nucleus-test; do [[ -d $c ]] && rmdir "$c" 2>/dev/null; done
  return $rc
}

setup() {
  [[ $(id -u) -eq 0 ]] || skip "conformance tests need root"
  # containerd ids: [A-Za-z0-9_.-]; unique per run and test; $ID is also the tag in the env
  ID=ctd$$t$BATS_TEST_NUMBER
  TAG=NUCLEUS_CONFORMANCE_TAG=$ID
  # the flags every `ctr run` gets: the runtime under test, and the tag for the leak check
  RUN=(--runc-binary "$RUNTIME" --env "$TAG")
  BUNDLE=$CD_DIR/state/io.containerd.runtime.v2.task/$CD_NS/$ID
  export ID TAG BUNDLE
}

teardown() {
  [[ $(id -u) -eq 0 ]] || return 0
  local c rc=0
  for c in $(our_tasks); do ctr_ task kill -a -s SIGKILL "$c" >/dev/null 2>&1 || true; done
  for c in $(our_tasks); do ctr_ task rm -f "$c" >/dev/null 2>&1 || true; done
  for c in $(ctr_ container ls -q 2>/dev/null | grep "^$ID" || true); do
    ctr_ container rm "$c" >/dev/null 2>&1 || true
  done
  check_clean || rc=1
  return $rc
}

our_tasks() { ctr_ task ls -q 2>/dev/null | grep "^$ID" || true; }

# check_clean: nothing of this test's containers is left (waits up to 5 s for shims to exit)
check_clean() {
  local i left
  for ((i = 0; i < 50; i++)); do
    left=$(leftovers)
    [[ -z $left ]] && return 0
    sleep 0.1
  done
  echo "LEAK after test $ID:" >&2
  echo "$left" >&2
  # clean what can be cleaned so that the next tests start clean
  for i in $(tagged_processes); do kill -KILL "$i" 2>/dev/null || true; done
  for i in "$RUNC_ROOT/$ID"*; do [[ -e $i ]] && rm -rf "$i"; done
  return 1
}

tagged_processes() {
  grep -lzE "^NUCLEUS_CONFORMANCE_TAG=${ID}[a-z]?\$" /proc/[0-9]*/environ 2>/dev/null |
    while read -r f; do
      f=${f#/proc/}
      f=${f%%/*}
      [[ $(awk '{print $3}' "/proc/$f/stat" 2>/dev/null) == Z ]] || echo "$f"
    done
}

leftovers() {
  local t c p
  t=$(our_tasks)
  [[ -z $t ]] || echo "tasks: $t"
  c=$(ctr_ container ls -q 2>/dev/null | grep "^$ID" || true)
  [[ -z $c ]] || echo "containers: $c"
  ls -d "$RUNC_ROOT/$ID"* 2>/dev/null | sed 's/^/runtime state: /'
  ls -d "$CD_DIR/runc-root/$CD_NS/$ID"* 2>/dev/null | sed 's/^/runtime state: /'
  ls -d "$BUNDLE"* 2>/dev/null | sed 's/^/bundle: /'
  grep -F "$BUNDLE" /proc/self/mountinfo | sed 's/^/mount: /'
  p=$(shims_of "$CD_DIR")
  [[ -z $p ]] || echo "shims: $p"
  p=$(tagged_processes)
  [[ -z $p ]] || echo "processes: $p"
  find /sys/fs/cgroup/*/nucleus-test -maxdepth 1 -type d -name "$ID*" 2>/dev/null | sed 's/^/cgroup: /'
}

# task_status ID: the STATUS column of `ctr task ls` (RUNNING, STOPPED, PAUSED...), or none
task_status() {
  local s
  s=$(ctr_ task ls 2>/dev/null | awk -v id="$1" '$1 == id {print $3}')
  echo "${s:-none}"
}

# task_pid ID
task_pid() { ctr_ task ls 2>/dev/null | awk -v id="$1" '$1 == id {print $2}'; }

# wait_task ID STATUS [TIMEOUT-SECONDS=5]
wait_task() { poll_eq "${3:-5}" "$2" "task $1: status" task_status "$1"; }

# run_d [CTR-FLAGS... --] COMMAND...: ctr run -d with the common flags and FLAGS, the image, $ID
# and COMMAND; waits for RUNNING
run_d() {
  local flags=()
  if [[ " $* " == *" -- "* ]]; then
    while [[ $1 != -- ]]; do flags+=("$1"); shift; done
    shift
  fi
  ctr_ run -d "${RUN[@]}" "${flags[@]}" "$IMAGE" "$ID" "$@" </dev/null
  wait_task "$ID" RUNNING
}

# stop_and_remove ID: SIGKILL, wait for STOPPED, task rm, container rm
stop_and_remove() {
  ctr_ task kill -s SIGKILL "$1"
  wait_task "$1" STOPPED
  ctr_ task rm "$1" >/dev/null 2>&1
  ctr_ container rm "$1"
}

# stop_and_remove_task: SIGKILL $ID, wait for STOPPED, task rm (the container stays)
stop_and_remove_task() {
  [[ $(task_status "$ID") == STOPPED ]] || ctr_ task kill -s SIGKILL "$ID"
  wait_task "$ID" STOPPED
  ctr_ task rm "$ID" >/dev/null 2>&1
}

# in_tty 'COMMAND LINE': run it under a pseudo-terminal (script from util-linux); \r removed
in_tty() {
  script -qec "$1" /dev/null </dev/null | tr -d '\r'
  return "${PIPESTATUS[0]}"
}

# ctr_cmdline: the ctr prefix as a shell string, for in_tty
ctr_cmdline() { printf 'ctr --address %q -n %q' "$CD_SOCK" "$CD_NS"; }

# make_spec OUT [JQ-FILTER [JQ-ARGS...]]: a full OCI spec for `ctr run --config OUT`, from
# `ctr oci spec` (containerd's default spec) with a private copy of the busybox rootfs as
# root.path, the image's PATH, the leak tag, and cgroupsPath /nucleus-test/$ID; then FILTER.
make_spec() {
  local out=$1 filter=${2:-.}
  shift 2 || shift $#
  local rootfs=$BATS_TEST_TMPDIR/rootfs
  if [[ ! -d $rootfs ]]; then
    "$NUCLEUS_SRC/hack/mkrootfs" "$ROOTFS_CACHE" && cp -a "$ROOTFS_CACHE" "$rootfs"
  fi
  ctr oci spec | jq --arg root "$rootfs" --arg tag "$TAG" --arg cg "/$CD_NS/$ID" '
    .root.path = $root | .linux.cgroupsPath = $cg |
    .process.env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", $tag] |
    .process.args = ["sh"]' | jq "$@" "$filter" > "$out"
}

# ---- image -------------------------------------------------------------------------------------
@test "image: hack/mkimage's archive is imported by ctr, and mkimage is deterministic" {
  run ctr_ image ls
  expect_status 0
  expect_output_contains "$IMAGE" "linux/amd64"
  # the same rootfs gives the same image id and the same archive bytes
  run env NUCLEUS_BUILD="${NUCLEUS_BUILD:-}" "$NUCLEUS_SRC/hack/mkimage" "$BATS_TEST_TMPDIR/again.tar" --name "$IMAGE_NAME"
  expect_status 0
  expect_eq "$output" "$IMAGE_ID" "image id"
  expect_eq "$(sha256sum < "$BATS_TEST_TMPDIR/again.tar")" "$(sha256sum < "$CD_DIR/image.tar")" "archive digest"
  # the image config containerd recorded: Cmd sh, the PATH env
  run ctr_ run --rm "${RUN[@]}" "$IMAGE" "$ID" sh -c 'echo "PATH=$PATH"; cat /etc/hostname'
  expect_status 0
  expect_output_contains "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" rootfs
}

# ---- run ---------------------------------------------------------------------------------------
@test "run --rm: output, then container, task, shim, bundle and runtime state are gone" {
  run ctr_ run --rm "${RUN[@]}" "$IMAGE" "$ID" sh -c 'echo hello from $(cat /proc/1/comm)'
  expect_status 0
  expect_output_contains "hello from sh"
  run ctr_ container ls -q
  [[ $output != *"$ID"* ]] || fail "container still listed: $output"
  [[ -z $(leftovers) ]] || fail "left after run --rm: $(leftovers)"
}

@test "run: exit status propagates (0, 3, 42, 137 for SIGKILL)" {
  local code
  for code in 0 3 42; do
    run ctr_ run --rm "${RUN[@]}" "$IMAGE" "$ID" sh -c "exit $code"
    expect_status "$code"
  done
  # killed from outside (pid 1 cannot SIGKILL itself): 128 + 9
  ctr_ run --rm "${RUN[@]}" "$IMAGE" "$ID" sleep 1000 </dev/null >/dev/null 2>&1 &
  local ctr_pid=$! rc=0
  wait_task "$ID" RUNNING
  ctr_ task kill -s SIGKILL "$ID"
  wait "$ctr_pid" || rc=$?
  expect_eq "$rc" 137 "ctr run's exit status"
}

@test "run: 3 x 20 quick runs in parallel all report their exit status (create/start race)" {
  # the init must survive from `create` to `start` however the runtime's processes are scheduled
  # (three loops at once: more scheduling pressure, the race shows more often)
  local l pids=() bad
  for l in a b c; do
    (
      for ((i = 0; i < 20; i++)); do
        rc=0
        out=$(ctr_ run --rm "${RUN[@]}" "$IMAGE" "$ID$l" sh -c 'exit 3' </dev/null 2>&1) || rc=$?
        [[ $rc -eq 3 ]] || echo "loop $l run $i: status $rc: $out"
      done > "$BATS_TEST_TMPDIR/loop.$l"
    ) &
    pids+=($!)
  done
  wait "${pids[@]}"
  bad=$(cat "$BATS_TEST_TMPDIR"/loop.?)
  [[ -z $bad ]] || fail "$(grep -c . <<<"$bad") of 60 runs failed:"$'\n'"$bad"
}

@test "run: a missing executable fails with the runtime's error text (log.json)" {
  run ctr_ run --rm "${RUN[@]}" "$IMAGE" "$ID" /no/such/binary
  expect_failure
  # containerd shows the last "error" record of <bundle>/log.json
  [[ $output == *"no such file or directory"* || $output == *"executable file not found"* ]] ||
    fail "unexpected error text: $output"
  expect_output_contains "/no/such/binary"
}

@test "run: stdin is passed to the container, EOF included" {
  # (the delay: ctr 1.6 forwards stdin's EOF only when it comes after the task was created)
  run bash -c "{ sleep 1; printf 'one\ntwo\nthree\nfour\n'; } | $(ctr_cmdline) run --rm ${RUN[*]} $IMAGE $ID sh -c 'read a; read b; echo \"got:\$a:\$b\"; wc -l'"
  expect_status 0
  expect_output_contains "got:one:two"
  [[ $output =~ (^|$'\n')2($'\n'|$) ]] || fail "expected 2 more lines counted: $output"
}

@test "run -t: the process gets a terminal (under script)" {
  run in_tty "$(ctr_cmdline) run -t --rm --runc-binary $RUNTIME --env $TAG $IMAGE $ID sh -c 'tty; test -t 0 && test -t 1 && echo both-tty; stty size; exit 5'"
  expect_status 5
  expect_output_contains "/dev/pts/0" "both-tty"
}

@test "run --env: variables are set next to the image's" {
  run ctr_ run --rm "${RUN[@]}" --env FOO=bar --env 'SPACED=a b  c' "$IMAGE" "$ID" sh -c 'echo "FOO=$FOO"; echo "SPACED=$SPACED"; echo "PATH=$PATH"'
  expect_status 0
  expect_output_contains "FOO=bar" "SPACED=a b  c" "PATH=/usr/local/sbin:"
}

@test "run --cwd: the working directory (default: the image's /)" {
  run ctr_ run --rm "${RUN[@]}" --cwd /home/test "$IMAGE" "$ID" pwd
  expect_status 0
  expect_eq "$output" /home/test cwd
  run ctr_ run --rm "${RUN[@]}" --cwd /newdir "$IMAGE" "$ID" pwd
  expect_status 0
  expect_eq "$output" /newdir "cwd created on demand"
  run ctr_ run --rm "${RUN[@]}" "$IMAGE" "$ID" pwd
  expect_status 0
  expect_eq "$output" / "default cwd"
}

@test "hostname: a separate UTS namespace by default; spec hostname applied (--config)" {
  # ctr 1.6 has no --hostname: the default spec has a new UTS namespace and no hostname, so the
  # container keeps the host's name (in its own namespace; without CAP_SYS_ADMIN it cannot
  # change it)
  local host_uts host_name
  host_uts=$(readlink /proc/self/ns/uts)
  host_name=$(hostname)
  run ctr_ run --rm "${RUN[@]}" "$IMAGE" "$ID" sh -c 'readlink /proc/self/ns/uts; hostname'
  expect_status 0
  [[ ${lines[0]} == uts:* && ${lines[0]} != "$host_uts" ]] || fail "not a new UTS namespace: $output"
  expect_eq "${lines[1]}" "$host_name" "default hostname"
  make_spec "$BATS_TEST_TMPDIR/spec.json" '.hostname = "nucleus-ctr" | .process.args = ["hostname"]'
  run ctr_ run --rm --runc-binary "$RUNTIME" --config "$BATS_TEST_TMPDIR/spec.json" "$ID"
  expect_status 0
  expect_eq "$output" nucleus-ctr hostname
}

@test "user: uid, gid and additional gids from the spec (--config; ctr run has no --user)" {
  make_spec "$BATS_TEST_TMPDIR/spec.json" '.process.user = {uid: 1000, gid: 1000, additionalGids: [65534]} |
    .process.args = ["sh", "-c", "id; touch /root/x"]'
  run ctr_ run --rm --runc-binary "$RUNTIME" --config "$BATS_TEST_TMPDIR/spec.json" "$ID"
  expect_status 1
  expect_output_contains "uid=1000(test) gid=1000(test)" "65534" "Permission denied"
}

# ---- detached, exec ----------------------------------------------------------------------------
@test "run -d + task exec: exit status, --user, --cwd, -t, errors; then kill and rm" {
  run_d sleep 1000
  run ctr_ task exec --exec-id e1 "$ID" sh -c 'exit 7'
  expect_status 7
  run ctr_ task exec --exec-id e3 --user 1000 "$ID" id
  expect_status 0
  expect_output_contains "uid=1000(test) gid=1000(test)"
  run ctr_ task exec --exec-id e4 --cwd /tmp "$ID" pwd
  expect_eq "$output" /tmp "exec --cwd"
  run in_tty "$(ctr_cmdline) task exec -t --exec-id e5 $ID sh -c 'tty; test -t 0 && echo exec-tty'"
  expect_status 0
  expect_output_contains "/dev/pts/" "exec-tty"
  run ctr_ task exec --exec-id e6 "$ID" /no/such/binary
  expect_failure
  # an exec id can be reused once the earlier process is gone
  run ctr_ task exec --exec-id e1 "$ID" true
  expect_status 0
  # kill: SIGTERM is ignored by sleep as pid 1 (no handler); SIGKILL ends it with 137
  ctr_ task kill "$ID"
  sleep 0.3
  expect_eq "$(task_status "$ID")" RUNNING "after SIGTERM"
  ctr_ task kill -s SIGKILL "$ID"
  wait_task "$ID" STOPPED
  run ctr_ task rm "$ID"
  expect_status 0
  expect_output_contains "137"
  run ctr_ container rm "$ID"
  expect_status 0
}

@test "task exec: processes that outlive the runtime's exec call (stdin, -d) keep running" {
  # the shim runs `exec --detach`: the runtime returns at once, the process must stay alive
  run_d sleep 1000
  run ctr_ task exec --exec-id e1 "$ID" sh -c 'sleep 0.5; read l; echo "exec got $l"' <<<"line"
  expect_status 0
  expect_output_contains "exec got line"
  ctr_ task exec -d --exec-id e2 "$ID" sleep 999 </dev/null
  sleep 1
  run ctr_ task ps "$ID"
  expect_status 0
  [[ $(tail -n +2 <<<"$output" | wc -l) -eq 2 ]] || fail "expected init + the exec'd sleep: $output"
  run ctr_ task exec --exec-id e3 "$ID" sh -c 'ps -o args | grep -c "^sleep 999"'
  expect_eq "$output" 1 "sleep 999 running"
  stop_and_remove "$ID"
}

@test "task kill -s USR1 reaches a shell trapping it; kill --all" {
  run_d sh -c 'trap "echo usr1 >> /tmp/sig" USR1; trap "echo term >> /tmp/sig; exit 3" TERM; while :; do sleep 0.1; done'
  # one at a time: two pending USR1 merge into one
  sig_seen() {
    local i out
    for ((i = 0; i < 50; i++)); do
      out=$(ctr_ task exec --exec-id "c$1$i" "$ID" cat /tmp/sig 2>/dev/null || true)
      [[ $out == "$2" ]] && return 0
      sleep 0.1
    done
    expect_eq "$out" "$2" "signals seen"
  }
  ctr_ task kill -s SIGUSR1 "$ID"
  sig_seen a usr1
  ctr_ task kill -s USR1 "$ID"
  sig_seen b $'usr1\nusr1'
  expect_eq "$(task_status "$ID")" RUNNING
  ctr_ task kill --all -s SIGTERM "$ID"
  wait_task "$ID" STOPPED
  run ctr_ task rm "$ID"
  expect_status 0
  expect_output_contains "exit code 3"
  ctr_ container rm "$ID"
}

@test "restart: a stopped container starts again (task rm + task start), same rootfs" {
  run_d sh -c 'echo run >> /count; sleep 1000'
  stop_and_remove_task
  expect_eq "$(task_status "$ID")" none "task after rm"
  ctr_ task start -d "$ID" </dev/null
  wait_task "$ID" RUNNING
  run ctr_ task exec --exec-id c1 "$ID" cat /count
  expect_eq "$output" $'run\nrun' "/count after restart"
  # and once more, starting over a STOPPED task is refused (it has to be deleted first)
  ctr_ task kill -s SIGKILL "$ID"
  wait_task "$ID" STOPPED
  run ctr_ task start -d "$ID" </dev/null
  expect_failure
  stop_and_remove_task
  ctr_ task start -d "$ID" </dev/null
  wait_task "$ID" RUNNING
  stop_and_remove "$ID"
}

# ---- resources ---------------------------------------------------------------------------------
@test "--memory-limit: written to the cgroup; exceeding it is an OOM kill (exit 137)" {
  [[ -d /sys/fs/cgroup/memory ]] || skip "no cgroup v1 memory hierarchy"
  local limit=$((32 * 1024 * 1024)) pid cg
  run_d --memory-limit "$limit" -- sleep 1000
  pid=$(task_pid "$ID")
  cg=$(awk -F: '$2 == "memory" {print $3}' "/proc/$pid/cgroup")
  expect_eq "$cg" "/$CD_NS/$ID" "memory cgroup"
  expect_eq "$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes")" "$limit" memory.limit_in_bytes
  stop_and_remove "$ID"
  # tail keeps the whole (newline free) line in memory
  run ctr_ run --rm "${RUN[@]}" --memory-limit "$limit" "$IMAGE" "$ID" tail /dev/zero
  expect_status 137
}

@test "pids limit (spec linux.resources.pids via --config): fork fails beyond it" {
  [[ -d /sys/fs/cgroup/pids ]] || skip "no cgroup v1 pids hierarchy"
  make_spec "$BATS_TEST_TMPDIR/spec.json" '.linux.resources.pids = {limit: 8} |
    .process.args = ["sh", "-c", "cat /proc/self/cgroup | grep pids; for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 5 & done; wait; echo done"]'
  run ctr_ run --rm --runc-binary "$RUNTIME" --config "$BATS_TEST_TMPDIR/spec.json" "$ID"
  expect_output_contains "pids:/$CD_NS/$ID"
  [[ $output == *"can't fork"* || $output == *"Resource temporarily unavailable"* ]] ||
    fail "no fork failure with pids.max 8: $output"
  # the limit itself, on a detached copy
  make_spec "$BATS_TEST_TMPDIR/spec.json" '.linux.resources.pids = {limit: 8} | .process.args = ["sleep", "1000"]'
  ctr_ run -d --runc-binary "$RUNTIME" --config "$BATS_TEST_TMPDIR/spec.json" "$ID" </dev/null
  wait_task "$ID" RUNNING
  expect_eq "$(cat "/sys/fs/cgroup/pids/$CD_NS/$ID/pids.max")" 8 pids.max
  stop_and_remove "$ID"
}

# ---- security ----------------------------------------------------------------------------------
@test "--read-only: the root filesystem cannot be written" {
  run ctr_ run --rm "${RUN[@]}" --read-only "$IMAGE" "$ID" sh -c 'touch /x && echo wrote-root; touch /tmp/x && echo wrote-tmp; grep " / " /proc/mounts'
  expect_status 0
  expect_output_contains "Read-only file system"
  [[ $output != *wrote-root* && $output != *wrote-tmp* ]] || fail "wrote to a read-only root: $output"
  [[ $output =~ \ /\ overlay\ ro[,\ ] ]] || fail "/ not mounted ro: $output"
}

@test "capabilities: all dropped by name (--cap-drop), and empty sets in a spec (--config)" {
  local drop=() c
  for c in CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP SETPCAP \
           NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE; do
    drop+=(--cap-drop "CAP_$c")
  done
  # the default set has 14 capabilities (CapEff a80425fb)
  run ctr_ run --rm "${RUN[@]}" "$IMAGE" "$ID" grep CapEff /proc/self/status
  expect_output_contains "00000000a80425fb"
  run ctr_ run --rm "${RUN[@]}" "${drop[@]}" "$IMAGE" "$ID" sh -c 'grep Cap /proc/self/status; touch /tmp/f; chown 1000 /tmp/f'
  expect_status 1
  expect_output_contains "CapPrm:	0000000000000000" "CapEff:	0000000000000000" "CapBnd:	0000000000000000" \
    "Operation not permitted"
  make_spec "$BATS_TEST_TMPDIR/spec.json" '.process.capabilities = {bounding: [], effective: [], permitted: []} |
    .process.args = ["sh", "-c", "grep Cap /proc/self/status; mknod /tmp/n c 1 3"]'
  run ctr_ run --rm --runc-binary "$RUNTIME" --config "$BATS_TEST_TMPDIR/spec.json" "$ID"
  expect_status 1
  expect_output_contains "CapEff:	0000000000000000" "CapBnd:	0000000000000000" "Operation not permitted"
}

@test "seccomp: default profile (--seccomp); a custom profile denying mkdir gives EPERM" {
  run ctr_ run --rm "${RUN[@]}" "$IMAGE" "$ID" grep Seccomp: /proc/self/status
  expect_output_contains "Seccomp:	0"
  run ctr_ run --rm "${RUN[@]}" --seccomp "$IMAGE" "$ID" sh -c 'grep Seccomp: /proc/self/status; mkdir /tmp/d && echo made'
  expect_status 0
  expect_output_contains "Seccomp:	2" made
  cat > "$BATS_TEST_TMPDIR/profile.json" <<'EOF'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]
}
EOF
  run ctr_ run --rm "${RUN[@]}" --seccomp --seccomp-profile "$BATS_TEST_TMPDIR/profile.json" "$IMAGE" "$ID" \
    sh -c 'grep Seccomp: /proc/self/status; mkdir /tmp/d && echo made; touch /tmp/f && echo touched'
  expect_status 0
  expect_output_contains "Seccomp:	2" "mkdir: can't create directory '/tmp/d': Operation not permitted" touched
  [[ $output != *made* ]] || fail "mkdir succeeded under the profile: $output"
  # the same profile as linux.seccomp of a whole spec
  make_spec "$BATS_TEST_TMPDIR/spec.json" '.linux.seccomp = $p[0] | .process.args = ["mkdir", "/tmp/d"]' \
    --slurpfile p "$BATS_TEST_TMPDIR/profile.json"
  run ctr_ run --rm --runc-binary "$RUNTIME" --config "$BATS_TEST_TMPDIR/spec.json" "$ID"
  expect_status 1
  expect_output_contains "Operation not permitted"
}

# ---- network -----------------------------------------------------------------------------------
@test "network: default is a private netns with lo only; --net-host shares the host's" {
  local host_net
  host_net=$(readlink /proc/self/ns/net)
  run ctr_ run --rm "${RUN[@]}" "$IMAGE" "$ID" sh -c 'readlink /proc/self/ns/net; ls /sys/class/net; ping -c1 -W1 127.0.0.1 >/dev/null && echo lo-up'
  expect_status 0
  [[ ${lines[0]} != "$host_net" ]] || fail "default container shares the host netns"
  expect_eq "${lines[1]}" lo "interfaces"
  expect_output_contains lo-up
  run ctr_ run --rm "${RUN[@]}" --net-host "$IMAGE" "$ID" sh -c 'readlink /proc/self/ns/net; ls /sys/class/net | wc -l'
  expect_status 0
  expect_eq "${lines[0]}" "$host_net" "--net-host netns"
  expect_eq "${lines[1]}" "$(ls /sys/class/net | wc -l)" "interface count"
}

# ---- pause, ps, metrics ------------------------------------------------------------------------
@test "pause/resume: PAUSED, frozen cgroup, then RUNNING again" {
  run_d sh -c 'i=0; while :; do i=$((i + 1)); echo $i > /tmp/tick; sleep 0.05; done'
  ctr_ task pause "$ID"
  wait_task "$ID" PAUSED
  local pid
  pid=$(task_pid "$ID")
  if [[ -d /sys/fs/cgroup/freezer ]]; then
    expect_eq "$(cat "/sys/fs/cgroup/freezer/$CD_NS/$ID/freezer.state")" FROZEN freezer.state
  fi
  # nothing runs while paused: the tick file does not change
  local root=/proc/$pid/root a b
  a=$(cat "$root/tmp/tick")
  sleep 0.3
  b=$(cat "$root/tmp/tick")
  expect_eq "$b" "$a" "tick while paused"
  ctr_ task resume "$ID"
  wait_task "$ID" RUNNING
  sleep 0.3
  [[ $(cat "$root/tmp/tick") != "$a" ]] || fail "no progress after resume"
  stop_and_remove "$ID"
}

@test "task ps lists the container's processes; task metrics reports its cgroup" {
  run_d sh -c 'sleep 1000 & sleep 1001 & wait'
  local pid i
  pid=$(task_pid "$ID")
  for ((i = 0; i < 50; i++)); do
    [[ $(ctr_ task ps "$ID" | tail -n +2 | wc -l) -ge 3 ]] && break
    sleep 0.1
  done
  run ctr_ task ps "$ID"
  expect_status 0
  [[ $(tail -n +2 <<<"$output" | wc -l) -eq 3 ]] || fail "expected 3 processes: $output"
  grep -qE "^$pid\b" <<<"$output" || fail "init pid $pid not listed: $output"
  run ctr_ task metrics --format json "$ID"
  expect_status 0
  local mem pids
  mem=$(jq -r '.memory.usage.usage // .memory.usage // 0' <<<"$output")
  pids=$(jq -r '.pids.current // 0' <<<"$output")
  [[ $mem -gt 0 ]] || fail "no memory usage: $output"
  expect_eq "$pids" 3 "pids.current"
  run ctr_ task metrics "$ID"
  expect_status 0
  expect_output_contains "memory.usage_in_bytes"
  stop_and_remove "$ID"
}

# ---- cleanup, runtime selection ---------------------------------------------------------------
@test "every runtime call of a run/exec/rm cycle succeeds (argv logged by a wrapper)" {
  local w=$BATS_TEST_TMPDIR/wrapper log=$BATS_TEST_TMPDIR/calls
  cat > "$w" <<EOF
#!/bin/sh
"$RUNTIME" "\$@"
rc=\$?
echo "rc=\$rc \$*" >> "$log"
exit \$rc
EOF
  chmod +x "$w"
  ctr_ run -d --runc-binary "$w" --env "$TAG" "$IMAGE" "$ID" sleep 1000 </dev/null
  wait_task "$ID" RUNNING
  run ctr_ task exec --exec-id e1 "$ID" sh -c 'exit 4'
  expect_status 4
  ctr_ task pause "$ID"
  ctr_ task resume "$ID"
  ctr_ task ps "$ID" >/dev/null
  ctr_ task kill -s SIGKILL "$ID"
  wait_task "$ID" STOPPED
  ctr_ task rm "$ID" >/dev/null 2>&1
  ctr_ container rm "$ID"
  run ctr_ run --rm --runc-binary "$w" --env "$TAG" "$IMAGE" "${ID}b" true
  expect_status 0
  local i
  for ((i = 0; i < 30; i++)); do [[ -z $(shims_of "$CD_DIR") ]] && break; sleep 0.1; done
  echo "runtime calls:" >&2
  sed 's/^/  /' "$log" >&2
  local c
  for c in create start exec pause resume ps kill delete; do
    grep -qE "^rc=[0-9]+ .* $c( |$)" "$log" || fail "no '$c' call logged"
  done
  ! grep -v '^rc=0 ' "$log" || fail "runtime calls failed (above)"
  grep -q -- "--root $RUNC_ROOT --log $CD_DIR/state/io.containerd.runtime.v2.task/$CD_NS/$ID/log.json --log-format json" "$log" ||
    fail "unexpected global flags"
}

@test "--runc-root: a private runtime root is used and left empty" {
  local root=$CD_DIR/runc-root
  run_d --runc-root "$root" -- sleep 1000
  # the shim adds the namespace to the root it is given
  [[ -e $root/$CD_NS/$ID ]] || fail "no state under $root/$CD_NS: $(find "$root" 2>&1)"
  [[ ! -e $RUNC_ROOT/$ID ]] || fail "state also under $RUNC_ROOT"
  stop_and_remove "$ID"
  expect_eq "$(ls -A "$root/$CD_NS")" "" "$root/$CD_NS after rm"
}

@test "config.toml runtimes.nucleus (BinaryName) is loaded by containerd's CRI plugin" {
  # What Kubernetes users write (the README snippet). Plain ctr never reads these options (it
  # sends its own, from --runc-binary), and no CRI client (crictl) is packaged for Debian 12, so
  # this starts a second private containerd with the CRI plugin enabled and checks that the
  # plugin loads the snippet: status "ok", and the runtime with its BinaryName in the config the
  # plugin logs at start. (Without runtimes.runc, CRI refuses to start: the default
  # default_runtime_name "runc" must still name a runtime once runtimes is set.)
  local d save=("$CD_DIR" "$CD_SOCK" "$CD_PID") plugins log rc=0
  d=$(mktemp -d /tmp/containerd-nucleus-cri.XXXXXX)
  cd_write_config "$d" "
  [plugins.\"io.containerd.grpc.v1.cri\"]
    sandbox_image = \"$IMAGE\"
    [plugins.\"io.containerd.grpc.v1.cri\".cni]
      bin_dir = \"$d/cni/bin\"
      conf_dir = \"$d/cni/net.d\"
    [plugins.\"io.containerd.grpc.v1.cri\".containerd]
      default_runtime_name = \"runc\"
      [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]
        runtime_type = \"io.containerd.runc.v2\"
      [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.nucleus]
        runtime_type = \"io.containerd.runc.v2\"
        [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.nucleus.options]
          BinaryName = \"$RUNTIME\""
  sed -i 's/"io.containerd.grpc.v1.cri", //' "$d/config.toml"
  if cd_start "$d"; then
    plugins=$(ctr --address "$CD_SOCK" plugins ls 2>&1)
    log=$(grep -o 'Start cri plugin with config.*' "$d/containerd.log")
  else
    rc=1
  fi
  cd_stop || rc=1
  CD_DIR=${save[0]} CD_SOCK=${save[1]} CD_PID=${save[2]}
  [[ $rc -eq 0 ]] || fail "containerd with the CRI plugin did not start or stop cleanly"
  grep -qE "io.containerd.grpc.v1 +cri +linux/[a-z0-9]+ +ok" <<<"$plugins" || fail "CRI plugin not ok: $plugins"
  [[ $log == *"nucleus:{Type:io.containerd.runc.v2 "*"Options:map[BinaryName:$RUNTIME]"* ]] ||
    fail "runtime nucleus not in the CRI config: $log"
}
