#include "runtime/cli/foreground.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "util/error.hpp"
#include "util/socket.hpp"

namespace nucleus::cli {
namespace {

class RawTerminal {
 public:
  RawTerminal() {
    if (!::isatty(0) || ::tcgetattr(0, &saved_) < 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(0, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(0, TCSANOW, &saved_);
  }

 private:
  termios saved_{};
  bool active_ = false;
};

void copy_winsize(int master) {
  winsize ws;
  if (::ioctl(0, TIOCGWINSZ, &ws) == 0) ::ioctl(master, TIOCSWINSZ, &ws);
}

bool pump(int from, int to) {
  char buf[8192];
  ssize_t n = ::read(from, buf, sizeof buf);
  if (n <= 0) return false;
  const char* p = buf;
  while (n > 0) {
    ssize_t w = ::write(to, p, static_cast<size_t>(n));
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= w;
  }
  return true;
}

}  // namespace

ForwardedSignals::ForwardedSignals() {
  sigfillset(&set_);
  for (int s :
       {SIGILL, SIGFPE, SIGSEGV, SIGBUS, SIGTRAP, SIGSTOP, SIGKILL, SIGTSTP, SIGTTIN, SIGTTOU})
    sigdelset(&set_, s);
  sigprocmask(SIG_BLOCK, &set_, &old_);
}

ForwardedSignals::~ForwardedSignals() {
  sigprocmask(SIG_SETMASK, &old_, nullptr);
}

ConsolePair ConsolePair::make() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    throw_sys("socketpair for the console");
  ConsolePair p;
  p.ours.reset(sv[0]);
  p.theirs.reset(sv[1]);
  return p;
}

UniqueFd ConsolePair::receive_master() {
  theirs.reset();
  return recv_fd(ours.get());
}

int wait_foreground(pid_t pid, const ForwardedSignals& sigs, UniqueFd master) {
  int sfd = ::signalfd(-1, &sigs.set(), SFD_CLOEXEC);
  if (sfd < 0) throw_sys("signalfd");
  UniqueFd sigfd(sfd);
  std::unique_ptr<RawTerminal> raw;
  if (master) {
    raw = std::make_unique<RawTerminal>();
    copy_winsize(master.get());
  }
  bool stdin_open = static_cast<bool>(master);
  int status = 0;
  // The process may have exited before the signalfd existed.
  if (::waitpid(pid, &status, WNOHANG) == pid) goto done;
  for (;;) {
    pollfd fds[3];
    nfds_t n = 0;
    fds[n++] = {sigfd.get(), POLLIN, 0};
    int mi = -1, ii = -1;
    if (master) mi = static_cast<int>(n), fds[n++] = {master.get(), POLLIN, 0};
    if (master && stdin_open) ii = static_cast<int>(n), fds[n++] = {0, POLLIN, 0};
    if (::poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      throw_sys("poll");
    }
    if (mi >= 0 && fds[mi].revents && !pump(master.get(), 1)) master.reset();
    if (ii >= 0 && fds[ii].revents && !pump(0, master.get())) stdin_open = false;
    if (!(fds[0].revents & POLLIN)) continue;
    signalfd_siginfo si;
    if (::read(sigfd.get(), &si, sizeof si) != sizeof si) continue;
    int sig = static_cast<int>(si.ssi_signo);
    if (sig == SIGCHLD) {
      pid_t r;
      bool exited = false;
      while ((r = ::waitpid(-1, &status, WNOHANG)) > 0)
        if (r == pid) exited = true;
      if (exited) break;
      continue;
    }
    if (sig == SIGWINCH && master) {
      copy_winsize(master.get());
      continue;
    }
    ::kill(pid, sig);
  }
done:
  if (master) {
    ::fcntl(master.get(), F_SETFL, O_NONBLOCK);
    while (pump(master.get(), 1)) {
    }
  }
  raw.reset();
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace nucleus::cli
