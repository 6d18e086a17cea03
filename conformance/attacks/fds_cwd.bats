#!/usr/bin/env bats
# CVE-2024-21626 class: file descriptors the runtime holds (state dir, sync socket, cgroup
# files...) must not reach the container, and process.cwd must be resolved inside the container:
# "/proc/self/fd/N" as cwd would otherwise start the process in a host directory.
# Also: nothing of the runtime's environment or capabilities reaches the process.
load ../helpers/common

# The fds of the workload: everything in /proc/self/fd except ls's own directory fd.
fds_script='for f in /proc/self/fd/*; do n=${f##*/}; [ -e "$f" ] && echo "$n:$(readlink "$f")"; done; true'

@test "fds: the container process gets exactly stdio" {
  run_in_container "$fds_script"
  expect_status 0

  # the shell's glob may hold one fd on /proc/self/fd itself
  if grep -vE '^[012]:' <<<"$output" | grep -vq '/proc/.*/fd$'; then
    fail "unexpected fds in the container: $(grep -vE '^[012]:' <<<"$output" | tr '\n' ' ')"
  fi
}

@test "fds: --preserve-fds passes exactly the fds asked for" {
  set_cmd "$fds_script"
  run rt run --preserve-fds 2 --bundle "$BUNDLE" "$ID" 3</etc/hostname 4</etc/passwd 5</etc/group
  expect_status 0
  expect_output_contains "3:/etc/hostname" "4:/etc/passwd"
  [[ $output != *"5:"* ]] || fail "fd 5 reached the container: $output"
}

@test "fds: an exec'd process gets exactly stdio" {
  run rt run --detach --bundle "$BUNDLE" "$ID"
  expect_status 0
  run rt exec "$ID" sh -c "$fds_script"
  expect_status 0
  if grep -vE '^[012]:' <<<"$output" | grep -vq '/proc/.*/fd$'; then
    fail "unexpected fds in the exec'd process: $output"
  fi
}

@test "cwd: /proc/self/fd/N never puts the process outside the container" {
  local n
  for n in 3 4 5 6 7 8 9 10 11 12; do
    update_config '.process.cwd = $c' --arg c "/proc/self/fd/$n"
    set_cmd 'pwd; ls -a .. | head -3; cat ../../../../../../etc/hostname'
    run rt run --bundle "$BUNDLE" "$ID"
    # Either refused, or (a runtime that resolves it) inside the container.
    if [[ $status -eq 0 ]]; then
      [[ $output != *"(unreachable)"* ]] || fail "cwd /proc/self/fd/$n escaped: $output"
      [[ $output == *"$(cat "$BUNDLE/rootfs/etc/hostname")"* ]] ||
        fail "cwd /proc/self/fd/$n: not inside the container: $output"
    fi
    rt delete --force "$ID" >/dev/null 2>&1 || true
  done
}

@test "cwd: exec --cwd /proc/self/fd/N never puts the process outside the container" {
  run rt run --detach --bundle "$BUNDLE" "$ID"
  expect_status 0
  local n
  for n in 3 4 5 6 7 8 9 10; do
    run rt exec --cwd "/proc/self/fd/$n" "$ID" sh -c 'pwd; cat ../../../../../etc/hostname'
    if [[ $status -eq 0 ]]; then
      [[ $output != *"(unreachable)"* ]] || fail "exec cwd /proc/self/fd/$n escaped: $output"
      [[ $output == *"$(cat "$BUNDLE/rootfs/etc/hostname")"* ]] ||
        fail "exec cwd /proc/self/fd/$n: not inside the container: $output"
    fi
  done
}

@test "env: nothing of the runtime's environment reaches the process" {
  update_config '.process.env = ["PATH=/bin:/usr/bin", "ONLY=this"]'
  set_cmd 'env'
  NUCLEUS_SECRET_HOST_VALUE=leaked run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  [[ $output != *leaked* ]] || fail "the host environment reached the container: $output"
  [[ $output != *NUCLEUS* ]] || fail "a runtime variable reached the container: $output"
  expect_output_contains "ONLY=this"
}

@test "caps: the process holds exactly the configured capabilities, no_new_privs set" {
  # Only CAP_CHOWN (bit 0) and CAP_KILL (bit 5) everywhere.
  update_config '.process.capabilities = {"bounding": ["CAP_CHOWN","CAP_KILL"],
    "effective": ["CAP_CHOWN","CAP_KILL"], "permitted": ["CAP_CHOWN","CAP_KILL"],
    "inheritable": [], "ambient": []} | .process.noNewPrivileges = true'
  set_cmd 'grep -E "^(Cap|NoNewPrivs)" /proc/self/status'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_output_contains "CapInh:	0000000000000000" "CapPrm:	0000000000000021" \
    "CapEff:	0000000000000021" "CapBnd:	0000000000000021" "CapAmb:	0000000000000000" \
    "NoNewPrivs:	1"
}
