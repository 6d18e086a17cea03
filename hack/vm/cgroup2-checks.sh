#!/bin/sh
# cgroup v2 conformance checks, run by busybox sh inside the VM (hack/vm/run-cgroup2) on a pure
# cgroup2 host. Runs real containers with $RUNTIME; prints one "ok - NAME" / "not ok - NAME"
# line per check, diagnostics as "#" lines. Every check deletes its container (delete --force).
#
# Environment: RUNTIME (default /usr/bin/nucleus-oci), ROOTFS (container rootfs, default
# /var/lib/cgtest/rootfs). Every container gets linux.cgroupsPath /nucleus-test/<id>, so runc
# and nucleus-oci put it at the same place: /sys/fs/cgroup/nucleus-test/<id>.

RUNTIME=${RUNTIME:-/usr/bin/nucleus-oci}
ROOTFS=${ROOTFS:-/var/lib/cgtest/rootfs}
CG=/sys/fs/cgroup
PREFIX=/nucleus-test
B=/tmp/bundles
mkdir -p "$B"

echo "# runtime: $RUNTIME ($($RUNTIME --version 2>&1 | head -1))"

ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; }
diag() { echo "$*" | cut -c1-300 | sed 's/^/#   /'; }  # long errors cut to 300 chars a line
# check NAME COMMAND...: ok/not ok from the command's status
check() { n=$1; shift; if "$@"; then ok "$n"; else notok "$n"; fi; }

# every runtime command gets a time limit, so a hung runtime fails one check, not the run
rt() { timeout -k 5 "${RT_TIMEOUT:-30}" "$RUNTIME" "$@"; }
# run_out ID: "run" the container, output to a file (not a pipe: a leftover container process
# holding a pipe open would block $(...) forever); sets _s (exit status) and _o (output)
run_out() {
  rt run --bundle "$B/$1" "$1" > "$B/$1/run.out" 2>&1 < /dev/null; _s=$?
  _o=$(cat "$B/$1/run.out")
}
cleanup() { rt delete --force "$1" >/dev/null 2>&1; }
state_of() { rt state "$1" 2>/dev/null | tr -d '\n' | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p'; }
# wait_status ID STATUS [TENTHS]: poll the state until it is STATUS (default 60 s)
wait_status() {
  i=0
  while [ "$i" -lt "${3:-600}" ]; do
    [ "$(state_of "$1")" = "$2" ] && return 0
    sleep 0.1; i=$((i + 1))
  done
  diag "$1: still $(state_of "$1"), wanted $2"
  return 1
}
# wait_file_has FILE PATTERN [TENTHS]: poll until grep -q PATTERN FILE (default 30 s)
wait_file_has() {
  i=0
  while [ "$i" -lt "${3:-300}" ]; do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1; i=$((i + 1))
  done
  return 1
}
# eq NAME GOT WANT
eq() { [ "$2" = "$3" ] && return 0; diag "$1: got '$2', want '$3'"; return 1; }
cgfile() { cat "$CG$PREFIX/$1/$2" 2>&1; }
# value of KEY in a flat-keyed cgroup file ("key value" lines)
cgkey() { awk -v k="$3" '$1 == k { print $2 }' "$CG$PREFIX/$1/$2" 2>/dev/null; }

# Device rules every container gets (docker/runc defaults): deny all, then mknod anything,
# rwm on null, zero, full, random, urandom, tty, ptmx and the pts.
DEFDEV='{"allow": false, "access": "rwm"},
      {"allow": true, "type": "c", "access": "m"},
      {"allow": true, "type": "b", "access": "m"},
      {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
      {"allow": true, "type": "c", "major": 1, "minor": 5, "access": "rwm"},
      {"allow": true, "type": "c", "major": 1, "minor": 7, "access": "rwm"},
      {"allow": true, "type": "c", "major": 1, "minor": 8, "access": "rwm"},
      {"allow": true, "type": "c", "major": 1, "minor": 9, "access": "rwm"},
      {"allow": true, "type": "c", "major": 5, "minor": 0, "access": "rwm"},
      {"allow": true, "type": "c", "major": 5, "minor": 2, "access": "rwm"},
      {"allow": true, "type": "c", "major": 136, "access": "rwm"}'

CAPS='"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"'

# mkbundle ID ARGS-JSON [RESOURCES-JSON-MEMBERS] [EXTRA-DEVICE-RULES] [LINUX-DEVICES-JSON]
# Writes $B/ID/config.json (no jq in the VM: a here-doc template).
mkbundle() {
  _id=$1 _args=$2 _res=${3:-} _devrules=${4:-} _devs=${5:-[]}
  [ -n "$_res" ] && _res="$_res,"
  [ -n "$_devrules" ] && _devrules=",
      $_devrules"
  mkdir -p "$B/$_id"
  cat > "$B/$_id/config.json" <<EOF
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": {"uid": 0, "gid": 0},
    "args": $_args,
    "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"],
    "cwd": "/",
    "capabilities": {
      "bounding": [$CAPS],
      "effective": [$CAPS],
      "permitted": [$CAPS]
    },
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "noNewPrivileges": true
  },
  "root": {"path": "$ROOTFS", "readonly": false},
  "hostname": "$_id",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
     "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=262144k"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs",
     "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
     "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
  ],
  "linux": {
    "cgroupsPath": "$PREFIX/$_id",
    "resources": {
      $_res
      "devices": [
      $DEFDEV$_devrules
      ]
    },
    "devices": $_devs,
    "namespaces": [
      {"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"},
      {"type": "network"}, {"type": "cgroup"}
    ],
    "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
  }
}
EOF
}

# create ID: create the container from $B/ID, its stdout+stderr to $B/ID/out
create() {
  rt create --bundle "$B/$1" "$1" > "$B/$1/out" 2>&1 < /dev/null && return 0
  diag "create $1 failed:"; diag "$(cat "$B/$1/out")"; return 1
}
start() {
  rt start "$1" > "$B/$1/start.out" 2>&1 < /dev/null && return 0
  diag "start $1 failed: $(cat "$B/$1/start.out")"; return 1
}

# --- spec ---------------------------------------------------------------------------------
t_spec() {
  mkdir -p "$B/spec" && cd "$B/spec" && rm -f config.json
  _o=$(rt spec 2>&1); _s=$?; cd /
  [ $_s -eq 0 ] || { diag "spec: exit $_s: $_o"; return 1; }
  grep -q '"ociVersion"' "$B/spec/config.json" && grep -q '"namespaces"' "$B/spec/config.json" ||
    { diag "spec: config.json lacks ociVersion/namespaces"; return 1; }
}
check "spec writes a config.json in the bundle directory" t_spec

# --- sanity: a plain container runs -------------------------------------------------------
t_run() {
  id=hello; cleanup $id
  mkbundle $id '["sh", "-c", "echo hello from $(hostname)"]'
  run_out $id
  cleanup $id
  [ $_s -eq 0 ] || { diag "run: exit $_s: $_o"; return 1; }
  eq "output" "$_o" "hello from $id"
}
check "run: a container runs and exits 0" t_run

# --- memory.limit -> memory.max -------------------------------------------------------------
id=mem; cleanup $id
mkbundle $id '["cat", "/sys/fs/cgroup/memory.max"]' '"memory": {"limit": 33554432}'
if create $id; then
  check "memory.limit: host-side $PREFIX/$id/memory.max is 33554432" eq memory.max "$(cgfile $id memory.max)" 33554432
  if start $id && wait_status $id stopped; then
    check "memory.limit: memory.max in the container (cgroup ns + cgroup mount) is 33554432" \
      eq "container output" "$(cat "$B/$id/out")" 33554432
  else
    notok "memory.limit: memory.max in the container (cgroup ns + cgroup mount) is 33554432"
  fi
else
  notok "memory.limit: host-side $PREFIX/$id/memory.max is 33554432"
  notok "memory.limit: memory.max in the container (cgroup ns + cgroup mount) is 33554432"
fi
cleanup $id

# --- OOM kill under a 32 MiB limit ----------------------------------------------------------
HOG='["dd", "if=/dev/zero", "of=/dev/shm/x", "bs=1M", "count=100"]'
t_oom_run() {
  id=oomrun; cleanup $id
  mkbundle $id "$HOG" '"memory": {"limit": 33554432}'
  run_out $id
  cleanup $id
  [ $_s -eq 137 ] && return 0
  diag "run: exit $_s, want 137 (SIGKILL); output: $_o"; return 1
}
check "memory: a 100 MiB tmpfs hog under a 32 MiB limit is OOM-killed (run exits 137)" t_oom_run

t_oom_events() {
  id=oomev; cleanup $id
  mkbundle $id "$HOG" '"memory": {"limit": 33554432}'
  create $id && start $id && wait_status $id stopped || { cleanup $id; return 1; }
  _k=$(cgkey $id memory.events oom_kill)
  _ev=$(cgfile $id memory.events | tr '\n' ' ')
  cleanup $id
  [ "${_k:-0}" -ge 1 ] && return 0
  diag "memory.events: $_ev"; return 1
}
check "memory: memory.events oom_kill >= 1 after the OOM kill" t_oom_events

# --- pids.max -------------------------------------------------------------------------------
t_pids() {
  id=pids; cleanup $id
  # busybox sh gives up at the first failed fork: fork in a subshell, the container's sh
  # survives and execs (no fork) a sleep that inherits the orphaned sleeps.
  mkbundle $id '["sh", "-c", "(for i in $(seq 50); do sleep 60 & done); echo spawned; exec sleep 1000"]' \
    '"pids": {"limit": 10}'
  create $id && start $id || { cleanup $id; return 1; }
  _r=0
  wait_file_has "$B/$id/out" spawned || { diag "the fork loop did not finish"; _r=1; }
  grep -q "can't fork" "$B/$id/out" || { diag "no \"can't fork\" in the output"; _r=1; }
  eq pids.max "$(cgfile $id pids.max)" 10 || _r=1
  _c=$(cgfile $id pids.current)
  [ "$_c" -le 10 ] 2>/dev/null || { diag "pids.current $_c > 10"; _r=1; }
  _m=$(cgkey $id pids.events max)
  [ "${_m:-0}" -ge 1 ] || { diag "pids.events: $(cgfile $id pids.events)"; _r=1; }
  [ $_r -eq 0 ] || diag "output: $(head -5 "$B/$id/out")"
  cleanup $id
  return $_r
}
check "pids.limit 10: the fork loop hits EAGAIN (can't fork), pids.current <= 10, pids.events max >= 1" t_pids

# --- cpu -------------------------------------------------------------------------------------
id=cpu; cleanup $id
mkbundle $id '["sleep", "1000"]' \
  '"cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"}'
if create $id; then
  check "cpu.shares 512 -> cpu.weight 20" eq cpu.weight "$(cgfile $id cpu.weight)" 20
  check "cpu.quota 50000 period 100000 -> cpu.max \"50000 100000\"" eq cpu.max "$(cgfile $id cpu.max)" "50000 100000"
  check "cpu.cpus 0 / mems 0 -> cpuset.cpus, cpuset.mems" \
    eq cpuset "$(cgfile $id cpuset.cpus) $(cgfile $id cpuset.mems)" "0 0"
else
  notok "cpu.shares 512 -> cpu.weight 20"
  notok "cpu.quota 50000 period 100000 -> cpu.max \"50000 100000\""
  notok "cpu.cpus 0 / mems 0 -> cpuset.cpus, cpuset.mems"
fi
cleanup $id

# --- pause / resume ------------------------------------------------------------------------
t_pause() {
  id=pause; cleanup $id
  mkbundle $id '["sleep", "1000"]'
  create $id && start $id && wait_status $id running || { cleanup $id; return 1; }
  _r=0
  _o=$(rt pause $id 2>&1) || { diag "pause: $_o"; _r=1; }
  eq cgroup.freeze "$(cgfile $id cgroup.freeze)" 1 || _r=1
  eq "cgroup.events frozen" "$(cgkey $id cgroup.events frozen)" 1 || _r=1
  eq state "$(state_of $id)" paused || _r=1
  _o=$(rt resume $id 2>&1) || { diag "resume: $_o"; _r=1; }
  eq "cgroup.freeze after resume" "$(cgfile $id cgroup.freeze)" 0 || _r=1
  eq "cgroup.events frozen after resume" "$(cgkey $id cgroup.events frozen)" 0 || _r=1
  eq "state after resume" "$(state_of $id)" running || _r=1
  cleanup $id
  return $_r
}
check "pause/resume: cgroup.freeze and cgroup.events frozen 1, then 0" t_pause

# --- devices (eBPF device program on v2) ---------------------------------------------------
# /dev/kmsg (c 1:11) is created through linux.devices but is not in the allow list. (Not
# /dev/full: runc always allows its default devices, /dev/full included, whatever the config.)
KMSG='[{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 438, "uid": 0, "gid": 0}]'
WRITE_KMSG='["sh", "-c", "echo \"<7>cgroup2-checks\" > /dev/kmsg && echo WRITE-OK; echo x > /dev/null && echo NULL-OK"]'
t_dev_deny() {
  id=devdeny; cleanup $id
  mkbundle $id "$WRITE_KMSG" "" "" "$KMSG"
  run_out $id
  cleanup $id
  case $_o in
    *"Operation not permitted"*NULL-OK*) case $_o in *WRITE-OK*) ;; *) return 0 ;; esac ;;
  esac
  diag "run: exit $_s, output: $_o"; return 1
}
check "devices: /dev/kmsg not in the allow list: open fails with EPERM (/dev/null still works)" t_dev_deny

t_dev_allow() {
  id=devallow; cleanup $id
  mkbundle $id "$WRITE_KMSG" "" '{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}' "$KMSG"
  run_out $id
  cleanup $id
  case $_o in *WRITE-OK*NULL-OK*) return 0 ;; esac
  diag "run: exit $_s, output: $_o"; return 1
}
check "devices: allow c 1:11 w: writing /dev/kmsg works" t_dev_allow

# --- delete removes the cgroup -------------------------------------------------------------
t_delete() {
  id=del; cleanup $id
  mkbundle $id '["true"]'
  create $id && start $id && wait_status $id stopped || { cleanup $id; return 1; }
  [ -d "$CG$PREFIX/$id" ] || { diag "no cgroup $CG$PREFIX/$id before delete"; cleanup $id; return 1; }
  _o=$(rt delete $id 2>&1) || { diag "delete: $_o"; cleanup $id; return 1; }
  [ ! -e "$CG$PREFIX/$id" ] || { diag "$CG$PREFIX/$id still exists after delete"; return 1; }
}
check "delete removes the container's cgroup directory" t_delete

t_delete_force() {
  id=delf; cleanup $id
  mkbundle $id '["sleep", "1000"]'
  create $id && start $id && wait_status $id running || { cleanup $id; return 1; }
  _o=$(rt delete --force $id 2>&1) || { diag "delete --force: $_o"; return 1; }
  [ ! -e "$CG$PREFIX/$id" ] || { diag "$CG$PREFIX/$id still exists after delete --force"; return 1; }
}
check "delete --force of a running container removes its cgroup directory" t_delete_force

t_leftovers() {
  _l=$(find "$CG$PREFIX" -mindepth 1 -type d 2>/dev/null)
  [ -z "$_l" ] && return 0
  diag "left over: $_l"; return 1
}
check "no container cgroup is left under $PREFIX" t_leftovers
