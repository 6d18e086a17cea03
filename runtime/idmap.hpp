// Idmapped mounts (mounts[].uidMappings/gidMappings, "idmap"/"ridmap" options), as runc 1.3:
// the runtime (in the host user namespace) clones the source tree detached (open_tree), sets
// MOUNT_ATTR_IDMAP with a user namespace carrying the mount's mappings, and hands the fd to the
// init, which move_mount()s it into place. The mappings are that user namespace's uid_map and
// gid_map as written: an id on disk (containerID) shows as hostID in the host's user namespace
// (and, in a container user namespace, as whatever hostID maps to there), whether or not the
// container has a user namespace of its own.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>

#include "oci/config.hpp"
#include "util/fd.hpp"

namespace nucleus {

// A user namespace fd with the given mappings (made by a short-lived helper process).
UniqueFd make_userns(const std::vector<oci::IDMapping>& uids,
                     const std::vector<oci::IDMapping>& gids);

// The sources of bind mounts the init cannot open itself, as runc's mountFd: a detached copy
// (open_tree OPEN_TREE_CLONE, with its submounts for "rbind") of mount `index`'s source, opened
// in the init's mount namespace with the host's privileges (a helper process joins it): so a
// source only the host's root may reach (a 0700 directory, for a container root mapped to
// another uid) or one that earlier mounts made, idmapped when the mount is. Mounts without
// mappings of their own use the container's user namespace: the init's when it is new, the one
// at linux.namespaces' path when joined.
class MountSources {
 public:
  MountSources(const oci::Config& cfg, std::string bundle, pid_t init);
  ~MountSources();
  MountSources(const MountSources&) = delete;
  MountSources& operator=(const MountSources&) = delete;
  // Errors name "mounts[INDEX]" and the source.
  UniqueFd open(size_t index);

 private:
  class Userns;
  const oci::Config& cfg_;
  std::string bundle_;
  pid_t init_;
  std::unique_ptr<Userns> userns_;
};

// Whether mount m is idmapped, as runc 1.3 has it (specconv): it carries uidMappings or
// gidMappings (then "idmap", non-recursive, is implied), or the "idmap"/"ridmap" option.
bool mount_is_idmapped(const oci::Mount& m);
bool config_uses_idmap(const oci::Config& cfg);

// runc's refusals (configs/validate checkIDMapMounts), before anything is made: an idmapped
// mount must be a bind mount, with both uid and gid mappings (its own, or the container's
// user namespace's for "idmap"/"ridmap" alone), and the runtime must run as root.
void check_idmapped_mounts(const oci::Config& cfg);

// The init: attaches a tree from MountSources onto the directory or file `target` (an fd).
// Errors name `shown`.
void attach_tree(UniqueFd tree, int target, const std::string& shown);

}  // namespace nucleus
