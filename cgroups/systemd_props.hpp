// What the systemd cgroup driver tells systemd: a container's linux.resources as unit
// properties (runc's genV2ResourcesProperties / genV1ResourcesProperties and its device rule
// translation), the properties of a new unit, and `org.systemd.property.*` annotations. Pure
// functions: unit-tested without systemd.
#pragma once

#include <map>
#include <string>

#include "cgroups/sdbus.hpp"
#include "oci/config.hpp"

namespace nucleus::cgroups {

// The cgroupsPath "slice:prefix:name" of the systemd driver, resolved.
struct SystemdUnit {
  std::string slice;  // "system.slice" (the default), or the one given
  std::string unit;   // "prefix-name.scope", or "name" when it ends in ".slice"
  std::string path;   // the unit's cgroup below the root: "/system.slice/prefix-name.scope"
  bool is_slice() const;
};
// Throws nucleus::Error naming linux.cgroupsPath for a malformed value. "" = the defaults:
// `default_slice` (system.slice; runc's rootless driver: user.slice), prefix "nucleus-oci",
// name = id. The path is below the manager's own cgroup (the root for the system manager).
SystemdUnit parse_systemd_unit(const std::string& cgroups_path, const std::string& id,
                               const std::string& default_slice = "system.slice");

// The properties a new unit starts with (runc's Apply): Description, Slice= and Delegate= (a
// scope) or Wants= (a slice), PIDs= (pid > 0), the *Accounting= switches, DefaultDependencies=
// false, then `extra` (from annotations). v2: cgroup v2 names (IOAccounting), else v1's.
UnitProperties unit_start_properties(const std::string& id, const SystemdUnit& unit, pid_t pid,
                                     bool v2, const UnitProperties& extra);

// linux.resources as unit properties, for a cgroup v2 (v2 = true) or v1 host. `r` may be
// changed: a CPU quota is rounded up to what systemd can express (whole percents), and the
// rounded value is what the cgroup files must get too (runc's addCPUQuota). sd_version: the
// manager's version (properties newer than it are left to the cgroup files; -1 = unknown).
// Without device rules (an update) the device properties are left alone.
UnitProperties resource_properties(oci::Resources& r, bool v2, int sd_version);

// The device rules as DevicePolicy= / DeviceAllow= (runc's devices.systemdProperties): the rules
// evaluated in order; an allow-list becomes DevicePolicy=strict with its entries; "allow all"
// becomes DevicePolicy=auto with none; a deny-list cannot be said to systemd: strict, empty.
UnitProperties device_properties(const std::vector<oci::DeviceCgroupRule>& rules, int sd_version);

// "1,3-5" -> the bytes of AllowedCPUs=/AllowedMemoryNodes= (bit N of byte N/8). Throws naming
// `field` on a malformed or empty list.
std::vector<uint8_t> cpu_list_to_bits(const std::string& list, const std::string& field);

// The annotations "org.systemd.property.NAME" = VALUE, as runc's specconv: VALUE in D-Bus's
// GVariant text form ("uint64 1000000", "true", "'text'", "@t 5", "[ 'a', 'b' ]"); a NAME that
// ends in "Sec" takes a plain number of seconds too and is sent as NAME without "Sec" + "USec"
// in microseconds ("TimeoutStopSec" = "30" -> TimeoutStopUSec=30000000). Throws naming the
// annotation on a value it cannot read.
UnitProperties annotation_properties(const std::map<std::string, std::string>& annotations);

}  // namespace nucleus::cgroups
