// The supervisor process of trace mode (--seccomp-trace FILE or the annotation
// org.nucleus.seccomp.trace=FILE). `create` starts it detached (it outlives create); the init
// tells it over a socket right before loading the trace filter; it takes the listener out of
// the init (pidfd_getfd), serves every notification until the container's last process exits,
// then writes FILE atomically and exits.
#pragma once

#include <sys/types.h>

#include <string>

#include "runtime/store.hpp"
#include "util/fd.hpp"

namespace nucleus {

inline constexpr const char* kTraceAnnotation = "org.nucleus.seccomp.trace";

struct TraceSockets {
  UniqueFd init_end;    // inherited by the init: it writes one byte right before loading
  UniqueFd tracer_end;  // handed to the tracer
  static TraceSockets make();
};

// Starts the detached tracer for the init `init_pid`; `output` must be absolute. Errors of the
// tracer itself go to the runtime's stderr.
ProcessId spawn_tracer(pid_t init_pid, const std::string& output, UniqueFd tracer_end);
// The init's side: announce, then load the trace filter. The listener stays with the tracer.
void init_start_trace(int sock);

}  // namespace nucleus
