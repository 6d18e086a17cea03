#include "runtime/util/paths.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <climits>

#include <vector>

#include "runtime/util/error.hpp"

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
  UniqueFd cur = open_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
  std::string sofar;
  size_t i = 1;
  int links = 0;
  while (i < clean.size()) {
    size_t j = clean.find('/', i);
    if (j == std::string::npos) j = clean.size();
    std::string comp = clean.substr(i, j - i);
    std::string parent = sofar;
    sofar += "/" + comp;
    UniqueFd next = try_open_in_root(rootfd, sofar, O_PATH | O_DIRECTORY);
    if (!next) {
      // cur is a directory inside the root; comp has no slash: mkdirat cannot escape.
      if (::mkdirat(cur.get(), comp.c_str(), mode) < 0 && errno != EEXIST)
        throw_sys("mkdir " + sofar + " in the container rootfs");
      next = try_open_in_root(rootfd, sofar, O_PATH | O_DIRECTORY);
      if (!next) {
        // A dangling symlink: create what it points to, inside the root (as the kernel would
        // resolve it with the rootfs as "/"), then go on from there.
        char target[PATH_MAX];
        ssize_t n = ::readlinkat(cur.get(), comp.c_str(), target, sizeof target - 1);
        if (n <= 0) throw_sys("open " + sofar + " in the container rootfs", ENOENT);
        if (++links > 40) throw_sys("resolve " + path + " in the container rootfs", ELOOP);
        std::string t(target, static_cast<size_t>(n));
        std::string rest = j < clean.size() ? clean.substr(j) : "";
        clean = clean_path((t[0] == '/' ? t : (parent.empty() ? "/" : parent) + "/" + t) + rest);
        cur = open_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
        sofar.clear();
        i = 1;
        continue;
      }
    }
    cur = std::move(next);
    i = j + 1;
  }
  return cur;
}

UniqueFd mkfile_in_root(int rootfd, const std::string& path, unsigned mode) {
  std::string clean = clean_path(path);
  UniqueFd existing = try_open_in_root(rootfd, clean, O_PATH);
  if (existing) return existing;
  size_t slash = clean.rfind('/');
  std::string dir = clean.substr(0, slash);
  std::string name = clean.substr(slash + 1);
  UniqueFd parent = mkdir_all_in_root(rootfd, dir.empty() ? "/" : dir);
  UniqueFd dfd = open_in_root(rootfd, dir.empty() ? "/" : dir, O_RDONLY | O_DIRECTORY);
  int fd = ::openat(dfd.get(), name.c_str(), O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0 && errno != EEXIST && errno != ELOOP)
    throw_sys("create " + clean + " in the container rootfs");
  if (fd >= 0) ::close(fd);
  return open_in_root(rootfd, clean, O_PATH);
}

}  // namespace nucleus
