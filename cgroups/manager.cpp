// FsManager lifecycle: paths, create/join, freeze, processes, kill, destroy, stats.
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <thread>

#include "cgroups/fs_manager.hpp"
#include "runtime/util/error.hpp"
#include "runtime/util/fs.hpp"
#include "runtime/util/paths.hpp"

namespace nucleus::cgroups {
namespace {

std::string read_trim(const std::string& path) {
  return trim(read_file(path));
}

uint64_t to_u64(const std::string& s) {
  try {
    return s == "max" ? 0 : std::stoull(s);
  } catch (...) {
    return 0;
  }
}

std::map<std::string, uint64_t> read_kv(const std::string& path) {
  std::map<std::string, uint64_t> out;
  try {
    std::istringstream in(read_file(path));
    std::string k, v;
    while (in >> k >> v) out[k] = to_u64(v);
  } catch (const Error&) {
  }
  return out;
}

void sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

void collect_pids(const std::string& dir, std::vector<pid_t>& out) {
  try {
    std::istringstream in(read_file(dir + "/cgroup.procs"));
    pid_t p;
    while (in >> p) out.push_back(p);
  } catch (const Error&) {
    return;
  }
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d))
      if (e->d_type == DT_DIR && e->d_name[0] != '.') collect_pids(dir + "/" + e->d_name, out);
    ::closedir(d);
  }
}

// rmdir a cgroup and any sub-cgroups the container made, retrying while tasks exit.
void remove_cgroup(const std::string& dir) {
  if (DIR* d = ::opendir(dir.c_str())) {
    std::vector<std::string> subs;
    while (dirent* e = ::readdir(d))
      if (e->d_type == DT_DIR && e->d_name[0] != '.') subs.push_back(dir + "/" + e->d_name);
    ::closedir(d);
    for (const auto& s : subs) remove_cgroup(s);
  }
  for (int i = 0; i < 100; ++i) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    if (errno != EBUSY) throw_sys("remove cgroup " + dir);
    sleep_ms(10);
  }
  throw_sys("remove cgroup " + dir, EBUSY);
}

std::string normalize(const std::string& p) {
  return clean_path("/" + p);
}

}  // namespace

FsManager::FsManager(Layout layout, std::string path, std::vector<std::string> created)
    : layout_(std::move(layout)), path_(std::move(path)), created_(std::move(created)) {}

std::string FsManager::v1_dir(const std::string& c) const {
  auto it = layout_.v1.find(c);
  return it == layout_.v1.end() ? "" : it->second + (path_ == "/" ? "" : path_);
}

std::string FsManager::v2_dir() const {
  return layout_.v2.empty() ? "" : layout_.v2 + (path_ == "/" ? "" : path_);
}

bool FsManager::has_v2_controller(const std::string& c) const {
  return std::find(layout_.v2_controllers.begin(), layout_.v2_controllers.end(), c) !=
         layout_.v2_controllers.end();
}

std::vector<std::string> FsManager::hierarchy_roots() const {
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (const auto& [c, mp] : layout_.v1)
    if (seen.insert(mp).second) out.push_back(mp);
  if (!layout_.v2.empty()) out.push_back(layout_.v2);
  return out;
}

void FsManager::create() {
  for (const auto& root : hierarchy_roots()) {
    std::string cur = root;
    bool is_v2 = root == layout_.v2;
    bool is_cpuset = layout_.v1.count("cpuset") && layout_.v1.at("cpuset") == root;
    std::istringstream parts(path_);
    std::string comp;
    while (std::getline(parts, comp, '/')) {
      if (comp.empty()) continue;
      std::string parent = cur;
      if (is_v2) {
        // Let the children of `parent` use every controller it has.
        try {
          if (!path_exists(parent + "/cgroup.controllers")) throw Error("", ENOENT);
          std::istringstream c(read_file(parent + "/cgroup.controllers"));
          std::string ctrl, enable;
          while (c >> ctrl) enable += (enable.empty() ? "+" : " +") + ctrl;
          if (!enable.empty()) {
            std::string sub = trim(read_file(parent + "/cgroup.subtree_control"));
            std::istringstream want(enable);
            std::string w;
            while (want >> w)
              if (sub.find(w.substr(1)) == std::string::npos)
                write_file(parent + "/cgroup.subtree_control", w);
          }
        } catch (const Error& e) {
          if (e.code() != ENOENT)
            throw Error("enable cgroup2 controllers in " + parent + ": " + e.what(), e.code());
        }
      }
      cur += "/" + comp;
      if (::mkdir(cur.c_str(), 0755) == 0) {
        created_.push_back(cur);
        if (is_cpuset) {
          // A new v1 cpuset cgroup starts empty: no task could join it.
          for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
            std::string mine = cur + "/" + f, theirs = parent + "/" + f;
            if (!path_exists(mine) || !path_exists(theirs)) continue;
            if (read_trim(mine).empty()) write_file(mine, read_trim(theirs));
          }
        }
      } else if (errno != EEXIST) {
        throw_sys("create cgroup " + cur);
      }
    }
  }
}

void FsManager::add_process(pid_t pid) {
  for (const auto& root : hierarchy_roots()) {
    std::string dir = root + (path_ == "/" ? "" : path_);
    write_cg(dir, "cgroup.procs", std::to_string(pid), "cgroup");
  }
}

void FsManager::apply(const oci::Resources& r) {
  bool hybrid = !layout_.v1.empty() && !layout_.v2.empty();
  if (layout_.v2.empty() && !r.unified.empty())
    throw Error("linux.resources.unified: the host has no cgroup2 hierarchy");
  if (!layout_.v1.empty()) apply_v1(*this, r);
  if (!layout_.v2.empty()) apply_v2(*this, r, hybrid);
}

void FsManager::freeze() {
  if (std::string d = v1_dir("freezer"); !d.empty()) {
    write_cg(d, "freezer.state", "FROZEN", "freeze");
    for (int i = 0; i < 1000; ++i) {
      if (read_trim(d + "/freezer.state") == "FROZEN") return;
      sleep_ms(1);
      if (i % 50 == 49) write_cg(d, "freezer.state", "FROZEN", "freeze");
    }
    throw Error("freeze " + d + ": the cgroup did not freeze");
  }
  std::string d = v2_dir();
  if (d.empty() || !path_exists(d + "/cgroup.freeze"))
    throw Error("no cgroup freezer on this host");
  write_cg(d, "cgroup.freeze", "1", "freeze");
  for (int i = 0; i < 1000; ++i) {
    if (read_kv(d + "/cgroup.events")["frozen"] == 1) return;
    sleep_ms(1);
  }
  throw Error("freeze " + d + ": the cgroup did not freeze");
}

void FsManager::thaw() {
  if (std::string d = v1_dir("freezer"); !d.empty()) {
    write_cg(d, "freezer.state", "THAWED", "thaw");
    return;
  }
  std::string d = v2_dir();
  if (d.empty() || !path_exists(d + "/cgroup.freeze"))
    throw Error("no cgroup freezer on this host");
  write_cg(d, "cgroup.freeze", "0", "thaw");
}

bool FsManager::frozen() const {
  try {
    if (std::string d = v1_dir("freezer"); !d.empty()) {
      std::string s = read_trim(d + "/freezer.state");
      return s == "FROZEN" || s == "FREEZING";
    }
    std::string d = v2_dir();
    if (d.empty() || !path_exists(d + "/cgroup.freeze")) return false;
    return read_trim(d + "/cgroup.freeze") == "1";
  } catch (const Error&) {
    return false;
  }
}

std::vector<pid_t> FsManager::pids() const {
  std::vector<pid_t> out;
  std::string dir;
  for (const char* c : {"pids", "memory", "freezer", "cpu", "devices"})
    if (dir.empty()) dir = v1_dir(c);
  if (dir.empty()) dir = v2_dir();
  if (!dir.empty()) collect_pids(dir, out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void FsManager::kill_all(int signal) {
  std::string v2 = v2_dir();
  if (signal == SIGKILL && layout_.v1.empty() && !v2.empty() && path_exists(v2 + "/cgroup.kill")) {
    write_cg(v2, "cgroup.kill", "1", "kill");
    return;
  }
  // Freeze so nothing forks while we signal, as runc does.
  bool can_freeze =
      !v1_dir("freezer").empty() || (!v2.empty() && path_exists(v2 + "/cgroup.freeze"));
  bool was_frozen = frozen();
  if (can_freeze && !was_frozen) freeze();
  for (pid_t p : pids()) ::kill(p, signal);
  if (can_freeze && !was_frozen) thaw();
}

void FsManager::destroy() {
  std::string first_error;
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    try {
      remove_cgroup(*it);
    } catch (const Error& e) {
      if (first_error.empty()) first_error = e.what();
    }
  }
  if (!first_error.empty()) throw Error(first_error);
}

Stats FsManager::stats() const {
  Stats s;
  if (std::string d = v1_dir("cpuacct"); !d.empty()) {
    s.cpu.usage_total = to_u64(read_trim(d + "/cpuacct.usage"));
    std::istringstream per(read_file(d + "/cpuacct.usage_percpu"));
    uint64_t v;
    while (per >> v) s.cpu.percpu.push_back(v);
    auto st = read_kv(d + "/cpuacct.stat");
    long hz = ::sysconf(_SC_CLK_TCK);
    s.cpu.usage_user = st["user"] * (1000000000ULL / static_cast<uint64_t>(hz));
    s.cpu.usage_kernel = st["system"] * (1000000000ULL / static_cast<uint64_t>(hz));
  }
  if (std::string d = v1_dir("cpu"); !d.empty()) {
    auto st = read_kv(d + "/cpu.stat");
    s.cpu.throttling_periods = st["nr_periods"];
    s.cpu.throttled_periods = st["nr_throttled"];
    s.cpu.throttled_time = st["throttled_time"];
  }
  if (std::string d = v1_dir("memory"); !d.empty()) {
    s.memory.usage = to_u64(read_trim(d + "/memory.usage_in_bytes"));
    s.memory.max_usage = to_u64(read_trim(d + "/memory.max_usage_in_bytes"));
    s.memory.limit = to_u64(read_trim(d + "/memory.limit_in_bytes"));
    s.memory.failcnt = to_u64(read_trim(d + "/memory.failcnt"));
    if (path_exists(d + "/memory.memsw.usage_in_bytes")) {
      s.memory.swap_usage = to_u64(read_trim(d + "/memory.memsw.usage_in_bytes"));
      s.memory.swap_limit = to_u64(read_trim(d + "/memory.memsw.limit_in_bytes"));
    }
    s.memory.raw = read_kv(d + "/memory.stat");
    s.memory.cache = s.memory.raw["cache"];
  }
  if (std::string d = v1_dir("pids"); !d.empty()) {
    s.pids.current = to_u64(read_trim(d + "/pids.current"));
    s.pids.limit = to_u64(read_trim(d + "/pids.max"));
  }
  std::string v2 = v2_dir();
  if (layout_.v1.empty() && !v2.empty()) {
    auto cpu = read_kv(v2 + "/cpu.stat");
    s.cpu.usage_total = cpu["usage_usec"] * 1000;
    s.cpu.usage_user = cpu["user_usec"] * 1000;
    s.cpu.usage_kernel = cpu["system_usec"] * 1000;
    s.cpu.throttling_periods = cpu["nr_periods"];
    s.cpu.throttled_periods = cpu["nr_throttled"];
    s.cpu.throttled_time = cpu["throttled_usec"] * 1000;
    if (path_exists(v2 + "/memory.current")) {
      s.memory.usage = to_u64(read_trim(v2 + "/memory.current"));
      s.memory.limit = to_u64(read_trim(v2 + "/memory.max"));
      s.memory.raw = read_kv(v2 + "/memory.stat");
      s.memory.cache = s.memory.raw["file"];
      if (path_exists(v2 + "/memory.swap.current"))
        s.memory.swap_usage = to_u64(read_trim(v2 + "/memory.swap.current"));
    }
    if (path_exists(v2 + "/pids.current")) {
      s.pids.current = to_u64(read_trim(v2 + "/pids.current"));
      s.pids.limit = to_u64(read_trim(v2 + "/pids.max"));
    }
  }
  return s;
}

uint64_t FsManager::oom_kill_count() const {
  if (std::string d = v1_dir("memory"); !d.empty())
    return read_kv(d + "/memory.oom_control")["oom_kill"];
  std::string v2 = v2_dir();
  if (!v2.empty()) return read_kv(v2 + "/memory.events")["oom_kill"];
  return 0;
}

std::string FsManager::serialize() const {
  std::string s = path_;
  for (const auto& c : created_) s += "\t" + c;
  return s;
}

void write_cg(const std::string& dir, const std::string& file, const std::string& value,
              const std::string& field) {
  try {
    write_file(dir + "/" + file, value);
  } catch (const Error& e) {
    throw Error(field + ": " + e.what(), e.code());
  }
}

std::unique_ptr<Manager> make_manager(const Layout& layout, const Options& opts) {
  if (opts.systemd) {
    if (!path_exists("/run/systemd/system"))
      throw Error("systemd cgroup driver requested (--systemd-cgroup) but systemd is not running");
    throw Error("--systemd-cgroup: the systemd driver is not implemented yet; use cgroupfs");
  }
  std::string path;
  if (!opts.cgroups_path || opts.cgroups_path->empty()) {
    path = "/nucleus-oci/" + opts.id;
  } else {
    // Relative paths are placed under the hierarchy roots, like absolute ones.
    path = normalize(*opts.cgroups_path);
    if (path == "/") throw Error("linux.cgroupsPath: must not be the root cgroup");
  }
  return std::make_unique<FsManager>(layout, path);
}

std::unique_ptr<Manager> open_manager(const Layout& layout, const std::string& serialized) {
  std::vector<std::string> parts;
  std::istringstream in(serialized);
  std::string p;
  while (std::getline(in, p, '\t')) parts.push_back(p);
  if (parts.empty() || parts[0].empty() || parts[0][0] != '/')
    throw Error("corrupt cgroup record \"" + serialized + "\"");
  std::string path = parts[0];
  parts.erase(parts.begin());
  return std::make_unique<FsManager>(layout, path, parts);
}

}  // namespace nucleus::cgroups
