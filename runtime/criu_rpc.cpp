#include "runtime/criu_rpc.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "util/error.hpp"

namespace nucleus::criu {

void Message::raw_varint(uint64_t v) {
  while (v >= 0x80) {
    data_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  data_.push_back(static_cast<char>(v));
}

Message& Message::varint(int field, uint64_t v) {
  raw_varint(static_cast<uint64_t>(field) << 3);  // wire type 0
  raw_varint(v);
  return *this;
}

Message& Message::bytes(int field, std::string_view v) {
  raw_varint((static_cast<uint64_t>(field) << 3) | 2);  // wire type 2 (length-delimited)
  raw_varint(v.size());
  data_.append(v);
  return *this;
}

namespace {

uint64_t read_varint(std::string_view d, size_t& i) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (i >= d.size()) throw Error("criu: truncated response");
    auto b = static_cast<unsigned char>(d[i++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  throw Error("criu: malformed varint in response");
}

}  // namespace

Fields Fields::parse(std::string_view d) {
  Fields f;
  size_t i = 0;
  while (i < d.size()) {
    uint64_t key = read_varint(d, i);
    int field = static_cast<int>(key >> 3);
    switch (key & 7) {
      case 0:
        f.ints.emplace(field, read_varint(d, i));
        break;
      case 1:
        if (i + 8 > d.size()) throw Error("criu: truncated response");
        i += 8;
        break;
      case 2: {
        uint64_t n = read_varint(d, i);
        if (n > d.size() - i) throw Error("criu: truncated response");
        f.strings.emplace(field, std::string(d.substr(i, n)));
        i += n;
        break;
      }
      case 5:
        if (i + 4 > d.size()) throw Error("criu: truncated response");
        i += 4;
        break;
      default:
        throw Error("criu: unknown wire type in response");
    }
  }
  return f;
}

uint64_t Fields::get_int(int field, uint64_t dflt) const {
  auto it = ints.find(field);
  return it == ints.end() ? dflt : it->second;
}

std::string Fields::get_string(int field) const {
  auto it = strings.find(field);
  return it == strings.end() ? std::string() : it->second;
}

std::string find_criu() {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string dir = p.substr(start, end - start);
    std::string cand = (dir.empty() ? std::string(".") : dir) + "/criu";
    struct stat st;
    if (::stat(cand.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(cand.c_str(), X_OK) == 0)
      return cand;
    start = end + 1;
  }
  throw Error("exec: \"criu\": executable file not found in $PATH", ENOENT);
}

Swrk::Swrk(const std::string& criu, const int stdio[3], const std::vector<int>& extra) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    throw_sys("criu: socketpair");
  sock_ = UniqueFd(sv[0]);
  UniqueFd server(sv[1]);
  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull) throw_sys("open /dev/null");
  // Everything the child needs is prepared here: it only makes syscalls.
  std::vector<int> src{stdio[0] >= 0 ? stdio[0] : devnull.get(),
                       stdio[1] >= 0 ? stdio[1] : devnull.get(),
                       stdio[2] >= 0 ? stdio[2] : devnull.get(), server.get()};
  src.insert(src.end(), extra.begin(), extra.end());
  const char* argv[] = {criu.c_str(), "swrk", "3", nullptr};
  const int base = 1000;  // above anything the targets could be
  pid_ = ::fork();
  if (pid_ < 0) throw_sys("criu: fork");
  if (pid_ == 0) {
    // first out of the way (a source may be one of the targets), then into place
    for (size_t i = 0; i < src.size(); ++i)
      if (::fcntl(src[i], F_DUPFD_CLOEXEC, base + static_cast<int>(i)) !=
          base + static_cast<int>(i))
        _exit(127);
    for (size_t i = 0; i < src.size(); ++i)
      if (::dup2(base + static_cast<int>(i), static_cast<int>(i)) < 0) _exit(127);
    ::sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], const_cast<char* const*>(argv));
    _exit(127);
  }
}

Swrk::~Swrk() {
  if (pid_ > 0) {
    sock_.reset();
    int st;
    // criu exits once its socket is closed; a hung one is killed after a second
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, &st, WNOHANG) != 0) return;
      ::usleep(10000);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &st, 0);
  }
}

int Swrk::finish() {
  sock_.reset();
  int st = 0;
  while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return st;
}

Response Swrk::call(const Message& req, const std::function<void(Notify&)>& on_notify) {
  const Message* out = &req;
  Message ack;
  for (;;) {
    if (::send(sock_.get(), out->data().data(), out->data().size(), MSG_NOSIGNAL) < 0)
      throw_sys("criu: send request");
    std::string buf(10 * 4096, '\0');
    alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * 4)];
    iovec iov{buf.data(), buf.size()};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof(cbuf);
    ssize_t n;
    while ((n = ::recvmsg(sock_.get(), &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
    }
    if (n < 0) throw_sys("criu: read response");
    UniqueFd passed;
    for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c), sizeof(fd));
        passed = UniqueFd(fd);
      }
    if (n == 0) throw Error("criu: unexpected EOF (criu exited without an answer)");
    if (static_cast<size_t>(n) == buf.size()) throw Error("criu: response buffer is too small");
    Response r;
    r.all = Fields::parse(std::string_view(buf.data(), n));
    r.type = static_cast<int>(r.all.get_int(1));
    r.success = r.all.get_int(2) != 0;
    r.cr_errno = static_cast<int>(r.all.get_int(7));
    r.cr_errmsg = r.all.get_string(9);
    if (!r.success || r.type != kNotify) return r;
    Fields nf = Fields::parse(r.all.get_string(5));
    Notify note{nf.get_string(1), static_cast<pid_t>(nf.get_int(2)), std::move(passed)};
    if (on_notify) on_notify(note);
    ack = Message();
    ack.varint(1, kNotify).boolean(3, true);  // type, notify_success
    out = &ack;
  }
}

int version(const std::string& criu) {
  int stdio[3] = {-1, -1, -1};
  Swrk s(criu, stdio, {});
  Message req;
  req.varint(1, kVersion);
  Response r = s.call(req);
  s.finish();
  if (!r.success || r.type != kVersion || !r.all.strings.count(10))
    throw Error("CRIU version check failed: criu answered no version");
  Fields v = Fields::parse(r.all.get_string(10));
  return static_cast<int>(v.get_int(1) * 10000 + v.get_int(2) * 100 + v.get_int(4));
}

}  // namespace nucleus::criu
