// The container init: the child cloned by `create`. It finishes the namespaces, builds the
// root filesystem, prepares the process, reports Ready over the sync channel, waits on
// exec.fifo for `start`, and execs the workload. It never returns.
#pragma once

#include <sched.h>

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oci/config.hpp"
#include "oci/landlock.hpp"
#include "runtime/sync.hpp"
#include "seccomp/filter.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace nucleus::init {

struct NamespaceJoin {
  int clone_flag = 0;  // CLONE_NEW*
  std::string type;
  UniqueFd fd;  // opened by the parent from linux.namespaces[].path
};

struct Context {
  const oci::Config* config = nullptr;
  std::string id;
  std::string bundle;
  std::string rootfs;   // absolute host path
  SyncChannel sync;     // child end
  UniqueFd exec_fifo;   // O_PATH fd of <root>/<id>/exec.fifo (no fd of the state dir itself)
  UniqueFd console;     // connected --console-socket, or empty
  UniqueFd pidfd_sock;  // connected --pidfd-socket, or empty
  int preserve_fds = 0;
  bool no_pivot = false;
  bool no_new_keyring = false;
  // A non-root runtime writes the id maps of the init's new user namespace: the init stays
  // dumpable until Go (the maps are written by then), else its /proc files belong to the host's
  // root and neither the runtime nor newuidmap (which checks the owner) may write them. As
  // runc's nsexec. The init is then a clone of the sealed runtime: its exe is the sealed view.
  // Without namespaces to join it stays dumpable until its exec (runc's too; see init::run).
  bool dumpable_until_go = false;
  // Namespaces created at clone time (CLONE_NEWPID / CLONE_NEWUSER) and those to unshare after.
  int clone_flags = 0;
  int unshare_flags = 0;
  bool cgroup_joined = false;        // CgroupJoined received
  bool affinity_narrowed = false;    // inherited from the runtime: reset once in the cgroup
  bool in_cgroup = false;            // ... and the cgroup namespace made (if asked)
  std::vector<NamespaceJoin> joins;  // in setns order (user first)
  std::optional<seccomp::Filter> seccomp;
  std::string cgroup_path;  // the container's cgroup, relative to the hierarchy roots
  std::map<std::string, std::string> cgroup_v1;  // controller -> mount point (for cgroup mounts)
  std::string cgroup_v2;                         // cgroup2 mount point, if any
  std::string state_json;     // spec state for createContainer/startContainer hooks (from Go)
  pid_t host_pid = 0;         // the init's pid in the runtime's pid namespace (from Go)
  UniqueFd seccomp_listener;  // connected linux.seccomp.listenerPath, when set
  // tmpfs and /dev mounts asked "ro": mounted read-write so that what goes in and under them
  // can be made, and made read-only by finish_rootfs (runc's finalizeRootfs).
  std::vector<std::pair<std::string, UniqueFd>> readonly_later;  // destination, mount
  // The org.nucleus.landlock annotation, parsed, and its ruleset: built after pivot_root,
  // enforced right before exec.
  std::optional<oci::Landlock> landlock;
  UniqueFd landlock_ruleset;
  UniqueFd trace_sock;  // trace mode: the tracer's socket (runtime/tracer.hpp)  // mount index ->
                        // detached idmapped tree (MountFd)
};

[[noreturn]] void run(Context& ctx);
// An error of the init before start: to the runtime over ctx.sync, else (no channel) stderr.
void report_error(Context& ctx, const char* what);

// Pieces, one file each.
void setup_namespaces(Context& ctx);  // namespaces.cpp
void setup_rootfs(Context& ctx);      // rootfs.cpp: mounts, devices, up to the hooks
void finish_rootfs(Context& ctx);     // rootfs.cpp: pivot_root, masks, readonly, sysctl
// runc's wording for a mount that failed, whichever side it failed on (the init's mount, or the
// runtime opening its source): "error mounting \"SRC\" to rootfs at \"DST\": CAUSE".
Error mount_error(const oci::Mount& m, const Error& cause);  // rootfs.cpp
// console.cpp: a pty from the container's devpts; master to the console socket, slave as stdio.
// raw_output: the socket is the runtime's own (run/exec in the foreground, which copies the
// master to its stdout): clear ONLCR on the pty before the process can write, as runc's recvtty
// does (otherwise every "\n" reaches the caller as "\r\n").
// --pidfd-socket (runc's setupPidfd): a pidfd of the calling process goes to the socket, with
// `kind` ("standard" for the init, "setns" for exec) as the message; the socket is closed.
// Nothing when the socket is empty.
void send_own_pidfd(UniqueFd& socket, const char* kind);
// The init's channels (sync, exec.fifo, console, pidfd socket, seccomp listener, trace socket)
// and the log's fd, in the order of the hand-off (-1: none): what sanitize_fds keeps.
std::array<int, 7> channel_fds(const Context& ctx);
void setup_console(const oci::Process& proc, UniqueFd& console_socket, bool raw_output = false);
// process.cpp
struct Prepared {
  std::string exe;  // resolved executable path inside the container
  std::vector<std::string> args;
  std::vector<std::string> env;
};
Prepared prepare_process(const oci::Process& proc);
// chdir to process.cwd, resolved inside the container's root (no magic links), and verified.
void enter_cwd(const std::string& cwd);
// Waits until the runtime has put the init into its cgroup, then unshares the cgroup namespace
// when the config asks for a new one. Idempotent; needed before a cgroup mount and before the
// container's processes run.
void join_cgroup(Context& ctx);
// Asks the runtime for the source of mounts[index] (runtime/idmap.hpp, MountSources) and waits
// for it, taking the cgroup messages that come meanwhile. The runtime's error is thrown.
UniqueFd request_mount_source(Context& ctx, size_t index);
// rlimits, oom, sched, ioprio, personality. allowed_cpus: the container's
// linux.resources.cpu.cpus is set (a scheduler refused then gets runc's explanation).
void apply_process_attrs(const oci::Process& proc, bool allowed_cpus = false);
// In the runtime, on the host's mounts (the init and exec'd processes no longer see
// /sys/kernel/security or /sys/fs/selinux): a process.apparmorProfile or selinuxLabel needs that
// LSM enabled on the host; else a clear error naming the field.
void check_security_labels(const oci::Process& proc);
bool apparmor_enabled();  // runc's test: securityfs has apparmor and the module is enabled
// linux.resources.cpu.cpus is set in the container's config.
bool has_allowed_cpus(const oci::Linux& linux);
// "0-3,7" -> the CPU or node numbers; Error naming `field` when malformed.
std::vector<unsigned> parse_list(const std::string& text, const std::string& field);

// CPU affinity (affinity.cpp), as runc's: the debug line runc's nsexec writes first
// ("nsexec[PID]: affinity: 0x3", read by scripts and runc's own tests); a new process's
// affinity reset to every CPU once it is in its cgroup (the kernel clamps that to the cgroup's
// cpuset), so that the caller's (taskset, systemd) does not leak into the container; and
// process.execCPUAffinity for exec'd processes (the init ignores it, as the spec says).
void log_affinity();
// Whether the calling process's affinity is narrower than the CPUs online (a taskset or
// systemd's CPUAffinity= on the caller): only then does a process joining its cgroup keep a
// mask other than the cpuset's, and need reset_affinity (which costs ~0.4 ms in `run`).
bool affinity_is_narrowed();
void reset_affinity();
cpu_set_t cpu_list_set(const std::string& list, const std::string& field);
// exec's process once in the cgroup: "final" if given, else the reset unless "initial" was.
void apply_exec_affinity(const oci::Process& proc, bool narrowed);
// process.execCPUAffinity.initial for the calling (single-threaded) runtime while it lives, so
// that the process it clones starts there (runc's startWithCPUAffinity); the old affinity is
// restored at the end. Nothing when "initial" is not set.
class InitialAffinity {
 public:
  explicit InitialAffinity(const oci::Process& proc);
  ~InitialAffinity();
  InitialAffinity(const InitialAffinity&) = delete;
  InitialAffinity& operator=(const InitialAffinity&) = delete;

 private:
  bool set_ = false;
  cpu_set_t saved_;
};
void apply_linux_process_attrs(const oci::Linux& linux);  // personality, memoryPolicy
// linux.personality alone: exec'd processes get it too (runc's setns init), the memory policy
// only the init (runc 1.3).
void apply_personality(const oci::Linux& linux);
void apply_user_and_caps(const oci::Process& proc, bool keep_sys_admin);
void drop_kept_sys_admin(const oci::Process& proc);
[[noreturn]] void exec_process(const Prepared& p);

}  // namespace nucleus::init
