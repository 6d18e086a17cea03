// linux.* of config.json.
#include "oci/json_reader.hpp"

namespace nucleus::oci::detail {

std::vector<IDMapping> parse_mappings(const Value& v, const std::string& path, const Reader& r) {
  std::vector<IDMapping> out;
  size_t i = 0;
  for (const auto& e : r.array(v, path)) {
    std::string ip = Reader::index(path, i++);
    r.object(e, ip);
    IDMapping m;
    const char* keys[] = {"containerID", "hostID", "size"};
    uint32_t* outs[] = {&m.container_id, &m.host_id, &m.size};
    for (int k = 0; k < 3; ++k) {
      *outs[k] = r.u32(r.required(e, ip, keys[k]), Reader::join(ip, keys[k]));
    }
    if (m.size == 0) r.fail(Reader::join(ip, "size"), "must be greater than 0");
    out.push_back(m);
  }
  return out;
}

Linux parse_linux_value(const Value& v, const std::string& path, const Reader& r) {
  r.object(v, path);
  Linux l;
  if (const Value* ns = r.get(v, "namespaces")) {
    std::string np = Reader::join(path, "namespaces");
    size_t i = 0;
    for (const auto& e : r.array(*ns, np)) {
      std::string ip = Reader::index(np, i++);
      r.object(e, ip);
      Namespace n;
      n.type = r.str(r.required(e, ip, "type"), Reader::join(ip, "type"));
      r.opt(e, ip, "path", n.path, &Reader::str);
      l.namespaces.push_back(n);
    }
  }
  if (const Value* m = r.get(v, "uidMappings"))
    l.uid_mappings = parse_mappings(*m, Reader::join(path, "uidMappings"), r);
  if (const Value* m = r.get(v, "gidMappings"))
    l.gid_mappings = parse_mappings(*m, Reader::join(path, "gidMappings"), r);
  if (const Value* t = r.get(v, "timeOffsets")) {
    std::string tp = Reader::join(path, "timeOffsets");
    for (const auto& m : r.members(*t, tp)) {
      std::string key = Reader::key_of(m);
      std::string ip = tp + "." + key;
      if (key != "monotonic" && key != "boottime")
        r.fail(ip, "unknown clock (monotonic or boottime)");
      r.object(m.value, ip);
      TimeOffset off;
      r.opt(m.value, ip, "secs", off.secs, &Reader::i64);
      r.opt(m.value, ip, "nanosecs", off.nanosecs, &Reader::u32);
      if (off.nanosecs >= 1000000000u)
        r.fail(Reader::join(ip, "nanosecs"), "must be below 1000000000");
      l.time_offsets[key] = off;
    }
  }
  if (const Value* d = r.get(v, "devices")) {
    std::string dp = Reader::join(path, "devices");
    size_t i = 0;
    for (const auto& e : r.array(*d, dp)) {
      std::string ip = Reader::index(dp, i++);
      r.object(e, ip);
      Device dev;
      dev.path = r.str(r.required(e, ip, "path"), Reader::join(ip, "path"));
      dev.type = r.str(r.required(e, ip, "type"), Reader::join(ip, "type"));
      r.opt(e, ip, "major", dev.major, &Reader::i64);
      r.opt(e, ip, "minor", dev.minor, &Reader::i64);
      if (const Value* f = r.get(e, "fileMode"))
        dev.file_mode = r.u32(*f, Reader::join(ip, "fileMode"));
      if (const Value* f = r.get(e, "uid")) dev.uid = r.u32(*f, Reader::join(ip, "uid"));
      if (const Value* f = r.get(e, "gid")) dev.gid = r.u32(*f, Reader::join(ip, "gid"));
      l.devices.push_back(dev);
    }
  }
  if (const Value* c = r.get(v, "cgroupsPath"))
    l.cgroups_path = r.str(*c, Reader::join(path, "cgroupsPath"));
  if (const Value* res = r.get(v, "resources"))
    l.resources = parse_resources_value(*res, Reader::join(path, "resources"), r);
  if (const Value* s = r.get(v, "seccomp"))
    l.seccomp = parse_seccomp_value(*s, Reader::join(path, "seccomp"), r);
  if (const Value* s = r.get(v, "sysctl"))
    l.sysctl = r.string_map(*s, Reader::join(path, "sysctl"));
  r.opt(v, path, "rootfsPropagation", l.rootfs_propagation, &Reader::str);
  if (const Value* m = r.get(v, "maskedPaths"))
    l.masked_paths = r.strings(*m, Reader::join(path, "maskedPaths"));
  if (const Value* m = r.get(v, "readonlyPaths"))
    l.readonly_paths = r.strings(*m, Reader::join(path, "readonlyPaths"));
  r.opt(v, path, "mountLabel", l.mount_label, &Reader::str);
  if (const Value* p = r.get(v, "personality")) {
    std::string pp = Reader::join(path, "personality");
    r.object(*p, pp);
    Personality per;
    r.opt(*p, pp, "domain", per.domain, &Reader::str);
    if (const Value* f = r.get(*p, "flags")) per.flags = r.strings(*f, Reader::join(pp, "flags"));
    l.personality = per;
  }
  if (const Value* i = r.get(v, "intelRdt")) {
    std::string ip = Reader::join(path, "intelRdt");
    r.object(*i, ip);
    IntelRdt rdt;
    r.opt(*i, ip, "closID", rdt.clos_id, &Reader::str);
    r.opt(*i, ip, "l3CacheSchema", rdt.l3_cache_schema, &Reader::str);
    r.opt(*i, ip, "memBwSchema", rdt.mem_bw_schema, &Reader::str);
    if (const Value* s = r.get(*i, "schemata"))
      rdt.schemata = r.strings(*s, Reader::join(ip, "schemata"));
    if (const Value* b = r.get(*i, "enableCMT"))
      rdt.enable_cmt = r.boolean(*b, Reader::join(ip, "enableCMT"));
    if (const Value* b = r.get(*i, "enableMBM"))
      rdt.enable_mbm = r.boolean(*b, Reader::join(ip, "enableMBM"));
    if (const Value* b = r.get(*i, "enableMonitoring"))
      rdt.enable_monitoring = r.boolean(*b, Reader::join(ip, "enableMonitoring"));
    l.intel_rdt = rdt;
  }
  if (const Value* m = r.get(v, "memoryPolicy")) {
    std::string mp = Reader::join(path, "memoryPolicy");
    r.object(*m, mp);
    MemoryPolicy pol;
    r.opt(*m, mp, "mode", pol.mode, &Reader::str);
    r.opt(*m, mp, "nodes", pol.nodes, &Reader::str);
    if (const Value* f = r.get(*m, "flags")) pol.flags = r.strings(*f, Reader::join(mp, "flags"));
    l.memory_policy = pol;
  }
  if (const Value* n = r.get(v, "netDevices")) {
    std::string np = Reader::join(path, "netDevices");
    for (const auto& m : r.members(*n, np)) {
      std::string key = Reader::key_of(m);
      std::string ip = np + "." + key;
      r.object(m.value, ip);
      NetDevice d;
      r.opt(m.value, ip, "name", d.name, &Reader::str);
      l.net_devices[key] = d;
    }
  }
  return l;
}

}  // namespace nucleus::oci::detail
