// linux.resources written to cgroup v1 controller files. Unset (and, as in runc, zero) values
// are not written; every write error names the spec field.
#include <string>

#include "cgroups/fs_manager.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace nucleus::cgroups::v1 {
namespace {

const std::string kF = "linux.resources.";

std::string dev(int64_t major, int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

void check_usage(const std::string& dir, const std::string& usage_file, int64_t limit) {
  if (limit <= 0) return;
  uint64_t usage = read_u64(dir, usage_file);
  if (static_cast<uint64_t>(limit) < usage)
    throw Error(kF + "memory.limit: " + std::to_string(limit) + " is below the current usage " +
                std::to_string(usage) + " (checkBeforeUpdate)");
}

// The runtime's default parent (/nucleus-oci) starts with no realtime budget (the kernel gives a
// new group rt_runtime_us 0), so no container below it could have any, where runc's default
// cgroup sits right under the caller's (with the root's budget). Gives `parent` the container's
// runtime over `period` (scaled to the parent's period) on top of its own, from the
// grandparent's budget. False when that cannot help (the parent is unlimited, or the share would
// exceed its period).
bool grow_rt_budget(const std::string& parent, int64_t runtime, uint64_t period) {
  std::string own = read_cg(parent, "cpu.rt_runtime_us").value_or("-1");
  uint64_t pp = read_u64(parent, "cpu.rt_period_us");
  if (own.empty() || own[0] == '-' || pp == 0 || runtime <= 0 || period == 0) return false;
  unsigned __int128 want =
      (static_cast<unsigned __int128>(runtime) * pp + period - 1) / period + std::stoull(own);
  if (want > pp) return false;
  write_cg(parent, "cpu.rt_runtime_us", std::to_string(static_cast<uint64_t>(want)),
           kF + "cpu.realtimeRuntime");
  return true;
}

// runc's SetRtSched: the period first; when the kernel refuses it (EINVAL: the current runtime
// does not fit the new period) and a runtime comes too, the runtime, then the period again. So
// both a larger and a smaller period work. `budget_parent`: a parent whose budget may be grown
// when the kernel refuses a value for lack of it (grow_rt_budget), "" for none.
void rt_sched(const std::string& d, const oci::CPUResources& c, const std::string& budget_parent) {
  uint64_t period = c.realtime_period.value_or(0);
  int64_t runtime = c.realtime_runtime.value_or(0);
  // One write; on EINVAL, once more after growing the parent's budget for `runtime` over the
  // period in force after this write.
  auto write = [&](const char* file, const std::string& value, const std::string& field,
                   uint64_t in_force) {
    try {
      write_cg(d, file, value, field);
    } catch (const Error& e) {
      if (e.code() != EINVAL || budget_parent.empty() || runtime == 0 ||
          !grow_rt_budget(budget_parent, runtime, in_force))
        throw;
      write_cg(d, file, value, field);
    }
  };
  bool period_pending = false;
  if (period != 0) {
    try {
      write_cg(d, "cpu.rt_period_us", std::to_string(period), kF + "cpu.realtimePeriod");
    } catch (const Error& e) {
      if (e.code() != EINVAL || runtime == 0) throw;
      period_pending = true;
    }
  }
  if (runtime == 0) return;
  uint64_t current = period_pending || period == 0 ? read_u64(d, "cpu.rt_period_us") : period;
  write("cpu.rt_runtime_us", std::to_string(runtime), kF + "cpu.realtimeRuntime", current);
  if (period_pending)
    write("cpu.rt_period_us", std::to_string(period), kF + "cpu.realtimePeriod", period);
}

}  // namespace

void memory(const std::string& d, const oci::MemoryResources& m) {
  if (m.check_before_update.value_or(false) && m.limit)
    check_usage(d, "memory.usage_in_bytes", *m.limit);
  int64_t limit = m.limit.value_or(0), swap = m.swap.value_or(0);
  // runc: memory unlimited and swap unset means swap unlimited too (when swap accounting exists).
  if (limit == -1 && swap == 0 && path_exists(d + "/memory.memsw.limit_in_bytes")) swap = -1;
  auto set_limit = [&] {
    if (limit == 0) return;
    try {
      write_cg(d, "memory.limit_in_bytes", std::to_string(limit), kF + "memory.limit");
    } catch (const Error& e) {
      if (e.code() != EBUSY) throw;
      throw Error(std::string(e.what()) + " (current usage " +
                      std::to_string(read_u64(d, "memory.usage_in_bytes")) + ", peak " +
                      std::to_string(read_u64(d, "memory.max_usage_in_bytes")) + ")",
                  EBUSY);
    }
  };
  auto set_swap = [&] {
    if (swap != 0)
      write_cg(d, "memory.memsw.limit_in_bytes", std::to_string(swap), kF + "memory.swap");
  };
  // The kernel keeps memsw >= limit at every step: when the new memsw is above the current
  // limit (growing), memsw goes first; otherwise the limit does (runc's setMemoryAndSwap).
  if (limit != 0 && swap != 0) {
    uint64_t cur = read_u64(d, "memory.limit_in_bytes", UINT64_MAX);
    if (swap == -1 || cur < static_cast<uint64_t>(swap)) {
      set_swap();
      set_limit();
    } else {
      set_limit();
      set_swap();
    }
  } else {
    set_limit();
    set_swap();
  }
  if (m.reservation && *m.reservation != 0)
    write_cg(d, "memory.soft_limit_in_bytes", std::to_string(*m.reservation),
             kF + "memory.reservation");
  // Kernel memory limits are gone from recent kernels: the write then fails naming the file.
  if (m.kernel && *m.kernel != 0)
    write_cg(d, "memory.kmem.limit_in_bytes", std::to_string(*m.kernel), kF + "memory.kernel");
  if (m.kernel_tcp && *m.kernel_tcp != 0)
    write_cg(d, "memory.kmem.tcp.limit_in_bytes", std::to_string(*m.kernel_tcp),
             kF + "memory.kernelTCP");
  if (m.swappiness) {
    if (*m.swappiness > 100)
      throw Error(kF + "memory.swappiness: " + std::to_string(*m.swappiness) +
                  " is out of range (0-100)");
    write_cg(d, "memory.swappiness", std::to_string(*m.swappiness), kF + "memory.swappiness");
  }
  if (m.disable_oom_killer && *m.disable_oom_killer)
    write_cg(d, "memory.oom_control", "1", kF + "memory.disableOOMKiller");
  if (m.use_hierarchy) {
    std::string want = *m.use_hierarchy ? "1" : "0";
    if (read_cg(d, "memory.use_hierarchy") != want)
      write_cg(d, "memory.use_hierarchy", want, kF + "memory.useHierarchy");
  }
}

void cpu(const std::string& d, const oci::CPUResources& c, const std::string& budget_parent) {
  if (c.shares && *c.shares != 0) {
    write_cg(d, "cpu.shares", std::to_string(*c.shares), kF + "cpu.shares");
    // The kernel clamps to [2, 262144]; report it instead of running with another value.
    uint64_t got = read_u64(d, "cpu.shares", *c.shares);
    if (got != *c.shares)
      throw Error(kF + "cpu.shares: " + std::to_string(*c.shares) +
                  " is out of range (the kernel set " + std::to_string(got) + ")");
  }
  // runc's order: the period and the burst first, each written again after the quota when the
  // kernel refused it (EINVAL) for the current quota (a smaller period, a larger burst).
  bool quota = c.quota && *c.quota != 0;
  auto before_quota = [&](const char* file, uint64_t value, const char* field) {
    try {
      write_cg(d, file, std::to_string(value), kF + field);
      return false;
    } catch (const Error& e) {
      if (e.code() != EINVAL || !quota) throw;
      return true;
    }
  };
  bool period_pending =
      c.period && *c.period != 0 && before_quota("cpu.cfs_period_us", *c.period, "cpu.period");
  bool burst_pending = c.burst && before_quota("cpu.cfs_burst_us", *c.burst, "cpu.burst");
  if (quota) {
    write_cg(d, "cpu.cfs_quota_us", std::to_string(*c.quota), kF + "cpu.quota");
    if (period_pending)
      write_cg(d, "cpu.cfs_period_us", std::to_string(*c.period), kF + "cpu.period");
    if (burst_pending) write_cg(d, "cpu.cfs_burst_us", std::to_string(*c.burst), kF + "cpu.burst");
  }
  if (c.idle) write_cg(d, "cpu.idle", std::to_string(*c.idle), kF + "cpu.idle");
  rt_sched(d, c, budget_parent);
}

void cpuset(const std::string& d, const oci::CPUResources& c) {
  if (!c.cpus.empty()) write_cg(d, "cpuset.cpus", c.cpus, kF + "cpu.cpus");
  if (!c.mems.empty()) write_cg(d, "cpuset.mems", c.mems, kF + "cpu.mems");
}

void pids(const std::string& d, const oci::PidsResources& p) {
  int64_t l = *p.limit;
  write_cg(d, "pids.max", l > 0 ? std::to_string(l) : "max", kF + "pids.limit");
}

void blkio(const std::string& d, const oci::BlockIOResources& b) {
  // Kernels with BFQ and no CFQ only have blkio.bfq.weight.
  bool bfq = !path_exists(d + "/blkio.weight") && path_exists(d + "/blkio.bfq.weight");
  if (b.weight && *b.weight != 0)
    write_cg(d, bfq ? "blkio.bfq.weight" : "blkio.weight", std::to_string(*b.weight),
             kF + "blockIO.weight");
  if (b.leaf_weight && *b.leaf_weight != 0)
    write_cg(d, "blkio.leaf_weight", std::to_string(*b.leaf_weight), kF + "blockIO.leafWeight");
  for (size_t i = 0; i < b.weight_device.size(); ++i) {
    const auto& w = b.weight_device[i];
    std::string field = kF + "blockIO.weightDevice[" + std::to_string(i) + "]";
    if (w.weight)
      write_cg(d, bfq ? "blkio.bfq.weight_device" : "blkio.weight_device",
               dev(w.major, w.minor) + " " + std::to_string(*w.weight), field + ".weight");
    if (w.leaf_weight)
      write_cg(d, "blkio.leaf_weight_device",
               dev(w.major, w.minor) + " " + std::to_string(*w.leaf_weight), field + ".leafWeight");
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
    for (size_t i = 0; i < t.list->size(); ++i) {
      const auto& e = (*t.list)[i];
      write_cg(d, t.file, dev(e.major, e.minor) + " " + std::to_string(e.rate),
               kF + "blockIO." + t.field + "[" + std::to_string(i) + "]");
    }
}

void hugetlb(const std::string& d, const std::vector<oci::HugepageLimit>& h) {
  for (size_t i = 0; i < h.size(); ++i)
    write_cg(d, "hugetlb." + h[i].page_size + ".limit_in_bytes", std::to_string(h[i].limit),
             kF + "hugepageLimits[" + std::to_string(i) + "]");
}

void net_cls(const std::string& d, uint32_t class_id) {
  write_cg(d, "net_cls.classid", std::to_string(class_id), kF + "network.classID");
}

void net_prio(const std::string& d, const std::vector<oci::NetworkPriority>& p) {
  for (size_t i = 0; i < p.size(); ++i)
    write_cg(d, "net_prio.ifpriomap", p[i].name + " " + std::to_string(p[i].priority),
             kF + "network.priorities[" + std::to_string(i) + "]");
}

void rdma(const std::string& d, const std::map<std::string, oci::RdmaLimit>& r) {
  for (const auto& [device, l] : r) {
    if (!l.hca_handles && !l.hca_objects) continue;  // nothing requested for this device
    std::string v = device;
    if (l.hca_handles) v += " hca_handle=" + std::to_string(*l.hca_handles);
    if (l.hca_objects) v += " hca_object=" + std::to_string(*l.hca_objects);
    write_cg(d, "rdma.max", v, kF + "rdma." + device);
  }
}

std::string device_rule_text(const oci::DeviceCgroupRule& r) {
  std::string type = r.type.empty() ? "a" : r.type;
  std::string major = r.major && *r.major >= 0 ? std::to_string(*r.major) : "*";
  std::string minor = r.minor && *r.minor >= 0 ? std::to_string(*r.minor) : "*";
  return type + " " + major + ":" + minor + " " + (r.access.empty() ? "rwm" : r.access);
}

// As runc emulates: start from "deny all", then every rule in order (a later rule overrides an
// earlier one for the devices it names).
void devices(const std::string& d, const std::vector<oci::DeviceCgroupRule>& rules) {
  CgWriter allow(d, "devices.allow"), deny(d, "devices.deny");
  deny.write("a", kF + "devices");
  for (size_t i = 0; i < rules.size(); ++i)
    (rules[i].allow ? allow : deny)
        .write(device_rule_text(rules[i]), kF + "devices[" + std::to_string(i) + "]");
}

}  // namespace nucleus::cgroups::v1
