#!/usr/bin/env bats
# Trace mode on a real server, end to end (issue #18): Debian's redis-server in a debootstrap
# rootfs (hack/debrootfs, cached under /var/cache/nucleus-oci/rootfs; the first run builds it,
# ~1-2 min), loaded by redis-benchmark from a sidecar container in its network namespace
# (server.bash says why). Traced with the eBPF recorder and with USER_NOTIF; the profile
# `seccomp generate` makes of each trace is enforced by nucleus-oci and by runc under the same
# load: no request fails, nothing is denied.
# Denials are counted from the kernel's seccomp audit records (dmesg, type=1326, exe= redis's):
# nucleus-oci enforces the profile with SECCOMP_FILTER_FLAG_LOG added (same rules, each denial
# logged as it is enforced); runc 1.1 takes no seccomp flags, so it enforces the profile as
# generated (failures) and then runs a copy with defaultAction SCMP_ACT_LOG (what would be
# denied, logged). A negative control checks that a profile missing one syscall redis needs
# fails these checks.
# Throughput is measured by hack/bench/server, not here.
load ../helpers/common
load server

N=1000                                # requests per op: a few thousand in all
OPS=set,get,incr,lpush,lpop,sadd,hset # 7 ops
CLIENTS=10

setup_file() {
  common_setup_file
  SERVER_SKIP=
  if [[ $(id -u) -ne 0 ]]; then
    SERVER_SKIP="needs root"
  elif ! command -v debootstrap >/dev/null; then
    SERVER_SKIP="debootstrap not installed"
  elif ! command -v dmesg >/dev/null || ! dmesg >/dev/null 2>&1; then
    SERVER_SKIP="cannot read the kernel log (dmesg)"
  else
    # A build failure fails every test (setup checks SERVER_ROOTFS), it does not skip them.
    SERVER_ROOTFS=$(server_rootfs) || SERVER_ROOTFS=
  fi
  export SERVER_SKIP SERVER_ROOTFS
}

teardown_file() {
  common_teardown_file
}

setup() {
  common_setup
  nucleus_only
  [[ -z $SERVER_SKIP ]] || skip "$SERVER_SKIP"
  [[ -n $SERVER_ROOTFS && -x $SERVER_ROOTFS/usr/bin/redis-server ]] ||
    fail "no redis rootfs: hack/debrootfs ${SERVER_PACKAGES[*]} failed (see setup_file's output)"
  NUCLEUS_OCI_BIN=$RUNTIME
  SRV=$BATS_TEST_TMPDIR/srv
  mkdir -p "$SRV"
  server_config "$BUNDLE/config.json" "$SERVER_ROOTFS" "$SRV/config.json"
  RUNC_ROOT=$BATS_TEST_TMPDIR/runc-root
}

teardown() {
  local id r
  for r in "$RUNC_ROOT" "$RUNC_ROOT.client" "$ROOT.client"; do
    [[ -d $r ]] || continue
    for id in $(ls -A "$r" 2>/dev/null); do
      if [[ $r == "$RUNC_ROOT" ]]; then runc --root "$r" delete --force "$id" >/dev/null 2>&1 || true
      else "$RUNTIME" --root "$r" delete --force "$id" >/dev/null 2>&1 || true; fi
    done
  done
  common_teardown
}

# serve RUNTIME ROOT [RUN-FLAGS...]: starts the server as $ID, runs the load, stops the server;
# sets LOAD (the client's output), FAILED (failed requests), SRVLOG, DENIED (audit records),
# SECCOMP_MODE (the server's Seccomp: field, 2 under a filter).
serve() {
  local rt=$1 root=$2 mark
  shift 2
  SRVLOG=$BATS_TEST_TMPDIR/server-$BATS_TEST_NUMBER-$RANDOM.log
  mark=$(kmsg_mark)
  server_start "$rt" "$root" "$ID" "$SRV" "$SRVLOG" "$@" || return 1
  SECCOMP_MODE=$(awk '/^Seccomp:/ {print $2}' "/proc/$("$rt" --root "$root" state "$ID" | jq -r .pid)/status")
  LOAD=$(server_load "$rt" "$root" "$ID" "${ID}c" "$SRV" "$BATS_TEST_TMPDIR/cli" "$N" "$OPS" "$CLIENTS")
  server_stop "$rt" "$root" "$ID" || return 1
  FAILED=$(load_failures "$N" "$OPS" <<<"$LOAD")
  DENIED=$(denials "$mark")
}

# expect_clean WHAT: 0 failed requests, no denial, nothing refused in the server's log.
expect_clean() {
  [[ $FAILED == 0 ]] || { printf '%s\n' "$LOAD" >&2; fail "$1: $FAILED failed requests"; return 1; }
  [[ -z $DENIED ]] || { printf '%s\n' "$DENIED" >&2; fail "$1: $(grep -c . <<<"$DENIED") denials"; return 1; }
  if grep -iE 'not permitted|permission denied|bad system call|function not implemented' "$SRVLOG" >&2; then
    fail "$1: the server's log reports a refused call"
    return 1
  fi
}

# trace_redis MODE: the traced run, into $BATS_FILE_TMPDIR/trace-MODE.ndjson.
trace_redis() {
  local trace=$BATS_FILE_TMPDIR/trace-$1.ndjson
  rm -f "$trace"
  serve "$RUNTIME" "$ROOT" --seccomp-trace "$trace" --seccomp-trace-mode "$1"
  expect_clean "traced ($1)"
  # eBPF: no filter in the container; USER_NOTIF: the recorder's filter
  expect_eq "$SECCOMP_MODE" "$([[ $1 == ebpf ]] && echo 0 || echo 2)" "the traced server's seccomp mode"
  [[ -s $trace ]] || fail "no trace written"
  # redis's own syscalls, with counts that match the load: its event loop (epoll_wait), the
  # accepted connections (accept4; CLIENTS per op and a few more), the requests read and the
  # replies written (each at least once per request), its background threads (clone3).
  local n name
  for name in epoll_wait epoll_ctl accept4 setsockopt listen bind clone3; do
    n=$(jq -s --arg n "$name" '[.[] | select(.arch == "SCMP_ARCH_X86_64" and .name == $n) | .count] | add // 0' "$trace")
    [[ $n -ge 1 ]] || fail "$name missing from the $1 trace"
  done
  n=$(jq -s '[.[] | select(.name == "accept4") | .count] | add // 0' "$trace")
  [[ $n -ge $((CLIENTS * 7)) ]] || fail "accept4: $n, expected at least $((CLIENTS * 7))"
  for name in read write; do
    n=$(jq -s --arg n "$name" '[.[] | select(.name == $n) | .count] | add // 0' "$trace")
    [[ $n -ge $((N * 7)) ]] || fail "$name: $n, expected at least $((N * 7)) (one per request)"
  done
  # only the server: nothing of the sidecar (redis-benchmark connects, the server does not)
  n=$(jq -s '[.[] | select(.name == "connect")] | length' "$trace")
  [[ $n -eq 0 ]] || fail "connect in the server's trace: the client's syscalls were recorded"
}

# profile_of MODE: generates the profile of the MODE trace into $BATS_TEST_TMPDIR/profile.json.
profile_of() {
  local trace=$BATS_FILE_TMPDIR/trace-$1.ndjson
  [[ -s $trace ]] || fail "no $1 trace (the traced test failed)"
  PROFILE=$BATS_TEST_TMPDIR/profile.json
  run "$RUNTIME" seccomp generate "$trace" -o "$PROFILE"
  expect_status 0
  [[ $(jq -r .defaultAction "$PROFILE") == SCMP_ACT_ERRNO ]] || fail "profile: $(head -c 300 "$PROFILE")"
}

# enforce_nucleus: nucleus-oci enforces PROFILE (+ SECCOMP_FILTER_FLAG_LOG) under the load.
enforce_nucleus() {
  with_log_flag "$PROFILE" >"$BATS_TEST_TMPDIR/p-log.json"
  set_profile "$SRV" "$BATS_TEST_TMPDIR/p-log.json"
  serve "$RUNTIME" "$ROOT"
}

# enforce_runc: runc enforces PROFILE; then a copy with a LOG default counts would-be denials.
enforce_runc() {
  set_profile "$SRV" "$PROFILE"
  serve runc "$RUNC_ROOT" || return 1
  expect_clean "runc, the profile as generated" || return 1
  expect_eq "$SECCOMP_MODE" 2 "the server's seccomp mode under runc" || return 1
  as_log_default "$PROFILE" >"$BATS_TEST_TMPDIR/p-logdefault.json"
  set_profile "$SRV" "$BATS_TEST_TMPDIR/p-logdefault.json"
  serve runc "$RUNC_ROOT"
}

@test "redis traced with the eBPF recorder: 0 failed requests, its syscalls recorded" {
  trace_redis ebpf
}

@test "redis traced with USER_NOTIF: 0 failed requests, its syscalls recorded" {
  trace_redis notify
}

@test "profile from the eBPF trace, enforced by nucleus-oci: 0 failed requests, 0 denials" {
  profile_of ebpf
  enforce_nucleus
  expect_clean "nucleus-oci, eBPF profile"
  expect_eq "$SECCOMP_MODE" 2 "the server's seccomp mode"
}

@test "profile from the eBPF trace, enforced by runc: 0 failed requests, 0 denials" {
  command -v runc >/dev/null || skip "runc not installed"
  profile_of ebpf
  enforce_runc
  expect_clean "runc, eBPF profile"
}

@test "profile from the USER_NOTIF trace, enforced by nucleus-oci and runc: 0 failed, 0 denied" {
  profile_of notify
  enforce_nucleus
  expect_clean "nucleus-oci, USER_NOTIF profile"
  command -v runc >/dev/null || return 0
  enforce_runc
  expect_clean "runc, USER_NOTIF profile"
}

@test "negative control: the checks catch a profile without getpeername (failures and denials)" {
  # redis asks getpeername whether a client is local (protected mode): denied, it refuses every
  # connection with a DENIED error. The failure count and the audit records must both see it.
  profile_of ebpf
  jq '.syscalls |= map(.names -= ["getpeername"])' "$PROFILE" >"$PROFILE.new" && mv "$PROFILE.new" "$PROFILE"
  enforce_nucleus
  [[ $FAILED -gt 0 ]] || fail "no failed request counted"
  grep -q 'syscall=52 ' <<<"$DENIED" || { printf '%s\n' "$DENIED" >&2; fail "the denial of getpeername (52) was not seen"; }
  run expect_clean "negative control"
  expect_failure
}
