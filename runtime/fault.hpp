// Fault injection for the tests: NUCLEUS_OCI_TEST_CRASH_AT=<step> makes the runtime SIGKILL
// itself when it reaches that step of create, exactly as if something killed it there. The
// tests then prove that `delete --force` cleans up from every such point. Steps of create, in
// order: state-dir, cloned, cgroup, prestart, ready, saved (see create_container). One step of
// the init itself: init-loaded, right after its exec of the sealed binary (init/handoff.cpp), or
// right after its clone when it is not exec'd (a sealed runtime): the init dies there, and
// create must fail with nothing left behind.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace nucleus {

inline void crash_point(const char* step) {
  static const char* at = std::getenv("NUCLEUS_OCI_TEST_CRASH_AT");
  if (!at || std::strcmp(at, step) != 0) return;
  // A pid namespace's init cannot SIGKILL itself (the kernel drops the signal): it just dies.
  if (::getpid() == 1) ::_exit(137);
  ::kill(::getpid(), SIGKILL);
}

}  // namespace nucleus
