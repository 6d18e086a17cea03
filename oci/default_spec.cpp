#include "oci/default_spec.hpp"

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "oci/state.hpp"

namespace nucleus::oci {

namespace {

const char* kBase = R"({
  "ociVersion": "",
  "process": {
    "terminal": true,
    "user": {"uid": 0, "gid": 0},
    "args": ["sh"],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "nucleus",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
     "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
     "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs",
     "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
     "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
  ],
  "linux": {
    "resources": {"devices": [{"allow": false, "access": "rwm"}]},
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
                   {"type": "mount"}],
    "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                    "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
  }
})";

}  // namespace

std::string default_spec_json(bool rootless, unsigned euid, unsigned egid, bool cgroup_ns) {
  rapidjson::Document d;
  d.Parse(kBase);
  auto& a = d.GetAllocator();
  d["ociVersion"].SetString(kSpecVersion, a);
  if (cgroup_ns) {
    rapidjson::Value cgroup(rapidjson::kObjectType);
    cgroup.AddMember("type", "cgroup", a);
    d["linux"]["namespaces"].PushBack(cgroup, a);
  }
  if (rootless) {
    auto& linux = d["linux"];
    rapidjson::Value ns(rapidjson::kArrayType);
    for (auto& n : linux["namespaces"].GetArray()) {
      std::string t = n["type"].GetString();
      if (t == "network" || t == "user") continue;
      ns.PushBack(rapidjson::Value(n, a), a);
    }
    rapidjson::Value user(rapidjson::kObjectType);
    user.AddMember("type", "user", a);
    ns.PushBack(user, a);
    linux["namespaces"] = ns;
    auto mapping = [&](unsigned host) {
      rapidjson::Value arr(rapidjson::kArrayType), m(rapidjson::kObjectType);
      m.AddMember("containerID", 0, a);
      m.AddMember("hostID", host, a);
      m.AddMember("size", 1, a);
      arr.PushBack(m, a);
      return arr;
    };
    // Go's encoder writes struct fields in declaration order: uidMappings and gidMappings lead
    // specs.Linux; "resources" (cgroup settings) is dropped as ToRootless does.
    linux.EraseMember("resources");  // (RemoveMember would move the last member into its place)
    rapidjson::Value reordered(rapidjson::kObjectType);
    reordered.AddMember("uidMappings", mapping(euid), a);
    reordered.AddMember("gidMappings", mapping(egid), a);
    for (auto& m : linux.GetObject()) reordered.AddMember(m.name, m.value, a);
    linux = reordered;
    rapidjson::Value mounts(rapidjson::kArrayType);
    for (auto& m : d["mounts"].GetArray()) {
      if (std::string(m["destination"].GetString()) == "/sys") {
        rapidjson::Value sys(rapidjson::kObjectType), opts(rapidjson::kArrayType);
        sys.AddMember("destination", "/sys", a);
        sys.AddMember("type", "none", a);
        sys.AddMember("source", "/sys", a);
        for (const char* o : {"rbind", "nosuid", "noexec", "nodev", "ro"})
          opts.PushBack(rapidjson::StringRef(o), a);
        sys.AddMember("options", opts, a);
        mounts.PushBack(sys, a);
        continue;
      }
      rapidjson::Value copy(m, a);
      if (copy.HasMember("options")) {
        rapidjson::Value opts(rapidjson::kArrayType);
        for (auto& o : copy["options"].GetArray()) {
          std::string s = o.GetString();
          if (s.rfind("gid=", 0) == 0 || s.rfind("uid=", 0) == 0) continue;
          opts.PushBack(rapidjson::Value(s.c_str(), a), a);
        }
        copy["options"] = opts;
      }
      mounts.PushBack(copy, a);
    }
    d["mounts"] = mounts;
  }
  rapidjson::StringBuffer sb;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(sb);
  w.SetIndent('\t', 1);
  d.Accept(w);
  return std::string(sb.GetString(), sb.GetSize());  // runc writes no trailing newline
}

}  // namespace nucleus::oci
