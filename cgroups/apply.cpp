// apply(): every resource group goes to the hierarchy holding its controller — the v1 mount
// when the host has one, else the cgroup2 side — and is an error naming the field when neither
// has it. Unset fields are not written.
#include <algorithm>

#include "cgroups/fs_manager.hpp"
#include "util/error.hpp"

namespace nucleus::cgroups {
namespace {

const std::string kF = "linux.resources.";

bool any(const oci::MemoryResources& m) {
  return m.limit || m.reservation || m.swap || m.kernel || m.kernel_tcp || m.swappiness ||
         m.disable_oom_killer || m.use_hierarchy;
}
bool any_cpu(const oci::CPUResources& c) {
  return c.shares || c.quota || c.burst || c.period || c.realtime_runtime || c.realtime_period ||
         c.idle;
}
bool any(const oci::BlockIOResources& b) {
  return b.weight || b.leaf_weight || !b.weight_device.empty() ||
         !b.throttle_read_bps_device.empty() || !b.throttle_write_bps_device.empty() ||
         !b.throttle_read_iops_device.empty() || !b.throttle_write_iops_device.empty();
}

Error missing(const std::string& field, const std::string& controller) {
  return Error(kF + field + ": the host has no " + controller + " cgroup controller");
}

}  // namespace

void validate(const Layout& layout, const oci::Resources& r) {
  // runc's specconv: a device rule needs an access (runc's wording, its index in the list).
  for (size_t i = 0; i < r.devices.size(); ++i)
    if (r.devices[i].access.empty())
      throw Error("device access at " + std::to_string(i) + " field cannot be empty");
  if (!r.unified.empty() && !layout.pure_v2())
    throw Error("invalid configuration: cannot use unified on cgroup v1");
}

std::string FsManager::rt_budget_parent() const {
  auto cpu = layout_.v1.find("cpu");
  if (cpu == layout_.v1.end()) return "";
  for (const auto& h : hs_) {
    if (h.v2 || h.mount != cpu->second) continue;
    auto slash = h.path.rfind('/');
    if (slash != std::string::npos && h.path.substr(0, slash) == kDefaultParent)
      return h.mount + kDefaultParent;
  }
  return "";
}

void FsManager::apply(const oci::Resources& r) {
  validate(layout_, r);
  // Which side takes a controller: "v1" dir, "v2" dir, or an error naming the field.
  struct Target {
    std::string dir;
    bool v2 = false;
  };
  auto target = [&](const std::string& v1c, const std::string& v2c, const std::string& field) {
    if (std::string d = v1_dir(v1c); !d.empty()) return Target{d, false};
    // runc's words (its fs and fs2 managers) first, then which hierarchy and why.
    if (layout_.v1.count(v1c))
      if (std::string why = unusable_reason(layout_.v1.at(v1c)); !why.empty())
        throw Error(kF + field + ": cannot set " + v1c +
                    " limit: container could not join or create cgroup: " + why);
    if (!v2c.empty() && v2_has(v2c)) return Target{v2_dir(), true};
    if (!v2c.empty() && !layout_.v2.empty()) {
      if (std::string why = unusable_reason(layout_.v2); !why.empty())
        throw Error(kF + field +
                    ": rootless needs no limits + no cgrouppath when no permission is granted "
                    "for cgroups: " +
                    why);
      // The host has it, this cgroup does not: a parent does not pass it down (a rootless
      // user's subtree gets only what systemd's user@.service delegates).
      const auto& host = layout_.v2_controllers;
      if (!v2_dir().empty() && std::find(host.begin(), host.end(), v2c) != host.end())
        throw Error(
            kF + field + ": the " + v2c + " controller is not available in " + v2_dir() +
            (rootless_ ? " (not delegated to this user)" : " (its parent does not enable it)"));
    }
    throw missing(field, v1c == v2c || v2c.empty() ? v1c : v1c + "/" + v2c);
  };

  if (!r.devices.empty()) {
    if (std::string d = v1_dir("devices"); !d.empty())
      v1::devices(d, r.devices);
    else if (std::string d2 = v2_dir(); !d2.empty())
      attach_device_filter(d2, r.devices);  // cgroup2 has no devices files: an eBPF program
    else
      throw missing("devices", "devices");
  }
  if (r.memory && any(*r.memory)) {
    auto t = target("memory", "memory", "memory");
    t.v2 ? v2::memory(t.dir, *r.memory) : v1::memory(t.dir, *r.memory);
  }
  if (r.cpu && any_cpu(*r.cpu)) {
    auto t = target("cpu", "cpu", "cpu");
    t.v2 ? v2::cpu(t.dir, *r.cpu) : v1::cpu(t.dir, *r.cpu, rt_budget_parent());
  }
  if (r.cpu && (!r.cpu->cpus.empty() || !r.cpu->mems.empty())) {
    auto t = target("cpuset", "cpuset", r.cpu->cpus.empty() ? "cpu.mems" : "cpu.cpus");
    t.v2 ? v2::cpuset(t.dir, *r.cpu) : v1::cpuset(t.dir, *r.cpu);
  }
  if (r.pids && r.pids->limit) {
    auto t = target("pids", "pids", "pids.limit");
    t.v2 ? v2::pids(t.dir, *r.pids) : v1::pids(t.dir, *r.pids);
  }
  if (r.block_io && any(*r.block_io)) {
    auto t = target("blkio", "io", "blockIO");
    t.v2 ? v2::io(t.dir, *r.block_io) : v1::blkio(t.dir, *r.block_io);
  }
  if (!r.hugepage_limits.empty()) {
    auto t = target("hugetlb", "hugetlb", "hugepageLimits");
    t.v2 ? v2::hugetlb(t.dir, r.hugepage_limits) : v1::hugetlb(t.dir, r.hugepage_limits);
  }
  if (r.network && r.network->class_id) {
    auto t = target("net_cls", "", "network.classID");
    v1::net_cls(t.dir, *r.network->class_id);
  }
  if (r.network && !r.network->priorities.empty()) {
    auto t = target("net_prio", "", "network.priorities");
    v1::net_prio(t.dir, r.network->priorities);
  }
  if (!r.rdma.empty()) {
    auto t = target("rdma", "rdma", "rdma");
    t.v2 ? v2::rdma(t.dir, r.rdma) : v1::rdma(t.dir, r.rdma);
  }
  if (!r.unified.empty()) v2::unified(v2_dir(), r.unified);
}

}  // namespace nucleus::cgroups
