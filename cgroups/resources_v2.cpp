// linux.resources written to cgroup2 files, with runc's conversions from the spec's v1
// semantics. Settings v2 has no equivalent for are errors naming the field.
#include <string>

#include "cgroups/fs_manager.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace nucleus::cgroups::v2 {
namespace {

const std::string kF = "linux.resources.";

std::string dev(int64_t major, int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

// runc's numToStr: 0 = unset (""), -1 = "max".
std::string num(int64_t v) {
  return v == 0 ? "" : v == -1 ? "max" : std::to_string(v);
}

Error unsupported(const std::string& field, const std::string& why) {
  return Error(kF + field + ": " + why + " (not available on cgroup v2)");
}

}  // namespace

void memory(const std::string& d, const oci::MemoryResources& m) {
  if (m.kernel && *m.kernel != 0) throw unsupported("memory.kernel", "kernel memory limit");
  if (m.kernel_tcp && *m.kernel_tcp != 0)
    throw unsupported("memory.kernelTCP", "kernel TCP memory limit");
  if (m.swappiness) throw unsupported("memory.swappiness", "per-cgroup swappiness");
  if (m.disable_oom_killer && *m.disable_oom_killer)
    throw unsupported("memory.disableOOMKiller", "disabling the OOM killer");
  if (m.use_hierarchy && !*m.use_hierarchy)
    throw unsupported("memory.useHierarchy", "a non-hierarchical memory controller");
  if (m.check_before_update.value_or(false) && m.limit && *m.limit > 0) {
    uint64_t usage = read_u64(d, "memory.current");
    if (static_cast<uint64_t>(*m.limit) < usage)
      throw Error(kF + "memory.limit: " + std::to_string(*m.limit) +
                  " is below the current usage " + std::to_string(usage) + " (checkBeforeUpdate)");
  }
  int64_t limit = m.limit.value_or(0), swap = m.swap.value_or(0);
  int64_t v2swap = swap_to_v2(swap, limit);
  std::string s = num(v2swap);
  if (s.empty() && v2swap == 0 && swap > 0) s = "0";  // memory == memory+swap: no swap at all
  if (!s.empty()) {
    try {
      write_cg(d, "memory.swap.max", s, kF + "memory.swap");
    } catch (const Error& e) {
      // Without swap accounting there is no file: "no swap" and "unlimited" are already true.
      bool trivially_true = e.code() == ENOENT && (s == "max" || s == "0");
      if (!trivially_true) throw;
    }
  }
  if (std::string v = num(limit); !v.empty()) write_cg(d, "memory.max", v, kF + "memory.limit");
  if (m.reservation)
    if (std::string v = num(*m.reservation); !v.empty())
      write_cg(d, "memory.low", v, kF + "memory.reservation");
}

void cpu(const std::string& d, const oci::CPUResources& c) {
  if (c.realtime_runtime || c.realtime_period)
    throw unsupported(c.realtime_runtime ? "cpu.realtimeRuntime" : "cpu.realtimePeriod",
                      "realtime CPU scheduling limits");
  if (c.idle) write_cg(d, "cpu.idle", std::to_string(*c.idle), kF + "cpu.idle");
  if (c.shares && *c.shares != 0)
    write_cg(d, "cpu.weight", std::to_string(shares_to_weight(*c.shares)), kF + "cpu.shares");
  bool quota = c.quota && *c.quota != 0, period = c.period && *c.period != 0;
  if (quota || period) {
    // "QUOTA PERIOD"; a period alone keeps the current quota.
    std::string q;
    if (quota) {
      q = *c.quota > 0 ? std::to_string(*c.quota) : "max";
    } else {
      std::string cur = read_cg(d, "cpu.max").value_or("max");
      q = cur.substr(0, cur.find(' '));
      if (q.empty()) q = "max";
    }
    if (period) q += " " + std::to_string(*c.period);
    write_cg(d, "cpu.max", q, kF + (quota ? "cpu.quota" : "cpu.period"));
  }
  if (c.burst) write_cg(d, "cpu.max.burst", std::to_string(*c.burst), kF + "cpu.burst");
}

void cpuset(const std::string& d, const oci::CPUResources& c) {
  if (!c.cpus.empty()) write_cg(d, "cpuset.cpus", c.cpus, kF + "cpu.cpus");
  if (!c.mems.empty()) write_cg(d, "cpuset.mems", c.mems, kF + "cpu.mems");
}

void pids(const std::string& d, const oci::PidsResources& p) {
  int64_t l = *p.limit;
  write_cg(d, "pids.max", l > 0 ? std::to_string(l) : "max", kF + "pids.limit");
}

void io(const std::string& d, const oci::BlockIOResources& b) {
  if (b.leaf_weight && *b.leaf_weight != 0)
    throw unsupported("blockIO.leafWeight", "blkio leaf weights");
  // With the BFQ scheduler io.bfq.weight takes the v1 scale (1..1000) as is; io.weight
  // (1..10000) needs the conversion.
  bool bfq = path_exists(d + "/io.bfq.weight");
  if (b.weight && *b.weight != 0) {
    if (bfq)
      write_cg(d, "io.bfq.weight", std::to_string(*b.weight), kF + "blockIO.weight");
    else
      write_cg(d, "io.weight", std::to_string(blkio_weight_to_io_weight(*b.weight)),
               kF + "blockIO.weight");
  }
  for (size_t i = 0; i < b.weight_device.size(); ++i) {
    const auto& w = b.weight_device[i];
    std::string field = kF + "blockIO.weightDevice[" + std::to_string(i) + "]";
    if (w.leaf_weight)
      throw unsupported("blockIO.weightDevice[" + std::to_string(i) + "].leafWeight",
                        "blkio leaf weights");
    if (!w.weight) continue;
    if (bfq)
      write_cg(d, "io.bfq.weight", dev(w.major, w.minor) + " " + std::to_string(*w.weight),
               field + ".weight");
    else
      write_cg(d, "io.weight",
               dev(w.major, w.minor) + " " + std::to_string(blkio_weight_to_io_weight(*w.weight)),
               field + ".weight");
  }
  struct T {
    const std::vector<oci::ThrottleDevice>* list;
    const char* key;
    const char* field;
  } ts[] = {{&b.throttle_read_bps_device, "rbps", "throttleReadBpsDevice"},
            {&b.throttle_write_bps_device, "wbps", "throttleWriteBpsDevice"},
            {&b.throttle_read_iops_device, "riops", "throttleReadIOPSDevice"},
            {&b.throttle_write_iops_device, "wiops", "throttleWriteIOPSDevice"}};
  for (const auto& t : ts)
    for (size_t i = 0; i < t.list->size(); ++i) {
      const auto& e = (*t.list)[i];
      // v1 writes 0 to remove a throttle; v2 spells that "max".
      write_cg(
          d, "io.max",
          dev(e.major, e.minor) + " " + t.key + "=" + (e.rate ? std::to_string(e.rate) : "max"),
          kF + "blockIO." + t.field + "[" + std::to_string(i) + "]");
    }
}

void hugetlb(const std::string& d, const std::vector<oci::HugepageLimit>& h) {
  for (size_t i = 0; i < h.size(); ++i) {
    std::string field = kF + "hugepageLimits[" + std::to_string(i) + "]";
    write_cg(d, "hugetlb." + h[i].page_size + ".max", std::to_string(h[i].limit), field);
    // Reservations are charged separately; keep them under the same limit when the kernel has it.
    if (path_exists(d + "/hugetlb." + h[i].page_size + ".rsvd.max"))
      write_cg(d, "hugetlb." + h[i].page_size + ".rsvd.max", std::to_string(h[i].limit), field);
  }
}

void rdma(const std::string& d, const std::map<std::string, oci::RdmaLimit>& r) {
  for (const auto& [device, l] : r) {
    if (!l.hca_handles && !l.hca_objects) continue;
    std::string v = device;
    if (l.hca_handles) v += " hca_handle=" + std::to_string(*l.hca_handles);
    if (l.hca_objects) v += " hca_object=" + std::to_string(*l.hca_objects);
    write_cg(d, "rdma.max", v, kF + "rdma." + device);
  }
}

void unified(const std::string& d, const std::map<std::string, std::string>& kv) {
  for (const auto& [key, value] : kv) {
    if (key.empty() || key.find('/') != std::string::npos || key.find("..") != std::string::npos)
      throw Error(kF + "unified: \"" + key + "\" is not a cgroup file name");
    try {
      write_cg(d, key, value, kF + "unified." + key);
    } catch (const Error& e) {
      if (e.code() != ENOENT) throw;
      // Name the controller that would provide the file.
      std::string ctrl = key.substr(0, key.find('.'));
      throw Error(std::string(e.what()) + " (is the \"" + ctrl + "\" controller enabled?)", ENOENT);
    }
  }
}

}  // namespace nucleus::cgroups::v2
