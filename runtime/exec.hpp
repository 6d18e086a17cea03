// exec: a new process inside a running container: its namespaces, cgroup, capabilities,
// rlimits, seccomp, user and no_new_privs.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>

#include "oci/config.hpp"
#include "runtime/container.hpp"

namespace nucleus {

struct ExecOptions {
  std::string id;
  oci::Process process;
  std::string pid_file;
  std::string console_socket;
  int console_fd = -1;       // already connected (the CLI's own pty proxy)
  std::string pidfd_socket;  // --pidfd-socket: the process sends a pidfd of itself there
  int preserve_fds = 0;
  bool ignore_paused = false;
  // --cgroup: sub-cgroups of the container's to run in (cgroups::Manager::sub_cgroup's keys).
  std::map<std::string, std::string> sub_cgroups;
};

// The container's config.json process, for the CLI to start from.
oci::Process container_process(const GlobalOptions& g, const std::string& id);

// Starts the process; returns its pid (a child of the caller) once it has exec'd. Throws with
// the real cause when it could not start ("executable file not found in $PATH").
pid_t exec_in_container(const GlobalOptions& g, const ExecOptions& o);

}  // namespace nucleus
