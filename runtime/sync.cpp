#include "runtime/sync.hpp"

#include <sys/socket.h>

#include <cstring>
#include <vector>

#include "util/error.hpp"

namespace nucleus {

void SyncChannel::make_pair(SyncChannel& parent, SyncChannel& child) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    throw_sys("socketpair for the init sync channel");
  parent = SyncChannel(UniqueFd(sv[0]));
  child = SyncChannel(UniqueFd(sv[1]));
}

void SyncChannel::send(SyncType type, std::string_view payload, int fd) {
  send(type, payload, fd >= 0 ? std::vector<int>{fd} : std::vector<int>{});
}

void SyncChannel::send(SyncType type, std::string_view payload, const std::vector<int>& fds) {
  if (fds.size() > kMaxFds) throw Error("init sync channel: too many fds for one message");
  std::string buf(sizeof(uint32_t), '\0');
  uint32_t t = static_cast<uint32_t>(type);
  std::memcpy(buf.data(), &t, sizeof t);
  buf.append(payload.substr(0, 60000));
  iovec iov{buf.data(), buf.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * kMaxFds)];
  if (!fds.empty()) {
    std::memset(cbuf, 0, sizeof cbuf);
    msg.msg_control = cbuf;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  for (;;) {
    ssize_t n = ::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL);
    if (n >= 0) return;
    if (errno != EINTR) throw_sys("send on init sync channel");
  }
}

bool SyncChannel::recv(SyncMsg& msg) {
  // One buffer per channel: a fresh zeroed 64 KiB per message was a memset and new pages each
  // time, a dozen times on the init's critical path.
  std::vector<char>& buf = buf_;
  if (buf.empty()) buf.resize(65536);
  bool reset_seen = false;
  for (;;) {
    iovec iov{buf.data(), buf.size()};
    msghdr hdr{};
    hdr.msg_iov = &iov;
    hdr.msg_iovlen = 1;
    alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * kMaxFds)];
    hdr.msg_control = cbuf;
    hdr.msg_controllen = sizeof cbuf;
    ssize_t n = ::recvmsg(fd_.get(), &hdr, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    // The peer closed with a message of ours still unread (it failed before reading it): the
    // kernel reports ECONNRESET once, ahead of what the peer sent before closing (its Error).
    // The error is one-shot; the queued messages, then EOF, follow.
    if (n < 0 && errno == ECONNRESET && !reset_seen) {
      reset_seen = true;
      continue;
    }
    if (n < 0) throw_sys("receive on init sync channel");
    if (n == 0) return false;
    if (static_cast<size_t>(n) < sizeof(uint32_t)) throw Error("init sync channel: short message");
    uint32_t t;
    std::memcpy(&t, buf.data(), sizeof t);
    msg.type = static_cast<SyncType>(t);
    msg.payload.assign(buf.data() + sizeof t, static_cast<size_t>(n) - sizeof t);
    msg.fd.reset();
    msg.more.clear();
    for (cmsghdr* c = CMSG_FIRSTHDR(&hdr); c; c = CMSG_NXTHDR(&hdr, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        if (!msg.fd)
          msg.fd.reset(fd);
        else
          msg.more.emplace_back(fd);
      }
    }
    if (hdr.msg_flags & MSG_CTRUNC) throw Error("init sync channel: fds truncated");
    return true;
  }
}

void SyncChannel::throw_peer_error() {
  for (SyncMsg m; recv(m);)
    if (m.type == SyncType::Error) throw Error(m.payload);
}

SyncMsg SyncChannel::expect(SyncType want, std::string_view what) {
  SyncMsg m;
  if (!recv(m)) throw Error(std::string(what) + ": the other side exited");
  if (m.type == SyncType::Error) throw Error(m.payload);
  if (m.type != want)
    throw Error(std::string(what) + ": unexpected sync message " +
                std::to_string(static_cast<uint32_t>(m.type)));
  return m;
}

std::string go_payload(pid_t host_pid, const std::string& state_json) {
  return std::to_string(host_pid) + "\n" + state_json;
}

void parse_go_payload(const std::string& payload, pid_t& host_pid, std::string& state_json) {
  auto nl = payload.find('\n');
  if (nl == 0 || payload.empty()) return;
  host_pid = static_cast<pid_t>(std::stol(payload.substr(0, nl)));
  state_json = nl == std::string::npos ? "" : payload.substr(nl + 1);
}

}  // namespace nucleus
