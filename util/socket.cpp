#include "util/socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "util/error.hpp"

namespace nucleus {

UniqueFd connect_unix(const std::string& path, const std::string& what) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_sys("socket for " + what);
  UniqueFd s(fd);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw Error(what + " " + path + ": path too long");
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    throw_sys("connect to " + what + " " + path);
  return s;
}

UniqueFd listen_unix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_sys("socket for " + path);
  UniqueFd s(fd);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw Error(path + ": path too long for a socket");
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  ::unlink(path.c_str());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) throw_sys("bind " + path);
  if (::listen(fd, 16) < 0) throw_sys("listen on " + path);
  return s;
}

void send_fd(int sock, int fd, std::string_view payload) {
  msghdr msg{};
  char dummy = 0;
  iovec iov{payload.empty() ? &dummy : const_cast<char*>(payload.data()),
            payload.empty() ? 1 : payload.size()};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char buf[CMSG_SPACE(sizeof(int))];
  std::memset(buf, 0, sizeof buf);
  msg.msg_control = buf;
  msg.msg_controllen = sizeof buf;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  if (::sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) throw_sys("send a file descriptor over a socket");
}

UniqueFd recv_fd(int sock, std::string* payload) {
  char data[65536];
  iovec iov{data, sizeof data};
  alignas(cmsghdr) char buf[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = buf;
  msg.msg_controllen = sizeof buf;
  ssize_t n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0) throw_sys("receive a file descriptor");
  if (payload) payload->assign(data, static_cast<size_t>(n));
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
    throw Error("receive a file descriptor: none was sent");
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return UniqueFd(fd);
}

}  // namespace nucleus
