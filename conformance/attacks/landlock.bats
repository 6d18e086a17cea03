#!/usr/bin/env bats
# Landlock (annotation org.nucleus.landlock): a path the rules do not grant is denied inside the
# container, for its process and for every `exec`; a bad rule list fails create cleanly.
# nucleus-oci specific (runc ignores the annotation).

load ../helpers/common

# The kernel's Landlock ABI, probed without the runtime under test: landlock_create_ruleset
# (444 on every architecture) with LANDLOCK_CREATE_RULESET_VERSION. Prints "0 REASON" if none.
host_landlock_abi() {
  perl -e 'my $v = syscall(444, 0, 0, 1); print $v < 0 ? "0 $!" : $v'
}

setup_file() {
  common_setup_file || return
  LANDLOCK_SKIP=
  local lsm=/sys/kernel/security/lsm abi
  if [[ -r $lsm ]] && ! grep -qw landlock "$lsm"; then
    LANDLOCK_SKIP="Landlock is not an active LSM ($lsm: $(cat "$lsm"))"
  else
    abi=$(host_landlock_abi)
    [[ $abi == 0* ]] && LANDLOCK_SKIP="the kernel has no Landlock (landlock_create_ruleset: ${abi#0 })"
  fi
  # (bats 1.8 turns a skip in setup_file into a failure: every test skips in setup instead)
  [[ -z $LANDLOCK_SKIP ]] || echo "SKIP: $LANDLOCK_SKIP" >&3
  export LANDLOCK_SKIP
}

setup() {
  common_setup
  [[ -z $LANDLOCK_SKIP ]] || skip "$LANDLOCK_SKIP"
  nucleus_only
}

# no_sys_admin: the CapEff line in $output has no CAP_SYS_ADMIN (bit 21).
no_sys_admin() {
  local eff
  eff=$(awk '/^CapEff:/ {print $2}' <<<"$output")
  [[ -n $eff ]] || fail "no CapEff in: $output"
  (((0x$eff >> 21) & 1)) && fail "CAP_SYS_ADMIN is effective: CapEff $eff" || true
}

# landlock JSON: set the annotation.
landlock() { update_config '.annotations["org.nucleus.landlock"] = $v' --arg v "$1"; }

# Read and execute everywhere, read and write under /tmp only.
READ_ALL_WRITE_TMP='{"rules": [
  {"paths": ["/"], "access": ["read", "execute"]},
  {"paths": ["/tmp"], "access": ["read", "write"]}]}'

@test "features: the kernel's Landlock ABI and the annotation" {
  run rt features
  expect_status 0
  local abi
  abi=$(jq -r '.annotations["org.nucleus.landlock.abi"]' <<<"$output")
  expect_eq "$abi" "$(host_landlock_abi)" "org.nucleus.landlock.abi"
  jq -e '.annotations["org.nucleus.landlock"] | test("Landlock")' <<<"$output" >/dev/null ||
    fail "no org.nucleus.landlock annotation in features: $output"
}

@test "a landlocked container reads and writes what is granted, nothing else" {
  landlock "$READ_ALL_WRITE_TMP"
  run_in_container 'head -1 /etc/passwd
    touch /tmp/x && echo tmp-written
    touch /root/x 2>&1; echo "root: $?"
    (echo > /etc/x) 2>&1; echo "etc: $?"
    mkdir /newdir 2>&1; echo "mkdir: $?"
    rm /etc/passwd 2>&1; echo "rm: $?"'
  expect_status 0
  expect_output_contains "root:x:0:0" "tmp-written" \
    "touch: /root/x: Permission denied" "root: 1" \
    "can't create /etc/x: Permission denied" "etc: 1" \
    "mkdir: can't create directory '/newdir': Permission denied" "mkdir: 1" \
    "rm: can't remove '/etc/passwd': Permission denied" "rm: 1"
  [[ -e $BUNDLE/rootfs/tmp/x ]] || fail "/tmp/x was not written"
  [[ ! -e $BUNDLE/rootfs/root/x && ! -e $BUNDLE/rootfs/etc/x && ! -e $BUNDLE/rootfs/newdir ]] ||
    fail "a denied write reached the rootfs"
  [[ -e $BUNDLE/rootfs/etc/passwd ]] || fail "/etc/passwd was removed"
}

@test "without the annotation the same writes succeed" {
  run_in_container 'touch /root/x && echo > /etc/x && mkdir /newdir && echo all-written'
  expect_status 0
  expect_output_contains "all-written"
  [[ -e $BUNDLE/rootfs/root/x && -e $BUNDLE/rootfs/etc/x ]] || fail "writes did not land"
}

@test "a path without read_file cannot be read, the one granted can" {
  # execve needs execute and read_file on the binary (busybox, static: no loader)
  landlock '{"rules": [{"paths": ["/"], "access": ["execute"]},
    {"paths": ["/bin"], "access": ["read_file"]},
    {"paths": ["/tmp", "/dev"], "access": ["read", "write"]}]}'
  echo secret > "$BUNDLE/rootfs/tmp/readable"
  run_in_container 'cat /tmp/readable; cat /etc/passwd 2>&1; echo "cat: $?"; ls / 2>&1; echo "ls: $?"'
  expect_status 0
  expect_output_contains "secret" "cat: can't open '/etc/passwd': Permission denied" "cat: 1" \
    "ls: 1"
  [[ $output != *root:x:0:0* ]] || fail "/etc/passwd was read: $output"
}

@test "a file path gets the file rights of its group (/dev/null writable)" {
  landlock '{"rules": [{"paths": ["/"], "access": ["read", "execute"]},
    {"paths": ["/dev/null"], "access": ["write"]}]}'
  run_in_container 'echo hi > /dev/null && echo null-ok; (echo > /dev/zero) 2>&1; echo "zero: $?"'
  expect_status 0
  expect_output_contains "null-ok" "can't create /dev/zero: Permission denied" "zero: 1"
}

@test "exec into a landlocked container is landlocked too" {
  landlock "$READ_ALL_WRITE_TMP"
  mkdir -p "$BUNDLE/rootfs/home/u" && chown 1000:1000 "$BUNDLE/rootfs/home/u"
  set_args sleep 100
  run rt run -d --bundle "$BUNDLE" "$ID"
  expect_status 0
  run rt exec "$ID" sh -c 'touch /tmp/e && echo tmp-ok; touch /etc/e 2>&1; echo "etc: $?"'
  expect_status 0
  expect_output_contains "tmp-ok" "touch: /etc/e: Permission denied" "etc: 1"
  # another user, no capabilities, no no_new_privs: the same domain, and CAP_SYS_ADMIN (kept
  # only to enforce it) is gone by exec
  # (/home/u belongs to uid 1000: only Landlock denies it)
  run rt exec --user 1000:1000 "$ID" sh -c 'touch /tmp/u && echo tmp-ok; touch /home/u/u 2>&1
    grep CapEff /proc/self/status'
  expect_status 0
  expect_output_contains "tmp-ok" "touch: /home/u/u: Permission denied"
  no_sys_admin
  [[ ! -e $BUNDLE/rootfs/etc/e && ! -e $BUNDLE/rootfs/home/u/u ]] || fail "exec escaped Landlock"
}

@test "a non-root process without CAP_SYS_ADMIN is landlocked and does not keep it" {
  landlock "$READ_ALL_WRITE_TMP"
  update_config '.process.user = {uid: 1000, gid: 1000} | .process.noNewPrivileges = false'
  # /home/u belongs to uid 1000: only Landlock denies it
  mkdir -p "$BUNDLE/rootfs/home/u" && chown 1000:1000 "$BUNDLE/rootfs/home/u"
  run_in_container 'id -u; touch /tmp/n && echo tmp-ok; touch /home/u/n 2>&1; grep CapEff /proc/self/status'
  expect_status 0
  expect_output_contains "1000" "tmp-ok" "touch: /home/u/n: Permission denied"
  [[ ! -e $BUNDLE/rootfs/home/u/n ]] || fail "/home/u/n was written"
  no_sys_admin
}

@test "no_new_privileges and a seccomp profile that denies the landlock syscalls" {
  landlock "$READ_ALL_WRITE_TMP"
  # Landlock is enforced before seccomp: the profile need not allow landlock_*.
  update_config '.process.noNewPrivileges = true | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [{names: ["landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"],
                action: "SCMP_ACT_ERRNO"}]}'
  run_in_container 'touch /tmp/s && echo tmp-ok; touch /etc/s 2>&1; grep NoNewPrivs /proc/self/status'
  expect_status 0
  expect_output_contains "tmp-ok" "touch: /etc/s: Permission denied" "NoNewPrivs:	1"
}

@test "create, then start, in a user namespace: landlocked too" {
  landlock "$READ_ALL_WRITE_TMP"
  update_config '.linux.namespaces += [{type: "user"}]
    | .linux.uidMappings = [{containerID: 0, hostID: 0, size: 65536}]
    | .linux.gidMappings = [{containerID: 0, hostID: 0, size: 65536}]'
  set_cmd 'touch /tmp/x && echo tmp-ok; touch /etc/x 2>&1; echo "etc: $?"'
  run rt create --bundle "$BUNDLE" "$ID"
  expect_status 0
  run rt start "$ID"
  expect_status 0
  wait_status "$ID" stopped
  run detached_output
  expect_output_contains "tmp-ok" "touch: /etc/x: Permission denied" "etc: 1"
  [[ ! -e $BUNDLE/rootfs/etc/x ]] || fail "/etc/x was written"
}

@test "an invalid rule list fails create with the field named, and leaves nothing" {
  landlock '{"rules": [{"paths": ["/"], "access": ["read"]}, {"paths": ["/tmp"], "access": ["foo"]}]}'
  run rt create --bundle "$BUNDLE" "$ID"
  expect_failure
  # (the log's msg="..." escapes the quotes)
  expect_output_contains 'config.json: annotations[\"org.nucleus.landlock\"]: rules[1].access[0]: unknown right \"foo\"'
  [[ $(status_of "$ID") == none ]] || fail "container $ID exists after a failed create"
  landlock '{"rules": [{"paths": ["tmp"], "access": ["read"]}]}'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_failure
  expect_output_contains 'rules[0].paths[0]: must be an absolute path'
  landlock 'not json'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_failure
  expect_output_contains 'config.json: annotations[\"org.nucleus.landlock\"]: invalid JSON at offset'
}

@test "a rule path missing in the container is an error, the container is gone" {
  landlock '{"rules": [{"paths": ["/"], "access": ["read", "execute"]},
    {"paths": ["/tmp", "/no/such/dir"], "access": ["read"]}]}'
  run rt create --bundle "$BUNDLE" "$ID"
  expect_failure
  expect_output_contains 'landlock: rules[1].paths[1]: \"/no/such/dir\": no such file or directory'
  [[ $(status_of "$ID") == none ]] || fail "container $ID exists after a failed create"
}

@test "an ABI above the kernel's is an error unless bestEffort" {
  local abi
  abi=$(host_landlock_abi)
  landlock '{"abi": 1000, "rules": [{"paths": ["/"], "access": ["read", "execute"]}]}'
  run rt run --bundle "$BUNDLE" "$ID"
  expect_failure
  expect_output_contains "landlock: ABI 1000 required, kernel has $abi"
  # bestEffort: a warning, the missing path is skipped, and what the kernel has is enforced
  landlock '{"abi": 1000, "bestEffort": true, "rules": [
    {"paths": ["/"], "access": ["read", "execute"]},
    {"paths": ["/tmp", "/no/such/dir"], "access": ["read", "write"]}]}'
  run_in_container 'touch /tmp/b && echo tmp-ok; touch /etc/b 2>&1; echo "etc: $?"'
  expect_status 0
  expect_output_contains "ABI 1000 required, kernel has $abi" '\"/no/such/dir\"' "tmp-ok" \
    "touch: /etc/b: Permission denied" "etc: 1"
}
