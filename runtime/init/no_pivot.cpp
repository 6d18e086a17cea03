// --no-pivot (runc's msMoveRoot): hide the host's procfs and sysfs, MS_MOVE the rootfs onto /,
// chroot.
#include "runtime/init/no_pivot.hpp"

#include <sys/mount.h>
#include <unistd.h>

#include <sstream>
#include <vector>

#include "util/error.hpp"
#include "util/fs.hpp"

namespace nucleus::init {
namespace {

// A mountinfo field with its octal escapes (\040 for a space...) decoded.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    auto octal = [&](size_t k) { return s[k] >= '0' && s[k] <= '7'; };
    if (s[i] == '\\' && i + 3 < s.size() && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Mount points of the full (root "/") proc and sysfs mounts not under `rootfs`, in mountinfo
// order (parents before their children).
std::vector<std::string> host_proc_and_sys(const std::string& rootfs) {
  std::vector<std::string> out;
  std::istringstream in(read_file("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point, field;
    f >> id >> parent >> dev >> root >> point;
    while (f >> field && field != "-") {
    }
    std::string fstype;
    f >> fstype;
    point = unescape(point);
    if (root != "/" || (fstype != "proc" && fstype != "sysfs")) continue;
    if (point.compare(0, rootfs.size(), rootfs) == 0) continue;  // runc: a plain prefix test
    out.push_back(point);
  }
  return out;
}

void hide(const std::string& point) {
  // Never propagate the unmount to the host.
  if (::mount(nullptr, point.c_str(), nullptr, MS_SLAVE | MS_REC, nullptr) < 0) {
    if (errno == ENOENT) return;  // under a mount hidden already
    throw_sys("make " + point + " rslave");
  }
  if (::umount2(point.c_str(), MNT_DETACH) == 0) return;
  if (errno != EINVAL && errno != EPERM) throw_sys("unmount " + point);
  // Not ours to unmount (locked in a user namespace): cover it.
  if (::mount("tmpfs", point.c_str(), "tmpfs", 0, nullptr) < 0) throw_sys("cover " + point);
}

}  // namespace

void move_root_without_pivot(const std::string& rootfs) {
  for (const std::string& point : host_proc_and_sys(rootfs)) hide(point);
  if (::chdir(rootfs.c_str()) < 0) throw_sys("chdir " + rootfs);
  if (::mount(rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) < 0) throw_sys("move rootfs to /");
  if (::chroot(".") < 0) throw_sys("chroot " + rootfs);
  if (::chdir("/") < 0) throw_sys("chdir /");
}

}  // namespace nucleus::init
