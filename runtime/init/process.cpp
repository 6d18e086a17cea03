// The workload's process attributes: rlimits, oom score, scheduler, I/O priority, personality,
// LSM labels, user and groups, the five capability sets (libcap), and the executable lookup.
#include <fcntl.h>
#include <grp.h>
#include <linux/ioprio.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/capability.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <climits>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "runtime/init/init.hpp"
#include "runtime/init/procfs.hpp"
#include "runtime/log.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace nucleus::init {
namespace {

int rlimit_resource(const std::string& name) {
  static const std::map<std::string, int> t = {
      {"RLIMIT_AS", RLIMIT_AS},
      {"RLIMIT_CORE", RLIMIT_CORE},
      {"RLIMIT_CPU", RLIMIT_CPU},
      {"RLIMIT_DATA", RLIMIT_DATA},
      {"RLIMIT_FSIZE", RLIMIT_FSIZE},
      {"RLIMIT_LOCKS", RLIMIT_LOCKS},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
      {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_NOFILE", RLIMIT_NOFILE},
      {"RLIMIT_NPROC", RLIMIT_NPROC},
      {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
      {"RLIMIT_RTTIME", RLIMIT_RTTIME},
      {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_STACK", RLIMIT_STACK},
  };
  auto it = t.find(name);
  return it == t.end() ? -1 : it->second;
}

// A capability name as runc knows it: "CAP_" and the kernel's name in upper case, for a
// capability the running kernel has.
std::optional<cap_value_t> cap_value(const std::string& name) {
  if (name.rfind("CAP_", 0) != 0) return std::nullopt;
  std::string lower;
  for (char c : name) {
    if (!(std::isupper(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
      return std::nullopt;
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  cap_value_t v;
  if (cap_from_name(lower.c_str(), &v) < 0) return std::nullopt;
  if (v < 0 || v >= static_cast<cap_value_t>(cap_max_bits())) return std::nullopt;
  return v;
}

// "CAP_CHOWN" for CAP_CHOWN.
std::string cap_upper_name(cap_value_t v) {
  char* name = cap_to_name(v);
  std::string n = name ? name : std::to_string(v);
  cap_free(name);
  for (char& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return n;
}

// The five sets as values. Names that are unknown, or capabilities the running kernel lacks,
// are left out with one warning for all of them: runtime-spec config.md says such a value MUST
// be logged as a warning and SHOULD NOT fail the container; runc 1.3 warns with this text.
struct CapValues {
  std::vector<cap_value_t> bounding, effective, inheritable, permitted, ambient;
};

CapValues resolve_caps(const oci::Capabilities& caps) {
  CapValues out;
  std::set<std::string> unknown;  // sorted, as runc prints them
  auto convert = [&](const std::vector<std::string>& names, std::vector<cap_value_t>& values) {
    for (const auto& n : names) {
      if (auto v = cap_value(n))
        values.push_back(*v);
      else
        unknown.insert(n);
    }
  };
  convert(caps.bounding, out.bounding);
  convert(caps.effective, out.effective);
  convert(caps.inheritable, out.inheritable);
  convert(caps.permitted, out.permitted);
  convert(caps.ambient, out.ambient);
  if (!unknown.empty()) {
    std::string list;
    for (const auto& n : unknown) list += (list.empty() ? "" : " ") + n;
    log::warn("ignoring unknown or unavailable capabilities: [" + list + "]");
  }
  return out;
}

// Names the requested capabilities this runtime cannot grant (not in its own bounding set).
std::string missing_caps(const CapValues& caps) {
  std::string out;
  for (cap_value_t v : caps.permitted) {
    if (::prctl(PR_CAPBSET_READ, v, 0, 0, 0) == 1) continue;
    char* name = cap_to_name(v);
    out += (out.empty() ? "" : ", ") + std::string(name);
    cap_free(name);
  }
  return out;
}

std::string env_value(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& e : env)
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=')
      return e.substr(key.size() + 1);
  return {};
}

bool is_executable_file(const std::string& p, int& err) {
  struct stat st;
  if (::stat(p.c_str(), &st) < 0) {
    err = errno;
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    err = EACCES;
    return false;
  }
  // With the effective ids and capabilities the process will have (Go's LookPath, runc): a
  // non-root user with CAP_DAC_OVERRIDE may run a file only its owner can execute. access(2)
  // would use the real uid and no capabilities.
  if (::faccessat(AT_FDCWD, p.c_str(), X_OK, AT_EACCESS) < 0) {
    err = errno;
    return false;
  }
  return true;
}

std::string home_of(uint32_t uid) {
  try {
    std::string passwd = read_file("/etc/passwd");
    size_t pos = 0;
    while (pos < passwd.size()) {
      size_t end = passwd.find('\n', pos);
      if (end == std::string::npos) end = passwd.size();
      std::string line = passwd.substr(pos, end - pos);
      pos = end + 1;
      std::vector<std::string> f;
      size_t s = 0;
      for (;;) {
        size_t c = line.find(':', s);
        f.push_back(line.substr(s, c == std::string::npos ? std::string::npos : c - s));
        if (c == std::string::npos) break;
        s = c + 1;
      }
      if (f.size() >= 6 && f[2] == std::to_string(uid)) return f[5];
    }
  } catch (const Error&) {
  }
  return "/";
}

// runc's prepareEnv: each name once, with its last value, at its last place; an empty HOME is
// dropped, and a HOME that is not set (or only empty) comes from the container's /etc/passwd.
std::vector<std::string> prepare_env(const std::vector<std::string>& env, uint32_t uid) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  bool home_set = false;
  for (auto it = env.rbegin(); it != env.rend(); ++it) {
    std::string key = it->substr(0, it->find('='));
    if (!seen.insert(key).second) continue;
    if (key == "HOME") {
      if (it->size() == key.size() + 1 || it->find('=') == std::string::npos) continue;
      home_set = true;
    }
    out.push_back(*it);
  }
  std::reverse(out.begin(), out.end());
  if (!home_set) out.push_back("HOME=" + home_of(uid));
  return out;
}

}  // namespace

void enter_cwd(const std::string& cwd) {
  // Resolved inside the container's root with no magic link: "/proc/self/fd/N" cannot lead to
  // a directory the runtime still holds open outside the container (CVE-2024-21626).
  auto fail = [&](int err) {
    throw Error("chdir to cwd (\"" + cwd + "\") set in config.json failed: " + errno_text(err),
                err);
  };
  open_how how{};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
  if (fd < 0) fail(errno);
  UniqueFd root(static_cast<int>(fd));
  fd = ::syscall(SYS_openat2, root.get(), cwd.c_str(), &how, sizeof how);
  if (fd < 0) fail(errno);
  UniqueFd dir(static_cast<int>(fd));
  if (::fchdir(dir.get()) < 0) fail(errno);
  // Belt and braces: the kernel says where we are; a directory outside our root has no path.
  char buf[PATH_MAX];
  if (!::getcwd(buf, sizeof buf) || buf[0] != '/')
    throw Error("chdir to cwd (\"" + cwd + "\"): the directory is outside the container", EPERM);
}

namespace {

// process.scheduler through sched_setattr(2).
void set_scheduler(const oci::Scheduler& s, bool allowed_cpus) {
  static const std::map<std::string, int> policies = {{"SCHED_OTHER", SCHED_OTHER},
                                                      {"SCHED_FIFO", SCHED_FIFO},
                                                      {"SCHED_RR", SCHED_RR},
                                                      {"SCHED_BATCH", SCHED_BATCH},
                                                      {"SCHED_IDLE", SCHED_IDLE},
                                                      {"SCHED_DEADLINE", 6},
                                                      {"SCHED_ISO", 4}};
  static const std::map<std::string, uint64_t> flags = {
      {"SCHED_FLAG_RESET_ON_FORK", 0x01}, {"SCHED_FLAG_RECLAIM", 0x02},
      {"SCHED_FLAG_DL_OVERRUN", 0x04},    {"SCHED_FLAG_KEEP_POLICY", 0x08},
      {"SCHED_FLAG_KEEP_PARAMS", 0x10},   {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
      {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40}};
  auto p = policies.find(s.policy);
  if (p == policies.end())
    throw Error("process.scheduler.policy: unknown policy \"" + s.policy + "\"");
  struct {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
  } attr{};
  attr.size = sizeof attr;
  attr.sched_policy = static_cast<uint32_t>(p->second);
  for (const auto& f : s.flags) {
    auto it = flags.find(f);
    if (it == flags.end()) throw Error("process.scheduler.flags: unknown flag \"" + f + "\"");
    attr.sched_flags |= it->second;
  }
  attr.sched_nice = s.nice;
  attr.sched_priority = static_cast<uint32_t>(s.priority);
  attr.sched_runtime = s.runtime;
  attr.sched_deadline = s.deadline;
  attr.sched_period = s.period;
  if (::syscall(SYS_sched_setattr, 0, &attr, 0) < 0) {
    // sched_setattr(2): EPERM when the CPU affinity does not include every CPU (DEADLINE).
    if (errno == EPERM && allowed_cpus)
      throw Error("process scheduler can't be used together with AllowedCPUs", EPERM);
    throw_sys("sched_setattr (process.scheduler)");
  }
}

}  // namespace

bool has_allowed_cpus(const oci::Linux& linux) {
  return linux.resources && linux.resources->cpu && !linux.resources->cpu->cpus.empty();
}

void apply_process_attrs(const oci::Process& proc, bool allowed_cpus) {
  for (const auto& r : proc.rlimits) {
    int res = rlimit_resource(r.type);
    if (res < 0) throw Error("process.rlimits: unknown rlimit \"" + r.type + "\"");
    rlimit rl{static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
    if (::setrlimit(res, &rl) < 0)
      throw_sys("setrlimit " + r.type + " (soft " + std::to_string(r.soft) + ", hard " +
                std::to_string(r.hard) + ")");
  }
  if (proc.scheduler) set_scheduler(*proc.scheduler, allowed_cpus);
  if (proc.io_priority) {
    int cls = proc.io_priority->io_class == "IOPRIO_CLASS_RT"     ? IOPRIO_CLASS_RT
              : proc.io_priority->io_class == "IOPRIO_CLASS_BE"   ? IOPRIO_CLASS_BE
              : proc.io_priority->io_class == "IOPRIO_CLASS_IDLE" ? IOPRIO_CLASS_IDLE
                                                                  : -1;
    if (cls < 0)
      throw Error("process.ioPriority.class: unknown class \"" + proc.io_priority->io_class + "\"");
    if (::syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0,
                  IOPRIO_PRIO_VALUE(cls, proc.io_priority->priority)) < 0)
      throw_sys("ioprio_set (process.ioPriority)");
  }
  // Whether the host has the LSM was checked by the runtime (check_security_labels): here, in
  // the container's mount namespace, /sys/kernel/security is not mounted.
  if (!proc.apparmor_profile.empty()) {
    // The LSM's own file where the kernel has it (5.8+), the shared one before (runc's order).
    std::string attr = proc_self() + "/attr/apparmor/exec";
    if (!path_exists(attr)) attr = proc_self() + "/attr/exec";
    write_private_proc(attr, "exec " + proc.apparmor_profile, "process.apparmorProfile");
  }
  if (!proc.selinux_label.empty())
    write_private_proc(proc_self() + "/attr/exec", proc.selinux_label, "process.selinuxLabel");
}

bool apparmor_enabled() {
  // runc's apparmor.isEnabled: securityfs shows AppArmor and the module says it is enabled.
  if (!path_exists("/sys/kernel/security/apparmor")) return false;
  int fd = ::open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char c = 0;
  ssize_t n = ::read(fd, &c, 1);
  ::close(fd);
  return n == 1 && c == 'Y';
}

void check_security_labels(const oci::Process& proc) {
  if (!proc.apparmor_profile.empty() && !apparmor_enabled())
    throw Error("process.apparmorProfile \"" + proc.apparmor_profile +
                "\" is set but AppArmor is not enabled on this host");
  if (!proc.selinux_label.empty() && !path_exists("/sys/fs/selinux/enforce"))
    throw Error("process.selinuxLabel \"" + proc.selinux_label +
                "\" is set but SELinux is not enabled on this host");
}

// "0-3,7" -> the CPU or node numbers.
std::vector<unsigned> parse_list(const std::string& text, const std::string& field) {
  std::vector<unsigned> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    std::string part = text.substr(pos, end - pos);
    try {
      size_t dash = part.find('-');
      unsigned a = static_cast<unsigned>(std::stoul(part.substr(0, dash)));
      unsigned b =
          dash == std::string::npos ? a : static_cast<unsigned>(std::stoul(part.substr(dash + 1)));
      if (b < a || b > 4095) throw 0;
      for (unsigned i = a; i <= b; ++i) out.push_back(i);
    } catch (...) {
      throw Error(field + ": invalid list \"" + text + "\"");
    }
    pos = end + 1;
  }
  return out;
}

void apply_personality(const oci::Linux& linux) {
  if (linux.personality) {
    const auto& p = *linux.personality;
    unsigned long persona;
    if (p.domain == "LINUX")
      persona = PER_LINUX;
    else if (p.domain == "LINUX32")
      persona = PER_LINUX32;
    else
      throw Error("linux.personality.domain: unknown domain \"" + p.domain + "\"");
    if (!p.flags.empty())
      throw Error("linux.personality.flags: personality flags are not supported");
    if (::personality(persona) < 0) throw_sys("personality " + p.domain);
  }
}

void apply_linux_process_attrs(const oci::Linux& linux) {
  apply_personality(linux);
  if (linux.memory_policy) {
    const auto& mp = *linux.memory_policy;
    static const std::map<std::string, int> modes = {{"MPOL_DEFAULT", 0},
                                                     {"MPOL_PREFERRED", 1},
                                                     {"MPOL_BIND", 2},
                                                     {"MPOL_INTERLEAVE", 3},
                                                     {"MPOL_LOCAL", 4},
                                                     {"MPOL_PREFERRED_MANY", 5},
                                                     {"MPOL_WEIGHTED_INTERLEAVE", 6}};
    static const std::map<std::string, int> flags = {{"MPOL_F_NUMA_BALANCING", 1 << 13},
                                                     {"MPOL_F_RELATIVE_NODES", 1 << 14},
                                                     {"MPOL_F_STATIC_NODES", 1 << 15}};
    auto m = modes.find(mp.mode);
    if (m == modes.end()) throw Error("linux.memoryPolicy.mode: unknown mode \"" + mp.mode + "\"");
    int mode = m->second;
    for (const auto& f : mp.flags) {
      auto it = flags.find(f);
      if (it == flags.end()) throw Error("linux.memoryPolicy.flags: unknown flag \"" + f + "\"");
      mode |= it->second;
    }
    unsigned long mask[64] = {};
    unsigned long maxnode = 0;
    for (unsigned n : parse_list(mp.nodes, "linux.memoryPolicy.nodes")) {
      mask[n / (8 * sizeof(unsigned long))] |= 1UL << (n % (8 * sizeof(unsigned long)));
      maxnode = std::max<unsigned long>(maxnode, n + 2);
    }
    if (::syscall(SYS_set_mempolicy, mode, maxnode ? mask : nullptr, maxnode) < 0)
      throw_sys("set_mempolicy (linux.memoryPolicy)");
  }
}

namespace {

// Everything outside `keep` leaves the bounding set (before setuid: it needs CAP_SETPCAP).
void limit_bounding_set(const std::vector<cap_value_t>& keep) {
  for (cap_value_t c = 0; c < static_cast<cap_value_t>(cap_max_bits()); ++c) {
    if (std::find(keep.begin(), keep.end(), c) != keep.end()) continue;
    if (cap_drop_bound(c) < 0 && errno != EINVAL)
      throw_sys("drop " + cap_upper_name(c) + " from the bounding set");
  }
}

void set_user(const oci::User& u) {
  std::vector<gid_t> groups(u.additional_gids.begin(), u.additional_gids.end());
  if (::setgroups(groups.size(), groups.data()) < 0) {
    // In a user namespace with setgroups denied, only an empty list is possible anyway.
    if (!(errno == EPERM && groups.empty())) throw_sys("setgroups (process.user.additionalGids)");
  }
  if (::setresgid(u.gid, u.gid, u.gid) < 0)
    throw_sys("setresgid " + std::to_string(u.gid) + " (process.user.gid)");
  if (::setresuid(u.uid, u.uid, u.uid) < 0)
    throw_sys("setresuid " + std::to_string(u.uid) + " (process.user.uid)");
  if (u.umask) ::umask(*u.umask);
}

// Effective, permitted and inheritable exactly as configured (the inheritable set stays empty
// unless process.capabilities.inheritable names something: CVE-2022-29162).
void set_cap_sets(const CapValues& caps, bool keep_sys_admin) {
  cap_t c = cap_init();
  auto set = [&](cap_flag_t flag, const std::vector<cap_value_t>& v, const char* what) {
    if (!v.empty() && cap_set_flag(c, flag, static_cast<int>(v.size()),
                                   const_cast<cap_value_t*>(v.data()), CAP_SET) < 0)
      throw_sys(std::string("set ") + what + " capabilities");
  };
  set(CAP_EFFECTIVE, caps.effective, "effective");
  set(CAP_PERMITTED, caps.permitted, "permitted");
  set(CAP_INHERITABLE, caps.inheritable, "inheritable");
  if (keep_sys_admin) {
    cap_value_t sa = CAP_SYS_ADMIN;
    cap_set_flag(c, CAP_EFFECTIVE, 1, &sa, CAP_SET);
    cap_set_flag(c, CAP_PERMITTED, 1, &sa, CAP_SET);
  }
  int rc = cap_set_proc(c);
  int err = errno;
  cap_free(c);
  if (rc < 0) {
    std::string missing = err == EPERM ? missing_caps(caps) : "";
    throw_sys(
        "apply process.capabilities" +
            (missing.empty() ? "" : " (not in the runtime's own bounding set: " + missing + ")"),
        err);
  }
}

// An ambient capability must be permitted and inheritable. One that is not is no error: runc
// warns with this text and goes on.
void raise_ambient(const std::vector<cap_value_t>& ambient) {
  // One prctl (libcap's cap_reset_ambient first asks about each of the ~41 capabilities).
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    throw_sys("reset ambient capabilities");
  for (cap_value_t v : ambient)
    if (cap_set_ambient(v, CAP_SET) < 0)
      log::warn("can't raise ambient capability " + cap_upper_name(v) + ": " + errno_text(errno));
}

}  // namespace

void apply_user_and_caps(const oci::Process& proc, bool keep_sys_admin) {
  std::optional<CapValues> caps;
  if (proc.capabilities) {
    caps = resolve_caps(*proc.capabilities);
    if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) throw_sys("prctl PR_SET_KEEPCAPS");
    limit_bounding_set(caps->bounding);
  }
  set_user(proc.user);
  if (!caps) return;
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) throw_sys("prctl PR_SET_KEEPCAPS");
  set_cap_sets(*caps, keep_sys_admin);
  raise_ambient(caps->ambient);
}

void drop_kept_sys_admin(const oci::Process& proc) {
  cap_t c = cap_get_proc();
  if (!c) throw_sys("read capabilities");
  cap_value_t sa = CAP_SYS_ADMIN;
  cap_set_flag(c, CAP_EFFECTIVE, 1, &sa, CAP_CLEAR);
  cap_set_flag(c, CAP_PERMITTED, 1, &sa, CAP_CLEAR);
  int rc = cap_set_proc(c);
  int err = errno;
  cap_free(c);
  if (rc < 0) throw_sys("drop CAP_SYS_ADMIN kept for loading seccomp", err);
}

Prepared prepare_process(const oci::Process& proc) {
  Prepared p;
  p.args = proc.args;
  p.env = prepare_env(proc.env, proc.user.uid);
  const std::string& name = proc.args.at(0);
  int err = ENOENT;
  if (name.find('/') != std::string::npos) {
    if (!is_executable_file(name, err))
      throw Error("exec: \"" + name + "\": stat " + name + ": " + errno_text(err), err);
    p.exe = name;
    return p;
  }
  std::string path = env_value(p.env, "PATH");
  if (path.empty()) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find(':', pos);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(pos, end - pos);
    if (dir.empty()) dir = ".";
    std::string cand = dir + "/" + name;
    int e = 0;
    if (is_executable_file(cand, e)) {
      p.exe = cand;
      return p;
    }
    pos = end + 1;
  }
  throw Error("exec: \"" + name + "\": executable file not found in $PATH", ENOENT);
}

void exec_process(const Prepared& p) {
  std::vector<char*> argv, envp;
  for (const auto& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : p.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  ::execve(p.exe.c_str(), argv.data(), envp.data());
  throw_sys("exec " + p.exe);
}

}  // namespace nucleus::init
