// --no-pivot: the rootfs is moved onto / and chroot'ed into instead of pivot_root.
#pragma once

#include <string>

namespace nucleus::init {

// Hides every full procfs and sysfs mount outside `rootfs` (unmounted, or covered by a tmpfs
// where that is refused), then moves `rootfs` onto / and chroots into it. As runc's
// msMoveRoot: with chroot the host's mounts stay in the container's mount namespace, and a full
// procfs there lets the container mount a fresh, unmasked procfs (mnt_already_visible) from a
// user namespace of its own.
void move_root_without_pivot(const std::string& rootfs);

}  // namespace nucleus::init
