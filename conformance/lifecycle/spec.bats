#!/usr/bin/env bats
# spec: the default config.json.
load ../helpers/common

@test "spec --bundle DIR writes a valid default config.json" {
  local d=$BATS_TEST_TMPDIR/specdir
  mkdir -p "$d"
  run rt spec --bundle "$d"
  expect_status 0
  local c=$d/config.json
  [[ -f $c ]] || fail "no config.json"
  jq -e . "$c" >/dev/null || fail "not JSON"
  jq -e '.ociVersion | type == "string" and test("^1\\.")' "$c" >/dev/null || fail "ociVersion: $(jq .ociVersion "$c")"
  expect_eq "$(jq -c .process.args "$c")" '["sh"]' process.args
  expect_eq "$(jq -r .root.path "$c")" rootfs root.path
  expect_eq "$(jq -r .process.cwd "$c")" / process.cwd
  jq -e '.process.env | any(startswith("PATH="))' "$c" >/dev/null || fail "no PATH in process.env"
  jq -e '[.linux.namespaces[].type] | (index("pid") != null and index("mount") != null)' "$c" >/dev/null ||
    fail "namespaces: $(jq -c .linux.namespaces "$c")"
  jq -e '.mounts | any(.destination == "/proc")' "$c" >/dev/null || fail "no /proc mount"
  jq -e '.linux.maskedPaths | length > 0' "$c" >/dev/null || fail "no maskedPaths"
}

@test "spec without --bundle writes into the cwd" {
  local d=$BATS_TEST_TMPDIR/specdir
  mkdir -p "$d"
  cd "$d"
  run rt spec
  expect_status 0
  jq -e . "$d/config.json" >/dev/null
}

@test "spec refuses to overwrite an existing config.json" {
  local d=$BATS_TEST_TMPDIR/specdir
  mkdir -p "$d"
  echo '{"keep": "me"}' > "$d/config.json"
  run rt spec --bundle "$d"
  expect_status 1
  expect_output_contains "config.json"
  expect_eq "$(jq -r .keep "$d/config.json")" me "the existing file"
}

@test "spec: runc's wording for an existing config.json" {
  local d=$BATS_TEST_TMPDIR/specdir
  mkdir -p "$d"
  echo '{}' > "$d/config.json"
  run rt spec --bundle "$d"
  expect_status 1
  expect_output_contains "File config.json exists. Remove it first"
}

@test "spec --rootless: a user namespace with uid and gid mappings" {
  local d=$BATS_TEST_TMPDIR/specdir
  mkdir -p "$d"
  run rt spec --rootless --bundle "$d"
  expect_status 0
  local c=$d/config.json
  jq -e '[.linux.namespaces[].type] | index("user") != null' "$c" >/dev/null || fail "no user namespace"
  jq -e '[.linux.namespaces[].type] | index("network") == null' "$c" >/dev/null || fail "rootless keeps the host network"
  jq -e '.linux.uidMappings | length > 0 and .[0].containerID == 0 and .[0].size >= 1' "$c" >/dev/null ||
    fail "uidMappings: $(jq -c .linux.uidMappings "$c")"
  jq -e '.linux.gidMappings | length > 0 and .[0].containerID == 0 and .[0].size >= 1' "$c" >/dev/null ||
    fail "gidMappings: $(jq -c .linux.gidMappings "$c")"
  expect_eq "$(jq -r '.linux.uidMappings[0].hostID' "$c")" "$(id -u)" "uid mapping hostID"
}

@test "the default spec runs with the busybox rootfs (terminal off)" {
  local d=$BATS_TEST_TMPDIR/specbundle
  mkdir -p "$d"
  rt spec --bundle "$d"
  cp -a "$BUNDLE/rootfs" "$d/rootfs"
  jq '.process.terminal = false | .process.args = ["sh", "-c", "echo spec-ok"]' "$d/config.json" > "$d/c" && mv "$d/c" "$d/config.json"
  run rt run --bundle "$d" "$ID"
  expect_status 0
  expect_eq "$output" spec-ok output
}

# runc_spec_expected GOLDEN: runc 1.3.6's output for this host (a cgroup namespace where
# /sys/fs/cgroup is cgroup2), with nucleus-oci's ociVersion and hostname.
runc_spec_expected() {
  local version
  version=$("$RUNTIME" --version | sed -n 's/^spec: //p')
  local filter=.
  if [[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]]; then
    filter='.linux.namespaces |= (if any(.type == "user") then .[:-1] + [{type: "cgroup"}, .[-1]] else . + [{type: "cgroup"}] end)'
  fi
  jq --tab --arg v "$version" "$filter | .ociVersion = \$v | .hostname = \"nucleus\"" "$1" | head -c -1
}

@test "spec is runc 1.3.6's spec byte for byte (but ociVersion and hostname)" {
  nucleus_only
  local d=$BATS_TEST_TMPDIR/specdir
  mkdir -p "$d"
  run rt spec --bundle "$d"
  expect_status 0
  diff <(runc_spec_expected "$BATS_TEST_DIRNAME/testdata/runc-1.3.6-spec.json") "$d/config.json" ||
    fail "spec differs from runc 1.3.6's"
}

@test "spec --rootless is runc 1.3.6's spec --rootless byte for byte (but ociVersion and hostname)" {
  nucleus_only
  local d=$BATS_TEST_TMPDIR/specdir
  mkdir -p "$d"
  run rt spec --rootless --bundle "$d"
  expect_status 0
  diff <(runc_spec_expected "$BATS_TEST_DIRNAME/testdata/runc-1.3.6-spec-rootless.json" |
    sed "s/\"hostID\": 0,/\"hostID\": $(id -u),/") "$d/config.json" ||
    fail "spec --rootless differs from runc 1.3.6's"
}
