#include "util/paths.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <climits>

#include <vector>

#include "util/error.hpp"

namespace nucleus {
namespace {

int openat2_raw(int dirfd, const std::string& path, int flags, unsigned mode) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  std::string rel = path;
  while (!rel.empty() && rel[0] == '/') rel.erase(0, 1);
  if (rel.empty()) rel = ".";
  for (;;) {
    long fd = ::syscall(SYS_openat2, dirfd, rel.c_str(), &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    if (errno != EAGAIN && errno != EINTR) return -1;
  }
}

}  // namespace

std::string fd_path(int fd) {
  return "/proc/self/fd/" + std::to_string(fd);
}

UniqueFd open_in_root(int rootfd, const std::string& path, int flags, unsigned mode) {
  int fd = openat2_raw(rootfd, path, flags, mode);
  if (fd < 0) throw_sys("open " + path + " in the container rootfs");
  return UniqueFd(fd);
}

UniqueFd try_open_in_root(int rootfd, const std::string& path, int flags) {
  int fd = openat2_raw(rootfd, path, flags, 0);
  if (fd < 0) {
    if (errno == ENOENT) return UniqueFd();
    throw_sys("open " + path + " in the container rootfs");
  }
  return UniqueFd(fd);
}

std::string clean_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string c = path.substr(i, j - i);
    if (c == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!c.empty() && c != ".") {
      parts.push_back(c);
    }
    i = j + 1;
  }
  std::string out;
  for (auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

std::string resolve_in_root(int rootfd, const std::string& path) {
  std::vector<std::string> done;  // resolved components: none of those that exist is a symlink
  std::string rest = path;
  int links = 0;
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string comp = rest.substr(0, slash);
    rest = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (comp.empty() || comp == ".") continue;
    if (comp == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    std::string candidate;
    for (const auto& d : done) candidate += "/" + d;
    candidate += "/" + comp;
    open_how how{};
    how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    long fd;
    do {
      fd = ::syscall(SYS_openat2, rootfd, candidate.c_str() + 1, &how, sizeof how);
    } while (fd < 0 && (errno == EAGAIN || errno == EINTR));
    if (fd < 0) {
      // Missing (or below a non-directory): kept as written, as SecureJoin does.
      if (errno != ENOENT && errno != ENOTDIR)
        throw_sys("resolve " + path + " in the container rootfs");
      done.push_back(comp);
      continue;
    }
    UniqueFd f(static_cast<int>(fd));
    char target[PATH_MAX];
    ssize_t n = ::readlinkat(f.get(), "", target, sizeof target - 1);
    if (n < 0) {
      if (errno != EINVAL && errno != ENOENT)
        throw_sys("readlink " + candidate + " in the container rootfs");
      done.push_back(comp);  // not a symlink
      continue;
    }
    if (++links > 255) throw_sys("resolve " + path + " in the container rootfs", ELOOP);
    std::string t(target, static_cast<size_t>(n));
    if (!t.empty() && t[0] == '/') done.clear();
    rest = rest.empty() ? t : t + "/" + rest;
  }
  std::string out;
  for (const auto& d : done) out += "/" + d;
  return out.empty() ? "/" : out;
}

UniqueFd mkdir_all_in_root(int rootfd, const std::string& path, unsigned mode) {
  std::string clean = clean_path(path);
  // Usually the directory exists: one openat2 (it resolves exactly as the walk below does).
  if (UniqueFd whole = try_open_in_root(rootfd, clean, O_PATH | O_DIRECTORY)) return whole;
  // Else usually only the last component is missing: make it in its parent. Anything odd (a
  // dangling symlink, an error) is left to the walk, which handles it and names the error.
  if (size_t slash = clean.rfind('/'); clean != "/") {
    std::string name = clean.substr(slash + 1);
    if (UniqueFd parent = try_open_in_root(rootfd, slash == 0 ? "/" : clean.substr(0, slash),
                                           O_PATH | O_DIRECTORY)) {
      // parent is a directory inside the root; name has no slash: mkdirat cannot escape.
      if (::mkdirat(parent.get(), name.c_str(), mode) == 0 || errno == EEXIST)
        if (UniqueFd made = try_open_in_root(rootfd, clean, O_PATH | O_DIRECTORY)) return made;
    }
  }
  // The walk: where the path leads once its symlinks (dangling ones too) are followed inside
  // the root, made one plain component at a time from directory fds.
  std::string real = resolve_in_root(rootfd, clean);
  UniqueFd cur = open_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
  std::string sofar;
  size_t i = 1;
  while (i < real.size()) {
    size_t j = real.find('/', i);
    if (j == std::string::npos) j = real.size();
    std::string comp = real.substr(i, j - i);
    sofar += "/" + comp;
    // cur is a directory inside the root; comp is a plain name (no slash, no ".."): mkdirat
    // cannot escape, and O_NOFOLLOW refuses a symlink swapped in since the resolution.
    if (::mkdirat(cur.get(), comp.c_str(), mode) < 0 && errno != EEXIST)
      throw_sys("mkdir " + sofar + " in the container rootfs");
    int next = ::openat(cur.get(), comp.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) throw_sys("open " + sofar + " in the container rootfs");
    cur = UniqueFd(next);
    i = j + 1;
  }
  return cur;
}

UniqueFd mkfile_in_root(int rootfd, const std::string& path, unsigned mode) {
  std::string clean = clean_path(path);
  UniqueFd existing = try_open_in_root(rootfd, clean, O_PATH);
  if (existing) return existing;
  // Missing, or a dangling symlink (/etc/resolv.conf -> ../run/...): made where the links lead
  // inside the root, as runc does.
  std::string real = resolve_in_root(rootfd, clean);
  if (real == "/") return open_in_root(rootfd, real, O_PATH);
  size_t slash = real.rfind('/');
  std::string name = real.substr(slash + 1);
  UniqueFd dir = mkdir_all_in_root(rootfd, slash == 0 ? "/" : real.substr(0, slash));
  // dir is inside the root and name a plain name: O_EXCL|O_NOFOLLOW makes a new regular file
  // there or fails, never following anything.
  int fd =
      ::openat(dir.get(), name.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_RDONLY | O_CLOEXEC, mode);
  if (fd >= 0) return UniqueFd(fd);
  if (errno != EEXIST) throw_sys("create " + real + " in the container rootfs");
  return open_in_root(rootfd, real, O_PATH);  // made meanwhile
}

}  // namespace nucleus
