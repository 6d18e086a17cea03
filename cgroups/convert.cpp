// runc's value conversions between cgroup v1 semantics (what the spec speaks) and cgroup v2.
#include <string>

#include "cgroups/fs_manager.hpp"
#include "util/error.hpp"

namespace nucleus::cgroups {

uint64_t shares_to_weight(uint64_t shares) {
  if (shares == 0) return 0;
  if (shares < 2) shares = 2;  // the kernel's minimum; avoids unsigned wrap-around
  if (shares > 262144) shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
  if (weight == 0) return 0;
  if (weight < 10) weight = 10;
  if (weight > 1000) weight = 1000;
  return 1 + (weight - 10) * 9999 / 990;
}

int64_t swap_to_v2(int64_t swap, int64_t memory) {
  const std::string f = "linux.resources.memory.swap: ";
  // Memory unlimited and swap unset: both unlimited, as cgroup v1 behaves.
  if (memory == -1 && swap == 0) return -1;
  if (swap == -1 || swap == 0) return swap;  // max, unset
  if (memory == 0 || memory == -1)
    throw Error(f + "cannot set a swap limit without a memory limit (memory.limit)");
  if (memory < 0)
    throw Error("linux.resources.memory.limit: invalid value " + std::to_string(memory));
  if (swap < memory)
    throw Error(f + std::to_string(swap) + " is below memory.limit " + std::to_string(memory) +
                " (swap is memory+swap)");
  return swap - memory;
}

}  // namespace nucleus::cgroups
