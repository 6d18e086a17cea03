#include "runtime/init/namespaces.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cstring>

#include "runtime/attach.hpp"
#include "runtime/log.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace nucleus::init {

int namespace_flag(const std::string& type) {
  if (type == "pid") return CLONE_NEWPID;
  if (type == "network") return CLONE_NEWNET;
  if (type == "mount") return CLONE_NEWNS;
  if (type == "ipc") return CLONE_NEWIPC;
  if (type == "uts") return CLONE_NEWUTS;
  if (type == "user") return CLONE_NEWUSER;
  if (type == "cgroup") return CLONE_NEWCGROUP;
  if (type == "time") return CLONE_NEWTIME;
  return 0;
}

std::string proc_ns_name(int flag) {
  switch (flag) {
    case CLONE_NEWPID:
      return "pid";
    case CLONE_NEWNET:
      return "net";
    case CLONE_NEWNS:
      return "mnt";
    case CLONE_NEWIPC:
      return "ipc";
    case CLONE_NEWUTS:
      return "uts";
    case CLONE_NEWUSER:
      return "user";
    case CLONE_NEWCGROUP:
      return "cgroup";
    case CLONE_NEWTIME:
      return "time";
  }
  return "";
}

const std::vector<std::string>& namespace_types() {
  static const std::vector<std::string> order = {"user",    "pid",    "ipc",  "uts",
                                                 "network", "cgroup", "time", "mount"};
  return order;
}

void plan_namespaces(const oci::Linux& linux, Context& ctx) {
  for (const auto& type : namespace_types()) {
    const oci::Namespace* ns = linux.find_namespace(type);
    if (!ns) continue;
    int flag = namespace_flag(type);
    if (ns->path.empty()) {
      // pid and user come with the clone itself; the rest are unshared by the child once it
      // is in its user namespace and cgroup.
      if (flag == CLONE_NEWPID || flag == CLONE_NEWUSER)
        ctx.clone_flags |= flag;
      else
        ctx.unshare_flags |= flag;
      continue;
    }
    int fd = ::open(ns->path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw_sys("open " + type + " namespace " + ns->path);
    NamespaceJoin j;
    j.clone_flag = flag;
    j.type = type;
    j.fd.reset(fd);
    ctx.joins.push_back(std::move(j));
  }
}

std::string id_map_text(const std::vector<oci::IDMapping>& m) {
  std::string s;
  for (const auto& e : m)
    s += std::to_string(e.container_id) + " " + std::to_string(e.host_id) + " " +
         std::to_string(e.size) + "\n";
  return s;
}

void write_id_maps(pid_t pid, const oci::Linux& linux) {
  std::string base = "/proc/" + std::to_string(pid);
  if (!linux.uid_mappings.empty()) write_file(base + "/uid_map", id_map_text(linux.uid_mappings));
  if (!linux.gid_mappings.empty()) write_file(base + "/gid_map", id_map_text(linux.gid_mappings));
}

namespace {
void bring_up_loopback();
}  // namespace

NetnsPrep::~NetnsPrep() {
  if (started_) ::pthread_join(thread_, nullptr);
}

void* NetnsPrep::run(void* self) {
  auto& p = *static_cast<NetnsPrep*>(self);
  try {
    // Only this thread moves: unshare(CLONE_NEWNET) is per task.
    if (::unshare(CLONE_NEWNET) < 0) throw_sys("unshare the network namespace");
    bring_up_loopback();
    // No malloc on this thread on the way (a std::string path would be one): its first makes a
    // glibc arena.
    int fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw_sys("open /proc/thread-self/ns/net");
    p.fd_.reset(fd);
  } catch (const std::exception& e) {
    p.error_ = e.what();
  }
  return nullptr;
}

void NetnsPrep::start() {
  // A small stack: the thread makes a few syscalls (glibc's default maps 8 MiB).
  pthread_attr_t attr;
  ::pthread_attr_init(&attr);
  ::pthread_attr_setstacksize(&attr, 64 * 1024);
  int e = ::pthread_create(&thread_, &attr, &NetnsPrep::run, this);
  ::pthread_attr_destroy(&attr);
  if (e != 0)
    error_ = std::string("start a thread: ") + std::strerror(e);
  else
    started_ = true;
}

UniqueFd NetnsPrep::take() {
  if (started_) ::pthread_join(thread_, nullptr);
  started_ = false;
  if (!error_.empty()) log::debug("network namespace made by the init instead: " + error_);
  return std::move(fd_);
}

namespace {

void bring_up_loopback() {
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) throw_sys("socket (to bring up lo)");
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) < 0) throw_sys("get the flags of lo");
  if (ifr.ifr_flags & IFF_UP) return;
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) < 0) throw_sys("bring up lo");
}

}  // namespace

namespace {

// The runtime makes the cgroups while the init unshares and mounts, then sends the v1 "tasks"
// files to write "0" to (TasksFd, when it could open them) and CgroupJoined. They may come
// while the init waits for something else (a mount source): taken then. False for any other
// message.
bool take_cgroup_message(Context& ctx, SyncMsg& m) {
  if (m.type == SyncType::CgroupJoined) {
    ctx.cgroup_joined = true;
    return true;
  }
  if (m.type != SyncType::TasksFd || !m.fd) return false;
  std::vector<int> tasks = {m.fd.get()};
  for (const auto& f : m.more) tasks.push_back(f.get());
  self_attach(tasks);
  return true;
}

}  // namespace

UniqueFd request_mount_source(Context& ctx, size_t index) {
  const std::string what =
      "waiting for the runtime to open the source of mounts[" + std::to_string(index) + "]";
  ctx.sync.send(SyncType::MountRequest, std::to_string(index));
  for (;;) {
    SyncMsg m;
    if (!ctx.sync.recv(m)) throw Error(what + ": it exited");
    if (m.type == SyncType::Error) throw Error(m.payload);
    if (take_cgroup_message(ctx, m)) continue;
    if (m.type == SyncType::MountFd && m.fd && m.payload == std::to_string(index))
      return std::move(m.fd);
    throw Error(what + ": unexpected sync message");
  }
}

void join_cgroup(Context& ctx) {
  if (ctx.in_cgroup) return;
  while (!ctx.cgroup_joined) {
    SyncMsg m;
    if (!ctx.sync.recv(m)) throw Error("waiting for the runtime to join the cgroup: it exited");
    if (m.type == SyncType::Error) throw Error(m.payload);
    if (!take_cgroup_message(ctx, m))
      throw Error("waiting for the runtime to join the cgroup: unexpected sync message");
  }
  if ((ctx.unshare_flags & CLONE_NEWCGROUP) && ::unshare(CLONE_NEWCGROUP) < 0)
    throw_sys("unshare the cgroup namespace");
  ctx.in_cgroup = true;
  if (ctx.affinity_narrowed) reset_affinity();
}

namespace {

bool same_namespace(int fd, const char* path) {
  struct stat a, b;
  return ::fstat(fd, &a) == 0 && ::stat(path, &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

}  // namespace

void join_before_user_namespace(const std::vector<NamespaceJoin>& joins) {
  for (const auto& j : joins)
    if (j.clone_flag != CLONE_NEWUSER && j.clone_flag != CLONE_NEWPID &&
        j.clone_flag != CLONE_NEWTIME && j.fd)
      ::setns(j.fd.get(), j.clone_flag);  // what fails here, the init joins (and reports) later
}

long clone_in_user_namespace(unsigned long flags, const std::vector<NamespaceJoin>& joins,
                             int userns_fd, int pidns_fd) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) return -1;
  UniqueFd rd(p[0]), wr(p[1]);
  long helper = ::syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, 0);
  if (helper < 0) return -1;
  if (helper == 0) {  // the helper: never returns, except as the new process
    long r;
    // A namespace the user namespace does not own (a network namespace the host made) can
    // only be joined from here: inside the user namespace, setns is EPERM.
    join_before_user_namespace(joins);
    if (::setns(userns_fd, CLONE_NEWUSER) < 0 ||
        (pidns_fd >= 0 && ::setns(pidns_fd, CLONE_NEWPID) < 0)) {
      r = -errno;
    } else {
      r = ::syscall(SYS_clone, SIGCHLD | CLONE_PARENT | flags, nullptr, nullptr, nullptr, 0);
      if (r == 0) return 0;  // the new process
      if (r < 0) r = -errno;
    }
    ssize_t n = ::write(wr.get(), &r, sizeof r);
    ::_exit(n == sizeof r ? 0 : 1);
  }
  wr.reset();
  long r = -EPIPE;
  ssize_t n;
  do {
    n = ::read(rd.get(), &r, sizeof r);
  } while (n < 0 && errno == EINTR);
  int status = 0;
  while (::waitpid(static_cast<pid_t>(helper), &status, 0) < 0 && errno == EINTR) {
  }
  if (n != sizeof r) r = -EPIPE;
  if (r < 0) {
    errno = static_cast<int>(-r);
    return -1;
  }
  return r;
}

// /proc/self/timens_offsets of a non-dumpable process belongs to the host's root: the init, root
// of a user namespace but not of the host, cannot open it ("permission denied"). runc's parent
// writes the offsets; here the init is dumpable for the write alone, as runc's nsexec is while its
// parent writes the id maps (nothing else runs in the new namespaces yet).
static void write_time_offsets(const std::string& offsets, bool in_userns) {
  struct DumpableWhile {
    bool on;
    explicit DumpableWhile(bool o) : on(o) {
      if (on) ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    }
    ~DumpableWhile() {
      if (on) ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
  } dumpable(in_userns);
  UniqueFd f = open_fd("/proc/self/timens_offsets", O_WRONLY);
  if (::write(f.get(), offsets.data(), offsets.size()) < 0)
    throw_sys("write linux.timeOffsets to /proc/self/timens_offsets");
}

bool join_namespaces(std::vector<NamespaceJoin>& joins,
                     const std::function<std::string(const NamespaceJoin&)>& shown) {
  auto join = [&](NamespaceJoin& j) {
    if (::setns(j.fd.get(), j.clone_flag) < 0) throw_sys("join " + shown(j));
    j.fd.reset();
  };
  NamespaceJoin* user = nullptr;
  for (auto& j : joins)
    if (j.clone_flag == CLONE_NEWUSER) user = &j;
  std::vector<NamespaceJoin*> after_user;
  for (auto& j : joins) {
    if (j.clone_flag == CLONE_NEWPID || j.clone_flag == CLONE_NEWUSER) continue;
    // In it already (joined before the user namespace by clone_in_user_namespace's helper).
    if (j.clone_flag != CLONE_NEWTIME &&
        same_namespace(j.fd.get(), ("/proc/self/ns/" + proc_ns_name(j.clone_flag)).c_str())) {
      j.fd.reset();
      continue;
    }
    if (::setns(j.fd.get(), j.clone_flag) == 0) {
      j.fd.reset();
      continue;
    }
    if (errno != EPERM || !user) throw_sys("join " + shown(j));
    after_user.push_back(&j);
  }
  if (!user) return false;
  // Cloned in it already (a joined user namespace with a new pid namespace, see
  // clone_in_user_namespace in runtime/container.cpp): setns would refuse (EINVAL).
  if (same_namespace(user->fd.get(), "/proc/self/ns/user"))
    user->fd.reset();
  else
    join(*user);
  for (NamespaceJoin* j : after_user) join(*j);
  return true;
}

void setup_namespaces(Context& ctx) {
  const oci::Linux& linux = *ctx.config->linux;
  bool in_userns = ctx.clone_flags & CLONE_NEWUSER;
  if (join_namespaces(ctx.joins, [&](const NamespaceJoin& j) {
        return j.type + " namespace " + linux.find_namespace(j.type)->path;
      }))
    in_userns = true;
  if (in_userns) {
    // Become root of the user namespace (the parent wrote the maps before Go).
    if (::setresgid(0, 0, 0) < 0) throw_sys("setresgid 0 in the user namespace");
    if (::setresuid(0, 0, 0) < 0) throw_sys("setresuid 0 in the user namespace");
  }
  // The cgroup namespace comes later (join_cgroup): its root is the cgroup the init is in
  // when it is made, and the runtime attaches the init while it sets up the rest.
  int flags = ctx.unshare_flags & ~(CLONE_NEWTIME | CLONE_NEWCGROUP);
  if (flags && ::unshare(flags) < 0) throw_sys("unshare namespaces");
  if (ctx.unshare_flags & CLONE_NEWTIME) {
    if (::unshare(CLONE_NEWTIME) < 0) throw_sys("unshare time namespace");
    std::string offsets;
    for (const auto& [clock, off] : linux.time_offsets)
      offsets += clock + " " + std::to_string(off.secs) + " " + std::to_string(off.nanosecs) + "\n";
    if (!offsets.empty()) write_time_offsets(offsets, linux.find_namespace("user") != nullptr);
    UniqueFd t = open_fd("/proc/self/ns/time_for_children", O_RDONLY);
    if (::setns(t.get(), CLONE_NEWTIME) < 0) throw_sys("enter the new time namespace");
  }
  // A new network namespace starts with lo down: bring it up, as runc does (the runtime's
  // NetnsPrep did it already for the one it made).
  if (ctx.unshare_flags & CLONE_NEWNET) bring_up_loopback();
}

}  // namespace nucleus::init
