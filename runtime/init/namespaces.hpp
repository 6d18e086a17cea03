// Namespace planning (parent side) and entering (child side).
#pragma once

#include <string>

#include "oci/config.hpp"
#include "runtime/init/init.hpp"

namespace nucleus::init {

int namespace_flag(const std::string& type);  // "network" -> CLONE_NEWNET; 0 if unknown
// The spec's type names in the order namespaces are joined (user first, mount last).
const std::vector<std::string>& namespace_types();

// Fills ctx.clone_flags / unshare_flags / joins from linux.namespaces (opening every path).
void plan_namespaces(const oci::Linux& linux, Context& ctx);

// Parent side, after clone and before Go: writes uid_map/gid_map of the child.
void write_id_maps(pid_t pid, const oci::Linux& linux);

}  // namespace nucleus::init
