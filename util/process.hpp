// Waiting for processes with a bound: a process in a frozen cgroup v1 freezer does not even die
// of SIGKILL until it is thawed, so an unbounded waitpid on it is a hang.
#pragma once

#include <sys/types.h>

namespace nucleus {

// Waits up to timeout_ms for the child `pid` to exit and reaps it. True when it is reaped (or
// was already: no such child), with its wait status in *status when given.
bool reap_within(pid_t pid, int timeout_ms, int* status = nullptr);

}  // namespace nucleus
