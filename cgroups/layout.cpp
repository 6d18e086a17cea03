// Where the cgroup hierarchies are mounted, from /proc/self/mountinfo.
#include <sstream>

#include "cgroups/manager.hpp"
#include "runtime/util/error.hpp"
#include "runtime/util/fs.hpp"

namespace nucleus::cgroups {

Layout Layout::detect() {
  Layout l;
  std::istringstream in(read_file("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(in, line)) {
    // id parent maj:min root mountpoint opts [optional...] - fstype source superopts
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream pre(line.substr(0, dash)), post(line.substr(dash + 3));
    std::string id, parent, dev, root, mountpoint, fstype, source, superopts;
    pre >> id >> parent >> dev >> root >> mountpoint;
    post >> fstype >> source >> superopts;
    if (fstype == "cgroup2") {
      if (l.v2.empty()) l.v2 = mountpoint;
    } else if (fstype == "cgroup") {
      std::istringstream opts(superopts);
      std::string opt;
      while (std::getline(opts, opt, ',')) {
        if (opt == "rw" || opt == "ro" || opt.rfind("release_agent", 0) == 0 ||
            opt == "clone_children" || opt == "noprefix" || opt == "xattr" ||
            opt == "cpuset_v2_mode" || opt == "memory_recursiveprot" || opt == "nsdelegate" ||
            opt == "favordynmods")
          continue;
        if (opt.rfind("name=", 0) == 0) continue;  // named hierarchies hold no controller
        if (!l.v1.count(opt)) l.v1[opt] = mountpoint;
      }
    }
  }
  if (!l.v2.empty()) {
    try {
      std::istringstream c(read_file(l.v2 + "/cgroup.controllers"));
      std::string ctrl;
      while (c >> ctrl) l.v2_controllers.push_back(ctrl);
    } catch (const Error&) {
    }
  }
  if (l.v1.empty() && l.v2.empty()) throw Error("no cgroup hierarchy is mounted on this host");
  return l;
}

}  // namespace nucleus::cgroups
