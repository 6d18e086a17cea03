#include "util/process.hpp"

#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "util/fd.hpp"

namespace nucleus {
namespace {

// waitpid(WNOHANG): 1 reaped (or no such child), 0 still running.
int try_reap(pid_t pid, int* status) {
  int st = 0;
  pid_t r;
  do {
    r = ::waitpid(pid, &st, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return 0;
  if (r == pid && status) *status = st;
  return 1;
}

}  // namespace

bool reap_within(pid_t pid, int timeout_ms, int* status) {
  if (try_reap(pid, status)) return true;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left < 0) left = 0;
    if (pidfd) {
      // Readable once the process has exited.
      pollfd p{pidfd.get(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) < 0 && errno != EINTR) pidfd.reset();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(left < 10 ? left : 10));
    }
    if (try_reap(pid, status)) return true;
    if (left == 0) return false;
  }
}

}  // namespace nucleus
