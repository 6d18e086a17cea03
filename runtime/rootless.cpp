#include "runtime/rootless.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "cgroups/sdbus.hpp"
#include "runtime/init/namespaces.hpp"
#include "runtime/log.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"

namespace nucleus::rootless {
namespace {

// How long newuidmap/newgidmap may take (they read /etc/subuid and write one file).
constexpr int kMappingToolTimeoutMs = 10000;

// runc's requiresRootOrMappingTool, negated: the gid mapping is exactly the caller's own egid
// as container gid 0, size 1 — the one gid_map an unprivileged writer may write, with setgroups
// denied.
bool own_gid_only(const std::vector<oci::IDMapping>& gids) {
  return gids.size() == 1 && gids[0].container_id == 0 && gids[0].host_id == ::getegid() &&
         gids[0].size == 1;
}

// The id maps of a user namespace joined by path, as runc's GetUserNamespaceMappings reads them
// for its checks: /proc/PID/{uid,gid}_map for a /proc/PID/ns/user path, else those of a child
// that joins the namespace (a rootless caller owns the namespaces it may join).
std::vector<oci::IDMapping> parse_id_map(const std::string& text, const std::string& what) {
  std::vector<oci::IDMapping> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    uint64_t c = 0, h = 0, n = 0;
    if (!(f >> c >> h >> n)) {
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      throw Error("failed to parse " + what + ": bad line \"" + line + "\"");
    }
    out.push_back({static_cast<uint32_t>(c), static_cast<uint32_t>(h), static_cast<uint32_t>(n)});
  }
  return out;
}

std::string read_map_of_userns(const std::string& ns_path, const char* map) {
  int pid = 0, end = 0;  // exactly /proc/PID/ns/user (%n: nothing after it)
  if (std::sscanf(ns_path.c_str(), "/proc/%d/ns/user%n", &pid, &end) == 1 && pid > 0 &&
      static_cast<size_t>(end) == ns_path.size()) {
    try {
      return read_file("/proc/" + std::to_string(pid) + "/" + map);
    } catch (const Error&) {
      // the slow path below
    }
  }
  UniqueFd ns = open_fd(ns_path, O_RDONLY | O_CLOEXEC);
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) < 0) throw_sys("pipe");
  UniqueFd rd(pipefd[0]), wr(pipefd[1]);
  pid_t child = ::fork();
  if (child < 0) throw_sys("fork to read the maps of " + ns_path);
  if (child == 0) {
    rd.reset();
    if (::setns(ns.get(), CLONE_NEWUSER) < 0) _exit(1);
    try {
      std::string p = std::string("/proc/self/") + map;
      write_all(wr.get(), read_file(p), p);
    } catch (...) {
      _exit(2);
    }
    _exit(0);
  }
  wr.reset();
  std::string out = read_all(rd.get(), std::string("the ") + map + " of " + ns_path);
  int status = 0;
  if (!reap_within(child, 5000, &status)) {  // it has closed the pipe: exiting, not waiting
    ::kill(child, SIGKILL);
    reap_within(child, 1000, &status);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error("failed to cache mappings for userns: join " + ns_path + " to read its " + map +
                " (status " + std::to_string(status) + ")");
  return out;
}

// Go's exec.LookPath for a bare name: the first executable regular file in $PATH.
std::string look_path(const std::string& name) {
  const char* env = std::getenv("PATH");
  std::istringstream in(env ? env : "");
  std::string dir;
  while (std::getline(in, dir, ':')) {
    if (dir.empty()) dir = ".";
    std::string p = dir + "/" + name;
    struct stat st;
    if (::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0)
      return p;
  }
  return "";
}

// Output (stdout and stderr) of a child until EOF or the deadline; kills it at the deadline.
std::string read_until_exit(int fd, pid_t child, int timeout_ms, bool* timed_out) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      ::kill(child, SIGKILL);
      *timed_out = true;
      return out;
    }
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[1024];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    if (out.size() < 4096) out.append(buf, static_cast<size_t>(n));
  }
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

// newuidmap PID  CONTAINER-ID HOST-ID SIZE ...  (runc's try_mapping_tool: an empty environment).
void run_mapping_tool(const std::string& tool, pid_t pid, const std::vector<oci::IDMapping>& m,
                      const std::string& field, const std::string& why_direct_failed) {
  std::string path = look_path(tool);
  if (path.empty())
    throw Error(field + ": " + why_direct_failed +
                "; mapping more than the caller's own id needs " + tool +
                " (Debian: the uidmap package) in $PATH, and it was not found");
  std::vector<std::string> args{path, std::to_string(pid)};
  for (const auto& e : m)
    for (uint32_t v : {e.container_id, e.host_id, e.size}) args.push_back(std::to_string(v));
  std::string shown;
  for (size_t i = 0; i < args.size(); ++i) shown += (i ? " " : "") + args[i];
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  char* envp[] = {nullptr};

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) throw_sys("pipe for " + tool);
  UniqueFd rd(fds[0]), wr(fds[1]);
  posix_spawn_file_actions_t fa;
  ::posix_spawn_file_actions_init(&fa);
  ::posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&fa, wr.get(), 1);
  ::posix_spawn_file_actions_adddup2(&fa, wr.get(), 2);
  pid_t child = 0;
  int e = ::posix_spawn(&child, path.c_str(), &fa, nullptr, argv.data(), envp);
  ::posix_spawn_file_actions_destroy(&fa);
  if (e != 0) throw_sys(field + ": run " + path, e);
  wr.reset();
  bool timed_out = false;
  std::string out = read_until_exit(rd.get(), child, kMappingToolTimeoutMs, &timed_out);
  int status = 0;
  if (!reap_within(child, timed_out ? 1000 : kMappingToolTimeoutMs, &status)) {
    ::kill(child, SIGKILL);
    reap_within(child, 1000);
    timed_out = true;
  }
  if (timed_out)
    throw Error(field + ": " + shown + " did not finish in " +
                std::to_string(kMappingToolTimeoutMs / 1000) + "s");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  std::string how = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                        : "exit status " + std::to_string(WEXITSTATUS(status));
  throw Error(field + ": " + why_direct_failed + "; " + shown + " failed (" + how +
              (out.empty() ? "" : ": " + trim(out)) + ")");
}

// One map: written directly; on EPERM (not the caller's own id alone) through the tool.
void write_map(pid_t pid, const char* file, const std::vector<oci::IDMapping>& m,
               const std::string& field, const std::string& tool) {
  if (m.empty()) return;
  std::string path = "/proc/" + std::to_string(pid) + "/" + file;
  std::string text = init::id_map_text(m);
  try {
    write_file(path, text);
    return;
  } catch (const Error& e) {
    if (e.code() != EPERM) throw Error(field + ": " + e.what(), e.code());
    run_mapping_tool(tool, pid, m, field, e.what());
  }
}

}  // namespace

bool in_user_namespace() {
  std::string map;
  try {
    map = read_file("/proc/self/uid_map");
  } catch (const Error&) {
    return false;
  }
  std::istringstream in(map);
  uint64_t a = 1, b = 1, c = 0;
  in >> a >> b >> c;
  std::string more;
  bool single = !(in >> more);
  return !(single && a == 0 && b == 0 && c == 4294967295ULL);
}

bool honor_xdg_runtime_dir() {
  if (::geteuid() != 0) return true;
  if (!in_user_namespace()) return false;  // the real root: /run/nucleus-oci, as runc
  const char* user = std::getenv("USER");
  return !user || std::strcmp(user, "root") != 0;
}

std::string default_root(bool* xdg) {
  *xdg = false;
  const char* dir = std::getenv("XDG_RUNTIME_DIR");
  if (dir && *dir && honor_xdg_runtime_dir()) {
    *xdg = true;
    return std::string(dir) + "/nucleus-oci";
  }
  return "/run/nucleus-oci";
}

void prepare_xdg_root(const std::string& root) {
  try {
    mkdir_p(root, 0700);
  } catch (const Error&) {
    std::fputs("the path in $XDG_RUNTIME_DIR must be writable by the user\n", stderr);
    throw;
  }
  if (::chmod(root.c_str(), 0700 | S_ISVTX) < 0) {
    int err = errno;
    std::fputs("you should check permission of the path in $XDG_RUNTIME_DIR\n", stderr);
    throw_sys("chmod " + root, err);
  }
}

std::optional<bool> parse_bool_or_auto(const std::string& v) {
  std::string lower = v;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v.empty() || lower == "auto") return std::nullopt;
  // Go's strconv.ParseBool, exactly (its spellings only).
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"})
    if (v == t) return true;
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"})
    if (v == f) return false;
  throw Error("strconv.ParseBool: parsing \"" + v + "\": invalid syntax");
}

bool use_rootless_cgroups(const std::string& rootless_flag, bool systemd_cgroup) {
  if (auto b = parse_bool_or_auto(rootless_flag)) return *b;
  if (::geteuid() != 0) return true;
  if (!in_user_namespace()) return false;
  // Root in a user namespace. The systemd driver (how rootless Podman runs the runtime): as
  // runc, the owner of the user's session bus tells; 0 (or none: runc assumes 0) is a systemd
  // booted inside the namespace, whose system manager is then used.
  if (systemd_cgroup) {
    int owner = cgroups::user_bus_owner_uid();
    if (owner < 0)
      log::debug("rootless: failed to get the OwnerUID of the user bus, assuming it to be 0");
    return owner > 0;
  }
  return true;
}

void check_config(const oci::Config& cfg) {
  if (::geteuid() == 0) return;
  const oci::Namespace* user = cfg.linux ? cfg.linux->find_namespace("user") : nullptr;
  if (!user) throw Error("rootless container requires user namespaces");
  if (user->path.empty()) {
    if (cfg.linux->uid_mappings.empty())
      throw Error("rootless containers requires at least one UID mapping");
    if (cfg.linux->gid_mappings.empty())
      throw Error("rootless containers requires at least one GID mapping");
  }
  // uid=/gid= mount options must name ids the container's mappings have (runc's
  // rootlessEUIDMount); a user namespace joined by path: the ids it maps.
  // runc caches the joined namespace's maps for this check (setupUserNamespace).
  std::vector<oci::IDMapping> joined_uids, joined_gids;
  bool joined_read = false;
  auto joined_maps = [&](bool uids) -> const std::vector<oci::IDMapping>& {
    if (!joined_read) {
      joined_uids = parse_id_map(read_map_of_userns(user->path, "uid_map"), "uid_map");
      joined_gids = parse_id_map(read_map_of_userns(user->path, "gid_map"), "gid_map");
      joined_read = true;
    }
    return uids ? joined_uids : joined_gids;
  };
  auto mapped = [](const std::vector<oci::IDMapping>& m, uint64_t id) {
    for (const auto& e : m)
      if (id >= e.container_id && id - e.container_id < e.size) return true;
    return false;
  };
  for (const auto& mnt : cfg.mounts) {
    for (const auto& opt : mnt.options) {
      bool is_uid = opt.rfind("uid=", 0) == 0, is_gid = opt.rfind("gid=", 0) == 0;
      if (!is_uid && !is_gid) continue;
      std::string num = opt.substr(4);
      if (num.empty() || !std::all_of(num.begin(), num.end(), ::isdigit) || num.size() > 10)
        continue;  // not a number: an unknown option, ignored (runc)
      uint64_t id = std::stoull(num);
      const auto& own = is_uid ? cfg.linux->uid_mappings : cfg.linux->gid_mappings;
      const auto& maps = own.empty() && !user->path.empty() ? joined_maps(is_uid) : own;
      std::string why;
      if (maps.empty())
        why = is_uid ? "user namespaces enabled, but no uid mappings found"
                     : "user namespaces enabled, but no gid mappings found";
      else if (!mapped(maps, id))
        why = std::string("user namespaces enabled, but no mapping found for ") +
              (is_uid ? "uid " : "gid ") + num;
      if (!why.empty())
        throw Error("cannot specify " + opt + " mount option for rootless container: " + why);
    }
  }
}

void write_id_maps(pid_t pid, const oci::Linux& linux) {
  // setgroups must be denied before gid_map is written by an unprivileged writer; with the
  // mapping tool, newgidmap decides (runc: is_setgroup).
  if (!linux.gid_mappings.empty() && own_gid_only(linux.gid_mappings)) {
    std::string path = "/proc/" + std::to_string(pid) + "/setgroups";
    try {
      write_file(path, "deny");
    } catch (const Error& e) {
      if (e.code() != ENOENT) throw Error(std::string("linux.gidMappings: ") + e.what(), e.code());
    }
  }
  write_map(pid, "uid_map", linux.uid_mappings, "linux.uidMappings", "newuidmap");
  write_map(pid, "gid_map", linux.gid_mappings, "linux.gidMappings", "newgidmap");
}

}  // namespace nucleus::rootless
