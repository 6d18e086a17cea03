#include "runtime/init/procfs.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/util/error.hpp"
#include "runtime/util/fs.hpp"
#include "runtime/util/mount_api.hpp"

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

int private_proc() {
  static UniqueFd fd = make_private_proc();
  return fd.get();
}

}  // namespace

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

}  // namespace nucleus::init
