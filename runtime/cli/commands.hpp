// One function per CLI command (one file each under runtime/cli/). Each returns the process
// exit status; errors are thrown as nucleus::Error and printed by main.
#pragma once

#include <string>
#include <vector>

#include "runtime/container.hpp"

namespace nucleus::cli {

using Args = std::vector<std::string>;

int cmd_create(const GlobalOptions& g, const Args& args);
int cmd_start(const GlobalOptions& g, const Args& args);
int cmd_run(const GlobalOptions& g, const Args& args);
int cmd_state(const GlobalOptions& g, const Args& args);
int cmd_kill(const GlobalOptions& g, const Args& args);
int cmd_delete(const GlobalOptions& g, const Args& args);
int cmd_list(const GlobalOptions& g, const Args& args);
int cmd_spec(const GlobalOptions& g, const Args& args);
int cmd_pause(const GlobalOptions& g, const Args& args);
int cmd_resume(const GlobalOptions& g, const Args& args);
int cmd_ps(const GlobalOptions& g, const Args& args);
int cmd_exec(const GlobalOptions& g, const Args& args);
int cmd_features(const GlobalOptions& g, const Args& args);
int cmd_update(const GlobalOptions& g, const Args& args);
int cmd_events(const GlobalOptions& g, const Args& args);
int cmd_seccomp(const GlobalOptions& g, const Args& args);
int cmd_checkpoint(const GlobalOptions& g, const Args& args);
int cmd_restore(const GlobalOptions& g, const Args& args);

// Absolute form of a path given on the command line (relative to the cwd).
std::string absolute(const std::string& path);

}  // namespace nucleus::cli
