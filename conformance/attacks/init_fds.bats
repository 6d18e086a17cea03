#!/usr/bin/env bats
# CVE-2016-9962 / CVE-2024-21626 class: the init of a created container waits for `start` inside
# the container; any fd it holds on a host directory (the state directory under --root, a procfs
# without the container's masks) can be taken by a container process that may ptrace it
# (CAP_SYS_PTRACE: the init is not dumpable), through /proc/1/fd/N or by ptrace itself. runc's
# rule: the init holds nothing of the host but its sealed binary and the exec.fifo, which it gets
# as an O_PATH fd and reopens through procfs. Also no --log file: runc closes its log pipe there.
load ../helpers/common

# init_fd_problems PID: every fd of PID beyond stdio (the caller's, whatever they are) that is
# not /dev/null, a pty, a pipe, a socket, an anon inode or the container's exec.fifo (a
# directory behind an fd is always a problem), one a line.
init_fd_problems() {
  local pid=$1 f n target
  for f in /proc/"$pid"/fd/*; do
    n=${f##*/}
    target=$(readlink "$f") || continue
    if [[ -d $f ]]; then
      echo "fd $n -> $target (a directory)"
      continue
    fi
    [[ $n == [012] ]] && continue
    case $target in
      /dev/null | /dev/pts/* | pipe:* | socket:* | anon_inode:*) ;;
      "$ROOT/$ID/exec.fifo") ;;
      *) echo "fd $n -> $target" ;;
    esac
  done
}

# check_created_init: the created container $ID's init holds nothing of the host; then `start`
# still runs the workload.
check_created_init() {
  local pid problems
  pid=$(pid_of "$ID")
  [[ -d /proc/$pid ]] || fail "no init process ($pid)"
  problems=$(init_fd_problems "$pid")
  [[ -z $problems ]] || fail "the created init holds host fds: $(tr '\n' ';' <<<"$problems")"
  run rt start "$ID"
  expect_status 0
  wait_status "$ID" stopped 10
  [[ $(detached_output) == *"workload ran"* ]] || fail "no workload output: $(detached_output)"
}

setup() {
  common_setup
  set_cmd 'echo workload ran'
}

@test "init fds: a created container's init holds no host directory (state dir)" {
  run rt create --bundle "$BUNDLE" "$ID"
  expect_status 0
  check_created_init
}

@test "init fds: ... nor a procfs without the masks (config with sysctls)" {
  update_config '.linux.sysctl = {"kernel.shmmax": "65536"}'
  run rt create --bundle "$BUNDLE" "$ID"
  expect_status 0
  check_created_init
}

@test "init fds: ... nor the --log file" {
  run rt --log "$BATS_TEST_TMPDIR/runtime.log" create --bundle "$BUNDLE" "$ID"
  expect_status 0
  check_created_init
}

@test "init fds: a container process with CAP_SYS_PTRACE finds no host directory behind /proc/1/fd" {
  update_config '.linux.sysctl = {"kernel.shmmax": "65536"}'
  run rt create --bundle "$BUNDLE" "$ID"
  expect_status 0
  # What the attacker lists: every /proc/1/fd/N that resolves to a directory, with its content.
  run rt exec --cap CAP_SYS_PTRACE "$ID" sh -c \
    'ls -l /proc/1/fd; for f in /proc/1/fd/*; do [ -d "$f" ] && echo "DIR $f: $(ls "$f" | head -3 | tr "\n" " ")"; done; true'
  expect_status 0
  # The attacker really could read the init's fd table (otherwise the test proves nothing).
  [[ $output == *"0 -> "* ]] || fail "the exec'd process could not list /proc/1/fd: $output"
  [[ $output != *"DIR "* ]] || fail "a host directory is reachable from the container: $output"
}
