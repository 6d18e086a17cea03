// linux.resources on the cgroup2 hierarchy. On a hybrid host only what v1 lacks goes here
// (hugetlb, rdma) plus `unified` keys; on a pure v2 host everything does.
#include <string>

#include "cgroups/fs_manager.hpp"
#include "runtime/util/error.hpp"
#include "runtime/util/fs.hpp"

namespace nucleus::cgroups {
namespace {

const std::string kF = "linux.resources.";

std::string dev(int64_t major, int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

void need(const FsManager& m, const std::string& ctrl, const std::string& field) {
  if (!m.has_v2_controller(ctrl))
    throw Error(kF + field + ": the host's cgroup2 hierarchy has no " + ctrl + " controller");
}

void memory(const FsManager& m, const std::string& d, const oci::MemoryResources& mem) {
  need(m, "memory", "memory");
  auto val = [](int64_t v) { return v < 0 ? std::string("max") : std::to_string(v); };
  if (mem.check_before_update.value_or(false) && mem.limit && *mem.limit > 0) {
    uint64_t usage = std::stoull(trim(read_file(d + "/memory.current")));
    if (static_cast<uint64_t>(*mem.limit) < usage)
      throw Error(kF + "memory.limit: " + std::to_string(*mem.limit) +
                  " is below the current usage " + std::to_string(usage) + " (checkBeforeUpdate)");
  }
  if (mem.limit) write_cg(d, "memory.max", val(*mem.limit), kF + "memory.limit");
  if (mem.swap) {
    int64_t limit = mem.limit.value_or(-1);
    if (!mem.limit) {
      std::string cur = trim(read_file(d + "/memory.max"));
      limit = cur == "max" ? -1 : std::stoll(cur);
    }
    write_cg(d, "memory.swap.max", swap_to_v2(*mem.swap, limit), kF + "memory.swap");
  }
  if (mem.reservation) write_cg(d, "memory.low", val(*mem.reservation), kF + "memory.reservation");
  if (mem.kernel) throw Error(kF + "memory.kernel: kernel memory limits do not exist on cgroup v2");
  if (mem.kernel_tcp)
    throw Error(kF + "memory.kernelTCP: kernel TCP memory limits do not exist on cgroup v2");
  if (mem.swappiness) throw Error(kF + "memory.swappiness: not available on cgroup v2");
  if (mem.disable_oom_killer && *mem.disable_oom_killer)
    throw Error(kF + "memory.disableOOMKiller: not available on cgroup v2");
}

void cpu(const FsManager& m, const std::string& d, const oci::CPUResources& c) {
  if (c.shares) {
    need(m, "cpu", "cpu.shares");
    write_cg(d, "cpu.weight", std::to_string(shares_to_weight(*c.shares)), kF + "cpu.shares");
  }
  if (c.quota || c.period) {
    need(m, "cpu", "cpu.quota");
    std::string cur = trim(read_file(d + "/cpu.max"));
    std::string q = cur.substr(0, cur.find(' '));
    std::string p = cur.substr(cur.find(' ') + 1);
    if (c.quota) q = *c.quota > 0 ? std::to_string(*c.quota) : "max";
    if (c.period) p = std::to_string(*c.period);
    write_cg(d, "cpu.max", q + " " + p, kF + (c.quota ? "cpu.quota" : "cpu.period"));
  }
  if (c.burst) write_cg(d, "cpu.max.burst", std::to_string(*c.burst), kF + "cpu.burst");
  if (c.idle) write_cg(d, "cpu.idle", *c.idle ? "1" : "0", kF + "cpu.idle");
  if (c.realtime_runtime || c.realtime_period)
    throw Error(kF + "cpu.realtimeRuntime: realtime limits do not exist on cgroup v2");
  if (!c.cpus.empty()) {
    need(m, "cpuset", "cpu.cpus");
    write_cg(d, "cpuset.cpus", c.cpus, kF + "cpu.cpus");
  }
  if (!c.mems.empty()) {
    need(m, "cpuset", "cpu.mems");
    write_cg(d, "cpuset.mems", c.mems, kF + "cpu.mems");
  }
}

void io(const FsManager& m, const std::string& d, const oci::BlockIOResources& b) {
  need(m, "io", "blockIO");
  if (b.weight)
    write_cg(d, "io.weight", "default " + std::to_string(blkio_weight_to_io_weight(*b.weight)),
             kF + "blockIO.weight");
  if (b.leaf_weight) throw Error(kF + "blockIO.leafWeight: not available on cgroup v2");
  for (const auto& w : b.weight_device)
    if (w.weight)
      write_cg(d, "io.weight",
               dev(w.major, w.minor) + " " + std::to_string(blkio_weight_to_io_weight(*w.weight)),
               kF + "blockIO.weightDevice");
  struct T {
    const std::vector<oci::ThrottleDevice>* list;
    const char* key;
    const char* field;
  } ts[] = {{&b.throttle_read_bps_device, "rbps", "throttleReadBpsDevice"},
            {&b.throttle_write_bps_device, "wbps", "throttleWriteBpsDevice"},
            {&b.throttle_read_iops_device, "riops", "throttleReadIOPSDevice"},
            {&b.throttle_write_iops_device, "wiops", "throttleWriteIOPSDevice"}};
  for (const auto& t : ts)
    for (const auto& e : *t.list)
      write_cg(
          d, "io.max",
          dev(e.major, e.minor) + " " + t.key + "=" + (e.rate ? std::to_string(e.rate) : "max"),
          kF + "blockIO." + t.field);
}

}  // namespace

uint64_t shares_to_weight(uint64_t shares) {
  if (shares == 0) return 0;
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
  if (weight == 0) return 0;
  return 1 + (weight - 10) * 9999 / 990;
}

std::string swap_to_v2(int64_t swap, int64_t limit) {
  if (swap == -1) return "max";
  if (limit == -1 || swap == 0) return std::to_string(swap == 0 ? 0 : swap);
  if (swap < limit)
    throw Error(kF + "memory.swap: " + std::to_string(swap) + " is below memory.limit " +
                std::to_string(limit) + " (swap is memory+swap)");
  return std::to_string(swap - limit);
}

void apply_v2(const FsManager& m, const oci::Resources& r, bool hybrid) {
  std::string d = m.v2_dir();
  if (!hybrid) {
    if (!r.devices.empty()) attach_device_filter(d, r.devices);
    if (r.memory) memory(m, d, *r.memory);
    if (r.cpu) cpu(m, d, *r.cpu);
    if (r.pids && r.pids->limit) {
      need(m, "pids", "pids.limit");
      int64_t l = *r.pids->limit;
      write_cg(d, "pids.max", l > 0 ? std::to_string(l) : "max", kF + "pids.limit");
    }
    if (r.block_io) io(m, d, *r.block_io);
    if (r.network && (r.network->class_id || !r.network->priorities.empty()))
      throw Error(kF + "network: net_cls/net_prio do not exist on cgroup v2");
  }
  for (size_t i = 0; i < r.hugepage_limits.size(); ++i) {
    if (hybrid && !m.v1_dir("hugetlb").empty()) break;
    const auto& h = r.hugepage_limits[i];
    std::string field = kF + "hugepageLimits[" + std::to_string(i) + "]";
    need(m, "hugetlb", "hugepageLimits");
    write_cg(d, "hugetlb." + h.page_size + ".max", std::to_string(h.limit), field);
  }
  if (!hybrid || m.v1_dir("rdma").empty()) {
    for (const auto& [devname, l] : r.rdma) {
      need(m, "rdma", "rdma." + devname);
      std::string v = devname;
      if (l.hca_handles) v += " hca_handle=" + std::to_string(*l.hca_handles);
      if (l.hca_objects) v += " hca_object=" + std::to_string(*l.hca_objects);
      write_cg(d, "rdma.max", v, kF + "rdma." + devname);
    }
  }
  for (const auto& [key, value] : r.unified) {
    if (key.find('/') != std::string::npos || key.find("..") != std::string::npos ||
        key.rfind("cgroup.", 0) == 0)
      throw Error(kF + "unified." + key + ": not a controller file");
    write_cg(d, key, value, kF + "unified." + key);
  }
}

}  // namespace nucleus::cgroups
