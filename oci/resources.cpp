// linux.resources (and `update --resources`).
#include "oci/json_reader.hpp"

namespace nucleus::oci::detail {
namespace {

// runc's devices.Permissions: the letters r, w and m count, anything else in the string is
// ignored ("rwa" is "rw"; runc's own update.bats uses it). Each letter once, in the order given.
std::string device_access(const std::string& given) {
  std::string kept;
  for (char c : given)
    if ((c == 'r' || c == 'w' || c == 'm') && kept.find(c) == std::string::npos) kept += c;
  return kept;
}

std::vector<ThrottleDevice> throttles(const Value& v, const std::string& path, const Reader& r) {
  std::vector<ThrottleDevice> out;
  size_t i = 0;
  for (const auto& e : r.array(v, path)) {
    std::string ip = Reader::index(path, i++);
    r.object(e, ip);
    ThrottleDevice t;
    r.opt(e, ip, "major", t.major, &Reader::i64);
    r.opt(e, ip, "minor", t.minor, &Reader::i64);
    r.opt(e, ip, "rate", t.rate, &Reader::u64);
    out.push_back(t);
  }
  return out;
}

}  // namespace

Resources parse_resources_value(const Value& v, const std::string& path, const Reader& r) {
  r.object(v, path);
  Resources res;
  if (const Value* d = r.get(v, "devices")) {
    std::string dp = Reader::join(path, "devices");
    size_t i = 0;
    for (const auto& e : r.array(*d, dp)) {
      std::string ip = Reader::index(dp, i++);
      r.object(e, ip);
      DeviceCgroupRule rule;
      rule.allow = r.boolean(r.required(e, ip, "allow"), Reader::join(ip, "allow"));
      r.opt(e, ip, "type", rule.type, &Reader::str);
      if (!rule.type.empty() && rule.type != "a" && rule.type != "c" && rule.type != "b")
        r.fail(Reader::join(ip, "type"), "must be one of a, c, b");
      r.opt_set(e, ip, "major", rule.major, &Reader::i64);
      r.opt_set(e, ip, "minor", rule.minor, &Reader::i64);
      std::string given;
      r.opt(e, ip, "access", given, &Reader::str);
      rule.access = device_access(given);
      if (!given.empty() && rule.access.empty())
        r.fail(Reader::join(ip, "access"), "has none of the access letters r, w, m");
      res.devices.push_back(rule);
    }
  }
  if (const Value* m = r.get(v, "memory")) {
    std::string mp = Reader::join(path, "memory");
    r.object(*m, mp);
    MemoryResources mem;
    r.opt_set(*m, mp, "limit", mem.limit, &Reader::i64);
    r.opt_set(*m, mp, "reservation", mem.reservation, &Reader::i64);
    r.opt_set(*m, mp, "swap", mem.swap, &Reader::i64);
    r.opt_set(*m, mp, "kernel", mem.kernel, &Reader::i64);
    r.opt_set(*m, mp, "kernelTCP", mem.kernel_tcp, &Reader::i64);
    r.opt_set(*m, mp, "swappiness", mem.swappiness, &Reader::u64);
    if (mem.swappiness && *mem.swappiness > 100)
      r.fail(Reader::join(mp, "swappiness"), "must be between 0 and 100");
    r.opt_set(*m, mp, "disableOOMKiller", mem.disable_oom_killer, &Reader::boolean);
    r.opt_set(*m, mp, "useHierarchy", mem.use_hierarchy, &Reader::boolean);
    r.opt_set(*m, mp, "checkBeforeUpdate", mem.check_before_update, &Reader::boolean);
    res.memory = mem;
  }
  if (const Value* c = r.get(v, "cpu")) {
    std::string cp = Reader::join(path, "cpu");
    r.object(*c, cp);
    CPUResources cpu;
    r.opt_set(*c, cp, "shares", cpu.shares, &Reader::u64);
    r.opt_set(*c, cp, "quota", cpu.quota, &Reader::i64);
    r.opt_set(*c, cp, "burst", cpu.burst, &Reader::u64);
    r.opt_set(*c, cp, "period", cpu.period, &Reader::u64);
    r.opt_set(*c, cp, "realtimeRuntime", cpu.realtime_runtime, &Reader::i64);
    r.opt_set(*c, cp, "realtimePeriod", cpu.realtime_period, &Reader::u64);
    r.opt(*c, cp, "cpus", cpu.cpus, &Reader::str);
    r.opt(*c, cp, "mems", cpu.mems, &Reader::str);
    if (const Value* idle = r.get(*c, "idle")) {
      if (idle->IsBool())
        cpu.idle = idle->GetBool() ? 1 : 0;
      else
        cpu.idle = r.i64(*idle, Reader::join(cp, "idle"));
    }
    res.cpu = cpu;
  }
  if (const Value* p = r.get(v, "pids")) {
    std::string pp = Reader::join(path, "pids");
    r.object(*p, pp);
    PidsResources pids;
    r.opt_set(*p, pp, "limit", pids.limit, &Reader::i64);
    res.pids = pids;
  }
  if (const Value* b = r.get(v, "blockIO")) {
    std::string bp = Reader::join(path, "blockIO");
    r.object(*b, bp);
    BlockIOResources io;
    r.opt_set(*b, bp, "weight", io.weight, &Reader::u16);
    r.opt_set(*b, bp, "leafWeight", io.leaf_weight, &Reader::u16);
    if (const Value* wd = r.get(*b, "weightDevice")) {
      std::string wp = Reader::join(bp, "weightDevice");
      size_t i = 0;
      for (const auto& e : r.array(*wd, wp)) {
        std::string ip = Reader::index(wp, i++);
        r.object(e, ip);
        WeightDevice w;
        r.opt(e, ip, "major", w.major, &Reader::i64);
        r.opt(e, ip, "minor", w.minor, &Reader::i64);
        r.opt_set(e, ip, "weight", w.weight, &Reader::u16);
        r.opt_set(e, ip, "leafWeight", w.leaf_weight, &Reader::u16);
        io.weight_device.push_back(w);
      }
    }
    struct T {
      const char* key;
      std::vector<ThrottleDevice>* out;
    } ts[] = {{"throttleReadBpsDevice", &io.throttle_read_bps_device},
              {"throttleWriteBpsDevice", &io.throttle_write_bps_device},
              {"throttleReadIOPSDevice", &io.throttle_read_iops_device},
              {"throttleWriteIOPSDevice", &io.throttle_write_iops_device}};
    for (auto& t : ts)
      if (const Value* a = r.get(*b, t.key)) *t.out = throttles(*a, Reader::join(bp, t.key), r);
    res.block_io = io;
  }
  if (const Value* h = r.get(v, "hugepageLimits")) {
    std::string hp = Reader::join(path, "hugepageLimits");
    size_t i = 0;
    for (const auto& e : r.array(*h, hp)) {
      std::string ip = Reader::index(hp, i++);
      r.object(e, ip);
      HugepageLimit l;
      l.page_size = r.str(r.required(e, ip, "pageSize"), Reader::join(ip, "pageSize"));
      r.opt(e, ip, "limit", l.limit, &Reader::u64);
      res.hugepage_limits.push_back(l);
    }
  }
  if (const Value* n = r.get(v, "network")) {
    std::string np = Reader::join(path, "network");
    r.object(*n, np);
    NetworkResources net;
    r.opt_set(*n, np, "classID", net.class_id, &Reader::u32);
    if (const Value* pr = r.get(*n, "priorities")) {
      std::string pp = Reader::join(np, "priorities");
      size_t i = 0;
      for (const auto& e : r.array(*pr, pp)) {
        std::string ip = Reader::index(pp, i++);
        r.object(e, ip);
        NetworkPriority p;
        r.opt(e, ip, "name", p.name, &Reader::str);
        r.opt(e, ip, "priority", p.priority, &Reader::u32);
        net.priorities.push_back(p);
      }
    }
    res.network = net;
  }
  if (const Value* rd = r.get(v, "rdma")) {
    std::string rp = Reader::join(path, "rdma");
    for (const auto& m : r.members(*rd, rp)) {
      std::string key = Reader::key_of(m);
      std::string ip = rp + "." + key;
      r.object(m.value, ip);
      RdmaLimit l;
      r.opt_set(m.value, ip, "hcaHandles", l.hca_handles, &Reader::u32);
      r.opt_set(m.value, ip, "hcaObjects", l.hca_objects, &Reader::u32);
      res.rdma[key] = l;
    }
  }
  if (const Value* u = r.get(v, "unified"))
    res.unified = r.string_map(*u, Reader::join(path, "unified"));
  return res;
}

}  // namespace nucleus::oci::detail
