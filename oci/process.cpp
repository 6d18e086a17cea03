// process.* of config.json (and exec's process.json).
#include "oci/json_reader.hpp"

namespace nucleus::oci::detail {

Process parse_process_value(const Value& v, const std::string& path, const Reader& r) {
  r.object(v, path);
  Process p;
  r.opt(v, path, "terminal", p.terminal, &Reader::boolean);
  if (const Value* cs = r.get(v, "consoleSize")) {
    std::string cp = Reader::join(path, "consoleSize");
    r.object(*cs, cp);
    ConsoleSize c;
    r.opt(*cs, cp, "height", c.height, &Reader::u32);
    r.opt(*cs, cp, "width", c.width, &Reader::u32);
    p.console_size = c;
  }
  if (const Value* u = r.get(v, "user")) {
    std::string up = Reader::join(path, "user");
    r.object(*u, up);
    r.opt(*u, up, "uid", p.user.uid, &Reader::u32);
    r.opt(*u, up, "gid", p.user.gid, &Reader::u32);
    r.opt_set(*u, up, "umask", p.user.umask, &Reader::u32);
    if (const Value* g = r.get(*u, "additionalGids")) {
      std::string gp = Reader::join(up, "additionalGids");
      size_t i = 0;
      for (const auto& e : r.array(*g, gp))
        p.user.additional_gids.push_back(r.u32(e, Reader::index(gp, i++)));
    }
    r.opt(*u, up, "username", p.user.username, &Reader::str);
  }
  if (const Value* a = r.get(v, "args")) {
    std::string ap = Reader::join(path, "args");
    if (!a->IsArray() || a->Empty()) r.fail(ap, "must be a non-empty array of strings");
    for (const auto& e : a->GetArray())
      if (!e.IsString()) r.fail(ap, "must be a non-empty array of strings");
    p.args = r.strings(*a, ap);
  }
  r.opt(v, path, "commandLine", p.command_line, &Reader::str);
  if (const Value* e = r.get(v, "env")) p.env = r.strings(*e, Reader::join(path, "env"));
  r.opt(v, path, "cwd", p.cwd, &Reader::str);
  if (const Value* c = r.get(v, "capabilities")) {
    std::string cp = Reader::join(path, "capabilities");
    r.object(*c, cp);
    Capabilities caps;
    struct Set {
      const char* key;
      std::vector<std::string>* out;
    } sets[] = {{"bounding", &caps.bounding},
                {"effective", &caps.effective},
                {"inheritable", &caps.inheritable},
                {"permitted", &caps.permitted},
                {"ambient", &caps.ambient}};
    for (auto& s : sets) {
      if (const Value* l = r.get(*c, s.key)) {
        std::string sp = Reader::join(cp, s.key);
        *s.out = r.strings(*l, sp);
        if (s.out == &caps.inheritable) caps.has_inheritable = true;
      }
    }
    p.capabilities = caps;
  }
  if (const Value* rl = r.get(v, "rlimits")) {
    std::string rp = Reader::join(path, "rlimits");
    size_t i = 0;
    for (const auto& e : r.array(*rl, rp)) {
      std::string ip = Reader::index(rp, i++);
      r.object(e, ip);
      Rlimit lim;
      lim.type = r.str(r.required(e, ip, "type"), Reader::join(ip, "type"));
      lim.hard = r.u64(r.required(e, ip, "hard"), Reader::join(ip, "hard"));
      lim.soft = r.u64(r.required(e, ip, "soft"), Reader::join(ip, "soft"));
      p.rlimits.push_back(lim);
    }
  }
  r.opt(v, path, "noNewPrivileges", p.no_new_privileges, &Reader::boolean);
  r.opt(v, path, "apparmorProfile", p.apparmor_profile, &Reader::str);
  r.opt_set(v, path, "oomScoreAdj", p.oom_score_adj, &Reader::i32);
  r.opt(v, path, "selinuxLabel", p.selinux_label, &Reader::str);
  if (const Value* s = r.get(v, "scheduler")) {
    std::string sp = Reader::join(path, "scheduler");
    r.object(*s, sp);
    Scheduler sc;
    sc.policy = r.str(r.required(*s, sp, "policy"), Reader::join(sp, "policy"));
    r.opt(*s, sp, "nice", sc.nice, &Reader::i32);
    r.opt(*s, sp, "priority", sc.priority, &Reader::i32);
    if (const Value* f = r.get(*s, "flags")) sc.flags = r.strings(*f, Reader::join(sp, "flags"));
    r.opt(*s, sp, "runtime", sc.runtime, &Reader::u64);
    r.opt(*s, sp, "deadline", sc.deadline, &Reader::u64);
    r.opt(*s, sp, "period", sc.period, &Reader::u64);
    p.scheduler = sc;
  }
  if (const Value* io = r.get(v, "ioPriority")) {
    std::string ip = Reader::join(path, "ioPriority");
    r.object(*io, ip);
    IOPriority prio;
    prio.io_class = r.str(r.required(*io, ip, "class"), Reader::join(ip, "class"));
    r.opt(*io, ip, "priority", prio.priority, &Reader::i32);
    p.io_priority = prio;
  }
  if (const Value* a = r.get(v, "execCPUAffinity")) {
    std::string ap = Reader::join(path, "execCPUAffinity");
    r.object(*a, ap);
    ExecCPUAffinity aff;
    r.opt(*a, ap, "initial", aff.initial, &Reader::str);
    r.opt(*a, ap, "final", aff.final, &Reader::str);
    p.exec_cpu_affinity = aff;
  }
  return p;
}

}  // namespace nucleus::oci::detail
