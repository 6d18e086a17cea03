// pidfd-kill: the receiving end of a runtime's --pidfd-socket (like runc's tests/cmd/pidfd-kill).
//
//   pidfd-kill [--signal N] SOCKET
//
// Listens on the unix socket SOCKET (it exists once the listener is ready), accepts one
// connection and receives one pidfd with its message ("standard" from an init, "setns" from
// an exec'd process). Prints "MESSAGE PID" (the pid in this tool's pid namespace, from the
// pidfd's fdinfo), waits (up to 60 s) for SIGUSR1, sends signal N (default SIGKILL) through the
// pidfd, and waits up to 10 s for the process to exit; prints "exited" then.
// Exit: 0 once the process exited, 1 on errors or when it did not exit in time, 2 on usage errors.
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <string>

#include "fd_socket.hpp"

namespace {

[[noreturn]] void die(const std::string& what) {
  tools::die("pidfd-kill", what);
}

std::string pid_of(int pidfd) {
  std::ifstream in("/proc/self/fdinfo/" + std::to_string(pidfd));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Pid:", 0) == 0) return line.substr(line.find_first_not_of(" \t", 4));
  errno = EBADF;
  die("the received fd is not a pidfd (no Pid: in its fdinfo)");
}

}  // namespace

int main(int argc, char** argv) {
  int sig = SIGKILL;
  std::string socket_path;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--signal" && i + 1 < argc)
      sig = std::stoi(argv[++i]);
    else if (socket_path.empty() && !a.empty() && a[0] != '-')
      socket_path = a;
    else {
      std::fprintf(stderr, "usage: pidfd-kill [--signal N] SOCKET\n");
      return 2;
    }
  }
  if (socket_path.empty()) {
    std::fprintf(stderr, "usage: pidfd-kill [--signal N] SOCKET\n");
    return 2;
  }
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, nullptr);
  std::string message;
  int s = tools::listen_on("pidfd-kill", socket_path);
  int pidfd = tools::accept_fd("pidfd-kill", s, socket_path, &message);
  std::printf("%s %s\n", message.c_str(), pid_of(pidfd).c_str());
  std::fflush(stdout);
  timespec wait_for_usr1{60, 0};
  if (::sigtimedwait(&usr1, nullptr, &wait_for_usr1) < 0) die("waiting for SIGUSR1");
  if (::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) < 0) die("pidfd_send_signal");
  pollfd p{pidfd, POLLIN, 0};
  int r;
  do r = ::poll(&p, 1, 10000);
  while (r < 0 && errno == EINTR);
  if (r < 0) die("poll the pidfd");
  if (r == 0) {
    std::fprintf(stderr, "pidfd-kill: the process did not exit within 10 s\n");
    return 1;
  }
  std::printf("exited\n");
  return 0;
}
