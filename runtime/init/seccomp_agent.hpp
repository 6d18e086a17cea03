#pragma once
// The runtime-spec seccomp agent (linux.seccomp.listenerPath): a process whose filter has
// SCMP_ACT_NOTIFY rules hands its notify fd to the agent, with a containerProcessState JSON.
// The init and every exec'd process do it, as runc does.

#include <sys/types.h>

#include <string>

#include "oci/config.hpp"
#include "util/fd.hpp"

namespace nucleus::init {

// Connects to the agent of a profile whose filter uses SCMP_ACT_NOTIFY. Errors as runc's:
// "seccomp listenerPath is not set", "failed to connect with seccomp agent specified in the
// seccomp profile: ...". A profile without notify rules never connects (runc ignores its path).
UniqueFd connect_seccomp_agent(const oci::Seccomp& profile);

// Sends NOTIFY_FD to the agent: {"ociVersion","fds":["seccompFd"],"pid","metadata","state"}.
// PID is the process's pid on the host; STATE_JSON the container's state, "{}" when unknown.
void send_to_seccomp_agent(int agent, int notify_fd, pid_t pid, const oci::Seccomp& profile,
                           const std::string& state_json);

}  // namespace nucleus::init
