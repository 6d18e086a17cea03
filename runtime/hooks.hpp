// Runs OCI hooks: the state JSON on stdin, the hook's env and args, its timeout.
#pragma once

#include <string>
#include <vector>

#include "oci/config.hpp"

namespace nucleus {

// Where and with what a hook runs, as runc runs it.
struct HookOptions {
  // The hook's working directory: the bundle for the runtime's hooks (runc chdirs there),
  // the root filesystem for createContainer (before pivot_root). Empty: the caller's. A
  // directory that is gone leaves the caller's.
  std::string cwd;
  // The environment of a hook without `env`: the process's for startContainer; nullptr: the
  // caller's own environment (runc: Go's exec.Cmd with a nil Env).
  const std::vector<std::string>* env = nullptr;
};

// Runs hook #index of its kind to completion. Throws nucleus::Error in runc's words:
// "error running prestart hook #1: exit status 1, stdout: ..., stderr: ...".
void run_hook(const oci::Hook& hook, const std::string& state_json, const std::string& kind,
              size_t index, const HookOptions& opts = {});
// Runs each hook in order; stops at the first failure (throws).
void run_hooks(const std::vector<oci::Hook>& hooks, const std::string& state_json,
               const std::string& kind, const HookOptions& opts = {});
// Runs each hook in order; failures are logged as warnings and the rest still run
// (poststop semantics).
void run_hooks_warn(const std::vector<oci::Hook>& hooks, const std::string& state_json,
                    const std::string& kind, const HookOptions& opts = {});

}  // namespace nucleus
