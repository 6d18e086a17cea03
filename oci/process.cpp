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
    if (const Value* m = r.get(*u, "umask")) p.user.umask = r.u32(*m, Reader::join(up, "umask"));
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
  if (const Value* e = r.get(v, "env")) {
    std::string ep = Reader::join(path, "env");
    p.env = r.strings(*e, ep);
    for (size_t i = 0; i < p.env.size(); ++i)
      if (p.env[i].find('=') == std::string::npos || p.env[i][0] == '=')
        r.fail(Reader::index(ep, i), "must be KEY=VALUE");
  }
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
        for (size_t i = 0; i < s.out->size(); ++i)
          if ((*s.out)[i].rfind("CAP_", 0) != 0)
            r.fail(Reader::index(sp, i), "unknown capability \"" + (*s.out)[i] + "\" (want CAP_*)");
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
      const Value* t = r.get(e, "type");
      if (!t) r.fail(Reader::join(ip, "type"), "required");
      lim.type = r.str(*t, Reader::join(ip, "type"));
      const Value* h = r.get(e, "hard");
      const Value* s = r.get(e, "soft");
      if (!h) r.fail(Reader::join(ip, "hard"), "required");
      if (!s) r.fail(Reader::join(ip, "soft"), "required");
      lim.hard = r.u64(*h, Reader::join(ip, "hard"));
      lim.soft = r.u64(*s, Reader::join(ip, "soft"));
      p.rlimits.push_back(lim);
    }
  }
  r.opt(v, path, "noNewPrivileges", p.no_new_privileges, &Reader::boolean);
  r.opt(v, path, "apparmorProfile", p.apparmor_profile, &Reader::str);
  if (const Value* o = r.get(v, "oomScoreAdj")) {
    std::string op = Reader::join(path, "oomScoreAdj");
    int32_t val = r.i32(*o, op);
    if (val < -1000 || val > 1000) r.fail(op, "must be between -1000 and 1000");
    p.oom_score_adj = val;
  }
  r.opt(v, path, "selinuxLabel", p.selinux_label, &Reader::str);
  if (const Value* s = r.get(v, "scheduler")) {
    std::string sp = Reader::join(path, "scheduler");
    r.object(*s, sp);
    Scheduler sc;
    const Value* pol = r.get(*s, "policy");
    if (!pol) r.fail(Reader::join(sp, "policy"), "required");
    sc.policy = r.str(*pol, Reader::join(sp, "policy"));
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
    const Value* c = r.get(*io, "class");
    if (!c) r.fail(Reader::join(ip, "class"), "required");
    prio.io_class = r.str(*c, Reader::join(ip, "class"));
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
