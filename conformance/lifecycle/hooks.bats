#!/usr/bin/env bats
# OCI hooks: order, the state on stdin, failure, poststop at delete, timeout.
load ../helpers/common

setup() {
  common_setup
  # One hook script for the host and the container (busybox sh inside, /bin/sh outside):
  # appends "NAME STATUS" (the status read from the state JSON on stdin) to the log given.
  cat > "$BUNDLE/rootfs/hook.sh" <<'HOOK'
#!/bin/sh
name=$1 log=$2
state=$(cat)
status=$(printf '%s' "$state" | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p')
id=$(printf '%s' "$state" | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p')
echo "$name $status $id" >> "$log"
HOOK
  chmod 755 "$BUNDLE/rootfs/hook.sh"
  HOOK=$BUNDLE/rootfs/hook.sh
  LOG=$BUNDLE/rootfs/hooks.log
}

# hook_json NAME [PATH-OF-SCRIPT] [LOG-AS-SEEN-BY-THE-HOOK]
hook_json() {
  jq -nc --arg p "${2:-$HOOK}" --arg n "$1" --arg l "${3:-$LOG}" '{path: $p, args: ["hook.sh", $n, $l]}'
}

all_hooks() {
  update_config '.hooks = {
      prestart: [$pre], createRuntime: [$cr], createContainer: [$cc],
      startContainer: [$sc], poststart: [$post], poststop: [$stop] }' \
    --argjson pre "$(hook_json prestart)" --argjson cr "$(hook_json createRuntime)" \
    --argjson cc "$(hook_json createContainer)" \
    --argjson sc "$(hook_json startContainer /hook.sh /hooks.log)" \
    --argjson post "$(hook_json poststart)" --argjson stop "$(hook_json poststop)"
}

@test "hooks run in order: prestart, createRuntime, createContainer at create; startContainer at start; poststop at delete" {
  all_hooks
  update_config 'del(.hooks.poststart)'
  set_args sleep 1000
  run rt create --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_eq "$(cut -d' ' -f1 "$LOG" | paste -sd,)" prestart,createRuntime,createContainer "hooks after create"
  run rt start "$ID"
  expect_status 0
  expect_eq "$(cut -d' ' -f1 "$LOG" | paste -sd,)" prestart,createRuntime,createContainer,startContainer "hooks after start"
  rt kill "$ID" KILL
  wait_status "$ID" stopped
  run rt delete "$ID"
  expect_status 0
  expect_eq "$(cut -d' ' -f1 "$LOG" | paste -sd,)" prestart,createRuntime,createContainer,startContainer,poststop "hooks after delete"
  # every hook got this container's state on stdin
  expect_eq "$(cut -d' ' -f3 "$LOG" | sort -u)" "$ID" "id in the hooks' state"
}

@test "poststart runs at start, after startContainer (not at create)" {
  # runc 1.1 runs poststart hooks at the end of `create` (status "created"); the runtime-spec
  # says after the user-specified process is started. Keep the spec's order.
  nucleus_only
  all_hooks
  set_args sleep 1000
  run rt create --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_eq "$(cut -d' ' -f1 "$LOG" | paste -sd,)" prestart,createRuntime,createContainer "hooks after create"
  run rt start "$ID"
  expect_status 0
  expect_eq "$(cut -d' ' -f1 "$LOG" | paste -sd,)" prestart,createRuntime,createContainer,startContainer,poststart "hooks after start"
  rt delete --force "$ID"
  expect_eq "$(cut -d' ' -f1 "$LOG" | paste -sd,)" prestart,createRuntime,createContainer,startContainer,poststart,poststop "hooks after delete"
}

@test "hooks get the state with the documented status (without poststart)" {
  all_hooks
  update_config 'del(.hooks.poststart)'
  set_args sleep 1000
  rt create --bundle "$BUNDLE" "$ID"
  rt start "$ID"
  rt delete --force "$ID"
  # prestart/createRuntime/createContainer see "creating", startContainer "created",
  # poststop "stopped".
  expect_eq "$(cut -d' ' -f1,2 "$LOG" | paste -sd,)" \
    "prestart creating,createRuntime creating,createContainer creating,startContainer created,poststop stopped" \
    "hook statuses"
}

@test "poststart sees status running" {
  # runc 1.1 runs poststart during create, so it reports "created" (see above).
  nucleus_only
  update_config '.hooks.poststart = [$h]' --argjson h "$(hook_json poststart)"
  set_args sleep 1000
  rt create --bundle "$BUNDLE" "$ID"
  rt start "$ID"
  expect_eq "$(cut -d' ' -f1,2 "$LOG")" "poststart running" "poststart status"
}

@test "hooks: the state on stdin is complete JSON (pid, bundle)" {
  cat > "$BATS_TEST_TMPDIR/dump.sh" <<EOF2
#!/bin/sh
cat > "$BATS_TEST_TMPDIR/state.json"
EOF2
  chmod 755 "$BATS_TEST_TMPDIR/dump.sh"
  update_config '.hooks.createRuntime = [{path: $p}]' --arg p "$BATS_TEST_TMPDIR/dump.sh"
  set_args sleep 1000
  rt create --bundle "$BUNDLE" "$ID"
  local s
  s=$(cat "$BATS_TEST_TMPDIR/state.json")
  jq -e . <<<"$s" >/dev/null || fail "not JSON: $s"
  expect_eq "$(jq -r .id <<<"$s")" "$ID" id
  expect_eq "$(jq -r .bundle <<<"$s")" "$BUNDLE" bundle
  expect_eq "$(jq -r .pid <<<"$s")" "$(pid_of "$ID")" pid
  jq -e '.ociVersion | length > 0' <<<"$s" >/dev/null || fail "ociVersion: $s"
}

@test "container-side hooks alone (no prestart, createRuntime) get the full state, pid included" {
  # Without runtime-side hooks the init never waits for the runtime mid-create: the state comes
  # with Go. createContainer runs in the runtime's mount namespace view, startContainer inside.
  cat > "$BUNDLE/rootfs/dump.sh" <<'EOF2'
#!/bin/sh
cat > "$1"
EOF2
  chmod 755 "$BUNDLE/rootfs/dump.sh"
  update_config '.hooks = {createContainer: [{path: $p, args: ["dump.sh", $cc]}],
                           startContainer: [{path: "/dump.sh", args: ["dump.sh", "/sc.json"]}]}' \
    --arg p "$BUNDLE/rootfs/dump.sh" --arg cc "$BATS_TEST_TMPDIR/cc.json"
  set_args sleep 1000
  rt create --bundle "$BUNDLE" "$ID"
  local pid s
  pid=$(pid_of "$ID")
  s=$(cat "$BATS_TEST_TMPDIR/cc.json")
  expect_eq "$(jq -r '.id + " " + .status + " " + (.pid|tostring)' <<<"$s")" "$ID creating $pid" \
    "createContainer state"
  rt start "$ID"
  wait_for_file "$BUNDLE/rootfs/sc.json"
  s=$(cat "$BUNDLE/rootfs/sc.json")
  expect_eq "$(jq -r '.id + " " + .status + " " + (.pid|tostring)' <<<"$s")" "$ID created $pid" \
    "startContainer state"
}

@test "a hook that exits without reading its stdin does not kill the runtime (SIGPIPE)" {
  # 200 KB of annotations make the state more than a pipe holds: writing the rest to a hook
  # that is gone raises SIGPIPE, whose default action used to kill create and start (status 141).
  update_config '.annotations.big = ("x" * 200000)
    | .hooks = {prestart: [{path: "/bin/true"}], createRuntime: [{path: "/bin/true"}],
                poststart: [{path: "/bin/true"}], poststop: [{path: "/bin/true"}]}'
  set_args sleep 1000
  run rt create --bundle "$BUNDLE" "$ID"
  expect_status 0
  run rt start "$ID"
  expect_status 0
  wait_status "$ID" running
  run rt delete -f "$ID"
  expect_status 0
}

@test "hooks: args (args[0] is argv0) and env are passed" {
  # busybox picks its applet from argv0: "sh" only works if args[0] became argv[0]
  update_config '.hooks.prestart = [{path: "/bin/busybox", args: ["sh", "-c", $script, "x", "a b"], env: ["HOOKVAR=hv"]}]' \
    --arg script "echo \"\$1|\$HOOKVAR\" > $BATS_TEST_TMPDIR/argenv.out"
  set_args true
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_eq "$(cat "$BATS_TEST_TMPDIR/argenv.out")" "a b|hv" "argv and env of the hook"
}

@test "a failing prestart hook makes create fail and leaves nothing" {
  update_config '.hooks.prestart = [{path: "/bin/false"}]'
  set_args sleep 1000
  run rt create --bundle "$BUNDLE" "$ID"
  expect_status 1
  run rt state "$ID"
  expect_status 1
  # teardown checks processes, cgroups, mounts and the state dir
}

@test "a failing createRuntime hook makes create fail" {
  update_config '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", "exit 3"]}]'
  set_args sleep 1000
  run rt create --bundle "$BUNDLE" "$ID"
  expect_status 1
  run rt state "$ID"
  expect_status 1
}

@test "poststop runs at delete of a stopped container, not before" {
  update_config '.hooks.poststop = [$h]' --argjson h "$(hook_json poststop)"
  set_args true
  rt run -d --bundle "$BUNDLE" "$ID"
  wait_status "$ID" stopped
  [[ ! -s $LOG ]] || fail "poststop ran before delete: $(cat "$LOG")"
  run rt delete "$ID"
  expect_status 0
  expect_eq "$(cut -d' ' -f1 "$LOG")" poststop "hooks after delete"
}

@test "poststop runs at foreground run's end" {
  update_config '.hooks.poststop = [$h]' --argjson h "$(hook_json poststop)"
  set_args true
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_eq "$(cut -d' ' -f1 "$LOG")" poststop "hooks after run"
}

@test "hook timeout kills a hook that sleeps and fails create" {
  cat > "$BATS_TEST_TMPDIR/slow.sh" <<EOF2
#!/bin/sh
echo \$\$ > "$BATS_TEST_TMPDIR/slow.pid"
exec sleep 100
EOF2
  chmod 755 "$BATS_TEST_TMPDIR/slow.sh"
  update_config '.hooks.prestart = [{path: $p, timeout: 1}]' --arg p "$BATS_TEST_TMPDIR/slow.sh"
  set_args sleep 1000
  SECONDS=0
  run rt create --bundle "$BUNDLE" "$ID"
  expect_status 1
  ((SECONDS < 20)) || fail "create took ${SECONDS}s with a 1s hook timeout"
  local p
  p=$(cat "$BATS_TEST_TMPDIR/slow.pid")
  for _ in $(seq 40); do kill -0 "$p" 2>/dev/null && [[ $(awk '{print $3}' /proc/$p/stat 2>/dev/null) != Z ]] || break; sleep 0.05; done
  if kill -0 "$p" 2>/dev/null && [[ $(awk '{print $3}' /proc/$p/stat) != Z ]]; then
    kill -KILL "$p"
    fail "the timed-out hook ($p) is still running"
  fi
  run rt state "$ID"
  expect_status 1
}

@test "a failing hook's error names its kind and index (runc's words)" {
  set_args sleep 1000
  local hook
  for hook in prestart createRuntime createContainer; do
    update_config '.hooks = {($k): [{path: "/bin/true"}, {path: "/bin/false"}]}' --arg k "$hook"
    run rt create --bundle "$BUNDLE" "$ID"
    expect_failure
    expect_output_contains "error running $hook hook #1: exit status 1"
    run rt state "$ID"
    expect_status 1
  done
}

@test "run fails when a startContainer or poststart hook fails (runc's words)" {
  set_args echo Hello World
  local hook
  for hook in startContainer poststart; do
    update_config '.hooks = {($k): [{path: "/bin/true"}, {path: "/bin/false"}]}' --arg k "$hook"
    run rt run --bundle "$BUNDLE" "$ID"
    expect_failure
    expect_output_contains "error running $hook hook #1:"
    [[ $output != "Hello World" ]] || fail "the process ran: $output"
    run rt state "$ID"
    expect_status 1
  done
}

@test "a failing hook's error carries its stdout and stderr, a missing one fork/exec's error" {
  update_config '.hooks.prestart = [{path: "/bin/sh", args: ["sh", "-c", "echo to-out; echo to-err >&2; exit 3"]}]'
  set_args sleep 1000
  run rt create --bundle "$BUNDLE" "$ID"
  expect_failure
  expect_output_contains "error running prestart hook #0: exit status 3, stdout: to-out" "stderr: to-err"
  update_config '.hooks.prestart = [{path: "/no/such/hook"}]'
  run rt create --bundle "$BUNDLE" "$ID"
  expect_failure
  expect_output_contains "error running prestart hook #0: fork/exec /no/such/hook: no such file or directory"
}

@test "a failing poststart hook fails start and removes the container (as runc), poststop runs" {
  # The runtime-spec says a poststart failure is only logged; runc and crun fail the start and
  # remove the container. README.md: "Where nucleus-oci follows runc rather than the runtime-spec".
  # (runc 1.3 runs poststart hooks at the end of create, so there create fails.)
  nucleus_only
  update_config '.hooks = {poststart: [{path: "/bin/false"}], poststop: [$stop]}' \
    --argjson stop "$(hook_json poststop)"
  set_args sleep 1000
  run rt create --bundle "$BUNDLE" "$ID"
  expect_status 0
  local pid
  pid=$(pid_of "$ID")
  run rt start "$ID"
  expect_status 1
  expect_output_contains "error running poststart hook #0: exit status 1"
  run rt state "$ID"
  expect_status 1
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null && [[ $(awk '{print $3}' /proc/$pid/stat 2>/dev/null) != Z ]] || break; sleep 0.05; done
  ! kill -0 "$pid" 2>/dev/null || [[ $(awk '{print $3}' /proc/$pid/stat) == Z ]] || fail "init $pid still alive"
  expect_eq "$(cut -d' ' -f1 "$LOG")" poststop "hooks after the failed start"
}

@test "hooks without env get the runtime's environment (PATH included), as runc's" {
  update_config '.hooks = {prestart: [{path: "/bin/sh", args: ["sh", "-c", $s]}],
                           poststop: [{path: "/bin/sh", args: ["sh", "-c", $p]}]}' \
    --arg s "echo \"\$HOOK_PROBE|\$PATH\" > $BATS_TEST_TMPDIR/pre.env" \
    --arg p "echo \"\$HOOK_PROBE|\$PATH\" > $BATS_TEST_TMPDIR/stop.env"
  set_args true
  HOOK_PROBE=from-runtime PATH=/usr/bin:/bin:/probe run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_eq "$(cat "$BATS_TEST_TMPDIR/pre.env")" "from-runtime|/usr/bin:/bin:/probe" "prestart env"
  expect_eq "$(cat "$BATS_TEST_TMPDIR/stop.env")" "from-runtime|/usr/bin:/bin:/probe" "poststop env"
}

@test "startContainer hooks without env inherit the process's environment (HOME included)" {
  # runc's hooks.bats "startContainer hook should inherit process environment".
  cat > "$BUNDLE/rootfs/check-env.sh" <<'EOF2'
#!/bin/sh -ue
test $ONE = two
test $FOO = bar
echo $HOME > /sc-home
EOF2
  chmod +x "$BUNDLE/rootfs/check-env.sh"
  update_config '.process.env = ["ONE=two", "FOO=bar", "PATH=/bin"]
                 | .hooks = {startContainer: [{path: "/check-env.sh"}]}'
  set_args true
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_eq "$(cat "$BUNDLE/rootfs/sc-home")" /root "HOME seen by the hook"
}

@test "hooks' relative paths: the runtime's hooks run in the bundle, createContainer in the rootfs" {
  # runc's hooks_so.bats mounts over ./lib/... from a createContainer hook: its cwd is the
  # container's root (before pivot_root), in the container's mount namespace.
  update_config '.hooks = {
      prestart: [{path: "/bin/sh", args: ["sh", "-c", "pwd > prestart.cwd"]}],
      createRuntime: [{path: "/bin/sh", args: ["sh", "-c", "pwd > createRuntime.cwd"]}],
      createContainer: [{path: "/bin/sh", args: ["sh", "-c", $cc]}],
      poststart: [{path: "/bin/sh", args: ["sh", "-c", "pwd > poststart.cwd"]}],
      poststop: [{path: "/bin/sh", args: ["sh", "-c", "pwd > poststop.cwd"]}]}' \
    --arg cc "mkdir -p ./hookdir && mount -t tmpfs hook ./hookdir && echo from-hook > ./hookdir/f"
  set_args cat /hookdir/f
  # from another directory: the runtime's own cwd must not matter
  cd "$BATS_TEST_TMPDIR"
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_eq "$output" from-hook "the file the createContainer hook wrote into its mount"
  local k
  for k in prestart createRuntime poststart poststop; do
    expect_eq "$(cat "$BUNDLE/$k.cwd" 2>/dev/null)" "$BUNDLE" "$k hook's cwd"
  done
}

# runc's seccomp.bats "startContainer hook": the container's seccomp filter is loaded before the
# startContainer hooks (with or without noNewPrivileges), which run under it.
start_hook_under_filter() {
  update_config '.process.args = ["/bin/true"]
    | .process.noNewPrivileges = $nnp
    | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_KILL"}]}
    | .process.rlimits = [{type: "RLIMIT_CORE", soft: 0, hard: 0}]
    | .hooks = {startContainer: [{path: "/bin/sh", args: ["sh", "-c", "mkdir /tmp/hook-was-here"]}]}' \
    --argjson nnp "$1"
}

@test "startContainer hook: runs under the container's seccomp filter (runc)" {
  local nnp
  for nnp in false true; do
    start_hook_under_filter "$nnp"
    run rt run --bundle "$BUNDLE" "$ID"
    expect_failure
    expect_output_contains "error running startContainer hook" "bad system call"
    [[ ! -e $BUNDLE/rootfs/tmp/hook-was-here ]] || fail "noNewPrivileges $nnp: the hook's mkdir was not denied"
    rt delete -f "$ID" 2>/dev/null || true
  done
}
