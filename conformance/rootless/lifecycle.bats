#!/usr/bin/env bats
# Rootless (issue #16): the runtime run by an unprivileged user on a `spec --rootless` bundle,
# its state under $XDG_RUNTIME_DIR, the id mappings (own ids directly, subordinate ranges through
# newuidmap/newgidmap), exec/ps/kill/delete/list/tty, and two users kept apart.
load ../helpers/common
load rootless

@test "rootless: the default root is \$XDG_RUNTIME_DIR/<runtime>, 0700 with the sticky bit, the user's" {
  uargs true
  run urt run --bundle "$UBUNDLE" "$ID"
  expect_status 0
  expect_eq "$(stat -c %a:%U "$(user_root)")" "1700:$RL_USER" "mode:owner of $(user_root)"
}

@test "rootless: an XDG_RUNTIME_DIR the user cannot write is runc's error, nothing is made" {
  local x=$RL_WORK/xdg-not-theirs
  mkdir -p "$x"
  chmod 755 "$x"
  XDG_OVERRIDE=$x run urt list
  expect_status 1
  expect_output_contains 'the path in $XDG_RUNTIME_DIR must be writable by the user' "permission denied"
  [[ -z $(ls -A "$x") ]] || fail "something was made in $x: $(ls -A "$x")"
}

@test "rootless: --rootless takes true, false or auto; anything else is runc's ParseBool error" {
  uargs true
  run urt --rootless=maybe run --bundle "$UBUNDLE" "$ID"
  expect_status 1
  expect_output_contains "strconv.ParseBool: parsing" "maybe" "invalid syntax"
  run urt --rootless=auto run --bundle "$UBUNDLE" "$ID"
  expect_status 0
}

@test "rootless: spec --rootless runs: the user's own uid and gid mapped without helpers, setgroups denied" {
  uargs sh -c 'cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; id -u; id -g'
  run urt run --bundle "$UBUNDLE" "$ID"
  expect_status 0
  local uid gid
  uid=$(id -u "$RL_USER")
  gid=$(id -g "$RL_USER")
  expect_eq "$(tr -s ' \n' ' ' <<<"$output" | sed 's/^ //; s/ $//')" "0 $uid 1 0 $gid 1 deny 0 0" "maps, setgroups, ids"
}

@test "rootless: ranges from /etc/subuid and /etc/subgid are mapped through newuidmap/newgidmap" {
  local uid gid su sg
  map_subids '.process.capabilities |= with_entries(.value += ["CAP_CHOWN"])'
  uargs sh -c 'cat /proc/self/uid_map /proc/self/gid_map; touch /tmp/f; chown 1000:1000 /tmp/f'
  run urt run --bundle "$UBUNDLE" "$ID"
  expect_status 0
  expect_eq "$(tr -s ' \n' ' ' <<<"$output" | sed 's/^ //; s/ $//')" \
    "0 $uid 1 1 $su 65536 0 $gid 1 1 $sg 65536" "uid_map and gid_map"
  # container 1000 is the 1000th subordinate id on the host
  expect_eq "$(stat -c %u:%g "$UBUNDLE/rootfs/tmp/f")" "$((su + 999)):$((sg + 999))" "owner on the host"
}

@test "rootless: a range beyond the user's subordinate ids fails naming the field, nothing left" {
  local uid su
  uid=$(id -u "$RL_USER")
  su=$(subid_start /etc/subuid "$RL_USER")
  ucfg '.linux.uidMappings = [{"containerID": 0, "hostID": $u, "size": 1},
                              {"containerID": 1, "hostID": $su, "size": 70000}]' \
    --argjson u "$uid" --argjson su "$su"
  uargs true
  run urt run --bundle "$UBUNDLE" "$ID"
  expect_failure
  if ! is_runc; then
    expect_output_contains "linux.uidMappings" "newuidmap" "failed"
  fi
}

@test "rootless: a config without a user namespace is refused with runc's words" {
  ucfg '.linux.namespaces |= map(select(.type != "user")) | del(.linux.uidMappings, .linux.gidMappings)'
  uargs true
  run urt run --bundle "$UBUNDLE" "$ID"
  expect_status 1
  expect_output_contains "rootless container requires user namespaces"
}

@test "rootless: a detached container: exec, exec -d, ps, kill and delete" {
  run urt run -d --bundle "$UBUNDLE" "$ID"
  expect_status 0
  expect_eq "$(ustatus "$ID")" running "status"
  run urt exec "$ID" sh -c 'echo in $(id -u); cat /proc/1/cmdline | tr "\0" " "'
  expect_status 0
  expect_output_contains "in 0" "sleep 1000"
  run urt exec -d "$ID" sleep 999
  expect_status 0
  # runc 1.1 lists processes from the cgroup only ("unable to get all container pids")
  if ! is_runc; then
    run urt ps "$ID"
    expect_status 0
    expect_output_contains "sleep 1000" "sleep 999"
    run urt ps -f json "$ID"
    expect_status 0
    expect_eq "$(jq length <<<"$output")" 2 "processes in ps -f json"
  fi
  run urt kill "$ID" KILL
  expect_status 0
  poll_eq 5 stopped "status after kill" ustatus "$ID"
  run urt delete "$ID"
  expect_status 0
  expect_eq "$(ustatus "$ID")" none "status after delete"
}

@test "rootless: exec into a created container, before start (runc's create.bats \"runc create exec\")" {
  # The init stays dumpable until its exec when it joins no namespace (runc's nsexec): the
  # user's exec opens its /proc/PID/ns files (before: "open the container's user namespace:
  # permission denied").
  run urt create --bundle "$UBUNDLE" "$ID"
  expect_status 0
  expect_eq "$(ustatus "$ID")" created "status"
  run urt exec "$ID" sh -c 'echo exec in $(id -u)'
  expect_status 0
  expect_output_contains "exec in 0"
  run urt start "$ID"
  expect_status 0
  expect_eq "$(ustatus "$ID")" running "status after start"
}

@test "rootless: /dev/ptmx listed in linux.devices is still the devpts link (runc's dev.bats)" {
  # In a user namespace a device is a bind mount of the host's node, which the /dev/ptmx link
  # cannot replace (before: "remove /dev/ptmx: device or resource busy"); runc skips it there.
  ucfg '.linux.devices += [{"path": "/dev/ptmx", "type": "c", "major": 5, "minor": 2}]'
  uargs sh -c 'readlink /dev/ptmx; ls -lLn /dev/ptmx'
  run urt run --bundle "$UBUNDLE" "$ID"
  expect_status 0
  expect_output_contains "pts/ptmx" "5,   2"
}

@test "rootless: joining another container's user namespace, a gid= mount option is checked against its maps" {
  # runc reads the joined namespace's maps for its rootless checks (GetUserNamespaceMappings):
  # devpts gid=5 is fine where the target maps gid 5 (before: "no gid mappings found").
  local uid gid su sg
  map_subids
  run urt run -d --bundle "$UBUNDLE" "$ID"
  expect_status 0
  local pid
  pid=$(urt state "$ID" | jq .pid)
  ucfg '.linux.namespaces |= map(if .type == "user" then .path = $p else . end)
      | del(.linux.uidMappings) | del(.linux.gidMappings)
      | .mounts |= map(if .type == "devpts" then .options += ["gid=5"] else . end)' \
    --arg p "/proc/$pid/ns/user"
  uargs sh -c 'cat /proc/self/gid_map; stat -c %g /dev/pts/ptmx'
  run urt run --bundle "$UBUNDLE" "${ID}j"
  expect_status 0
  expect_output_contains "$sg"
  # a gid the joined namespace does not map is still refused with runc's words
  ucfg '.mounts |= map(if .type == "devpts" then .options += ["gid=70000"] else . end)'
  run urt run --bundle "$UBUNDLE" "${ID}k"
  expect_status 1
  expect_output_contains "cannot specify gid=70000 mount option for rootless container: user namespaces enabled, but no mapping found for gid 70000"
}

@test "rootless: kill --all signals every process of a container without a cgroup" {
  nucleus_only  # runc 1.1 signals the cgroup's processes only (lstat "": no such file)
  run urt run -d --bundle "$UBUNDLE" "$ID"
  expect_status 0
  run urt exec -d "$ID" sleep 999
  expect_status 0
  run urt kill --all "$ID" KILL
  expect_status 0
  poll_eq 5 stopped "status after kill --all" ustatus "$ID"
  run urt delete "$ID"
  expect_status 0
}

@test "rootless: tty: run and exec -t on a pty of their own" {
  ucfg '.process.terminal = true'
  uargs sh -c 'tty; echo done'
  run in_tty runuser -u "$RL_USER" -- env XDG_RUNTIME_DIR="$RL_WORK/xdg-$RL_USER" "$RUNTIME" run --bundle "$UBUNDLE" "$ID"
  expect_status 0
  expect_output_contains "/dev/pts/0" "done"
  ucfg '.process.terminal = false'
  uargs sleep 1000
  run urt run -d --bundle "$UBUNDLE" "${ID}b"
  expect_status 0
  run in_tty runuser -u "$RL_USER" -- env XDG_RUNTIME_DIR="$RL_WORK/xdg-$RL_USER" "$RUNTIME" exec -t "${ID}b" sh -c 'tty; echo exec-done'
  expect_status 0
  expect_output_contains "/dev/pts/" "exec-done"
}

@test "rootless: list shows the user's containers with the user as OWNER" {
  run urt run -d --bundle "$UBUNDLE" "$ID"
  expect_status 0
  run urt list
  expect_status 0
  expect_output_contains "$ID" "$RL_USER"
  run urt list -f json
  expect_status 0
  expect_eq "$(jq -r '.[0].owner' <<<"$output")" "$RL_USER" "owner in list -f json"
}

@test "rootless: two users: neither sees nor touches the other's containers" {
  run urt run -d --bundle "$UBUNDLE" "$ID"
  expect_status 0
  # The other user's own root is empty.
  AS=$RL_USER2 run urt list -q
  expect_status 0
  expect_eq "$output" "" "the second user's list"
  # And the first user's root is closed to them: every command fails, the container stays.
  local cmd
  for cmd in "list" "state $ID" "kill $ID KILL" "delete --force $ID" "exec $ID true" "ps $ID" "pause $ID"; do
    # shellcheck disable=SC2086
    AS=$RL_USER2 run urt --root "$(user_root)" $cmd
    expect_failure
    expect_output_contains "permission denied"
  done
  expect_eq "$(ustatus "$ID")" running "the first user's container"
  expect_eq "$(stat -c %a "$(dirname "$(user_root)")")" 700 "mode of the first user's XDG_RUNTIME_DIR"
}

@test "rootless: a network namespace of its own has only lo, up" {
  ucfg '.linux.namespaces += [{"type": "network"}]'
  uargs sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "; ifconfig lo | grep -o UP'
  run urt run --bundle "$UBUNDLE" "$ID"
  expect_status 0
  expect_eq "$(tr '\n' ' ' <<<"$output")" "lo UP " "interfaces and lo's state"
}

@test "rootless: what needs a privilege the user lacks fails saying what, nothing left" {
  uargs true
  ucfg '.process.oomScoreAdj = -500'
  run urt run --bundle "$UBUNDLE" "$ID"
  expect_failure
  expect_output_contains "oom_score_adj"
  is_runc || expect_output_contains "process.oomScoreAdj" "permission denied"
  ucfg 'del(.process.oomScoreAdj) | .process.rlimits = [{"type": "RLIMIT_NOFILE", "hard": 99999999, "soft": 1024}]'
  run urt run --bundle "$UBUNDLE" "$ID"
  expect_failure
  is_runc || expect_output_contains "RLIMIT_NOFILE" "operation not permitted"
  ucfg 'del(.process.rlimits) | .mounts += [{"destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": ["uid=5"]}]'
  run urt run --bundle "$UBUNDLE" "$ID"
  expect_failure
  expect_output_contains "uid=" "mount option" "rootless container"  # runc 1.3.6's words are ours
  [[ -z $(ls -A "$(user_root)" 2>/dev/null) ]] || fail "state left: $(ls -A "$(user_root)")"
}

@test "rootless: the runtime as root of a user namespace of its own (rootless Podman's way), config without one" {
  nucleus_only  # runc 1.1 fails on sysfs without a network namespace there
  # Podman runs the runtime inside its own user namespace (root there) and the config has no
  # user namespace: nodes cannot be made (mknod), the host's are bound; cgroups are rootless.
  ucfg '.linux.namespaces |= map(select(.type != "user" and .type != "network"))
      | del(.linux.uidMappings, .linux.gidMappings)
      | .mounts |= map(if .destination == "/dev/pts" then .options |= map(select(. != "gid=5")) else . end)'
  uargs sh -c 'ls -l /dev/null | cut -c1; id -u'
  run as_user "$RL_USER" unshare -r "$RUNTIME" run --bundle "$UBUNDLE" "$ID"
  expect_status 0
  expect_eq "$(tr '\n' ' ' <<<"$output")" "c 0 " "/dev/null's type, uid"
}
