// `seccomp trace-hook`: trace mode's eBPF recorder for containers of other runtimes (runc,
// crun), as an OCI createRuntime or prestart hook, the way Podman's oci-seccomp-bpf-hook does.
// The runtime runs the hook with the container's state on stdin before the container's process
// starts; the hook finds the container's cgroup v2 directory from the state's pid, starts a
// detached recorder (seccomp/ebpf_trace.hpp) for that cgroup and exits 0 only once the recorder
// is attached (at most timeout_ms; else 1, and the runtime fails the create). The recorder
// counts every syscall under that cgroup (descendants and exec'd processes included) until it
// is empty, then writes the NDJSON trace to `output` atomically and exits.
#pragma once

#include <sys/types.h>

#include <string>

namespace nucleus {

struct TraceHookOptions {
  std::string output;  // absolute
  std::string log;     // the recorder's stderr once detached; empty: /dev/null
  int timeout_ms = 10000;
};

// The hook: reads the state from `state_fd`, starts the recorder, waits until it is attached.
// Throws nucleus::Error naming why (no cgroup v2 directory of the container's own, eBPF
// unavailable: no CAP_BPF/CAP_PERFMON, no BTF…, the recorder not attached in time).
void run_trace_hook(int state_fd, const TraceHookOptions& o);

// The container's cgroup v2 directory from /proc/PID/cgroup's "0::" line and the cgroup2 mount
// point. Throws when there is none, or when it is not the container's own (the hierarchy's root,
// or the cgroup the hook itself is in): recording it would count host processes.
std::string container_cgroup_v2_dir(pid_t pid);

// The poststop side (--wait): returns once `output` exists (the hook removed it when it started,
// the recorder writes it atomically once the cgroup is empty), so that the runtime's `run` returns
// with the trace complete. Throws after timeout_ms.
void wait_trace_written(int state_fd, const TraceHookOptions& o);

}  // namespace nucleus
