// The supervisor process of trace mode (--seccomp-trace FILE or the annotation
// org.nucleus.seccomp.trace=FILE). `create` starts it detached (it outlives create). It records
// one of two ways (--seccomp-trace-mode or the annotation org.nucleus.seccomp.trace-mode):
// - ebpf: an eBPF program on sys_enter counts the syscalls of the container's cgroup
//   (seccomp/ebpf_trace.hpp), loaded while the init sets up, attached when the init announces
//   itself right before its exec; the trace is complete when the cgroup is empty;
// - notify: the init loads a USER_NOTIF filter on every syscall; the tracer takes the listener
//   out of the init (pidfd_getfd) and serves it until the container's last process exits.
// auto (the default): ebpf when it loads, notify otherwise (reported as a warning). Either way
// the tracer then writes FILE atomically and exits.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>

#include "runtime/store.hpp"
#include "util/fd.hpp"

namespace nucleus {

inline constexpr const char* kTraceAnnotation = "org.nucleus.seccomp.trace";
inline constexpr const char* kTraceModeAnnotation = "org.nucleus.seccomp.trace-mode";

enum class TraceMode { Auto, Notify, Ebpf };
// "auto", "notify", "ebpf"; anything else is an error naming `where` (the flag or annotation).
TraceMode parse_trace_mode(std::string_view value, std::string_view where);

struct TraceSockets {
  UniqueFd init_end;    // inherited by the init: it announces itself right before its exec
  UniqueFd tracer_end;  // handed to the tracer
  static TraceSockets make();
};

struct TracerProcess {
  ProcessId pid;
  UniqueFd choice;  // the tracer writes the mode it chose here (tracer_choice)
};

// Starts the detached tracer for the init `init_pid`, whose cgroup v2 directory is `cgroup_dir`
// (empty: none, so notify). `output` must be absolute. Errors of the tracer itself go to the
// runtime's stderr.
TracerProcess spawn_tracer(pid_t init_pid, const std::string& output, UniqueFd tracer_end,
                           TraceMode mode, const std::string& cgroup_dir);
// Waits (at most timeout_ms) for the mode the tracer chose: "ebpf" or "notify" (then
// *why_not says why eBPF was not used, empty when notify was asked for). Throws when the mode
// asked for cannot be had (--seccomp-trace-mode ebpf without eBPF).
std::string tracer_choice(TracerProcess& t, int timeout_ms, std::string* why_not);
// The init's side, right before its exec: announce, wait for the tracer's answer (bounded)
// and, in notify mode, load the trace filter (the listener goes to the tracer).
// dumpable_for_tracer: a non-root runtime's init, made dumpable first so that its tracer may
// take the listener.
void init_start_trace(int sock, bool dumpable_for_tracer = false);

// Shared with the trace hook (trace_hook.hpp).
// Reads up to `max` bytes, until '\n' or EOF, for at most timeout_ms ("WHAT: no answer in Ns").
std::string read_bounded(int fd, size_t max, int timeout_ms, const char* what);
// Writes all of `s`; a reader that is gone is not an error.
void write_all(int fd, const std::string& s);
// Returns once cgroup_dir's cgroup.events says "populated 0" (no process left in it or below)
// or the cgroup is gone: watched with POLLPRI, re-read every second.
void wait_cgroup_empty(const std::string& cgroup_dir);

// A detached process (double fork: a session of its own, not our child, every signal
// unblocked): `body(report_fd)` runs in it and must not return; its pid is the first thing on
// the report pipe. Returns that pid and the pipe's read end (for what body reports next).
struct Detached {
  pid_t pid = 0;
  UniqueFd report;
};
Detached spawn_detached(const std::string& what, const std::function<void(int report_fd)>& body);

}  // namespace nucleus
