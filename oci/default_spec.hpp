// The config.json `spec` writes: runc's default spec (and its rootless variant).
#pragma once

#include <string>

namespace nucleus::oci {

// Tab-indented like `runc spec`. `rootless`: a user namespace mapping the caller's euid to 0,
// no network namespace, /sys bind-mounted, no cgroup resources.
std::string default_spec_json(bool rootless, unsigned euid = 0, unsigned egid = 0);

}  // namespace nucleus::oci
