// Shared by the conformance tools that receive an fd from a runtime over a unix socket
// (--console-socket, --pidfd-socket): listen, accept one connection, receive one SCM_RIGHTS fd.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace tools {

// "PROGRAM: WHAT: errno text" on stderr, exit 1.
[[noreturn]] inline void die(const char* program, const std::string& what) {
  std::fprintf(stderr, "%s: %s: %s\n", program, what.c_str(), std::strerror(errno));
  std::exit(1);
}

// Listens on PATH: bound under a temporary name and renamed into place once it listens, so a
// caller can wait for PATH to exist.
inline int listen_on(const char* program, const std::string& path) {
  sockaddr_un addr{};
  std::string tmp = path + ".tmp" + std::to_string(::getpid());
  if (tmp.size() >= sizeof(addr.sun_path)) {
    errno = ENAMETOOLONG;
    die(program, "socket path " + path);
  }
  int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) die(program, "socket");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, tmp.c_str(), tmp.size() + 1);
  ::unlink(tmp.c_str());
  if (::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) die(program, "bind " + tmp);
  if (::listen(s, 1) < 0) die(program, "listen");
  if (::rename(tmp.c_str(), path.c_str()) < 0) die(program, "rename " + tmp + " -> " + path);
  return s;
}

// Accepts one connection on the listening socket S and receives one fd; the message's data
// goes to *payload when given. The socket file is removed.
inline int accept_fd(const char* program, int s, const std::string& path,
                     std::string* payload = nullptr) {
  int conn;
  do conn = ::accept4(s, nullptr, nullptr, SOCK_CLOEXEC);
  while (conn < 0 && errno == EINTR);
  if (conn < 0) die(program, "accept");
  char byte[256];
  iovec iov{byte, sizeof(byte)};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do n = ::recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) die(program, "recvmsg");
  ::close(conn);
  ::close(s);
  ::unlink(path.c_str());
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
        c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
      if (payload) payload->assign(byte, static_cast<size_t>(n));
      return fd;
    }
  }
  errno = EPROTO;
  die(program, "no file descriptor received (" + std::to_string(n) + " bytes of data)");
}

}  // namespace tools
