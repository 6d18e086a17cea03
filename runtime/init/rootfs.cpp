// The container's root filesystem: propagation, the rootfs bind, every configured mount (each
// destination resolved inside the rootfs and mounted through its fd), /dev, pivot_root, masked
// and read-only paths, sysctl, hostname and the read-only root.
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <map>
#include <set>
#include "cgroups/manager.hpp"
#include "oci/json_text.hpp"

#include "runtime/idmap.hpp"
#include "runtime/init/bind_flags.hpp"
#include "runtime/init/copy_tree.hpp"
#include "runtime/init/init.hpp"
#include "runtime/init/mount_options.hpp"
#include "runtime/init/no_pivot.hpp"
#include "runtime/init/procfs.hpp"
#include "runtime/rootless.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/mount_api.hpp"
#include "util/paths.hpp"

namespace nucleus::init {
namespace {

bool in_user_namespace(const Context& ctx) {
  if (ctx.clone_flags & CLONE_NEWUSER) return true;
  for (const auto& j : ctx.joins)
    if (j.clone_flag == CLONE_NEWUSER) return true;
  const oci::Namespace* ns = ctx.config->linux->find_namespace("user");
  // A runtime that runs in a user namespace already (rootless Podman's: the config has none of
  // its own) cannot mknod either: runc's userns.RunningInUserNS().
  return ns != nullptr || rootless::in_user_namespace();
}

void do_mount(const std::string& src, const std::string& target, const char* type,
              unsigned long flags, const std::string& data, const std::string& shown) {
  if (::mount(src.empty() ? nullptr : src.c_str(), target.c_str(), type, flags,
              data.empty() ? nullptr : data.c_str()) < 0)
    throw_sys(shown);
}

// The mount's current flags (statvfs), to keep them when adding some.
unsigned long current_flags(const std::string& target) {
  struct statvfs st;
  if (::statvfs(target.c_str(), &st) < 0) return 0;
  unsigned long f = 0;
  if (st.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) f |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (st.f_flag & ST_RDONLY) f |= MS_RDONLY;
  if (st.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

// Adds `flags` to the mount at `target`, keeping those it has (in a user namespace the kernel
// refuses to clear locked ones). The runtime's own remounts (cgroup binds, the sysfs fallback,
// the read-only root); configured bind mounts go through set_bind_flags.
void bind_remount(const std::string& target, unsigned long flags, const std::string& shown) {
  unsigned long f = (current_flags(target) | flags) & ~(MS_REMOUNT | MS_BIND | MS_REC);
  if (::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | f, nullptr) < 0)
    throw_sys("remount " + shown);
}

std::string host_source(const Context& ctx, const oci::Mount& m) {
  if (m.source.empty() || m.source[0] == '/') return m.source;
  // A relative bind source is relative to the bundle (as runc).
  std::string candidate = ctx.bundle + "/" + m.source;
  return path_exists(candidate) ? candidate : m.source;
}

// Without a cgroup namespace: the container's own cgroup directory of a hierarchy, bound on
// `target` (the mount point `dest`) and remounted with `flags` (nosuid,nodev,noexec[,ro]).
void bind_cgroup(int rootfd, const std::string& dir, int target, const std::string& dest,
                 unsigned long flags) {
  do_mount(dir, fd_path(target), nullptr, MS_BIND | MS_REC, "",
           "bind cgroup " + dir + " on " + dest);
  UniqueFd again = open_in_root(rootfd, dest, O_PATH);
  bind_remount(fd_path(again.get()), flags, dest);
}

// The directory of a hierarchy bound without a cgroup namespace: the container's cgroup there, or,
// where it has none (rootless: a hierarchy the runtime could not write to was left out), the
// cgroup the init is in, as runc binds its own (getCgroupMounts).
std::string cgroup_to_bind(const Context& ctx, const std::string& mount) {
  std::string dir = mount + ctx.cgroup_path;
  if (path_exists(dir)) return dir;
  cgroups::Layout layout = cgroups::Layout::detect();
  auto it = layout.own.find(mount);
  std::string own = it == layout.own.end() ? "/" : it->second;
  return own == "/" ? mount : mount + own;
}

// A new cgroup2 mount on `target`; false where the kernel refuses it in a way runc works around
// with a bind of the container's cgroup (mountCgroupV2): EBUSY when the same cgroup2 is mounted
// right there already (`spec --rootless` binds the host's /sys with rbind, /sys/fs/cgroup in it),
// EPERM without the right to mount it.
bool mount_cgroup2(int target, unsigned long flags, const std::string& dest) {
  if (::mount("cgroup2", fd_path(target).c_str(), "cgroup2", flags, nullptr) == 0) return true;
  if (errno != EBUSY && errno != EPERM) throw_sys("mount cgroup2 on " + dest);
  return false;
}

void mount_cgroup(Context& ctx, int rootfd, const oci::Mount& m, const MountOptions& o,
                  const std::string& dest) {
  bool cgroupns = ctx.unshare_flags & CLONE_NEWCGROUP;
  unsigned long base = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (ctx.cgroup_v1.empty()) {
    // Pure cgroup v2: a cgroup2 mount in a cgroup namespace; without one, or where the kernel
    // refuses it, the container's cgroup bound there (what the namespace would show).
    UniqueFd d = mkdir_all_in_root(rootfd, dest);
    const unsigned long flags = base | (o.flags & MS_RDONLY);
    if (cgroupns && mount_cgroup2(d.get(), flags, dest)) return;
    bind_cgroup(rootfd, cgroup_to_bind(ctx, ctx.cgroup_v2), d.get(), dest, flags);
    return;
  }
  // v1 (and hybrid): a tmpfs holding one directory per hierarchy.
  UniqueFd d = mkdir_all_in_root(rootfd, dest);
  do_mount("tmpfs", fd_path(d.get()), "tmpfs", base, "mode=755", "mount tmpfs on " + dest);
  // The tmpfs just mounted is empty and only this init sees it: its directories are made and
  // opened relative to its root (two syscalls each instead of a walk from the rootfs).
  UniqueFd tmpfs = open_in_root(rootfd, dest, O_PATH | O_DIRECTORY);
  auto subdir = [&](const std::string& name) {
    if (::mkdirat(tmpfs.get(), name.c_str(), 0755) < 0 && errno != EEXIST)
      throw_sys("mkdir " + dest + "/" + name + " in the container rootfs");
    return open_in_root(tmpfs.get(), name, O_PATH | O_DIRECTORY);
  };
  std::map<std::string, std::vector<std::string>> by_mountpoint;
  for (const auto& [ctrl, mp] : ctx.cgroup_v1) by_mountpoint[mp].push_back(ctrl);
  for (const auto& [mp, ctrls] : by_mountpoint) {
    std::string name = mp.substr(mp.rfind('/') + 1);
    std::string sub = dest + "/" + name;
    UniqueFd s = subdir(name);
    bool named = ctrls.size() == 1 && ctrls[0].rfind("name=", 0) == 0;
    if (cgroupns) {
      std::string opts;
      for (const auto& c : ctrls) opts += (opts.empty() ? "" : ",") + c;
      do_mount("cgroup", fd_path(s.get()), "cgroup", base | (o.flags & MS_RDONLY),
               named ? "none," + opts : opts, "mount cgroup " + opts + " on " + sub);
    } else {
      bind_cgroup(rootfd, cgroup_to_bind(ctx, mp), s.get(), sub, base | (o.flags & MS_RDONLY));
    }
    // Co-mounted controllers ("cpu,cpuacct") get a symlink per controller.
    if (name.find(',') != std::string::npos)
      for (const auto& c : ctrls) ::symlinkat(name.c_str(), tmpfs.get(), c.c_str());
  }
  if (!ctx.cgroup_v2.empty()) {
    std::string sub = dest + "/unified";
    UniqueFd s = subdir("unified");
    if (cgroupns)
      do_mount("cgroup2", fd_path(s.get()), "cgroup2", base | (o.flags & MS_RDONLY), "",
               "mount cgroup2 on " + sub);
    else
      bind_cgroup(rootfd, cgroup_to_bind(ctx, ctx.cgroup_v2), s.get(), sub,
                  base | (o.flags & MS_RDONLY));
  }
  if (o.flags & MS_RDONLY) {
    UniqueFd again = open_in_root(rootfd, dest, O_PATH);
    bind_remount(fd_path(again.get()), base | MS_RDONLY, dest);
  }
}

// A destination that resolves to the rootfs itself ("/", "..", a link to "/") would cover the
// whole root: refused, as runc does.
void check_not_rootfs_top(const Context& ctx, int rootfd, int target, const std::string& shown) {
  // The same inode on the same mount (the rootfs bound elsewhere in it is another mount).
  struct statx r, t;
  unsigned mask = STATX_INO | STATX_MNT_ID;
  if (::statx(rootfd, "", AT_EMPTY_PATH, mask, &r) < 0 ||
      ::statx(target, "", AT_EMPTY_PATH, mask, &t) < 0)
    throw_sys(shown);
  if (r.stx_mnt_id == t.stx_mnt_id && r.stx_ino == t.stx_ino)
    throw Error(shown + ": mountpoint \"" + ctx.rootfs + "\" is on the top of rootfs \"" +
                ctx.rootfs + "\"");
}

// One configured mount being made: its parsed options and cleaned destination.
struct MountJob {
  const oci::Mount& m;
  size_t index;  // in config.mounts (idmapped trees are keyed by it)
  MountOptions o;
  std::string type;
  std::string dest;   // clean, absolute, inside the rootfs
  std::string shown;  // "mount SRC on DEST", for errors
};

// runc's checkProcMount, on where the destination really is (its symlinks followed inside the
// root): nothing may be mounted inside /proc but the files lxcfs emulates, and only procfs on
// /proc itself (a new one, or a bind of one), so that no image symlink can send a mount over
// /proc/sys or /proc/self (CVE-2019-19921).
void check_proc_mount(const Context& ctx, int target, const MountJob& j) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(fd_path(target).c_str(), buf, sizeof buf - 1);
  if (n < 0) throw_sys(j.shown + ": get mount destination real path");
  std::string full(buf, static_cast<size_t>(n));
  const std::string& root = ctx.rootfs;
  if (full.compare(0, root.size(), root) != 0 ||
      (full.size() > root.size() && root != "/" && full[root.size()] != '/'))
    throw Error(j.shown + ": mountpoint \"" + full + "\" is outside of rootfs \"" + root + "\"");
  std::string in_root = root == "/" ? full : full.substr(root.size());
  if (in_root == "/proc") {
    if (j.type == "proc") return;
    struct statfs fs;
    if (j.o.bind && ::statfs(host_source(ctx, j.m).c_str(), &fs) == 0 &&
        fs.f_type == PROC_SUPER_MAGIC)
      return;
    throw Error(j.shown + ": \"" + full + "\" cannot be mounted because it is not of type proc");
  }
  if (in_root.rfind("/proc/", 0) != 0) return;
  static const char* const lxcfs[] = {"/proc/cpuinfo",
                                      "/proc/diskstats",
                                      "/proc/meminfo",
                                      "/proc/stat",
                                      "/proc/swaps",
                                      "/proc/uptime",
                                      "/proc/loadavg",
                                      "/proc/slabinfo",
                                      "/proc/sys/kernel/ns_last_pid",
                                      "/proc/sys/crypto/fips_enabled"};
  for (const char* ok : lxcfs)
    if (in_root == ok) return;
  throw Error(j.shown + ": \"" + full + "\" cannot be mounted because it is inside /proc");
}

void check_mountpoint(const Context& ctx, int rootfd, int target, const MountJob& j) {
  check_not_rootfs_top(ctx, rootfd, target, j.shown);
  check_proc_mount(ctx, target, j);
}

void mount_bind(Context& ctx, int rootfd, MountJob& j) {
  std::string src = host_source(ctx, j.m);
  struct stat st;
  // From the runtime (runc's mountFd): an idmapped mount's tree, and a source this init may not
  // reach (a directory only the host's root may enter, with a user namespace).
  UniqueFd tree;
  if (mount_is_idmapped(j.m)) {
    tree = request_mount_source(ctx, j.index);
  } else if (::stat(src.c_str(), &st) < 0) {
    if (errno != EACCES && errno != EPERM) throw_sys("bind mount source " + src);
    tree = request_mount_source(ctx, j.index);
  }
  if (tree && ::fstat(tree.get(), &st) < 0) throw_sys("bind mount source " + src);
  UniqueFd target =
      S_ISDIR(st.st_mode) ? mkdir_all_in_root(rootfd, j.dest) : mkfile_in_root(rootfd, j.dest);
  check_mountpoint(ctx, rootfd, target.get(), j);
  if (tree) {
    attach_tree(std::move(tree), target.get(), j.shown);
  } else {
    do_mount(src, fd_path(target.get()), nullptr, MS_BIND | (j.o.recursive_bind ? MS_REC : 0), "",
             j.shown);
  }
  // No option but bind/rbind: the mount keeps its source's flags.
  if ((j.o.flags & ~static_cast<unsigned long>(MS_REMOUNT)) || j.o.clear) {
    UniqueFd mounted = open_in_root(rootfd, j.dest, O_PATH);
    set_bind_flags(fd_path(mounted.get()), j.o.flags, j.o.clear, j.shown);
  }
}

// proc and sysfs go on a directory only: an existing destination that is anything else (a
// symlink to somewhere else in the rootfs, a file) is refused, as runc does (CVE-2019-19921
// class); the last component is never followed.
void refuse_non_directory(int rootfd, const MountJob& j) {
  open_how how{};
  how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  std::string rel = j.dest.substr(1);
  long fd = ::syscall(SYS_openat2, rootfd, rel.empty() ? "." : rel.c_str(), &how, sizeof how);
  if (fd < 0) {
    if (errno == ENOENT) return;  // made as a directory
    throw_sys(j.shown);
  }
  UniqueFd f(static_cast<int>(fd));
  struct stat st;
  if (::fstat(f.get(), &st) < 0) throw_sys(j.shown);
  if (!S_ISDIR(st.st_mode))
    throw Error(j.shown + ": filesystem \"" + j.type + "\" must be mounted on ordinary directory");
}

// The mount point of a new filesystem. A tmpfs on a directory the rootfs has already keeps
// that directory's mode unless the options give one (runc 1.3: "mode=" goes first, so a later
// one wins); on a directory made for it, the tmpfs default (1777) stays.
UniqueFd filesystem_mountpoint(Context& ctx, int rootfd, MountJob& j) {
  if (j.type == "proc" || j.type == "sysfs") refuse_non_directory(rootfd, j);
  if (j.type == "tmpfs") {
    if (UniqueFd existing = try_open_in_root(rootfd, j.dest, O_PATH)) {
      struct stat st;
      if (::fstat(existing.get(), &st) < 0) throw_sys(j.shown);
      if (S_ISDIR(st.st_mode)) {
        check_mountpoint(ctx, rootfd, existing.get(), j);
        char mode[16];
        std::snprintf(mode, sizeof mode, "mode=%04o", st.st_mode & 07777);
        j.o.data = j.o.data.empty() ? mode : mode + ("," + j.o.data);
        return existing;
      }
    }
  }
  UniqueFd target = mkdir_all_in_root(rootfd, j.dest);
  check_mountpoint(ctx, rootfd, target.get(), j);
  return target;
}

void mount_filesystem(Context& ctx, int rootfd, MountJob& j) {
  UniqueFd target = filesystem_mountpoint(ctx, rootfd, j);
  // tmpcopyup: hold the directory underneath, to copy what it has into the new tmpfs.
  UniqueFd below;
  if (j.o.tmpcopyup && j.type == "tmpfs")
    below = open_in_root(rootfd, j.dest, O_RDONLY | O_DIRECTORY);
  const std::string& src = j.m.source;
  // A read-only tmpfs or /dev is filled first (devices, tmpcopyup, mount points of later
  // mounts) and made read-only by finish_rootfs, as runc does.
  const bool ro_later = (j.o.flags & MS_RDONLY) && (j.type == "tmpfs" || j.dest == "/dev");
  unsigned long flags = ro_later ? j.o.flags & ~static_cast<unsigned long>(MS_RDONLY) : j.o.flags;
  if (::mount(src.empty() ? j.type.c_str() : src.c_str(), fd_path(target.get()).c_str(),
              j.type.c_str(), flags, j.o.data.empty() ? nullptr : j.o.data.c_str()) < 0) {
    int err = errno;
    // sysfs without a network namespace of our own (user namespaces): bind the host's.
    if (j.type == "sysfs" && err == EPERM && in_user_namespace(ctx)) {
      do_mount("/sys", fd_path(target.get()), nullptr, MS_BIND | MS_REC, "", j.shown);
      UniqueFd mounted = open_in_root(rootfd, j.dest, O_PATH);
      bind_remount(fd_path(mounted.get()), flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, j.dest);
    } else {
      throw_sys(j.shown, err);
    }
  }
  if (below) {
    UniqueFd above = open_in_root(rootfd, j.dest, O_RDONLY | O_DIRECTORY);
    copy_tree(below.get(), above.get());
  }
  if (ro_later) ctx.readonly_later.emplace_back(j.dest, open_in_root(rootfd, j.dest, O_PATH));
}

// Propagation options ("rprivate"...) and recursive attributes ("rro"...), on the new mount.
void apply_propagation_and_attrs(int rootfd, const MountJob& j) {
  const MountOptions& o = j.o;
  if (o.propagation.empty() && !o.attr_set && !o.attr_clr) return;
  UniqueFd mounted = open_in_root(rootfd, j.dest, O_PATH);
  for (unsigned long p : o.propagation)
    do_mount("", fd_path(mounted.get()), nullptr, p, "", "set propagation of " + j.dest);
  if (o.attr_set || o.attr_clr) {
    mount_attr attr{};
    attr.attr_set = o.attr_set;
    attr.attr_clr = o.attr_clr;
    if (::syscall(SYS_mount_setattr, mounted.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
                  sizeof attr) < 0)
      throw_sys("mount_setattr (recursive options) on " + j.dest);
  }
}

// The destination inside the rootfs. One written as a host path under the rootfs
// ("ROOTFS/mnt") means the path below it, as runc's LexicallyStripRoot.
std::string container_destination(const Context& ctx, const std::string& destination) {
  std::string dest = clean_path(destination);
  std::string root = clean_path(ctx.rootfs);
  if (root == "/") return dest;
  if (dest == root) return "/";
  if (dest.compare(0, root.size() + 1, root + "/") == 0) return dest.substr(root.size());
  return dest;
}

void mount_one(Context& ctx, int rootfd, const oci::Mount& m, size_t index) {
  // A cgroup mount waits for the init's cgroup first; a failed join is no mount's error.
  if (m.type == "cgroup" || m.type == "cgroup2") join_cgroup(ctx);
  try {
    MountJob j{
        m, index, parse_mount_options(m.options), m.type, container_destination(ctx, m.destination),
        ""};
    if (j.type == "bind") j.o.bind = true;
    j.shown = "mount " + (m.source.empty() ? j.type : m.source) + " on " + j.dest;
    if (j.type == "cgroup" || j.type == "cgroup2") {
      mount_cgroup(ctx, rootfd, m, j.o, j.dest);
      return;
    }
    if (j.o.bind)
      mount_bind(ctx, rootfd, j);
    else
      mount_filesystem(ctx, rootfd, j);
    apply_propagation_and_attrs(rootfd, j);
  } catch (const Error& e) {
    throw mount_error(m, e);
  }
}

struct DefaultDevice {
  const char* path;
  unsigned major, minor;
};
constexpr DefaultDevice kDefaultDevices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

// The directory of the last device made, kept open: the devices are mostly all in /dev.
struct DeviceDir {
  std::string path;
  UniqueFd fd;  // O_PATH serves the *at calls
};

void make_device(Context& ctx, int rootfd, DeviceDir& cache, const std::string& path, char type,
                 unsigned major, unsigned minor, unsigned mode, uint32_t uid, uint32_t gid) {
  std::string clean = clean_path(path);
  if (in_user_namespace(ctx)) {
    // mknod is not allowed in a user namespace: bind the host's node instead.
    UniqueFd f = mkfile_in_root(rootfd, clean, 0000);
    do_mount(clean, fd_path(f.get()), nullptr, MS_BIND, "", "bind device " + clean);
    return;
  }
  size_t slash = clean.rfind('/');
  std::string dir = slash == 0 ? "/" : clean.substr(0, slash);
  std::string name = clean.substr(slash + 1);
  if (!cache.fd || cache.path != dir) {
    cache.fd = mkdir_all_in_root(rootfd, dir);
    cache.path = dir;
  }
  int dfd = cache.fd.get();
  mode_t kind = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
  // The umask is 0 here (setup_dev): the mode is exactly the one asked for.
  int r = ::mknodat(dfd, name.c_str(), kind | (mode & 07777), makedev(major, minor));
  if (r < 0 && errno == EEXIST && ::unlinkat(dfd, name.c_str(), 0) == 0)
    r = ::mknodat(dfd, name.c_str(), kind | (mode & 07777), makedev(major, minor));
  if (r < 0) throw_sys("mknod " + clean);
  if (::fchownat(dfd, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) < 0) throw_sys("chown " + clean);
}

// umask(0) for the scope: mknod applies the umask, and device modes are exact.
struct ZeroUmask {
  mode_t old = ::umask(0);
  ~ZeroUmask() { ::umask(old); }
};

bool needs_dev_setup(const oci::Config& cfg) {
  for (const auto& m : cfg.mounts) {
    if (clean_path(m.destination) != "/dev") continue;
    auto o = parse_mount_options(m.options);
    if (o.bind || m.type == "bind") return false;
  }
  return true;
}

void setup_dev(Context& ctx, int rootfd) {
  const oci::Config& cfg = *ctx.config;
  std::set<std::string> done;
  {
    ZeroUmask zero;
    DeviceDir cache;
    for (const auto& d : cfg.linux->devices) {
      // /dev/ptmx is the link made below, as runc's createDevices skips it: in a user namespace
      // a node would be a bind mount, which cannot be removed (EBUSY).
      if (clean_path(d.path) == "/dev/ptmx") continue;
      make_device(ctx, rootfd, cache, d.path, d.type.empty() ? 'c' : d.type[0],
                  static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor),
                  d.file_mode.value_or(0666), d.uid.value_or(0), d.gid.value_or(0));
      done.insert(clean_path(d.path));
    }
    for (const auto& d : kDefaultDevices) {
      if (done.count(d.path)) continue;
      make_device(ctx, rootfd, cache, d.path, 'c', d.major, d.minor, 0666, 0, 0);
    }
  }
  UniqueFd dev = open_in_root(rootfd, "/dev", O_RDONLY | O_DIRECTORY);
  struct Link {
    const char* target;
    const char* name;
  };
  const Link links[] = {{"/proc/self/fd", "fd"},
                        {"/proc/self/fd/0", "stdin"},
                        {"/proc/self/fd/1", "stdout"},
                        {"/proc/self/fd/2", "stderr"}};
  for (const auto& l : links)
    if (::symlinkat(l.target, dev.get(), l.name) < 0 && errno != EEXIST)
      throw_sys(std::string("symlink /dev/") + l.name);
  if (path_exists("/proc/kcore") && ::symlinkat("/proc/kcore", dev.get(), "core") < 0 &&
      errno != EEXIST)
    throw_sys("symlink /dev/core");
  // /dev/ptmx -> pts/ptmx, so each container uses its own devpts instance.
  if (::unlinkat(dev.get(), "ptmx", 0) < 0 && errno != ENOENT) throw_sys("remove /dev/ptmx");
  if (::symlinkat("pts/ptmx", dev.get(), "ptmx") < 0) throw_sys("symlink /dev/ptmx");
}

}  // namespace

namespace {

bool at_or_below(const std::string& path, const std::string& dir) {
  return path == dir || dir == "/" || path.rfind(dir + "/", 0) == 0;
}

// Mount i may move to the end of the list when no later mount is at, below or above its
// destination (moving it would change what covers what), nor binds from there (a source under
// the rootfs sees the mounts made before it), and it is not under /dev (made after the mounts).
bool can_defer(const Context& ctx, size_t i) {
  const oci::Config& cfg = *ctx.config;
  std::string dest = container_destination(ctx, cfg.mounts[i].destination);
  if (at_or_below(dest, "/dev")) return false;
  auto related = [&](const std::string& other) {
    return at_or_below(other, dest) || at_or_below(dest, other);
  };
  std::string root = clean_path(ctx.rootfs);
  for (size_t j = i + 1; j < cfg.mounts.size(); ++j) {
    const oci::Mount& later = cfg.mounts[j];
    if (related(container_destination(ctx, later.destination))) return false;
    std::string src = later.source.empty() ? "" : clean_path(later.source);
    if (!src.empty() && later.source[0] == '/' && at_or_below(src, root) &&
        related(container_destination(ctx, src)))
      return false;
  }
  return true;
}

}  // namespace

namespace {

// The mount the rootfs is on (or is) becomes private in the init's mount namespace, as runc's
// rootfsParentMountPrivate: pivot_root refuses a shared parent, and the rootfs bound from it is
// then private too, so the container's root is no slave of a shared host mount (host mounts
// made later under the rootfs stay out; rootfsPropagation "shared" gives a peer group of its
// own). EINVAL means "not a mount point": go up.
void make_rootfs_mount_private(const std::string& rootfs) {
  std::string path = clean_path(rootfs);
  for (;;) {
    if (::mount(nullptr, path.c_str(), nullptr, MS_PRIVATE, nullptr) == 0) return;
    if (errno != EINVAL || path == "/") throw_sys("make the mount of " + path + " private");
    size_t slash = path.rfind('/');
    path = slash == 0 ? "/" : path.substr(0, slash);
  }
}

}  // namespace

Error mount_error(const oci::Mount& m, const Error& cause) {
  return Error("error mounting " + oci::json_quote(m.source) + " to rootfs at " +
                   oci::json_quote(m.destination) + ": " + cause.what(),
               cause.code());
}

void setup_rootfs(Context& ctx) {
  const oci::Config& cfg = *ctx.config;
  const oci::Linux& linux = *cfg.linux;
  unsigned long prop = MS_SLAVE | MS_REC;
  if (!linux.rootfs_propagation.empty()) prop = propagation_flags(linux.rootfs_propagation);
  // "(r)shared" is applied to / before the mounts, as runc's prepareRoot: the copies of the
  // host's shared mounts stay peers of the host's, so a bind volume of a shared host mount
  // (CRI's Bidirectional propagation: "rbind", "rshared" and rootfsPropagation "rshared") is
  // in the host's peer group, and mounts made under it on either side reach the other. As
  // rslave they would be slaves, and the volume's "rshared" would give it a peer group of its
  // own that the host never hears from. pivot_root does not mind: the rootfs's parent mount
  // is made private below, and / itself is no shared parent (its parent is the namespace's
  // root). Exceptions: "unbindable" is applied after pivot_root (an unbindable tree cannot be
  // bind-mounted), and so is "shared" with --no-pivot, whose MS_MOVE of the rootfs onto / would
  // propagate to the host's / when that is shared.
  if ((prop & MS_UNBINDABLE) || ((prop & MS_SHARED) && ctx.no_pivot)) prop = MS_SLAVE | MS_REC;
  do_mount("", "/", nullptr, prop, "",
           "make / " + (linux.rootfs_propagation.empty() ? std::string("rslave")
                                                         : linux.rootfs_propagation));
  make_rootfs_mount_private(ctx.rootfs);
  do_mount(ctx.rootfs, ctx.rootfs, nullptr, MS_BIND | MS_REC, "",
           "bind mount rootfs " + ctx.rootfs);
  UniqueFd rootfd = open_fd(ctx.rootfs, O_PATH | O_DIRECTORY);
  // cgroup mounts wait for the init to be in its cgroup (and cgroup namespace); the runtime's
  // attach takes ~10 ms on cgroup v1, so they go last when no later mount depends on them.
  std::vector<size_t> deferred;
  for (size_t i = 0; i < cfg.mounts.size(); ++i) {
    const oci::Mount& m = cfg.mounts[i];
    if ((m.type == "cgroup" || m.type == "cgroup2") && can_defer(ctx, i)) {
      deferred.push_back(i);
      continue;
    }
    mount_one(ctx, rootfd.get(), m, i);
  }
  if (needs_dev_setup(cfg)) setup_dev(ctx, rootfd.get());
  join_cgroup(ctx);
  for (size_t i : deferred) mount_one(ctx, rootfd.get(), cfg.mounts[i], i);
}

namespace {

void pivot(Context& ctx) {
  if (ctx.no_pivot) {
    move_root_without_pivot(ctx.rootfs);
    return;
  }
  UniqueFd oldroot = open_fd("/", O_DIRECTORY | O_RDONLY);
  UniqueFd newroot = open_fd(ctx.rootfs, O_DIRECTORY | O_RDONLY);
  if (::fchdir(newroot.get()) < 0) throw_sys("chdir " + ctx.rootfs);
  if (::syscall(SYS_pivot_root, ".", ".") < 0) throw_sys("pivot_root " + ctx.rootfs);
  if (::fchdir(oldroot.get()) < 0) throw_sys("chdir to the old root");
  // The old root is stacked on "/": detach it without propagating the unmount to the host.
  do_mount("", ".", nullptr, MS_SLAVE | MS_REC, "", "make the old root rslave");
  if (::umount2(".", MNT_DETACH) < 0) throw_sys("unmount the old root");
  if (::chdir("/") < 0) throw_sys("chdir /");
}

// An O_PATH fd of a masked or read-only path inside the container (we are past pivot_root, so
// "/" is the container's root). No symlink anywhere on the way: a path that is or goes through
// one is an error, never followed. Empty when it does not exist.
UniqueFd open_protected_path(const std::string& path, const char* what) {
  open_how how{};
  how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, AT_FDCWD, path.c_str(), &how, sizeof how);
  if (fd >= 0) {
    UniqueFd f(static_cast<int>(fd));
    struct stat st;
    // O_PATH|O_NOFOLLOW opens a symlink in the last component itself: refuse it too.
    if (::fstat(f.get(), &st) < 0) throw_sys(std::string(what) + " " + path);
    if (S_ISLNK(st.st_mode))
      throw Error(std::string(what) + " " + path + ": is or goes through a symlink", ELOOP);
    return f;
  }
  if (errno == ENOENT) return UniqueFd();
  if (errno == ELOOP)
    throw Error(std::string(what) + " " + path + ": is or goes through a symlink", ELOOP);
  throw_sys(std::string(what) + " " + path);
}

// Attaches the detached mount `tree` onto the file or directory `target` (both fds).
void move_mount_to(int tree, int target, const std::string& shown) {
  if (::syscall(SYS_move_mount, tree, "", target, "",
                MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    throw_sys(shown);
}

// The container's /dev/null, checked to be the null device (1:3) and not a symlink: masking
// binds it over files, and a /dev/null swapped for a symlink to a procfs file would otherwise
// bind that file instead (CVE-2025-31133).
UniqueFd verified_dev_null() {
  UniqueFd null = open_protected_path("/dev/null", "maskedPaths: /dev/null");
  struct stat st;
  if (!null || ::fstat(null.get(), &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
    throw Error("maskedPaths: /dev/null in the container is not the null device (1:3)");
  return null;
}

// What masking binds: the container's /dev/null over files; over directories one read-only,
// one-block tmpfs shared by all of them (runc 1.3's maskPaths: the first masked directory gets
// it, the others a bind of it).
struct Masks {
  UniqueFd dev_null;  // verified, on first use
  UniqueFd dir_mask;  // the shared tmpfs, once attached on the first masked directory
};

void mask_path(const std::string& path, Masks& masks) {
  UniqueFd target = open_protected_path(path, "maskedPaths:");
  if (!target) return;
  struct stat st;
  if (::fstat(target.get(), &st) < 0) throw_sys("stat masked path " + path);
  if (S_ISDIR(st.st_mode)) {
    if (masks.dir_mask) {
      UniqueFd tree = clone_mount(masks.dir_mask.get(), false, "mask " + path);
      move_mount_to(tree.get(), target.get(), "mask " + path);
      return;
    }
    UniqueFd tree = detached_mount("tmpfs", MOUNT_ATTR_RDONLY,
                                   {{"source", "tmpfs"}, {"nr_blocks", "1"}, {"nr_inodes", "1"}},
                                   "mask " + path);
    move_mount_to(tree.get(), target.get(), "mask " + path);
    masks.dir_mask = std::move(tree);  // attached now: later masks clone it
    return;
  }
  if (!masks.dev_null) masks.dev_null = verified_dev_null();
  UniqueFd tree = clone_mount(masks.dev_null.get(), false, "mask " + path + ": clone /dev/null");
  move_mount_to(tree.get(), target.get(), "mask " + path);
}

void readonly_path(const std::string& path) {
  UniqueFd target = open_protected_path(path, "readonlyPaths:");
  if (!target) return;
  UniqueFd tree = clone_mount(target.get(), true, "bind readonly path " + path);
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
                sizeof attr) < 0)
    throw_sys("remount readonly path " + path + " read-only");
  move_mount_to(tree.get(), target.get(), "bind readonly path " + path);
}

void write_sysctl(const std::string& key, const std::string& value) {
  std::string rel = key;
  for (char& c : rel)
    if (c == '.') c = '/';
  if (rel.find("..") != std::string::npos || rel.empty() || rel[0] == '/')
    throw Error("linux.sysctl: invalid key \"" + key + "\"");
  write_private_proc("sys/" + rel, value, "linux.sysctl[\"" + key + "\"]");
}

// runc's needsSetupDev: the runtime makes /dev unless a bind mount provides it.
bool sets_up_dev(const oci::Config& cfg) {
  for (const auto& m : cfg.mounts) {
    bool bind = m.type == "bind";
    for (const auto& o : m.options) bind = bind || o == "bind" || o == "rbind";
    if (bind && clean_path(m.destination) == "/dev") return false;
  }
  return true;
}

bool is_dev_null(const struct stat& st) {
  return S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3;
}

// runc's reOpenDevNull: a stdio fd that is /dev/null (the host's, as an engine passes it for a
// container without stdin) becomes the container's own /dev/null. Then nothing of the process
// points outside its mounts: CRIU cannot dump a file on a mount the container does not have
// ("Can't lookup mount=N for fd=0 path=/dev/null", Podman's checkpoint).
void reopen_dev_null() {
  UniqueFd null = open_fd("/dev/null", O_RDWR | O_CLOEXEC);
  struct stat st;
  if (::fstat(null.get(), &st) < 0) throw_sys("fstat /dev/null");
  if (!is_dev_null(st))
    throw Error(
        "error reopening /dev/null inside container: can't reopen /dev/null: container's "
        "/dev/null is invalid");
  for (int fd = 0; fd < 3; ++fd) {
    if (::fstat(fd, &st) < 0) {
      if (errno == EBADF) continue;
      throw_sys("fstat fd " + std::to_string(fd));
    }
    if (is_dev_null(st) && ::dup3(null.get(), fd, 0) < 0)
      throw_sys("dup3 /dev/null to fd " + std::to_string(fd));
  }
}

}  // namespace

void finish_rootfs(Context& ctx) {
  const oci::Config& cfg = *ctx.config;
  const oci::Linux& linux = *cfg.linux;
  pivot(ctx);
  if (!linux.rootfs_propagation.empty()) {
    unsigned long p = propagation_flags(linux.rootfs_propagation);
    if (p) do_mount("", "/", nullptr, p, "", "set rootfs propagation " + linux.rootfs_propagation);
  }
  if (sets_up_dev(cfg)) reopen_dev_null();
  for (const auto& [k, v] : linux.sysctl) write_sysctl(k, v);
  if (!cfg.hostname.empty() && ::sethostname(cfg.hostname.data(), cfg.hostname.size()) < 0)
    throw_sys("sethostname " + cfg.hostname);
  if (!cfg.domainname.empty() && ::setdomainname(cfg.domainname.data(), cfg.domainname.size()) < 0)
    throw_sys("setdomainname " + cfg.domainname);
  for (const auto& p : linux.readonly_paths) readonly_path(p);
  Masks masks;
  for (const auto& p : linux.masked_paths) mask_path(p, masks);
  // A missing cwd is made (runc does; Kubernetes' workingDir relies on it), before the root
  // may turn read-only.
  if (cfg.process && !cfg.process->cwd.empty() && cfg.process->cwd[0] == '/') {
    UniqueFd root = open_fd("/", O_PATH | O_DIRECTORY);
    mkdir_all_in_root(root.get(), cfg.process->cwd, 0755);
  }
  for (const auto& [dest, m] : ctx.readonly_later) {
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (::syscall(SYS_mount_setattr, m.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
      throw_sys("remount " + dest + " read-only");
  }
  ctx.readonly_later.clear();
  if (cfg.root && cfg.root->readonly) bind_remount("/", MS_RDONLY, "/ read-only");
}

}  // namespace nucleus::init
