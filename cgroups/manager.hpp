// One interface over cgroup v1, v2 and hybrid hosts. The runtime only talks to Manager.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oci/config.hpp"

namespace nucleus::cgroups {

// Where the hierarchies are. Detected from /proc/self/mountinfo, or built by tests around a
// temporary directory that stands in for /sys/fs/cgroup.
struct Layout {
  // v1 controller name -> mount point of its hierarchy ("memory" -> "/sys/fs/cgroup/memory").
  // Co-mounted controllers ("cpu,cpuacct") appear once per controller name.
  std::map<std::string, std::string> v1;
  // Mount point of the cgroup2 hierarchy, empty when there is none.
  std::string v2;
  // Controllers enabled at the cgroup2 root (cgroup.controllers).
  std::vector<std::string> v2_controllers;
  // Named v1 hierarchies without controllers ("name=systemd" -> "/sys/fs/cgroup/systemd"). No
  // resource goes there, but containers are created in and join them too, as runc does.
  std::map<std::string, std::string> v1_named;
  // The caller's own cgroup in each hierarchy, keyed by mount point (from /proc/self/cgroup,
  // relative to the mount's root). A relative cgroupsPath is resolved against it. Missing = "/".
  std::map<std::string, std::string> own;

  bool pure_v2() const { return v1.empty() && !v2.empty(); }
  bool hybrid() const { return !v1.empty() && !v2.empty(); }
  static Layout detect();  // from /proc/self/mountinfo; throws nucleus::Error
  // The parsing behind detect(), for tests: mountinfo and /proc/self/cgroup texts. Does not read
  // v2_controllers (detect() reads <v2>/cgroup.controllers).
  static Layout parse(const std::string& mountinfo, const std::string& self_cgroup);
  // A layout around a directory standing in for /sys/fs/cgroup: each v1 controller at
  // root/<name>, cgroup2 (when v2_controllers is non-empty) at root/unified. Makes the dirs.
  static Layout under(const std::string& root, const std::vector<std::string>& v1_controllers,
                      const std::vector<std::string>& v2_controllers);
};

struct Stats {  // the subset of runc's `events --stats` data the runtime reports
  struct Cpu {
    uint64_t usage_total = 0, usage_kernel = 0, usage_user = 0;
    std::vector<uint64_t> percpu;
    uint64_t throttling_periods = 0, throttled_periods = 0, throttled_time = 0;
  } cpu;
  struct Memory {
    uint64_t usage = 0, max_usage = 0, limit = 0, failcnt = 0;
    // v1: memory.memsw.* (memory+swap, as the spec's swap); v2: memory.swap.* (swap alone).
    uint64_t swap_usage = 0, swap_limit = 0;
    uint64_t kernel_usage = 0;
    uint64_t cache = 0;
    std::map<std::string, uint64_t> raw;  // memory.stat
  } memory;
  struct Pids {
    uint64_t current = 0, limit = 0;  // limit 0 = max
  } pids;
  struct BlkioEntry {
    uint64_t major = 0, minor = 0;
    std::string op;
    uint64_t value = 0;
  };
  std::vector<BlkioEntry> blkio_service_bytes, blkio_serviced;
  struct Hugetlb {
    // max: v1 max_usage_in_bytes; cgroup2 has no peak, so there it is the limit (SIZE.max).
    uint64_t usage = 0, max = 0, failcnt = 0;
  };
  std::map<std::string, Hugetlb> hugetlb;  // page size ("2MB") -> usage
};

class Manager {
 public:
  virtual ~Manager() = default;

  // Creates the cgroup directories (missing parents too). Remembers which it made, so destroy()
  // removes exactly those.
  virtual void create() = 0;
  // Makes the cgroup around the container's init, which exists by then: create() where the
  // runtime makes the directories itself; a transient unit with the init in it where systemd
  // makes them (the systemd driver: a scope cannot start without a process).
  virtual void start(pid_t init) {
    (void)init;
    create();
  }
  // Only the cgroup2 (unified) hierarchy's directory, if the host has one; create() later makes
  // the rest. For clone3(CLONE_INTO_CGROUP), which needs the v2 directory before the clone.
  virtual void create_unified() = 0;
  // Moves pid into the cgroup on every hierarchy, the freezer's last (join_order()).
  virtual void add_process(pid_t pid) = 0;
  // For attaching a new process without add_process (whose cgroup.procs writes take the global
  // cgroup_threadgroup_rwsem: ~10 ms of RCU grace period on a quiet host): the v1 "tasks"
  // files, to which a single-threaded process writes "0" to move itself, and the v2 directory
  // for clone3(CLONE_INTO_CGROUP). Empty where there is none. The freezer's "tasks" file comes
  // last: a process that joins a frozen freezer stops there, and must be in every other cgroup
  // by then (its memory and pids charged where they belong).
  virtual std::vector<std::string> v1_task_files() const = 0;
  virtual std::string v2_directory() const = 0;
  // Applies every field; a value the host cannot apply is a nucleus::Error naming the field and
  // the file ("linux.resources.memory.swap: write 100 to .../memory.memsw.limit_in_bytes: ...").
  virtual void apply(const oci::Resources& resources) = 0;
  virtual void freeze() = 0;  // returns when the cgroup is frozen
  virtual void thaw() = 0;
  virtual bool frozen() const = 0;
  // Why a process joining this cgroup now would be frozen, "" when it would not: a freezer of
  // the cgroup (v1 freezer.state, cgroup2 cgroup.freeze or cgroup.events), or of its nearest
  // existing parent when the directory is not made yet, is frozen or freezing. Checked before
  // a container's init joins: it would stop there for good. Every hierarchy that can freeze is
  // looked at (on a hybrid host the cgroup2 one too, which the init starts in).
  virtual std::string frozen_for_join() const = 0;
  virtual std::vector<pid_t> pids() const = 0;  // every process, recursively
  // Rootless: create() could use no hierarchy at all (no permission): the container has no
  // cgroup of its own (runc's ErrRootless).
  virtual bool without_cgroup() const { return false; }
  virtual void kill_all(int signal) = 0;
  // Removes the directories (waits briefly for exiting tasks). Never removes a directory this
  // container did not create.
  virtual void destroy() = 0;
  virtual Stats stats() const = 0;
  // True when an OOM kill happened in the cgroup since it was created (memory events).
  virtual uint64_t oom_kill_count() const = 0;

  // What the runtime stores to reopen this cgroup later (open_manager), one line of text.
  virtual std::string serialize() const = 0;
  // serialize() as if create() had already made every leaf: stored before create() so that a
  // runtime killed in between still leaves `delete` a record of what to remove.
  virtual std::string serialize_planned() const = 0;
  // Path of the cgroup relative to the hierarchy roots ("/nucleus-oci/ID").
  virtual std::string path() const = 0;
  // `exec --cgroup`: the same cgroup with sub-cgroups (made by the container) in place of its
  // directories, to attach a process to. Keys are v1 controller names ("memory", "name=systemd")
  // or "" for every hierarchy (the only form on cgroup v2); values are paths below this cgroup.
  // Errors as runc's: "X is not a sub cgroup path", "unknown controller X in SubCgroupPaths".
  virtual std::unique_ptr<Manager> sub_cgroup(
      const std::map<std::string, std::string>& paths) const = 0;
};

struct Options {
  std::string id;
  std::optional<std::string> cgroups_path;  // linux.cgroupsPath
  bool systemd = false;                     // --systemd-cgroup
  bool rootless = false;
  // The systemd driver: which manager (root: the system one; a rootless caller: its own), and
  // the config's annotations (org.systemd.property.* become unit properties).
  bool systemd_user_bus = false;
  std::map<std::string, std::string> annotations;
};

// runc's checks of linux.resources before anything is made, with runc's texts:
// - every devices[i] has an access (specconv): "device access at I field cannot be empty";
// - unified needs a cgroup v2 only host (validate's cgroupsCheck); elsewhere (v1, hybrid):
//   "invalid configuration: cannot use unified on cgroup v1".
void validate(const Layout& layout, const oci::Resources& resources);

// A manager for a new container. Absolute cgroupsPath is used as is under every hierarchy root;
// a relative one is placed under the caller's own cgroup in each hierarchy (as runc's cgroupfs
// driver; on cgroup2 under the parent of the caller's cgroup, as runc's fs2); unset means
// "/nucleus-oci/<id>". opts.systemd: cgroupsPath is "slice:prefix:name" and systemd must run.
std::unique_ptr<Manager> make_manager(const Layout& layout, const Options& opts);
// Reopens a container's cgroup from Manager::serialize() output.
std::unique_ptr<Manager> open_manager(const Layout& layout, const std::string& serialized);

// The cgroup path runc's systemd driver uses for "slice:prefix:name" ("" = defaults:
// system.slice, prefix "nucleus-oci", name = id): "/system.slice/nucleus-oci-ID.scope".
// Throws nucleus::Error for a malformed value.
std::string systemd_cgroup_path(const std::string& cgroups_path, const std::string& id);
// True when systemd is PID 1's init (/run/systemd/system exists).
bool systemd_running();

}  // namespace nucleus::cgroups
