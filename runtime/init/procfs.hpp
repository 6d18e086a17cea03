// Writes to /proc from inside the container (sysctl, LSM labels) go through a private procfs
// instance that is never attached to any path: nothing the container mounts over /proc, or
// swaps in for it, can redirect them (CVE-2019-16884, CVE-2025-52881 classes).
#pragma once

#include <string>

#include "util/fd.hpp"

namespace nucleus::init {

// Opens `rel` (relative, e.g. "sys/net/ipv4/ip_forward") in the private procfs of the current
// pid namespace, refusing symlinks, magic links and mount crossings.
UniqueFd open_private_proc(const std::string& rel, int flags);
// Writes `value` to `rel` in the private procfs; errors name `what`.
void write_private_proc(const std::string& rel, const std::string& value, const std::string& what);
// "self" of the private procfs: this task's id in its pid namespace.
std::string proc_self();
// Closes the private procfs: the init waiting for `start` must not hold a procfs without the
// container's masks (a process that can ptrace it could take the fd).
void release_private_proc();

// Reopens an O_PATH fd through /proc/thread-self/fd/N (runc's reopen of exec.fifo), so that the
// init needs no fd of the fifo's directory. Through the container's own /proc, by path: the
// init holds no procfs fd while the open blocks. A container without a usable /proc gets a
// read-only procfs that shows only the process directories (subset=pid), which reveals nothing
// beyond the container's own processes.
class FdReopener {
 public:
  // While the init still has CAP_SYS_ADMIN, after pivot_root.
  static FdReopener prepare();
  // Blocks like open(2); the result is verified to be the file `fd` names.
  UniqueFd reopen(int fd, int flags) const;

 private:
  UniqueFd proc_;  // the pid-only procfs, only when the container has no /proc
};

}  // namespace nucleus::init
