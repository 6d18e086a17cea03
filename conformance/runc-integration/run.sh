#!/usr/bin/env bash
# Run runc's own integration suite (runc v1.3.6, tests/integration/*.bats) against nucleus-oci (or
# any runc-compatible runtime) and compare failures with expected-failures.txt.
#
# This script only RUNS a prepared runc tree; it never fetches or builds it, and it leaves the tree
# as it found it (the runtime under test is handed to the suite through its RUNC variable as a
# file named "runc" in a scratch directory). See conformance/runc-integration/README.md.
#
# Inputs (environment):
#   RUNC_TESTS_DIR        prepared runc v1.3.6 tree (default /opt/runc-v1.3.6 if it exists): needs
#                         tests/integration/*.bats, tests/cmd/_bin/* and the two images in
#                         tests/integration/testdata
#   NUCLEUS_OCI           runtime binary (default: nucleus-oci from PATH)
#   RUNTIME               override the runtime under test: "runc" runs $RUNC_TESTS_DIR/runc (the
#                         real runc the tree was built with), any other name/path is used as is
#   RUNC_INT_TIMEOUT      per-file timeout in seconds (default 900; idmap.bats needs ~15 min here)
#   RUNC_INT_STRAY_GRACE  seconds a file's session may live on after its last test reported
#                         (default 20; then its stray processes are killed)
#   RUNC_INT_TEST_TIMEOUT per-test timeout in seconds, bats' BATS_TEST_TIMEOUT (default: none;
#                         events.bats' bare "wait" also waits for bats' timeout watchdog, so any
#                         value makes its tests fail by timing out)
#   RUNC_INT_LOG_DIR      where logs go (default $NUCLEUS_BUILD/runc-integration-logs, else
#                         /tmp/nucleus-runc-integration-logs; "-rootless" appended in that mode)
#   RUNC_INT_EXPECTED     expected-failures file (default next to this script:
#                         expected-failures.txt, or expected-failures.runc.txt for runc)
#   RUNC_INT_IN_CI        with CI=true the runner skips (too long for CI) unless this is set
#   RUNC_INT_ROOTLESS     run the suite as an unprivileged user, as runc's tests/rootless.sh does:
#                         "none", "idmap", "cgroup" or "idmap+cgroup" (its ROOTLESS_FEATURES).
#                         The runner makes the user "rootless" (unless it exists), its subuid and
#                         subgid ranges (idmap) and a delegated cgroup (cgroup), and removes them
#                         after. Default expected failures: expected-failures.rootless[.runc].txt
#
# Arguments: bats file names to run (exec, exec.bats, tests/integration/exec.bats); default all.
#   --list   print the bats files of the tree, then exit.
#
# Exit: 0 when every failure is listed in the expected-failures file, 1 otherwise, 77 (skip) when
#       the prepared tree, root, bats or script(1) is missing (or CI=true without RUNC_INT_IN_CI),
#       2 on usage errors.
set -u -o pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -z ${RUNC_TESTS_DIR:-} && -d /opt/runc-v1.3.6 ]]; then
  RUNC_TESTS_DIR=/opt/runc-v1.3.6
fi
RUNC_TESTS_DIR=${RUNC_TESTS_DIR:-}
FILE_TIMEOUT=${RUNC_INT_TIMEOUT:-900}
STRAY_GRACE=${RUNC_INT_STRAY_GRACE:-20}
TEST_TIMEOUT=${RUNC_INT_TEST_TIMEOUT:-}
EXPECTED_FILE=${RUNC_INT_EXPECTED:-}
INT_DIR=$RUNC_TESTS_DIR/tests/integration

skip() { echo "SKIP: $*"; exit 77; }
die() { echo "ERROR: $*" >&2; exit 2; }

# ---- prerequisites ------------------------------------------------------------------------------
case $(uname -m) in
  x86_64) GOARCH=amd64 ;; aarch64) GOARCH=arm64 ;; i?86) GOARCH=386 ;; *) GOARCH=$(uname -m) ;;
esac
[[ -n $RUNC_TESTS_DIR ]] ||
  skip "no prepared runc tree: set RUNC_TESTS_DIR or prepare /opt/runc-v1.3.6 (see conformance/runc-integration/README.md)"
[[ -f $INT_DIR/helpers.bash ]] && compgen -G "$INT_DIR/*.bats" >/dev/null ||
  skip "$RUNC_TESTS_DIR has no tests/integration/*.bats (see conformance/runc-integration/README.md)"
if [[ ${1:-} == --list || ${1:-} == -l ]]; then
  for f in "$INT_DIR"/*.bats; do basename "$f"; done
  exit 0
fi
for b in recvtty seccompagent remap-rootfs pidfd-kill fs-idmap; do
  [[ -x $RUNC_TESTS_DIR/tests/cmd/_bin/$b ]] ||
    skip "$RUNC_TESTS_DIR/tests/cmd/_bin/$b missing: the tree's test binaries are not built (see README.md)"
done
for img in busybox debian; do
  [[ -f $INT_DIR/testdata/$img-$GOARCH.tar.xz ]] ||
    skip "$INT_DIR/testdata/$img-$GOARCH.tar.xz missing: make the image by hand (see README.md); the suite would download it"
done
[[ $(id -u) -eq 0 ]] || skip "runc's integration suite must run as root here"
if [[ ${CI:-} == true && -z ${RUNC_INT_IN_CI:-} ]]; then
  skip "CI=true: the whole suite takes 35-60 min on 2 cores; set RUNC_INT_IN_CI=1 to run it in CI"
fi
command -v bats >/dev/null || skip "bats not found"
ROOTLESS=${RUNC_INT_ROOTLESS:-}
case $ROOTLESS in
  "" ) ;;
  none | idmap | cgroup | idmap+cgroup | cgroup+idmap)
    command -v setpriv >/dev/null || skip "setpriv(1) not found (util-linux): needed to run bats as the rootless user"
    command -v useradd >/dev/null || skip "useradd not found (passwd): needed to make the rootless user"
    if [[ $ROOTLESS == *idmap* ]]; then
      command -v newuidmap >/dev/null && command -v newgidmap >/dev/null ||
        skip "RUNC_INT_ROOTLESS=$ROOTLESS needs newuidmap/newgidmap (Debian package uidmap)"
    fi
    ;;
  *) die "RUNC_INT_ROOTLESS=$ROOTLESS: expected none, idmap, cgroup or idmap+cgroup" ;;
esac
command -v script >/dev/null || skip "script(1) not found (util-linux): the suite needs a tty"
command -v timeout >/dev/null || die "timeout(1) not found"

if [[ -n ${RUNTIME:-} ]]; then
  if [[ $RUNTIME == runc && -x $RUNC_TESTS_DIR/runc ]]; then
    RT=$RUNC_TESTS_DIR/runc
  else
    RT=$(command -v "$RUNTIME") || skip "RUNTIME=$RUNTIME not found"
  fi
elif [[ -n ${NUCLEUS_OCI:-} ]]; then
  [[ -x $NUCLEUS_OCI ]] || die "NUCLEUS_OCI=$NUCLEUS_OCI is not an executable"
  RT=$NUCLEUS_OCI
else
  RT=$(command -v nucleus-oci) || skip "nucleus-oci not in PATH and NUCLEUS_OCI not set"
fi
case $RT in /*) ;; *) RT=$(cd "$(dirname "$RT")" && pwd)/$(basename "$RT") ;; esac

# ---- file selection -----------------------------------------------------------------------------
FILES=()
if (($# > 0)); then
  for a in "$@"; do
    a=${a##*/}; a=${a%.bats}
    [[ -f $INT_DIR/$a.bats ]] || die "no such bats file: $INT_DIR/$a.bats (see --list)"
    FILES+=("$a.bats")
  done
else
  for f in "$INT_DIR"/*.bats; do FILES+=("$(basename "$f")"); done
fi

# ---- expected failures --------------------------------------------------------------------------
# One entry per line: "<file>.bats: <test name>  # <reason>"; lines starting with '#' are comments.
if [[ -z $EXPECTED_FILE ]]; then
  suffix=${ROOTLESS:+.rootless}
  if [[ $RT == "$RUNC_TESTS_DIR/runc" || $(basename "$RT") == runc ]]; then
    EXPECTED_FILE=$SCRIPT_DIR/expected-failures$suffix.runc.txt
  else
    EXPECTED_FILE=$SCRIPT_DIR/expected-failures$suffix.txt
  fi
fi
declare -A XFAIL=()
if [[ -f $EXPECTED_FILE ]]; then
  while IFS= read -r line; do
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    [[ $line =~ ^([^:]+\.bats):[[:space:]]+(.*)$ ]] || die "$EXPECTED_FILE: bad line: $line"
    xfile=${BASH_REMATCH[1]} rest=${BASH_REMATCH[2]}
    name=${rest%%[[:space:]]#[[:space:]]*}
    name=${name%"${name##*[![:space:]]}"}
    XFAIL["$xfile: $name"]=1
  done <"$EXPECTED_FILE"
fi

# ---- log dir and scratch ------------------------------------------------------------------------
if [[ -n ${RUNC_INT_LOG_DIR:-} ]]; then
  LOG_DIR=$RUNC_INT_LOG_DIR
elif [[ -n ${NUCLEUS_BUILD:-} ]]; then
  LOG_DIR=$NUCLEUS_BUILD/runc-integration-logs${ROOTLESS:+-rootless}
else
  LOG_DIR=/tmp/nucleus-runc-integration-logs${ROOTLESS:+-rootless}
fi
mkdir -p "$LOG_DIR" || die "cannot create $LOG_DIR"
LOG_DIR=$(cd "$LOG_DIR" && pwd)
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/nucleus-runc-int.XXXXXX") || die "mktemp failed"
# bundles live below $SCRATCH: containers with user namespaces must be able to traverse it
chmod 0755 "$SCRATCH"

# The suite runs the file named by $RUNC; a copy named "runc" keeps its basename in messages and
# is immune to rebuilds of the binary during the run. The tree itself is not touched.
mkdir -p "$SCRATCH/bin"
cp "$RT" "$SCRATCH/bin/runc" || die "cannot copy $RT"
RUNC_UNDER_TEST=$SCRATCH/bin/runc
# get-images.sh asks "go env GOARCH"; without a Go toolchain answer that one question.
if ! command -v go >/dev/null; then
  for d in /usr/lib/go-*/bin /usr/local/go/bin; do
    [[ -x $d/go ]] && { PATH=$PATH:$d; break; }
  done
fi
if ! command -v go >/dev/null; then
  cat >"$SCRATCH/bin/go" <<EOF
#!/bin/sh
[ "\$1" = env ] && [ "\$2" = GOARCH ] && { echo $GOARCH; exit 0; }
[ "\$1" = env ] && { echo; exit 0; }
echo "go: not installed (stand-in from run.sh)" >&2; exit 1
EOF
  chmod +x "$SCRATCH/bin/go"
fi

# ---- rootless mode (RUNC_INT_ROOTLESS): what runc's tests/rootless.sh sets up ------------------
# The user, its sub-id ranges and its cgroup are made here and undone in on_exit; bats then runs
# as that user (setpriv: no PAM, no capabilities, the environment kept), as rootless.sh's
# "sudo -HE -u rootless bats" does. Numbers as in rootless.sh, since helpers.bash and cwd.bats
# assume them.
RL_USER=rootless RL_MADE_USER=0 RL_UID="" RL_GID="" RL_HOME="" RL_SUBID_SAVED=0
RL_V2_PROCS_STAT="" AS_USER=() RL_ENV=()
rootless_setup() {
  RL_HOME=$SCRATCH/home
  if ! id "$RL_USER" >/dev/null 2>&1; then
    useradd -M -U -d "$RL_HOME" -s /bin/bash "$RL_USER" || die "useradd $RL_USER failed"
    RL_MADE_USER=1
  fi
  RL_UID=$(id -u "$RL_USER") RL_GID=$(id -g "$RL_USER")
  mkdir -p "$RL_HOME" && chown "$RL_UID:$RL_GID" "$RL_HOME"
  AS_USER=(setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups
    env -u XDG_RUNTIME_DIR HOME="$RL_HOME" USER="$RL_USER" LOGNAME="$RL_USER")
  RL_ENV=(ROOTLESS_FEATURES="${ROOTLESS/none/}")
  # sub-id ranges: the user's own lines go (rootless.sh moves the files away without idmap)
  cp -p /etc/subuid "$SCRATCH/subuid.orig" 2>/dev/null && cp -p /etc/subgid "$SCRATCH/subgid.orig" 2>/dev/null &&
    RL_SUBID_SAVED=1
  local f
  for f in subuid subgid; do
    { grep -v "^$RL_USER:" "/etc/$f" 2>/dev/null
      if [[ $ROOTLESS == *idmap* ]]; then
        [[ $f == subuid ]] && echo "$RL_USER:100000:65536" || echo "$RL_USER:200000:65536"
      fi
    } >"/etc/$f.nucleus-tmp" && mv "/etc/$f.nucleus-tmp" "/etc/$f"
  done
  if [[ $ROOTLESS == *idmap* ]]; then
    # a directory owned by container uid 1024 (host 100000 - 1000 + 1024): cwd.bats uses it
    mkdir -p "$SCRATCH/aux" && chown $((100000 - 1000 + 1024)) "$SCRATCH/aux"
    RL_ENV+=(ROOTLESS_UIDMAP_START=100000 ROOTLESS_UIDMAP_LENGTH=65536
      ROOTLESS_GIDMAP_START=200000 ROOTLESS_GIDMAP_LENGTH=65536
      ROOTLESS_AUX_UID=1024 ROOTLESS_AUX_DIR="$SCRATCH/aux")
  fi
}

rootless_cgroup_setup() { # before each file: remove_test_cgroups removed the last one
  [[ $ROOTLESS == *cgroup* ]] || return 0
  local m=/sys/fs/cgroup p=/runc-cgroups-integration-test cg c
  if [[ -e $m/cgroup.controllers ]]; then
    for c in $(cat "$m/cgroup.controllers"); do echo "+$c" >"$m/cgroup.subtree_control" 2>/dev/null; done
    mkdir -p "$m$p"
    [[ -n $RL_V2_PROCS_STAT ]] || RL_V2_PROCS_STAT=$(stat -c '%u:%g %a' "$m/cgroup.procs")
    chown "root:$RL_GID" "$m$p" "$m$p/cgroup.subtree_control" "$m$p/cgroup.procs" "$m/cgroup.procs"
    chmod g+rwx "$m$p"
    chmod g+rw "$m$p/cgroup.subtree_control" "$m$p/cgroup.procs" "$m/cgroup.procs"
  else
    # every v1 hierarchy this process is in (name=systemd as systemd, "cpu,cpuacct" split)
    for cg in $(cut -d: -f2 </proc/self/cgroup | sed -E 's/^name=//; s/,/\n/g' | grep .); do
      [[ -d $m/$cg ]] || continue
      mkdir -p "$m/$cg$p"
      chown "root:$RL_GID" "$m/$cg$p/"{,cgroup.procs,tasks}
      chmod g+rwx "$m/$cg$p/"{,cgroup.procs,tasks}
      [[ $cg == cpuset ]] && chown "$RL_UID:$RL_GID" "$m/$cg$p/cpuset."{cpus,mems}
      if [[ $cg == cpu ]]; then
        for c in cpu.rt_period_us cpu.rt_runtime_us; do
          [[ -e $m/$cg$p/$c ]] && chown "$RL_UID:$RL_GID" "$m/$cg$p/$c"
        done
      fi
    done
  fi
  return 0
}

rootless_teardown() {
  [[ -n $RL_UID ]] || return 0
  pkill -KILL -u "$RL_UID" 2>/dev/null
  if [[ -n $RL_V2_PROCS_STAT ]]; then
    chown "${RL_V2_PROCS_STAT% *}" /sys/fs/cgroup/cgroup.procs
    chmod "${RL_V2_PROCS_STAT#* }" /sys/fs/cgroup/cgroup.procs
  fi
  if ((RL_SUBID_SAVED)); then
    mv "$SCRATCH/subuid.orig" /etc/subuid && mv "$SCRATCH/subgid.orig" /etc/subgid
  fi
  if ((RL_MADE_USER)); then
    sleep 0.2
    userdel "$RL_USER" 2>/dev/null || echo "runc-integration: could not remove user $RL_USER" >&2
    getent group "$RL_USER" >/dev/null && groupdel "$RL_USER" 2>/dev/null
  fi
  RL_UID=""
}

# ---- cleanup of what a bats file left behind -----------------------------------------------------
# Every test passes --root below its BATS_RUN_TMPDIR (below our scratch), so only those roots are
# searched; the default root is left alone (other users' containers may live there).
kill_session() { # sid: kill every process of the bats session (stray recvtty, agents, ...)
  local sid=$1 pids
  [[ $sid =~ ^[0-9]+$ ]] || return 0
  pids=$(ps -eo pid=,sid= | awk -v s="$sid" '$2 == s { print $1 }')
  [[ -n $pids ]] && kill -KILL $pids 2>/dev/null
  return 0
}

delete_leftover_containers() { # tmpdir log: every container whose state is below tmpdir
  local tdir=$1 log=$2 state cdir root id n=0
  while IFS= read -r state; do
    cdir=$(dirname "$state") root=$(dirname "$cdir") id=$(basename "$cdir")
    "${AS_USER[@]}" timeout 30 "$RUNC_UNDER_TEST" --root "$root" kill "$id" KILL >/dev/null 2>&1
    "${AS_USER[@]}" timeout 30 "$RUNC_UNDER_TEST" --root "$root" delete --force "$id" >>"$log" 2>&1
    echo "# runner: deleted leftover container $id (root $root)" >>"$log"
    n=$((n + 1))
  done < <(find "$tdir" -xdev -name state.json -type f 2>/dev/null)
  LEFTOVER=$n
}

unmount_under() { # dir: lazily unmount everything mounted at or below dir, deepest first
  local m
  awk -v p="$1/" 'index($5 "/", p) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null; done
}

remove_test_cgroups() { # log: the suite's cgroup parent (runc-cgroups-integration-test) everywhere
  local d c
  while IFS= read -r d; do
    # thaw (a frozen task cannot die), kill what is still inside, then remove deepest first
    while IFS= read -r c; do
      [[ -f $c/freezer.state ]] && echo THAWED >"$c/freezer.state" 2>/dev/null
      [[ -f $c/cgroup.freeze ]] && echo 0 >"$c/cgroup.freeze" 2>/dev/null
      [[ -f $c/cgroup.procs ]] && xargs -r kill -KILL <"$c/cgroup.procs" 2>/dev/null
    done < <(find "$d" -type d 2>/dev/null)
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
      [[ -d $d ]] || break
      sleep 0.2
    done
    if [[ -d $d ]]; then
      echo "# runner: could not remove leftover cgroup $d" >>"$1"
    else
      echo "# runner: removed leftover cgroup $d" >>"$1"
    fi
  done < <(find /sys/fs/cgroup -maxdepth 2 -type d -name 'runc-cgroups-integration-test*' 2>/dev/null)
}

CUR_SIDFILE=""
on_exit() {
  # interrupted in the middle of a file: clean up after it as after any file
  [[ -n $CUR_SIDFILE ]] && kill_session "$(cat "$CUR_SIDFILE" 2>/dev/null)"
  delete_leftover_containers "$SCRATCH" /dev/null
  remove_test_cgroups /dev/null
  unmount_under "$SCRATCH"
  rootless_teardown
  rm -rf --one-file-system "$SCRATCH" 2>/dev/null
}
trap on_exit EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

# ---- TAP parsing ---------------------------------------------------------------------------------
test_names() { # bats file: test names in file order (bats --tap reports them in that order)
  sed -n -E 's/^[[:space:]]*@test[[:space:]]+"(.*)"[[:space:]]*\{[[:space:]]*$/\1/p;
             s/^[[:space:]]*@test[[:space:]]+'"'"'(.*)'"'"'[[:space:]]*\{[[:space:]]*$/\1/p' "$1"
}

# ---- run ----------------------------------------------------------------------------------------
echo "runc-integration: tree $RUNC_TESTS_DIR ($(cat "$RUNC_TESTS_DIR/VERSION" 2>/dev/null || echo '?'))"
echo "runc-integration: runtime $RT ($("$RT" --version 2>/dev/null | head -n1))"
echo "runc-integration: ${#FILES[@]} file(s), timeout ${FILE_TIMEOUT}s per file${TEST_TIMEOUT:+, ${TEST_TIMEOUT}s per test}, logs in $LOG_DIR"
echo "runc-integration: expected failures from $EXPECTED_FILE"
if [[ -n $ROOTLESS ]]; then
  rootless_setup
  echo "runc-integration: rootless: as user $RL_USER (uid $RL_UID$( ((RL_MADE_USER)) && echo ", made for this run")), ROOTLESS_FEATURES=${ROOTLESS/none/}"
fi
echo

TOTAL_PASS=0 TOTAL_FAIL=0 TOTAL_SKIP=0
UNEXPECTED=() XPASS=() ROWS=()
declare -A FAILED_KEYS=() RAN_FILES=()
START_ALL=$SECONDS

for file in "${FILES[@]}"; do
  name=${file%.bats}
  tap=$LOG_DIR/$name.tap
  log=$LOG_DIR/$name.log
  tdir=$SCRATCH/$name
  mkdir -p -m 0755 "$tdir"
  if [[ -n $ROOTLESS ]]; then
    chown "$RL_UID:$RL_GID" "$tdir"
    rootless_cgroup_setup
  fi
  RAN_FILES[$file]=1
  sidfile=$tdir/bats.sid
  # checkpoint.bats writes /etc/criu/default.conf ("log-file=...") and leaves it when a test
  # fails; while it exists every criu run drops a log file in its working directory.
  criu_conf_before=$([[ -e /etc/criu/default.conf ]] && echo 1 || echo 0)
  CUR_SIDFILE=$sidfile
  # The suite wants a tty: script(1) gives the bats run one. bats becomes the session leader, so
  # its session id is its pid (written before exec). GIT_ALLOW_PROTOCOL=file keeps "spec
  # validator" (which clones runtime-spec from the network) from reaching out: it fails at once.
  # (rootless: bats runs as the user, inside script's session; the sid file is written first)
  cmd=$(printf 'echo $$ >%q; exec' "$sidfile")
  ((${#AS_USER[@]})) && cmd+=$(printf ' %q' "${AS_USER[@]}" "${RL_ENV[@]}")
  cmd+=$(printf ' bats --tap --no-tempdir-cleanup %q' "$INT_DIR/$file")
  t0=$SECONDS
  # script's stdin is a pipe that stays open and silent: at EOF (e.g. </dev/null) script(1) passes
  # something on that the container's tty echoes as "^@" into the output of `runc run`.
  # (in the background, so that an INT/TERM trap runs at once and cleans up)
  (cd "$tdir" || exit
    exec 3< <(exec sleep $((FILE_TIMEOUT + 60)))
    hold=$!
    env TMPDIR="$tdir" RUNC="$RUNC_UNDER_TEST" PATH="$SCRATCH/bin:$PATH" \
      ${TEST_TIMEOUT:+BATS_TEST_TIMEOUT=$TEST_TIMEOUT} \
      GIT_ALLOW_PROTOCOL=file GIT_TERMINAL_PROMPT=0 GOPROXY=off \
      timeout -k 15 "$FILE_TIMEOUT" script -qec "$cmd" /dev/null <&3
    echo $? >"$tdir/rc"
    kill "$hold" 2>/dev/null) </dev/null 2>"$log.stderr" | stdbuf -oL tr -d '\r' >"$tap" &
  job=$!
  # bats exits only when every process holding its output has: a test's stray background
  # process (a container's sleep, say) kept update.bats waiting 460 s after its last result.
  # Once every test of the file has reported, the session gets STRAY_GRACE seconds (for
  # teardown_file), then whatever is left of it is killed.
  mapfile -t all_names < <(test_names "$INT_DIR/$file")
  all_at=0 stray_killed=0
  while kill -0 "$job" 2>/dev/null; do
    if ((all_at == 0)) && (($(grep -cE '^(not )?ok [0-9]+' "$tap" 2>/dev/null) >= ${#all_names[@]})); then
      all_at=$SECONDS
    fi
    if ((all_at > 0 && SECONDS - all_at >= STRAY_GRACE && !stray_killed)); then
      kill_session "$(cat "$sidfile" 2>/dev/null)"
      stray_killed=1
    fi
    sleep 1
  done
  wait "$job"
  rc=$(cat "$tdir/rc" 2>/dev/null || echo 1)
  dur=$((SECONDS - t0))
  kill_session "$(cat "$sidfile" 2>/dev/null)"
  CUR_SIDFILE=""
  LEFTOVER=0
  delete_leftover_containers "$tdir" "$log"
  remove_test_cgroups "$log"
  unmount_under "$tdir"
  ((criu_conf_before)) || rm -f /etc/criu/default.conf
  rm -rf --one-file-system "$tdir" 2>/dev/null
  [[ -s $log.stderr ]] || rm -f "$log.stderr"

  # parse TAP: "ok N name", "ok N name # skip (reason)", "not ok N name"
  pass=0 fail=0 skipn=0 reported=0
  failed_names=()
  while IFS= read -r line; do
    [[ $line =~ ^(not\ )?ok\ ([0-9]+)\ (.*)$ ]] || continue
    reported=$((reported + 1))
    notflag=${BASH_REMATCH[1]} tname=${BASH_REMATCH[3]}
    if [[ $tname =~ ^(.*)\ \#\ [Ss][Kk][Ii][Pp]( .*)?$ ]]; then
      skipn=$((skipn + 1))
    elif [[ -z $notflag ]]; then
      pass=$((pass + 1))
    else
      fail=$((fail + 1))
      failed_names+=("$tname")
    fi
  done <"$tap"
  note=""
  if ((stray_killed)); then
    note="every test reported; the processes still holding bats were killed after ${STRAY_GRACE}s"
  elif ((rc == 124 || rc == 137)); then
    note="file timed out after ${FILE_TIMEOUT}s"
  elif ((rc != 0 && fail == 0)); then
    note="bats exit status $rc"
  fi
  if ((reported < ${#all_names[@]})) && [[ -n $note || $rc -ne 0 ]]; then
    # tests the file never reported (it timed out or bats died): each counts as failed
    for ((i = reported; i < ${#all_names[@]}; i++)); do
      fail=$((fail + 1))
      failed_names+=("${all_names[i]}")
      echo "not ok - ${all_names[i]} # runner: not reported (${note:-bats exit status $rc})" >>"$tap"
    done
  fi
  ((LEFTOVER > 0)) && note="${note:+$note; }$LEFTOVER leftover container(s) deleted"

  file_unexpected=0
  for t in "${failed_names[@]}"; do
    key="$file: ${t%"${t##*[![:space:]]}"}" # some names end in a space; the list's names are trimmed
    FAILED_KEYS[$key]=1
    if [[ -z ${XFAIL[$key]+x} ]]; then
      UNEXPECTED+=("$key")
      file_unexpected=1
    fi
  done
  if ((fail == 0)); then
    if ((pass == 0 && skipn > 0)); then result=SKIP; else result=PASS; fi
  elif ((file_unexpected)); then
    result=FAIL
  else
    result=XFAIL
  fi
  TOTAL_PASS=$((TOTAL_PASS + pass))
  TOTAL_FAIL=$((TOTAL_FAIL + fail))
  TOTAL_SKIP=$((TOTAL_SKIP + skipn))
  row=$(printf '%-28s %6s %6s %7s  %-6s %4ss  %s' "$file" "$pass" "$fail" "$skipn" "$result" "$dur" "$note")
  ROWS+=("$row")
  echo "$row"
done

# expected failures (of the files that ran) that did not fail, so the list can be pruned
for key in "${!XFAIL[@]}"; do
  [[ -n ${RAN_FILES[${key%%: *}]:-} && -z ${FAILED_KEYS[$key]:-} ]] && XPASS+=("$key")
done

echo
printf '%-28s %6s %6s %7s  %-6s %5s  %s\n' "FILE" "PASSED" "FAILED" "SKIPPED" "RESULT" "TIME" "NOTE"
for r in "${ROWS[@]}"; do echo "$r"; done
echo
echo "Failures listed in $(basename "$EXPECTED_FILE"): $((TOTAL_FAIL - ${#UNEXPECTED[@]}))"
echo "Unexpected failures: ${#UNEXPECTED[@]}"
for e in "${UNEXPECTED[@]}"; do echo "  $e"; done
echo "Unexpectedly passing (listed as expected failures, but did not fail): ${#XPASS[@]}"
if ((${#XPASS[@]})); then
  printf '%s\n' "${XPASS[@]}" | sort | sed 's/^/  /'
fi
echo "Wall time $((SECONDS - START_ALL))s; logs: $LOG_DIR"
echo "runc-integration: $TOTAL_PASS passed, $TOTAL_FAIL failed, $TOTAL_SKIP skipped"

((${#UNEXPECTED[@]} == 0))
