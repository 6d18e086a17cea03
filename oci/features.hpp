// runtime-spec features.md: what this runtime build and host support (`nucleus-oci features`).
// The runtime fills the values from libseccomp, libcap and the host; this only models and
// serializes them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nucleus::oci {

struct Features {
  std::string oci_version_min = "1.0.0";
  std::string oci_version_max;  // kSpecVersion
  std::vector<std::string> hooks, mount_options;
  struct Linux {
    std::vector<std::string> namespaces, capabilities;
    struct Cgroup {
      bool v1 = false, v2 = false, systemd = false, systemd_user = false, rdma = false;
    } cgroup;
    struct Seccomp {
      bool enabled = false;
      std::vector<std::string> actions, operators, archs, known_flags, supported_flags;
    } seccomp;
    bool apparmor = false, selinux = false, intel_rdt = false, idmap = false, net_devices = false;
    bool intel_rdt_schemata = false;  // intelRdt.schemata: linux.intelRdt.schemata is implemented
    std::vector<std::string> memory_policy_modes, memory_policy_flags;
  } linux;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> potentially_unsafe_config_annotations;
};

// Pretty JSON with two-space indent, key names as in features.md.
std::string features_to_json(const Features& f);

}  // namespace nucleus::oci
