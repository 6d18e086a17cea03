#include "seccomp/generate.hpp"

#include <algorithm>

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <map>
#include <set>

#include "seccomp/names.hpp"
#include "util/error.hpp"

namespace nucleus::seccomp {

const std::vector<std::string>& runtime_syscalls() {
  // nucleus-oci's own steps after the filter is loaded, and runc 1.1's Go init (its runtime
  // threads keep running until execve), so profiles work with both.
  static const std::vector<std::string> names = {"arch_prctl",
                                                 "brk",
                                                 "capget",
                                                 "capset",
                                                 "clone",
                                                 "close",
                                                 "close_range",
                                                 "epoll_ctl",
                                                 "epoll_pwait",
                                                 "execve",
                                                 "execveat",
                                                 "exit",
                                                 "exit_group",
                                                 "fchdir",
                                                 "fcntl",
                                                 "fstat",
                                                 "fstatfs",
                                                 "futex",
                                                 "getdents64",
                                                 "getpid",
                                                 "getppid",
                                                 "gettid",
                                                 "madvise",
                                                 "mmap",
                                                 "mprotect",
                                                 "munmap",
                                                 "nanosleep",
                                                 "newfstatat",
                                                 "openat",
                                                 "prctl",
                                                 "read",
                                                 "readlinkat",
                                                 "restart_syscall",
                                                 "rt_sigaction",
                                                 "rt_sigprocmask",
                                                 "rt_sigreturn",
                                                 "sched_getaffinity",
                                                 "sched_yield",
                                                 "setgroups",
                                                 "setresgid",
                                                 "setresuid",
                                                 "sigaltstack",
                                                 "statfs",
                                                 "tgkill",
                                                 "write"};
  return names;
}

std::string generate_profile(const TraceRecorder& trace, const GenerateOptions& opts) {
  if (opts.default_action == "SCMP_ACT_ALLOW")
    throw Error(
        "--default-action SCMP_ACT_ALLOW would allow everything: pick ERRNO, KILL_PROCESS, "
        "KILL_THREAD, TRAP or LOG");
  static const char* const kDefaults[] = {"SCMP_ACT_ERRNO",        "SCMP_ACT_KILL",
                                          "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                                          "SCMP_ACT_TRAP",         "SCMP_ACT_LOG"};
  if (std::find(std::begin(kDefaults), std::end(kDefaults), opts.default_action) ==
      std::end(kDefaults))
    throw Error("--default-action \"" + opts.default_action +
                "\": unknown action (SCMP_ACT_ERRNO, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, "
                "SCMP_ACT_KILL, SCMP_ACT_TRAP or SCMP_ACT_LOG)");
  // name -> per-index values (empty map: allow with any arguments)
  struct Rule {
    bool any = false;  // some arch/entry could not be narrowed
    unsigned index = 0;
    std::set<uint64_t> values;
  };
  std::map<std::string, Rule> rules;
  for (const auto& [key, e] : trace.entries()) {
    if (e.name.empty()) continue;  // a number libseccomp cannot name cannot be allowed by name
    Rule& r = rules[e.name];
    const auto& interesting = interesting_args(e.name);
    bool narrow = opts.narrow_args && !interesting.empty() && !e.overflow.count(interesting[0]) &&
                  e.args.count(interesting[0]) &&
                  e.args.at(interesting[0]).size() <= opts.max_values;
    if (!narrow) {
      r.any = true;
      continue;
    }
    r.index = interesting[0];
    r.values.insert(e.args.at(interesting[0]).begin(), e.args.at(interesting[0]).end());
    if (r.values.size() > opts.max_values) r.any = true;
  }
  for (const auto& n : runtime_syscalls()) rules[n].any = true;

  rapidjson::StringBuffer sb;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(sb);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("defaultAction");
  w.String(opts.default_action.c_str());
  if (opts.default_action == "SCMP_ACT_ERRNO") {
    w.Key("defaultErrnoRet");
    w.Uint(1);  // EPERM
  }
  w.Key("architectures");
  w.StartArray();
  for (uint32_t a : compat_arches(native_arch())) w.String(arch_name(a).c_str());
  w.EndArray();
  w.Key("syscalls");
  w.StartArray();
  // One rule for every syscall allowed with any arguments, then one per narrowed syscall.
  w.StartObject();
  w.Key("names");
  w.StartArray();
  for (const auto& [name, r] : rules)
    if (r.any) w.String(name.c_str());
  w.EndArray();
  w.Key("action");
  w.String("SCMP_ACT_ALLOW");
  w.EndObject();
  for (const auto& [name, r] : rules) {
    if (r.any) continue;
    w.StartObject();
    w.Key("names");
    w.StartArray();
    w.String(name.c_str());
    w.EndArray();
    w.Key("action");
    w.String("SCMP_ACT_ALLOW");
    w.Key("args");
    w.StartArray();
    for (uint64_t v : r.values) {  // same index: any of them matches (one rule each)
      w.StartObject();
      w.Key("index");
      w.Uint(r.index);
      w.Key("value");
      w.Uint64(v);
      w.Key("valueTwo");
      w.Uint64(0);
      w.Key("op");
      w.String("SCMP_CMP_EQ");
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize()) + "\n";
}

}  // namespace nucleus::seccomp
