// linux.resources on cgroup v1 hierarchies. A field whose controller the host lacks is an
// error naming the field (never silently dropped); unset fields are not written.
#include <string>

#include "cgroups/fs_manager.hpp"
#include "runtime/util/error.hpp"
#include "runtime/util/fs.hpp"

namespace nucleus::cgroups {
namespace {

const std::string kF = "linux.resources.";

std::string need(const FsManager& m, const std::string& ctrl, const std::string& field) {
  std::string d = m.v1_dir(ctrl);
  if (d.empty()) throw Error(kF + field + ": the host has no " + ctrl + " cgroup controller");
  return d;
}

std::string dev(int64_t major, int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

std::string rule_text(const oci::DeviceCgroupRule& r) {
  std::string type = r.type.empty() ? "a" : r.type;
  std::string major = r.major && *r.major >= 0 ? std::to_string(*r.major) : "*";
  std::string minor = r.minor && *r.minor >= 0 ? std::to_string(*r.minor) : "*";
  std::string access = r.access.empty() ? "rwm" : r.access;
  if (type == "a") return "a";
  return type + " " + major + ":" + minor + " " + access;
}

void memory(const FsManager& m, const oci::MemoryResources& mem) {
  std::string d = need(m, "memory", "memory");
  if (mem.check_before_update.value_or(false) && mem.limit && *mem.limit > 0) {
    uint64_t usage = std::stoull(trim(read_file(d + "/memory.usage_in_bytes")));
    if (static_cast<uint64_t>(*mem.limit) < usage)
      throw Error(kF + "memory.limit: " + std::to_string(*mem.limit) +
                  " is below the current usage " + std::to_string(usage) + " (checkBeforeUpdate)");
  }
  auto limit = [&] {
    write_cg(d, "memory.limit_in_bytes", std::to_string(*mem.limit), kF + "memory.limit");
  };
  auto swap = [&] {
    write_cg(d, "memory.memsw.limit_in_bytes", std::to_string(*mem.swap), kF + "memory.swap");
  };
  if (mem.limit && mem.swap) {
    // memsw must stay >= limit at every step: raise memsw first when growing.
    try {
      limit();
      swap();
    } catch (const Error&) {
      swap();
      limit();
    }
  } else if (mem.limit) {
    limit();
  } else if (mem.swap) {
    swap();
  }
  if (mem.reservation)
    write_cg(d, "memory.soft_limit_in_bytes", std::to_string(*mem.reservation),
             kF + "memory.reservation");
  if (mem.kernel)
    write_cg(d, "memory.kmem.limit_in_bytes", std::to_string(*mem.kernel), kF + "memory.kernel");
  if (mem.kernel_tcp)
    write_cg(d, "memory.kmem.tcp.limit_in_bytes", std::to_string(*mem.kernel_tcp),
             kF + "memory.kernelTCP");
  if (mem.swappiness)
    write_cg(d, "memory.swappiness", std::to_string(*mem.swappiness), kF + "memory.swappiness");
  if (mem.disable_oom_killer && *mem.disable_oom_killer)
    write_cg(d, "memory.oom_control", "1", kF + "memory.disableOOMKiller");
  if (mem.use_hierarchy && *mem.use_hierarchy &&
      trim(read_file(d + "/memory.use_hierarchy")) != "1")
    write_cg(d, "memory.use_hierarchy", "1", kF + "memory.useHierarchy");
}

void cpu(const FsManager& m, const oci::CPUResources& c) {
  bool any_cpu = c.shares || c.quota || c.period || c.burst || c.realtime_runtime ||
                 c.realtime_period || c.idle;
  if (any_cpu) {
    std::string d = need(m, "cpu", "cpu");
    if (c.shares) write_cg(d, "cpu.shares", std::to_string(*c.shares), kF + "cpu.shares");
    if (c.period) write_cg(d, "cpu.cfs_period_us", std::to_string(*c.period), kF + "cpu.period");
    if (c.quota) write_cg(d, "cpu.cfs_quota_us", std::to_string(*c.quota), kF + "cpu.quota");
    if (c.burst) write_cg(d, "cpu.cfs_burst_us", std::to_string(*c.burst), kF + "cpu.burst");
    if (c.realtime_period)
      write_cg(d, "cpu.rt_period_us", std::to_string(*c.realtime_period),
               kF + "cpu.realtimePeriod");
    if (c.realtime_runtime)
      write_cg(d, "cpu.rt_runtime_us", std::to_string(*c.realtime_runtime),
               kF + "cpu.realtimeRuntime");
    if (c.idle) write_cg(d, "cpu.idle", *c.idle ? "1" : "0", kF + "cpu.idle");
  }
  if (!c.cpus.empty())
    write_cg(need(m, "cpuset", "cpu.cpus"), "cpuset.cpus", c.cpus, kF + "cpu.cpus");
  if (!c.mems.empty())
    write_cg(need(m, "cpuset", "cpu.mems"), "cpuset.mems", c.mems, kF + "cpu.mems");
}

void blkio(const FsManager& m, const oci::BlockIOResources& b) {
  std::string d = need(m, "blkio", "blockIO");
  if (b.weight) {
    std::string file = path_exists(d + "/blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
    write_cg(d, file, std::to_string(*b.weight), kF + "blockIO.weight");
  }
  if (b.leaf_weight)
    write_cg(d, "blkio.leaf_weight", std::to_string(*b.leaf_weight), kF + "blockIO.leafWeight");
  for (const auto& w : b.weight_device) {
    if (w.weight)
      write_cg(d, "blkio.weight_device", dev(w.major, w.minor) + " " + std::to_string(*w.weight),
               kF + "blockIO.weightDevice");
    if (w.leaf_weight)
      write_cg(d, "blkio.leaf_weight_device",
               dev(w.major, w.minor) + " " + std::to_string(*w.leaf_weight),
               kF + "blockIO.weightDevice.leafWeight");
  }
  struct T {
    const std::vector<oci::ThrottleDevice>* list;
    const char* file;
    const char* field;
  } ts[] = {
      {&b.throttle_read_bps_device, "blkio.throttle.read_bps_device", "throttleReadBpsDevice"},
      {&b.throttle_write_bps_device, "blkio.throttle.write_bps_device", "throttleWriteBpsDevice"},
      {&b.throttle_read_iops_device, "blkio.throttle.read_iops_device", "throttleReadIOPSDevice"},
      {&b.throttle_write_iops_device, "blkio.throttle.write_iops_device",
       "throttleWriteIOPSDevice"}};
  for (const auto& t : ts)
    for (const auto& e : *t.list)
      write_cg(d, t.file, dev(e.major, e.minor) + " " + std::to_string(e.rate),
               kF + "blockIO." + t.field);
}

}  // namespace

void apply_v1(const FsManager& m, const oci::Resources& r) {
  if (!r.devices.empty()) {
    std::string d = need(m, "devices", "devices");
    write_cg(d, "devices.deny", "a", kF + "devices");
    for (size_t i = 0; i < r.devices.size(); ++i)
      write_cg(d, r.devices[i].allow ? "devices.allow" : "devices.deny", rule_text(r.devices[i]),
               kF + "devices[" + std::to_string(i) + "]");
  }
  if (r.memory) memory(m, *r.memory);
  if (r.cpu) cpu(m, *r.cpu);
  if (r.pids && r.pids->limit) {
    int64_t l = *r.pids->limit;
    write_cg(need(m, "pids", "pids"), "pids.max", l > 0 ? std::to_string(l) : "max",
             kF + "pids.limit");
  }
  if (r.block_io) blkio(m, *r.block_io);
  for (size_t i = 0; i < r.hugepage_limits.size(); ++i) {
    const auto& h = r.hugepage_limits[i];
    std::string field = kF + "hugepageLimits[" + std::to_string(i) + "]";
    if (std::string d = m.v1_dir("hugetlb"); !d.empty())
      write_cg(d, "hugetlb." + h.page_size + ".limit_in_bytes", std::to_string(h.limit), field);
    else if (!m.has_v2_controller("hugetlb"))
      throw Error(field + ": the host has no hugetlb cgroup controller");
    // else: the cgroup2 side of a hybrid host takes it (apply_v2).
  }
  if (r.network) {
    if (r.network->class_id)
      write_cg(need(m, "net_cls", "network.classID"), "net_cls.classid",
               std::to_string(*r.network->class_id), kF + "network.classID");
    for (const auto& p : r.network->priorities)
      write_cg(need(m, "net_prio", "network.priorities"), "net_prio.ifpriomap",
               p.name + " " + std::to_string(p.priority), kF + "network.priorities");
  }
  for (const auto& [devname, l] : r.rdma) {
    std::string d = m.v1_dir("rdma");
    if (d.empty()) {
      if (m.has_v2_controller("rdma")) continue;
      throw Error(kF + "rdma." + devname + ": the host has no rdma cgroup controller");
    }
    std::string v = devname;
    if (l.hca_handles) v += " hca_handle=" + std::to_string(*l.hca_handles);
    if (l.hca_objects) v += " hca_object=" + std::to_string(*l.hca_objects);
    write_cg(d, "rdma.max", v, kF + "rdma." + devname);
  }
}

}  // namespace nucleus::cgroups
