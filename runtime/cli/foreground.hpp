// What run and exec do in the foreground: forward signals to the process, proxy its pty when
// the runtime itself holds the master, and return its exit status (128+N for signal N).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "util/fd.hpp"

namespace nucleus::cli {

// Blocks every forwardable signal in the calling process (call before creating the process,
// so nothing is lost); the destructor restores the old mask.
class ForwardedSignals {
 public:
  ForwardedSignals();
  ~ForwardedSignals();
  const sigset_t& set() const { return set_; }

 private:
  sigset_t set_;
  sigset_t old_;
};

// A socketpair standing in for --console-socket: the runtime receives the pty master itself.
struct ConsolePair {
  UniqueFd ours, theirs;
  static ConsolePair make();
  UniqueFd receive_master();
};

int wait_foreground(pid_t pid, const ForwardedSignals& sigs, UniqueFd master);

}  // namespace nucleus::cli
