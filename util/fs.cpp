#include "util/fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "util/error.hpp"

namespace nucleus {

UniqueFd open_fd_at(int dirfd, const std::string& path, int flags, unsigned mode) {
  int fd = ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) throw_sys("open " + path);
  return UniqueFd(fd);
}

UniqueFd open_fd(const std::string& path, int flags, unsigned mode) {
  return open_fd_at(AT_FDCWD, path, flags, mode);
}

std::string read_all(int fd, const std::string& shown) {
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_sys("read " + shown);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

void write_all(int fd, std::string_view data, const std::string& shown) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw_sys("write " + shown, n == 0 ? EIO : errno);
    data.remove_prefix(static_cast<size_t>(n));
  }
}

std::string read_file_at(int dirfd, const std::string& path) {
  UniqueFd fd = open_fd_at(dirfd, path, O_RDONLY);
  return read_all(fd.get(), path);
}

std::string read_file(const std::string& path) {
  return read_file_at(AT_FDCWD, path);
}

void write_file(const std::string& path, std::string_view data) {
  UniqueFd fd = open_fd(path, O_WRONLY);
  ssize_t n = ::write(fd.get(), data.data(), data.size());
  if (n < 0) throw_sys("write " + std::string(data) + " to " + path);
  if (static_cast<size_t>(n) != data.size()) throw Error("short write to " + path);
}

void write_file_atomic(const std::string& path, std::string_view data, unsigned mode) {
  write_file_atomic_at(AT_FDCWD, path, data, mode);
}

void write_file_atomic_at(int dirfd, const std::string& path, std::string_view data,
                          unsigned mode) {
  // A name of this process's own: writers of the same file (seccomp cache entries, trace
  // files) may run in parallel, and each must rename a whole file into place.
  std::string tmp = path + "." + std::to_string(::getpid()) + ".tmp";
  {
    UniqueFd f = open_fd_at(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
    try {
      write_all(f.get(), data, tmp);
    } catch (const Error&) {
      ::unlinkat(dirfd, tmp.c_str(), 0);
      throw;
    }
  }
  if (::renameat(dirfd, tmp.c_str(), dirfd, path.c_str()) < 0) {
    int e = errno;
    ::unlinkat(dirfd, tmp.c_str(), 0);
    throw_sys("rename " + tmp + " to " + path, e);
  }
}

bool path_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

void mkdir_p(const std::string& path, unsigned mode) {
  if (path.empty()) return;
  // Usually all there but the last component, if that: one mkdir.
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return;
  std::string cur;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    cur = path.substr(0, pos);
    if (cur.empty()) continue;
    if (::mkdir(cur.c_str(), mode) < 0 && errno != EEXIST) throw_sys("mkdir " + cur);
  }
}

static void remove_tree_at(int dirfd, const std::string& name, const std::string& shown) {
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return;
    if (errno == ENOTDIR || errno == ELOOP) {
      if (::unlinkat(dirfd, name.c_str(), 0) < 0 && errno != ENOENT) throw_sys("unlink " + shown);
      return;
    }
    throw_sys("open " + shown);
  }
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    throw_sys("opendir " + shown);
  }
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    if (e->d_type == DT_DIR) {
      remove_tree_at(::dirfd(d), n, shown + "/" + n);
    } else if (::unlinkat(::dirfd(d), n.c_str(), 0) < 0 && errno != ENOENT) {
      int err = errno;
      ::closedir(d);
      throw_sys("unlink " + shown + "/" + n, err);
    }
  }
  ::closedir(d);
  if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
    throw_sys("rmdir " + shown);
}

void remove_tree(const std::string& path) {
  remove_tree_at(AT_FDCWD, path, path);
}

void close_fds_except(int first, std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned from = static_cast<unsigned>(first);
  for (int k : keep) {
    if (k < first) continue;
    if (static_cast<unsigned>(k) > from)
      ::syscall(SYS_close_range, from, static_cast<unsigned>(k) - 1, 0);
    ::fcntl(k, F_SETFD, FD_CLOEXEC);
    from = static_cast<unsigned>(k) + 1;
  }
  ::syscall(SYS_close_range, from, ~0u, 0);
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace nucleus
