# Helpers of the rootless suites: the runtime run by unprivileged users the suite makes.
# Load after ../helpers/common.
#
# setup_file makes two users (useradd, so /etc/subuid and /etc/subgid get their ranges), a work
# directory under /tmp with a private copy of the runtime (the build tree may not be reachable by
# them), and an XDG_RUNTIME_DIR each (0700, theirs). teardown_file deletes their containers,
# kills what is left of theirs (by pid), removes the users, their subordinate-id lines and the
# work directory. Each test gets a bundle in a directory the user owns ($UBUNDLE, rootfs owned
# by the user, config.json from `RUNTIME spec --rootless` run as the user).

rootless_setup_file() {
  common_setup_file
  [[ -n ${RUNTIME:-} ]] || return 0
  command -v runuser >/dev/null || { echo "runuser is required" >&2; return 1; }
  RL_WORK=$(mktemp -d /tmp/nucleus-rootless.XXXXXX)
  chmod 755 "$RL_WORK"
  mkdir -p "$RL_WORK/bin"
  cp "$RUNTIME" "$RL_WORK/bin/$(basename "$RUNTIME")"
  chmod 755 "$RL_WORK/bin/$(basename "$RUNTIME")"
  RUNTIME_HOST=$RUNTIME
  RUNTIME=$RL_WORK/bin/$(basename "$RUNTIME")
  # Short names: useradd's limit is 32 characters.
  RL_USER=nrl$$a
  RL_USER2=nrl$$b
  local u
  for u in "$RL_USER" "$RL_USER2"; do
    useradd -M -d "$RL_WORK/home-$u" -s /bin/sh -U "$u" || return 1
    mkdir -p "$RL_WORK/home-$u" "$RL_WORK/xdg-$u"
    chown "$u:$u" "$RL_WORK/home-$u" "$RL_WORK/xdg-$u"
    chmod 700 "$RL_WORK/xdg-$u"
    # Debian's useradd gives a range in /etc/subuid and /etc/subgid; make sure there is one.
    grep -q "^$u:" /etc/subuid || usermod --add-subuids 3000000000-3000065535 "$u" || return 1
    grep -q "^$u:" /etc/subgid || usermod --add-subgids 3000000000-3000065535 "$u" || return 1
  done
  # The runtime's default root under XDG_RUNTIME_DIR: runc's is "runc".
  RL_ROOTNAME=$([[ $RUNTIME_NAME == runc ]] && echo runc || echo nucleus-oci)
  export RUNTIME RUNTIME_HOST RL_WORK RL_USER RL_USER2 RL_ROOTNAME
}

rootless_teardown_file() {
  if [[ -n ${RL_WORK:-} ]]; then
    local u id p
    for u in "${RL_USER:-}" "${RL_USER2:-}"; do
      [[ -n $u ]] && id "$u" >/dev/null 2>&1 || continue
      for id in $(ls -A "$RL_WORK/xdg-$u/$RL_ROOTNAME" 2>/dev/null); do
        as_user "$u" "$RUNTIME" delete --force "$id" >/dev/null 2>&1 || true
      done
      for p in $(ps -u "$u" -o pid= 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
      for _ in $(seq 50); do [[ -z $(ps -u "$u" -o pid= 2>/dev/null) ]] && break; sleep 0.1; done
      userdel "$u" 2>/dev/null || true
      # userdel removes the subordinate ids too; make sure.
      sed -i "/^$u:/d" /etc/subuid /etc/subgid
    done
    rm -rf "$RL_WORK"
  fi
  common_teardown_file
}

setup_file() { rootless_setup_file; }
teardown_file() { rootless_teardown_file; }

# as_user USER CMD...: CMD as USER, with a clean environment and the user's XDG_RUNTIME_DIR.
as_user() {
  local u=$1
  shift
  runuser -u "$u" -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME="$RL_WORK/home-$u" USER="$u" LOGNAME="$u" XDG_RUNTIME_DIR="${XDG_OVERRIDE:-$RL_WORK/xdg-$u}" \
    "$@"
}

# urt ARGS...: the runtime as $RL_USER (or $AS), with its default root. As rt: create and
# run -d get stdin from /dev/null and their output appended to a file (a detached container
# would keep bats' `run` pipe open); what the runtime wrote is printed.
urt() {
  local u=${AS:-$RL_USER} a detach=0 cmd=
  for a in "$@"; do
    case $a in
      create) [[ -z $cmd ]] && cmd=create && detach=1 ;;
      run) [[ -z $cmd ]] && cmd=run ;;
      -d|--detach) [[ $cmd == run || $cmd == exec ]] && detach=1 ;;
      exec) [[ -z $cmd ]] && cmd=exec ;;
    esac
  done
  if [[ $detach -eq 0 ]]; then
    as_user "$u" "$RUNTIME" "$@"
    return
  fi
  local out=$BATS_TEST_TMPDIR/detached-$u.out off rc=0
  touch "$out"
  off=$(stat -c %s "$out")
  as_user "$u" "$RUNTIME" "$@" </dev/null >>"$out" 2>&1 || rc=$?
  tail -c +$((off + 1)) "$out"
  return $rc
}

# The user's default state root.
user_root() { echo "$RL_WORK/xdg-${1:-$RL_USER}/$RL_ROOTNAME"; }

# make_user_bundle DIR USER: rootfs (the cached busybox one) owned by USER, config.json from
# `spec --rootless` as USER, writable root, process.terminal false, env tagged with $ID.
make_user_bundle() {
  local dir=$1 u=$2
  mkdir -p "$dir"
  cp -a --reflink=auto "$TEMPLATE/rootfs" "$dir/rootfs"
  chown -R "$u:$u" "$dir"
  (cd "$dir" && as_user "$u" "$RUNTIME" spec --rootless) || return 1
  jq --arg tag "NUCLEUS_CONFORMANCE_TAG=$ID" '.root.readonly = false | .process.terminal = false
      | .process.env += [$tag] | .process.args = ["sleep", "1000"]' \
    "$dir/config.json" > "$dir/config.json.new"
  chown "$u:$u" "$dir/config.json.new"
  mv "$dir/config.json.new" "$dir/config.json"
}

rootless_setup() {
  [[ $(id -u) -eq 0 ]] || skip "conformance tests need root (they make the users)"
  ID="r$$-$BATS_TEST_NUMBER"
  UBUNDLE=$RL_WORK/home-$RL_USER/b-$BATS_TEST_NUMBER
  make_user_bundle "$UBUNDLE" "$RL_USER"
  BUNDLE=$UBUNDLE  # for leaked_processes
  BG_PIDS=()
  export ID UBUNDLE BUNDLE
}

# ucfg JQ-FILTER [JQ-ARGS...]: edit $UBUNDLE/config.json (kept the user's).
ucfg() {
  local filter=$1
  shift
  jq "$@" "$filter" "$UBUNDLE/config.json" > "$UBUNDLE/config.json.new" &&
    chown "$RL_USER:$RL_USER" "$UBUNDLE/config.json.new" &&
    mv "$UBUNDLE/config.json.new" "$UBUNDLE/config.json"
}

# uargs ARG...: process.args
uargs() {
  local j='[]' a
  for a in "$@"; do j=$(jq -c --arg v "$a" '. + [$v]' <<<"$j"); done
  ucfg '.process.args = $a' --argjson a "$j"
}

rootless_teardown() {
  [[ $(id -u) -eq 0 ]] || return 0
  local rc=0 u id p
  for p in "${BG_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  for u in "$RL_USER" "$RL_USER2"; do
    for id in $(ls -A "$(user_root "$u")" 2>/dev/null); do
      AS=$u urt delete --force "$id" >/dev/null 2>&1 || true
    done
  done
  # Nothing left: state, processes of the test's containers, cgroups named after its ids.
  local left procs cgs
  for _ in $(seq 50); do
    left=$(ls -A "$(user_root "$RL_USER")" "$(user_root "$RL_USER2")" 2>/dev/null | grep -v '^/\|^$' || true)
    procs=$(leaked_processes)
    cgs=$(leaked_cgroups)
    [[ -z $left && -z $procs && -z $cgs ]] && break
    sleep 0.1
  done
  [[ -z $left ]] || { echo "LEAK: state: $left" >&2; rc=1; }
  if [[ -n $procs ]]; then
    echo "LEAK: processes: $procs" >&2
    for p in $procs; do kill -KILL "$p" 2>/dev/null; done
    rc=1
  fi
  [[ -z $cgs ]] || { echo "LEAK: cgroups: $cgs" >&2; for p in $cgs; do rmdir "$p" 2>/dev/null; done; rc=1; }
  rm -rf "$UBUNDLE"
  return $rc
}

setup() { rootless_setup; }
teardown() { rootless_teardown; }

# in_tty CMD...: CMD on a pty of its own (Python's pty.spawn), as the tty suite does.
in_tty() {
  python3 -c 'import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)' "$@" </dev/null
}

# subid_start FILE USER: the first subordinate id of USER in /etc/subuid or /etc/subgid.
subid_start() { awk -F: -v u="$2" '$1 == u {print $2; exit}' "$1"; }

# map_subids [JQ-FILTER]: the user's own uid/gid as container 0 and 65536 of its subordinate ids
# from container id 1 (through newuidmap/newgidmap), plus JQ-FILTER; sets uid gid su sg (the
# caller declares them local).
map_subids() {
  uid=$(id -u "$RL_USER")
  gid=$(id -g "$RL_USER")
  su=$(subid_start /etc/subuid "$RL_USER")
  sg=$(subid_start /etc/subgid "$RL_USER")
  [[ -n $su && -n $sg ]] || fail "no subordinate ids for $RL_USER"
  ucfg '.linux.uidMappings = [{"containerID": 0, "hostID": $u, "size": 1},
                              {"containerID": 1, "hostID": $su, "size": 65536}]
      | .linux.gidMappings = [{"containerID": 0, "hostID": $g, "size": 1},
                              {"containerID": 1, "hostID": $sg, "size": 65536}] | '"${1:-.}" \
    --argjson u "$uid" --argjson g "$gid" --argjson su "$su" --argjson sg "$sg"
}

# ustatus ID: status of the user's container ("none" when state fails).
ustatus() {
  local s
  s=$(urt state "$1" 2>/dev/null) || { echo none; return 0; }
  jq -r .status <<<"$s"
}
