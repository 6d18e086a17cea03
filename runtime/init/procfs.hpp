// Writes to /proc from inside the container (sysctl, LSM labels) go through a private procfs
// instance that is never attached to any path: nothing the container mounts over /proc, or
// swaps in for it, can redirect them (CVE-2019-16884, CVE-2025-52881 classes).
#pragma once

#include <string>

#include "runtime/util/fd.hpp"

namespace nucleus::init {

// Opens `rel` (relative, e.g. "sys/net/ipv4/ip_forward") in the private procfs of the current
// pid namespace, refusing symlinks, magic links and mount crossings.
UniqueFd open_private_proc(const std::string& rel, int flags);
// Writes `value` to `rel` in the private procfs; errors name `what`.
void write_private_proc(const std::string& rel, const std::string& value, const std::string& what);
// "self" of the private procfs: this task's id in its pid namespace.
std::string proc_self();

}  // namespace nucleus::init
