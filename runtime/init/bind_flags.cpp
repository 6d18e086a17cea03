// runc 1.3's bind mount flags (libcontainer/rootfs_linux.go, mountToRootfs "bind"): one
// MS_BIND|MS_REMOUNT with the flags asked for, then, if that is refused, one with the source's
// locked flags re-applied. Error texts are runc's.
#include "runtime/init/bind_flags.hpp"

#include <sys/mount.h>
#include <sys/statvfs.h>

#include "util/error.hpp"

namespace nucleus::init {
namespace {

constexpr unsigned long kNoSymfollow = 256;  // MS_NOSYMFOLLOW (5.10)
constexpr unsigned long kAtimeEnum = MS_NOATIME | MS_RELATIME | MS_STRICTATIME;
constexpr unsigned long kAtime = kAtimeEnum | MS_NODIRATIME;
// The flags the kernel locks on mounts inherited into another user namespace (MNT_LOCK_*).
constexpr unsigned long kLockable = MS_RDONLY | MS_NODEV | MS_NOEXEC | MS_NOSUID | kAtime;

// statvfs f_flag -> MS_* (calculate_f_flags in fs/statfs.c). MS_STRICTATIME is not stored: a
// mount with none of the other atime values is strictatime.
unsigned long statvfs_mount_flags(const struct statvfs& st) {
  constexpr unsigned long kStNoSymfollow = 0x2000;
  const struct {
    unsigned long st, ms;
  } map[] = {{ST_RDONLY, MS_RDONLY},     {ST_NOSUID, MS_NOSUID},
             {ST_NODEV, MS_NODEV},       {ST_NOEXEC, MS_NOEXEC},
             {ST_MANDLOCK, MS_MANDLOCK}, {ST_SYNCHRONOUS, MS_SYNCHRONOUS},
             {ST_NOATIME, MS_NOATIME},   {ST_NODIRATIME, MS_NODIRATIME},
             {ST_RELATIME, MS_RELATIME}, {kStNoSymfollow, kNoSymfollow}};
  unsigned long flags = 0;
  for (const auto& f : map)
    if ((static_cast<unsigned long>(st.f_flag) & f.st) == f.st) flags |= f.ms;
  if (!(flags & kAtimeEnum)) flags |= MS_STRICTATIME;
  return flags;
}

// "MS_RDONLY|MS_NOEXEC", as runc's stringifyMountFlags.
std::string flag_names(unsigned long flags) {
  const struct {
    const char* name;
    unsigned long bit;
  } names[] = {{"MS_RDONLY", MS_RDONLY},
               {"MS_NOSUID", MS_NOSUID},
               {"MS_NODEV", MS_NODEV},
               {"MS_NOEXEC", MS_NOEXEC},
               {"MS_SYNCHRONOUS", MS_SYNCHRONOUS},
               {"MS_MANDLOCK", MS_MANDLOCK},
               {"MS_NOSYMFOLLOW", kNoSymfollow},
               {"MS_NOATIME", MS_NOATIME},
               {"MS_NODIRATIME", MS_NODIRATIME},
               {"MS_RELATIME", MS_RELATIME},
               {"MS_STRICTATIME", MS_STRICTATIME}};
  std::string out;
  for (const auto& n : names)
    if (flags & n.bit) out += (out.empty() ? "" : "|") + std::string(n.name);
  return out;
}

}  // namespace

void set_bind_flags(const std::string& target, unsigned long flags, unsigned long clear,
                    const std::string& shown) {
  const std::string what = shown + ": failed to set user-requested vfs flags on bind-mount: ";
  unsigned long want = (flags & ~(MS_BIND | MS_REC | MS_REMOUNT)) | MS_BIND | MS_REMOUNT;
  if (::mount(nullptr, target.c_str(), nullptr, want, nullptr) == 0) return;
  const int refused = errno;
  struct statvfs st;
  if (::statvfs(target.c_str(), &st) < 0) throw_sys(what + "statvfs");
  const unsigned long src = statvfs_mount_flags(st);
  if (unsigned long locked = src & clear & kLockable)
    throw_sys(what + "cannot clear locked flags " + flag_names(locked), refused);
  // An atime value asked for must be the locked one: the kernel would silently keep another
  // (MS_RELATIME is ignored next to MS_NOATIME, MS_STRICTATIME overrides both).
  if ((flags & kAtime) && (flags & kAtime) != (src & kAtime))
    throw_sys(what + "cannot change locked atime flags " + flag_names(src & kAtime), refused);
  want |= src & kLockable;
  if (::mount(nullptr, target.c_str(), nullptr, want, nullptr) < 0)
    throw_sys(what + "remount with locked flags " + flag_names(src & kLockable) + " re-applied");
}

}  // namespace nucleus::init
