// Stats and OOM counts: each group read from the hierarchy that holds its controller.
#include <dirent.h>
#include <unistd.h>

#include <sstream>

#include "cgroups/fs_manager.hpp"
#include "util/fs.hpp"

namespace nucleus::cgroups {
namespace {

// "8:0 Read 1234" lines of blkio.throttle.io_service_bytes / io_serviced ("Total N" skipped).
std::vector<Stats::BlkioEntry> blkio_v1(const std::string& dir, const std::string& file) {
  std::vector<Stats::BlkioEntry> out;
  std::istringstream in(read_cg(dir, file).value_or(""));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::string dev, op;
    uint64_t v = 0;
    if (!(l >> dev >> op >> v)) continue;
    Stats::BlkioEntry e;
    if (std::sscanf(dev.c_str(), "%lu:%lu", &e.major, &e.minor) != 2) continue;
    e.op = op;
    e.value = v;
    out.push_back(e);
  }
  return out;
}

// io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0".
void io_stat_v2(const std::string& dir, Stats& s) {
  std::istringstream in(read_cg(dir, "io.stat").value_or(""));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::string dev, kv;
    l >> dev;
    uint64_t major = 0, minor = 0;
    if (std::sscanf(dev.c_str(), "%lu:%lu", &major, &minor) != 2) continue;
    while (l >> kv) {
      auto eq = kv.find('=');
      if (eq == std::string::npos) continue;
      std::string k = kv.substr(0, eq);
      uint64_t v = std::strtoull(kv.c_str() + eq + 1, nullptr, 10);
      if (k == "rbytes") s.blkio_service_bytes.push_back({major, minor, "Read", v});
      if (k == "wbytes") s.blkio_service_bytes.push_back({major, minor, "Write", v});
      if (k == "rios") s.blkio_serviced.push_back({major, minor, "Read", v});
      if (k == "wios") s.blkio_serviced.push_back({major, minor, "Write", v});
    }
  }
}

// Page sizes from the hugetlb.<size>.<suffix> files of a cgroup.
std::vector<std::string> hugetlb_sizes(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.rfind("hugetlb.", 0) != 0 || n.size() <= 8 + suffix.size() ||
          n.compare(n.size() - suffix.size(), suffix.size(), suffix) != 0)
        continue;
      std::string size = n.substr(8, n.size() - 8 - suffix.size());
      if (size.find('.') == std::string::npos) out.push_back(size);
    }
    ::closedir(d);
  }
  return out;
}

}  // namespace

Stats FsManager::stats() const {
  Stats s;
  std::string v2 = v2_dir();
  auto on_v2 = [&](const char* v1c, const char* v2c) { return v1_dir(v1c).empty() && v2_has(v2c); };

  if (std::string d = v1_dir("cpuacct"); !d.empty()) {
    s.cpu.usage_total = read_u64(d, "cpuacct.usage");
    std::istringstream per(read_cg(d, "cpuacct.usage_percpu").value_or(""));
    uint64_t v;
    while (per >> v) s.cpu.percpu.push_back(v);
    auto st = read_kv(d, "cpuacct.stat");  // in USER_HZ ticks
    uint64_t ns_per_tick = 1000000000ULL / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
    s.cpu.usage_user = st["user"] * ns_per_tick;
    s.cpu.usage_kernel = st["system"] * ns_per_tick;
  }
  if (std::string d = v1_dir("cpu"); !d.empty()) {
    auto st = read_kv(d, "cpu.stat");
    s.cpu.throttling_periods = st["nr_periods"];
    s.cpu.throttled_periods = st["nr_throttled"];
    s.cpu.throttled_time = st["throttled_time"];
  } else if (!v2.empty() && v1_dir("cpuacct").empty()) {
    auto st = read_kv(v2, "cpu.stat");  // cpu.stat usage is there even without the controller
    s.cpu.usage_total = st["usage_usec"] * 1000;
    s.cpu.usage_user = st["user_usec"] * 1000;
    s.cpu.usage_kernel = st["system_usec"] * 1000;
    s.cpu.throttling_periods = st["nr_periods"];
    s.cpu.throttled_periods = st["nr_throttled"];
    s.cpu.throttled_time = st["throttled_usec"] * 1000;
  }

  if (std::string d = v1_dir("memory"); !d.empty()) {
    s.memory.usage = read_u64(d, "memory.usage_in_bytes");
    s.memory.max_usage = read_u64(d, "memory.max_usage_in_bytes");
    s.memory.limit = read_u64(d, "memory.limit_in_bytes");
    s.memory.failcnt = read_u64(d, "memory.failcnt");
    s.memory.swap_usage = read_u64(d, "memory.memsw.usage_in_bytes");
    s.memory.swap_limit = read_u64(d, "memory.memsw.limit_in_bytes");
    s.memory.kernel_usage = read_u64(d, "memory.kmem.usage_in_bytes");
    s.memory.raw = read_kv(d, "memory.stat");
    s.memory.cache = s.memory.raw["cache"];
  } else if (on_v2("memory", "memory")) {
    s.memory.usage = read_u64(v2, "memory.current");
    s.memory.max_usage = read_u64(v2, "memory.peak");
    s.memory.limit = read_u64(v2, "memory.max");
    s.memory.failcnt = read_kv(v2, "memory.events")["max"];
    s.memory.swap_usage = read_u64(v2, "memory.swap.current");
    s.memory.swap_limit = read_u64(v2, "memory.swap.max");
    s.memory.raw = read_kv(v2, "memory.stat");
    s.memory.cache = s.memory.raw["file"];
    s.memory.kernel_usage = s.memory.raw["kernel"];
  }

  if (std::string d = v1_dir("pids"); !d.empty()) {
    s.pids.current = read_u64(d, "pids.current");
    s.pids.limit = read_u64(d, "pids.max");
  } else if (on_v2("pids", "pids")) {
    s.pids.current = read_u64(v2, "pids.current");
    s.pids.limit = read_u64(v2, "pids.max");
  }

  if (std::string d = v1_dir("blkio"); !d.empty()) {
    s.blkio_service_bytes = blkio_v1(d, "blkio.throttle.io_service_bytes");
    s.blkio_serviced = blkio_v1(d, "blkio.throttle.io_serviced");
  } else if (on_v2("blkio", "io")) {
    io_stat_v2(v2, s);
  }

  if (std::string d = v1_dir("hugetlb"); !d.empty()) {
    for (const auto& size : hugetlb_sizes(d, ".limit_in_bytes"))
      s.hugetlb[size] = {read_u64(d, "hugetlb." + size + ".usage_in_bytes"),
                         read_u64(d, "hugetlb." + size + ".max_usage_in_bytes"),
                         read_u64(d, "hugetlb." + size + ".failcnt")};
  } else if (on_v2("hugetlb", "hugetlb")) {
    for (const auto& size : hugetlb_sizes(v2, ".max"))
      s.hugetlb[size] = {read_u64(v2, "hugetlb." + size + ".current"),
                         read_u64(v2, "hugetlb." + size + ".max"),
                         read_kv(v2, "hugetlb." + size + ".events")["max"]};
  }
  return s;
}

uint64_t FsManager::oom_kill_count() const {
  if (std::string d = v1_dir("memory"); !d.empty())
    return read_kv(d, "memory.oom_control")["oom_kill"];
  if (std::string d = v2_dir(); !d.empty()) return read_kv(d, "memory.events")["oom_kill"];
  return 0;
}

}  // namespace nucleus::cgroups
