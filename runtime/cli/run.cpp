// run = create + start, then (unless --detach) wait for the container's init, forward signals
// to it, proxy its terminal when process.terminal is set without --console-socket, and return
// its exit status (128+N when killed by signal N).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "oci/config.hpp"
#include "runtime/cli/args.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/log.hpp"
#include "runtime/util/error.hpp"
#include "runtime/util/fs.hpp"

namespace po = boost::program_options;

namespace nucleus::cli {

po::options_description create_options(const char* title);
CreateOptions create_options_from(const Parsed& p);

namespace {

UniqueFd recv_fd(int sock) {
  char data[256];
  iovec iov{data, sizeof data};
  alignas(cmsghdr) char buf[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = buf;
  msg.msg_controllen = sizeof buf;
  if (::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) < 0) throw_sys("receive the container's pty");
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) throw Error("receive the container's pty: no fd sent");
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return UniqueFd(fd);
}

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

int exit_code(int status) {
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace

int cmd_run(const GlobalOptions& g, const Args& args) {
  po::options_description d = create_options("run options");
  d.add_options()("detach,d", po::bool_switch(), "do not wait for the container")(
      "keep", po::bool_switch(), "keep the container after it exits (no delete)")(
      "no-subreaper", po::bool_switch(), "accepted for runc compatibility");
  Parsed p = parse(args, d, false);
  require_args(p, 1, "run");
  CreateOptions o = create_options_from(p);
  bool detach = p.vm["detach"].as<bool>();
  bool keep = p.vm["keep"].as<bool>();

  bool terminal = false;
  if (o.console_socket.empty()) {
    try {
      auto cfg = oci::parse_config(read_file(o.bundle + "/config.json"));
      terminal = cfg.process && cfg.process->terminal;
    } catch (const std::exception&) {
      // create reports the config error itself.
    }
  }
  if (terminal && detach)
    throw Error("cannot allocate tty if nucleus-oci will detach without setting console socket");
  UniqueFd tty_ours, tty_theirs;
  if (terminal) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) throw_sys("socketpair");
    tty_ours.reset(sv[0]);
    tty_theirs.reset(sv[1]);
    o.console_fd = tty_theirs.get();
  }

  sigset_t forward;
  sigfillset(&forward);
  for (int s :
       {SIGILL, SIGFPE, SIGSEGV, SIGBUS, SIGTRAP, SIGSTOP, SIGKILL, SIGTSTP, SIGTTIN, SIGTTOU})
    sigdelset(&forward, s);
  sigset_t old;
  if (!detach) sigprocmask(SIG_BLOCK, &forward, &old);

  pid_t pid = create_container(g, o);
  tty_theirs.reset();
  UniqueFd master;
  if (terminal) master = recv_fd(tty_ours.get());
  try {
    start_container(g, o.id);
  } catch (...) {
    if (!keep) {
      try {
        delete_container(g, o.id, true);
      } catch (const std::exception& e) {
        log::warn(e.what());
      }
    }
    throw;
  }
  if (detach) return 0;

  int sfd = ::signalfd(-1, &forward, SFD_CLOEXEC);
  if (sfd < 0) throw_sys("signalfd");
  UniqueFd sigfd(sfd);
  std::unique_ptr<RawTerminal> raw;
  if (master) {
    raw = std::make_unique<RawTerminal>();
    copy_winsize(master.get());
  }
  bool stdin_open = static_cast<bool>(master);
  int status = 0;
  for (;;) {
    pollfd fds[3];
    nfds_t n = 0;
    fds[n++] = {sigfd.get(), POLLIN, 0};
    if (master) fds[n++] = {master.get(), POLLIN, 0};
    if (master && stdin_open) fds[n++] = {0, POLLIN, 0};
    if (::poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      throw_sys("poll");
    }
    if (master && fds[1].revents) {
      if (!pump(master.get(), 1)) master.reset();
    }
    if (master && stdin_open && n > 2 && fds[2].revents) {
      if (!pump(0, master.get())) stdin_open = false;
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo si;
      if (::read(sigfd.get(), &si, sizeof si) != sizeof si) continue;
      int sig = static_cast<int>(si.ssi_signo);
      if (sig == SIGCHLD) {
        pid_t r;
        bool done = false;
        while ((r = ::waitpid(-1, &status, WNOHANG)) > 0)
          if (r == pid) done = true;
        if (done) break;
        continue;
      }
      if (sig == SIGWINCH && master) {
        copy_winsize(master.get());
        continue;
      }
      ::kill(pid, sig);
    }
  }
  if (master) {
    // Drain what the workload wrote just before it exited.
    ::fcntl(master.get(), F_SETFL, O_NONBLOCK);
    while (pump(master.get(), 1)) {
    }
  }
  raw.reset();
  sigprocmask(SIG_SETMASK, &old, nullptr);
  if (!keep) delete_container(g, o.id, true);
  return exit_code(status);
}

}  // namespace nucleus::cli
