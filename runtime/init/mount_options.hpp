// OCI mount options -> mount(2) flags, propagation, recursive attributes and fs data, as runc.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nucleus::init {

struct MountOptions {
  unsigned long flags = 0;                 // MS_* set
  unsigned long clear = 0;                 // MS_* explicitly cleared ("rw", "suid", ...)
  std::vector<unsigned long> propagation;  // MS_PRIVATE|MS_REC ... applied after mounting
  uint64_t attr_set = 0;  // MOUNT_ATTR_* applied recursively ("rro", "rnosuid", ...)
  uint64_t attr_clr = 0;
  bool bind = false;
  bool recursive_bind = false;
  bool idmap = false;
  bool recursive_idmap = false;
  bool tmpcopyup = false;  // tmpfs: copy what the directory held underneath into it (runc's)
  std::string data;        // everything else, comma-joined, passed to the filesystem
};

MountOptions parse_mount_options(const std::vector<std::string>& options);
// Every option name parse_mount_options understands (for `features` mountOptions).
std::vector<std::string> known_mount_options();
// Propagation name ("rslave") -> flags; 0 for "".
unsigned long propagation_flags(const std::string& name);

}  // namespace nucleus::init
