#include "runtime/init/procfs.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/mount_api.hpp"

namespace nucleus::init {
namespace {

// A fresh procfs superblock view made with the new mount API (fsopen + fsmount): detached,
// so nothing can be mounted over any of its files. Where the kernel refuses a new procfs (a
// user namespace whose /proc is not fully visible), a non-recursive clone of the current /proc
// mount: the clone carries none of the mounts stacked on it.
UniqueFd make_private_proc() {
  try {
    return detached_mount("proc", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, {},
                          "a private procfs");
  } catch (const Error&) {
  }
  UniqueFd proc = open_fd("/proc", O_PATH | O_DIRECTORY);
  UniqueFd tree = clone_mount(proc.get(), false, "clone /proc (for a private procfs)");
  struct statfs sfs;
  if (::fstatfs(tree.get(), &sfs) < 0) throw_sys("statfs /proc");
  if (sfs.f_type != PROC_SUPER_MAGIC) throw Error("/proc in the container is not a procfs");
  return tree;
}

UniqueFd& private_proc_fd() {
  static UniqueFd fd;
  return fd;
}

int private_proc() {
  UniqueFd& fd = private_proc_fd();
  if (!fd) fd = make_private_proc();
  return fd.get();
}

// The container's own /proc can reopen this thread's fds: /proc/thread-self/fd is a procfs
// directory.
bool container_proc_usable() {
  int fd = ::open("/proc/thread-self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  UniqueFd dir(fd);
  struct statfs sfs;
  return ::fstatfs(dir.get(), &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

// Blocks like open(2) (a fifo waits for its reader); EINTR is retried.
UniqueFd open_retrying(int dirfd, const std::string& path, int flags) {
  int r;
  do {
    r = ::openat(dirfd, path.c_str(), flags | O_CLOEXEC);
  } while (r < 0 && errno == EINTR);
  if (r < 0) throw_sys("reopen " + path);
  return UniqueFd(r);
}

}  // namespace

void release_private_proc() {
  private_proc_fd().reset();
}

std::string proc_self() {
  return std::to_string(::syscall(SYS_gettid));
}

UniqueFd open_private_proc(const std::string& rel, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  long fd = ::syscall(SYS_openat2, private_proc(), rel.c_str(), &how, sizeof how);
  if (fd < 0) throw_sys("open /proc/" + rel);
  return UniqueFd(static_cast<int>(fd));
}

void write_private_proc(const std::string& rel, const std::string& value, const std::string& what) {
  UniqueFd f;
  try {
    f = open_private_proc(rel, O_WRONLY);
  } catch (const Error& e) {
    throw Error(what + ": " + e.what(), e.code());
  }
  ssize_t n = ::write(f.get(), value.data(), value.size());
  if (n < 0) throw_sys(what + ": write /proc/" + rel);
  if (static_cast<size_t>(n) != value.size()) throw Error(what + ": short write to /proc/" + rel);
}

FdReopener FdReopener::prepare() {
  FdReopener r;
  if (container_proc_usable()) return r;
  try {
    r.proc_ = detached_mount(
        "proc", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
        {{"subset", "pid"}}, "a procfs to reopen exec.fifo through");
  } catch (const Error& e) {
    throw Error("the container has no /proc, and " + std::string(e.what()), e.code());
  }
  return r;
}

UniqueFd FdReopener::reopen(int fd, int flags) const {
  const std::string n = std::to_string(fd);
  UniqueFd reopened;
  if (proc_) {
    open_how how{};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    long dir = ::syscall(SYS_openat2, proc_.get(), "thread-self/fd", &how, sizeof how);
    if (dir < 0) throw_sys("open thread-self/fd of the pid-only procfs");
    UniqueFd fds(static_cast<int>(dir));
    reopened = open_retrying(fds.get(), n, flags);
  } else {
    reopened = open_retrying(AT_FDCWD, "/proc/thread-self/fd/" + n, flags);
  }
  // Whatever was mounted on the way, the reopened file must be the one the fd names.
  struct stat want, got;
  if (::fstat(fd, &want) < 0 || ::fstat(reopened.get(), &got) < 0) throw_sys("stat a reopened fd");
  if (want.st_dev != got.st_dev || want.st_ino != got.st_ino)
    throw Error("reopen /proc/thread-self/fd/" + n + ": not the same file");
  return reopened;
}

}  // namespace nucleus::init
