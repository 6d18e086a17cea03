// events: container statistics and OOM notifications as runc prints them.
// --stats: one {"type":"stats","id":...,"data":{...}} object; otherwise one stats object every
// --interval, plus {"type":"oom","id":...} whenever the OOM killer strikes, until the container
// stops.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "runtime/cli/args.hpp"
#include "runtime/cli/commands.hpp"
#include "util/error.hpp"

namespace po = boost::program_options;

namespace nucleus::cli {
namespace {

using W = rapidjson::Writer<rapidjson::StringBuffer>;

void u64(W& w, const char* k, uint64_t v) {
  w.Key(k);
  w.Uint64(v);
}

void usage(W& w, const char* key, uint64_t usage, uint64_t max, uint64_t limit, uint64_t failcnt) {
  w.Key(key);
  w.StartObject();
  u64(w, "limit", limit);
  u64(w, "usage", usage);
  u64(w, "max", max);
  u64(w, "failcnt", failcnt);
  w.EndObject();
}

void blkio(W& w, const char* key, const std::vector<cgroups::Stats::BlkioEntry>& v) {
  w.Key(key);
  w.StartArray();
  for (const auto& e : v) {
    w.StartObject();
    u64(w, "major", e.major);
    u64(w, "minor", e.minor);
    w.Key("op");
    w.String(e.op.c_str());
    u64(w, "value", e.value);
    w.EndObject();
  }
  w.EndArray();
}

std::string stats_json(const std::string& id, const cgroups::Stats& s) {
  rapidjson::StringBuffer sb;
  W w(sb);
  w.StartObject();
  w.Key("type");
  w.String("stats");
  w.Key("id");
  w.String(id.c_str());
  w.Key("data");
  w.StartObject();
  w.Key("cpu");
  w.StartObject();
  w.Key("usage");
  w.StartObject();
  u64(w, "total", s.cpu.usage_total);
  w.Key("percpu");
  w.StartArray();
  for (uint64_t v : s.cpu.percpu) w.Uint64(v);
  w.EndArray();
  u64(w, "kernel", s.cpu.usage_kernel);
  u64(w, "user", s.cpu.usage_user);
  w.EndObject();
  w.Key("throttling");
  w.StartObject();
  u64(w, "periods", s.cpu.throttling_periods);
  u64(w, "throttledPeriods", s.cpu.throttled_periods);
  u64(w, "throttledTime", s.cpu.throttled_time);
  w.EndObject();
  w.EndObject();
  w.Key("memory");
  w.StartObject();
  u64(w, "cache", s.memory.cache);
  usage(w, "usage", s.memory.usage, s.memory.max_usage, s.memory.limit, s.memory.failcnt);
  usage(w, "swap", s.memory.swap_usage, 0, s.memory.swap_limit, 0);
  usage(w, "kernel", s.memory.kernel_usage, 0, 0, 0);
  w.Key("raw");
  w.StartObject();
  for (const auto& [k, v] : s.memory.raw) u64(w, k.c_str(), v);
  w.EndObject();
  w.EndObject();
  w.Key("pids");
  w.StartObject();
  u64(w, "current", s.pids.current);
  u64(w, "limit", s.pids.limit);
  w.EndObject();
  w.Key("blkio");
  w.StartObject();
  blkio(w, "ioServiceBytesRecursive", s.blkio_service_bytes);
  blkio(w, "ioServicedRecursive", s.blkio_serviced);
  w.EndObject();
  w.Key("hugetlb");
  w.StartObject();
  for (const auto& [size, h] : s.hugetlb) {
    w.Key(size.c_str());
    w.StartObject();
    u64(w, "usage", h.usage);
    u64(w, "max", h.max);
    u64(w, "failcnt", h.failcnt);
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

// "5s", "500ms", "1m", or plain seconds.
std::chrono::milliseconds parse_interval(const std::string& v) {
  try {
    size_t used = 0;
    double n = std::stod(v, &used);
    std::string unit = v.substr(used);
    double ms = unit == "ms" ? n : unit == "m" ? n * 60000 : unit == "h" ? n * 3600000 : n * 1000;
    if ((unit != "" && unit != "s" && unit != "ms" && unit != "m" && unit != "h") || ms <= 0)
      throw 0;
    return std::chrono::milliseconds(static_cast<long>(ms));
  } catch (...) {
    throw Error("invalid --interval \"" + v + "\"");
  }
}

}  // namespace

int cmd_events(const GlobalOptions& g, const Args& args) {
  po::options_description d("events options");
  d.add_options()("stats", po::bool_switch(), "print one stats object and exit")(
      "interval", po::value<std::string>()->default_value("5s"), "stats interval");
  Parsed p = parse(args, d, false);
  require_args(p, 1, "events");
  const std::string& id = p.positionals[0];
  if (p.vm["stats"].as<bool>()) {
    std::printf("%s\n", stats_json(id, container_stats(g, id).stats).c_str());
    return 0;
  }
  auto interval = parse_interval(p.vm["interval"].as<std::string>());
  uint64_t ooms = container_stats(g, id).oom_kills;
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    ContainerStats s;
    try {
      s = container_stats(g, id);
    } catch (const Error&) {
      return 0;  // the container stopped or was deleted
    }
    if (s.oom_kills > ooms) {
      std::printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", id.c_str());
      ooms = s.oom_kills;
    }
    if (std::chrono::steady_clock::now() >= next) {
      std::printf("%s\n", stats_json(id, s.stats).c_str());
      next += interval;
    }
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace nucleus::cli
