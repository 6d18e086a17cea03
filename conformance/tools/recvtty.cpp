// recvtty: the receiving end of a runtime's --console-socket (like runc's contrib/cmd/recvtty).
//
//   recvtty [--mode single|file] [--out FILE] [--no-stdin] SOCKET
//
// Listens on the unix socket SOCKET (bound under a temporary name and renamed into place once
// it listens, so a caller can wait for SOCKET to exist), accepts one connection, receives one
// file descriptor over SCM_RIGHTS (the pty master), then
//   single (default): copies the master to stdout and stdin to the master until the master
//                     reports EOF/EIO (every slave closed: the container's processes exited);
//   file:             prints "ok" on stdout, then appends everything read from the master to
//                     FILE (--out, required) until EOF/EIO.
// Exit: 0 after the master closed, 1 on errors (message on stderr), 2 on usage errors.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fd_socket.hpp"

namespace {

[[noreturn]] void die(const std::string& what) {
  tools::die("recvtty", what);
}

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: recvtty [--mode single|file] [--out FILE] [--no-stdin] SOCKET\n");
  std::exit(2);
}

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Copies master -> out (and in -> master when in >= 0) until the master reports EOF or EIO.
void pump(int master, int out, int in) {
  char buf[4096];
  for (;;) {
    pollfd fds[2] = {{master, POLLIN, 0}, {in, POLLIN, 0}};
    int nfds = in >= 0 ? 2 : 1;
    if (::poll(fds, nfds, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(master, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // EIO: every slave closed
      if (!write_all(out, buf, static_cast<size_t>(n))) die("write");
    }
    if (nfds == 2 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = ::read(in, buf, sizeof(buf));
      if (n <= 0) {
        in = -1;  // stdin closed: keep reading the master
        continue;
      }
      if (!write_all(master, buf, static_cast<size_t>(n))) die("write to the pty master");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = "single", out_path, socket_path;
  bool use_stdin = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--mode" || a == "-m") && i + 1 < argc)
      mode = argv[++i];
    else if (a.rfind("--mode=", 0) == 0)
      mode = a.substr(7);
    else if ((a == "--out" || a == "-o") && i + 1 < argc)
      out_path = argv[++i];
    else if (a.rfind("--out=", 0) == 0)
      out_path = a.substr(6);
    else if (a == "--no-stdin")
      use_stdin = false;
    else if (!a.empty() && a[0] == '-')
      usage();
    else if (socket_path.empty())
      socket_path = a;
    else
      usage();
  }
  if (socket_path.empty() || (mode != "single" && mode != "file")) usage();
  if (mode == "file" && out_path.empty()) usage();

  int s = tools::listen_on("recvtty", socket_path);
  int master = tools::accept_fd("recvtty", s, socket_path);

  struct stat st {};
  if (::fstat(master, &st) < 0) die("fstat of the received fd");
  if (!S_ISCHR(st.st_mode)) {
    errno = ENOTTY;
    die("the received fd is not a character device");
  }

  if (mode == "file") {
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out < 0) die("open " + out_path);
    if (!write_all(STDOUT_FILENO, "ok\n", 3)) die("write");
    pump(master, out, -1);
    ::close(out);
  } else {
    pump(master, STDOUT_FILENO, use_stdin ? STDIN_FILENO : -1);
  }
  ::close(master);
  return 0;
}
