#!/usr/bin/env bats
# Hostile and malformed config.json files (conformance/hostile-configs/, index EXPECTED.tsv):
# each one, copied into a fresh bundle with a busybox rootfs, must make `create` (and `run` for
# a handful) exit 1 with an error on stderr naming the bad field, and leave nothing behind: no
# state dir under the private --root, no cgroup dir named after the id (helpers/common.bash
# searches all of /sys/fs/cgroup, which covers nucleus-oci's default /nucleus-oci/<id>), no
# mount under the bundle, no process (the configs carry NUCLEUS_CONFORMANCE_TAG=@ID@, replaced
# by the id here), and none of the host paths the configs try to reach.
# EXPECTED.tsv's CONTAINED marks legal-but-hostile configs (`..` in root.path, a mount
# destination, a device path, cgroupsPath): they may be accepted, and then the test checks that
# the init's cgroups stay under /sys/fs/cgroup/* and nothing appeared on the host.
# EXPECTED.tsv's "WARNS <text>" marks legal configs that must be accepted, with <text> on stderr
# (unknown capability names: runtime-spec config.md and runc 1.3 warn, and go on).
# The 10 MB string and the 100,000 nested arrays are generated here rather than committed.
#
# The tests loop over many files and report every failing file at the end (FILE: reason).
# RUNTIME=runc: the exit status and leak checks apply as they are; runc words its errors
# differently, so a message that does not name the field is only counted (printed), not failed.
load ../helpers/common

CORPUS=$NUCLEUS_SRC/conformance/hostile-configs

setup() {
  common_setup
  PROBLEMS=()
  NOTES=()
}

# Host paths some configs try to reach through `..`: none may appear.
escape_leftovers() {
  ls -d /tmp/hardening-escape /tmp/hardening-dev /hardening-escape 2>/dev/null
  find /sys/fs/cgroup -maxdepth 4 -name 'hardening-escape*' 2>/dev/null
}

# check_contained WHAT: the created container $ID stays inside its rootfs and cgroup root.
check_contained() {
  local pid cg
  pid=$("$RUNTIME" --root "$ROOT" state "$ID" 2>/dev/null | jq -r .pid)
  if [[ -z $pid || $pid == null || ! -d /proc/$pid ]]; then
    PROBLEMS+=("$1: accepted but no running init (state: $("$RUNTIME" --root "$ROOT" state "$ID" 2>&1 | head -c 300))")
    return
  fi
  cg=$(grep -F .. "/proc/$pid/cgroup" || true)
  [[ -z $cg ]] || PROBLEMS+=("$1: init cgroup path with ..: $cg")
  while IFS=: read -r _ ctrl cg; do
    ctrl=${ctrl#name=}
    [[ -z $ctrl ]] && ctrl=unified
    [[ -d /sys/fs/cgroup/$ctrl ]] || continue
    [[ -d /sys/fs/cgroup/$ctrl$cg ]] || PROBLEMS+=("$1: init cgroup $ctrl:$cg not under /sys/fs/cgroup/$ctrl")
  done < "/proc/$pid/cgroup"
  if grep -qE ' /(etc|tmp/hardening-escape|tmp/hardening-dev) ' /proc/self/mountinfo; then
    PROBLEMS+=("$1: a mount on the host: $(grep -E ' /(etc|tmp/hardening-[a-z]+) ' /proc/self/mountinfo)")
  fi
  cg=$(escape_leftovers | grep -v '/sys/fs/cgroup' || true)
  [[ -z $cg ]] || PROBLEMS+=("$1: created on the host while running: $cg")
}

# try_config FILE EXPECT [COMMAND=create]: one hostile config, appends to PROBLEMS/NOTES.
try_config() {
  local file=$1 expect=$2 cmd=${3:-create} name rc out err leaks t
  name=$(basename "$file")
  # a textual substitution only: the bytes of the hostile file stay as they are
  LC_ALL=C sed "s/@ID@/$ID/g" "$file" > "$BUNDLE/config.json"
  out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err
  t=30
  [[ $cmd == run ]] && t=20
  rc=0
  timeout -k 5 "$t" "$RUNTIME" --root "$ROOT" "$cmd" --bundle "$BUNDLE" "$ID" \
    </dev/null >"$out" 2>"$err" || rc=$?
  if [[ $expect == "WARNS "* ]]; then
    if [[ $rc -ne 0 ]]; then
      PROBLEMS+=("$name ($cmd): exit status $rc, expected it accepted with a warning; stderr: $(head -c 400 "$err")")
    else
      check_contained "$name ($cmd)"
      grep -qF -- "${expect#WARNS }" "$err" ||
        PROBLEMS+=("$name ($cmd): no warning [${expect#WARNS }] on stderr: $(head -c 400 "$err")")
    fi
  elif [[ $expect == CONTAINED ]]; then
    # legal but hostile: may be accepted, then nothing may have reached the host
    if [[ $rc -eq 0 ]]; then
      check_contained "$name ($cmd)"
    elif [[ $rc -ne 1 ]]; then
      PROBLEMS+=("$name ($cmd): exit status $rc (want 0 or 1); stderr: $(head -c 400 "$err")")
    elif [[ ! -s $err ]]; then
      PROBLEMS+=("$name ($cmd): failed without an error on stderr")
    fi
  elif [[ $rc -eq 124 || $rc -eq 137 ]]; then
    PROBLEMS+=("$name ($cmd): timed out after ${t}s (hang or accepted); stderr: $(head -c 400 "$err")")
  elif [[ $rc -eq 0 ]]; then
    PROBLEMS+=("$name ($cmd): accepted (exit 0), expected a failure naming [$expect]")
  elif [[ $rc -ne 1 ]]; then
    PROBLEMS+=("$name ($cmd): exit status $rc (want 1); stderr: $(head -c 400 "$err")")
  fi
  if [[ $expect != CONTAINED && $expect != "WARNS "* && $rc -ne 0 && $rc -ne 124 &&
        $rc -ne 137 ]]; then
    if [[ ! -s $err ]]; then
      PROBLEMS+=("$name ($cmd): no error on stderr (stdout: $(head -c 200 "$out"))")
    elif ! grep -qF -- "$expect" "$err"; then
      if is_runc; then
        NOTES+=("$name ($cmd): error does not name [$expect]: $(head -c 300 "$err")")
      else
        PROBLEMS+=("$name ($cmd): error does not name [$expect]: $(head -c 400 "$err")")
      fi
    fi
  fi
  # nothing left: force-delete whatever exists (an accepted config), then the leak checks
  if [[ -n $(ls -A "$ROOT" 2>/dev/null) ]]; then
    [[ $rc -ne 0 ]] && PROBLEMS+=("$name ($cmd): failed but left state: $(ls -A "$ROOT")")
    "$RUNTIME" --root "$ROOT" delete --force "$ID" >/dev/null 2>&1 || true
  fi
  if ! leaks=$(check_no_leaks 2>&1); then
    PROBLEMS+=("$name ($cmd): leaked: $leaks")
  fi
  if leaks=$(escape_leftovers) && [[ -n $leaks ]]; then
    PROBLEMS+=("$name ($cmd): reached the host: $leaks")
    rm -rf /tmp/hardening-escape /tmp/hardening-dev /hardening-escape 2>/dev/null
    find /sys/fs/cgroup -maxdepth 4 -depth -type d -name 'hardening-escape*' -exec rmdir {} \; 2>/dev/null
  fi
  rm -f "$BUNDLE/config.json"
  return 0
}

# run_corpus FROM TO [COMMAND]: every EXPECTED.tsv entry whose number is in [FROM, TO].
run_corpus() {
  local from=$1 to=$2 cmd=${3:-create} file expect num count=0
  while IFS=$'\t' read -r file expect; do
    [[ -z $file || $file == \#* ]] && continue
    num=$((10#${file%%-*}))
    ((num >= from && num <= to)) || continue
    [[ -f $CORPUS/$file ]] || { PROBLEMS+=("$file: listed in EXPECTED.tsv but missing"); continue; }
    try_config "$CORPUS/$file" "$expect" "$cmd"
    count=$((count + 1))
  done < "$CORPUS/EXPECTED.tsv"
  [[ $count -gt 0 ]] || fail "no corpus files numbered $from-$to"
  report
}

# report: print every problem (naming the file) and fail if there is one.
report() {
  local p
  if [[ ${#NOTES[@]} -gt 0 ]]; then
    echo "# ${#NOTES[@]} error message(s) do not name the field (not failed for $RUNTIME_NAME):" >&3
    for p in "${NOTES[@]}"; do echo "#   $p" >&3; done
  fi
  [[ ${#PROBLEMS[@]} -eq 0 ]] && return 0
  echo "${#PROBLEMS[@]} hostile config(s) mishandled:" >&2
  for p in "${PROBLEMS[@]}"; do echo "  $p" >&2; done
  return 1
}

@test "hostile-configs: the corpus and its index agree" {
  local f listed
  listed=$(grep -v '^#' "$CORPUS/EXPECTED.tsv" | cut -f1 | sort)
  for f in "$CORPUS"/[0-9][0-9][0-9]-*.json; do
    grep -qxF "$(basename "$f")" <<<"$listed" || PROBLEMS+=("$(basename "$f"): not in EXPECTED.tsv")
  done
  [[ $(wc -l <<<"$listed") -ge 110 ]] || PROBLEMS+=("fewer than 110 configs: $(wc -l <<<"$listed")")
  # every expected text is non-empty
  while IFS=$'\t' read -r f listed; do
    [[ $f == \#* ]] && continue
    [[ -n $listed ]] || PROBLEMS+=("$f: no expected text")
  done < "$CORPUS/EXPECTED.tsv"
  report
}

@test "hostile-configs: create 001-050 (not JSON, ociVersion, process)" { run_corpus 1 50; }
@test "hostile-configs: create 051-100 (process, root, mounts, hooks)" { run_corpus 51 100; }
@test "hostile-configs: create 101-150 (namespaces, mappings, devices, sysctl)" { run_corpus 101 150; }
@test "hostile-configs: create 151-999 (resources, seccomp, big documents)" { run_corpus 151 999; }

@test "hostile-configs: run with a handful" {
  local pat file expect
  for pat in truncated version-2 args-empty cwd-relative rlimit-soft-above-hard hook-fails \
             hook-missing-binary ns-unknown ns-duplicate ns-path-missing mapping-size-zero \
             mapping-overlap sysctl-not-namespaced-vm sysctl-unknown seccomp-unknown-action; do
    file=$(grep -P "^[0-9]{3}-$pat\.json\t" "$CORPUS/EXPECTED.tsv" | head -1)
    [[ -n $file ]] || { PROBLEMS+=("no corpus entry for $pat"); continue; }
    expect=${file#*$'\t'}
    file=${file%%$'\t'*}
    try_config "$CORPUS/$file" "$expect" run
  done
  report
}

# big_string_config FIELD-FILTER OUT: base.json with a 10 MB string where FILTER puts "XBIGX".
big_string_config() {
  local doc pre post
  doc=$(jq -c "$1" "$CORPUS/base.json")
  pre=${doc%%XBIGX*}
  post=${doc#*XBIGX}
  { printf '%s' "$pre"; head -c $((10 * 1024 * 1024)) /dev/zero | tr '\0' a; printf '%s' "$post"; } > "$2"
}

@test "hostile-configs: 10 MB strings (hostname, args[0], annotation key, mount destination)" {
  local gen=$BATS_TEST_TMPDIR/gen
  mkdir -p "$gen"
  big_string_config '.hostname = "XBIGX"' "$gen/big-hostname.json"
  big_string_config '.process.args[0] = "XBIGX"' "$gen/big-arg.json"
  big_string_config '.annotations = {"XBIGX": "v"}' "$gen/big-annotation-key.json"
  big_string_config '.mounts[0].destination = "/XBIGX"' "$gen/big-mount.json"
  [[ $(stat -c %s "$gen/big-hostname.json") -gt 10000000 ]] || fail "generator made a small file"
  try_config "$gen/big-hostname.json" hostname
  try_config "$gen/big-arg.json" 'process.args[0]'
  try_config "$gen/big-annotation-key.json" annotations
  try_config "$gen/big-mount.json" 'mounts[0].destination'
  report
}

@test "hostile-configs: 100,000 nested arrays (top level, process.args, an unknown field)" {
  local gen=$BATS_TEST_TMPDIR/gen open close doc
  mkdir -p "$gen"
  open=$(head -c 100000 /dev/zero | tr '\0' '[')
  close=${open//[/]}
  printf '%s%s' "$open" "$close" > "$gen/deep-top.json"
  doc=$(jq -c '.process.args = "XDEEPX"' "$CORPUS/base.json")
  printf '%s' "${doc/\"XDEEPX\"/$open$close}" > "$gen/deep-args.json"
  # an ignored unknown field nested 100,000 deep, then a bad cwd: the cwd must still be named
  doc=$(jq -c '.x = "XDEEPX" | .process.cwd = "relative"' "$CORPUS/base.json")
  printf '%s' "${doc/\"XDEEPX\"/$open$close}" > "$gen/deep-unknown.json"
  [[ $(stat -c %s "$gen/deep-top.json") -eq 200000 ]] || fail "generator: wrong size"
  try_config "$gen/deep-top.json" 'JSON object'
  try_config "$gen/deep-args.json" 'process.args'
  try_config "$gen/deep-unknown.json" 'process.cwd'
  report
}
