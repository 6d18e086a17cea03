// Runs OCI hooks: the state JSON on stdin, the hook's env and args, its timeout.
#pragma once

#include <string>
#include <vector>

#include "oci/config.hpp"

namespace nucleus {

// Runs one hook to completion. Throws nucleus::Error naming the hook, its exit status or
// timeout, and what it wrote to stdout/stderr.
void run_hook(const oci::Hook& hook, const std::string& state_json, const std::string& kind);
// Runs each hook in order; stops at the first failure (throws).
void run_hooks(const std::vector<oci::Hook>& hooks, const std::string& state_json,
               const std::string& kind);
// Runs each hook in order; failures are logged as warnings and the rest still run
// (poststart and poststop semantics).
void run_hooks_warn(const std::vector<oci::Hook>& hooks, const std::string& state_json,
                    const std::string& kind);

}  // namespace nucleus
