// The container store under --root: one directory per container id holding state.json (the
// runtime's record), config.json (the bundle's config as it was at create), exec.fifo (present
// until start) and a lock. Status is derived from the live process, never trusted from disk.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oci/state.hpp"
#include "util/fd.hpp"

namespace nucleus {

// A process identity robust to pid reuse: pid plus its start time in clock ticks.
struct ProcessId {
  pid_t pid = 0;
  unsigned long long start_time = 0;

  static ProcessId of(pid_t pid);  // reads /proc/PID/stat; {0,0} when gone
  bool alive() const;              // same process still there and not a zombie
};

struct ContainerRecord {
  std::string id;
  std::string bundle;  // absolute
  std::string rootfs;  // absolute
  std::string created;
  std::string owner;
  ProcessId init;     // pid 0 until the init exists
  ProcessId creator;  // the `create` process, while status is "creating"
  bool created_done = false;
  std::string cgroup;  // cgroups::Manager::serialize()
  std::map<std::string, std::string> annotations;
  ProcessId tracer;  // trace mode's supervisor, until it has written its file
};

// The runtime-spec state of a record: what `state`, hooks and the seccomp agent are told.
oci::State make_state(const ContainerRecord& rec, const std::string& status, pid_t pid);

class Store {
 public:
  explicit Store(std::string root);
  const std::string& root() const { return root_; }
  std::string dir(const std::string& id) const { return root_ + "/" + id; }

  // Checks an id as runc does ([A-Za-z0-9_+.-], not "." or ".."); throws a clear error.
  static void check_id(const std::string& id);
  // Creates the container dir atomically; "container "ID" already exists" when present.
  UniqueFd create_dir(const std::string& id);
  // Opens and locks (flock, exclusive) an existing container dir; "container "ID" does not exist".
  // A lock another process holds for more than a minute is an error naming that process
  // ("container "ID" is busy: pid N (...) has held its lock ..."), not a wait forever.
  UniqueFd open_locked(const std::string& id) const;
  // Releases the lock of an open_locked/create_dir fd before a wait that another command must
  // be able to end (`resume` of a container whose process we wait for). Every copy of the fd
  // (inherited by a child) is released with it; the fd stays usable.
  static void unlock(int dirfd);
  std::vector<std::string> list() const;

  static void save(int dirfd, const ContainerRecord& rec);
  // A new container's first record: created now, by this process (rec.created, rec.creator
  // set here), saved with its config.json (create, restore).
  static void save_new(int dirfd, ContainerRecord& rec, const std::string& config_json);
  static ContainerRecord load(int dirfd, const std::string& id);
  void remove(const std::string& id) const;

 private:
  std::string root_;
};

// "creating", "created", "running", "paused", "stopped".
std::string derive_status(int dirfd, const ContainerRecord& rec, bool frozen);

}  // namespace nucleus
