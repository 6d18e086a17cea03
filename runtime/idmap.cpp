#include "runtime/idmap.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/init/mount_options.hpp"
#include "runtime/init/namespaces.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/socket.hpp"

namespace nucleus {

bool mount_is_idmapped(const oci::Mount& m) {
  return !m.uid_mappings.empty() || !m.gid_mappings.empty() ||
         init::parse_mount_options(m.options).idmap;
}

bool config_uses_idmap(const oci::Config& cfg) {
  for (const auto& m : cfg.mounts)
    if (mount_is_idmapped(m)) return true;
  return false;
}

void check_idmapped_mounts(const oci::Config& cfg) {
  const oci::Namespace* user = cfg.linux ? cfg.linux->find_namespace("user") : nullptr;
  for (size_t i = 0; i < cfg.mounts.size(); ++i) {
    const oci::Mount& m = cfg.mounts[i];
    if (!mount_is_idmapped(m)) continue;
    std::string field = "config.json: mounts[" + std::to_string(i) + "]: ";
    if (m.type != "bind" && !init::parse_mount_options(m.options).bind)
      throw Error(field + "id-mapped mounts are only supported for bind-mounts");
    if (::geteuid() != 0)
      throw Error(field + "id-mapped mounts are not supported for rootless containers");
    // Without mappings of its own the mount takes the container's user namespace: a new one
    // has the config's mappings, a joined one (path) whatever it has.
    bool own = !m.uid_mappings.empty() || !m.gid_mappings.empty();
    bool has_both = own ? !m.uid_mappings.empty() && !m.gid_mappings.empty()
                        : user && (!user->path.empty() || (!cfg.linux->uid_mappings.empty() &&
                                                           !cfg.linux->gid_mappings.empty()));
    if (!has_both)
      throw Error(field + "id-mapped mounts must have both uid and gid mappings specified");
  }
}

UniqueFd make_userns(const std::vector<oci::IDMapping>& uids,
                     const std::vector<oci::IDMapping>& gids) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) < 0) throw_sys("pipe for an idmap user namespace");
  UniqueFd r(pipefd[0]), w(pipefd[1]);
  long pid = ::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, 0);
  if (pid == 0) {
    char c;
    w.reset();
    ssize_t n = ::read(r.get(), &c, 1);  // wait until the parent has what it needs
    _exit(n < 0 ? 1 : 0);
  }
  if (pid < 0) throw_sys("clone a user namespace for an idmapped mount");
  r.reset();
  struct Reap {
    pid_t p;
    ~Reap() {
      ::kill(p, SIGKILL);
      ::waitpid(p, nullptr, 0);
    }
  } reap{static_cast<pid_t>(pid)};
  std::string base = "/proc/" + std::to_string(pid);
  write_file(base + "/uid_map", init::id_map_text(uids));
  write_file(base + "/setgroups", "deny");
  write_file(base + "/gid_map", init::id_map_text(gids));
  return open_fd(base + "/ns/user", O_RDONLY);
}

// The user namespaces that carry the mounts' mappings: one per distinct mapping, as runc's
// userns.Handles (each made one costs a helper process).
class MountSources::Userns {
 public:
  Userns(const oci::Config& cfg, pid_t init) : cfg_(cfg), init_(init) {}

  // Mappings of its own: a user namespace made with them. Otherwise (idmap/ridmap alone) the
  // container's: a joined one is opened by its path, as runc does (an init that joins by
  // itself is not in it yet), a new one is the init's, whose maps are written by now.
  int for_mount(const oci::Mount& m, const std::string& field, const std::string& src) {
    const oci::Namespace* user = cfg_.linux ? cfg_.linux->find_namespace("user") : nullptr;
    bool own = !m.uid_mappings.empty() || !m.gid_mappings.empty();
    std::string key =
        own ? "map " + init::id_map_text(m.uid_mappings) + "/" + init::id_map_text(m.gid_mappings)
        : user && !user->path.empty() ? "path " + user->path
                                      : "init";
    if (auto it = made_.find(key); it != made_.end()) return it->second.get();
    UniqueFd fd;
    try {
      if (own)
        fd = make_userns(m.uid_mappings, m.gid_mappings);
      else if (user && !user->path.empty())
        fd = open_fd(user->path, O_RDONLY);
      else
        fd = open_fd("/proc/" + std::to_string(init_) + "/ns/user", O_RDONLY);
    } catch (const Error& e) {
      throw Error(field + ": user namespace for the id-mapping of " + src + ": " + e.what(),
                  e.code());
    }
    return made_.emplace(key, std::move(fd)).first->second.get();
  }

 private:
  const oci::Config& cfg_;
  pid_t init_;
  std::map<std::string, UniqueFd> made_;
};

namespace {

constexpr int kMountSourceTimeoutMs = 30000;

// A detached copy of `src` (with its submounts for "rbind"), idmapped with `userns` (the
// submounts too for "ridmap") unless userns is -1, as runc's mountFd.
UniqueFd clone_tree(const std::string& src, const init::MountOptions& o, int userns,
                    const std::string& field) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (o.recursive_bind ? AT_RECURSIVE : 0);
  long fd = ::syscall(SYS_open_tree, AT_FDCWD, src.c_str(), flags);
  if (fd < 0) throw_sys(field + ": open_tree(OPEN_TREE_CLONE) " + src);
  UniqueFd tree(static_cast<int>(fd));
  if (userns < 0) return tree;
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(userns);
  unsigned at = AT_EMPTY_PATH | (o.recursive_idmap ? AT_RECURSIVE : 0);
  if (::syscall(SYS_mount_setattr, tree.get(), "", at, &attr, sizeof attr) < 0) {
    int err = errno;
    throw Error(field + ": failed to set MOUNT_ATTR_IDMAP on " + src + ": " + errno_text(err) +
                    (err == EINVAL ? " (maybe the filesystem used doesn't support idmap mounts "
                                     "on this kernel?)"
                                   : ""),
                err);
  }
  return tree;
}

}  // namespace

MountSources::MountSources(const oci::Config& cfg, std::string bundle, pid_t init)
    : cfg_(cfg),
      bundle_(std::move(bundle)),
      init_(init),
      userns_(std::make_unique<Userns>(cfg, init)) {}

MountSources::~MountSources() = default;

UniqueFd MountSources::open(size_t index) {
  if (index >= cfg_.mounts.size())
    throw Error("container init asked for the source of mounts[" + std::to_string(index) +
                "], which does not exist");
  const oci::Mount& m = cfg_.mounts[index];
  std::string field = "mounts[" + std::to_string(index) + "]";
  // A relative source is the bundle's, as runc's (filepath.Join(bundle, source)).
  std::string src = m.source;
  if (!src.empty() && src[0] != '/') src = bundle_ + "/" + src;
  int userns = mount_is_idmapped(m) ? userns_->for_mount(m, field, src) : -1;
  init::MountOptions o = init::parse_mount_options(m.options);
  UniqueFd mntns = open_fd("/proc/" + std::to_string(init_) + "/ns/mnt", O_RDONLY);
  // A helper process in the init's mount namespace (setns there would change this process's
  // root for good): it sends the tree, or its error as text.
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    throw_sys(field + ": socketpair");
  UniqueFd ours(sv[0]), theirs(sv[1]);
  pid_t pid = ::fork();
  if (pid < 0) throw_sys(field + ": fork a helper for the mount source");
  if (pid == 0) {
    ours.reset();
    std::string failure;
    try {
      if (::setns(mntns.get(), CLONE_NEWNS) < 0)
        throw_sys(field + ": join the container's mount namespace");
      UniqueFd tree = clone_tree(src, o, userns, field);
      send_fd(theirs.get(), tree.get(), "ok");
      _exit(0);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    ssize_t n = ::send(theirs.get(), failure.data(), failure.size(), MSG_NOSIGNAL);
    _exit(n < 0 ? 2 : 1);
  }
  theirs.reset();
  struct Reap {
    pid_t p;
    ~Reap() {
      while (::waitpid(p, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  } reap{pid};
  // Its socket end closes when it exits. A source on a hung filesystem (a dead FUSE server)
  // could keep open_tree waiting: bounded, then the helper is killed and reaped.
  pollfd ready{ours.get(), POLLIN, 0};
  int n;
  do n = ::poll(&ready, 1, kMountSourceTimeoutMs);
  while (n < 0 && errno == EINTR);
  if (n <= 0) {
    ::kill(pid, SIGKILL);
    throw Error(field + ": opening the mount source " + src + " did not finish within " +
                std::to_string(kMountSourceTimeoutMs / 1000) + " s");
  }
  std::string payload;
  try {
    return recv_fd(ours.get(), &payload);
  } catch (const Error& e) {
    if (!payload.empty()) throw Error(payload);  // the helper's own error
    throw Error(field + ": the helper opening " + src + " exited: " + e.what());
  }
}

void attach_tree(UniqueFd tree, int target, const std::string& shown) {
  // Onto the fd itself: a "/proc/self/fd/N" target path is not followed by move_mount (that
  // takes MOVE_MOUNT_T_SYMLINKS), and the magic link is no mount point (EINVAL).
  if (::syscall(SYS_move_mount, tree.get(), "", target, "",
                MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    throw_sys(shown + (tree ? "" : " (no source tree)"));
}

}  // namespace nucleus
