#!/usr/bin/env bats
# process: env, cwd, user, umask, capabilities, rlimits, noNewPrivileges, oomScoreAdj.
load ../helpers/common

# capmask NAME...: the hex capability mask (16 digits, as in /proc/PID/status) of the names.
capmask() {
  local -A num=([CAP_CHOWN]=0 [CAP_DAC_OVERRIDE]=1 [CAP_DAC_READ_SEARCH]=2 [CAP_FOWNER]=3
    [CAP_FSETID]=4 [CAP_KILL]=5 [CAP_SETGID]=6 [CAP_SETUID]=7 [CAP_SETPCAP]=8
    [CAP_LINUX_IMMUTABLE]=9 [CAP_NET_BIND_SERVICE]=10 [CAP_NET_BROADCAST]=11 [CAP_NET_ADMIN]=12
    [CAP_NET_RAW]=13 [CAP_IPC_LOCK]=14 [CAP_IPC_OWNER]=15 [CAP_SYS_MODULE]=16 [CAP_SYS_RAWIO]=17
    [CAP_SYS_CHROOT]=18 [CAP_SYS_PTRACE]=19 [CAP_SYS_PACCT]=20 [CAP_SYS_ADMIN]=21 [CAP_SYS_BOOT]=22
    [CAP_SYS_NICE]=23 [CAP_SYS_RESOURCE]=24 [CAP_SYS_TIME]=25 [CAP_SYS_TTY_CONFIG]=26 [CAP_MKNOD]=27
    [CAP_LEASE]=28 [CAP_AUDIT_WRITE]=29 [CAP_AUDIT_CONTROL]=30 [CAP_SETFCAP]=31
    [CAP_MAC_OVERRIDE]=32 [CAP_MAC_ADMIN]=33 [CAP_SYSLOG]=34 [CAP_WAKE_ALARM]=35
    [CAP_BLOCK_SUSPEND]=36 [CAP_AUDIT_READ]=37 [CAP_PERFMON]=38 [CAP_BPF]=39 [CAP_CHECKPOINT_RESTORE]=40)
  local m=0 c
  for c in "$@"; do m=$((m | (1 << ${num[$c]}))); done
  printf '%016x\n' "$m"
}

@test "env: process.env is the whole environment" {
  update_config '.process.env = ["PATH=/bin:/usr/bin", "FOO=bar baz", "EMPTY="]'
  run_in_container 'echo "FOO=$FOO"; env | sort'
  expect_status 0
  expect_eq "${lines[0]}" "FOO=bar baz" FOO
  local envs
  envs=$(tail -n +2 <<<"$output" | grep -vE '^(PWD|SHLVL|_)=' | paste -sd' ')
  # a runtime may add HOME (runc does, from /etc/passwd) but nothing else from the host
  [[ $envs == "EMPTY= FOO=bar baz"*"PATH=/bin:/usr/bin" ]] || fail "environment: $envs"
  [[ $output != *NUCLEUS_CONFORMANCE_TAG* ]] || fail "template env leaked"
  [[ $output != *BATS_* ]] || fail "the caller's environment leaked: $output"
}

@test "env: HOME is set from /etc/passwd when absent" {
  update_config '.process.user = {uid: 1000, gid: 1000}'
  run_in_container 'echo "$HOME"'
  expect_status 0
  expect_eq "$output" /home/test HOME
}

@test "cwd: the process starts in process.cwd" {
  update_config '.process.cwd = "/tmp"'
  run_in_container 'pwd'
  expect_status 0
  expect_eq "$output" /tmp cwd
}

@test "user: uid, gid and additionalGids" {
  update_config '.process.user = {uid: 1000, gid: 1000, additionalGids: [10, 65534]}'
  run_in_container 'id -u; id -g; grep -E "^(Uid|Gid|Groups):" /proc/self/status'
  expect_status 0
  expect_eq "${lines[0]}" 1000 uid
  expect_eq "${lines[1]}" 1000 gid
  [[ $output =~ Uid:[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000 ]] || fail "$output"
  [[ $output =~ Gid:[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000 ]] || fail "$output"
  local groups
  groups=$(grep '^Groups:' <<<"$output" | cut -d: -f2 | xargs -n1 | sort -n | paste -sd' ')
  expect_eq "$groups" "10 65534" "supplementary groups"
}

@test "user: id shows the names from the rootfs's /etc/passwd" {
  update_config '.process.user = {uid: 1000, gid: 1000}'
  run_in_container 'id'
  expect_status 0
  [[ $output == "uid=1000(test) gid=1000(test)"* ]] || fail "id: $output"
}

@test "user: root with no additionalGids has no supplementary groups" {
  update_config '.process.user = {uid: 0, gid: 0}'
  run_in_container 'grep "^Groups:" /proc/self/status'
  expect_status 0
  [[ $(cut -d: -f2 <<<"$output" | xargs) == "" || $(cut -d: -f2 <<<"$output" | xargs) == 0 ]] || fail "groups: $output"
}

@test "umask from process.user.umask" {
  update_config '.process.user.umask = 23'   # 0027
  run_in_container 'umask; touch /tmp/f; stat -c %a /tmp/f'
  expect_status 0
  expect_eq "${lines[0]}" 0027 umask
  expect_eq "${lines[1]}" 640 "mode of a new file"
}

@test "capabilities: only CAP_KILL gives CapEff 0000000000000020" {
  update_config '.process.capabilities = {bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"], inheritable: [], ambient: []}'
  run_in_container 'grep ^Cap /proc/self/status'
  expect_status 0
  expect_output_contains $'CapEff:\t0000000000000020' $'CapPrm:\t0000000000000020' $'CapBnd:\t0000000000000020' \
    $'CapInh:\t0000000000000000' $'CapAmb:\t0000000000000000'
}

@test "capabilities: the default spec's set" {
  local caps
  caps=$(jq -r '.process.capabilities.effective[]' "$BUNDLE/config.json")
  # shellcheck disable=SC2086
  local want
  want=$(capmask $caps)
  run_in_container 'grep ^CapEff /proc/self/status'
  expect_status 0
  expect_eq "$(awk '{print $2}' <<<"$output")" "$want" "CapEff for: $(echo $caps)"
}

@test "capabilities: ambient caps reach a non-root process" {
  update_config '.process.user = {uid: 1000, gid: 1000}
    | .process.capabilities = {bounding: ["CAP_NET_BIND_SERVICE", "CAP_KILL"], effective: ["CAP_NET_BIND_SERVICE"],
        permitted: ["CAP_NET_BIND_SERVICE"], inheritable: ["CAP_NET_BIND_SERVICE"], ambient: ["CAP_NET_BIND_SERVICE"]}'
  run_in_container 'grep -E "^Cap(Eff|Amb|Bnd)" /proc/self/status'
  expect_status 0
  expect_output_contains $'CapEff:\t0000000000000400' $'CapAmb:\t0000000000000400' $'CapBnd:\t0000000000000420'
}

@test "rlimits: RLIMIT_NOFILE soft and hard" {
  update_config '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 1234, hard: 2345}]'
  run_in_container 'ulimit -n; ulimit -Hn'
  expect_status 0
  expect_eq "${lines[0]}" 1234 "soft nofile"
  expect_eq "${lines[1]}" 2345 "hard nofile"
}

@test "rlimits: RLIMIT_NPROC and RLIMIT_CORE" {
  update_config '.process.rlimits = [{type: "RLIMIT_CORE", soft: 0, hard: 4096}, {type: "RLIMIT_NPROC", soft: 777, hard: 888}]'
  run_in_container 'grep -E "^Max (core file size|processes)" /proc/self/limits'
  expect_status 0
  [[ $output =~ Max\ core\ file\ size\ +0\ +4096 ]] || fail "$output"
  [[ $output =~ Max\ processes\ +777\ +888 ]] || fail "$output"
}

@test "noNewPrivileges true sets NoNewPrivs" {
  update_config '.process.noNewPrivileges = true'
  run_in_container 'grep ^NoNewPrivs /proc/self/status'
  expect_status 0
  expect_eq "$output" $'NoNewPrivs:\t1' NoNewPrivs
}

@test "noNewPrivileges false leaves NoNewPrivs 0" {
  update_config '.process.noNewPrivileges = false'
  run_in_container 'grep ^NoNewPrivs /proc/self/status'
  expect_status 0
  expect_eq "$output" $'NoNewPrivs:\t0' NoNewPrivs
}

@test "oomScoreAdj" {
  update_config '.process.oomScoreAdj = 123'
  run_in_container 'cat /proc/self/oom_score_adj'
  expect_status 0
  expect_eq "$output" 123 oom_score_adj
}

@test "args are looked up in process.env's PATH" {
  update_config '.process.env = ["PATH=/usr/local/bin:/bin"]'
  set_args echo via-path
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_eq "$output" via-path output
}

@test "the process has no fds beyond 0, 1, 2 (no runtime fd leaks)" {
  run_in_container 'ls /proc/self/fd | sort -n | paste -sd" "'
  expect_status 0
  # ls itself opens one fd for the directory listing (3)
  [[ $output == "0 1 2" || $output == "0 1 2 3" ]] || fail "fds: $output"
}

@test "process: a missing cwd is created (as runc), also with a read-only root" {
  update_config '.process.cwd = "/new/work/dir" | .root.readonly = true'
  run_in_container 'pwd'
  expect_status 0
  expect_output_contains "/new/work/dir"
}

@test "env: a non-empty HOME is kept, an empty one comes from /etc/passwd (also after an override)" {
  # runc's env.bats
  update_config '.process.env += ["HOME=/override"]'
  run_in_container 'echo "$HOME"'
  expect_status 0
  expect_eq "$output" /override "non-empty HOME"
  update_config '.process.env += ["HOME="]'
  run_in_container 'echo "$HOME"'
  expect_status 0
  expect_eq "$output" /root "HOME=/override, HOME="
}

@test "env: a name given twice is set once, with the last value" {
  update_config '.process.env = ["ONE=two", "HOME=", "ONE=three", "PATH=/usr/bin:/bin"]'
  set_args env
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_eq "$(sort <<<"$output" | paste -sd' ')" "HOME=/root ONE=three PATH=/usr/bin:/bin" "environment"
}

@test "exec: HOME of a --user comes from the container's /etc/passwd, / without an entry" {
  # runc's exec.bats "runc exec check default home"
  echo 'tempuser:x:2000:2000:tempuser:/home/tempuser:/bin/sh' >> "$BUNDLE/rootfs/etc/passwd"
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  run rt exec -u 2000 "$ID" sh -c 'echo $HOME'
  expect_status 0
  expect_eq "$output" /home/tempuser "HOME of uid 2000"
  run rt exec -u 2001 "$ID" sh -c 'echo $HOME'
  expect_status 0
  expect_eq "$output" / "HOME of uid 2001 (no passwd entry)"
}

@test "exec: its own failures exit 255, the process's status is passed through" {
  # runc's exec.bats "runc exec [exit codes]"
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  run rt exec "$ID" false
  expect_status 1
  run rt exec "$ID" sh -c 'exit 42'
  expect_status 42
  run rt exec --pid-file /non-existent/directory "$ID" true
  expect_status 255
  expect_output_contains "exec failed: "
  run rt exec "$ID" no-such-binary
  expect_status 255
  expect_output_contains 'exec failed: ' 'no-such-binary' 'executable file not found in $PATH'
  run rt exec "${ID}nope" true
  expect_status 255
  expect_output_contains "exec failed: " "does not exist"
}

@test "exec: an execve failure is one line naming the path and the errno text" {
  # runc's exec.bats "runc exec [execve error]": an interpreter that does not exist.
  printf '#!/mmnnttbb foo bar\nsh\n' > "$BUNDLE/rootfs/run.sh"
  chmod +x "$BUNDLE/rootfs/run.sh"
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  run rt exec "$ID" /run.sh
  expect_failure
  expect_eq "${#lines[@]}" 1 "lines of output: $output"
  expect_output_contains "exec /run.sh: no such file or directory"
}

@test "run/start: an execve failure after start is the container's: one line on its stderr, exit 255" {
  # runc's run.bats "runc run [execve error]": the lookup at create finds /run.sh, its missing
  # interpreter fails the execve after start. As runc's init: the text on the container's
  # stderr, exit status 255; start itself succeeds (an engine shows the line in the container's
  # log and exit code 255, as with runc).
  printf '#!/mmnnttbb foo bar\nsh\n' > "$BUNDLE/rootfs/run.sh"
  chmod +x "$BUNDLE/rootfs/run.sh"
  set_args /run.sh
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 255
  expect_eq "${#lines[@]}" 1 "lines of output: $output"
  expect_eq "${lines[0]}" "exec /run.sh: no such file or directory" "the line"
  rt create --bundle "$BUNDLE" "$ID"
  run rt start "$ID"
  expect_status 0
  wait_status "$ID" stopped
  [[ $(detached_output) == *"exec /run.sh: no such file or directory"* ]] ||
    fail "container's stderr: $(detached_output)"
}

@test "exec: the process leads its own session and process group (as runc's setsid)" {
  set_args sleep 1000
  rt run -d --bundle "$BUNDLE" "$ID"
  run rt exec "$ID" sh -c 'echo $$ $(cut -d" " -f5,6 /proc/$$/stat)'
  expect_status 0
  local pid pgid sid
  read -r pid pgid sid <<<"$output"
  expect_eq "$pgid" "$pid" "process group of the exec'd sh"
  expect_eq "$sid" "$pid" "session of the exec'd sh"
}

@test "run: the init leads its own session and process group (as runc's setsid)" {
  run_in_container 'cut -d" " -f5,6 /proc/1/stat'
  expect_status 0
  expect_eq "$output" "1 1" "pgid and sid of the container's init"
}

@test "linux.personality LINUX32: the init and exec'd processes run as i686 (runc)" {
  [[ $(uname -m) == x86_64 ]] || skip "LINUX32 on x86_64 only; this host is $(uname -m)"
  update_config '.linux.personality = {domain: "LINUX32"}'
  set_cmd 'uname -m; sleep 1000'
  rt run -d --bundle "$BUNDLE" "$ID"
  run rt exec "$ID" uname -m
  expect_status 0
  expect_eq "$output" i686 "uname -m of an exec'd process"
  for _ in $(seq 40); do [[ -n $(detached_output) ]] && break; sleep 0.05; done
  expect_eq "$(detached_output)" i686 "uname -m of the init"
}

@test "user: a non-root user with CAP_DAC_OVERRIDE runs a file without its exec bit (runc)" {
  # busybox under the name of its echo applet, executable by its owner (root) only
  mkdir -p "$BUNDLE/rootfs/owner-only"
  cp "$BUNDLE/rootfs/bin/busybox" "$BUNDLE/rootfs/owner-only/echo"
  chown 0:0 "$BUNDLE/rootfs/owner-only/echo"
  chmod 0744 "$BUNDLE/rootfs/owner-only/echo"
  set_args /owner-only/echo hello
  update_config '.process.user = {uid: 1000, gid: 100}'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_failure  # without the capability: permission denied
  rt delete --force "$ID" 2>/dev/null || true
  update_config '.process.capabilities |= with_entries(.value += ["CAP_DAC_OVERRIDE"])'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_eq "$output" hello "output"
}

@test "process.apparmorProfile without AppArmor on the host: create fails naming the field, nothing left" {
  if [[ -e /sys/kernel/security/apparmor ]] &&
    [[ $(cat /sys/module/apparmor/parameters/enabled 2>/dev/null) == Y ]]; then
    skip "AppArmor is enabled here (conformance/systemd/docker.bats runs docker-default on such a host)"
  fi
  nucleus_only  # runc 1.1.5 only fails at the write: "apparmor failed to apply profile: ..."
  update_config '.process.apparmorProfile = "docker-default"'
  run rt create --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains 'process.apparmorProfile \"docker-default\" is set but AppArmor is not enabled on this host'
  run rt state "$ID"
  expect_status 1
  # exec: the same check, in the runtime
  update_config 'del(.process.apparmorProfile)'
  set_cmd 'sleep 1000'
  rt run -d --bundle "$BUNDLE" "$ID"
  run rt exec --apparmor docker-default "$ID" true
  expect_status 255  # exec's failures, as runc's
  expect_output_contains 'process.apparmorProfile \"docker-default\" is set but AppArmor is not enabled on this host'
}
