#include "cgroups/systemd_props.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "cgroups/fs_manager.hpp"
#include "util/error.hpp"

namespace nucleus::cgroups {
namespace {

constexpr uint64_t kInfinity = std::numeric_limits<uint64_t>::max();  // systemd's "infinity"
constexpr uint64_t kDefaultQuotaPeriod = 100000;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> v;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) v.push_back(part);
  if (!s.empty() && s.back() == sep) v.push_back("");
  return v;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\n") - b + 1);
}

// "max" or a number, for the unified map's memory.* and pids.max.
uint64_t max_or_number(const std::string& key, const std::string& v) {
  if (v == "max") return kInfinity;
  try {
    size_t used = 0;
    uint64_t n = std::stoull(v, &used);
    if (used == v.size() && v[0] != '-') return n;
  } catch (const std::exception&) {
  }
  throw Error("linux.resources.unified: unified resource \"" + key +
              "\" value conversion error: \"" + v + "\" is not a number");
}

// runc's addCPUQuota: CPUQuotaPeriodUSec= (systemd >= 242), CPUQuotaPerSecUSec= rounded up to a
// whole percent of a CPU, and the quota changed to match so the cgroup file gets the same.
void add_cpu_quota(UnitProperties& props, int64_t& quota, uint64_t period, int sd_version) {
  if (period != 0 && (sd_version < 0 || sd_version >= 242))
    props.push_back({"CPUQuotaPeriodUSec", {period}});
  if (quota == 0 && period == 0) return;
  uint64_t per_sec = kInfinity;
  if (quota > 0) {
    uint64_t p = period != 0 ? period : kDefaultQuotaPeriod;
    per_sec = static_cast<uint64_t>(quota) * 1000000 / p;
    if (per_sec % 10000 != 0) {
      per_sec = (per_sec / 10000 + 1) * 10000;
      quota = static_cast<int64_t>(per_sec * p / 1000000);
    }
  }
  props.push_back({"CPUQuotaPerSecUSec", {per_sec}});
}

void add_cpuset(UnitProperties& props, const std::string& cpus, const std::string& mems,
                int sd_version) {
  if (sd_version >= 0 && sd_version < 244) return;  // left to the cgroup files
  if (!cpus.empty())
    props.push_back({"AllowedCPUs", {cpu_list_to_bits(cpus, "linux.resources.cpu.cpus")}});
  if (!mems.empty())
    props.push_back({"AllowedMemoryNodes", {cpu_list_to_bits(mems, "linux.resources.cpu.mems")}});
}

// runc's unifiedResToSystemdProps: the keys systemd has a property for; the others only go to
// the files.
void add_unified(UnitProperties& props, const std::map<std::string, std::string>& unified,
                 int sd_version) {
  auto idle_set = [&](const std::string& v) { return v == "1" && sd_version >= 252; };
  for (const auto& [k, raw] : unified) {
    const std::string v = trim(raw);
    if (k == "cpu.idle") {
      if (idle_set(v)) props.push_back({"CPUWeight", {uint64_t{0}}});
    } else if (k == "cpu.max") {
      auto f = split(v, ' ');
      std::erase(f, "");
      if (f.empty() || f.size() > 2)
        throw Error("linux.resources.unified: unified resource \"cpu.max\" value invalid: \"" + v +
                    "\"");
      int64_t quota = 0;
      uint64_t period = kDefaultQuotaPeriod;
      try {
        if (f[0] != "max") quota = std::stoll(f[0]);
        if (f.size() == 2) period = std::stoull(f[1]);
      } catch (const std::exception&) {
        throw Error("linux.resources.unified: unified resource \"cpu.max\" value invalid: \"" + v +
                    "\"");
      }
      add_cpu_quota(props, quota, period, sd_version);
    } else if (k == "cpu.weight") {
      auto idle = unified.find("cpu.idle");
      if (idle != unified.end() && idle_set(trim(idle->second))) continue;
      props.push_back({"CPUWeight", {max_or_number(k, v)}});
    } else if (k == "cpuset.cpus" || k == "cpuset.mems") {
      if (sd_version >= 0 && sd_version < 244) continue;
      props.push_back({k == "cpuset.cpus" ? "AllowedCPUs" : "AllowedMemoryNodes",
                       {cpu_list_to_bits(v, "linux.resources.unified." + k)}});
    } else if (k == "memory.high" || k == "memory.low" || k == "memory.min" || k == "memory.max" ||
               k == "memory.swap.max") {
      static const std::map<std::string, std::string> names = {
          {"memory.high", "MemoryHigh"},
          {"memory.low", "MemoryLow"},
          {"memory.min", "MemoryMin"},
          {"memory.max", "MemoryMax"},
          {"memory.swap.max", "MemorySwapMax"}};
      props.push_back({names.at(k), {max_or_number(k, v)}});
    } else if (k == "pids.max") {
      props.push_back({"TasksMax", {max_or_number(k, v)}});
    }
  }
}

// ---- device rules (runc's devices emulator, as far as systemd can express it) ----

struct DevKey {
  char type;             // 'b' or 'c'
  int64_t major, minor;  // -1 = "*"
  bool operator==(const DevKey&) const = default;
};
struct DevEntry {
  DevKey key;
  std::string access;  // subset of "rwm", in that order
};

std::string access_of(const oci::DeviceCgroupRule& r) {
  return r.access.empty() ? "rwm" : r.access;
}

std::string merge_access(const std::string& a, const std::string& b) {
  std::string out;
  for (char c : std::string("rwm"))
    if (a.find(c) != std::string::npos || b.find(c) != std::string::npos) out += c;
  return out;
}

std::string remove_access(const std::string& a, const std::string& b) {
  std::string out;
  for (char c : a)
    if (b.find(c) == std::string::npos) out += c;
  return out;
}

}  // namespace

bool SystemdUnit::is_slice() const {
  return ends_with(unit, ".slice");
}

SystemdUnit parse_systemd_unit(const std::string& cgroups_path, const std::string& id,
                               const std::string& default_slice) {
  std::string slice = default_slice, prefix = "nucleus-oci", name = id;
  if (!cgroups_path.empty()) {
    auto parts = split(cgroups_path, ':');
    if (parts.size() != 3)
      throw Error("linux.cgroupsPath: expected \"slice:prefix:name\" for systemd cgroups, got \"" +
                  cgroups_path + "\"");
    if (!parts[0].empty()) slice = parts[0];
    prefix = parts[1];
    name = parts[2];
  }
  auto bad_slice = [&] {
    return Error("linux.cgroupsPath: invalid systemd slice \"" + slice + "\"");
  };
  if (slice.find('/') != std::string::npos || slice.size() <= 6 || !ends_with(slice, ".slice"))
    throw bad_slice();
  if (name.empty() || name.find('/') != std::string::npos ||
      prefix.find('/') != std::string::npos ||
      cgroups_path.find_first_of("\t\n") != std::string::npos)
    throw Error("linux.cgroupsPath: invalid systemd unit name in \"" + cgroups_path + "\"");
  // "a-b-c.slice" lives in /a.slice/a-b.slice/a-b-c.slice; "-.slice" is the root.
  SystemdUnit u;
  u.slice = slice;
  if (slice != "-.slice") {
    std::string stem = slice.substr(0, slice.size() - 6);
    if (stem.front() == '-' || stem.back() == '-' || stem.find("--") != std::string::npos)
      throw bad_slice();
    std::string acc;
    for (const auto& comp : split(stem, '-')) {
      acc += (acc.empty() ? "" : "-") + comp;
      u.path += "/" + acc + ".slice";
    }
  }
  // A name that is itself a slice is used as is; otherwise the unit is PREFIX-NAME.scope.
  u.unit =
      ends_with(name, ".slice") ? name : (prefix.empty() ? "" : prefix + "-") + name + ".scope";
  u.path += "/" + u.unit;
  return u;
}

std::vector<uint8_t> cpu_list_to_bits(const std::string& list, const std::string& field) {
  std::vector<uint8_t> bits;
  auto bad = [&] { return Error(field + ": invalid CPU or node list \"" + list + "\""); };
  auto number = [&](const std::string& s) -> uint32_t {
    std::string t = trim(s);
    if (t.empty() || t.find_first_not_of("0123456789") != std::string::npos || t.size() > 6)
      throw bad();
    return static_cast<uint32_t>(std::stoul(t));
  };
  for (const auto& part : split(list, ',')) {
    if (trim(part).empty()) continue;
    auto dash = part.find('-');
    uint32_t lo = number(part.substr(0, dash));
    uint32_t hi = dash == std::string::npos ? lo : number(part.substr(dash + 1));
    if (lo > hi) throw bad();
    if (bits.size() < hi / 8 + 1) bits.resize(hi / 8 + 1, 0);
    for (uint32_t i = lo; i <= hi; ++i) bits[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
  }
  if (bits.empty()) throw bad();
  return bits;
}

UnitProperties unit_start_properties(const std::string& id, const SystemdUnit& unit, pid_t pid,
                                     bool v2, const UnitProperties& extra) {
  UnitProperties p;
  p.push_back({"Description", {std::string("nucleus-oci container ") + id}});
  if (unit.is_slice()) {
    // A slice's parent is given by Wants=; a scope goes into a Slice= and is delegated.
    p.push_back({"Wants", {std::vector<std::string>{unit.slice}}});
  } else {
    p.push_back({"Slice", {unit.slice}});
    p.push_back({"Delegate", {true}});
  }
  if (pid > 0) p.push_back({"PIDs", {std::vector<uint32_t>{static_cast<uint32_t>(pid)}}});
  // Accounting on, as runc: the controllers are then enabled down to the unit.
  p.push_back({"MemoryAccounting", {true}});
  p.push_back({"CPUAccounting", {true}});
  p.push_back({v2 ? "IOAccounting" : "BlockIOAccounting", {true}});
  p.push_back({"TasksAccounting", {true}});
  p.push_back({"DefaultDependencies", {false}});
  p.insert(p.end(), extra.begin(), extra.end());
  return p;
}

UnitProperties device_properties(const std::vector<oci::DeviceCgroupRule>& rules, int sd_version) {
  bool default_allow = true;  // the kernel's start: every device
  std::vector<DevEntry> allowed, denied;
  for (const auto& r : rules) {
    std::string type = r.type.empty() ? "a" : r.type;
    const int64_t major = r.major.value_or(-1), minor = r.minor.value_or(-1);
    if (type == "a" && major < 0 && minor < 0) {
      // "a *:*": resets everything to allow-all or deny-all.
      default_allow = r.allow;
      allowed.clear();
      denied.clear();
      continue;
    }
    std::vector<char> types;
    if (type == "a")
      types = {'b', 'c'};
    else
      types = {type[0]};
    for (char t : types) {
      DevKey key{t, major, minor};
      auto& list = default_allow ? denied : allowed;
      // A rule that adds to the exception list, or takes back from it.
      const bool adds = default_allow ? !r.allow : r.allow;
      auto it =
          std::find_if(list.begin(), list.end(), [&](const DevEntry& e) { return e.key == key; });
      if (adds) {
        if (it == list.end())
          list.push_back({key, merge_access("", access_of(r))});
        else
          it->access = merge_access(it->access, access_of(r));
      } else if (it != list.end()) {
        it->access = remove_access(it->access, access_of(r));
        if (it->access.empty()) list.erase(it);
      }
    }
  }
  UnitProperties p;
  if (default_allow) {
    // systemd has no deny-list: all allowed says so; otherwise deny all for now (runc warns,
    // and its own eBPF program, like ours, then applies the rules as given).
    p.push_back({"DevicePolicy", {std::string(denied.empty() ? "auto" : "strict")}});
    p.push_back({"DeviceAllow", {std::vector<DeviceAllow>{}}});
    return p;
  }
  std::vector<DeviceAllow> list;
  for (const auto& e : allowed) {
    const std::string group = e.key.type == 'b' ? "block-" : "char-";
    if (e.key.major < 0) {
      if (e.key.minor >= 0) continue;  // "*:N": systemd cannot say it (runc skips it too)
      list.push_back({group + "*", e.access});
    } else if (e.key.minor < 0) {
      if (sd_version >= 0 && sd_version < 240) continue;  // "char-MAJOR" is systemd 240's
      list.push_back({group + std::to_string(e.key.major), e.access});
    } else {
      list.push_back({std::string(e.key.type == 'b' ? "/dev/block/" : "/dev/char/") +
                          std::to_string(e.key.major) + ":" + std::to_string(e.key.minor),
                      e.access});
    }
  }
  p.push_back({"DevicePolicy", {std::string("strict")}});
  p.push_back({"DeviceAllow", {std::move(list)}});
  return p;
}

UnitProperties resource_properties(oci::Resources& r, bool v2, int sd_version) {
  // No rules: the unit's device policy stays as it is (`update` never sends any; create always
  // does, the defaults at least).
  UnitProperties p;
  if (!r.devices.empty()) p = device_properties(r.devices, sd_version);
  if (r.memory) {
    const auto& m = *r.memory;
    auto as_u64 = [](int64_t v) { return v < 0 ? kInfinity : static_cast<uint64_t>(v); };
    if (m.limit && *m.limit != 0)
      p.push_back({v2 ? "MemoryMax" : "MemoryLimit", {as_u64(*m.limit)}});
    if (v2 && m.reservation && *m.reservation != 0)
      p.push_back({"MemoryLow", {as_u64(*m.reservation)}});
    if (v2 && m.swap) {
      int64_t swap = swap_to_v2(*m.swap, m.limit.value_or(0));
      if (swap != 0) p.push_back({"MemorySwapMax", {as_u64(swap)}});
    }
  }
  if (r.cpu) {
    auto& c = *r.cpu;
    bool idle = v2 && c.idle && *c.idle == 1 && sd_version >= 252;
    if (idle) p.push_back({"CPUWeight", {uint64_t{0}}});
    if (c.shares && *c.shares != 0 && !idle) {
      if (v2)
        p.push_back({"CPUWeight", {shares_to_weight(*c.shares)}});
      else
        p.push_back({"CPUShares", {*c.shares}});
    }
    int64_t quota = c.quota.value_or(0);
    add_cpu_quota(p, quota, c.period.value_or(0), sd_version);
    if (c.quota) c.quota = quota;
    add_cpuset(p, c.cpus, c.mems, sd_version);
  }
  if (r.block_io && r.block_io->weight && *r.block_io->weight != 0) {
    if (v2)
      p.push_back({"IOWeight", {blkio_weight_to_io_weight(*r.block_io->weight)}});
    else
      p.push_back({"BlockIOWeight", {static_cast<uint64_t>(*r.block_io->weight)}});
  }
  if (r.pids && r.pids->limit) {
    int64_t l = *r.pids->limit;
    p.push_back({"TasksMax", {l > 0 ? static_cast<uint64_t>(l) : kInfinity}});
  }
  if (v2) add_unified(p, r.unified, sd_version);
  return p;
}

// ---- annotations ----
namespace {

// A GVariant text value (the subset runc's users write): typed ("uint64 5", "@t 5"), boolean,
// quoted string, a number (int32 as GVariant reads it, double with a point), or an array of
// strings ("['a', 'b']").
UnitValue parse_gvariant(const std::string& text) {
  std::string s = trim(text);
  auto fail = [] { return std::invalid_argument("unsupported value"); };
  auto integer = [&](const std::string& t, bool is_signed) -> long double {
    std::string v = trim(t);
    if (v.empty()) throw fail();
    size_t used = 0;
    long double n = is_signed ? static_cast<long double>(std::stoll(v, &used, 0))
                              : static_cast<long double>(std::stoull(v, &used, 0));
    if (used != v.size() || (!is_signed && v[0] == '-')) throw fail();
    return n;
  };
  static const std::map<std::string, char> keywords = {
      {"byte", 'y'},  {"int16", 'n'},  {"uint16", 'q'}, {"int32", 'i'},   {"uint32", 'u'},
      {"int64", 'x'}, {"uint64", 't'}, {"double", 'd'}, {"boolean", 'b'}, {"string", 's'}};
  char type = 0;
  std::string rest = s;
  if (!s.empty() && s[0] == '@') {
    auto sp = s.find(' ');
    if (sp == std::string::npos || sp != 2) throw fail();
    type = s[1];
    rest = trim(s.substr(sp));
  } else if (auto sp = s.find(' '); sp != std::string::npos && keywords.count(s.substr(0, sp))) {
    type = keywords.at(s.substr(0, sp));
    rest = trim(s.substr(sp));
  }
  if (rest == "true" || rest == "false") {
    if (type != 0 && type != 'b') throw fail();
    return {rest == "true"};
  }
  if (rest.size() >= 2 && (rest[0] == '\'' || rest[0] == '"') && rest.back() == rest[0]) {
    if (type != 0 && type != 's') throw fail();
    return {rest.substr(1, rest.size() - 2)};
  }
  if (rest.size() >= 2 && rest[0] == '[' && rest.back() == ']') {
    std::vector<std::string> items;
    for (auto item : split(rest.substr(1, rest.size() - 2), ',')) {
      item = trim(item);
      if (item.empty()) continue;
      if (item.size() < 2 || (item[0] != '\'' && item[0] != '"') || item.back() != item[0])
        throw fail();
      items.push_back(item.substr(1, item.size() - 2));
    }
    return {items};
  }
  switch (type) {
    case 't':
      return {static_cast<uint64_t>(integer(rest, false))};
    case 'x':
      return {static_cast<int64_t>(integer(rest, true))};
    case 'u':
    case 'q':
    case 'y': {
      long double n = integer(rest, false);
      if (n > 4294967295.0L) throw fail();
      return {static_cast<uint32_t>(n)};
    }
    case 'i':
    case 'n': {
      long double n = integer(rest, true);
      if (n > 2147483647.0L || n < -2147483648.0L) throw fail();
      return {static_cast<int32_t>(n)};
    }
    case 'd':
      return {std::stod(rest)};
    case 0:
      if (rest.find_first_of(".eE") != std::string::npos) return {std::stod(rest)};
      {
        long double n = integer(rest, true);
        if (n > 2147483647.0L || n < -2147483648.0L) throw fail();
        return {static_cast<int32_t>(n)};
      }
    default:
      throw fail();
  }
}

// runc's convertSecToUSec: any number of seconds as uint64 microseconds.
UnitValue sec_to_usec(const UnitValue& v) {
  constexpr uint64_t M = 1000000;
  return std::visit(
      [&](const auto& x) -> UnitValue {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, double>) {
          return {static_cast<uint64_t>(x * M)};
        } else if constexpr (std::is_same_v<T, uint64_t> || std::is_same_v<T, int64_t> ||
                             std::is_same_v<T, uint32_t> || std::is_same_v<T, int32_t>) {
          return {static_cast<uint64_t>(x) * M};
        } else {
          throw std::invalid_argument("not a number");
        }
      },
      v.v);
}

}  // namespace

UnitProperties annotation_properties(const std::map<std::string, std::string>& annotations) {
  const std::string prefix = "org.systemd.property.";
  UnitProperties props;
  for (const auto& [key, value] : annotations) {
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    std::string name = key.substr(prefix.size());
    if (name.size() < 3) throw Error("annotation " + key + " name incorrect: too short");
    for (char ch : name)
      if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')))
        throw Error("annotation " + key + " name incorrect: contains non-alphabetic character");
    try {
      UnitValue v = parse_gvariant(value);
      // "TimeoutStopSec" is documented with Sec but taken over D-Bus as ...USec.
      if (ends_with(name, "Sec") && name.size() > 3) {
        char before = name[name.size() - 4];
        if (before >= 'a' && before <= 'z') {
          name = name.substr(0, name.size() - 3) + "USec";
          v = sec_to_usec(v);
        }
      }
      props.push_back({name, v});
    } catch (const std::exception& e) {
      throw Error("annotation " + key + "=" + value + " value parse error: " + e.what());
    }
  }
  return props;
}

}  // namespace nucleus::cgroups
