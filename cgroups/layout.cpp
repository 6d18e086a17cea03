// Where the cgroup hierarchies are mounted (/proc/self/mountinfo) and where the caller sits in
// them (/proc/self/cgroup).
#include <filesystem>
#include <set>
#include <string_view>

#include "cgroups/manager.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace nucleus::cgroups {
namespace {

// The v1 controllers the kernel has ever had; any other super option (rw, noprefix, xattr,
// release_agent=, clone_children, cpuset_v2_mode, name=...) is not a controller.
const std::set<std::string, std::less<>> kV1Controllers = {
    "cpuset",   "cpu",        "cpuacct", "blkio", "memory", "devices", "freezer", "net_cls",
    "net_prio", "perf_event", "hugetlb", "pids",  "rdma",   "misc",    "debug"};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && is_digit(s[i + 1]) && is_digit(s[i + 2]) &&
        is_digit(s[i + 3])) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The next `sep`-separated field of `s` (consumed); runs of separators count as one when
// `collapse` (mountinfo's spaces).
std::string_view next_field(std::string_view& s, char sep, bool collapse = false) {
  if (collapse)
    while (!s.empty() && s.front() == sep) s.remove_prefix(1);
  size_t at = s.find(sep);
  std::string_view f = s.substr(0, at);
  s.remove_prefix(at == std::string_view::npos ? s.size() : at + 1);
  return f;
}

}  // namespace

// Plain string_view scanning: the istringstreams this used were a tenth of a `create`'s
// instructions (locale set-up per line).
Layout Layout::parse(const std::string& mountinfo, const std::string& self_cgroup) {
  Layout l;
  std::map<std::string, std::string> mount_root;  // mount point -> root of the mount
  std::string_view all = mountinfo;
  while (!all.empty()) {
    std::string_view line = next_field(all, '\n');
    // id parent maj:min root mountpoint opts [optional...] - fstype source superopts
    auto dash = line.find(" - ");
    if (dash == std::string_view::npos) continue;
    std::string_view pre = line.substr(0, dash), post = line.substr(dash + 3);
    for (int i = 0; i < 3; ++i) next_field(pre, ' ', true);  // id parent maj:min
    std::string root = unescape(next_field(pre, ' ', true));
    std::string mountpoint = unescape(next_field(pre, ' ', true));
    std::string_view fstype = next_field(post, ' ', true);
    next_field(post, ' ', true);  // source
    std::string_view superopts = next_field(post, ' ', true);
    if (fstype == "cgroup2") {
      if (l.v2.empty()) {
        l.v2 = mountpoint;
        mount_root[mountpoint] = root;
      }
    } else if (fstype == "cgroup") {
      bool used = false;
      while (!superopts.empty()) {
        std::string_view opt = next_field(superopts, ',');
        if (kV1Controllers.count(opt) && !l.v1.count(std::string(opt))) {
          l.v1[std::string(opt)] = mountpoint;
          used = true;
        } else if (opt.substr(0, 5) == "name=" && !l.v1_named.count(std::string(opt))) {
          l.v1_named[std::string(opt)] = mountpoint;
          used = true;
        }
      }
      if (used && !mount_root.count(mountpoint)) mount_root[mountpoint] = root;
    }
  }
  // hierarchy-id:controller-list:path
  std::string_view cgs = self_cgroup;
  while (!cgs.empty()) {
    std::string_view line = next_field(cgs, '\n');
    auto c1 = line.find(':');
    auto c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    std::string_view ctrls = line.substr(c1 + 1, c2 - c1 - 1);
    std::string path(line.substr(c2 + 1));
    std::string mount;
    if (ctrls.empty()) {
      mount = l.v2;
    } else {
      while (!ctrls.empty()) {
        std::string c(next_field(ctrls, ','));
        if (auto it = l.v1.find(c); it != l.v1.end()) mount = it->second;
        if (auto it = l.v1_named.find(c); it != l.v1_named.end()) mount = it->second;
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
      std::string text = read_file(l.v2 + "/cgroup.controllers");
      std::string_view c = text;
      while (!c.empty()) {
        std::string_view ctrl = next_field(c, ' ', true);
        while (!ctrl.empty() && (ctrl.back() == '\n' || ctrl.back() == '\t')) ctrl.remove_suffix(1);
        if (!ctrl.empty()) l.v2_controllers.emplace_back(ctrl);
      }
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
