// The config.json `spec` writes: runc's default spec (and its rootless variant).
#pragma once

#include <string>

namespace nucleus::oci {

// runc's libcontainer/specconv Example() as `runc spec` writes it: json.MarshalIndent with a tab,
// Go's field order, no trailing newline; ociVersion kSpecVersion, hostname "nucleus".
// `rootless` applies ToRootless: no network namespace, a user namespace mapping container 0 to
// `euid`/`egid` (pass geteuid()/getegid(): this module makes no system calls), /sys rbind-mounted,
// no uid=/gid= mount options, no linux.resources. `cgroup_ns` adds a cgroup namespace, as runc
// does where /sys/fs/cgroup is cgroup2 (unified mode) only.
std::string default_spec_json(bool rootless, unsigned euid = 0, unsigned egid = 0,
                              bool cgroup_ns = false);

}  // namespace nucleus::oci
