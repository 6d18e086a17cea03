#!/usr/bin/env bats
# Commands that used to hang for good: a runtime that hangs is worse than one that fails. Every
# command here runs under a bounded `timeout` (status 124 when it hangs), with its stdio in a
# file: a frozen container process would keep a pipe (and bats' `run`) open forever.
# runc's references: tests/integration/cgroups.bats "runc run/create should refuse pre-existing
# frozen cgroup" and "runc exec --ignore-paused".
load ../helpers/common
load ../cgroups/cgroups

# The cgroupsPath the tests use; the test itself makes (and freezes) it in some hierarchies.
CGP=/nucleus-hangs

setup() {
  common_setup
  OUT=$BATS_TEST_TMPDIR/cmd.out
  FROZEN_DIRS=()
  THAW_DIRS=()
}

teardown() {
  local d p rc=0
  # A regression leaves container processes frozen (and holding the container's lock): thaw
  # them so that they can be killed, then remove the directories the test made (before the
  # leak check, which looks for directories named after the test's ids; and after it, for a
  # parent the container's own directory was in).
  for d in "${FROZEN_DIRS[@]}" "${THAW_DIRS[@]}"; do
    [[ -e $d/freezer.state ]] && echo THAWED > "$d/freezer.state" 2>/dev/null
    [[ -e $d/cgroup.freeze ]] && echo 0 > "$d/cgroup.freeze" 2>/dev/null
    for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  done
  remove_frozen_dirs
  common_teardown || rc=$?
  remove_frozen_dirs
  return $rc
}

remove_frozen_dirs() {
  local d i
  for d in "${FROZEN_DIRS[@]}"; do
    for i in $(seq 20); do rmdir "$d" 2>/dev/null; [[ -d $d ]] || break; sleep 0.1; done
    rmdir "$(dirname "$d")" 2>/dev/null
  done
  return 0
}

# bounded SECONDS ARGS...: `run` the runtime with a time limit, stdin from /dev/null and
# stdout+stderr in $OUT (then in $output).
bounded() {
  local secs=$1
  shift
  status=0
  timeout -k 2 "$secs" "$RUNTIME" --root "$ROOT" "$@" </dev/null >"$OUT" 2>&1 || status=$?
  output=$(cat "$OUT")
}

# expect_not_hung: the last bounded command finished in time.
expect_not_hung() {
  [[ $status -ne 124 && $status -ne 137 ]] || fail "the command hung (killed by timeout); output: $output"
}

need_freezer_v1() { [[ -e $CG/freezer/cgroup.procs ]] || skip "no cgroup v1 freezer on this host"; }
need_unified() {
  [[ -e $CG/unified/cgroup.procs ]] || skip "no cgroup2 hierarchy at $CG/unified (hybrid host)"
  mkdir -p "$CG/unified$CGP"
  [[ -e $CG/unified$CGP/cgroup.freeze ]] || { rmdir "$CG/unified$CGP"; skip "no cgroup.freeze (kernel < 5.2)"; }
  rmdir "$CG/unified$CGP"
}

# frozen_dir DIR: make the cgroup DIR (the caller's, not the container's) and freeze it.
frozen_dir() {
  mkdir -p "$1"
  FROZEN_DIRS+=("$1")
  if [[ -e $1/freezer.state ]]; then
    echo FROZEN > "$1/freezer.state"
  else
    echo 1 > "$1/cgroup.freeze"
  fi
}

# refuses_frozen ID...: create and run -d of each ID fail at once with runc's error, leave no
# state, no process, no cgroup of the container in the other hierarchies.
refuses_frozen() {
  update_config '.linux.cgroupsPath = $p' --arg p "$CGP/$ID"
  bounded 20 run -d --bundle "$BUNDLE" "$ID"
  expect_not_hung
  expect_status 1
  expect_output_contains "container's cgroup unexpectedly frozen"
  bounded 20 create --bundle "$BUNDLE" "${ID}b"
  expect_not_hung
  expect_status 1
  expect_output_contains "container's cgroup unexpectedly frozen"
  [[ -z $(ls -A "$ROOT") ]] || fail "state left under $ROOT: $(ls -A "$ROOT")"
  [[ -z $(leaked_processes) ]] || fail "processes left: $(leaked_processes)"
  local c
  for c in memory pids devices; do
    [[ ! -e $CG/$c$CGP/$ID ]] || fail "cgroup $CG/$c$CGP/$ID was made"
  done
}

@test "run/create refuse a cgroup v1 freezer that is already FROZEN (no hang, nothing left, the caller's cgroup kept)" {
  need_freezer_v1
  local fz=$CG/freezer$CGP/$ID
  frozen_dir "$fz"
  refuses_frozen
  expect_eq "$(cat "$fz/freezer.state")" FROZEN "the caller's freezer.state"
}

@test "run/create refuse a cgroup whose v1 freezer parent is FROZEN" {
  nucleus_only  # runc looks at freezer.self_freezing: a parent's freeze reads as thawed
  need_freezer_v1
  frozen_dir "$CG/freezer$CGP"
  refuses_frozen
  [[ ! -e $CG/freezer$CGP/$ID ]] || fail "the container's freezer cgroup was made"
}

@test "run/create refuse a cgroup2 cgroup with cgroup.freeze 1 (no hang, nothing left)" {
  nucleus_only  # runc looks at one freezer only (the v1 one on a hybrid host)
  need_unified
  local fz=$CG/unified$CGP/$ID
  frozen_dir "$fz"
  refuses_frozen
  expect_eq "$(cat "$fz/cgroup.freeze")" 1 "the caller's cgroup.freeze"
}

@test "create fails (no hang, nothing left) when the container's cgroup is frozen while it is being created" {
  nucleus_only
  need_freezer_v1
  # A prestart hook freezes the init's freezer cgroup: the init can never answer again.
  cat > "$BATS_TEST_TMPDIR/freeze.sh" <<'EOF'
#!/bin/sh
pid=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
echo FROZEN > "/sys/fs/cgroup/freezer$(awk -F: '$2 == "freezer" { print $3 }' /proc/$pid/cgroup)/freezer.state"
EOF
  chmod 755 "$BATS_TEST_TMPDIR/freeze.sh"
  update_config '.hooks.prestart = [{path: $p}]' --arg p "$BATS_TEST_TMPDIR/freeze.sh"
  bounded 30 create --bundle "$BUNDLE" "$ID"
  expect_not_hung
  expect_status 1
  expect_output_contains "container's cgroup unexpectedly frozen"
  [[ -z $(ls -A "$ROOT") ]] || fail "state left under $ROOT: $(ls -A "$ROOT")"
}

# exec_pid FREEZER-DIR INIT-PID: the exec'd process of `exec --ignore-paused` while the
# container is paused: the pid in the container's freezer cgroup that is not the init's.
exec_pid() {
  local fz=$1 init=$2 p
  for p in $(cat "$fz/cgroup.procs"); do
    [[ $p != "$init" ]] && echo "$p" && return 0
  done
  return 1
}

@test "exec --ignore-paused waits for resume, then runs; resume is not blocked by it" {
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  local init fz
  init=$(pid_of "$ID")
  fz=$(cg_dir freezer)
  [[ -e $fz/freezer.state ]] && THAW_DIRS+=("$fz")
  bounded 10 pause "$ID"
  expect_status 0
  # As runc's test: resume from another shell a bit later.
  ( sleep 2; timeout -k 2 15 "$RUNTIME" --root "$ROOT" resume "$ID" >"$BATS_TEST_TMPDIR/resume.out" 2>&1
    echo $? > "$BATS_TEST_TMPDIR/resume.rc" ) &
  bg $!
  # While paused: the exec'd process, frozen, is in every cgroup of the container already
  # (the freezer is joined last), memory and pids included.
  ( sleep 1
    if [[ -e $fz/freezer.state ]]; then
      p=$(exec_pid "$fz" "$init") || { echo "no exec'd process in the freezer cgroup" > "$BATS_TEST_TMPDIR/cg.err"; exit; }
      for c in memory pids cpu devices freezer; do
        [[ $(cg_rel "$p" "$c") == "$(cg_rel "$init" "$c")" ]] ||
          echo "$c: exec'd $(cg_rel "$p" "$c") init $(cg_rel "$init" "$c")" >> "$BATS_TEST_TMPDIR/cg.err"
      done
    fi ) &
  bg $!
  bounded 30 exec --ignore-paused "$ID" echo ok
  expect_not_hung
  expect_status 0
  expect_eq "$output" ok "exec output"
  wait_for_file "$BATS_TEST_TMPDIR/resume.rc" 20
  expect_eq "$(cat "$BATS_TEST_TMPDIR/resume.rc")" 0 "resume status ($(cat "$BATS_TEST_TMPDIR/resume.out"))"
  [[ ! -e $BATS_TEST_TMPDIR/cg.err ]] || fail "while paused: $(cat "$BATS_TEST_TMPDIR/cg.err")"
  expect_eq "$(status_of "$ID")" running "status after resume"
}

@test "start does not keep the lock while the container is frozen before its exec" {
  nucleus_only
  need_freezer_v1
  # The init is released, then runs a startContainer hook (3 s) before its exec: frozen there
  # (from outside the runtime, straight through the cgroup), it cannot exec until resumed.
  set_args sleep 1000
  update_config '.hooks.startContainer = [{path: "/bin/sleep", args: ["sleep", "3"]}]'
  rt create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  local fz
  fz=$CG/freezer$(cg_rel "$(cat "$BATS_TEST_TMPDIR/pid")" freezer)
  THAW_DIRS+=("$fz")
  ( timeout -k 2 30 "$RUNTIME" --root "$ROOT" start "$ID" >"$BATS_TEST_TMPDIR/start.out" 2>&1
    echo $? > "$BATS_TEST_TMPDIR/start.rc" ) &
  bg $!
  local i
  for ((i = 0; i < 100; i++)); do [[ -e $ROOT/$ID/exec.fifo ]] || break; sleep 0.05; done
  [[ ! -e $ROOT/$ID/exec.fifo ]] || fail "start did not release the init"
  echo FROZEN > "$fz/freezer.state"
  sleep 0.5
  bounded 10 resume "$ID"
  expect_not_hung
  expect_status 0
  wait_for_file "$BATS_TEST_TMPDIR/start.rc" 20
  expect_eq "$(cat "$BATS_TEST_TMPDIR/start.rc")" 0 "start status ($(cat "$BATS_TEST_TMPDIR/start.out"))"
  expect_eq "$(status_of "$ID")" running "status after start"
}

@test "exec without --ignore-paused refuses a paused container at once" {
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  rt pause "$ID"
  bounded 10 exec "$ID" echo ok
  expect_not_hung
  expect_failure
  expect_output_contains "cannot exec in a paused container"
  bounded 10 resume "$ID"
  expect_status 0
}

@test "kill KILL of a paused container stops it (the freezer would hold the signal until resume)" {
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  rt pause "$ID"
  bounded 10 kill "$ID" KILL
  expect_status 0
  wait_status "$ID" stopped 5
  bounded 10 delete "$ID"
  expect_status 0
}

@test "kill --all KILL of a paused container stops it" {
  set_cmd 'sleep 1001 & exec sleep 1000'
  rt run -d --bundle "$BUNDLE" "$ID"
  rt pause "$ID"
  bounded 10 kill --all "$ID" KILL
  expect_status 0
  wait_status "$ID" stopped 5
}

@test "delete --force of a paused container with an exec'd process returns in time" {
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  rt exec -d "$ID" sleep 1002 </dev/null >/dev/null 2>&1
  rt pause "$ID"
  bounded 20 delete --force "$ID"
  expect_not_hung
  expect_status 0
  [[ -z $(ls -A "$ROOT") ]] || fail "state left under $ROOT"
}

@test "a command waiting on a container's lock gives up with a clear error instead of waiting forever" {
  nucleus_only
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  # Something else holds the lock (the state directory's flock) and never lets go.
  flock --no-fork "$ROOT/$ID" sleep 100 &
  local holder=$!
  bg "$holder"
  sleep 0.3
  NUCLEUS_OCI_TEST_LOCK_TIMEOUT_MS=500 bounded 10 state "$ID"
  expect_not_hung
  expect_status 1
  expect_output_contains "is busy: pid $holder (sleep 100) has held its lock" "$ID"
  kill "$holder"
  wait "$holder" 2>/dev/null || true
  bounded 10 state "$ID"
  expect_status 0
}

# ---- a pure cgroup2 host, as the runtime sees it -------------------------------------------
# need_v2_view: RUNTIME becomes a wrapper that runs the runtime in a private mount namespace
# without the v1 hierarchies, where the unified one ($CG/unified) is the only cgroup mount: the
# runtime then freezes with cgroup.freeze and starts an exec'd process in the container's
# cgroup (clone3 CLONE_INTO_CGROUP), frozen from its first instruction when the container is.
need_v2_view() {
  nucleus_only
  need_unified
  command -v unshare >/dev/null && command -v findmnt >/dev/null || skip "unshare or findmnt missing"
  local w=$BATS_TEST_TMPDIR/v2-view
  cat > "$w" <<EOF
#!/bin/bash
exec unshare -m --propagation private bash -c 'for m in \$(findmnt -t cgroup -n -o TARGET); do umount "\$m" || exit 1; done; exec "\$0" "\$@"' "$RUNTIME" "\$@"
EOF
  chmod 755 "$w"
  RUNTIME=$w
}

@test "cgroup2 only: run/create refuse a cgroup with cgroup.freeze 1" {
  need_v2_view
  local fz=$CG/unified$CGP/$ID
  frozen_dir "$fz"
  refuses_frozen
  expect_eq "$(cat "$fz/cgroup.freeze")" 1 "the caller's cgroup.freeze"
}

@test "cgroup2 only: exec --ignore-paused waits for resume, then runs; resume is not blocked by it" {
  need_v2_view
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  THAW_DIRS+=("$CG/unified/nucleus-oci/$ID")
  bounded 10 pause "$ID"
  expect_status 0
  expect_eq "$(cat "$CG/unified/nucleus-oci/$ID/cgroup.freeze")" 1 cgroup.freeze
  ( sleep 2; timeout -k 2 15 "$RUNTIME" --root "$ROOT" resume "$ID" >"$BATS_TEST_TMPDIR/resume.out" 2>&1
    echo $? > "$BATS_TEST_TMPDIR/resume.rc" ) &
  bg $!
  bounded 30 exec --ignore-paused "$ID" echo ok
  expect_not_hung
  expect_status 0
  expect_eq "$output" ok "exec output"
  wait_for_file "$BATS_TEST_TMPDIR/resume.rc" 20
  expect_eq "$(cat "$BATS_TEST_TMPDIR/resume.rc")" 0 "resume status ($(cat "$BATS_TEST_TMPDIR/resume.out"))"
}

@test "cgroup2 only: a process exec'd into a paused container does not run after resume once its runtime is gone" {
  need_v2_view
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  local cgd=$CG/unified/nucleus-oci/$ID init
  THAW_DIRS+=("$cgd")
  init=$(pid_of "$ID")
  rt pause "$ID"
  # The exec'd process starts frozen, before its death signal is set; then its runtime dies.
  "$RUNTIME" --root "$ROOT" exec --ignore-paused "$ID" sh -c 'echo ran > /exec-ran' </dev/null >/dev/null 2>&1 &
  local rpid=$!
  poll_eq 5 2 "processes in the cgroup" eval 'wc -l < "$cgd/cgroup.procs"'
  kill -KILL "$rpid"
  wait "$rpid" 2>/dev/null || true
  bounded 10 resume "$ID"
  expect_status 0
  sleep 1
  [[ ! -e $BUNDLE/rootfs/exec-ran ]] || fail "the exec'd process ran without its runtime"
  expect_eq "$(cat "$cgd/cgroup.procs")" "$init" "processes in the container's cgroup"
}
