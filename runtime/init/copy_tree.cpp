#include "runtime/init/copy_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <string>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace nucleus::init {
namespace {

void copy_contents(int in, int out, const std::string& name) {
  for (;;) {
    ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
    if (n == 0) return;
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
      throw_sys("tmpcopyup: copy " + name);
    break;  // fall back to read/write
  }
  char buf[65536];
  for (;;) {
    ssize_t r = ::read(in, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw_sys("tmpcopyup: read " + name);
    if (r == 0) return;
    for (ssize_t off = 0; off < r;) {
      ssize_t w = ::write(out, buf + off, static_cast<size_t>(r - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) throw_sys("tmpcopyup: write " + name);
      off += w;
    }
  }
}

}  // namespace

void copy_tree(int from, int to) {
  int dup = ::openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup < 0) throw_sys("tmpcopyup: open directory");
  DIR* d = ::fdopendir(dup);
  if (!d) {
    ::close(dup);
    throw_sys("tmpcopyup: read directory");
  }
  struct Closer {
    DIR* d;
    ~Closer() { ::closedir(d); }
  } closer{d};
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (::fstatat(from, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
      throw_sys("tmpcopyup: stat " + name);
    mode_t perm = st.st_mode & 07777;
    if (S_ISDIR(st.st_mode)) {
      if (::mkdirat(to, name.c_str(), perm) < 0 && errno != EEXIST)
        throw_sys("tmpcopyup: mkdir " + name);
      UniqueFd sub_in(
          ::openat(from, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      UniqueFd sub_out(::openat(to, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub_in || !sub_out) throw_sys("tmpcopyup: open directory " + name);
      copy_tree(sub_in.get(), sub_out.get());
      if (::fchown(sub_out.get(), st.st_uid, st.st_gid) < 0 || ::fchmod(sub_out.get(), perm) < 0)
        throw_sys("tmpcopyup: set owner and mode of " + name);
    } else if (S_ISREG(st.st_mode)) {
      UniqueFd in(::openat(from, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!in) throw_sys("tmpcopyup: open " + name);
      UniqueFd out(
          ::openat(to, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, perm));
      if (!out) throw_sys("tmpcopyup: create " + name);
      copy_contents(in.get(), out.get(), name);
      if (::fchown(out.get(), st.st_uid, st.st_gid) < 0 || ::fchmod(out.get(), perm) < 0)
        throw_sys("tmpcopyup: set owner and mode of " + name);
    } else if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = ::readlinkat(from, name.c_str(), target, sizeof target - 1);
      if (n < 0) throw_sys("tmpcopyup: readlink " + name);
      target[n] = '\0';
      if (::symlinkat(target, to, name.c_str()) < 0) throw_sys("tmpcopyup: symlink " + name);
      if (::fchownat(to, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        throw_sys("tmpcopyup: chown " + name);
    } else if (!S_ISSOCK(st.st_mode)) {
      if (::mknodat(to, name.c_str(), st.st_mode, st.st_rdev) < 0)
        throw_sys("tmpcopyup: mknod " + name);
      if (::fchownat(to, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        throw_sys("tmpcopyup: chown " + name);
    }
  }
}

}  // namespace nucleus::init
