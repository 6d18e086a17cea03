#include "util/mount_api.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/error.hpp"

namespace nucleus {

UniqueFd detached_mount(const char* fstype, unsigned attrs,
                        const std::vector<std::pair<std::string, std::string>>& options,
                        const std::string& what) {
  long ctx = ::syscall(SYS_fsopen, fstype, FSOPEN_CLOEXEC);
  if (ctx < 0) throw_sys(what + ": fsopen " + fstype);
  UniqueFd fs(static_cast<int>(ctx));
  for (const auto& [key, value] : options)
    if (::syscall(SYS_fsconfig, fs.get(), FSCONFIG_SET_STRING, key.c_str(), value.c_str(), 0) < 0)
      throw_sys(what + ": " + fstype + " option " + key + "=" + value);
  if (::syscall(SYS_fsconfig, fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
    throw_sys(what + ": create " + fstype);
  long m = ::syscall(SYS_fsmount, fs.get(), FSMOUNT_CLOEXEC, attrs);
  if (m < 0) throw_sys(what + ": fsmount " + fstype);
  return UniqueFd(static_cast<int>(m));
}

UniqueFd clone_mount(int fd, bool recursive, const std::string& what) {
  long t = ::syscall(
      SYS_open_tree, fd, "",
      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0));
  if (t < 0) throw_sys(what);
  return UniqueFd(static_cast<int>(t));
}

}  // namespace nucleus
