// Landlock for the container process: the ruleset of the org.nucleus.landlock annotation
// (oci/landlock.hpp), built inside the container after pivot_root (rule paths are container
// paths) and enforced right before exec, by the init and by every `exec`.
#pragma once

#include <cstdint>

#include "oci/landlock.hpp"
#include "util/fd.hpp"

namespace nucleus::init::landlock {

// The kernel's Landlock ABI version; 0 when the kernel has none (not built in: ENOSYS, or not
// enabled at boot: EOPNOTSUPP), with that errno in *err.
uint32_t abi_version(int* err = nullptr);

// Creates the ruleset, handling every filesystem right the kernel's ABI has (what no rule
// grants is denied), and adds the rules, each path opened O_PATH in the current root. Call it
// where paths resolve as the container sees them, while the caller can still open them all.
// Returns an empty fd when the rule list is bestEffort and the kernel has no Landlock. Errors:
// no Landlock, an ABI below the one required, a missing path (bestEffort: warns and goes on).
UniqueFd build_ruleset(const oci::Landlock& spec);

// Enforces the ruleset on the caller and what it execs; closes it. Needs no_new_privs or
// CAP_SYS_ADMIN (the init keeps CAP_SYS_ADMIN until then, as for seccomp).
void restrict_self(UniqueFd& ruleset);

}  // namespace nucleus::init::landlock
