# Helpers for containerd.bats: a private containerd daemon and ctr against it.
#
# cd_start DIR: writes DIR/config.toml (unless there is one, see cd_write_config) (root DIR/root, state DIR/state, sockets under DIR, CRI
#   disabled, overlayfs snapshotter) and starts containerd in the background (log DIR/containerd.log),
#   then waits for its socket. CD_DIR, CD_SOCK and CD_PID describe the daemon.
# cd_stop: stops it (TERM, then KILL), kills shims it left (with a complaint), unmounts whatever is
#   mounted under CD_DIR and removes CD_DIR.
# ctr_ ARGS...: ctr --address $CD_SOCK -n $CD_NS ARGS...
#
# The runtime the shim runs is $RUNTIME (absolute path), passed with ctr's --runc-binary.

CD_NS=${CD_NS:-nucleus-test}

# (a timeout: a hung ctr call must fail the test rather than the whole run)
ctr_() { timeout "${CTR_TIMEOUT:-120}" ctr --address "$CD_SOCK" -n "$CD_NS" "$@"; }

# cd_write_config DIR [EXTRA-TOML]
cd_write_config() {
  local d=$1
  cat > "$d/config.toml" <<EOF
version = 2
root = "$d/root"
state = "$d/state"
# plain ctr tests: no CRI (it would want CNI, a sandbox image and more); the snapshotters that
# need a special filesystem or tools are disabled too (overlayfs works on ext4)
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
oom_score = 0

[grpc]
  address = "$d/containerd.sock"

[ttrpc]
  address = "$d/containerd.sock.ttrpc"

[debug]
  address = "$d/debug.sock"
  level = "debug"

[metrics]
  address = ""

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$d/opt"
  [plugins."io.containerd.gc.v1.scheduler"]
    deletion_threshold = 0
${2:-}
EOF
}

# cd_start DIR: start a private containerd in DIR (created), wait up to 20 s for its socket.
# An existing DIR/config.toml is used as is.
cd_start() {
  CD_DIR=$1
  mkdir -p "$CD_DIR"
  CD_SOCK=$CD_DIR/containerd.sock
  [[ -f $CD_DIR/config.toml ]] || cd_write_config "$CD_DIR"
  # setsid: its own session, so that a terminal's signals never reach it; stdio to the log
  setsid containerd --config "$CD_DIR/config.toml" </dev/null >>"$CD_DIR/containerd.log" 2>&1 &
  CD_PID=$!
  echo "$CD_PID" > "$CD_DIR/containerd.pid"
  local i
  for ((i = 0; i < 200; i++)); do
    if [[ -S $CD_SOCK ]] && ctr --address "$CD_SOCK" version >/dev/null 2>&1; then
      export CD_DIR CD_SOCK CD_PID CD_NS
      return 0
    fi
    if ! kill -0 "$CD_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "containerd did not start; its log:" >&2
  tail -n 30 "$CD_DIR/containerd.log" >&2
  return 1
}

# shims_of DIR: pids of containerd-shim processes whose command line names DIR's socket
# (the shim is started with -address DIR/containerd.sock)
shims_of() {
  local f pid
  # [/]: the pattern must not match grep's own command line
  grep -laE -- "[/]${1#/}/containerd.sock" /proc/[0-9]*/cmdline 2>/dev/null | while read -r f; do
    pid=${f#/proc/}
    pid=${pid%%/*}
    [[ $(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null) == *containerd-shim* ]] && echo "$pid"
  done
}

# cd_stop: stop the daemon and clean DIR. Returns 1 when shims or mounts had to be cleaned up
# (something leaked), 0 otherwise.
cd_stop() {
  [[ -n ${CD_DIR:-} && -d $CD_DIR ]] || return 0
  local rc=0 i p m pid
  pid=${CD_PID:-$(cat "$CD_DIR/containerd.pid" 2>/dev/null)}
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  # shims outlive containerd by design; every task was deleted, so none may be left
  p=$(shims_of "$CD_DIR")
  if [[ -n $p ]]; then
    echo "LEAK: containerd shims left: $p" >&2
    for i in $p; do kill -KILL "$i" 2>/dev/null || true; done
    rc=1
  fi
  for ((i = 0; i < 3; i++)); do
    for m in $(awk -v d="$CD_DIR" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
      [[ $i -eq 0 ]] && echo "LEAK: mount left: $m" >&2 && rc=1
      umount -l "$m" 2>/dev/null || true
    done
  done
  rm -rf "$CD_DIR"
  return $rc
}
