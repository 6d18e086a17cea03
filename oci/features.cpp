// `features` JSON, keys and nesting as runtime-spec features.md and features-linux.md.
#include "oci/features.hpp"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

namespace nucleus::oci {
namespace {

using W = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void string(W& w, const std::string& s) {
  w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
}

void list(W& w, const char* key, const std::vector<std::string>& v) {
  w.Key(key);
  w.StartArray();
  for (const auto& s : v) string(w, s);
  w.EndArray();
}

void flag(W& w, const char* key, bool v) {
  w.Key(key);
  w.Bool(v);
}

void enabled(W& w, const char* key, bool v) {
  w.Key(key);
  w.StartObject();
  flag(w, "enabled", v);
  w.EndObject();
}

}  // namespace

std::string features_to_json(const Features& f) {
  rapidjson::StringBuffer sb;
  W w(sb);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("ociVersionMin");
  string(w, f.oci_version_min);
  w.Key("ociVersionMax");
  string(w, f.oci_version_max);
  list(w, "hooks", f.hooks);
  list(w, "mountOptions", f.mount_options);
  w.Key("linux");
  w.StartObject();
  list(w, "namespaces", f.linux.namespaces);
  list(w, "capabilities", f.linux.capabilities);
  w.Key("cgroup");
  w.StartObject();
  flag(w, "v1", f.linux.cgroup.v1);
  flag(w, "v2", f.linux.cgroup.v2);
  flag(w, "systemd", f.linux.cgroup.systemd);
  flag(w, "systemdUser", f.linux.cgroup.systemd_user);
  flag(w, "rdma", f.linux.cgroup.rdma);
  w.EndObject();
  w.Key("seccomp");
  w.StartObject();
  flag(w, "enabled", f.linux.seccomp.enabled);
  list(w, "actions", f.linux.seccomp.actions);
  list(w, "operators", f.linux.seccomp.operators);
  list(w, "archs", f.linux.seccomp.archs);
  list(w, "knownFlags", f.linux.seccomp.known_flags);
  list(w, "supportedFlags", f.linux.seccomp.supported_flags);
  w.EndObject();
  enabled(w, "apparmor", f.linux.apparmor);
  enabled(w, "selinux", f.linux.selinux);
  w.Key("intelRdt");
  w.StartObject();
  flag(w, "enabled", f.linux.intel_rdt);
  flag(w, "schemata", f.linux.intel_rdt_schemata);
  w.EndObject();
  w.Key("mountExtensions");
  w.StartObject();
  enabled(w, "idmap", f.linux.idmap);
  w.EndObject();
  w.Key("memoryPolicy");
  w.StartObject();
  list(w, "modes", f.linux.memory_policy_modes);
  list(w, "flags", f.linux.memory_policy_flags);
  w.EndObject();
  enabled(w, "netDevices", f.linux.net_devices);
  w.EndObject();
  w.Key("annotations");
  w.StartObject();
  for (const auto& [k, v] : f.annotations) {
    w.Key(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
    string(w, v);
  }
  w.EndObject();
  list(w, "potentiallyUnsafeConfigAnnotations", f.potentially_unsafe_config_annotations);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize()) + "\n";
}

}  // namespace nucleus::oci
