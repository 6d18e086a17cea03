// CPU affinity of the container's processes (runc's tryResetCPUAffinity, setnsProcess's
// execCPUAffinity and nsexec's log_cpu_affinity).
#include <sched.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "runtime/init/init.hpp"
#include "runtime/log.hpp"
#include "util/error.hpp"

namespace nucleus::init {

void log_affinity() {
  if (!log::debug_enabled()) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) < 0) {
    log::warn(std::string("sched_getaffinity: ") + std::strerror(errno));
    return;
  }
  // runc prints the first 64 CPUs only.
  unsigned long long mask = 0;
  for (unsigned i = 0; i < 64; ++i)
    if (CPU_ISSET(i, &set)) mask |= 1ULL << i;
  char line[64];
  std::snprintf(line, sizeof line, "nsexec[%d]: affinity: 0x%llx", static_cast<int>(::getpid()),
                mask);
  log::debug(line);
}

bool affinity_is_narrowed() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) < 0) return true;
  return CPU_COUNT(&set) < ::get_nprocs();
}

void reset_affinity() {
  // Every bit set: sched_setaffinity clamps it to the CPUs that exist and to the cpuset of the
  // task's cgroup. Since Linux 6.2 joining a cpuset cgroup keeps a narrower affinity the caller
  // had (taskset, systemd's CPUAffinity=), so this is what gives the container its cpuset.
  cpu_set_t all;
  std::memset(&all, 0xff, sizeof all);
  if (::sched_setaffinity(0, sizeof all, &all) < 0)
    log::warn(std::string("resetting the CPU affinity failed -- the container process may "
                          "inherit the runtime's CPU affinity: ") +
              std::strerror(errno));
}

cpu_set_t cpu_list_set(const std::string& list, const std::string& field) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (unsigned c : parse_list(list, field)) {
    if (c >= CPU_SETSIZE) throw Error(field + ": CPU " + std::to_string(c) + " is out of range");
    CPU_SET(c, &set);
  }
  return set;
}

void apply_exec_affinity(const oci::Process& proc, bool narrowed) {
  const auto& aff = proc.exec_cpu_affinity;
  if (!aff || (aff->initial.empty() && aff->final.empty())) {
    if (narrowed) reset_affinity();
    return;
  }
  if (aff->final.empty()) return;
  cpu_set_t set = cpu_list_set(aff->final, "process.execCPUAffinity.final");
  if (::sched_setaffinity(0, sizeof set, &set) < 0)
    throw_sys("error setting final CPU affinity (process.execCPUAffinity.final \"" + aff->final +
              "\")");
}

InitialAffinity::InitialAffinity(const oci::Process& proc) {
  const auto& aff = proc.exec_cpu_affinity;
  if (!aff || aff->initial.empty()) return;
  cpu_set_t set = cpu_list_set(aff->initial, "process.execCPUAffinity.initial");
  if (::sched_getaffinity(0, sizeof saved_, &saved_) < 0) throw_sys("sched_getaffinity");
  if (::sched_setaffinity(0, sizeof set, &set) < 0)
    throw_sys("error setting initial CPU affinity (process.execCPUAffinity.initial \"" +
              aff->initial + "\")");
  set_ = true;
}

InitialAffinity::~InitialAffinity() {
  if (set_) ::sched_setaffinity(0, sizeof saved_, &saved_);
}

}  // namespace nucleus::init
