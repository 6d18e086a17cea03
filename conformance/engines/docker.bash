# Helpers for docker.bats: a private dockerd (and its managed containerd) driving the runtime
# under test. Load after ../helpers/common.
#
# Everything lives in one temp dir $DK_DIR (/tmp/docker-nucleus.XXXXXX, short: AF_UNIX paths):
#   daemon.json      {"runtimes": {"nucleus": {"path": <runtime>}}}
#   data/            --data-root (images, containers, overlay2, and the managed containerd's root)
#   exec/            --exec-root (runtime state; exec/containerd/ holds the managed containerd's
#                    state dir, socket and pid file; the shim calls the runtime with
#                    --root exec/runtime-runc/moby: dockerd 20.10 names that dir after runc
#                    whatever the runtime's name)
#   docker.sock      --host, docker.pid --pidfile, dockerd.log
# Networking: a private bridge $DK_BRIDGE (created here, 10.213.N.1/24) passed with --bridge, and
# --iptables=false --ip-masq=false --ip-forward=false: dockerd touches no global iptables chain,
# sysctl or docker0. Containers reach the gateway (the bridge address), not the outside world.
# Cgroups: --cgroup-parent /$DK_CGPARENT (cgroupfs driver), removed in teardown.

DK_CLI=/usr/bin/docker # Debian's client, same version as dockerd (a newer one may be on PATH)
IMG=nucleus-busybox:latest

# dk ARGS...: the docker client on the private daemon.
# The client warns on every `docker run` when the host's net.ipv4.ip_forward is 0 (its default
# on a fresh machine; the suite passes --ip-forward=false and never sets a host sysctl): "WARNING:
# IPv4 forwarding is disabled. Networking will not work." bats' `run` merges stderr into $output,
# so dk and dk_tty drop exactly that line; everything else the client prints is kept as it was.
DK_FWD_WARNING='WARNING: IPv4 forwarding is disabled. Networking will not work.'
dk() {
  { "$DK_CLI" -H "unix://$DK_SOCK" "$@" 2>&1 1>&3 3>&- | { grep -vF "$DK_FWD_WARNING" || true; } >&2; } 3>&1
  return "${PIPESTATUS[0]}"
}

# dk_tty 'DOCKER ARGS': the docker client run under script(1), so that it has a terminal.
dk_tty() {
  script -qec "$DK_CLI -H unix://$DK_SOCK $1" /dev/null | { grep -vF "$DK_FWD_WARNING" || true; }
  return "${PIPESTATUS[0]}"
}

# dk_install: the packages the suite needs (CI machines start clean).
dk_install() {
  local pkg missing=()
  for pkg in /usr/sbin/dockerd:docker.io /usr/bin/docker:docker.io /usr/bin/script:bsdutils \
    /usr/bin/jq:jq /sbin/ip:iproute2 /usr/bin/containerd:containerd; do
    [[ -x ${pkg%%:*} ]] || missing+=("${pkg#*:}")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null 2>&1; } ||
    { DK_SKIP="apt-get install ${missing[*]} failed"; return 1; }
}

# dk_bridge: create the private bridge; sets DK_BRIDGE, DK_GW (or DK_NET_SKIP with the reason).
dk_bridge() {
  local n out
  DK_BRIDGE=nucdk$$
  DK_BRIDGE=${DK_BRIDGE:0:15}
  for n in $(shuf -i 20-250 -n 20); do
    ip -4 addr | grep -q "inet 10\.213\.$n\." && continue
    DK_GW=10.213.$n.1
    break
  done
  if ! out=$(ip link add "$DK_BRIDGE" type bridge 2>&1); then
    DK_NET_SKIP="cannot create a bridge: ip link add $DK_BRIDGE type bridge: $out"
    DK_BRIDGE=
    return 0
  fi
  ip addr add "$DK_GW/24" dev "$DK_BRIDGE" && ip link set "$DK_BRIDGE" up
}

# dk_start: start dockerd; sets DK_SKIP with the reason when it does not come up.
dk_start() {
  local rt_path=$RUNTIME i
  if [[ -n ${DK_TRACE:-} ]]; then
    # DK_TRACE=1: a wrapper logs every runtime argv (and stdin of update) to $DK_DIR/argv.log
    cat >"$DK_DIR/runtime-trace" <<EOF
#!/bin/sh
echo "\$(date +%T.%N) \$*" >> $DK_DIR/argv.log
exec $RUNTIME "\$@"
EOF
    chmod 755 "$DK_DIR/runtime-trace"
    rt_path=$DK_DIR/runtime-trace
  fi
  jq -n --arg p "$rt_path" '{runtimes: {nucleus: {path: $p}}}' >"$DK_DIR/daemon.json"
  local net=(--bridge none)
  [[ -n $DK_BRIDGE ]] && net=(--bridge "$DK_BRIDGE")
  DK_CGPARENT=nucleus-docker-$$
  setsid /usr/sbin/dockerd --config-file "$DK_DIR/daemon.json" \
    --data-root "$DK_DIR/data" --exec-root "$DK_DIR/exec" --pidfile "$DK_DIR/docker.pid" \
    --host "unix://$DK_SOCK" "${net[@]}" --iptables=false --ip-masq=false --ip-forward=false \
    --cgroup-parent "/$DK_CGPARENT" --storage-driver overlay2 \
    </dev/null >"$DK_DIR/dockerd.log" 2>&1 &
  DK_PID=$!
  for ((i = 0; i < 300; i++)); do
    if ! kill -0 "$DK_PID" 2>/dev/null; then
      DK_SKIP="dockerd exited: $(grep -E 'level=(error|fatal)|failed' "$DK_DIR/dockerd.log" | tail -3)"
      return 1
    fi
    dk version >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  DK_SKIP="dockerd did not answer on $DK_SOCK within 30s: $(tail -3 "$DK_DIR/dockerd.log")"
  return 1
}

# dk_stop: stop dockerd (it stops its managed containerd); kill what is left of them.
dk_stop() {
  local i cpid
  [[ -n ${DK_PID:-} ]] || return 0
  cpid=$(cat "$DK_DIR/exec/containerd/containerd.pid" 2>/dev/null || true)
  kill -TERM "$DK_PID" 2>/dev/null || true
  for ((i = 0; i < 200; i++)); do kill -0 "$DK_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$DK_PID" 2>/dev/null; then
    echo "dockerd did not stop within 20s: SIGKILL" >&2
    kill -KILL "$DK_PID" 2>/dev/null || true
  fi
  wait "$DK_PID" 2>/dev/null || true
  if [[ -n $cpid ]]; then
    for ((i = 0; i < 100; i++)); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$cpid" 2>/dev/null && grep -qF "$DK_DIR" "/proc/$cpid/cmdline" 2>/dev/null; then
      echo "managed containerd $cpid still running: SIGKILL" >&2
      kill -KILL "$cpid" 2>/dev/null || true
    fi
  fi
}

# dk_procs: pids of processes of this daemon: dockerd, its containerd, the shims (their command
# lines name the temp dir).
dk_procs() { pgrep -f -- "$DK_DIR/" || true; }

# dk_tagged PREFIX: pids of live processes with NUCLEUS_CONFORMANCE_TAG=PREFIX... in the env.
dk_tagged() {
  local f pid
  grep -lzE "^NUCLEUS_CONFORMANCE_TAG=$1" /proc/[0-9]*/environ 2>/dev/null | while read -r f; do
    pid=${f#/proc/}
    pid=${pid%%/*}
    [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == Z ]] && continue
    echo "$pid"
  done
}

# dk_setup_file: everything; sets DK_SKIP instead of failing when docker cannot work here.
dk_setup_file() {
  DK_SKIP='' DK_NET_SKIP='' DK_BRIDGE='' DK_PID='' DK_DIR=''
  if [[ $(id -u) -ne 0 ]]; then
    DK_SKIP="the Docker engine suite needs root"
    return 0
  fi
  dk_install || return 0
  RUNTIME=$(find_runtime) || return 1
  RUNTIME_NAME=$("$RUNTIME" --version 2>/dev/null | awk 'NR==1 {print $1}')
  [[ -n $RUNTIME_NAME ]] || RUNTIME_NAME=$(basename "$RUNTIME")
  DK_DIR=$(mktemp -d /tmp/docker-nucleus.XXXXXX)
  DK_SOCK=$DK_DIR/docker.sock
  export RUNTIME RUNTIME_NAME DK_DIR DK_SOCK
  dk_bridge
  dk_start || return 0
  # the image: busybox-static rootfs from hack/mkrootfs, imported offline
  NUCLEUS_BUILD=${NUCLEUS_BUILD:-} "$NUCLEUS_SRC/hack/mkrootfs" "$DK_DIR/rootfs" || return 1
  tar -C "$DK_DIR/rootfs" -c . | dk import --change 'CMD ["sh"]' - "$IMG" >/dev/null || return 1
  rm -rf "$DK_DIR/rootfs"
}

dk_teardown_file() {
  [[ -n ${DK_DIR:-} && -d $DK_DIR ]] || { [[ -n ${DK_BRIDGE:-} ]] && ip link del "$DK_BRIDGE" 2>/dev/null; return 0; }
  local rc=0 c m i left
  if [[ -n ${DK_PID:-} ]] && kill -0 "$DK_PID" 2>/dev/null; then
    c=$(dk ps -aq 2>/dev/null)
    [[ -z $c ]] || dk rm -f $c >/dev/null 2>&1 || true
    dk image rm -f "$IMG" >/dev/null 2>&1 || true
  fi
  dk_stop
  for ((i = 0; i < 50; i++)); do
    left=$(dk_procs)
    [[ -z $left ]] && break
    sleep 0.1
  done
  if [[ -n $left ]]; then
    echo "LEAK: still running after dockerd stopped:" >&2
    for c in $left; do echo "  $c: $(tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null)" >&2; done
    kill -KILL $left 2>/dev/null || true
    rc=1
  fi
  left=$(dk_tagged "dk$$")
  if [[ -n $left ]]; then
    echo "LEAK: container processes still running: $left" >&2
    kill -KILL $left 2>/dev/null || true
    rc=1
  fi
  # mounts dockerd/containerd/the runtime left under the temp dir (deepest first)
  for m in $(awk -v d="$DK_DIR/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  [[ -n ${DK_BRIDGE:-} ]] && ip link del "$DK_BRIDGE" 2>/dev/null
  for c in /sys/fs/cgroup/*/"${DK_CGPARENT:-none}"; do [[ -d $c ]] && rmdir "$c" 2>/dev/null; done
  if [[ -n ${DK_KEEP:-} ]]; then
    echo "kept $DK_DIR" >&2
  else
    rm -rf "$DK_DIR"
  fi
  return $rc
}

# ---- per test -------------------------------------------------------------------------------------
dk_setup() {
  [[ -z ${DK_SKIP:-} ]] || skip "$DK_SKIP"
  # container names (and the env tag): unique per run and test; more as ${N}b, ${N}c
  N=dk$$t$BATS_TEST_NUMBER
  TAG=NUCLEUS_CONFORMANCE_TAG=$N
  # what every `docker run` gets: the runtime under test and the leak-check tag
  RUN=(--runtime nucleus -e "$TAG")
  export N TAG
}

dk_teardown() {
  [[ -z ${DK_SKIP:-} ]] || return 0
  local c rc=0 i left
  c=$(dk ps -aq --filter "name=^$N" 2>/dev/null)
  [[ -z $c ]] || dk rm -f $c >/dev/null 2>&1 || true
  for ((i = 0; i < 50; i++)); do
    left=$(dk_tagged "$N")
    c=$(dk ps -aq --filter "name=^$N" 2>/dev/null)
    [[ -z $left && -z $c ]] && break
    sleep 0.1
  done
  if [[ -n $c ]]; then
    echo "LEAK: containers left: $c" >&2
    rc=1
  fi
  if [[ -n $left ]]; then
    echo "LEAK: processes of $N: $left" >&2
    kill -KILL $left 2>/dev/null || true
    rc=1
  fi
  if [[ $rc -ne 0 || ${BATS_TEST_COMPLETED:-} != 1 ]]; then
    dk_diag
  fi
  return $rc
}

# dk_diag: the runtime's last errors as the shim saw them (dockerd.log) and, with DK_TRACE, argv.
dk_diag() {
  echo "--- dockerd.log (errors, last 5):" >&2
  grep -E 'level=(error|warning)' "$DK_DIR/dockerd.log" | tail -5 >&2
  if [[ -f $DK_DIR/argv.log ]]; then
    echo "--- runtime argv (last 8):" >&2
    tail -8 "$DK_DIR/argv.log" | sed "s|$DK_DIR/exec/containerd/daemon/io.containerd.runtime.v2.task/moby/|<bundles>/|g; s|$DK_DIR/|<dir>/|g" >&2
  fi
}

# inspect NAME GO-TEMPLATE
inspect() { dk inspect -f "$2" "$1"; }

# wait_state NAME GO-TEMPLATE VALUE [TIMEOUT-SECONDS=10]
wait_state() { poll_eq "${4:-10}" "$3" "$1: $2" inspect "$1" "$2"; }

# wait_logs NAME TEXT [TIMEOUT-SECONDS=10]
wait_logs() {
  local i
  for ((i = 0; i < ${3:-10} * 10; i++)); do
    [[ $(dk logs "$1" 2>&1) == *"$2"* ]] && return 0
    sleep 0.1
  done
  echo "$1: logs lack [$2] after ${3:-10}s; logs:" >&2
  dk logs "$1" >&2
  return 1
}

# host_cg NAME CONTROLLER: the container's cgroup dir in CONTROLLER's v1 hierarchy, on the host
host_cg() {
  local pid rel
  pid=$(inspect "$1" '{{.State.Pid}}') || return 1
  rel=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$pid/cgroup")
  echo "/sys/fs/cgroup/$2$rel"
}
