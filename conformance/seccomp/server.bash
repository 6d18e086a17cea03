# A real server in a container: Debian's redis-server, driven by Debian's redis-benchmark.
# Shared by conformance/seccomp/server.bats and hack/bench/server.
#
# The server container runs redis-server alone (its own cgroup: that is what trace mode records
# and what the profile is made for). The load comes from a second container that joins the
# server's network namespace (as a pod's sidecar does) and runs redis-benchmark against
# 127.0.0.1: no host networking to set up, and the client is neither traced (other cgroup, not a
# descendant of the server) nor filtered (its config has no linux.seccomp), so its syscalls never
# widen the server's profile and a denial can only be the server's. (`exec` would put the client
# in the server's cgroup: recorded by the eBPF recorder, not by USER_NOTIF, and filtered by the
# profile when enforced.)
# Both containers use the cached debootstrap tree (hack/debrootfs) read-only as their root, with
# a tmpfs on /tmp.
#
# Needs: jq, timeout; NUCLEUS_SRC; NUCLEUS_OCI_BIN (the nucleus-oci that runs the load container,
# whichever runtime runs the server).

SERVER_PACKAGES=(redis-server redis-tools)
# redis-server's own executable (/usr/bin/redis-server is a symlink to it): the exe= of the
# kernel's seccomp audit records.
REDIS_EXE=/usr/bin/redis-check-rdb

# server_rootfs: the cached rootfs (built on first use, ~1-2 min).
server_rootfs() { "$NUCLEUS_SRC/hack/debrootfs" "${SERVER_PACKAGES[@]}"; }

# server_config BASE.json ROOTFS OUT.json: the redis container's config, from BASE (a runtime's
# `spec`). --maxclients 512: redis then needs 544 fds, below the default RLIMIT_NOFILE of 1024, so
# it does not try (and fail, without CAP_SYS_RESOURCE) to raise the limit; --save "": no
# background save (fork) halfway through one run and not the other.
server_config() {
  jq --arg r "$2" '.root = {path: $r, readonly: true} | .process.terminal = false |
    .process.cwd = "/" | del(.linux.seccomp) |
    .process.args = ["/usr/bin/redis-server", "--bind", "127.0.0.1", "--port", "6379",
      "--save", "", "--appendonly", "no", "--dir", "/tmp", "--maxclients", "512"] |
    .mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs",
      options: ["nosuid", "nodev", "mode=1777", "size=64m"]}]' "$1" >"$3"
}

# client_config SERVER.json NETNS-PATH OUT.json N OPS CLIENTS: the load container: joins NETNS,
# no seccomp, runs redis-benchmark (N requests per op of OPS, e.g. set,get, over CLIENTS
# connections; killed after 120 s: it spins forever when it cannot connect), then the server's
# INFO stats. Its output: BENCH_RC=, the CSV, BENCH_STDERR_LINES=, and the INFO counters.
client_config() {
  local script
  script="redis-cli -h 127.0.0.1 ping >/dev/null
timeout -s KILL 120 redis-benchmark -h 127.0.0.1 -p 6379 -n $4 -c $6 -t $5 --csv >/tmp/csv 2>/tmp/err
echo BENCH_RC=\$?
cat /tmp/csv
echo BENCH_STDERR_LINES=\$(grep -c . /tmp/err)
head -n 5 /tmp/err
timeout -s KILL 10 redis-cli -h 127.0.0.1 info stats | tr -d '\\r' |
  grep -E '^(total_commands_processed|total_error_replies|rejected_connections):'"
  jq --arg ns "$2" --arg s "$script" '.process.args = ["sh", "-c", $s] | del(.linux.seccomp) |
    .linux.namespaces |= map(if .type == "network" then {type: "network", path: $ns} else . end)' \
    "$1" >"$3"
}

# server_start RUNTIME ROOT ID BUNDLE LOG [RUN-FLAGS...]: `run -d` the server (stdout/stderr
# into LOG) and wait (30 s at most) for redis's "Ready to accept connections"; fails at once when
# the container stops first.
server_start() {
  local rt=$1 root=$2 id=$3 bundle=$4 log=$5 i
  shift 5
  "$rt" --root "$root" run -d "$@" --bundle "$bundle" "$id" </dev/null >>"$log" 2>&1 ||
    { echo "server_start: $rt run failed:" >&2; cat "$log" >&2; return 1; }
  for ((i = 0; i < 600; i++)); do
    grep -q 'Ready to accept connections' "$log" && return 0
    if ((i % 5 == 4)) && [[ $("$rt" --root "$root" state "$id" 2>/dev/null | jq -r .status) != running ]]; then
      echo "server_start: redis stopped before it was ready; its log:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.05
  done
  echo "server_start: redis not ready after 30 s; its log:" >&2
  cat "$log" >&2
  return 1
}

# server_load RUNTIME ROOT SERVER-ID CLIENT-ID SERVER-BUNDLE CLIENT-BUNDLE-DIR N OPS CLIENTS:
# runs the load container (with RUNTIME) in the server's network namespace; prints its output.
server_load() {
  local rt=$1 root=$2 sid=$3 cid=$4 sb=$5 cb=$6 pid
  pid=$("$rt" --root "$root" state "$sid" | jq -r .pid) || return 1
  mkdir -p "$cb"
  client_config "$sb/config.json" "/proc/$pid/ns/net" "$cb/config.json" "$7" "$8" "$9"
  timeout -s KILL 180 "${NUCLEUS_OCI_BIN:?}" --root "$root.client" run --bundle "$cb" "$cid" </dev/null 2>&1
  "$NUCLEUS_OCI_BIN" --root "$root.client" delete --force "$cid" >/dev/null 2>&1 || true
}

# server_cpu_ms RUNTIME ROOT ID: the CPU time the server has used so far (user + system, all its
# threads; /proc/PID/stat, in clock ticks), in ms. Less sensitive to other load on the machine
# than throughput: what the recorder or the filter adds to each syscall is in it.
server_cpu_ms() {
  local pid
  pid=$("$1" --root "$2" state "$3" | jq -r .pid) || return 1
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) * 1000 / hz }' "/proc/$pid/stat"
}

# server_stop RUNTIME ROOT ID: SIGTERM (redis shuts down cleanly), wait for it to stop (15 s),
# delete (for a traced container: writes the trace).
server_stop() {
  local rt=$1 root=$2 id=$3 i st
  "$rt" --root "$root" kill "$id" TERM 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do
    st=$("$rt" --root "$root" state "$id" 2>/dev/null | jq -r .status) || break
    [[ $st == stopped ]] && break
    sleep 0.05
  done
  "$rt" --root "$root" delete --force "$id"
}

# load_failures N OPS < LOAD-OUTPUT: prints the number of failed requests of a server_load run
# (0 when all went through), with the reasons on stderr. A request failed when: redis-benchmark
# exited non-zero (every request counts), an op has no CSV line (its N count), redis-benchmark
# wrote errors ("Error from server: ...", each line one), the server answered with an error
# (total_error_replies) or refused a connection (rejected_connections), or the server processed
# fewer commands than N x ops.
load_failures() {
  local n=$1 ops=$2 out op nops failed=0 v
  out=$(cat)
  nops=$(tr ',' '\n' <<<"$ops" | grep -c .)
  v=$(sed -n 's/^BENCH_RC=//p' <<<"$out")
  if [[ $v != 0 ]]; then
    echo "redis-benchmark exited with [$v]" >&2
    echo $((n * nops))
    return 0
  fi
  for op in $(tr ',' ' ' <<<"${ops^^}"); do
    grep -q "^\"$op\"," <<<"$out" || { echo "no result for $op" >&2; failed=$((failed + n)); }
  done
  v=$(sed -n 's/^BENCH_STDERR_LINES=//p' <<<"$out")
  [[ ${v:-1} == 0 ]] || { echo "redis-benchmark wrote ${v:-?} error lines" >&2; failed=$((failed + ${v:-1})); }
  v=$(sed -n 's/^total_error_replies://p' <<<"$out")
  [[ ${v:-1} == 0 ]] || { echo "total_error_replies: ${v:-missing}" >&2; failed=$((failed + ${v:-1})); }
  v=$(sed -n 's/^rejected_connections://p' <<<"$out")
  [[ ${v:-1} == 0 ]] || { echo "rejected_connections: ${v:-missing}" >&2; failed=$((failed + ${v:-1})); }
  v=$(sed -n 's/^total_commands_processed://p' <<<"$out")
  if [[ ${v:-0} -lt $((n * nops)) ]]; then
    echo "total_commands_processed: ${v:-missing} < $((n * nops))" >&2
    failed=$((failed + n * nops - ${v:-0}))
  fi
  echo "$failed"
}

# kmsg_mark: the timestamp of the kernel log's last line (0 when empty).
kmsg_mark() {
  dmesg 2>/dev/null | tail -n 1 | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p' | grep . || echo 0
}

# denials MARK: the kernel's seccomp audit records (type=1326) of redis-server after MARK, one
# line each. The kernel writes them (no auditd here) for SCMP_ACT_LOG and, with
# SECCOMP_FILTER_FLAG_LOG, for every ERRNO/KILL/TRAP the filter returns. printk rate-limits them
# (10 per 5 s by default, shared): more than 0 is a lower bound; 0 is cross-checked by the
# enforced run's failures and the server's log.
denials() {
  dmesg 2>/dev/null | awk -v t="$1" -v exe="exe=\"$REDIS_EXE\"" '
    { ts = $1; sub(/^\[ */, "", ts); sub(/\].*/, "", ts) }
    (ts + 0) > (t + 0) && /type=1326/ && index($0, exe) { print }'
}

# with_log_flag PROFILE.json: the profile as is, with SECCOMP_FILTER_FLAG_LOG (each denial is
# enforced and logged; nucleus-oci only: runc 1.1 refuses "flags").
with_log_flag() { jq '.flags = ((.flags // []) + ["SECCOMP_FILTER_FLAG_LOG"] | unique)' "$1"; }

# as_log_default PROFILE.json: the same rules with defaultAction SCMP_ACT_LOG: what the profile
# would deny is allowed and logged (for runc, which takes no flags).
as_log_default() { jq '.defaultAction = "SCMP_ACT_LOG" | del(.defaultErrnoRet)' "$1"; }

# set_profile BUNDLE PROFILE.json: linux.seccomp = the profile.
set_profile() {
  jq --slurpfile p "$2" '.linux.seccomp = $p[0]' "$1/config.json" >"$1/config.json.new" &&
    mv "$1/config.json.new" "$1/config.json"
}
