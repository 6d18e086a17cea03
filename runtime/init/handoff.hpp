// The container init runs from the sealed view of the binary (runtime/sealed_exe.hpp), as
// runc's `runc init` does: `create` clones it from the runtime, which itself runs unsealed, and
// the child at once execs `nucleus-oci init FD` from the sealed file. Its program load overlaps
// the runtime's cgroup work instead of adding a second start-up to every `create`.
//
// Everything the runtime prepared crosses that exec here: the Context is written to a memfd
// (FD), and the file descriptors it names are left open across the exec (the init makes them
// close-on-exec again before the workload runs).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "runtime/init/init.hpp"
#include "util/fd.hpp"

namespace nucleus::init {

// The exec of the sealed init, prepared by the runtime before the clone (the hand-off memfd, the
// fds to keep open, argv): the child then only makes syscalls, so it may share the runtime's
// memory (clone3 CLONE_VM|CLONE_VFORK, runtime/attach.hpp: no page tables copied for a process
// that execs at once).
class InitExec {
 public:
  // parent_end: the runtime's end of the sync channel, closed in the child.
  InitExec(const Context& ctx, int sealed_exe, const std::string& config_text, int parent_end);
  // The child: fn(this) for a clone trampoline. Never returns: the sealed init takes over, or
  // an Error message goes to the runtime over the sync channel and the child exits.
  static int child_entry(void* self) noexcept;

 private:
  UniqueFd memfd_;
  int sealed_;
  int parent_end_;
  int sync_;
  std::vector<int> keep_;
  std::string fd_arg_;
  std::array<const char*, 4> argv_{};
  char** envp_ = nullptr;
};

// `nucleus-oci init FD` (internal; not a user command): rebuilds the Context from FD and runs
// the init. Refuses to run from anything but a sealed binary.
[[noreturn]] void run_from_handoff(const char* fd_arg);

}  // namespace nucleus::init
