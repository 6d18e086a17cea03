// The container init runs from the sealed view of the binary (runtime/sealed_exe.hpp), as
// runc's `runc init` does: `create` clones it from the runtime, which itself runs unsealed, and
// the child at once execs `nucleus-oci init FD` from the sealed file. Its program load overlaps
// the runtime's cgroup work instead of adding a second start-up to every `create`.
//
// Everything the runtime prepared crosses that exec here: the Context is written to a memfd
// (FD), and the file descriptors it names are left open across the exec (the init makes them
// close-on-exec again before the workload runs).
#pragma once

#include <string>

#include "runtime/init/init.hpp"

namespace nucleus::init {

// In the cloned child. Never returns: the sealed init takes over, or the error goes to the
// runtime over ctx.sync and the child exits.
[[noreturn]] void exec_sealed_init(Context& ctx, int sealed_exe, const std::string& config_text);

// `nucleus-oci init FD` (internal; not a user command): rebuilds the Context from FD and runs
// the init. Refuses to run from anything but a sealed binary.
[[noreturn]] void run_from_handoff(const char* fd_arg);

}  // namespace nucleus::init
