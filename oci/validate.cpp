// validate(): the semantic checks of runtime-spec and runc that need more than one field's type.
// parse_config runs them after parsing; configs built in code can run them directly.
#include <set>

#include "oci/json_reader.hpp"

namespace nucleus::oci {
namespace detail {
namespace {

std::string at(const std::string& path, const char* key) {
  return Reader::join(path, key);
}
std::string at(const std::string& path, const char* key, size_t i) {
  return Reader::index(Reader::join(path, key), i);
}

// Paths in the config: absolute, no NUL (a C string would silently truncate).
void check_path(const std::string& p, const std::string& path, const Reader& r) {
  if (p.find('\0') != std::string::npos) r.fail(path, "must not contain a NUL byte");
  if (p.empty() || p[0] != '/') r.fail(path, "must be an absolute path");
}

// A relative mount destination is relative to "/" (runc resolves it so; create warns as runc
// does); only an empty one names nothing.
void check_mount_destination(const std::string& p, const std::string& path, const Reader& r) {
  if (p.find('\0') != std::string::npos) r.fail(path, "must not contain a NUL byte");
  if (p.empty()) r.fail(path, "required");
}

void check_hooks(const Hooks& hooks, const Reader& r) {
  const std::pair<const char*, const std::vector<Hook>*> kinds[] = {
      {"prestart", &hooks.prestart},
      {"createRuntime", &hooks.create_runtime},
      {"createContainer", &hooks.create_container},
      {"startContainer", &hooks.start_container},
      {"poststart", &hooks.poststart},
      {"poststop", &hooks.poststop}};
  for (const auto& [name, list] : kinds) {
    for (size_t i = 0; i < list->size(); ++i) {
      const Hook& h = (*list)[i];
      std::string hp = at("hooks", name, i);
      check_path(h.path, at(hp, "path"), r);
      if (h.timeout && *h.timeout <= 0) r.fail(at(hp, "timeout"), "must be greater than 0");
    }
  }
}

void check_namespaces(const Config& c, const Linux& l, const Reader& r) {
  static const std::set<std::string> known = {"pid", "network", "mount",  "ipc",
                                              "uts", "user",    "cgroup", "time"};
  std::set<std::string> seen;
  for (size_t i = 0; i < l.namespaces.size(); ++i) {
    const Namespace& n = l.namespaces[i];
    std::string ip = at("linux", "namespaces", i);
    if (!known.count(n.type)) r.fail(at(ip, "type"), "unknown namespace \"" + n.type + "\"");
    if (!seen.insert(n.type).second)
      r.fail(at(ip, "type"), "duplicate namespace \"" + n.type + "\"");
    if (!n.path.empty()) check_path(n.path, at(ip, "path"), r);
  }
  const Namespace* user = l.find_namespace("user");
  const char* mapped = !l.uid_mappings.empty()   ? "linux.uidMappings"
                       : !l.gid_mappings.empty() ? "linux.gidMappings"
                                                 : nullptr;
  if (mapped && !user) r.fail(mapped, "requires a user namespace");
  if (mapped && !user->path.empty())
    r.fail(mapped, "must not be set when joining an existing user namespace");
  const Namespace* time = l.find_namespace("time");
  if (!l.time_offsets.empty() && (!time || !time->path.empty()))
    r.fail("linux.timeOffsets", "requires a new time namespace");
  const Namespace* uts = l.find_namespace("uts");
  // A uts namespace of the container's own, new or joined by path (runc: "unable to set
  // hostname without a private UTS namespace"); never the runtime's.
  if (!c.hostname.empty() && !uts) r.fail("hostname", "requires a uts namespace");
  if (!c.domainname.empty() && !uts) r.fail("domainname", "requires a uts namespace");
}

void check_linux(const Linux& l, const Reader& r) {
  for (size_t i = 0; i < l.devices.size(); ++i) {
    const Device& d = l.devices[i];
    std::string ip = at("linux", "devices", i);
    check_path(d.path, at(ip, "path"), r);
    if (d.type != "c" && d.type != "b" && d.type != "u" && d.type != "p")
      r.fail(at(ip, "type"), "must be one of c, b, u, p");
  }
  static const std::set<std::string> props = {"",        "shared",     "slave",
                                              "private", "unbindable", "rshared",
                                              "rslave",  "rprivate",   "runbindable"};
  if (!props.count(l.rootfs_propagation))
    r.fail("linux.rootfsPropagation", "unknown propagation \"" + l.rootfs_propagation + "\"");
  for (const auto& [k, v] : l.sysctl)
    if (k.empty()) r.fail("linux.sysctl", "keys must not be empty");
  for (size_t i = 0; i < l.masked_paths.size(); ++i)
    check_path(l.masked_paths[i], at("linux", "maskedPaths", i), r);
  for (size_t i = 0; i < l.readonly_paths.size(); ++i)
    check_path(l.readonly_paths[i], at("linux", "readonlyPaths", i), r);
}

}  // namespace

void validate_process(const Process& p, const std::string& path, const Reader& r) {
  if (p.args.empty()) r.fail(at(path, "args"), "must be a non-empty array of strings");
  if (p.cwd.empty()) r.fail(at(path, "cwd"), "required");
  check_path(p.cwd, at(path, "cwd"), r);
  for (size_t i = 0; i < p.env.size(); ++i) {
    const std::string& e = p.env[i];
    if (e.find('=') == std::string::npos || e[0] == '=')
      r.fail(at(path, "env", i), "must be KEY=VALUE");
  }
  // Capability names are not checked here: runtime-spec config.md wants a name that cannot be
  // mapped logged as a warning, not an error (runc 1.3 does so); the init warns and skips it.
  static const std::set<std::string> rlimits = {
      "RLIMIT_AS",     "RLIMIT_CORE",   "RLIMIT_CPU",        "RLIMIT_DATA",
      "RLIMIT_FSIZE",  "RLIMIT_LOCKS",  "RLIMIT_MEMLOCK",    "RLIMIT_MSGQUEUE",
      "RLIMIT_NICE",   "RLIMIT_NOFILE", "RLIMIT_NPROC",      "RLIMIT_RSS",
      "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK"};
  std::set<std::string> seen;
  for (size_t i = 0; i < p.rlimits.size(); ++i) {
    const Rlimit& l = p.rlimits[i];
    std::string ip = at(path, "rlimits", i);
    if (!rlimits.count(l.type)) r.fail(at(ip, "type"), "unknown rlimit \"" + l.type + "\"");
    if (!seen.insert(l.type).second) r.fail(at(ip, "type"), "duplicate rlimit \"" + l.type + "\"");
    if (l.soft > l.hard)
      r.fail(ip, "soft limit " + std::to_string(l.soft) + " exceeds hard limit " +
                     std::to_string(l.hard));
  }
  if (p.oom_score_adj && (*p.oom_score_adj < -1000 || *p.oom_score_adj > 1000))
    r.fail(at(path, "oomScoreAdj"), "must be between -1000 and 1000");
}

}  // namespace detail

void validate(const Config& c, std::string_view source) {
  detail::Reader r(source);
  if (c.process) detail::validate_process(*c.process, "process", r);
  if (c.root) {
    if (c.root->path.empty()) r.fail("root.path", "required");
    if (c.root->path.find('\0') != std::string::npos)
      r.fail("root.path", "must not contain a NUL byte");
  }
  for (size_t i = 0; i < c.mounts.size(); ++i)
    detail::check_mount_destination(c.mounts[i].destination,
                                    detail::at("", "mounts", i) + ".destination", r);
  if (c.hooks) detail::check_hooks(*c.hooks, r);
  const Linux empty;
  const Linux& l = c.linux ? *c.linux : empty;
  detail::check_namespaces(c, l, r);
  detail::check_linux(l, r);
}

}  // namespace nucleus::oci
