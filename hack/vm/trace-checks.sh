#!/bin/sh
# Trace mode's 32-bit (compat) syscalls, run by busybox sh inside the VM (hack/vm/run-trace):
# Debian's kernel runs i386 code, which the development host's kernel does not (no IA32
# emulation). A static 32-bit program (tracee32, gcc -m32) and int $0x80 from a 64-bit one
# (tracee) make known calls; each trace, eBPF and USER_NOTIF, must count them under
# SCMP_ARCH_X86, exactly, and the profile generated from the eBPF trace must run the 32-bit
# program. Prints one "ok - NAME" / "not ok - NAME" line per check.
RUNTIME=${RUNTIME:-/usr/bin/nucleus-oci}
ROOTFS=${ROOTFS:-/var/lib/cgtest/rootfs}
B=/tmp/bundles
mkdir -p "$B"
cp /opt/tracee /opt/tracee32 "$ROOTFS/bin/"
echo "# runtime: $RUNTIME ($($RUNTIME --version 2>&1 | head -1)), kernel $(uname -r)"

ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; }
diag() { echo "$*" | cut -c1-300 | sed 's/^/#   /'; }
rt() { timeout -k 5 60 "$RUNTIME" "$@"; }
# eq NAME GOT WANT
eq() { [ "$2" = "$3" ] && return 0; diag "$1: got '$2', want '$3'"; return 1; }
# count FILE ARCH NAME: that record's count, 0 when absent
count() {
  c=$(sed -n "s/.*\"name\":\"$3\",\"arch\":\"$2\",\"count\":\([0-9]*\).*/\1/p" "$1" 2>/dev/null)
  echo "${c:-0}"
}

# mkbundle ID ARGS-JSON: a minimal container in its own cgroup (/nucleus-test/ID)
mkbundle() {
  mkdir -p "$B/$1"
  cat > "$B/$1/config.json" <<EOF2
{
  "ociVersion": "1.0.2",
  "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": $2,
              "env": ["PATH=/bin"], "cwd": "/", "noNewPrivileges": true},
  "root": {"path": "$ROOTFS", "readonly": false},
  "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
  "linux": {
    "cgroupsPath": "/nucleus-test/$1",
    "namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}]
  }
}
EOF2
}

# traced ID MODE ARGS-JSON: run it traced into $B/ID.ndjson; 0 when it ran and wrote a trace
traced() {
  mkbundle "$1" "$3"
  rt run --seccomp-trace "$B/$1.ndjson" --seccomp-trace-mode "$2" --bundle "$B/$1" "$1" \
    > "$B/$1.out" 2>&1 < /dev/null
  s=$?
  rt delete --force "$1" > /dev/null 2>&1
  [ "$s" = 0 ] && [ -s "$B/$1.ndjson" ] && return 0
  diag "$1: exit $s: $(cat "$B/$1.out")"
  return 1
}

for mode in ebpf notify; do
  if traced "int80-$mode" "$mode" '["/bin/tracee", "int80", "13"]' &&
    eq getppid "$(count "$B/int80-$mode.ndjson" SCMP_ARCH_X86 getppid)" 13 &&
    eq semget "$(count "$B/int80-$mode.ndjson" SCMP_ARCH_X86_64 semget)" 0; then
    ok "$mode: int \$0x80 from a 64-bit program: 13 getppid under SCMP_ARCH_X86"
  else
    notok "$mode: int \$0x80 from a 64-bit program: 13 getppid under SCMP_ARCH_X86"
  fi
  if traced "i386-$mode" "$mode" '["/bin/tracee32", "getpgid", "5"]' &&
    eq getpgid "$(count "$B/i386-$mode.ndjson" SCMP_ARCH_X86 getpgid)" 5 &&
    eq execve "$(count "$B/i386-$mode.ndjson" SCMP_ARCH_X86_64 execve)" 1 &&
    eq native-getpgid "$(count "$B/i386-$mode.ndjson" SCMP_ARCH_X86_64 getpgid)" 0; then
    ok "$mode: a 32-bit program: 5 getpgid under SCMP_ARCH_X86, its execve native"
  else
    notok "$mode: a 32-bit program: 5 getpgid under SCMP_ARCH_X86, its execve native"
  fi
done

# The eBPF trace's profile runs the 32-bit program (its i386 syscalls are allowed) and denies
# the rest: mkdir (i386 39) is not in it.
mkbundle enforce '["/bin/sh", "-c", "/bin/tracee32 getpgid 5 && echo RAN; mkdir /tmp/x && echo MKDIR-ALLOWED || echo MKDIR-DENIED"]'
if traced gen ebpf '["/bin/sh", "-c", "/bin/tracee32 getpgid 5 && echo RAN"]' &&
  rt seccomp generate "$B/gen.ndjson" --bundle "$B/enforce" > "$B/gen.out" 2>&1 &&
  rt run --bundle "$B/enforce" enforce > "$B/enforce.out" 2>&1 < /dev/null &&
  grep -q RAN "$B/enforce.out" && grep -q MKDIR-DENIED "$B/enforce.out"; then
  ok "the profile generated from an eBPF trace runs the 32-bit program, denies mkdir"
else
  diag "$(cat "$B/gen.out" "$B/enforce.out" 2>/dev/null)"
  notok "the profile generated from an eBPF trace runs the 32-bit program, denies mkdir"
fi
rt delete --force enforce > /dev/null 2>&1
