#!/usr/bin/env bats
# checkpoint and restore with CRIU (Debian 12's criu 3.17.1) on the booted systemd VM
# (hack/vm/run-systemd): the development host's kernel is too new for that CRIU ("vdso: Failed to
# fill self vdso symtable"), Debian's 6.1 kernel is not. The same file runs with runc 1.1.5 (the
# VM's) as the control. Every container runs a counter loop that writes the next number every
# 0.2 s; a restored container must go on from where the checkpoint stopped it, not from 1.
# The containers redirect their own stdio to the container's /dev/null: what CRIU dumps is then
# only the container's (a detached container's stdio from the host is a file CRIU cannot find in
# the container's mounts; runc's tests hand it pipes instead).

load lib

setup_file() {
  export CID=cr-${RUNTIME_NAME:-rt}-$RANDOM
}

setup() {
  sd_require
  command -v criu >/dev/null || skip "criu is not installed in this VM (hack/vm/systemd-image)"
  timeout 60 criu check >/dev/null 2>&1 || skip "criu check fails on this kernel ($(uname -r))"
  B=$BATS_TEST_TMPDIR/bundle
  IMG=$BATS_TEST_TMPDIR/images
  ID=$CID-$BATS_TEST_NUMBER
  DATA=$BATS_TEST_TMPDIR/data
  mkdir -p "$DATA"
}

teardown() {
  local id
  for id in $(timeout 30 "$RUNTIME" --root "$RT_ROOT" list -q 2>/dev/null); do
    [[ $id == "$CID"-* ]] && timeout 30 "$RUNTIME" --root "$RT_ROOT" --systemd-cgroup delete --force "$id" >/dev/null 2>&1
  done
  timeout 10 ip netns delete "$CID" 2>/dev/null
  [[ -z ${RECV_PID:-} ]] || kill "$RECV_PID" 2>/dev/null
  # the lazy test's background checkpoint and lazy-pages daemon, if it failed half way
  [[ -z ${cpt:-} ]] || kill "$cpt" 2>/dev/null
  [[ -z ${lp:-} ]] || kill "$lp" 2>/dev/null
  return 0
}

# recv_console SOCKET OUT: a --console-socket receiver in the background (python3, which the
# VM has for criu): keeps every pty master it gets and appends what it reads from them to OUT
recv_console() {
  python3 -c '
import array, os, select, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(4)
out = open(sys.argv[2], "ab", buffering=0)
masters = []
while True:
    r, _, _ = select.select([s.fileno()] + masters, [], [])
    for fd in r:
        if fd == s.fileno():
            c, _ = s.accept()
            _, anc, _, _ = c.recvmsg(1024, socket.CMSG_SPACE(4))
            for level, typ, data in anc:
                masters.append(array.array("i", data[:4])[0])
            c.close()
            continue
        try:
            d = os.read(fd, 4096)
        except OSError:
            d = b""
        if d:
            out.write(d)
        else:
            masters.remove(fd)
            os.close(fd)
' "$1" "$2" </dev/null >/dev/null 2>&1 3>&- &
  RECV_PID=$!
  wait_for test -S "$1"
}

# counter_bundle FILE...: the bundle whose process writes 1, 2, 3... into each FILE (container
# paths) every 0.2 s, with /data a bind mount of $DATA and a writable root
counter_bundle() {
  local writes="" f
  # (written to a temporary file and renamed: a checkpoint never sees it half written)
  for f in "$@"; do writes="$writes echo \$i > $f.new; mv $f.new $f;"; done
  bundle "$B" "system.slice:nucleus-cr:$ID" sh -c \
    "exec </dev/null >/dev/null 2>&1; i=0; while true; do i=\$((i+1)); $writes sleep 0.2; done"
  bundle_jq "$B" --arg data "$DATA" '.root.readonly = false |
    .mounts += [{destination: "/data", type: "bind", source: $data, options: ["rbind", "rw"]}]'
}

run_d() {
  if ! rt run -d --bundle "$B" "$1" </dev/null >"$BATS_TEST_TMPDIR/run.out" 2>&1; then
    cat "$BATS_TEST_TMPDIR/run.out" >&2
    return 1
  fi
}

# count: the counter (0 when not written yet): $DATA/count, or with COUNT_EXEC set /scratch/count
# read inside the container
count() {
  local v
  if [[ -n ${COUNT_EXEC:-} ]]; then
    v=$(rt exec "$ID" cat /scratch/count 2>/dev/null)
  else
    v=$(cat "$DATA/count" 2>/dev/null)
  fi
  echo "${v:-0}"
}
# wait_count N: up to ~10 s for the counter to reach N
wait_count() {
  local i
  for ((i = 0; i < 100; i++)); do
    [[ $(count) -ge $1 ]] && return 0
    sleep 0.1
  done
  echo "the counter is at $(count), not $1" >&2
  return 1
}

checkpoint() {
  if ! rt checkpoint --image-path "$IMG" "$@" >"$BATS_TEST_TMPDIR/cp.out" 2>&1; then
    cat "$BATS_TEST_TMPDIR/cp.out" >&2
    tail -n 30 "$IMG/dump.log" >&2 2>/dev/null
    return 1
  fi
}

restore_d() {
  if ! rt restore -d --bundle "$B" --image-path "${RIMG:-$IMG}" "$@" </dev/null >"$BATS_TEST_TMPDIR/rs.out" 2>&1; then
    cat "$BATS_TEST_TMPDIR/rs.out" >&2
    tail -n 30 "${RIMG:-$IMG}/restore.log" >&2 2>/dev/null
    return 1
  fi
}

# stopped_at: the counter does not move for a second; prints it
stopped_at() {
  local a b
  a=$(count)
  sleep 1
  b=$(count)
  expect_eq "$b" "$a" "the counter after the checkpoint (still counting?)" || return 1
  echo "$a"
}

# goes_on_from N [SEEN]: the restored counter moves on from N (not from 1): its first value
# after the restore (the first that is not SEEN, default N) is >= N and it reaches N+3
goes_on_from() {
  local first i
  for ((i = 0; i < 100; i++)); do
    first=$(count)
    [[ $first != "${2:-$1}" ]] && break
    sleep 0.1
  done
  [[ $first -ge $1 ]] || { echo "counter restarted: $first after $1" >&2; return 1; }
  wait_count $(($1 + 3))
}

@test "checkpoint: the container is gone, restore: the counter goes on, state/exec/kill/delete" {
  counter_bundle /data/count
  run_d "$ID"
  wait_count 3
  checkpoint "$ID"
  ! rt state "$ID" >/dev/null 2>&1 || { echo "state after checkpoint: $(rt state "$ID")" >&2; false; }
  n=$(stopped_at)
  [[ -s $IMG/inventory.img && -s $IMG/descriptors.json ]]
  restore_d --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  expect_eq "$(rt_state "$ID")" running "state after restore"
  expect_eq "$(cat "$BATS_TEST_TMPDIR/pid")" "$(rt state "$ID" | jq -r .pid)" "--pid-file"
  goes_on_from "$n"
  # a normal container: exec, kill, delete
  out=$(rt exec "$ID" cat /data/count)
  [[ $out -ge $n ]]
  pid=$(rt state "$ID" | jq -r .pid)
  [[ -d /proc/$pid ]]
  # every namespace of the exec'd process is the restored init's, the time namespace CRIU may
  # have restored it into too
  # (shown in the TAP output: whether CRIU made a time namespace at all)
  echo "# time namespace of the restored init: $(readlink /proc/$pid/ns/time), of the host: $(readlink /proc/self/ns/time)" >&3
  # (CRIU 3.17 restores the init into a time namespace of its own; runc 1.1.5's exec does not
  # join it, seen here: "exec's time namespace: expected 'time:[4026532267]', got
  # 'time:[4026531834]'"; runc 1.3.6 adds it to its config at post-restore)
  local nss="mnt pid net ipc uts time"
  [[ $RUNTIME_NAME != runc ]] || ! "$RUNTIME" --version | grep -q '^runc version 1\.1\.' || nss="mnt pid net ipc uts"
  for ns in $nss; do
    expect_eq "$(rt exec "$ID" readlink /proc/self/ns/$ns)" "$(readlink /proc/$pid/ns/$ns)" "exec's $ns namespace"
  done
  rt kill "$ID" KILL
  wait_for bash -c "$(printf '%q ' "$RUNTIME") --root $RT_ROOT state $ID | jq -e '.status == \"stopped\"'"
  rt delete "$ID"
  ! rt state "$ID" >/dev/null 2>&1
}

@test "checkpoint --leave-running: the container keeps running; a restore from the images goes on from there" {
  # the counter in a tmpfs, read with exec: CRIU saves the tmpfs with the images, so the restore
  # finds the file the loop had open at the dump (one in a bind mount would have been renamed
  # by the loop that kept running: "Can't open file data/count.new on restore")
  export COUNT_EXEC=1
  counter_bundle /scratch/count
  bundle_jq "$B" '.mounts += [{destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=755"]}]'
  run_d "$ID"
  wait_count 3
  before=$(count)
  checkpoint --leave-running "$ID"
  at=$(count)
  expect_eq "$(rt_state "$ID")" running "state after checkpoint --leave-running"
  wait_count $((at + 3))
  rt delete --force "$ID"
  restore_d "$ID"
  expect_eq "$(rt_state "$ID")" running "state after restore"
  # the restored loop's i is the checkpoint's (between $before and $at): it goes on from there
  goes_on_from "$before" -1
}

@test "checkpoint --pre-dump, then a dump with --parent-path, then restore" {
  counter_bundle /data/count
  run_d "$ID"
  wait_count 3
  IMG=$BATS_TEST_TMPDIR/images/pre checkpoint --pre-dump "$ID"
  expect_eq "$(rt_state "$ID")" running "state after --pre-dump"
  [[ -s $BATS_TEST_TMPDIR/images/pre/inventory.img ]]
  wait_count $(($(count) + 2))
  IMG=$BATS_TEST_TMPDIR/images/final checkpoint --parent-path ../pre "$ID"
  n=$(stopped_at)
  # restore in the foreground this time: it waits for the container and exits with its status
  rt restore --bundle "$B" --image-path "$BATS_TEST_TMPDIR/images/final" "$ID" \
    </dev/null >"$BATS_TEST_TMPDIR/rs.out" 2>&1 3>&- &
  rpid=$!
  wait_for bash -c "$(printf '%q ' "$RUNTIME") --root $RT_ROOT state $ID | jq -e '.status == \"running\"'" ||
    { cat "$BATS_TEST_TMPDIR/rs.out" >&2; false; }
  goes_on_from "$n"
  rt kill "$ID" KILL
  rc=0
  timeout 20 tail --pid="$rpid" -f /dev/null || { echo "restore still running after the kill" >&2; false; }
  wait "$rpid" || rc=$?
  expect_eq "$rc" 137 "exit status of the foreground restore"
  # the foreground restore deleted the container once it had exited
  ! rt state "$ID" >/dev/null 2>&1
}

@test "checkpoint/restore with a bind mount and a tmpfs: both go on (the tmpfs content restored)" {
  counter_bundle /data/count /scratch/count
  bundle_jq "$B" '.mounts += [{destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=755"]}]'
  run_d "$ID"
  wait_count 3
  checkpoint "$ID"
  n=$(stopped_at)
  restore_d "$ID"
  goes_on_from "$n"
  s=$(rt exec "$ID" cat /scratch/count)
  [[ $s -ge $n ]] || { echo "tmpfs counter $s < $n: not restored" >&2; false; }
  grep -q " /data " <(rt exec "$ID" cat /proc/self/mountinfo)
}

@test "checkpoint/restore with its network namespace (linux.namespaces network path): the same namespace after restore" {
  timeout 10 ip netns add "$CID"
  counter_bundle /data/count
  bundle_jq "$B" --arg ns "/run/netns/$CID" \
    '.linux.namespaces |= map(if .type == "network" then .path = $ns else . end)'
  run_d "$ID"
  wait_count 3
  want=$(stat -L -c %i "/run/netns/$CID")
  pid=$(rt state "$ID" | jq -r .pid)
  expect_eq "$(stat -L -c %i /proc/$pid/ns/net)" "$want" "netns before"
  checkpoint "$ID"
  n=$(stopped_at)
  restore_d "$ID"
  goes_on_from "$n"
  pid=$(rt state "$ID" | jq -r .pid)
  expect_eq "$(stat -L -c %i /proc/$pid/ns/net)" "$want" "netns of the restored init"
}

@test "checkpoint/restore with a terminal (--console-socket): the restored pty master goes to the socket" {
  command -v python3 >/dev/null || skip "no python3 for the console socket receiver"
  recv_console "$BATS_TEST_TMPDIR/console.sock" "$BATS_TEST_TMPDIR/tty.out"
  # the counter on the terminal too
  bundle "$B" "system.slice:nucleus-cr:$ID" sh -c \
    'i=0; while true; do i=$((i+1)); echo $i > /data/count.new; mv /data/count.new /data/count; echo "tick $i"; sleep 0.2; done'
  bundle_jq "$B" --arg data "$DATA" '.root.readonly = false | .process.terminal = true |
    .mounts += [{destination: "/data", type: "bind", source: $data, options: ["rbind", "rw"]}]'
  rt run -d --console-socket "$BATS_TEST_TMPDIR/console.sock" --bundle "$B" "$ID" </dev/null >"$BATS_TEST_TMPDIR/run.out" 2>&1 ||
    { cat "$BATS_TEST_TMPDIR/run.out" >&2; false; }
  wait_count 3
  wait_for grep -q "tick 2" "$BATS_TEST_TMPDIR/tty.out"
  checkpoint "$ID"
  n=$(stopped_at)
  restore_d --console-socket "$BATS_TEST_TMPDIR/console.sock" "$ID"
  goes_on_from "$n"
  # the restored process writes to the new pty, whose master the receiver got
  wait_for grep -q "tick $((n + 2))" "$BATS_TEST_TMPDIR/tty.out" ||
    { echo "tty output after restore:" >&2; tail -5 "$BATS_TEST_TMPDIR/tty.out" >&2; false; }
}

@test "checkpoint of a container CRIU cannot dump (its stdout a host file outside its mounts): exit 1, it keeps running" {
  # the counter without its own redirection: stdout is run.out on the host, which CRIU cannot
  # find in the container's mount namespace ("Can't lookup mount")
  bundle "$B" "system.slice:nucleus-cr:$ID" sh -c 'i=0; while true; do i=$((i+1)); echo $i > /data/count.new; mv /data/count.new /data/count; sleep 0.2; done'
  bundle_jq "$B" --arg data "$DATA" '.root.readonly = false |
    .mounts += [{destination: "/data", type: "bind", source: $data, options: ["rbind", "rw"]}]'
  run_d "$ID"
  wait_count 3
  run rt checkpoint --image-path "$IMG" "$ID"
  echo "$output"
  [[ $status -eq 1 ]] || { echo "checkpoint exited $status" >&2; false; }
  # nucleus-oci: "criu failed: type DUMP errno 0"; runc 1.1.5: "criu failed: type NOTIFY errno 0"
  [[ $output == *"criu failed: type "* ]]
  expect_eq "$(rt_state "$ID")" running "state after the failed checkpoint"
  at=$(count)
  wait_count $((at + 3))
}

@test "checkpoint --lazy-pages --page-server --status-fd, a lazy restore under another name: it goes on counting" {
  # runc's checkpoint.bats has this test with a 2 s wait for the status fd, which neither runc
  # 1.3.6 nor nucleus-oci meets under TCG: here the wait is 60 s
  criu check --feature uffd-noncoop >/dev/null 2>&1 || skip "criu: no lazy-pages (uffd-noncoop) on this kernel"
  # (the restore goes to another cgroup than the dump's: --manage-cgroups-mode ignore, as in
  # runc 1.3.6's test; runc 1.1.5 refuses it: "Invalid manage cgroups mode")
  ! "$RUNTIME" --version | grep -q '^runc version 1\.1\.' ||
    skip "runc 1.1 has no --manage-cgroups-mode ignore (runc 1.2 added it)"
  counter_bundle /data/count
  run_d "$ID"
  wait_count 3
  # the restored container is another one (the dumped one exists until its pages are served):
  # its own name and unit; CRIU leaves cgroups alone on both sides
  B2=$BATS_TEST_TMPDIR/bundle2
  mkdir -p "$B2"
  jq --arg cg "system.slice:nucleus-cr:$ID-lazy" '.linux.cgroupsPath = $cg' "$B/config.json" >"$B2/config.json"
  mkfifo "$BATS_TEST_TMPDIR/status"
  exec {sfd}<>"$BATS_TEST_TMPDIR/status"
  port=$((27277 + RANDOM % 1000))
  timeout 120 "$RUNTIME" --root "$RT_ROOT" --systemd-cgroup checkpoint --lazy-pages \
    --page-server "127.0.0.1:$port" --status-fd "$sfd" --manage-cgroups-mode ignore \
    --image-path "$IMG" "$ID" </dev/null >"$BATS_TEST_TMPDIR/cp.out" 2>&1 3>&- &
  cpt=$!
  # the runtime writes \0 to the status fd when CRIU's page server is ready
  ready=$(timeout 60 head -c 1 <&"$sfd" | od -An -tx1 | tr -d ' ')
  exec {sfd}>&-
  expect_eq "$ready" "00" "what the status fd got" || { cat "$BATS_TEST_TMPDIR/cp.out" >&2; false; }
  [[ -s $IMG/inventory.img ]]
  n=$(stopped_at)
  expect_eq "$(rt_state "$ID")" running "state of the dumped container while its pages wait"
  timeout 120 criu lazy-pages --page-server --address 127.0.0.1 --port "$port" -D "$IMG" \
    </dev/null >"$BATS_TEST_TMPDIR/lp.out" 2>&1 3>&- &
  lp=$!
  ID2=$ID-lazy
  if ! rt restore -d --bundle "$B2" --image-path "$IMG" --lazy-pages --manage-cgroups-mode ignore "$ID2" \
    </dev/null >"$BATS_TEST_TMPDIR/rs.out" 2>&1; then
    cat "$BATS_TEST_TMPDIR/rs.out" >&2
    tail -n 30 "$IMG/restore.log" >&2 2>/dev/null
    false
  fi
  expect_eq "$(rt_state "$ID2")" running "state of the lazily restored container"
  goes_on_from "$n"
  # every page served: the checkpoint ends (exit 0) and the dumped container is gone
  rc=0
  wait "$cpt" || rc=$?
  expect_eq "$rc" 0 "exit status of checkpoint --lazy-pages" || { cat "$BATS_TEST_TMPDIR/cp.out" >&2; false; }
  wait "$lp" || true
  ! rt state "$ID" >/dev/null 2>&1 || { echo "the dumped container is still there: $(rt state "$ID")" >&2; false; }
  out=$(rt exec "$ID2" cat /data/count)
  [[ $out -ge $n ]]
}
