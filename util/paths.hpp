// Resolving container paths safely: every lookup inside the rootfs is relative to a rootfs fd
// with openat2(RESOLVE_IN_ROOT), so a symlink planted by the image (or raced in by a process)
// cannot lead outside the rootfs. Mounts then target "/proc/self/fd/N" of the opened fd.
#pragma once

#include <string>

#include "util/fd.hpp"

namespace nucleus {

// openat2(rootfd, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS). Throws naming `path`.
UniqueFd open_in_root(int rootfd, const std::string& path, int flags, unsigned mode = 0);
// Same, returns an empty fd for ENOENT instead of throwing.
UniqueFd try_open_in_root(int rootfd, const std::string& path, int flags);
// Where `path` leads inside the root once every symlink on the way is followed as the kernel
// would with the root as "/", dangling ones included; missing components are kept as written
// (filepath-securejoin's SecureJoin, with which runc finds where a dangling link points). A
// clean absolute path, and only a candidate: it is then opened and made through fds like any
// other path, so a link swapped meanwhile cannot lead outside the root.
std::string resolve_in_root(int rootfd, const std::string& path);
// mkdir -p inside the root; returns an O_PATH fd to the final directory. Dangling symlinks on
// the way are followed inside the root and what they point to is made.
UniqueFd mkdir_all_in_root(int rootfd, const std::string& path, unsigned mode = 0755);
// Creates (if missing) a regular file at path inside root (parents too), also where a dangling
// symlink at or on the way to path points; an fd of it (O_PATH, or O_RDONLY when just made).
UniqueFd mkfile_in_root(int rootfd, const std::string& path, unsigned mode = 0644);
// "/proc/self/fd/N": a path the kernel resolves to exactly that open file.
std::string fd_path(int fd);
// Lexically cleans an absolute path ("/a/./b/../c" -> "/a/c"); never goes above "/".
std::string clean_path(const std::string& path);

}  // namespace nucleus
