// Copies a directory's contents between two open directories (tmpcopyup: what an image has at
// a tmpfs mount point is copied into the new tmpfs). Never follows a symlink: both sides are
// walked through fds with O_NOFOLLOW.
#pragma once

namespace nucleus::init {

// Copies every entry of `from` into `to` (directories, regular files, symlinks, device nodes,
// fifos), keeping modes and owners.
void copy_tree(int from, int to);

}  // namespace nucleus::init
