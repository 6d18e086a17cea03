# Shared helpers for the lifecycle conformance suites (bats). Load with: load ../helpers/common
#
# The suites run against any runc-compatible runtime:
#   RUNTIME      the runtime under test (e.g. RUNTIME=runc to validate the suite itself)
#   NUCLEUS_OCI  used when RUNTIME is unset (ctest sets it to the built binary)
#   otherwise    nucleus-oci from PATH
# Other inputs: NUCLEUS_SRC (repo), NUCLEUS_BUILD (build dir: rootfs cache, tools),
#   RECVTTY (the recvtty helper; default $NUCLEUS_BUILD/conformance/tools/recvtty).
#
# Every test file gets a private --root ($ROOT); every test a fresh bundle ($BUNDLE, with
# rootfs copied from a cached busybox rootfs) and a unique container id ($ID, more as ${ID}b...).
# teardown force-deletes every container under $ROOT and then fails the test if anything leaked:
# a state directory, a mount under the bundle, a process of the test's containers, a cgroup dir.

: "${NUCLEUS_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export NUCLEUS_SRC

# ---- assertions -------------------------------------------------------------------------------
fail() {
  echo "FAIL: $*" >&2
  return 1
}

# expect_status N: the last `run` exited with N (prints the output otherwise).
expect_status() {
  if [[ $status -ne $1 ]]; then
    echo "expected exit status $1, got $status; output:" >&2
    printf '%s\n' "$output" >&2
    return 1
  fi
}

# expect_failure: the last `run` exited non-zero.
expect_failure() {
  if [[ $status -eq 0 ]]; then
    echo "expected a failure, got exit status 0; output:" >&2
    printf '%s\n' "$output" >&2
    return 1
  fi
}

# expect_output_contains TEXT...: the last `run`'s output contains each TEXT.
expect_output_contains() {
  local t
  for t in "$@"; do
    if [[ $output != *"$t"* ]]; then
      echo "expected the output to contain: $t" >&2
      echo "output was:" >&2
      printf '%s\n' "$output" >&2
      return 1
    fi
  done
}

# expect_eq ACTUAL EXPECTED [WHAT]
expect_eq() {
  if [[ $1 != "$2" ]]; then
    echo "${3:-value}: expected [$2], got [$1]" >&2
    return 1
  fi
}

# ---- the runtime ------------------------------------------------------------------------------
find_runtime() {
  local r=${RUNTIME:-${NUCLEUS_OCI:-}}
  if [[ -z $r ]]; then r=$(command -v nucleus-oci || true); fi
  if [[ -z $r ]] || ! command -v "$r" >/dev/null 2>&1; then
    echo "runtime not found (RUNTIME=${RUNTIME:-} NUCLEUS_OCI=${NUCLEUS_OCI:-}); set RUNTIME" >&2
    return 1
  fi
  command -v "$r"
}

# rt ARGS...: the runtime under test with this file's private --root.
# For commands that leave a container behind (create, run -d), the container inherits the
# runtime's stdio: a pipe would keep bats' `run` waiting forever. So those get stdin from
# /dev/null and stdout+stderr appended to $BATS_TEST_TMPDIR/detached.out; rt prints what the
# runtime itself wrote there (the container's later output stays in that file: detached_output).
rt() {
  local a detach=0 cmd=
  for a in "$@"; do
    case $a in
      create) [[ -z $cmd ]] && cmd=create && detach=1 ;;
      run) [[ -z $cmd ]] && cmd=run ;;
      -d|--detach|-detach|--detach=true) [[ $cmd == run ]] && detach=1 ;;
    esac
  done
  if [[ $detach -eq 0 ]]; then
    "$RUNTIME" --root "$ROOT" "$@"
    return
  fi
  local out=$BATS_TEST_TMPDIR/detached.out off rc=0
  touch "$out"
  off=$(stat -c %s "$out")
  "$RUNTIME" --root "$ROOT" "$@" </dev/null >>"$out" 2>&1 || rc=$?
  tail -c +$((off + 1)) "$out"
  return $rc
}

# rt_raw ARGS...: the runtime with --root and the caller's own stdio (redirect it yourself).
rt_raw() { "$RUNTIME" --root "$ROOT" "$@"; }

# detached_output: everything written to the detached containers' stdout/stderr so far.
detached_output() { cat "$BATS_TEST_TMPDIR/detached.out" 2>/dev/null; }

is_runc() { [[ $RUNTIME_NAME == runc ]]; }

# nucleus_only: skip the current test when the runtime is runc (checks of nucleus-oci's own
# behaviour, e.g. error texts runc words differently).
nucleus_only() {
  if is_runc; then skip "nucleus-oci specific"; fi
}

# ---- setup / teardown -------------------------------------------------------------------------
common_setup_file() {
  if [[ $(id -u) -ne 0 ]]; then
    # (bats 1.8 reports a skip in setup_file as a failure: every test skips in setup instead)
    echo "SKIP: conformance tests need root" >&3
    return 0
  fi
  RUNTIME=$(find_runtime) || return 1
  # "runc version 1.1.5" -> runc; "nucleus-oci version 0.1.0" -> nucleus-oci
  RUNTIME_NAME=$("$RUNTIME" --version 2>/dev/null | awk 'NR==1 {print $1}')
  [[ -n $RUNTIME_NAME ]] || RUNTIME_NAME=$(basename "$RUNTIME")
  ROOT=$BATS_FILE_TMPDIR/root
  mkdir -p "$ROOT"
  chmod 711 "$BATS_FILE_TMPDIR"
  # A template bundle made by hack/mkbundle (rootfs cache + the runtime's own spec).
  TEMPLATE=$BATS_FILE_TMPDIR/template
  NUCLEUS_BUILD=${NUCLEUS_BUILD:-} "$NUCLEUS_SRC/hack/mkbundle" "$TEMPLATE" --runtime "$RUNTIME" \
    -- sleep 1000 >/dev/null || return 1
  # Writable root by default (tests write markers into it); readonly tests set it back.
  jq ".root.readonly = false" "$TEMPLATE/config.json" > "$TEMPLATE/c.json" && mv "$TEMPLATE/c.json" "$TEMPLATE/config.json"
  ROOTFS_CACHE=${NUCLEUS_BUILD:-/tmp}/rootfs-cache
  export RUNTIME RUNTIME_NAME ROOT TEMPLATE ROOTFS_CACHE
}

common_teardown_file() {
  [[ -n ${ROOT:-} && -d $ROOT ]] || return 0
  local id
  for id in $(ls -A "$ROOT" 2>/dev/null); do "$RUNTIME" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 || true; done
  rm -rf "$ROOT" "$TEMPLATE"
}

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }

common_setup() {
  [[ $(id -u) -eq 0 ]] || skip "conformance tests need root"
  ID="t$$-$BATS_TEST_NUMBER"
  BUNDLE=$BATS_TEST_TMPDIR/bundle
  mkdir -p "$BUNDLE"
  # A private copy: tests may write into the rootfs, so no hardlinks to the cache.
  cp -a --reflink=auto "$TEMPLATE/rootfs" "$BUNDLE/rootfs"
  # Tag every container process so that teardown can find leftovers.
  jq --arg tag "NUCLEUS_CONFORMANCE_TAG=$ID" '.process.env += [$tag]' \
    "$TEMPLATE/config.json" > "$BUNDLE/config.json"
  BG_PIDS=()
  export ID BUNDLE
}

common_teardown() {
  [[ $(id -u) -eq 0 ]] || return 0
  local rc=0 id p
  # Background helpers the test started (recvtty...).
  for p in "${BG_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  # Force-delete every container of this file (they all belong to the current test).
  for id in $(ls -A "$ROOT" 2>/dev/null); do
    rt delete --force "$id" >/dev/null 2>&1 || true
  done
  check_no_leaks || rc=1
  # The bundle holds bind mounts only in the containers' mount namespaces; remove it.
  rm -rf "$BUNDLE" 2>/dev/null || true
  return $rc
}

setup() { common_setup; }
teardown() { common_teardown; }

# leaked_processes: pids of processes belonging to this test's containers: carrying the env tag,
# in a cgroup named after one of the test's ids, or with the bundle path on their command line.
leaked_processes() {
  local f pid pat
  # [/]: the pattern must not match grep's own command line.
  pat="[/]${BUNDLE#/}"
  {
    grep -lzE "^NUCLEUS_CONFORMANCE_TAG=$ID[a-z]?\$" /proc/[0-9]*/environ 2>/dev/null
    grep -lE "/$ID[a-z]?\$" /proc/[0-9]*/cgroup 2>/dev/null
    grep -laE "$pat" /proc/[0-9]*/cmdline 2>/dev/null
  } | while read -r f; do
    pid=${f#/proc/}
    pid=${pid%%/*}
    # zombies are no longer the runtime's business (their parent reaps them)
    [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == Z ]] && continue
    [[ -d /proc/$pid ]] && echo "$pid"
  done | sort -u
}

leaked_cgroups() {
  find /sys/fs/cgroup -maxdepth 6 -type d \( -name "$ID" -o -name "${ID}[a-z]" \) 2>/dev/null
}

check_no_leaks() {
  local i left procs cgs mounts
  for i in $(seq 50); do
    left=$(ls -A "$ROOT" 2>/dev/null)
    procs=$(leaked_processes)
    cgs=$(leaked_cgroups)
    mounts=$(grep -F "$BUNDLE" /proc/self/mountinfo || true)
    [[ -z $left && -z $procs && -z $cgs && -z $mounts ]] && return 0
    sleep 0.1
  done
  [[ -z $left ]] || echo "LEAK: state left under $ROOT: $left" >&2
  if [[ -n $procs ]]; then
    echo "LEAK: processes:" >&2
    for i in $procs; do echo "  $i: $(tr '\0' ' ' < /proc/$i/cmdline 2>/dev/null)" >&2; kill -KILL "$i" 2>/dev/null; done
  fi
  [[ -z $cgs ]] || echo "LEAK: cgroups:" $cgs >&2
  [[ -z $mounts ]] || echo "LEAK: mounts: $mounts" >&2
  # clean up what leaked so that later tests start clean
  sleep 0.2
  for i in $(leaked_cgroups | sort -r); do rmdir "$i" 2>/dev/null; done
  for i in $(awk -v b="$BUNDLE" 'index($5, b) == 1 {print $5}' /proc/self/mountinfo | sort -r); do umount -l "$i" 2>/dev/null; done
  rm -rf "${ROOT:?}"/* 2>/dev/null
  return 1
}

# ---- bundle editing ---------------------------------------------------------------------------
# update_config JQ-FILTER [JQ-ARGS...]: edit $BUNDLE/config.json in place
# (e.g. update_config '.process.args = ["true"]', update_config '.x = $v' --arg v 1).
update_config() {
  local filter=$1
  shift
  jq "$@" "$filter" "$BUNDLE/config.json" > "$BUNDLE/config.json.new" &&
    mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# set_args ARG...: process.args = the arguments.
set_args() {
  local j='[]' a
  for a in "$@"; do j=$(jq -c --arg v "$a" '. + [$v]' <<<"$j"); done
  update_config '.process.args = $a' --argjson a "$j"
}

# set_cmd 'SHELL SCRIPT': process.args = ["sh", "-c", SCRIPT].
set_cmd() { set_args sh -c "$1"; }

# ---- container helpers ------------------------------------------------------------------------
# status_of ID: the status field of `state`, or "none" when state fails.
status_of() {
  local s
  s=$(rt state "$1" 2>/dev/null) || { echo none; return 0; }
  jq -r .status <<<"$s"
}

# poll_eq TIMEOUT-SECONDS WANT WHAT COMMAND...: runs COMMAND (stderr dropped) every 0.05 s until
# its output is WANT; on timeout, says on stderr what WHAT last was, and fails.
poll_eq() {
  local timeout=$1 want=$2 what=$3 i v
  shift 3
  for ((i = 0; i < timeout * 20; i++)); do
    v=$("$@" 2>/dev/null)
    [[ $v == "$want" ]] && return 0
    sleep 0.05
  done
  echo "$what: [$v], expected [$want] after ${timeout}s" >&2
  return 1
}

# wait_status ID STATUS [TIMEOUT-SECONDS=5]
wait_status() { poll_eq "${3:-5}" "$2" "container $1: status" status_of "$1"; }

# pid_of ID: the init pid from state.
pid_of() { rt state "$1" | jq -r .pid; }

# run_in_container 'SCRIPT': foreground `run` of sh -c SCRIPT in $BUNDLE as $ID (status/output).
run_in_container() {
  set_cmd "$1"
  run rt run --bundle "$BUNDLE" "$ID"
}

# bg PID: remember a background helper for teardown.
bg() { BG_PIDS+=("$1"); }

# recvtty: the path of the recvtty helper (skips nothing: fails when missing).
find_recvtty() {
  local r=${RECVTTY:-${NUCLEUS_BUILD:+$NUCLEUS_BUILD/conformance/tools/recvtty}}
  if [[ -z $r || ! -x $r ]]; then
    echo "recvtty not found: build conformance/tools (or set RECVTTY)" >&2
    return 1
  fi
  echo "$r"
}

# wait_for_file PATH [TIMEOUT-SECONDS=5]
wait_for_file() {
  local i
  for ((i = 0; i < ${2:-5} * 20; i++)); do
    [[ -e $1 ]] && return 0
    sleep 0.05
  done
  echo "$1 did not appear" >&2
  return 1
}
