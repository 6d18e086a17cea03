// Putting a new process (the container init, an exec) into the container's cgroup without
// writing its pid to cgroup.procs: that write takes the kernel's global cgroup_threadgroup_rwsem
// for writing, which on a quiet host waits for an RCU grace period (~10 ms here, most of a
// container start). Instead:
// - cgroup v2: clone3(CLONE_INTO_CGROUP) starts the process in its cgroup;
// - cgroup v1: the new process writes "0" to each hierarchy's "tasks" file (opened by the
//   runtime, so the open-time credentials are the runtime's): a thread moving itself takes no
//   threadgroup lock. The process is single-threaded, so the thread is the process.
// Anything unsupported falls back to Manager::add_process by the runtime.
#pragma once

#include <sys/types.h>

#include <vector>

#include "cgroups/manager.hpp"
#include "runtime/util/fd.hpp"

namespace nucleus {

struct FastAttach {
  std::vector<UniqueFd> tasks;  // v1 "tasks" files, O_WRONLY
  UniqueFd v2;                  // the v2 cgroup directory
  bool usable = false;          // everything opened

  static FastAttach open(const cgroups::Manager& cg);
  // The raw fds, for the child (it inherits them across the clone).
  std::vector<int> task_fds() const;
};

// clone (fork semantics, SIGCHLD) with `flags`; into the cgroup `cgroup_fd` (clone3
// CLONE_INTO_CGROUP) when it is >= 0. *into_cgroup says whether that happened: false after a
// fallback to plain clone (kernel without clone3/CLONE_INTO_CGROUP). Returns like clone.
long clone_process(unsigned long flags, int cgroup_fd, bool* into_cgroup);

// In the new process: moves the calling (single-threaded) process into every v1 cgroup.
void self_attach(const std::vector<int>& task_fds);

}  // namespace nucleus
