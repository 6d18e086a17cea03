// Which directory a container's cgroup is in: cgroupsPath rules (cgroupfs and systemd forms),
// and the one-line record that reopens it (serialize / open_manager).
#include <algorithm>
#include <sstream>

#include "cgroups/fs_manager.hpp"
#include "cgroups/systemd_manager.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/paths.hpp"

namespace nucleus::cgroups {
namespace {

constexpr const char* kRecordTag = "cgfs1";

std::string parent_of(const std::string& p) {
  auto slash = p.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : p.substr(0, slash);
}

std::string join(const std::string& base, const std::string& rel) {
  return clean_path(base + "/" + rel);
}

// Every hierarchy this layout has, v1 mounts once each (co-mounted controllers share one), named
// v1 hierarchies, then cgroup2. `path` absolute: the same path everywhere. Relative: below the
// caller's own cgroup in each hierarchy (runc's cgroupfs driver), on cgroup2 below its parent
// (runc's fs2: the caller's own cgroup holds processes, so it cannot have controllers enabled).
std::vector<Hierarchy> resolve(const Layout& l, const std::string& path) {
  std::vector<Hierarchy> hs;
  auto add = [&](const std::string& mount, bool v2) {
    for (const auto& h : hs)
      if (h.mount == mount) return;
    Hierarchy h{mount, path, v2};
    if (path.empty() || path[0] != '/') {
      auto it = l.own.find(mount);
      std::string base = it == l.own.end() ? "/" : it->second;
      if (v2) base = parent_of(base);
      h.path = join(base, path);
    }
    hs.push_back(h);
  };
  for (const auto& [c, mount] : l.v1) add(mount, false);
  for (const auto& [n, mount] : l.v1_named) add(mount, false);
  if (!l.v2.empty()) add(l.v2, true);
  return hs;
}

void check_text(const std::string& p) {
  if (p.find_first_of("\t\n") != std::string::npos)
    throw Error("linux.cgroupsPath: must not contain tabs or newlines");
}

}  // namespace

bool systemd_running() {
  return path_exists("/run/systemd/system");
}

std::string systemd_cgroup_path(const std::string& cgroups_path, const std::string& id) {
  return parse_systemd_unit(cgroups_path, id).path;
}

namespace {

// The systemd driver. With the user's manager (a rootless caller, runc's rootless systemd
// driver): cgroup v2 only, user.slice by default, and the unit's cgroup below the manager's own
// (its ControlGroup, "/user.slice/user-UID.slice/user@UID.service"), asked over its bus at once:
// a missing bus is an error before anything is made.
std::unique_ptr<Manager> make_systemd_manager(const Layout& layout, const Options& opts) {
  const bool user = opts.systemd_user_bus;
  SystemdUnit unit = parse_systemd_unit(opts.cgroups_path.value_or(""), opts.id,
                                        user ? "user.slice" : "system.slice");
  if (!systemd_running())
    throw Error("systemd not running on this host, cannot use systemd cgroups manager");
  if (layout.v1.empty() && layout.v2.empty()) throw Error("no cgroup hierarchy is mounted");
  if (user && !layout.pure_v2())
    throw Error("cannot use rootless systemd cgroups manager on cgroup v1");
  std::optional<SystemdBus> bus;
  if (user) {
    bus.emplace(SystemdBus::connect(Bus::user));
    std::string base = bus->manager_property("ControlGroup");
    if (base.empty() || base[0] != '/')
      throw Error("systemd cgroup driver: the user's manager has no control group (\"" + base +
                  "\")");
    unit.path = clean_path(base + unit.path);
  }
  UnitProperties extra = annotation_properties(opts.annotations);
  auto fs = std::make_unique<FsManager>(layout, resolve(layout, unit.path),
                                        std::vector<std::string>{}, opts.rootless);
  auto m =
      std::make_unique<SystemdManager>(opts.id, std::move(unit), user ? Bus::user : Bus::system,
                                       std::move(fs), std::move(extra), false);
  if (bus) m->use_bus(std::move(*bus));
  return m;
}

}  // namespace

std::unique_ptr<Manager> make_manager(const Layout& layout, const Options& opts) {
  std::string path;
  if (opts.systemd) return make_systemd_manager(layout, opts);
  if (!opts.cgroups_path || opts.cgroups_path->empty()) {
    if (opts.id.empty() || opts.id.find('/') != std::string::npos)
      throw Error("invalid container id \"" + opts.id + "\" for a cgroup path");
    path = std::string(kDefaultParent) + "/" + opts.id;
  } else {
    path = *opts.cgroups_path;
    check_text(path);
    // Clean as runc's utils.CleanPath: "../.." cannot climb above the base.
    path = path[0] == '/' ? clean_path(path) : clean_path("/" + path).substr(1);
    if (path == "/" || path.empty())
      throw Error("linux.cgroupsPath: \"" + *opts.cgroups_path + "\" is the root cgroup");
  }
  if (layout.v1.empty() && layout.v2.empty()) throw Error("no cgroup hierarchy is mounted");
  auto m = std::make_unique<FsManager>(layout, resolve(layout, path), std::vector<std::string>{},
                                       opts.rootless);
  if (opts.rootless && opts.cgroups_path && !opts.cgroups_path->empty())
    m->require_some_hierarchy();
  return m;
}

// "cgfs1\tH1\t<mount>\t<path>...\tC\t<created dir>...[\tR][\tU\t<mount>...]", tab-separated
// (paths hold no tabs): H1/H2 a v1/cgroup2 hierarchy, C a directory create() made, R rootless,
// U a hierarchy a rootless create() could not use.
std::string FsManager::serialize() const {
  std::string s = kRecordTag;
  for (const auto& h : hs_)
    s += std::string("\t") + (h.v2 ? "H2" : "H1") + "\t" + h.mount + "\t" + h.path;
  for (const auto& c : created_) s += "\tC\t" + c;
  if (rootless_) s += "\tR";
  for (const auto& u : unwritable_) s += "\tU\t" + u;
  return s;
}

std::string FsManager::serialize_planned() const {
  std::string s = serialize();
  for (const auto& h : hs_)
    if (std::find(created_.begin(), created_.end(), h.dir()) == created_.end())
      s += "\tC\t" + h.dir();
  return s;
}

std::unique_ptr<Manager> FsManager::sub_cgroup(
    const std::map<std::string, std::string>& paths) const {
  // runc's path.Join(base, sub), which must stay below base ("/" is the cgroup itself).
  auto below = [](const std::string& base, const std::string& sub) {
    std::string p = clean_path(base + "/" + sub);
    if (p != base && p.rfind(base == "/" ? base : base + "/", 0) != 0)
      throw Error(sub + " is not a sub cgroup path");
    return p;
  };
  std::map<std::string, std::string> mounts;  // mount of each named controller -> sub path
  for (const auto& [ctrl, sub] : paths) {
    if (ctrl.empty()) continue;
    auto it = layout_.v1.find(ctrl);
    std::string mount;
    if (it != layout_.v1.end())
      mount = it->second;
    else if (auto n = layout_.v1_named.find(ctrl); n != layout_.v1_named.end())
      mount = n->second;
    else
      throw Error("unknown controller " + ctrl + " in SubCgroupPaths");
    // Co-mounted controllers (cpu,cpuacct) are one directory: one path for both.
    auto [at, fresh] = mounts.emplace(mount, sub);
    if (!fresh && at->second != sub)
      throw Error("invalid --cgroup argument(s): controllers of " + mount +
                  " are given different paths");
  }
  auto all = paths.find("");
  std::vector<Hierarchy> hs = hs_;
  for (auto& h : hs) {
    if (all != paths.end())
      h.path = below(h.path, all->second);
    else if (auto m = mounts.find(h.mount); m != mounts.end())
      h.path = below(h.path, m->second);
  }
  return std::make_unique<FsManager>(layout_, std::move(hs), std::vector<std::string>{}, rootless_,
                                     unwritable_);
}

std::unique_ptr<Manager> open_manager(const Layout& layout, const std::string& serialized) {
  if (auto sd = SystemdManager::open(layout, serialized)) return sd;
  std::vector<std::string> t;
  std::istringstream in(serialized);
  std::string p;
  while (std::getline(in, p, '\t')) t.push_back(p);
  auto corrupt = [&] { return Error("corrupt cgroup record \"" + serialized + "\""); };
  if (!t.empty() && !t[0].empty() && t[0][0] == '/' && t[0].find('\t') == std::string::npos &&
      t[0] == clean_path(t[0]) && t[0] != "/") {
    // The first format: "PATH\tCREATED..." with PATH absolute in every hierarchy.
    std::vector<std::string> created(t.begin() + 1, t.end());
    for (const auto& c : created)
      if (c.empty() || c[0] != '/') throw corrupt();
    return std::make_unique<FsManager>(layout, resolve(layout, t[0]), created);
  }
  if (t.empty() || t[0] != kRecordTag) throw corrupt();
  std::vector<Hierarchy> hs;
  std::vector<std::string> created, unwritable;
  bool rootless = false;
  for (size_t i = 1; i < t.size();) {
    if ((t[i] == "H1" || t[i] == "H2") && i + 2 < t.size()) {
      if (t[i + 1].empty() || t[i + 2].empty() || t[i + 2][0] != '/') throw corrupt();
      hs.push_back({t[i + 1], t[i + 2], t[i] == "H2"});
      i += 3;
    } else if (t[i] == "R") {
      rootless = true;
      i += 1;
    } else if (t[i] == "U" && i + 1 < t.size()) {
      unwritable.push_back(t[i + 1]);
      i += 2;
    } else if (t[i] == "C" && i + 1 < t.size()) {
      if (t[i + 1].empty() || t[i + 1][0] != '/') throw corrupt();
      created.push_back(t[i + 1]);
      i += 2;
    } else {
      throw corrupt();
    }
  }
  if (hs.empty() && unwritable.empty()) throw corrupt();
  return std::make_unique<FsManager>(layout, hs, created, rootless, unwritable);
}

}  // namespace nucleus::cgroups
