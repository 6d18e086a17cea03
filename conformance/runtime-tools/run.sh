#!/usr/bin/env bash
# Run the opencontainers/runtime-tools validation suite against nucleus-oci (or any runc-compatible
# runtime) and compare failures with expected-failures.txt.
#
# This script only RUNS an existing runtime-tools build; it never fetches or builds it.
# See conformance/runtime-tools/README.md for how to build one by hand outside the repo.
#
# Inputs (environment):
#   RUNTIME_TOOLS_DIR  existing runtime-tools build (default /opt/runtime-tools); must contain
#                      runtimetest, rootfs-<arch>.tar.gz and validation/<name>/<name>.t
#   NUCLEUS_OCI        path of the runtime binary (default: nucleus-oci from PATH)
#   RUNTIME            override the runtime under test (e.g. RUNTIME=runc to compare)
#   RT_GROUP           group(s) to run when no test names are given: core, cgroups, extra, all
#                      (default "core cgroups"; comma or space separated)
#   RT_TIMEOUT         per-test-file timeout in seconds (default 120)
#   RT_LOG_DIR         where TAP logs go (default $NUCLEUS_BUILD/runtime-tools-logs or
#                      /tmp/nucleus-runtime-tools-logs)
#   RT_EXPECTED        expected-failures file (default next to this script: expected-failures.txt
#                      for nucleus-oci, expected-failures.runc.txt when the runtime is runc)
#
# Arguments: group names (core, cgroups, extra, all) and/or test names (create, linux_devices, ...).
#   --list   print the groups and their test names, then exit.
#
# Exit: 0 when every failure is listed in the expected-failures file, 1 otherwise,
#       77 (skip) when the runtime-tools build, the runtime, or root privileges are missing,
#       2 on usage errors.
set -u -o pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUNTIME_TOOLS_DIR=${RUNTIME_TOOLS_DIR:-/opt/runtime-tools}
RT_TIMEOUT=${RT_TIMEOUT:-120}
RT_EXPECTED=${RT_EXPECTED:-}

# ---- groups -------------------------------------------------------------------------------------
# core: lifecycle, process, mount, namespace, device and hook tests.
GROUP_core=(
  # lifecycle / state
  create start state kill kill_no_effect killsig delete delete_only_create_resources pidfile
  default config_updates_without_affect misc_props hostname
  # process
  process process_capabilities process_capabilities_fail process_oom_score_adj process_rlimits
  process_rlimits_fail process_user
  # mounts
  mounts root_readonly_true linux_masked_paths linux_readonly_paths linux_rootfs_propagation
  # namespaces
  linux_ns_itype linux_ns_nopath linux_ns_path linux_ns_path_type linux_uid_mappings
  # devices
  linux_devices
  # hooks
  hooks hooks_stdin prestart prestart_fail poststart poststart_fail poststop poststop_fail
)
# cgroups: every cgroup resource test plus delete_resources (cgroup removal on delete).
GROUP_cgroups=(
  linux_cgroups_blkio linux_cgroups_cpus linux_cgroups_devices linux_cgroups_hugetlb
  linux_cgroups_memory linux_cgroups_network linux_cgroups_pids
  linux_cgroups_relative_blkio linux_cgroups_relative_cpus linux_cgroups_relative_devices
  linux_cgroups_relative_hugetlb linux_cgroups_relative_memory linux_cgroups_relative_network
  linux_cgroups_relative_pids
  delete_resources
)
# extra: everything else the suite has (seccomp, sysctl, LSM labels); part of "all" only.
GROUP_extra=(
  linux_seccomp linux_sysctl linux_process_apparmor_profile linux_mount_label
)

skip() { echo "SKIP: $*"; exit 77; }
die() { echo "ERROR: $*" >&2; exit 2; }

all_built_tests() {
  local f
  for f in "$RUNTIME_TOOLS_DIR"/validation/*/*.t; do
    [[ -x $f ]] || continue
    basename "$f" .t
  done
}

if [[ ${1:-} == --list || ${1:-} == -l ]]; then
  echo "core:    ${GROUP_core[*]}"
  echo "cgroups: ${GROUP_cgroups[*]}"
  echo "extra:   ${GROUP_extra[*]}"
  echo "all:     every validation/*/*.t in \$RUNTIME_TOOLS_DIR"
  exit 0
fi

# ---- prerequisites ------------------------------------------------------------------------------
case $(uname -m) in
  x86_64) GOARCH=amd64 ;; aarch64) GOARCH=arm64 ;; i?86) GOARCH=386 ;; *) GOARCH=$(uname -m) ;;
esac
if [[ ! -d $RUNTIME_TOOLS_DIR || ! -x $RUNTIME_TOOLS_DIR/runtimetest ]] ||
   ! compgen -G "$RUNTIME_TOOLS_DIR/validation/*/*.t" >/dev/null; then
  skip "runtime-tools build not found at $RUNTIME_TOOLS_DIR (build it outside the repo; see conformance/README.md)"
fi
if [[ ! -f $RUNTIME_TOOLS_DIR/rootfs-$GOARCH.tar.gz ]]; then
  skip "runtime-tools build at $RUNTIME_TOOLS_DIR has no rootfs-$GOARCH.tar.gz (see conformance/README.md)"
fi
[[ $(id -u) -eq 0 ]] || skip "runtime-tools validation must run as root"
command -v timeout >/dev/null || die "timeout(1) not found"

if [[ -n ${RUNTIME:-} ]]; then
  RT_RUNTIME=$(command -v "$RUNTIME") || skip "RUNTIME=$RUNTIME not found"
elif [[ -n ${NUCLEUS_OCI:-} ]]; then
  [[ -x $NUCLEUS_OCI ]] || die "NUCLEUS_OCI=$NUCLEUS_OCI is not an executable"
  RT_RUNTIME=$NUCLEUS_OCI
else
  RT_RUNTIME=$(command -v nucleus-oci) || skip "nucleus-oci not in PATH and NUCLEUS_OCI not set"
fi
case $RT_RUNTIME in /*) ;; *) RT_RUNTIME=$(cd "$(dirname "$RT_RUNTIME")" && pwd)/$(basename "$RT_RUNTIME") ;; esac

# ---- test selection -----------------------------------------------------------------------------
add_group() {
  case $1 in
    core) TESTS+=("${GROUP_core[@]}") ;;
    cgroups) TESTS+=("${GROUP_cgroups[@]}") ;;
    extra) TESTS+=("${GROUP_extra[@]}") ;;
    all|full) mapfile -t -O "${#TESTS[@]}" TESTS < <(all_built_tests) ;;
    *) return 1 ;;
  esac
}
TESTS=()
if (($# > 0)); then
  for a in "$@"; do
    a=${a%.t}; a=${a##*/}
    add_group "$a" || TESTS+=("$a")
  done
else
  for g in ${RT_GROUP:-core cgroups}; do
    for g2 in ${g//,/ }; do add_group "$g2" || die "unknown group '$g2' (core, cgroups, extra, all)"; done
  done
fi
# de-duplicate, keep order
declare -A seen=()
SEL=()
for t in "${TESTS[@]}"; do [[ -n ${seen[$t]:-} ]] || { seen[$t]=1; SEL+=("$t"); }; done
((${#SEL[@]})) || die "no tests selected"

# ---- expected failures --------------------------------------------------------------------------
# Format: "<file> <assertion-number|*|file> <reason...>"; '#' starts a comment.
#   <n>   expects assertion n of that test file to be "not ok"
#   *     expects any failure of that file (its assertions and a file-level failure)
#   file  expects a file-level failure: non-zero exit, timeout, missing/short TAP plan, or an
#         {"error": ...} diagnostic not attached to any result line
if [[ -z $RT_EXPECTED ]]; then
  if [[ $(basename "$RT_RUNTIME") == runc ]]; then
    RT_EXPECTED=$SCRIPT_DIR/expected-failures.runc.txt
  else
    RT_EXPECTED=$SCRIPT_DIR/expected-failures.txt
  fi
fi
declare -A XFAIL=()
if [[ -f $RT_EXPECTED ]]; then
  while read -r xf xn xreason; do
    [[ -z ${xf:-} || $xf == \#* ]] && continue
    XFAIL["${xf%.t} $xn"]=${xreason:-}
  done <"$RT_EXPECTED"
fi
is_expected() { # file key
  [[ -n ${XFAIL["$1 $2"]+x} || -n ${XFAIL["$1 *"]+x} ]]
}

# ---- log dir and scratch ------------------------------------------------------------------------
if [[ -n ${RT_LOG_DIR:-} ]]; then
  LOG_DIR=$RT_LOG_DIR
elif [[ -n ${NUCLEUS_BUILD:-} ]]; then
  LOG_DIR=$NUCLEUS_BUILD/runtime-tools-logs
else
  LOG_DIR=/tmp/nucleus-runtime-tools-logs
fi
mkdir -p "$LOG_DIR" || die "cannot create $LOG_DIR"
LOG_DIR=$(cd "$LOG_DIR" && pwd)
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/nucleus-rt.XXXXXX") || die "mktemp failed"
# bundles are created below $SCRATCH: containers with user namespaces must be able to traverse it
chmod 0755 "$SCRATCH"

# ---- leftover-container cleanup -----------------------------------------------------------------
list_ids() { # container ids known to the runtime in its default root
  local out
  if out=$("$RT_RUNTIME" list -q 2>/dev/null); then
    printf '%s\n' "$out" | sed '/^$/d'
  else
    # runtime without "list": look for per-container state dirs in the likely default roots
    local d
    for d in "/run/$(basename "$RT_RUNTIME")" "${XDG_RUNTIME_DIR:-/nonexistent}/$(basename "$RT_RUNTIME")"; do
      [[ -d $d ]] && find "$d" -mindepth 1 -maxdepth 1 -type d -printf '%f\n'
    done
  fi
  return 0
}
declare -A PREEXISTING=()
while read -r id; do [[ -n $id ]] && PREEXISTING[$id]=1; done < <(list_ids)

cleanup_leftovers() { # test-name
  local id n=0
  while read -r id; do
    [[ -z $id || -n ${PREEXISTING[$id]:-} ]] && continue
    "$RT_RUNTIME" kill "$id" KILL >/dev/null 2>&1
    timeout 30 "$RT_RUNTIME" delete --force "$id" >>"$LOG_DIR/$1.stderr" 2>&1
    echo "# runner: deleted leftover container $id" >>"$LOG_DIR/$1.stderr"
    n=$((n + 1))
  done < <(list_ids)
  LEFTOVER=$n
}

unmount_under() { # dir: lazily unmount everything mounted below dir, deepest first
  # (tests that share the host mount namespace, e.g. linux_ns_itype, leave rootfs mounts behind)
  local m
  awk -v p="$1/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null; done
}

on_exit() {
  # bundles live under $SCRATCH (TMPDIR of every test); never cross into a foreign mount
  unmount_under "$SCRATCH"
  rm -rf --one-file-system "$SCRATCH" 2>/dev/null
}
trap on_exit EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

# ---- run ----------------------------------------------------------------------------------------
echo "runtime-tools: build $RUNTIME_TOOLS_DIR, runtime $RT_RUNTIME ($("$RT_RUNTIME" --version 2>/dev/null | head -n1))"
echo "runtime-tools: ${#SEL[@]} test file(s), timeout ${RT_TIMEOUT}s each, logs in $LOG_DIR"
echo

TOTAL_PASS=0 TOTAL_FAIL=0 TOTAL_SKIP=0
UNEXPECTED=() EXPECTED=() XPASS=()
ROWS=()
START_ALL=$SECONDS

for t in "${SEL[@]}"; do
  exe=$RUNTIME_TOOLS_DIR/validation/$t/$t.t
  tap=$LOG_DIR/$t.tap
  errlog=$LOG_DIR/$t.stderr
  : >"$errlog"
  if [[ ! -x $exe ]]; then
    echo "not ok 1 - runner: $exe not built" >"$tap"
    rc=127
    dur=0
  else
    tdir=$SCRATCH/$t
    mkdir -p -m 0755 "$tdir"
    t0=$SECONDS
    # The harness reads runtimetest and rootfs-<arch>.tar.gz relative to its working directory.
    (cd "$RUNTIME_TOOLS_DIR" &&
      RUNTIME=$RT_RUNTIME TMPDIR=$tdir timeout -k 10 "$RT_TIMEOUT" "$exe") >"$tap" 2>>"$errlog" </dev/null
    rc=$?
    dur=$((SECONDS - t0))
  fi
  LEFTOVER=0
  cleanup_leftovers "$t"
  unmount_under "$SCRATCH/$t"
  rm -rf --one-file-system "${SCRATCH:?}/$t" 2>/dev/null

  # parse TAP: "ok N ...", "not ok N ...", "# SKIP"/"# TODO" directives, plan "1..N".
  # Some files print several TAP documents ("TAP version 13" ... "1..N" twice): plans are summed.
  # Some files (hook tests) report failure only as a YAML diagnostic {"error": ...} that is not
  # attached to any result line: that is a file-level failure.
  pass=0 fail=0 skipn=0 count=0 plan=-1
  failed_nums=()
  attached=0 in_yaml=0 yerr="" diag_err=""
  while IFS= read -r line; do
    if ((in_yaml)); then
      if [[ $line =~ ^[[:space:]]+\.\.\.[[:space:]]*$ ]]; then
        in_yaml=0
        ((attached == 0)) && [[ -n $yerr && -z $diag_err ]] && diag_err=$yerr
      elif [[ -z $yerr && $line =~ \"error\":[[:space:]]*\"(.*)$ ]]; then
        yerr=${BASH_REMATCH[1]:-error}
        yerr=${yerr%%\\n*}; yerr=${yerr%\"*}
      fi
      continue
    fi
    if [[ $line =~ ^TAP\ version ]]; then
      attached=0
    elif [[ $line =~ ^1\.\.([0-9]+) ]]; then
      plan=$((plan < 0 ? BASH_REMATCH[1] : plan + BASH_REMATCH[1]))
      attached=0
    elif [[ $line =~ ^[[:space:]]+---[[:space:]]*$ ]]; then
      in_yaml=1 yerr=""
    elif [[ $line =~ ^(not\ )?ok([[:space:]]+([0-9]+))?(.*)$ ]]; then
      count=$((count + 1))
      attached=1
      notflag=${BASH_REMATCH[1]:-}
      num=${BASH_REMATCH[3]:-$count}
      rest=${BASH_REMATCH[4]:-}
      if [[ $rest =~ \#[[:space:]]*[Ss][Kk][Ii][Pp] || $rest =~ \#[[:space:]]*[Tt][Oo][Dd][Oo] ]]; then
        skipn=$((skipn + 1))
      elif [[ -z $notflag ]]; then
        pass=$((pass + 1))
      else
        fail=$((fail + 1))
        failed_nums+=("$num")
      fi
    fi
  done <"$tap"

  note=""
  abnormal=0
  if ((rc == 124 || rc == 137)); then
    note="timeout after ${RT_TIMEOUT}s"; abnormal=1
  elif ((rc != 0)); then
    note="exit status $rc"; abnormal=1
  elif [[ -n $diag_err ]]; then
    note="error diagnostic: ${diag_err:0:100}"; abnormal=1
  elif ((count == 0 && plan <= 0)); then
    # files such as *_fail print nothing (or only "1..0") and signal success by exit status 0
    note="no assertions; judged by exit status"
    pass=$((pass + 1))
  elif ((plan < 0)); then
    note="no TAP plan"; abnormal=1
  elif ((plan != count)); then
    note="plan 1..$plan but $count results"; abnormal=1
  fi
  ((LEFTOVER > 0)) && note="${note:+$note; }$LEFTOVER leftover container(s) deleted"

  file_unexpected=0
  for n in "${failed_nums[@]}"; do
    # first line of the assertion's description, for the lists below
    desc=$(grep -m1 -E "^not ok $n( |$)" "$tap" | cut -c1-150)
    if is_expected "$t" "$n"; then
      EXPECTED+=("$t #$n: ${desc#not ok $n - }")
    else
      UNEXPECTED+=("$t #$n: ${desc#not ok $n - }")
      file_unexpected=1
    fi
  done
  if ((abnormal)); then
    fail=$((fail + 1))
    if is_expected "$t" file; then
      EXPECTED+=("$t: $note")
    else
      UNEXPECTED+=("$t: $note (see $errlog)")
      file_unexpected=1
    fi
  fi
  # expected-failure entries that did not fail (so the list can be pruned)
  for key in "${!XFAIL[@]}"; do
    [[ ${key%% *} == "$t" ]] || continue
    k=${key#* }
    case $k in
      \*) ((fail == 0)) && XPASS+=("$t *") ;;
      file) ((abnormal == 0)) && XPASS+=("$t file") ;;
      *) [[ " ${failed_nums[*]} " == *" $k "* ]] || XPASS+=("$t $k") ;;
    esac
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
  row=$(printf '%-36s %6s %6s %7s  %-6s %4ss  %s' "$t" "$pass" "$fail" "$skipn" "$result" "$dur" "$note")
  ROWS+=("$row")
  echo "$row"
done

echo
printf '%-36s %6s %6s %7s  %-6s %5s  %s\n' "TEST FILE" "PASSED" "FAILED" "SKIPPED" "RESULT" "TIME" "NOTE"
for r in "${ROWS[@]}"; do echo "$r"; done
echo
echo "Expected failures (listed in $(basename "$RT_EXPECTED")): ${#EXPECTED[@]}"
for e in "${EXPECTED[@]}"; do echo "  $e"; done
echo "Unexpected failures: ${#UNEXPECTED[@]}"
for e in "${UNEXPECTED[@]}"; do echo "  $e"; done
if ((${#XPASS[@]})); then
  echo "Listed as expected but did not fail (consider pruning): ${#XPASS[@]}"
  for e in "${XPASS[@]}"; do echo "  $e"; done
fi
echo "Skipped assertions: $TOTAL_SKIP; wall time $((SECONDS - START_ALL))s; logs: $LOG_DIR"
echo "runtime-tools: $TOTAL_PASS passed, $TOTAL_FAIL failed"

((${#UNEXPECTED[@]} == 0))
