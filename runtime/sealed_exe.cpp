#include "runtime/sealed_exe.hpp"

#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "runtime/log.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/mount_api.hpp"

extern char** environ;

namespace nucleus {
namespace {

constexpr const char* kMarker = "_NUCLEUS_OCI_SEALED";

std::string escape_lowerdir(const std::string& p) {
  std::string out;
  for (char c : p) {
    if (c == ':' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// The binary through a private overlayfs made of two lower layers and no upper one: overlayfs
// itself refuses every write (EROFS), whatever mount flags anyone changes later, and the mount
// is never attached anywhere. No copy: the page cache is the binary's own. runc >= 1.2 does the
// same.
bool overlaps(const std::string& a, const std::string& b) {
  auto under = [](const std::string& x, const std::string& y) {  // x is y or below y
    return x == y || y == "/" || (x.rfind(y, 0) == 0 && x[y.size()] == '/');
  };
  return under(a, b) || under(b, a);
}

UniqueFd seal_with_overlay(const std::vector<std::string>& scratch_dirs) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw_sys("readlink /proc/self/exe");
  std::string path(buf, static_cast<size_t>(n));
  size_t slash = path.rfind('/');
  if (path[0] != '/' || slash == std::string::npos)
    throw Error("the binary's path is not absolute: " + path);
  std::string dir = slash == 0 ? "/" : path.substr(0, slash);
  std::string name = path.substr(slash + 1);
  // The second lower layer: any directory that neither holds nor is held by the binary's.
  std::string scratch_dir;
  for (const auto& d : scratch_dirs)
    if (!overlaps(d, dir)) {
      scratch_dir = d;
      break;
    }
  if (scratch_dir.empty()) throw Error("no scratch directory apart from " + dir);
  mkdir_p(scratch_dir, 0711);

  // The binary's directory on top, so a file of the same name in the scratch dir cannot mask it.
  UniqueFd mnt = detached_mount(
      "overlay", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID,
      {{"lowerdir", escape_lowerdir(dir) + ":" + escape_lowerdir(scratch_dir)}, {"xino", "off"}},
      "seal the binary (lowerdir=" + dir + ":" + scratch_dir + ")");
  int exe = ::openat(mnt.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (exe < 0) throw_sys("open " + name + " in the sealed overlay");
  return UniqueFd(exe);
}

// Fallback (no overlayfs or no privilege to make one, e.g. rootless): a sealed memfd copy.
UniqueFd seal_with_memfd() {
  UniqueFd src = open_fd("/proc/self/exe", O_RDONLY);
  int fd = ::memfd_create("nucleus-oci", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) throw_sys("memfd_create");
  UniqueFd mem(fd);
  struct stat st;
  if (::fstat(src.get(), &st) < 0) throw_sys("stat /proc/self/exe");
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = ::sendfile(mem.get(), src.get(), &off, static_cast<size_t>(st.st_size - off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw_sys("copy the binary into a memfd");
  }
  if (::fcntl(mem.get(), F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
    throw_sys("seal the memfd copy");
  return mem;
}

}  // namespace

bool exe_is_sealed() {
  int fd = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  UniqueFd exe(fd);
  struct statfs sfs;
  if (::fstatfs(exe.get(), &sfs) == 0 && sfs.f_type == OVERLAYFS_SUPER_MAGIC &&
      (sfs.f_flags & ST_RDONLY))
    return true;
  int seals = ::fcntl(exe.get(), F_GET_SEALS);
  return seals >= 0 && (seals & F_SEAL_WRITE) && (seals & F_SEAL_SEAL);
}

namespace {
char** g_argv = nullptr;
}  // namespace

void remember_argv(char** argv) {
  g_argv = argv;
}

UniqueFd sealed_exe_fd(const std::string& scratch_dir) {
  try {
    return seal_with_overlay({scratch_dir, "/run/nucleus-oci-seal", "/var/lib/nucleus-oci-seal"});
  } catch (const std::exception& e) {
    log::debug(std::string("sealed overlay unavailable (") + e.what() + "): using a memfd copy");
    return seal_with_memfd();
  }
}

void ensure_sealed_exe(const std::string& scratch_dir) {
  if (exe_is_sealed()) {
    ::unsetenv(kMarker);
    return;
  }
  if (::getenv(kMarker))
    throw Error("re-executed from a sealed binary, but /proc/self/exe is still not sealed");
  UniqueFd exe = sealed_exe_fd(scratch_dir);
  ::setenv(kMarker, "1", 1);
  if (!g_argv) throw Error("re-exec from the sealed binary: no command line remembered");
  ::syscall(SYS_execveat, exe.get(), "", g_argv, environ, AT_EMPTY_PATH);
  int err = errno;
  ::unsetenv(kMarker);
  throw_sys("re-exec from the sealed binary", err);
}

}  // namespace nucleus
