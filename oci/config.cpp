// config.json: the top level, mounts, hooks, and the semantic checks of validate().
#include "oci/config.hpp"

#include <rapidjson/error/en.h>

#include <set>

#include "oci/json_reader.hpp"

namespace nucleus::oci {

const Namespace* Linux::find_namespace(std::string_view type) const {
  for (const auto& n : namespaces)
    if (n.type == type) return &n;
  return nullptr;
}

namespace detail {

void parse_document(rapidjson::Document& d, std::string_view json, const Reader& r) {
  if (json.find_first_not_of(" \t\r\n") == std::string_view::npos) r.fail("", "empty file");
  d.Parse(json.data(), json.size());
  if (d.HasParseError())
    r.fail("", "invalid JSON at offset " + std::to_string(d.GetErrorOffset()) + ": " +
                   rapidjson::GetParseError_En(d.GetParseError()));
  if (!d.IsObject()) r.fail("", "must be a JSON object");
}

Hook parse_hook(const Value& v, const std::string& path, const Reader& r) {
  r.object(v, path);
  Hook h;
  const Value* p = r.get(v, "path");
  if (!p) r.fail(Reader::join(path, "path"), "required");
  h.path = r.str(*p, Reader::join(path, "path"));
  if (const Value* a = r.get(v, "args")) h.args = r.strings(*a, Reader::join(path, "args"));
  if (const Value* e = r.get(v, "env")) h.env = r.strings(*e, Reader::join(path, "env"));
  if (const Value* t = r.get(v, "timeout")) {
    int32_t secs = r.i32(*t, Reader::join(path, "timeout"));
    if (secs <= 0) r.fail(Reader::join(path, "timeout"), "must be greater than 0");
    h.timeout = secs;
  }
  return h;
}

namespace {

Mount parse_mount(const Value& v, const std::string& path, const Reader& r) {
  r.object(v, path);
  Mount m;
  const Value* d = r.get(v, "destination");
  if (!d) r.fail(Reader::join(path, "destination"), "required");
  m.destination = r.str(*d, Reader::join(path, "destination"));
  r.opt(v, path, "type", m.type, &Reader::str);
  r.opt(v, path, "source", m.source, &Reader::str);
  if (const Value* o = r.get(v, "options"))
    m.options = r.strings(*o, Reader::join(path, "options"));
  if (const Value* u = r.get(v, "uidMappings"))
    m.uid_mappings = parse_mappings(*u, Reader::join(path, "uidMappings"), r);
  if (const Value* g = r.get(v, "gidMappings"))
    m.gid_mappings = parse_mappings(*g, Reader::join(path, "gidMappings"), r);
  return m;
}

bool supported_version(const std::string& v) {
  // 1.x, 1.x.y, with an optional -suffix ("1.0.2-dev", "1.2.0-rc.1").
  if (v.size() < 3 || v.compare(0, 2, "1.") != 0) return false;
  size_t i = 2;
  if (i >= v.size() || !isdigit(static_cast<unsigned char>(v[i]))) return false;
  while (i < v.size() && isdigit(static_cast<unsigned char>(v[i]))) ++i;
  if (i < v.size() && v[i] == '.') {
    ++i;
    if (i >= v.size() || !isdigit(static_cast<unsigned char>(v[i]))) return false;
    while (i < v.size() && isdigit(static_cast<unsigned char>(v[i]))) ++i;
  }
  return i == v.size() || v[i] == '-' || v[i] == '+';
}

Config parse_config_value(const Value& v, const Reader& r) {
  Config c;
  const Value* ver = r.get(v, "ociVersion");
  if (!ver) r.fail("ociVersion", "required");
  c.oci_version = r.str(*ver, "ociVersion");
  if (!supported_version(c.oci_version))
    r.fail("ociVersion", "unsupported version \"" + c.oci_version + "\" (want 1.x)");
  if (const Value* p = r.get(v, "process")) c.process = parse_process_value(*p, "process", r);
  if (const Value* root = r.get(v, "root")) {
    r.object(*root, "root");
    Root rt;
    r.opt(*root, "root", "path", rt.path, &Reader::str);
    r.opt(*root, "root", "readonly", rt.readonly, &Reader::boolean);
    c.root = rt;
  }
  r.opt(v, "", "hostname", c.hostname, &Reader::str);
  r.opt(v, "", "domainname", c.domainname, &Reader::str);
  if (const Value* m = r.get(v, "mounts")) {
    size_t i = 0;
    for (const auto& e : r.array(*m, "mounts"))
      c.mounts.push_back(parse_mount(e, Reader::index("mounts", i++), r));
  }
  if (const Value* h = r.get(v, "hooks")) {
    r.object(*h, "hooks");
    Hooks hooks;
    struct K {
      const char* key;
      std::vector<Hook>* out;
    } kinds[] = {{"prestart", &hooks.prestart},
                 {"createRuntime", &hooks.create_runtime},
                 {"createContainer", &hooks.create_container},
                 {"startContainer", &hooks.start_container},
                 {"poststart", &hooks.poststart},
                 {"poststop", &hooks.poststop}};
    for (auto& k : kinds) {
      if (const Value* list = r.get(*h, k.key)) {
        std::string kp = std::string("hooks.") + k.key;
        size_t i = 0;
        for (const auto& e : r.array(*list, kp))
          k.out->push_back(parse_hook(e, Reader::index(kp, i++), r));
      }
    }
    c.hooks = hooks;
  }
  if (const Value* a = r.get(v, "annotations")) c.annotations = r.string_map(*a, "annotations");
  if (const Value* l = r.get(v, "linux")) c.linux = parse_linux_value(*l, "linux", r);
  return c;
}

bool absolute(const std::string& p) {
  return !p.empty() && p[0] == '/';
}

void validate_process(const Process& p, const std::string& path, const Reader& r) {
  if (p.args.empty()) r.fail(path + ".args", "must be a non-empty array of strings");
  if (p.cwd.empty()) r.fail(path + ".cwd", "required");
  if (!absolute(p.cwd)) r.fail(path + ".cwd", "must be an absolute path");
  static const std::set<std::string> rlimits = {
      "RLIMIT_AS",     "RLIMIT_CORE",   "RLIMIT_CPU",        "RLIMIT_DATA",
      "RLIMIT_FSIZE",  "RLIMIT_LOCKS",  "RLIMIT_MEMLOCK",    "RLIMIT_MSGQUEUE",
      "RLIMIT_NICE",   "RLIMIT_NOFILE", "RLIMIT_NPROC",      "RLIMIT_RSS",
      "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK"};
  std::set<std::string> seen;
  for (size_t i = 0; i < p.rlimits.size(); ++i) {
    const auto& l = p.rlimits[i];
    std::string ip = path + ".rlimits[" + std::to_string(i) + "]";
    if (!rlimits.count(l.type)) r.fail(ip + ".type", "unknown rlimit \"" + l.type + "\"");
    if (!seen.insert(l.type).second) r.fail(ip + ".type", "duplicate rlimit \"" + l.type + "\"");
    if (l.soft > l.hard)
      r.fail(ip, "soft limit " + std::to_string(l.soft) + " exceeds hard limit " +
                     std::to_string(l.hard));
  }
}

}  // namespace
}  // namespace detail

void validate(const Config& c, std::string_view source) {
  detail::Reader r(source);
  using detail::absolute;
  if (c.process) detail::validate_process(*c.process, "process", r);
  if (c.root && c.root->path.empty()) r.fail("root.path", "required");
  for (size_t i = 0; i < c.mounts.size(); ++i)
    if (!absolute(c.mounts[i].destination))
      r.fail("mounts[" + std::to_string(i) + "].destination", "must be an absolute path");
  if (c.hooks) {
    const std::pair<const char*, const std::vector<Hook>*> kinds[] = {
        {"prestart", &c.hooks->prestart},
        {"createRuntime", &c.hooks->create_runtime},
        {"createContainer", &c.hooks->create_container},
        {"startContainer", &c.hooks->start_container},
        {"poststart", &c.hooks->poststart},
        {"poststop", &c.hooks->poststop}};
    for (auto& [name, list] : kinds)
      for (size_t i = 0; i < list->size(); ++i)
        if (!absolute((*list)[i].path))
          r.fail(std::string("hooks.") + name + "[" + std::to_string(i) + "].path",
                 "must be an absolute path");
  }
  static const std::set<std::string> known_ns = {"pid", "network", "mount",  "ipc",
                                                 "uts", "user",    "cgroup", "time"};
  const Linux empty;
  const Linux& l = c.linux ? *c.linux : empty;
  std::set<std::string> seen;
  for (size_t i = 0; i < l.namespaces.size(); ++i) {
    const auto& n = l.namespaces[i];
    std::string ip = "linux.namespaces[" + std::to_string(i) + "]";
    if (!known_ns.count(n.type)) r.fail(ip + ".type", "unknown namespace \"" + n.type + "\"");
    if (!seen.insert(n.type).second) r.fail(ip + ".type", "duplicate namespace \"" + n.type + "\"");
    if (!n.path.empty() && !absolute(n.path)) r.fail(ip + ".path", "must be an absolute path");
  }
  const Namespace* user = l.find_namespace("user");
  if ((!l.uid_mappings.empty() || !l.gid_mappings.empty()) && !user)
    r.fail("linux.uidMappings", "requires a user namespace");
  if (user && !user->path.empty() && (!l.uid_mappings.empty() || !l.gid_mappings.empty()))
    r.fail("linux.uidMappings", "must not be set when joining an existing user namespace");
  const Namespace* time = l.find_namespace("time");
  if (!l.time_offsets.empty() && (!time || !time->path.empty()))
    r.fail("linux.timeOffsets", "requires a new time namespace");
  const Namespace* uts = l.find_namespace("uts");
  bool new_uts = uts && uts->path.empty();
  if (!c.hostname.empty() && !new_uts) r.fail("hostname", "requires a new uts namespace");
  if (!c.domainname.empty() && !new_uts) r.fail("domainname", "requires a new uts namespace");
  for (size_t i = 0; i < l.devices.size(); ++i) {
    const auto& d = l.devices[i];
    std::string ip = "linux.devices[" + std::to_string(i) + "]";
    if (!absolute(d.path)) r.fail(ip + ".path", "must be an absolute path");
    if (d.type != "c" && d.type != "b" && d.type != "u" && d.type != "p")
      r.fail(ip + ".type", "must be one of c, b, u, p");
  }
  static const std::set<std::string> props = {"",        "shared",     "slave",
                                              "private", "unbindable", "rshared",
                                              "rslave",  "rprivate",   "runbindable"};
  if (!props.count(l.rootfs_propagation))
    r.fail("linux.rootfsPropagation", "unknown propagation \"" + l.rootfs_propagation + "\"");
  for (const auto& [k, v] : l.sysctl)
    if (k.empty()) r.fail("linux.sysctl", "keys must not be empty");
  for (size_t i = 0; i < l.masked_paths.size(); ++i)
    if (!absolute(l.masked_paths[i]))
      r.fail("linux.maskedPaths[" + std::to_string(i) + "]", "must be an absolute path");
  for (size_t i = 0; i < l.readonly_paths.size(); ++i)
    if (!absolute(l.readonly_paths[i]))
      r.fail("linux.readonlyPaths[" + std::to_string(i) + "]", "must be an absolute path");
}

Config parse_config(std::string_view json, std::string_view source) {
  detail::Reader r(source);
  rapidjson::Document d;
  detail::parse_document(d, json, r);
  Config c = detail::parse_config_value(d, r);
  validate(c, source);
  return c;
}

Process parse_process(std::string_view json, std::string_view source) {
  detail::Reader r(source);
  rapidjson::Document d;
  detail::parse_document(d, json, r);
  Process p = detail::parse_process_value(d, "", r);
  if (p.args.empty()) r.fail("args", "must be a non-empty array of strings");
  if (p.cwd.empty() || p.cwd[0] != '/') r.fail("cwd", "must be an absolute path");
  return p;
}

Resources parse_resources(std::string_view json, std::string_view source) {
  detail::Reader r(source);
  rapidjson::Document d;
  detail::parse_document(d, json, r);
  return detail::parse_resources_value(d, "", r);
}

Seccomp parse_seccomp(std::string_view json, std::string_view source) {
  detail::Reader r(source);
  rapidjson::Document d;
  detail::parse_document(d, json, r);
  return detail::parse_seccomp_value(d, "", r);
}

}  // namespace nucleus::oci
