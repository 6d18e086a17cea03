// FsManager lifecycle: create (with cgroup2 controller delegation and v1 cpuset seeding), join,
// processes, kill, destroy.
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "cgroups/fs_manager.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace nucleus::cgroups {
namespace {

void sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::vector<std::string> subdirs(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      bool is_dir = e->d_type == DT_DIR;
      if (e->d_type == DT_UNKNOWN) {
        struct stat st;
        is_dir = ::lstat((dir + "/" + n).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
      }
      if (is_dir) out.push_back(dir + "/" + n);
    }
    ::closedir(d);
  }
  return out;
}

void collect_pids(const std::string& dir, std::vector<pid_t>& out) {
  auto procs = read_cg(dir, "cgroup.procs");
  if (!procs) return;
  std::istringstream in(*procs);
  pid_t p;
  while (in >> p) out.push_back(p);
  for (const auto& s : subdirs(dir)) collect_pids(s, out);
}

// rmdir, retrying for about a second while exiting tasks still hold the cgroup.
void rmdir_retry(const std::string& dir) {
  for (int i = 0;; ++i) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    if (errno != EBUSY || i >= 100) throw_sys("remove cgroup " + dir);
    sleep_ms(10);
  }
}

// The container's own cgroup: sub-cgroups made inside it (by the container) go first.
void remove_leaf(const std::string& dir) {
  // The usual case, an empty leaf, is one rmdir; EBUSY means sub-cgroups (or exiting tasks).
  if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
  if (errno != EBUSY && errno != ENOTEMPTY) throw_sys("remove cgroup " + dir);
  for (const auto& s : subdirs(dir)) remove_leaf(s);
  rmdir_retry(dir);
}

// cgroup2: let the children of `parent` use the controllers it has (runc's fs2 behaviour: all at
// once, else one by one ignoring refusals; apply() later reports a controller that is missing).
void delegate_controllers(const std::string& parent) {
  auto avail = read_cg(parent, "cgroup.controllers");
  if (!avail) return;
  auto enabled = words(read_cg(parent, "cgroup.subtree_control").value_or(""));
  std::string want;
  std::vector<std::string> missing;
  for (const auto& c : words(*avail))
    if (std::find(enabled.begin(), enabled.end(), c) == enabled.end()) missing.push_back("+" + c);
  if (missing.empty()) return;
  for (const auto& m : missing) want += (want.empty() ? "" : " ") + m;
  try {
    write_file(parent + "/cgroup.subtree_control", want);
  } catch (const Error&) {
    for (const auto& m : missing) {
      try {
        write_file(parent + "/cgroup.subtree_control", m);
      } catch (const Error&) {
      }
    }
  }
}

// A v1 cpuset cgroup with an empty cpuset.cpus or cpuset.mems takes no task (ENOSPC): a new one
// starts so, and so may a parent made by the caller (a Kubernetes pod cgroup). As runc's
// cpusetEnsureParent + cpusetCopyIfNeeded: each empty file is copied from the parent, an empty
// parent being filled first from its own, up to the first ancestor that has both (the root does).
void fill_cpuset(const std::string& mount, const std::string& dir) {
  if (dir.size() <= mount.size()) return;
  std::string cpus = read_cg(dir, "cpuset.cpus").value_or("");
  std::string mems = read_cg(dir, "cpuset.mems").value_or("");
  if (!cpus.empty() && !mems.empty()) return;
  std::string parent = dir.substr(0, dir.rfind('/'));
  fill_cpuset(mount, parent);
  const std::string why = "create cgroup " + dir;
  if (cpus.empty()) write_cg(dir, "cpuset.cpus", read_cg(parent, "cpuset.cpus").value_or(""), why);
  if (mems.empty()) write_cg(dir, "cpuset.mems", read_cg(parent, "cpuset.mems").value_or(""), why);
}

}  // namespace

FsManager::FsManager(Layout layout, std::vector<Hierarchy> hierarchies,
                     std::vector<std::string> created, bool rootless,
                     std::vector<std::string> unwritable)
    : layout_(std::move(layout)),
      hs_(std::move(hierarchies)),
      created_(std::move(created)),
      rootless_(rootless),
      unwritable_(std::move(unwritable)) {}

std::string FsManager::unusable_reason(const std::string& mount) const {
  if (std::find(unwritable_.begin(), unwritable_.end(), mount) == unwritable_.end()) return "";
  return "a rootless container cannot use " + mount + " (permission denied)";
}

std::string FsManager::path() const {
  // The path in the cgroup2 hierarchy on pure v2, else in the memory (or first) v1 hierarchy.
  std::string primary = layout_.pure_v2()            ? layout_.v2
                        : layout_.v1.count("memory") ? layout_.v1.at("memory")
                                                     : "";
  for (const auto& h : hs_)
    if (h.mount == primary) return h.path;
  return hs_.empty() ? "/" : hs_.front().path;
}

std::string FsManager::v1_dir(const std::string& controller) const {
  auto it = layout_.v1.find(controller);
  if (it == layout_.v1.end()) return "";
  for (const auto& h : hs_)
    if (!h.v2 && h.mount == it->second) return h.dir();
  return "";
}

std::string FsManager::v2_dir() const {
  for (const auto& h : hs_)
    if (h.v2) return h.dir();
  return "";
}

bool FsManager::v2_has(const std::string& controller) const {
  std::string d = v2_dir();
  if (d.empty()) return false;
  auto here = read_cg(d, "cgroup.controllers");
  auto list = here ? words(*here) : layout_.v2_controllers;
  return std::find(list.begin(), list.end(), controller) != list.end();
}

void FsManager::create() {
  create_where(false);
}

void FsManager::create_unified() {
  create_where(true);
}

void FsManager::create_where(bool unified_only) {
  std::string cpuset_mount = layout_.v1.count("cpuset") ? layout_.v1.at("cpuset") : "";
  std::vector<Hierarchy> usable;
  std::optional<Error> first_denied;
  for (const auto& h : hs_) {
    if ((unified_only && !h.v2) || made_.count(h.mount)) {
      usable.push_back(h);
      continue;
    }
    try {
      create_in(h, h.mount == cpuset_mount);
      made_.insert(h.mount);
      usable.push_back(h);
    } catch (const Error& e) {
      // Rootless (as runc): a hierarchy we may not write to is left out; a resource that needs
      // it is an error in apply().
      bool denied = e.code() == EACCES || e.code() == EPERM || e.code() == EROFS;
      if (!rootless_ || !denied) throw;
      unwritable_.push_back(h.mount);
      if (!first_denied) first_denied = e;
    }
  }
  if (require_some_ && usable.empty() && first_denied) throw *first_denied;
  hs_ = std::move(usable);
}

void FsManager::create_in(const Hierarchy& h, bool cpuset) {
  make_dirs(h);
  if (cpuset) fill_cpuset(h.mount, h.dir());
}

void FsManager::make_dirs(const Hierarchy& h) {
  // cgroup v1: the leaf first, as its parents usually exist (one mkdir instead of one per
  // level). cgroup2 walks down from the mount: each parent must delegate its controllers.
  if (!h.v2 && !h.path.empty() && h.path != "/") {
    std::string leaf = h.dir();
    if (::mkdir(leaf.c_str(), 0755) == 0) {
      created_.push_back(leaf);
      return;
    }
    if (errno == EEXIST) return;
    if (errno != ENOENT) throw_sys("create cgroup " + leaf);
  }
  std::string cur = h.mount;
  std::istringstream parts(h.path);
  std::string comp;
  while (std::getline(parts, comp, '/')) {
    if (comp.empty()) continue;
    std::string parent = cur;
    cur += "/" + comp;
    if (h.v2) delegate_controllers(parent);
    if (::mkdir(cur.c_str(), 0755) == 0) {
      created_.push_back(cur);
    } else if (errno != EEXIST) {
      throw_sys("create cgroup " + cur);
    }
  }
}

std::vector<Hierarchy> FsManager::join_order() const {
  auto freezer = layout_.v1.find("freezer");
  auto freezes = [&](const Hierarchy& h) {
    return freezer != layout_.v1.end() ? !h.v2 && h.mount == freezer->second : h.v2;
  };
  std::vector<Hierarchy> out = hs_;
  std::stable_partition(out.begin(), out.end(), [&](const Hierarchy& h) { return !freezes(h); });
  return out;
}

void FsManager::add_process(pid_t pid) {
  for (const auto& h : join_order()) {
    try {
      write_cg(h.dir(), "cgroup.procs", std::to_string(pid),
               "error adding pid " + std::to_string(pid) + " to cgroups");
    } catch (const Error& e) {
      if (!rootless_ || (e.code() != EACCES && e.code() != EPERM)) throw;
    }
  }
}

std::vector<std::string> FsManager::v1_task_files() const {
  std::vector<std::string> out;
  for (const auto& h : join_order())
    if (!h.v2) out.push_back(h.dir() + "/tasks");
  return out;
}

std::string FsManager::v2_directory() const {
  for (const auto& h : hs_)
    if (h.v2) return h.dir();
  return "";
}

std::vector<pid_t> FsManager::pids() const {
  std::vector<pid_t> out;
  std::string dir;
  for (const char* c : {"pids", "memory", "freezer", "cpu", "devices"})
    if (dir.empty()) dir = v1_dir(c);
  if (dir.empty()) dir = v2_dir();
  if (dir.empty() && !hs_.empty()) dir = hs_.front().dir();
  if (!dir.empty()) collect_pids(dir, out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void FsManager::kill_all(int signal) {
  std::string v2 = v2_dir();
  if (signal == SIGKILL && layout_.pure_v2() && !v2.empty() && path_exists(v2 + "/cgroup.kill")) {
    write_cg(v2, "cgroup.kill", "1", "kill");
    return;
  }
  // runc's signalAllProcesses: freeze so nothing forks past us, signal, thaw. Freezing is best
  // effort: a cgroup that does not freeze in time is still signalled.
  bool can_freeze =
      !v1_dir("freezer").empty() || (!v2.empty() && path_exists(v2 + "/cgroup.freeze"));
  bool froze = false;
  if (can_freeze && !frozen()) {
    try {
      freeze();
      froze = true;
    } catch (const Error&) {
    }
  }
  int err = 0;
  pid_t failed = 0;
  for (pid_t p : pids())
    if (::kill(p, signal) < 0 && errno != ESRCH && !err) err = errno, failed = p;
  // SIGKILL takes effect in a frozen cgroup v1 freezer only once thawed: a paused container is
  // thawed too then (runc thaws after signalling all in any case).
  if (froze || (signal == SIGKILL && can_freeze && frozen())) thaw();
  if (err) throw_sys("kill " + std::to_string(failed), err);
}

void FsManager::destroy() {
  std::set<std::string> leaves;
  for (const auto& h : hs_) leaves.insert(h.dir());
  std::string first_error;
  int first_code = 0;
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    try {
      if (leaves.count(*it)) {
        remove_leaf(*it);
      } else if (::rmdir(it->c_str()) < 0 && errno != ENOENT && errno != EBUSY &&
                 errno != ENOTEMPTY) {
        // A parent we made may hold other containers now: leave it then.
        throw_sys("remove cgroup " + *it);
      }
    } catch (const Error& e) {
      if (first_error.empty()) first_error = e.what(), first_code = e.code();
    }
  }
  if (!first_error.empty()) throw Error(first_error, first_code);
  created_.clear();
}

}  // namespace nucleus::cgroups
