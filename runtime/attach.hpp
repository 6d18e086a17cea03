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
#include "util/fd.hpp"

namespace nucleus {

class FastAttach {
 public:
  FastAttach() = default;
  // Opens the v1 "tasks" files and the v2 directory; on any failure (e.g. rootless) an empty
  // FastAttach, and the runtime's add_process decides what is an error.
  static FastAttach open(const cgroups::Manager& cg);
  // Only the v2 directory (create: the v1 cgroups do not exist yet at the clone; the runtime
  // sends their "tasks" files to the init afterwards).
  static FastAttach open_unified(const cgroups::Manager& cg);

  // The raw "tasks" fds, for the child (it inherits them across the clone).
  std::vector<int> task_fds() const;
  // clone (fork semantics, SIGCHLD) with `flags`, into the v2 cgroup when there is one
  // (clone3 CLONE_INTO_CGROUP; plain clone on kernels without it). Returns like clone.
  long clone(unsigned long flags);
  // As clone, for a child that only execs: it runs fn(arg) on a stack of its own while sharing
  // our memory (clone3 CLONE_VM|CLONE_VFORK: no page tables copied, no copy-on-write faults for
  // either side; we wait until it has exec'd). fn must only make syscalls on data prepared
  // before (vfork's rules) and never return on success. Falls back to clone() and fn in a
  // copy-on-write child where the arch or kernel has no such clone3. Never returns 0.
  long spawn(unsigned long flags, int (*fn)(void*), void* arg);
  // In the parent, after clone: whether the child is in every cgroup once it has run
  // self_attach(task_fds()). False: the runtime must add_process it.
  bool attached() const { return usable_ && (into_cgroup_ || !v2_); }
  // Closes the fds (the parent's copies), keeping attached().
  void close();

 private:
  std::vector<UniqueFd> tasks_;  // v1 "tasks" files, O_WRONLY
  UniqueFd v2_;                  // the v2 cgroup directory
  bool usable_ = false;          // everything opened
  bool into_cgroup_ = false;     // the last clone started the child in the v2 cgroup
};

// In the new process: moves the calling (single-threaded) process into every v1 cgroup.
void self_attach(const std::vector<int>& task_fds);

}  // namespace nucleus
