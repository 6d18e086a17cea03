#!/usr/bin/env bats
# state and list: output formats.
load ../helpers/common

@test "list: table header with runc's columns and one row per container" {
  set_args sleep 1000
  rt create --bundle "$BUNDLE" "$ID"
  run rt list
  expect_status 0
  local header
  header=$(head -n1 <<<"$output")
  [[ $header =~ ^ID\ +PID\ +STATUS\ +BUNDLE\ +CREATED\ +OWNER\ *$ ]] || fail "header: [$header]"
  local row
  row=$(grep -E "^$ID " <<<"$output") || fail "no row for $ID: $output"
  read -r rid rpid rstatus rbundle rcreated rowner <<<"$row"
  expect_eq "$rid" "$ID" id
  expect_eq "$rpid" "$(pid_of "$ID")" pid
  expect_eq "$rstatus" created status
  expect_eq "$rbundle" "$BUNDLE" bundle
  expect_eq "$rcreated" "$(rt state "$ID" | jq -r .created)" created
  expect_eq "$rowner" root owner
}

@test "list with no containers prints only the header" {
  run rt list
  expect_status 0
  expect_eq "$(wc -l <<<"$output")" 1 "line count"
  [[ $output =~ ^ID\ +PID\ +STATUS ]] || fail "header: $output"
}

@test "list --format json: an array of states with id and status" {
  set_args sleep 1000
  rt create --bundle "$BUNDLE" "$ID"
  rt run -d --bundle "$BUNDLE" "${ID}b"
  run rt list --format json
  expect_status 0
  jq -e 'type == "array" and length == 2' <<<"$output" >/dev/null || fail "not a 2-element array: $output"
  expect_eq "$(jq -r --arg id "$ID" '.[] | select(.id == $id) | .status' <<<"$output")" created "status of $ID"
  expect_eq "$(jq -r --arg id "${ID}b" '.[] | select(.id == $id) | .status' <<<"$output")" running "status of ${ID}b"
  expect_eq "$(jq -r --arg id "$ID" '.[] | select(.id == $id) | .pid' <<<"$output")" "$(pid_of "$ID")" "pid of $ID"
  jq -e 'all(.[]; has("bundle") and has("created"))' <<<"$output" >/dev/null || fail "fields: $output"
}

@test "list --format json with no containers is an empty array or null" {
  run rt list --format json
  expect_status 0
  jq -e '. == [] or . == null' <<<"$output" >/dev/null || fail "output: $output"
}

@test "list -q prints the ids only" {
  set_args sleep 1000
  rt create --bundle "$BUNDLE" "$ID"
  rt create --bundle "$BUNDLE" "${ID}b"
  run rt list -q
  expect_status 0
  expect_eq "$(sort <<<"$output")" "$(printf '%s\n' "$ID" "${ID}b" | sort)" ids
}

@test "state of a stopped container: status stopped, pid 0" {
  set_args true
  rt create --bundle "$BUNDLE" "$ID"
  rt start "$ID"
  wait_status "$ID" stopped
  run rt state "$ID"
  expect_status 0
  expect_eq "$(jq -r .status <<<"$output")" stopped status
  expect_eq "$(jq -r .pid <<<"$output")" 0 pid
}

@test "state of an unknown id: exit 1, 'does not exist'" {
  run rt state "${ID}nope"
  expect_status 1
  expect_output_contains "does not exist"
}
