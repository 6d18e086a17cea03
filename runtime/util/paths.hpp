// Resolving container paths safely: every lookup inside the rootfs is relative to a rootfs fd
// with openat2(RESOLVE_IN_ROOT), so a symlink planted by the image (or raced in by a process)
// cannot lead outside the rootfs. Mounts then target "/proc/self/fd/N" of the opened fd.
#pragma once

#include <string>

#include "runtime/util/fd.hpp"

namespace nucleus {

// openat2(rootfd, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS). Throws naming `path`.
UniqueFd open_in_root(int rootfd, const std::string& path, int flags, unsigned mode = 0);
// Same, returns an empty fd for ENOENT instead of throwing.
UniqueFd try_open_in_root(int rootfd, const std::string& path, int flags);
// mkdir -p inside the root; returns an O_PATH fd to the final directory.
UniqueFd mkdir_all_in_root(int rootfd, const std::string& path, unsigned mode = 0755);
// Creates (if missing) a regular file at path inside root (parents too); O_PATH fd to it.
UniqueFd mkfile_in_root(int rootfd, const std::string& path, unsigned mode = 0644);
// "/proc/self/fd/N": a path the kernel resolves to exactly that open file.
std::string fd_path(int fd);
// Lexically cleans an absolute path ("/a/./b/../c" -> "/a/c"); never goes above "/".
std::string clean_path(const std::string& path);

}  // namespace nucleus
