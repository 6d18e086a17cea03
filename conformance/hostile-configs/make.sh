#!/usr/bin/env bash
# Writes the hostile config.json corpus of conformance/attacks/hostile_configs.bats and its
# index EXPECTED.tsv (file <TAB> text the error must contain, normally the JSON path of the bad
# field). Reproducible: everything derives from base.json, which is `nucleus-oci spec` (root.path
# "rootfs") with process.terminal=false, process.args=["sleep","1000"], root.readonly=false and
# the env tag NUCLEUS_CONFORMANCE_TAG=@ID@ (the test replaces @ID@ textually with the
# container id so that the leak check of helpers/common.bash finds a leaked container process).
#
#   conformance/hostile-configs/make.sh      (rewrites *.json and EXPECTED.tsv here)
#
# Two cases are generated at test time instead (hostile_configs.bats): a 10 MB string and
# 100,000 nested arrays.
#
# EXPECTED.tsv's text CONTAINED marks configs that are hostile but legal (a `..` that must stay
# inside the rootfs or the cgroup root, as runc resolves it): create may succeed, and then the
# test checks that nothing reached the host.
#
# A value written as the string "__RAW:TEXT__" is replaced by TEXT unquoted in the output: jq 1.6
# turns big integers into doubles, so literals such as 18446744073709551616 go in this way.
set -euo pipefail
cd "$(dirname "$0")"
export LC_ALL=C
[[ -f base.json ]] || { echo "base.json missing" >&2; exit 1; }
rm -f ./[0-9][0-9][0-9]-*.json
printf '# file\terror must contain\n' > EXPECTED.tsv
n=0
shopt -s lastpipe  # `... | rawcase` runs rawcase in this shell, so that n counts
name() { printf '%03d-%s.json' "$n" "$1"; }
record() { printf '%s\t%s\n' "$1" "$2" >> EXPECTED.tsv; }

# jqcase NAME EXPECT FILTER: base.json through a jq filter.
jqcase() {
  local f
  n=$((n + 1))
  f=$(name "$1")
  jq ${JQFLAGS:-} "$3" base.json | sed -E 's/"__RAW:([^"]*)__"/\1/g' > "$f"
  record "$f" "$2"
}
# rawcase NAME EXPECT: the file content comes from stdin, verbatim.
rawcase() {
  local f
  n=$((n + 1))
  f=$(name "$1")
  cat > "$f"
  record "$f" "$2"
}
raw() { printf '"__RAW:%s__"' "$1"; }

# ---- not JSON / not a config ---------------------------------------------------------------
rawcase empty-file 'empty file' < /dev/null
printf ' \n\t \n' | rawcase whitespace-only 'empty file'
head -c 700 base.json | rawcase truncated 'invalid JSON'
{ cat base.json; printf '}}garbage'; } | rawcase trailing-garbage 'invalid JSON'
printf '[1,2,3]' | rawcase array-top 'must be a JSON object'
printf '"config"' | rawcase string-top 'must be a JSON object'
printf 'null' | rawcase null-top 'must be a JSON object'
# a NUL byte in the middle of the text (RapidJSON would stop there)
{ head -c 200 base.json; printf '\0'; tail -c +201 base.json; } | rawcase nul-byte-in-text 'NUL'
# invalid UTF-8 in a string (0xff, 0xc3 0x28, overlong 0xc0 0xaf)
sed 's/"nucleus"/"nu\xffcl\xc3\x28eus\xc0\xaf"/' base.json | rawcase invalid-utf8-hostname 'invalid JSON'
sed 's|"/proc/acpi"|"/proc/\xed\xa0\x80acpi"|' base.json | rawcase utf8-surrogate-maskedpath 'invalid JSON'
# \u0000 escape inside a path
jq -c '.process.cwd = "/tmp"' base.json | sed 's|"cwd":"/tmp"|"cwd":"/t\\u0000mp"|' |
  rawcase nul-escape-cwd 'process.cwd'
jq -c '.mounts[0].destination = "/proc"' base.json |
  sed 's|"destination":"/proc"|"destination":"/pr\\u0000oc"|' | rawcase nul-escape-mount 'mounts[0].destination'
printf '{"ociVersion": "1.0.2", "process": {"args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"' |
  rawcase unterminated-object 'invalid JSON'
iconv -f UTF-8 -t UTF-16LE base.json | rawcase utf16-encoded 'invalid JSON'
printf '{"ociVersion": "1.0.2" /* comment */}' | rawcase json-comment 'invalid JSON'
printf '{"ociVersion": 1.0.2}' | rawcase bad-number 'invalid JSON'
printf "{'ociVersion': '1.0.2'}" | rawcase single-quotes 'invalid JSON'

# ---- ociVersion ------------------------------------------------------------------------------
jqcase version-2 'ociVersion' '.ociVersion = "2.0.0"'
jqcase version-garbage 'ociVersion' '.ociVersion = "banana"'
jqcase version-0.9 'ociVersion' '.ociVersion = "0.9.0"'
jqcase version-number 'ociVersion' '.ociVersion = 1.0'
jqcase version-null 'ociVersion' '.ociVersion = null'
jqcase version-missing 'ociVersion' 'del(.ociVersion)'
jqcase version-1-dot 'ociVersion' '.ociVersion = "1."'

# ---- process ---------------------------------------------------------------------------------
jqcase process-array 'process' '.process = []'
jqcase process-string 'process' '.process = "sh"'
jqcase args-missing 'process.args' 'del(.process.args)'
jqcase args-empty 'process.args' '.process.args = []'
jqcase args-string 'process.args' '.process.args = "sleep 1000"'
jqcase args-object 'process.args' '.process.args = {"0": "sleep"}'
jqcase args-numbers 'process.args' '.process.args = ["sleep", 1000]'
jqcase args-null-entry 'process.args' '.process.args = ["sleep", null]'
jqcase cwd-relative 'process.cwd' '.process.cwd = "tmp"'
jqcase cwd-dotdot-relative 'process.cwd' '.process.cwd = "../../.."'
jqcase cwd-number 'process.cwd' '.process.cwd = 0'
jqcase cwd-empty 'process.cwd' '.process.cwd = ""'
jqcase terminal-string 'process.terminal' '.process.terminal = "false"'
jqcase terminal-number 'process.terminal' '.process.terminal = 0'
jqcase env-object 'process.env' '.process.env = {"PATH": "/bin"}'
jqcase env-number-entry 'process.env[2]' '.process.env[2] = 42'
jqcase env-no-equals 'process.env[0]' '.process.env[0] = "PATH"'
jqcase env-empty-name 'process.env[1]' '.process.env[1] = "=x"'
jqcase user-string 'process.user' '.process.user = "root"'
jqcase uid-string 'process.user.uid' '.process.user.uid = "0"'
jqcase uid-negative 'process.user.uid' '.process.user.uid = -1'
jqcase uid-2pow32 'process.user.uid' ".process.user.uid = $(raw 4294967296)"
jqcase uid-2pow63 'process.user.uid' ".process.user.uid = $(raw 9223372036854775808)"
jqcase uid-uint64-overflow 'process.user.uid' ".process.user.uid = $(raw 18446744073709551616)"
jqcase uid-float 'process.user.uid' '.process.user.uid = 1.5'
jqcase uid-exponent 'too big' ".process.user.uid = $(raw 1e400)"
jqcase gid-negative 'process.user.gid' '.process.user.gid = -5'
jqcase gid-bool 'process.user.gid' '.process.user.gid = true'
jqcase additional-gids-object 'process.user.additionalGids' '.process.user.additionalGids = {"a": 1}'
jqcase additional-gids-negative 'process.user.additionalGids[1]' '.process.user.additionalGids = [1, -1]'
jqcase umask-string 'process.user.umask' '.process.user.umask = "022"'
jqcase console-size-string 'process.consoleSize' '.process.consoleSize = "80x24"'
jqcase console-size-negative 'process.consoleSize.height' '.process.consoleSize = {"height": -1, "width": 80}'
jqcase console-size-huge 'process.consoleSize.width' ".process.consoleSize = {\"height\": 24, \"width\": $(raw 99999999999)}"
jqcase caps-bad-name 'WARNS ignoring unknown or unavailable capabilities: [CAP_DOES_NOT_EXIST]' '.process.capabilities.bounding[1] = "CAP_DOES_NOT_EXIST"'
jqcase caps-lowercase 'WARNS ignoring unknown or unavailable capabilities: [chown]' '.process.capabilities.effective[0] = "chown"'
jqcase caps-no-prefix 'apply process.capabilities' '.process.capabilities.permitted[2] = "SYS_ADMIN"'
jqcase caps-string 'process.capabilities.bounding' '.process.capabilities.bounding = "CAP_KILL"'
jqcase caps-number 'process.capabilities.ambient[0]' '.process.capabilities.ambient = [12]'
jqcase caps-array 'process.capabilities' '.process.capabilities = ["CAP_KILL"]'
jqcase rlimit-unknown 'process.rlimits[0].type' '.process.rlimits[0].type = "RLIMIT_BANANA"'
jqcase rlimit-lowercase 'process.rlimits[0].type' '.process.rlimits[0].type = "nofile"'
jqcase rlimit-soft-above-hard 'process.rlimits[0]' '.process.rlimits[0] = {"type": "RLIMIT_NOFILE", "hard": 10, "soft": 100}'
jqcase rlimit-hard-negative 'process.rlimits[0].hard' '.process.rlimits[0].hard = -1'
jqcase rlimit-soft-overflow 'process.rlimits[0].soft' ".process.rlimits[0].soft = $(raw 18446744073709551616)"
jqcase rlimit-string-value 'process.rlimits[0].hard' '.process.rlimits[0].hard = "1024"'
jqcase rlimit-duplicate 'process.rlimits[1].type' '.process.rlimits += [.process.rlimits[0]]'
jqcase rlimit-missing-type 'process.rlimits[0].type' '.process.rlimits[0] |= del(.type)'
jqcase rlimits-object 'process.rlimits' '.process.rlimits = {"RLIMIT_NOFILE": 5}'
# a valid rlimit the kernel refuses: nofile above fs.nr_open
jqcase rlimit-nofile-above-nr-open 'RLIMIT_NOFILE' ".process.rlimits[0] = {\"type\": \"RLIMIT_NOFILE\", \"hard\": $(raw 18446744073709551615), \"soft\": $(raw 18446744073709551615)}"
jqcase oom-score-big 'process.oomScoreAdj' '.process.oomScoreAdj = 1001'
jqcase oom-score-overflow 'process.oomScoreAdj' ".process.oomScoreAdj = $(raw 2147483648)"
jqcase nnp-string 'process.noNewPrivileges' '.process.noNewPrivileges = "yes"'
jqcase scheduler-no-policy 'process.scheduler.policy' '.process.scheduler = {"nice": 1}'
jqcase scheduler-bad-policy 'SCHED_BANANA' '.process.scheduler = {"policy": "SCHED_BANANA"}'
jqcase ioprio-bad-class 'IOPRIO_CLASS_BANANA' '.process.ioPriority = {"class": "IOPRIO_CLASS_BANANA", "priority": 1}'
jqcase apparmor-number 'process.apparmorProfile' '.process.apparmorProfile = 5'

# ---- root ------------------------------------------------------------------------------------
jqcase root-path-dotdot 'CONTAINED' '.root.path = "../../"'
jqcase root-path-missing-dir 'no-such-rootfs' '.root.path = "no-such-rootfs"'
jqcase root-path-empty 'root.path' '.root.path = ""'
jqcase root-path-number 'root.path' '.root.path = 7'
jqcase root-string 'root' '.root = "rootfs"'
jqcase root-readonly-string 'root.readonly' '.root.readonly = "true"'
jqcase root-path-slash 'pivot_root' '.root.path = "/"'

# ---- mounts ----------------------------------------------------------------------------------
jqcase mounts-object 'mounts' '.mounts = {"destination": "/proc"}'
# runc resolves a relative mount destination against "/" (with a warning): legal, contained.
jqcase mount-relative 'CONTAINED' '.mounts[0].destination = "proc"'
jqcase mount-dotdot-escape 'CONTAINED' '.mounts += [{"destination": "/../../../../tmp/hardening-escape", "type": "tmpfs", "source": "tmpfs"}]'
jqcase mount-dotdot-relative 'CONTAINED' '.mounts += [{"destination": "../../../../tmp/hardening-escape", "type": "tmpfs", "source": "tmpfs"}]'
jqcase mount-no-destination 'mounts[2].destination' '.mounts[2] |= del(.destination)'
jqcase mount-destination-number 'mounts[1].destination' '.mounts[1].destination = 5'
jqcase mount-options-string 'mounts[1].options' '.mounts[1].options = "nosuid,ro"'
jqcase mount-options-numbers 'mounts[1].options[0]' '.mounts[1].options = [1, 2]'
jqcase mount-bad-fstype '/mnt' '.mounts += [{"destination": "/mnt", "type": "nosuchfs", "source": "none"}]'
jqcase mount-bind-missing-source '/nonexistent/hardening' '.mounts += [{"destination": "/mnt", "type": "bind", "source": "/nonexistent/hardening", "options": ["rbind"]}]'
jqcase mount-string-entry 'mounts[3]' '.mounts[3] = "/dev/shm"'

# ---- hooks -----------------------------------------------------------------------------------
jqcase hooks-array 'hooks' '.hooks = []'
jqcase hook-relative 'hooks.prestart[0].path' '.hooks.prestart = [{"path": "bin/true"}]'
jqcase hook-missing-path 'hooks.createRuntime[0].path' '.hooks.createRuntime = [{"args": ["true"]}]'
jqcase hook-path-number 'hooks.poststart[0].path' '.hooks.poststart = [{"path": 1}]'
jqcase hook-timeout-zero 'hooks.createContainer[0].timeout' '.hooks.createContainer = [{"path": "/bin/true", "timeout": 0}]'
jqcase hook-timeout-negative 'hooks.prestart[0].timeout' '.hooks.prestart = [{"path": "/bin/true", "timeout": -5}]'
jqcase hook-timeout-string 'hooks.poststop[0].timeout' '.hooks.poststop = [{"path": "/bin/true", "timeout": "5s"}]'
jqcase hook-args-string 'hooks.createRuntime[0].args' '.hooks.createRuntime = [{"path": "/bin/true", "args": "true"}]'
jqcase hook-list-object 'hooks.prestart' '.hooks.prestart = {"path": "/bin/true"}'
jqcase hook-dotdot 'hooks.startContainer[0].path' '.hooks.startContainer = [{"path": "../../bin/true"}]'
# a valid hook that fails: create must fail and clean up
jqcase hook-fails 'createRuntime' '.hooks.createRuntime = [{"path": "/bin/false"}]'
jqcase hook-missing-binary 'createRuntime' '.hooks.createRuntime = [{"path": "/nonexistent/hardening-hook"}]'

# ---- linux.namespaces ------------------------------------------------------------------------
jqcase ns-unknown 'linux.namespaces[2].type' '.linux.namespaces[2].type = "banana"'
jqcase ns-duplicate 'linux.namespaces[6].type' '.linux.namespaces += [{"type": "pid"}]'
jqcase ns-type-number 'linux.namespaces[0].type' '.linux.namespaces[0].type = 1'
jqcase ns-path-relative 'linux.namespaces[1].path' '.linux.namespaces[1].path = "proc/1/ns/net"'
jqcase ns-path-number 'linux.namespaces[1].path' '.linux.namespaces[1].path = 1'
jqcase ns-path-missing '/nonexistent/hardening/ns/net' '.linux.namespaces[1].path = "/nonexistent/hardening/ns/net"'
jqcase ns-path-wrong-type 'network namespace' '.linux.namespaces[1].path = "/proc/self/ns/ipc"'
jqcase ns-object 'linux.namespaces' '.linux.namespaces = {"type": "pid"}'
jqcase ns-entry-string 'linux.namespaces[0]' '.linux.namespaces[0] = "pid"'
jqcase ns-type-missing 'linux.namespaces[3].type' '.linux.namespaces[3] = {}'
jqcase linux-array 'linux' '.linux = []'

# ---- uid/gid mappings ------------------------------------------------------------------------
userns='.linux.namespaces += [{"type": "user"}]'
jqcase mapping-without-userns 'linux.uidMappings' '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] | .linux.gidMappings = .linux.uidMappings'
jqcase mapping-size-zero 'linux.uidMappings[0].size' "$userns"' | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 0}] | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
jqcase mapping-size-huge 'linux.gidMappings[0].size' "$userns"' | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": '"$(raw 4294967297)"'}]'
jqcase mapping-hostid-negative 'linux.uidMappings[0].hostID' "$userns"' | .linux.uidMappings = [{"containerID": 0, "hostID": -1, "size": 1}] | .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 1}]'
jqcase mapping-missing-containerid 'linux.uidMappings[0].containerID' "$userns"' | .linux.uidMappings = [{"hostID": 1000, "size": 1}] | .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 1}]'
jqcase mapping-object 'linux.uidMappings' "$userns"' | .linux.uidMappings = {"containerID": 0, "hostID": 0, "size": 1}'
# valid types, refused by the kernel: overlapping ranges, ranges past 2^32
jqcase mapping-overlap 'uid' "$userns"' | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000}, {"containerID": 500, "hostID": 200000, "size": 1000}] | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
jqcase mapping-wraps-2pow32 'uid' "$userns"' | .linux.uidMappings = [{"containerID": 0, "hostID": 4294967000, "size": 65536}] | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'

# ---- linux: devices, sysctl, cgroupsPath, paths --------------------------------------------
jqcase device-bad-type 'linux.devices[0].type' '.linux.devices = [{"path": "/dev/hardening", "type": "x", "major": 1, "minor": 3}]'
jqcase device-relative 'linux.devices[0].path' '.linux.devices = [{"path": "dev/null2", "type": "c", "major": 1, "minor": 3}]'
jqcase device-dotdot 'CONTAINED' '.linux.devices = [{"path": "/dev/../../../tmp/hardening-dev", "type": "c", "major": 1, "minor": 3}]'
jqcase device-major-string 'linux.devices[0].major' '.linux.devices = [{"path": "/dev/hardening", "type": "c", "major": "1", "minor": 3}]'
jqcase device-filemode-negative 'linux.devices[0].fileMode' '.linux.devices = [{"path": "/dev/hardening", "type": "c", "major": 1, "minor": 3, "fileMode": -1}]'
jqcase device-major-overflow 'linux.devices[0].major' ".linux.devices = [{\"path\": \"/dev/hardening\", \"type\": \"c\", \"major\": $(raw 18446744073709551616), \"minor\": 3}]"
# (runc ignores access letters other than r, w, m: a string with none of them is the error)
jqcase device-rule-bad-access 'linux.resources.devices[0].access' '.linux.resources.devices[0].access = "xz"'
jqcase device-rule-bad-type 'linux.resources.devices[1].type' '.linux.resources.devices += [{"allow": true, "type": "q", "access": "r"}]'
# sysctls that no namespace isolates (runc: "is not in a separate kernel namespace"). Invalid
# values only: a runtime that wrongly writes them fails the write instead of changing the host
# (hence no kernel.modprobe: the kernel takes any string there).
jqcase sysctl-not-namespaced-vm 'namespace' '.linux.sysctl = {"vm.swappiness": "banana"}'
jqcase sysctl-not-namespaced-kernel 'namespace' '.linux.sysctl = {"kernel.panic": "banana"}'
jqcase sysctl-not-namespaced-fs 'namespace' '.linux.sysctl = {"fs.file-max": "banana"}'
# (an invalid value: a runtime that wrongly writes it into the host's namespace fails the write
# instead of changing the host)
jqcase sysctl-net-without-netns 'network namespace' '.linux.namespaces |= map(select(.type != "network")) | .linux.sysctl = {"net.ipv4.ip_forward": "banana"}'
jqcase sysctl-unknown 'kernel.hardening_no_such_key' '.linux.sysctl = {"kernel.hardening_no_such_key": "1"}'
jqcase sysctl-dotdot 'linux.sysctl' '.linux.sysctl = {"../../../proc/sys/kernel/modprobe": "/x"}'
jqcase sysctl-value-number 'linux.sysctl.kernel.shmmax' '.linux.sysctl = {"kernel.shmmax": 1}'
jqcase cgroupspath-dotdot 'CONTAINED' '.linux.cgroupsPath = "/../../../hardening-escape"'
jqcase cgroupspath-relative-dotdot 'CONTAINED' '.linux.cgroupsPath = "../../hardening-escape"'
jqcase cgroupspath-number 'linux.cgroupsPath' '.linux.cgroupsPath = 5'
jqcase masked-relative 'linux.maskedPaths[0]' '.linux.maskedPaths[0] = "proc/kcore"'
jqcase readonly-relative 'linux.readonlyPaths[4]' '.linux.readonlyPaths[4] = "proc/sysrq-trigger"'
jqcase masked-string 'linux.maskedPaths' '.linux.maskedPaths = "/proc/kcore"'
jqcase propagation-bad 'linux.rootfsPropagation' '.linux.rootfsPropagation = "sideways"'
jqcase hostname-without-uts 'hostname' '.linux.namespaces |= map(select(.type != "uts"))'
jqcase hostname-number 'hostname' '.hostname = 12'
jqcase annotations-array 'annotations' '.annotations = ["a=b"]'
jqcase annotations-number 'annotations.x' '.annotations = {"x": 1}'
jqcase timeoffsets-without-timens 'linux.timeOffsets' '.linux.timeOffsets = {"monotonic": {"secs": 10}}'
jqcase personality-bad-domain 'LINUX_BANANA' '.linux.personality = {"domain": "LINUX_BANANA"}'

# ---- linux.resources -------------------------------------------------------------------------
jqcase memory-limit-string 'linux.resources.memory.limit' '.linux.resources.memory = {"limit": "1G"}'
jqcase memory-limit-overflow 'linux.resources.memory.limit' ".linux.resources.memory = {\"limit\": $(raw 9223372036854775808)}"
jqcase memory-swap-below-limit 'swap' '.linux.resources.memory = {"limit": 104857600, "swap": 1048576}'
jqcase swappiness-high 'swappiness' '.linux.resources.memory = {"swappiness": 101}'
jqcase cpu-shares-negative 'linux.resources.cpu.shares' '.linux.resources.cpu = {"shares": -1}'
jqcase cpu-quota-string 'linux.resources.cpu.quota' '.linux.resources.cpu = {"quota": "max"}'
jqcase cpus-garbage 'cpus' '.linux.resources.cpu = {"cpus": "0-banana"}'
jqcase pids-limit-string 'linux.resources.pids.limit' '.linux.resources.pids = {"limit": "10"}'
jqcase blkio-weight-big 'linux.resources.blockIO.weight' '.linux.resources.blockIO = {"weight": 70000}'
jqcase hugepage-no-pagesize 'linux.resources.hugepageLimits[0].pageSize' '.linux.resources.hugepageLimits = [{"limit": 1}]'
jqcase unified-number 'linux.resources.unified' '.linux.resources.unified = {"memory.max": 1}'
jqcase unified-dotdot 'unified' '.linux.resources.unified = {"../../../cgroup.procs": "1"}'
jqcase resources-array 'linux.resources' '.linux.resources = []'

# ---- linux.seccomp ---------------------------------------------------------------------------
sc='.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO"}]}'
jqcase seccomp-unknown-default-action 'SCMP_ACT_BANANA' "$sc"' | .linux.seccomp.defaultAction = "SCMP_ACT_BANANA"'
jqcase seccomp-unknown-action 'SCMP_ACT_EXPLODE' "$sc"' | .linux.seccomp.syscalls[0].action = "SCMP_ACT_EXPLODE"'
jqcase seccomp-unknown-op 'SCMP_CMP_BANANA' "$sc"' | .linux.seccomp.syscalls[0].args = [{"index": 0, "value": 1, "op": "SCMP_CMP_BANANA"}]'
jqcase seccomp-bad-arch 'SCMP_ARCH_Z80' "$sc"' | .linux.seccomp.architectures = ["SCMP_ARCH_Z80"]'
jqcase seccomp-errnoret-string 'linux.seccomp.syscalls[0].errnoRet' "$sc"' | .linux.seccomp.syscalls[0].errnoRet = "EPERM"'
jqcase seccomp-errnoret-negative 'linux.seccomp.defaultErrnoRet' "$sc"' | .linux.seccomp.defaultErrnoRet = -1'
jqcase seccomp-arg-index-6 'linux.seccomp.syscalls[0].args[0].index' "$sc"' | .linux.seccomp.syscalls[0].args = [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]'
jqcase seccomp-names-string 'linux.seccomp.syscalls[0].names' "$sc"' | .linux.seccomp.syscalls[0].names = "getcwd"'
jqcase seccomp-names-empty 'linux.seccomp.syscalls[0].names' "$sc"' | .linux.seccomp.syscalls[0].names = []'
jqcase seccomp-no-default 'linux.seccomp.defaultAction' "$sc"' | .linux.seccomp |= del(.defaultAction)'
jqcase seccomp-unknown-flag 'SECCOMP_FILTER_FLAG_BANANA' "$sc"' | .linux.seccomp.flags = ["SECCOMP_FILTER_FLAG_BANANA"]'
jqcase seccomp-value-negative 'linux.seccomp.syscalls[0].args[0].value' "$sc"' | .linux.seccomp.syscalls[0].args = [{"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}]'
jqcase seccomp-string 'linux.seccomp' '.linux.seccomp = "unconfined"'

# ---- duplicate keys, big documents -----------------------------------------------------------
# duplicate keys: the last one wins (as in Go's encoding/json), and the last one is bad
jq -c . base.json | sed 's/"cwd":"\/"/"cwd":"\/","cwd":"relative"/' | rawcase duplicate-key-last-bad 'process.cwd'
JQFLAGS=-c jqcase many-mounts-empty-dest 'mounts[2007].destination' '.mounts += [range(2000) | {"destination": "/mnt/\(.)", "type": "tmpfs", "source": "tmpfs"}] + [{"destination": "", "type": "tmpfs", "source": "tmpfs"}]'
JQFLAGS=-c jqcase too-many-env 'process.env' '.process.env += [range(66000) | "K\(.)=v"]'
JQFLAGS=-c jqcase deep-unknown-field 'process.args' '.x = ([range(200)] | reduce .[] as $i (0; [.])) | del(.process.args)'

echo "wrote $n configs" >&2
