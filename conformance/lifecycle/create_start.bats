#!/usr/bin/env bats
# create / start / state / kill / delete: status transitions and the state JSON.
load ../helpers/common

@test "create -> created, start -> running, exit -> stopped, delete -> gone" {
  update_config '.process.args = ["sh", "-c", "touch /started; exec sleep 1000"]'
  run rt create --bundle "$BUNDLE" "$ID"
  expect_status 0
  expect_eq "$(status_of "$ID")" created "status after create"
  # the workload has not run yet
  [[ ! -e $BUNDLE/rootfs/started ]] || fail "the process ran before start"
  run rt start "$ID"
  expect_status 0
  expect_eq "$(status_of "$ID")" running "status after start"
  wait_for_file "$BUNDLE/rootfs/started"
  run rt kill "$ID" KILL
  expect_status 0
  wait_status "$ID" stopped
  run rt delete "$ID"
  expect_status 0
  run rt state "$ID"
  expect_status 1
  [[ ! -e $ROOT/$ID ]] || fail "state dir $ROOT/$ID left after delete"
}

@test "state JSON has the runtime-spec fields" {
  set_args sleep 1000
  run rt create --bundle "$BUNDLE" "$ID"
  expect_status 0
  run rt state "$ID"
  expect_status 0
  local s=$output
  jq -e . <<<"$s" >/dev/null || fail "state is not JSON: $s"
  jq -e '.ociVersion | type == "string" and length > 0' <<<"$s" >/dev/null || fail "ociVersion: $s"
  expect_eq "$(jq -r .id <<<"$s")" "$ID" id
  jq -e '.pid | type == "number" and . > 0' <<<"$s" >/dev/null || fail "pid: $s"
  expect_eq "$(jq -r .status <<<"$s")" created status
  expect_eq "$(jq -r .bundle <<<"$s")" "$BUNDLE" bundle
  expect_eq "$(jq -r .rootfs <<<"$s")" "$BUNDLE/rootfs" rootfs
  [[ $(jq -r .created <<<"$s") =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$ ]] ||
    fail "created is not RFC3339: $(jq -r .created <<<"$s")"
  jq -e 'has("owner") and (.owner | type == "string")' <<<"$s" >/dev/null || fail "owner: $s"
  # the pid is a live process
  kill -0 "$(jq -r .pid <<<"$s")"
}

@test "state pid stays the same from created to running" {
  set_args sleep 1000
  rt create --bundle "$BUNDLE" "$ID"
  local p1 p2
  p1=$(pid_of "$ID")
  rt start "$ID"
  p2=$(pid_of "$ID")
  expect_eq "$p2" "$p1" "pid after start"
  # and that pid is the workload
  [[ $(tr '\0' ' ' < "/proc/$p2/cmdline") == "sleep 1000 " ]] || fail "pid $p2 runs: $(tr '\0' ' ' < "/proc/$p2/cmdline")"
}

@test "--pid-file: digits only, equal to state's pid, written when create returns" {
  set_args sleep 1000
  run rt create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  expect_status 0
  [[ -f $BATS_TEST_TMPDIR/pid ]] || fail "no pid file right after create"
  local content
  content=$(cat "$BATS_TEST_TMPDIR/pid"; echo x)
  content=${content%x}
  [[ $content =~ ^[0-9]+$ ]] || fail "pid file is not only digits: [$(od -c "$BATS_TEST_TMPDIR/pid")]"
  expect_eq "$content" "$(pid_of "$ID")" "pid file vs state"
}

@test "--pid-file with a relative path is relative to the caller's cwd" {
  set_args sleep 1000
  cd "$BATS_TEST_TMPDIR"
  run rt create --bundle "$BUNDLE" --pid-file rel.pid "$ID"
  expect_status 0
  expect_eq "$(cat "$BATS_TEST_TMPDIR/rel.pid")" "$(pid_of "$ID")" "relative pid file"
}

@test "relative --bundle is stored absolute; no --bundle means the cwd" {
  set_args sleep 1000
  cd "$BATS_TEST_TMPDIR"
  run rt create --bundle bundle "$ID"
  expect_status 0
  expect_eq "$(rt state "$ID" | jq -r .bundle)" "$BUNDLE" "bundle (relative flag)"
  cd "$BUNDLE"
  run rt create "${ID}b"
  expect_status 0
  expect_eq "$(rt state "${ID}b" | jq -r .bundle)" "$BUNDLE" "bundle (cwd)"
}

@test "start of a running container fails with exit 1" {
  set_args sleep 1000
  rt create --bundle "$BUNDLE" "$ID"
  rt start "$ID"
  run rt start "$ID"
  expect_status 1
  expect_eq "$(status_of "$ID")" running "status after the failed start"
}

@test "start of a stopped container fails with exit 1" {
  set_args true
  rt create --bundle "$BUNDLE" "$ID"
  rt start "$ID"
  wait_status "$ID" stopped
  run rt start "$ID"
  expect_status 1
}

@test "second create of the same id fails and keeps the first" {
  set_args sleep 1000
  rt create --bundle "$BUNDLE" "$ID"
  local p1
  p1=$(pid_of "$ID")
  run rt create --bundle "$BUNDLE" "$ID"
  expect_status 1
  expect_output_contains "already exists"
  expect_eq "$(pid_of "$ID")" "$p1" "pid after the failed create"
  expect_eq "$(status_of "$ID")" created "status after the failed create"
}

@test "a created container: delete --force removes it" {
  # (delete without --force removes it too, as runc: kill_delete.bats)
  set_args sleep 1000
  rt create --bundle "$BUNDLE" "$ID"
  local p
  p=$(pid_of "$ID")
  run rt delete --force "$ID"
  expect_status 0
  run rt state "$ID"
  expect_status 1
  for _ in $(seq 50); do kill -0 "$p" 2>/dev/null && [[ $(awk '{print $3}' /proc/$p/stat 2>/dev/null) != Z ]] || break; sleep 0.05; done
  ! kill -0 "$p" 2>/dev/null || [[ $(awk '{print $3}' /proc/$p/stat) == Z ]] || fail "init $p still alive"
}
