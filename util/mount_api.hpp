// The new mount API (fsopen/fsconfig/fsmount, open_tree): mounts as fds that are attached
// nowhere until move_mount, so no path lookup can be raced between making and using them.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "util/fd.hpp"

namespace nucleus {

// A new instance of filesystem `fstype` as a detached mount with MOUNT_ATTR_* `attrs`;
// `options` are fsconfig string options ("lowerdir", ...). Errors name `what`.
UniqueFd detached_mount(const char* fstype, unsigned attrs,
                        const std::vector<std::pair<std::string, std::string>>& options,
                        const std::string& what);
// A detached copy (open_tree OPEN_TREE_CLONE) of the mount at fd (recursive: with its
// submounts). Errors name `what`.
UniqueFd clone_mount(int fd, bool recursive, const std::string& what);

}  // namespace nucleus
