// Where the cgroup hierarchies are mounted (/proc/self/mountinfo) and where the caller sits in
// them (/proc/self/cgroup).
#include <cctype>
#include <filesystem>
#include <set>
#include <sstream>

#include "cgroups/manager.hpp"
#include "runtime/util/error.hpp"
#include "runtime/util/fs.hpp"

namespace nucleus::cgroups {
namespace {

// The v1 controllers the kernel has ever had; any other super option (rw, noprefix, xattr,
// release_agent=, clone_children, cpuset_v2_mode, name=...) is not a controller.
const std::set<std::string> kV1Controllers = {
    "cpuset",   "cpu",        "cpuacct", "blkio", "memory", "devices", "freezer", "net_cls",
    "net_prio", "perf_event", "hugetlb", "pids",  "rdma",   "misc",    "debug"};

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && std::isdigit(s[i + 1]) && std::isdigit(s[i + 2]) &&
        std::isdigit(s[i + 3])) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) out.push_back(part);
  return out;
}

}  // namespace

Layout Layout::parse(const std::string& mountinfo, const std::string& self_cgroup) {
  Layout l;
  std::map<std::string, std::string> mount_root;  // mount point -> root of the mount
  std::istringstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    // id parent maj:min root mountpoint opts [optional...] - fstype source superopts
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream pre(line.substr(0, dash)), post(line.substr(dash + 3));
    std::string id, parent, dev, root, mountpoint, fstype, source, superopts;
    pre >> id >> parent >> dev >> root >> mountpoint;
    post >> fstype >> source >> superopts;
    root = unescape(root);
    mountpoint = unescape(mountpoint);
    if (fstype == "cgroup2") {
      if (l.v2.empty()) {
        l.v2 = mountpoint;
        mount_root[mountpoint] = root;
      }
    } else if (fstype == "cgroup") {
      bool used = false;
      for (const auto& opt : split(superopts, ',')) {
        if (kV1Controllers.count(opt) && !l.v1.count(opt)) {
          l.v1[opt] = mountpoint;
          used = true;
        } else if (opt.rfind("name=", 0) == 0 && !l.v1_named.count(opt)) {
          l.v1_named[opt] = mountpoint;
          used = true;
        }
      }
      if (used && !mount_root.count(mountpoint)) mount_root[mountpoint] = root;
    }
  }
  // hierarchy-id:controller-list:path
  std::istringstream cg(self_cgroup);
  while (std::getline(cg, line)) {
    auto c1 = line.find(':');
    auto c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    std::string ctrls = line.substr(c1 + 1, c2 - c1 - 1), path = line.substr(c2 + 1);
    std::string mount;
    if (ctrls.empty()) {
      mount = l.v2;
    } else {
      for (const auto& c : split(ctrls, ',')) {
        if (l.v1.count(c)) mount = l.v1[c];
        if (l.v1_named.count(c)) mount = l.v1_named[c];
      }
    }
    if (mount.empty()) continue;
    // Inside a cgroup namespace or a bind mount of a sub-tree, the mount's root is a prefix.
    const std::string& root = mount_root[mount];
    if (!root.empty() && root != "/" && path.rfind(root, 0) == 0) {
      path.erase(0, root.size());
      if (path.empty()) path.push_back('/');
    }
    if (path.empty() || path[0] != '/') path.insert(0, 1, '/');
    l.own[mount] = path;
  }
  return l;
}

Layout Layout::detect() {
  Layout l = parse(read_file("/proc/self/mountinfo"), read_file("/proc/self/cgroup"));
  if (!l.v2.empty()) {
    try {
      std::istringstream c(read_file(l.v2 + "/cgroup.controllers"));
      std::string ctrl;
      while (c >> ctrl) l.v2_controllers.push_back(ctrl);
    } catch (const Error&) {
      // Unreadable: no controller is usable on the cgroup2 side; apply() says so per field.
    }
  }
  if (l.v1.empty() && l.v2.empty()) throw Error("no cgroup hierarchy is mounted on this host");
  return l;
}

Layout Layout::under(const std::string& root, const std::vector<std::string>& v1_controllers,
                     const std::vector<std::string>& v2_controllers) {
  Layout l;
  for (const auto& c : v1_controllers) {
    l.v1[c] = root + "/" + c;
    std::filesystem::create_directories(l.v1[c]);
  }
  if (!v2_controllers.empty()) {
    l.v2 = root + "/unified";
    std::filesystem::create_directories(l.v2);
    l.v2_controllers = v2_controllers;
  }
  return l;
}

}  // namespace nucleus::cgroups
