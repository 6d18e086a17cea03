#include "runtime/init/handoff.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "oci/config.hpp"
#include "oci/landlock.hpp"
#include "runtime/fault.hpp"
#include "runtime/log.hpp"
#include "runtime/sealed_exe.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

extern char** environ;

namespace nucleus::init {
namespace {

constexpr std::string_view kMagic = "nucleus-oci init handoff 1\n";

class Writer {
 public:
  Writer() : out_(kMagic) {}
  void num(int64_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void str(std::string_view s) {
    num(static_cast<int64_t>(s.size()));
    out_.append(s);
  }
  const std::string& bytes() const { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {
    if (in_.substr(0, kMagic.size()) != kMagic) throw Error("init: not a handoff from create");
    pos_ = kMagic.size();
  }
  int64_t num() {
    int64_t v;
    need(sizeof v);
    std::memcpy(&v, in_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  std::string str() { return std::string(view()); }
  // Valid as long as the input is.
  std::string_view view() {
    int64_t n = num();
    if (n < 0) throw Error("init: corrupt handoff");
    need(static_cast<size_t>(n));
    std::string_view s = in_.substr(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return s;
  }

 private:
  void need(size_t n) const {
    if (in_.size() - pos_ < n) throw Error("init: truncated handoff");
  }
  std::string_view in_;
  size_t pos_ = 0;
};

std::string serialize(const Context& ctx, const std::string& config_text) {
  Writer w;
  w.str(config_text);
  w.str(ctx.id);
  w.str(ctx.bundle);
  w.str(ctx.rootfs);
  for (int fd : channel_fds(ctx)) w.num(fd);
  w.num(log::json_enabled());
  w.num(log::debug_enabled());
  w.num(ctx.preserve_fds);
  w.num(ctx.no_pivot);
  w.num(ctx.no_new_keyring);
  w.num(ctx.clone_flags);
  w.num(ctx.unshare_flags);
  w.num(static_cast<int64_t>(ctx.joins.size()));
  for (const auto& j : ctx.joins) {
    w.num(j.clone_flag);
    w.str(j.type);
    w.num(j.fd.get());
  }
  w.num(ctx.seccomp.has_value());
  w.str(ctx.seccomp ? ctx.seccomp->serialize() : "");
  w.str(ctx.cgroup_path);
  w.num(static_cast<int64_t>(ctx.cgroup_v1.size()));
  for (const auto& [controller, mount] : ctx.cgroup_v1) {
    w.str(controller);
    w.str(mount);
  }
  w.str(ctx.cgroup_v2);
  return w.bytes();
}

UniqueFd adopt_fd(int64_t fd) {
  return UniqueFd(fd >= 0 ? static_cast<int>(fd) : -1);
}

}  // namespace

InitExec::InitExec(const Context& ctx, int sealed_exe, const std::string& config_text,
                   int parent_end)
    : sealed_(sealed_exe), parent_end_(parent_end), sync_(ctx.sync.fd()) {
  int mfd = ::memfd_create("nucleus-oci-init", MFD_CLOEXEC);
  if (mfd < 0) throw_sys("memfd_create (init handoff)");
  memfd_.reset(mfd);
  write_all(memfd_.get(), serialize(ctx, config_text), "the init handoff");
  keep_.push_back(memfd_.get());
  for (int fd : channel_fds(ctx))
    if (fd >= 0) keep_.push_back(fd);
  for (const auto& j : ctx.joins)
    if (j.fd) keep_.push_back(j.fd.get());
  fd_arg_ = std::to_string(memfd_.get());
  argv_ = {"nucleus-oci", "init", fd_arg_.c_str(), nullptr};
  envp_ = environ;
}

int InitExec::child_entry(void* self) noexcept {
  const InitExec& x = *static_cast<const InitExec*>(self);
  // Not dumpable from the first instruction: the runtime binary is this process's exe until the
  // exec below.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  ::close(x.parent_end_);
  for (int fd : x.keep_) ::fcntl(fd, F_SETFD, 0);  // open across the exec
  ::syscall(SYS_execveat, x.sealed_, "", x.argv_.data(), x.envp_, AT_EMPTY_PATH);
  // An Error message for the runtime, built on this stack (no allocation: the memory may be the
  // runtime's).
  int err = errno;
  char msg[256];
  uint32_t type = static_cast<uint32_t>(SyncType::Error);
  std::memcpy(msg, &type, sizeof type);
  int n = std::snprintf(msg + sizeof type, sizeof msg - sizeof type, "exec the sealed init: %s",
                        strerrordesc_np(err) ? strerrordesc_np(err) : "unknown error");
  if (n > 0)
    ::send(x.sync_, msg, sizeof type + std::min<size_t>(n, sizeof msg - sizeof type - 1),
           MSG_NOSIGNAL);
  ::_exit(1);
}

void run_from_handoff(const char* fd_arg) {
  // Until the Context is back, errors go to stderr (the sync socket is not known yet).
  Context ctx;
  std::unique_ptr<oci::Config> config;
  try {
    char* end = nullptr;
    long n = std::strtol(fd_arg, &end, 10);
    if (!end || *end || n < 3) throw Error("init: internal command, started by create only");
    UniqueFd mem(static_cast<int>(n));
    // Not dumpable again at once (exec made it dumpable): see init::run.
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    crash_point("init-loaded");
    if (!exe_is_sealed()) throw Error("init: refusing to run from an unsealed binary");
    // Mapped, not read: the config text and the filter are used in place (a read copied ~20 KB
    // into fresh heap pages, 60 us of the init's critical path).
    struct stat st;
    if (::fstat(mem.get(), &st) < 0) throw_sys("init: stat the handoff");
    const size_t size = static_cast<size_t>(st.st_size);
    void* map = size ? ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, mem.get(), 0) : MAP_FAILED;
    if (map == MAP_FAILED) throw_sys("init: map the handoff", size ? errno : EINVAL);
    mem.reset();
    struct Unmap {
      void* p;
      size_t n;
      ~Unmap() { ::munmap(p, n); }
    } unmap{map, size};
    Reader r(std::string_view(static_cast<const char*>(map), size));
    std::string_view text = r.view();
    ctx.id = r.str();
    ctx.bundle = r.str();
    ctx.rootfs = r.str();
    ctx.sync = SyncChannel(adopt_fd(r.num()));
    ctx.exec_fifo = adopt_fd(r.num());
    ctx.console = adopt_fd(r.num());
    ctx.pidfd_sock = adopt_fd(r.num());
    ctx.seccomp_listener = adopt_fd(r.num());
    ctx.trace_sock = adopt_fd(r.num());
    int log_fd = static_cast<int>(r.num());
    bool json = r.num() != 0;
    bool debug = r.num() != 0;
    log::adopt(log_fd, json, debug);
    ctx.preserve_fds = static_cast<int>(r.num());
    ctx.no_pivot = r.num() != 0;
    ctx.no_new_keyring = r.num() != 0;
    ctx.clone_flags = static_cast<int>(r.num());
    ctx.unshare_flags = static_cast<int>(r.num());
    for (int64_t i = 0, joins = r.num(); i < joins; ++i) {
      NamespaceJoin j;
      j.clone_flag = static_cast<int>(r.num());
      j.type = r.str();
      j.fd = adopt_fd(r.num());
      ctx.joins.push_back(std::move(j));
    }
    bool has_seccomp = r.num() != 0;
    std::string_view filter = r.view();
    if (has_seccomp) {
      auto f = seccomp::Filter::deserialize(filter);
      if (!f) throw Error("init: corrupt seccomp filter in the handoff");
      ctx.seccomp.emplace(std::move(*f));
    }
    ctx.cgroup_path = r.str();
    for (int64_t i = 0, n_v1 = r.num(); i < n_v1; ++i) {
      std::string controller = r.str();
      ctx.cgroup_v1[controller] = r.str();
    }
    ctx.cgroup_v2 = r.str();
    // The same config.json text create parsed and validated, parsed again the same way.
    // (The rules are left out: the init has the compiled filter.)
    config = std::make_unique<oci::Config>(oci::parse_config(text, "config.json", false));
    if (!config->linux) config->linux.emplace();
    ctx.landlock = oci::landlock_from_annotations(config->annotations);
    ctx.config = config.get();
  } catch (const std::exception& e) {
    report_error(ctx, e.what());
    _exit(1);
  }
  run(ctx);
}

std::array<int, 7> channel_fds(const Context& ctx) {
  return {ctx.sync.fd(),
          ctx.exec_fifo.get(),
          ctx.console.get(),
          ctx.pidfd_sock.get(),
          ctx.seccomp_listener.get(),
          ctx.trace_sock.get(),
          log::fd()};
}

}  // namespace nucleus::init
