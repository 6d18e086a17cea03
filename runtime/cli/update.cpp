// update: runc's flags or a LinuxResources JSON (--resources FILE, "-" for stdin).
#include <unistd.h>

#include <iostream>
#include <iterator>

#include "oci/config.hpp"
#include "runtime/cli/args.hpp"
#include "runtime/cli/commands.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace po = boost::program_options;

namespace nucleus::cli {
namespace {

// "64m", "1G", "1024", "-1" -> bytes (binary units, as runc's RAMInBytes).
int64_t parse_bytes(const std::string& flag, const std::string& v) {
  if (v == "-1") return -1;
  size_t used = 0;
  double n;
  try {
    n = std::stod(v, &used);
  } catch (...) {
    throw Error("invalid value \"" + v + "\" for --" + flag);
  }
  std::string unit = v.substr(used);
  for (char& c : unit) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  if (!unit.empty() && unit.back() == 'i') unit.pop_back();
  double mul = unit.empty()  ? 1
               : unit == "k" ? 1024.0
               : unit == "m" ? 1048576.0
               : unit == "g" ? 1073741824.0
               : unit == "t" ? 1099511627776.0
                             : -1;
  if (mul < 0 || n < 0) throw Error("invalid value \"" + v + "\" for --" + flag);
  return static_cast<int64_t>(n * mul);
}

int64_t parse_int(const std::string& flag, const std::string& v) {
  try {
    size_t used = 0;
    long long n = std::stoll(v, &used);
    if (used != v.size()) throw 0;
    return n;
  } catch (...) {
    throw Error("invalid value \"" + v + "\" for --" + flag);
  }
}

// runc's strconv.ParseUint: no sign.
uint64_t parse_uint(const std::string& flag, const std::string& v) {
  if (v.empty() || v[0] == '-' || v[0] == '+')
    throw Error("invalid value \"" + v + "\" for --" + flag);
  return static_cast<uint64_t>(parse_int(flag, v));
}

}  // namespace

int cmd_update(const GlobalOptions& g, const Args& args) {
  po::options_description d("update options");
  d.add_options()("resources,r", po::value<std::string>(), "LinuxResources JSON file, - for stdin");
  const char* flags[] = {
      "blkio-weight", "cpu-period",    "cpu-quota",         "cpu-share",      "cpu-shares",
      "cpu-burst",    "cpu-idle",      "cpu-rt-period",     "cpu-rt-runtime", "cpuset-cpus",
      "cpuset-mems",  "kernel-memory", "kernel-memory-tcp", "memory",         "memory-reservation",
      "memory-swap",  "pids-limit",    "l3-cache-schema",   "mem-bw-schema"};
  for (const char* f : flags) d.add_options()(f, po::value<std::string>(), "");
  Parsed p = parse(args, d, false);
  require_args(p, 1, "update");
  oci::Resources r;
  if (p.vm.count("resources")) {
    std::string file = p.vm["resources"].as<std::string>();
    std::string text =
        file == "-" ? std::string(std::istreambuf_iterator<char>(std::cin), {}) : read_file(file);
    r = oci::parse_resources(text, file == "-" ? "resources" : file);
  }
  auto has = [&](const char* f) { return p.vm.count(f) > 0; };
  auto val = [&](const char* f) { return p.vm[f].as<std::string>(); };
  auto mem = [&]() -> oci::MemoryResources& {
    if (!r.memory) r.memory.emplace();
    return *r.memory;
  };
  auto cpu = [&]() -> oci::CPUResources& {
    if (!r.cpu) r.cpu.emplace();
    return *r.cpu;
  };
  if (has("memory")) mem().limit = parse_bytes("memory", val("memory"));
  if (has("memory-swap")) mem().swap = parse_bytes("memory-swap", val("memory-swap"));
  if (has("memory-reservation"))
    mem().reservation = parse_bytes("memory-reservation", val("memory-reservation"));
  if (has("kernel-memory")) mem().kernel = parse_bytes("kernel-memory", val("kernel-memory"));
  if (has("kernel-memory-tcp"))
    mem().kernel_tcp = parse_bytes("kernel-memory-tcp", val("kernel-memory-tcp"));
  for (const char* f : {"cpu-share", "cpu-shares"})
    if (has(f)) cpu().shares = parse_uint(f, val(f));
  if (has("cpu-quota")) cpu().quota = parse_int("cpu-quota", val("cpu-quota"));
  if (has("cpu-period")) cpu().period = parse_uint("cpu-period", val("cpu-period"));
  if (has("cpu-burst")) cpu().burst = parse_uint("cpu-burst", val("cpu-burst"));
  if (has("cpu-idle")) cpu().idle = parse_int("cpu-idle", val("cpu-idle"));
  if (has("cpu-rt-period"))
    cpu().realtime_period = parse_uint("cpu-rt-period", val("cpu-rt-period"));
  if (has("cpu-rt-runtime"))
    cpu().realtime_runtime = parse_int("cpu-rt-runtime", val("cpu-rt-runtime"));
  if (has("cpuset-cpus")) cpu().cpus = val("cpuset-cpus");
  if (has("cpuset-mems")) cpu().mems = val("cpuset-mems");
  if (has("pids-limit")) {
    r.pids.emplace();
    r.pids->limit = parse_int("pids-limit", val("pids-limit"));
  }
  if (has("blkio-weight")) {
    if (!r.block_io) r.block_io.emplace();
    r.block_io->weight = static_cast<uint16_t>(parse_int("blkio-weight", val("blkio-weight")));
  }
  if (has("l3-cache-schema") || has("mem-bw-schema"))
    throw Error("--l3-cache-schema/--mem-bw-schema: Intel RDT is not supported by nucleus-oci");
  update_container(g, p.positionals[0], r);
  return 0;
}

}  // namespace nucleus::cli
