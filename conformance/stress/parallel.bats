#!/usr/bin/env bats
# Parallel creates: 50 distinct ids at once, and 10 creates racing for the same id; 10 starts
# racing for the same container, 10 delete --force racing for the same container.
# Nothing may be left after the deletes (state dirs, cgroups, mounts, processes).
load ../helpers/common

# The ids here are $ID-N (the common teardown only knows $ID[a-z]): own leak check on top.
stress_leaks() {
  local i left procs cgs
  for i in $(seq 50); do
    left=$(ls -A "$ROOT" 2>/dev/null)
    procs=$(leaked_processes)
    cgs=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$ID-*" 2>/dev/null)
    [[ -z $left && -z $procs && -z $cgs ]] && return 0
    sleep 0.1
  done
  echo "LEAK: state [$left] processes [$procs] cgroups [$cgs]" >&2
  return 1
}

teardown() {
  local id
  for id in $(ls -A "$ROOT" 2>/dev/null); do rt delete --force "$id" >/dev/null 2>&1 || true; done
  for id in $(find /sys/fs/cgroup -maxdepth 6 -depth -type d -name "$ID-*" 2>/dev/null); do
    rmdir "$id" 2>/dev/null || true
  done
  common_teardown
}

# parallel_create N ID-OF-I: N creates in the background, rc and output per i in $out/.
parallel_create() {
  local n=$1 i
  out=$BATS_TEST_TMPDIR/par
  mkdir -p "$out"
  for ((i = 1; i <= n; i++)); do
    (
      rc=0
      "$RUNTIME" --root "$ROOT" create --bundle "$BUNDLE" "$(eval echo "$2")" \
        </dev/null >"$out/$i.out" 2>&1 || rc=$?
      echo $rc >"$out/$i.rc"
    ) &
  done
  wait
}

@test "parallel: 50 creates of distinct ids -> 50 created containers; delete all; nothing left" {
  set_args sleep 1000
  parallel_create 50 '$ID-$i'
  local i bad=0
  for i in $(seq 50); do
    if [[ $(cat "$out/$i.rc") != 0 ]]; then
      echo "create $ID-$i: exit $(cat "$out/$i.rc"): $(cat "$out/$i.out")" >&2
      bad=$((bad + 1))
    fi
  done
  expect_eq "$bad" 0 "failed creates"
  run rt list --format json
  expect_status 0
  expect_eq "$(jq --arg p "$ID-" '[.[] | select(.id | startswith($p))] | length' <<<"$output")" 50 "containers in list"
  # (every init must survive its create's exit: a non-created one is listed here)
  jq -r --arg p "$ID-" '.[] | select((.id | startswith($p)) and .status != "created") |
    "not created: \(.id) status \(.status) pid \(.pid)"' <<<"$output" >&2
  expect_eq "$(jq --arg p "$ID-" '[.[] | select((.id | startswith($p)) and .status == "created")] | length' <<<"$output")" 50 "created containers in list"
  expect_eq "$(jq '[.[].pid] | unique | length' <<<"$output")" 50 "distinct init pids"
  # delete them all, in parallel too (--force: a created container is not stopped, and the
  # runtime-spec makes delete of it an error; runc deletes it anyway)
  for i in $(seq 50); do
    ( rc=0; "$RUNTIME" --root "$ROOT" delete --force "$ID-$i" >"$out/$i.del" 2>&1 || rc=$?; echo $rc >"$out/$i.delrc" ) &
  done
  wait
  for i in $(seq 50); do
    [[ $(cat "$out/$i.delrc") == 0 ]] || { echo "delete $ID-$i: $(cat "$out/$i.del")" >&2; bad=$((bad + 1)); }
  done
  expect_eq "$bad" 0 "failed deletes"
  run rt list --format json
  expect_status 0
  expect_eq "$(jq --arg p "$ID-" '[(. // [])[] | select(.id | startswith($p))] | length' <<<"$output")" 0 "containers left in list"
  stress_leaks
}

@test "parallel: 10 creates of the same id -> exactly one wins, 9 fail with 'exists'" {
  set_args sleep 1000
  parallel_create 10 '$ID-same'
  local i ok=0 failed=0 other=0
  for i in $(seq 10); do
    case $(cat "$out/$i.rc") in
      0) ok=$((ok + 1)) ;;
      1) failed=$((failed + 1))
         # runc: "container with id exists: ID"; nucleus-oci: container "ID" already exists
         if ! grep -q "exists" "$out/$i.out"; then
           echo "create $i failed without 'exists': $(cat "$out/$i.out")" >&2
           other=$((other + 1))
         elif ! is_runc && ! grep -q "already exists" "$out/$i.out"; then
           echo "create $i: not 'already exists': $(cat "$out/$i.out")" >&2
           other=$((other + 1))
         fi ;;
      *) echo "create $i: exit $(cat "$out/$i.rc"): $(cat "$out/$i.out")" >&2; other=$((other + 1)) ;;
    esac
  done
  expect_eq "$ok" 1 "successful creates"
  expect_eq "$failed" 9 "failed creates"
  expect_eq "$other" 0 "creates that failed for another reason"
  run rt list --format json
  expect_status 0
  expect_eq "$(jq --arg p "$ID-" '[.[] | select(.id | startswith($p))] | length' <<<"$output")" 1 "containers in list"
  expect_eq "$(status_of "$ID-same")" created "status of the winner"
  # the losers' cleanup must not have damaged the winner: it starts and runs
  local pid
  pid=$(pid_of "$ID-same")
  [[ -d /proc/$pid ]] || fail "the winner's init $pid is gone"
  run rt start "$ID-same"
  expect_status 0
  wait_status "$ID-same" running
  run rt delete --force "$ID-same"
  expect_status 0
  stress_leaks
}

# parallel_cmd N ARGS...: N copies of the runtime command at once (30 s timeout each: a hang is
# exit 124); rc/output per i in $out/.
parallel_cmd() {
  local n=$1 i
  shift
  out=$BATS_TEST_TMPDIR/cmd
  rm -rf "$out"
  mkdir -p "$out"
  for ((i = 1; i <= n; i++)); do
    (
      rc=0
      timeout -k 5 30 "$RUNTIME" --root "$ROOT" "$@" </dev/null >"$out/$i.out" 2>&1 || rc=$?
      echo $rc >"$out/$i.rc"
    ) &
  done
  wait
}

# count_rc RC: how many of the parallel commands exited with RC.
count_rc() { cat "$out"/*.rc | grep -cx "$1" || true; }

@test "parallel: 10 starts of the same created container -> exactly one starts it" {
  # runc 1.1.5 fails this: a start that loses the race can block forever opening exec.fifo
  # (seen: 2 of 10 starts hung, killed after minutes; the others exit 1 or 0 as expected).
  if is_runc; then skip "runc 1.1.5: a racing start can hang on exec.fifo"; fi
  set_cmd 'echo started >> /started; sleep 1000'
  run rt create --bundle "$BUNDLE" "$ID-s"
  expect_status 0
  parallel_cmd 10 start "$ID-s"
  if [[ $(count_rc 0) -ne 1 || $(count_rc 1) -ne 9 ]]; then
    for f in "$out"/*.rc; do echo "start ${f##*/}: rc $(cat "$f"): $(cat "${f%.rc}.out")" >&2; done
    fail "want 1 success and 9 exit-1 failures, got $(count_rc 0) and $(count_rc 1)"
  fi
  wait_status "$ID-s" running
  sleep 0.3
  expect_eq "$(cat "$BUNDLE/rootfs/started")" started "the workload ran once"
  run rt delete --force "$ID-s"
  expect_status 0
  stress_leaks
}

@test "parallel: 10 delete --force of the same running container -> gone, clean errors" {
  set_args sleep 1000
  run rt run -d --bundle "$BUNDLE" "$ID-d"
  expect_status 0
  wait_status "$ID-d" running
  parallel_cmd 10 delete --force "$ID-d"
  local f bad=0
  [[ $(count_rc 0) -ge 1 ]] || bad=1
  for f in "$out"/*.rc; do
    case $(cat "$f") in
      0) ;;
      1) grep -qiE "not exist|no such|not found" "${f%.rc}.out" || bad=1 ;;
      *) bad=1 ;;
    esac
  done
  if [[ $bad -ne 0 ]]; then
    for f in "$out"/*.rc; do echo "delete ${f##*/}: rc $(cat "$f"): $(cat "${f%.rc}.out")" >&2; done
    fail "parallel deletes: want >= 1 success, the rest exit 1 with 'does not exist'"
  fi
  run rt state "$ID-d"
  expect_status 1
  stress_leaks
}
