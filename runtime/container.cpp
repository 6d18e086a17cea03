#include "runtime/container.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <map>
#include <memory>

#include "cgroups/manager.hpp"
#include "oci/config.hpp"
#include "oci/landlock.hpp"
#include "runtime/attach.hpp"
#include "runtime/fault.hpp"
#include "runtime/hooks.hpp"
#include "runtime/idmap.hpp"
#include "runtime/init/handoff.hpp"
#include "runtime/init/init.hpp"
#include "runtime/init/namespaces.hpp"
#include "runtime/init/seccomp_agent.hpp"
#include "runtime/log.hpp"
#include "runtime/rootless.hpp"
#include "runtime/sealed_exe.hpp"
#include "runtime/sync.hpp"
#include "runtime/tracer.hpp"
#include "seccomp/cache.hpp"
#include "seccomp/filter.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"
#include "util/socket.hpp"

namespace nucleus {

std::string resolve_rootfs(const std::string& bundle, const std::string& path) {
  std::string p = path.empty() || path[0] != '/' ? bundle + "/" + path : path;
  char real[PATH_MAX];
  if (!::realpath(p.c_str(), real)) {
    if (errno == ENOENT) throw Error("rootfs (" + p + ") does not exist", ENOENT);
    throw_sys("resolve rootfs " + p);
  }
  struct stat st;
  if (::stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
    throw Error("rootfs (" + p + ") is not a directory", ENOTDIR);
  return real;
}

namespace {

// Everything a failed create must undo, undone in reverse order unless commit() was called.
class CreateTransaction {
 public:
  CreateTransaction(const Store& store, std::string id) : store_(store), id_(std::move(id)) {}
  ~CreateTransaction() {
    if (committed_) return;
    if (child_ > 0) kill_child();
    if (cgroup_) {
      try {
        cgroup_->destroy();
      } catch (const std::exception& e) {
        log::warn(std::string("cleanup: ") + e.what());
      }
    }
    if (dir_made_) {
      try {
        store_.remove(id_);
      } catch (const std::exception& e) {
        log::warn(std::string("cleanup: ") + e.what());
      }
    }
  }
  void dir_made() { dir_made_ = true; }
  void child(pid_t p) { child_ = p; }
  void cgroup(cgroups::Manager* m) { cgroup_ = m; }
  void commit() { committed_ = true; }

 private:
  // SIGKILL and reap the init. In a frozen cgroup v1 freezer it dies only once thawed: this
  // container's cgroup is thawed then (it is being removed). Bounded: an init that still does
  // not go is left to its new parent, with a warning.
  void kill_child() {
    ::kill(child_, SIGKILL);
    if (reap_within(child_, 200)) return;
    try {
      if (cgroup_ && cgroup_->frozen()) cgroup_->thaw();
    } catch (const std::exception& e) {
      log::warn(std::string("cleanup: ") + e.what());
    }
    if (!reap_within(child_, 5000))
      log::warn("cleanup: the container init (pid " + std::to_string(child_) +
                ") did not exit after SIGKILL");
  }

  const Store& store_;
  std::string id_;
  bool dir_made_ = false;
  pid_t child_ = -1;
  cgroups::Manager* cgroup_ = nullptr;
  bool committed_ = false;
};

}  // namespace

// The device rules a container gets: the config's, then the devices every container needs
// (runc's AllowedDevices: mknod of any node, null, zero, full, random, urandom, tty, pts, ptmx,
// tun). The device cgroup starts from "deny all", so a config without rules gets exactly these.
oci::Resources with_default_devices(const std::optional<oci::Resources>& in) {
  oci::Resources r = in.value_or(oci::Resources{});
  auto rule = [](const char* type, std::optional<int64_t> major, std::optional<int64_t> minor,
                 const char* access) {
    return oci::DeviceCgroupRule{true, type, major, minor, access};
  };
  r.devices.push_back(rule("c", -1, -1, "m"));
  r.devices.push_back(rule("b", -1, -1, "m"));
  for (auto [major, minor] :
       {std::pair{1, 3}, {1, 8}, {1, 7}, {5, 0}, {1, 5}, {1, 9}, {5, 2}, {10, 200}})
    r.devices.push_back(rule("c", major, minor, "rwm"));
  r.devices.push_back(rule("c", 136, -1, "rwm"));
  return r;
}

namespace {

std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "exit status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

cgroups::Layout& host_layout() {
  static cgroups::Layout layout = cgroups::Layout::detect();
  return layout;
}

namespace {

bool is_frozen(const ContainerRecord& rec) {
  if (rec.cgroup.empty()) return false;
  try {
    return cgroups::open_manager(host_layout(), rec.cgroup)->frozen();
  } catch (const std::exception&) {
    return false;
  }
}

std::string status_of(int dirfd, const ContainerRecord& rec) {
  std::string s = derive_status(dirfd, rec, false);
  // A frozen container is paused, whether it had started or not (as runc).
  if ((s == "running" || s == "created") && is_frozen(rec)) s = "paused";
  return s;
}

UniqueFd open_pidfd(pid_t pid) {
  long fd = ::syscall(SYS_pidfd_open, pid, 0);
  return UniqueFd(fd < 0 ? -1 : static_cast<int>(fd));
}

// Waits until the process is gone (it need not be our child).
bool wait_gone(const ProcessId& p, int timeout_ms) {
  UniqueFd pfd = open_pidfd(p.pid);
  if (!pfd || !p.alive()) return true;
  pollfd f{pfd.get(), POLLIN, 0};
  int r = ::poll(&f, 1, timeout_ms);
  if (r > 0) {
    ::waitpid(p.pid, nullptr, WNOHANG);  // reap it when it is ours (run)
    return true;
  }
  return !p.alive();
}

}  // namespace

int parse_signal(const std::string& in) {
  std::string s = in;
  if (!s.empty() && std::all_of(s.begin(), s.end(), ::isdigit)) {
    // 0 is kill(2)'s existence check: "container not running" once the container stopped.
    int n = std::stoi(s);
    if (n < 0 || n > SIGRTMAX) throw Error("invalid signal \"" + in + "\"");
    return n;
  }
  for (char& c : s) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  if (s.rfind("SIG", 0) == 0) s = s.substr(3);
  for (int sig = 1; sig < SIGRTMIN; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev && s == abbrev) return sig;
  }
  if (s.rfind("RTMIN", 0) == 0 || s.rfind("RTMAX", 0) == 0) {
    int base = s[2] == 'M' && s[3] == 'I' ? SIGRTMIN : SIGRTMAX;
    std::string rest = s.substr(5);
    int off = rest.empty() ? 0 : std::stoi(rest);
    int sig = base + off;
    if (sig >= SIGRTMIN && sig <= SIGRTMAX) return sig;
  }
  throw Error("invalid signal \"" + in + "\"");
}

// Sysctls are written from inside the container: only those of a namespace the container has
// of its own (runc's rules and wording), never a host-wide one.
static void check_sysctls(const oci::Linux& linux) {
  auto own = [&](const char* type, const char* host_ns) {
    const oci::Namespace* ns = linux.find_namespace(type);
    if (!ns) return false;
    if (ns->path.empty()) return true;
    struct stat a, b;
    return !(::stat(ns->path.c_str(), &a) == 0 && ::stat(host_ns, &b) == 0 &&
             a.st_dev == b.st_dev && a.st_ino == b.st_ino);
  };
  static const char* const kIpc[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                     "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                     "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (const auto& [key, value] : linux.sysctl) {
    std::string k = key;
    std::replace(k.begin(), k.end(), '/', '.');
    bool ipc = k.rfind("fs.mqueue.", 0) == 0 ||
               std::find(std::begin(kIpc), std::end(kIpc), k) != std::end(kIpc);
    if (ipc) {
      if (!own("ipc", "/proc/self/ns/ipc"))
        throw Error("config.json: linux.sysctl[\"" + key +
                    "\"]: sysctl is not allowed in the host's ipc namespace");
    } else if (k.rfind("net.", 0) == 0) {
      if (!own("network", "/proc/self/ns/net"))
        throw Error("config.json: linux.sysctl[\"" + key +
                    "\"]: sysctl is not allowed in the host's network namespace");
    } else if (k == "kernel.hostname" || k == "kernel.domainname") {
      if (!own("uts", "/proc/self/ns/uts"))
        throw Error("config.json: linux.sysctl[\"" + key +
                    "\"]: sysctl is not allowed in the host's uts namespace");
    } else {
      throw Error("config.json: linux.sysctl[\"" + key +
                  "\"]: sysctl is not in a separate kernel namespace");
    }
  }
}

namespace {

// A user namespace joined by path together with a new pid namespace: the init is cloned by a
// helper in that user namespace (clone_in_user_namespace), not exec'd.
bool joins_user_with_new_pid(const oci::Linux& linux) {
  const oci::Namespace* pid = linux.find_namespace("pid");
  const oci::Namespace* user = linux.find_namespace("user");
  return user && !user->path.empty() && pid && pid->path.empty();
}

// The init's next message. A cgroup frozen meanwhile (paused by someone under us) keeps the
// init from ever answering: that is an error, not a wait forever. Returns false when the init
// is gone.
bool recv_from_init(SyncChannel& parent, SyncMsg& m, const cgroups::Manager& cg) {
  for (;;) {
    pollfd p{parent.fd(), POLLIN, 0};
    int r = ::poll(&p, 1, 500);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw_sys("wait for the container init");
    if (r > 0) return parent.recv(m);
    if (std::string why = cg.frozen_for_join(); !why.empty())
      throw Error("container's cgroup unexpectedly frozen (" + why + ")");
  }
}

// Where a started init failed, in runc's words (kStartFailed, runtime/sync.hpp, is the first
// part); the CLI puts "runc create failed: " before them.
const std::string kInitPhase = kStartFailed + "error during container init: ";

// An error already worded with the phase it happened in.
class StartError : public Error {
 public:
  using Error::Error;
};

// Runs `step`; an Error it throws gets `prefix` before its text (errno kept), unless an inner
// step named its phase already.
template <class F>
void during(const std::string& prefix, F&& step) {
  try {
    step();
  } catch (const StartError&) {
    throw;
  } catch (const Error& e) {
    throw StartError(prefix + e.what(), e.code());
  }
}

// As runc's factory: a cgroup that exists already (a cgroupsPath shared with another container,
// say) must hold no process.
void check_cgroup_empty(const cgroups::Manager& cg) {
  if (size_t n = cg.pids().size(); n != 0)
    throw Error("container's cgroup is not empty: " + std::to_string(n) + " process(es) found");
}

}  // namespace

bool seal_runtime_if_needed(const GlobalOptions& g, const oci::Config& cfg) {
  const oci::Namespace* pid = cfg.linux ? cfg.linux->find_namespace("pid") : nullptr;
  const oci::Namespace* user = cfg.linux ? cfg.linux->find_namespace("user") : nullptr;
  // A pid namespace joined by path: the init is visible there before it could exec. A new user
  // namespace: the init is made in it by the clone, and an exec there before the runtime has
  // written its id maps would drop its capabilities.
  bool joins_pid = pid && !pid->path.empty();
  bool new_user = user && user->path.empty();
  bool joins_user_new_pid = cfg.linux && joins_user_with_new_pid(*cfg.linux);
  // A sealed install (README.md): this runtime runs sealed already, and the init is a clone.
  if (exe_is_sealed()) return true;
  if (!joins_pid && !new_user && !joins_user_new_pid) return false;
  ensure_sealed_exe(g.root);
  return true;
}

namespace {

// create, in its phases (create_container below runs them in order). Members are destroyed in
// reverse order: the transaction (which may destroy the cgroup and kill the init) before the
// cgroup manager and the sync channel.
class Creation {
 public:
  Creation(const GlobalOptions& g, const CreateOptions& o) : g_(g), o_(o), store_(g.root) {}

  // The config read (or taken from run) and refused early for what nucleus-oci does not do;
  // the runtime re-execs from its sealed view here when the config needs that.
  void load_config();
  // The seccomp filter compiled (or taken from the cache), Landlock rules, and the namespaces
  // planned (paths to join opened): errors before anything is made.
  void plan_init();
  // The cgroup planned (not made yet) and refused when frozen; the state directory with the
  // record, config.json and exec.fifo; the v2 cgroup directory the init starts in.
  void make_state_dir();
  // The rest of the init's Context: the fds it gets (fifo, console, sockets, sync channel).
  void prepare_init_context();
  // Clones the init (execs the sealed view, or a plain clone of a sealed runtime); returns
  // only in the runtime.
  void spawn_init();
  // What the init needs before it can go on: id maps, the prepared network namespace, and Go (its
  // pid and the state, for hooks and the seccomp agent).
  void hand_off();
  // The v1 cgroups and the limits, made while the init sets up its namespaces; then the init
  // joins them (self-attach through the v1 tasks files, else the classic attach).
  void join_cgroups();
  // Runs prestart/createRuntime hooks and opens mount sources when the init asks, until it
  // reports Ready.
  void wait_until_ready();
  // The record says created; --pid-file; nothing is undone any more.
  pid_t commit();

 private:
  [[noreturn]] void init_exited();
  // The limits and the device rules. Rootless, device rules that cannot be applied are skipped
  // (runc: "not expected to work"); every other limit is an error naming its field.
  void apply_resources();
  void send_to_init(SyncType type, std::string_view payload = {}, const std::vector<int>& fds = {});

  const GlobalOptions& g_;
  const CreateOptions& o_;
  Store store_;
  std::string text_;
  oci::Config cfg_;
  std::string rootfs_;
  bool runtime_sealed_ = false;
  std::unique_ptr<cgroups::Manager> cg_;  // outlives tx_, which may destroy it
  bool rootless_cgroups_ = false;
  std::optional<CreateTransaction> tx_;
  UniqueFd dir_;
  ContainerRecord rec_;
  UniqueFd sealed_init_;
  init::Context ctx_;
  std::string trace_out_;
  TraceMode trace_mode_ = TraceMode::Auto;
  TraceSockets trace_;
  TracerProcess tracer_;  // trace mode: its pid and the pipe it reports its mode on
  SyncChannel parent_;
  init::NetnsPrep netns_;
  FastAttach fast_;
  pid_t pid_ = 0;
  std::optional<MountSources> sources_;  // answers the init's MountRequests
};

void Creation::load_config() {
  Store::check_id(o_.id);
  // `run` may have read and parsed it already (to see process.terminal).
  text_ = o_.config ? o_.config->text : read_file(o_.bundle + "/config.json");
  cfg_ = o_.config ? o_.config->parsed : oci::parse_config(text_, "config.json");
  if (!cfg_.root) throw Error("config.json: root: required to create a container");
  if (!cfg_.linux) cfg_.linux.emplace();
  const oci::Linux& linux = *cfg_.linux;
  if (!linux.find_namespace("mount"))
    throw Error("config.json: linux.namespaces: a mount namespace is required");
  if (linux.intel_rdt)
    throw Error("config.json: linux.intelRdt: Intel RDT (resctrl) is not supported by nucleus-oci");
  if (!linux.net_devices.empty())
    throw Error(
        "config.json: linux.netDevices: moving network devices is not supported by nucleus-oci");
  check_sysctls(linux);
  if (cfg_.process) init::check_security_labels(*cfg_.process);
  rootless::check_config(cfg_);  // a non-root caller: runc's rootlessEUIDCheck
  // runc's warning, word for word; the init resolves such a destination against "/".
  for (const auto& m : cfg_.mounts)
    if (m.destination[0] != '/')
      log::warn("mount destination " + m.destination +
                " is not absolute. Support for non-absolute mount destinations will be removed "
                "in a future release.");
  check_idmapped_mounts(cfg_);
  if (linux.resources) cgroups::validate(host_layout(), *linux.resources);
  // Joining another container's pid namespace, the init is visible there before it could exec
  // the sealed binary: then this runtime re-execs from the sealed view first (it returns here
  // sealed), and the init is a plain clone of it. From a sealed install (README.md) the runtime
  // runs sealed already: its init is a plain clone too, with no second program start.
  runtime_sealed_ = seal_runtime_if_needed(g_, cfg_);
  rootfs_ = resolve_rootfs(o_.bundle, cfg_.root->path);
  if (!o_.console_socket.empty() && !(cfg_.process && cfg_.process->terminal))
    throw Error("--console-socket is set but process.terminal is false (runc refuses it too)");
  if (cfg_.process && cfg_.process->terminal && o_.console_socket.empty() && o_.console_fd < 0)
    throw Error("process.terminal is true: --console-socket is required to receive the pty");
}

void Creation::make_state_dir() {
  const oci::Linux& linux = *cfg_.linux;
  cgroups::Options copts;
  copts.id = o_.id;
  copts.cgroups_path = linux.cgroups_path;
  copts.systemd = g_.systemd_cgroup;
  if (copts.systemd) copts.annotations = cfg_.annotations;
  // runc's rootless cgroups: hierarchies the caller may not write to are left out, and only a
  // limit that needs one of them is an error (cgroups::Options::rootless).
  copts.rootless = rootless_cgroups_ =
      rootless::use_rootless_cgroups(g_.rootless, g_.systemd_cgroup);
  // runc's rootless systemd driver: the caller's own manager (user@UID.service) on its session
  // bus, not the system's.
  copts.systemd_user_bus = copts.systemd && rootless_cgroups_;
  cg_ = cgroups::make_manager(host_layout(), copts);
  // Before anything is made (runc's check and words): the init would freeze on joining, and
  // create with it.
  if (std::string why = cg_->frozen_for_join(); !why.empty())
    throw Error("container's cgroup unexpectedly frozen (" + why + ")");
  tx_.emplace(store_, o_.id);
  dir_ = store_.create_dir(o_.id);  // an id in use is that error, not the cgroup's
  tx_->dir_made();
  check_cgroup_empty(*cg_);
  rec_.id = o_.id;
  rec_.bundle = o_.bundle;
  rec_.rootfs = rootfs_;
  rec_.annotations = cfg_.annotations;
  // The cgroup is recorded before it exists: a runtime killed in between still leaves delete
  // what to remove.
  rec_.cgroup = cg_->serialize_planned();
  Store::save_new(dir_.get(), rec_, text_);
  if (::mkfifoat(dir_.get(), "exec.fifo", 0622) < 0) throw_sys("mkfifo exec.fifo");
  ::fchmodat(dir_.get(), "exec.fifo", 0622, 0);
  crash_point("state-dir");

  // The init starts in its v2 cgroup (clone3 CLONE_INTO_CGROUP, so that directory comes
  // first); the v1 ones are made while it loads and mounts.
  cg_->create_unified();
  tx_->cgroup(cg_.get());
  // The sealed view the init execs, unless this runtime already runs from it.
  if (!runtime_sealed_) sealed_init_ = sealed_exe_fd(g_.root);
}

void Creation::plan_init() {
  const oci::Linux& linux = *cfg_.linux;
  if (linux.seccomp) {
    std::vector<std::string> skipped;
    ctx_.seccomp.emplace(seccomp::build_cached(*linux.seccomp, kSeccompCacheDir, &skipped));
    for (const auto& s : skipped) log::debug("seccomp: skipping unknown syscall " + s);
  }
  ctx_.landlock = oci::landlock_from_annotations(cfg_.annotations);
  init::plan_namespaces(linux, ctx_);
}

void Creation::prepare_init_context() {
  const oci::Linux& linux = *cfg_.linux;
  ctx_.config = &cfg_;
  ctx_.id = o_.id;
  ctx_.bundle = o_.bundle;
  ctx_.rootfs = rootfs_;
  ctx_.preserve_fds = o_.preserve_fds;
  ctx_.no_pivot = o_.no_pivot;
  ctx_.no_new_keyring = o_.no_new_keyring;
  // Only for a clone of the sealed runtime (a new user namespace always is one).
  ctx_.dumpable_until_go =
      runtime_sealed_ && ::geteuid() != 0 && (ctx_.clone_flags & CLONE_NEWUSER);
  // The init gets the fifo itself (O_PATH), never the state directory: it reopens it through
  // procfs when it waits for `start` (runc's rule, CVE-2016-9962 / CVE-2024-21626 class).
  ctx_.exec_fifo = open_fd_at(dir_.get(), "exec.fifo", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  ctx_.cgroup_path = cg_->path();
  ctx_.cgroup_v1 = host_layout().v1;
  ctx_.cgroup_v2 = host_layout().v2;
  if (o_.console_fd >= 0)
    ctx_.console.reset(::fcntl(o_.console_fd, F_DUPFD_CLOEXEC, 3));
  else if (!o_.console_socket.empty() && cfg_.process && cfg_.process->terminal)
    ctx_.console = connect_unix(o_.console_socket, "console socket");
  if (!o_.pidfd_socket.empty()) ctx_.pidfd_sock = connect_unix(o_.pidfd_socket, "pidfd socket");

  if (ctx_.seccomp && ctx_.seccomp->uses_notify())
    ctx_.seccomp_listener = init::connect_seccomp_agent(*linux.seccomp);
  trace_out_ = o_.seccomp_trace;
  if (trace_out_.empty() && cfg_.annotations.count(kTraceAnnotation))
    trace_out_ = cfg_.annotations.at(kTraceAnnotation);
  if (!trace_out_.empty() && trace_out_[0] != '/')
    throw Error("annotation " + std::string(kTraceAnnotation) + ": must be an absolute path");
  trace_mode_ = TraceMode::Auto;
  if (!o_.seccomp_trace_mode.empty())
    trace_mode_ = parse_trace_mode(o_.seccomp_trace_mode, "--seccomp-trace-mode");
  else if (cfg_.annotations.count(kTraceModeAnnotation))
    trace_mode_ = parse_trace_mode(cfg_.annotations.at(kTraceModeAnnotation),
                                   "annotation " + std::string(kTraceModeAnnotation));
  if (!trace_out_.empty()) {
    trace_ = TraceSockets::make();
    ctx_.trace_sock = std::move(trace_.init_end);
  }
  SyncChannel child;
  SyncChannel::make_pair(parent_, child);
  ctx_.sync = std::move(child);
}

void Creation::spawn_init() {
  const oci::Linux& linux = *cfg_.linux;
  // A new network namespace, made alongside from here on (init::NetnsPrep), for the init to
  // join: the init's own unshare was 0.5 ms of its critical path. Not with a user namespace,
  // new or joined: the network namespace must belong to it, and only the init can make that.
  // Not for an init that is a clone of this runtime (runtime_sealed): a copy-on-write clone of
  // a process with a second thread inherits glibc's list of threads, and its setuid would wait
  // forever for the missing one (that init makes its own, while the runtime makes the cgroups).
  if (!runtime_sealed_ && (ctx_.unshare_flags & CLONE_NEWNET) && !linux.find_namespace("user"))
    netns_.start();
  // A non-root runtime joining a user and a pid namespace by path: it may setns the pid
  // namespace only from inside that user namespace; a helper joins both and clones the init
  // (init::clone_in_user_namespace), as for exec.
  const init::NamespaceJoin* user_join = nullptr;
  const init::NamespaceJoin* pid_join = nullptr;
  for (const auto& j : ctx_.joins) {
    if (j.clone_flag == CLONE_NEWUSER) user_join = &j;
    if (j.clone_flag == CLONE_NEWPID) pid_join = &j;
  }
  const bool pid_via_userns = ::geteuid() != 0 && user_join && pid_join;
  // Joining an existing pid namespace: only the children of a process enter it.
  UniqueFd own_pidns;
  for (const auto& j : ctx_.joins) {
    if (j.clone_flag != CLONE_NEWPID || pid_via_userns) continue;
    own_pidns = open_fd("/proc/self/ns/pid", O_RDONLY);
    if (::setns(j.fd.get(), CLONE_NEWPID) < 0)
      throw_sys("join pid namespace " + linux.find_namespace("pid")->path);
  }
  // The init starts in its v2 cgroup (clone3) and moves itself into the v1 ones: no
  // cgroup.procs write, no RCU grace period (runtime/attach.hpp).
  fast_ = FastAttach::open_unified(*cg_);
  std::optional<init::InitExec> init_exec;
  // The init reads the config again without the seccomp rules (it gets the compiled filter):
  // most of a Docker-like config's bytes, cut out of its copy.
  if (sealed_init_)
    init_exec.emplace(ctx_, sealed_init_.get(), oci::without_seccomp_rules(text_, cfg_),
                      parent_.fd());
  const auto flags = static_cast<unsigned long>(ctx_.clone_flags);
  long pid;
  if (joins_user_with_new_pid(linux)) {  // runtime_sealed too (seal_runtime_if_needed)
    pid = init::clone_in_user_namespace(flags, ctx_.joins, user_join->fd.get());
  } else if (pid_via_userns) {  // runtime_sealed too: the pid namespace is joined
    pid = init::clone_in_user_namespace(flags, ctx_.joins, user_join->fd.get(), pid_join->fd.get());
  } else
    pid = init_exec ? fast_.spawn(flags, &init::InitExec::child_entry, &*init_exec)
                    : fast_.clone(flags);
  if (pid == 0) {  // a clone of this (sealed) runtime is the init
    if (!ctx_.dumpable_until_go) ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    parent_.close();
    crash_point("init-loaded");
    init::run(ctx_);
  }
  int clone_err = errno;
  init_exec.reset();
  if (own_pidns) ::setns(own_pidns.get(), CLONE_NEWPID);
  if (pid < 0) throw_sys("clone the container init", clone_err);
  pid_ = static_cast<pid_t>(pid);
  tx_->child(pid_);
  sealed_init_.reset();
  crash_point("cloned");
  if (log::debug_enabled())
    log::debug("create " + o_.id + ": init cloned, pid " + std::to_string(pid_) +
               (!runtime_sealed_ ? " (execs the sealed init)" : " (sealed clone)"));
  // The init's ends: it has its copies now.
  ctx_.sync.close();
  ctx_.exec_fifo.reset();
  ctx_.console.reset();
  ctx_.pidfd_sock.reset();
  ctx_.seccomp_listener.reset();
  ctx_.trace_sock.reset();
}

// The init is gone without an error message of its own: reaped, and said how it ended.
void Creation::init_exited() {
  int status = 0;
  // It closed the channel by exiting: reaped at once (bounded all the same; tx kills it).
  if (!reap_within(pid_, 2000, &status))
    throw Error("container init closed its sync channel during create and did not exit");
  tx_->child(-1);
  throw Error("container init exited during create (" + describe_exit(status) + ")");
}

// A send fails when the init is gone (its exec failed, say): its own error is the one to
// report.
void Creation::send_to_init(SyncType type, std::string_view payload, const std::vector<int>& fds) {
  try {
    parent_.send(type, payload, fds);
  } catch (const Error&) {
    parent_.throw_peer_error();
    init_exited();
  }
}

void Creation::hand_off() {
  if (!trace_out_.empty()) {
    tracer_ = spawn_tracer(pid_, trace_out_, std::move(trace_.tracer_end), trace_mode_,
                           cg_->v2_directory());
    rec_.tracer = tracer_.pid;
  }
  if ((ctx_.clone_flags & CLONE_NEWUSER) && ::geteuid() != 0)
    rootless::write_id_maps(pid_, *cfg_.linux);  // own ids directly, else newuidmap/newgidmap
  else if (ctx_.clone_flags & CLONE_NEWUSER)
    init::write_id_maps(pid_, *cfg_.linux);
  rec_.init = ProcessId::of(pid_);
  Store::save(dir_.get(), rec_);
  sources_.emplace(cfg_, o_.bundle, pid_);
  if (UniqueFd net = netns_.take()) send_to_init(SyncType::NetnsFd, {}, {net.get()});
  // Go carries what hooks and the seccomp listener are told: the init's pid and the state.
  send_to_init(SyncType::Go,
               go_payload(pid_, oci::state_to_hook_json(make_state(rec_, "creating", pid_))));
}

void Creation::join_cgroups() {
  // While the init unshares its namespaces, mounts and makes /dev (it waits for CgroupJoined
  // before its cgroup namespace, cgroup mounts, hooks and pivot_root): the v1 cgroups, the
  // limits, and the v1 "tasks" files the init writes "0" to. The limits come before the join:
  // the device rules start from "deny all". The init's namespaces and mounts are thus charged
  // to the runtime's memory cgroup (a few KiB of kernel memory), not the container's.
  during(kStartFailed + "unable to apply cgroup configuration: ", [&] { cg_->start(pid_); });
  const oci::Namespace* pidns = cfg_.linux->find_namespace("pid");
  if (cg_->without_cgroup() && !(pidns && pidns->path.empty()))
    log::warn(
        "Creating a rootless container with no cgroup and no private pid namespace. Such "
        "configuration is strongly discouraged (as it is impossible to properly kill all "
        "container's processes) and will result in an error in a future version.");
  if (std::string made = cg_->serialize(); made != rec_.cgroup) {
    rec_.cgroup = std::move(made);
    Store::save(dir_.get(), rec_);
  }
  crash_point("cgroup");
  during(kInitPhase + "error setting cgroup config for procHooks process: ",
         [&] { apply_resources(); });
  bool attached = fast_.attached();
  if (attached) {
    std::vector<UniqueFd> tasks;
    try {
      for (const auto& f : cg_->v1_task_files()) tasks.push_back(open_fd(f, O_WRONLY));
    } catch (const Error& e) {
      log::debug(std::string("cgroup v1 self-attach unavailable (") + e.what() + ")");
      attached = false;
    }
    // All in one message (SyncChannel::kMaxFds is far above the ~12 v1 hierarchies there are).
    for (size_t i = 0; attached && i < tasks.size(); i += SyncChannel::kMaxFds) {
      std::vector<int> fds;
      for (size_t j = i; j < tasks.size() && j < i + SyncChannel::kMaxFds; ++j)
        fds.push_back(tasks[j].get());
      send_to_init(SyncType::TasksFd, {}, fds);
    }
  }
  fast_.close();
  // Where the init could not join by itself: the classic attach (on cgroup v1 the first write
  // to cgroup.procs waits for an RCU grace period).
  try {
    if (!attached) cg_->add_process(pid_);
  } catch (const Error& e) {
    // The init may have failed meanwhile (and be a zombie the cgroup refuses): its own error
    // is the one to report.
    ::kill(pid_, SIGKILL);
    during(kInitPhase, [&] { parent_.throw_peer_error(); });
    throw StartError(kStartFailed + "unable to apply cgroup configuration: " + e.what(), e.code());
  }
  try {
    parent_.send(SyncType::CgroupJoined);
  } catch (const Error&) {
    // The init is gone: wait_until_ready reports why.
  }
}

void Creation::apply_resources() {
  oci::Resources r = with_default_devices(cfg_.linux->resources);
  if (!rootless_cgroups_) {
    cg_->apply(r);
    return;
  }
  oci::Resources devices;
  devices.devices = std::move(r.devices);
  r.devices.clear();
  cg_->apply(r);
  try {
    cg_->apply(devices);
  } catch (const Error& e) {
    log::debug(std::string("rootless: device rules not applied (") + e.what() + ")");
  }
}

void Creation::wait_until_ready() {
  for (;;) {
    SyncMsg m;
    if (!recv_from_init(parent_, m, *cg_)) init_exited();
    if (m.type == SyncType::Error) throw Error(m.payload);
    // Only with prestart or createRuntime hooks (Hooks::runtime_side); the init has the state
    // from Go.
    if (m.type == SyncType::Hooks) {
      crash_point("prestart");
      std::string st = oci::state_to_hook_json(make_state(rec_, "creating", pid_));
      if (cfg_.hooks) {
        // runc runs them from the bundle (it chdirs there): relative paths work as under runc.
        HookOptions in_bundle{rec_.bundle};
        run_hooks(cfg_.hooks->prestart, st, "prestart", in_bundle);
        run_hooks(cfg_.hooks->create_runtime, st, "createRuntime", in_bundle);
      }
      parent_.send(SyncType::HooksDone);
      continue;
    }
    if (m.type == SyncType::MountRequest) {
      size_t index = 0;
      try {
        index = std::stoul(m.payload);
      } catch (const std::exception&) {
        throw Error("container init: bad mount request \"" + m.payload + "\"");
      }
      UniqueFd tree;
      try {
        tree = sources_->open(index);
      } catch (const Error& e) {
        if (index < cfg_.mounts.size()) throw init::mount_error(cfg_.mounts[index], e);
        throw;
      }
      parent_.send(SyncType::MountFd, m.payload, {tree.get()});
      continue;
    }
    if (m.type == SyncType::Ready) return;
    throw Error("container init: unexpected sync message");
  }
}

pid_t Creation::commit() {
  crash_point("ready");
  // The tracer loaded its eBPF program meanwhile (or found it cannot): which mode it records
  // in, said when it is not the one asked for.
  if (tracer_.choice) {
    std::string why_not;
    std::string mode = tracer_choice(tracer_, 10000, &why_not);
    if (mode == "notify" && !why_not.empty())
      log::warn("seccomp trace: eBPF recorder unavailable (" + why_not +
                "); recording with SECCOMP_RET_USER_NOTIF");
    if (log::debug_enabled()) log::debug("create " + o_.id + ": seccomp trace mode " + mode);
  }
  if (log::debug_enabled()) log::debug("create " + o_.id + ": init ready, waiting for start");
  rec_.created_done = true;
  rec_.creator = ProcessId{};
  Store::save(dir_.get(), rec_);
  crash_point("saved");
  if (!o_.pid_file.empty()) write_file_atomic(o_.pid_file, std::to_string(pid_), 0644);
  tx_->commit();
  return pid_;
}

}  // namespace

pid_t create_container(const GlobalOptions& g, const CreateOptions& o) {
  Creation c(g, o);
  c.load_config();
  c.plan_init();
  c.make_state_dir();
  c.prepare_init_context();
  c.spawn_init();
  // The init runs: its failures read as runc's parent.start() puts them (join_cgroups names
  // its own phases: "unable to apply cgroup configuration", "error setting cgroup config").
  during(kInitPhase, [&] {
    c.hand_off();
    c.join_cgroups();
    c.wait_until_ready();
  });
  return c.commit();
}

void start_container(const GlobalOptions& g, const std::string& id) {
  Store store(g.root);
  UniqueFd dir = store.open_locked(id);
  ContainerRecord rec = Store::load(dir.get(), id);
  std::string status = status_of(dir.get(), rec);
  if (status == "stopped") throw Error("cannot start a container that has stopped");
  if (status == "running") throw Error("cannot start an already running container");
  if (status != "created") throw Error("cannot start a container in the " + status + " state");

  int rfd = ::openat(dir.get(), "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (rfd < 0) throw_sys("open exec.fifo");
  UniqueFd fifo(rfd);
  // The init writes "0" once it is released, then keeps the fifo open until its exec (the fd is
  // close-on-exec) or its exit: a failure after the release is the container's own (its stderr,
  // exit status 255), as runc's; start has succeeded.
  // Once released (exec.fifo gone: the status is "running", no second start), the lock is let
  // go: the init may be paused before its exec, and `resume` must not wait for us. So is it
  // when the init is paused before it could write (runc waits for the resume too).
  bool released = false, unlocked = false, init_gone = false;
  for (;;) {
    pollfd p{fifo.get(), POLLIN, 0};
    int r = ::poll(&p, 1, init_gone ? 0 : 100);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      if (init_gone) throw Error("container init exited before start");
      // Gone since the poll? It may have written its "0" and exec'd a process that exited at
      // once (/bin/true under load): one more look at the fifo before saying it never started.
      if (!rec.init.alive()) {
        init_gone = true;
        continue;
      }
      if (!unlocked && is_frozen(rec)) {
        Store::unlock(dir.get());
        unlocked = true;
      }
      continue;
    }
    char buf[4096];
    ssize_t n = ::read(fifo.get(), buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) break;
    if (!released) {  // the "0"; nothing else comes before EOF
      released = true;
      ::unlinkat(dir.get(), "exec.fifo", 0);
      Store::unlock(dir.get());
      unlocked = true;
    }
  }
  if (!released) throw Error("container init exited before start");
  if (log::debug_enabled())
    log::debug("start " + id + ": the init exec'd the process (pid " +
               std::to_string(rec.init.pid) + ")");

  std::string cfg_text = read_file_at(dir.get(), "config.json");
  if (cfg_text.find("\"poststart\"") == std::string::npos) return;  // no hooks: no parse
  oci::Config cfg = oci::parse_config(cfg_text, "config.json");
  if (!cfg.hooks || cfg.hooks->poststart.empty()) return;
  try {
    run_hooks(cfg.hooks->poststart,
              oci::state_to_hook_json(make_state(rec, "running", rec.init.pid)), "poststart",
              HookOptions{rec.bundle});
  } catch (const Error&) {
    // runc and crun fail the start and remove the container (README.md, "Where nucleus-oci
    // follows runc rather than the runtime-spec"). The lock goes first: delete takes it.
    dir.reset();
    try {
      delete_container(g, id, true);
    } catch (const std::exception& e) {
      log::warn(std::string("removing the container after its poststart hook failed: ") + e.what());
    }
    throw;
  }
}

oci::State container_state(const GlobalOptions& g, const std::string& id) {
  Store store(g.root);
  UniqueFd dir = store.open_locked(id);
  ContainerRecord rec = Store::load(dir.get(), id);
  std::string status = status_of(dir.get(), rec);
  return make_state(rec, status, status == "stopped" ? 0 : rec.init.pid);
}

namespace {

// runc's Namespaces.IsPrivate(NEWPID): a pid namespace of its own (listed, without a path).
bool has_private_pid_namespace(int dir) {
  oci::Config cfg = oci::parse_config(read_file_at(dir, "config.json"), "config.json");
  if (!cfg.linux) return false;
  for (const auto& ns : cfg.linux->namespaces)
    if (ns.type == "pid") return ns.path.empty();
  return false;
}

// The container's processes when its cgroup holds none of them although the init runs
// (rootless: no hierarchy could be made, the processes stay in the caller's cgroups): every
// process in the init's pid namespace when it has one of its own, else the init and its
// descendants. Processes this user may not inspect are not its container's.
std::vector<pid_t> processes_outside_cgroup(const ContainerRecord& rec, bool private_pidns) {
  std::vector<pid_t> out;
  std::string init_ns = "/proc/" + std::to_string(rec.init.pid) + "/ns/pid";
  struct stat ns;
  if (private_pidns && ::stat(init_ns.c_str(), &ns) < 0) return out;
  std::map<pid_t, pid_t> parent;  // pid -> ppid (for the descendants)
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end) continue;
    std::string base = std::string("/proc/") + e->d_name;
    if (private_pidns) {
      struct stat st;
      if (::stat((base + "/ns/pid").c_str(), &st) == 0 && st.st_dev == ns.st_dev &&
          st.st_ino == ns.st_ino)
        out.push_back(static_cast<pid_t>(pid));
      continue;
    }
    try {
      std::string stat = read_file(base + "/stat");
      auto close = stat.rfind(')');
      if (close == std::string::npos) continue;
      char state = 0;
      long ppid = 0;
      if (std::sscanf(stat.c_str() + close + 1, " %c %ld", &state, &ppid) == 2)
        parent[static_cast<pid_t>(pid)] = static_cast<pid_t>(ppid);
    } catch (const Error&) {
    }
  }
  ::closedir(d);
  if (!private_pidns) {
    for (const auto& [pid, ppid] : parent) {
      for (pid_t p = pid; p > 1;) {
        if (p == rec.init.pid) {
          out.push_back(pid);
          break;
        }
        auto it = parent.find(p);
        if (it == parent.end()) break;
        p = it->second;
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The container's processes: its cgroup's, or where that holds none while the init runs
// (rootless without a cgroup), processes_outside_cgroup.
std::vector<pid_t> container_processes(int dir, const ContainerRecord& rec,
                                       const cgroups::Manager* cg) {
  std::vector<pid_t> pids = cg ? cg->pids() : std::vector<pid_t>{};
  if (!pids.empty() || !rec.init.alive()) return pids;
  return processes_outside_cgroup(rec, has_private_pid_namespace(dir));
}

// Signals every process of a container whose cgroup holds none (container_processes).
void signal_outside_cgroup(int dir, const ContainerRecord& rec, int signal) {
  int err = 0;
  pid_t failed = 0;
  for (pid_t p : container_processes(dir, rec, nullptr))
    if (::kill(p, signal) < 0 && errno != ESRCH && !err) err = errno, failed = p;
  if (err) throw_sys("kill " + std::to_string(failed), err);
}

}  // namespace

void kill_container(const GlobalOptions& g, const std::string& id, int signal, bool all) {
  Store store(g.root);
  UniqueFd dir = store.open_locked(id);
  ContainerRecord rec = Store::load(dir.get(), id);
  std::string status = status_of(dir.get(), rec);
  // runc 1.2+: --all (obsolete there) makes a stopped container no error.
  if (all && status == "stopped") return;
  if (all && !rec.cgroup.empty()) {
    auto cg = cgroups::open_manager(host_layout(), rec.cgroup);
    if (cg->pids().empty() && rec.init.alive())
      signal_outside_cgroup(dir.get(), rec, signal);  // rootless, without a cgroup
    else
      cg->kill_all(signal);
    return;
  }
  // runc's Container.Signal: without a pid namespace of its own, the init's death does not take
  // the other processes with it, so SIGKILL goes to every process of the cgroup, also when the
  // init is gone already (status "stopped" then, with processes left).
  if (signal == SIGKILL && status != "creating" && !rec.cgroup.empty() &&
      !has_private_pid_namespace(dir.get())) {
    auto cg = cgroups::open_manager(host_layout(), rec.cgroup);
    if (!rec.init.alive() && cg->pids().empty()) throw Error("container not running");
    cg->kill_all(SIGKILL);
    return;
  }
  if (status == "stopped" || status == "creating") throw Error("container not running");
  UniqueFd pfd = open_pidfd(rec.init.pid);
  if (!pfd || !rec.init.alive()) throw Error("container not running");
  if (::syscall(SYS_pidfd_send_signal, pfd.get(), signal, nullptr, 0) < 0)
    throw_sys("kill container " + id);
  // A process in a frozen cgroup v1 freezer dies of SIGKILL only once thawed: thawed then, so
  // that a caller waiting for the exit does not wait for a resume (as runc).
  if (signal == SIGKILL && status == "paused")
    cgroups::open_manager(host_layout(), rec.cgroup)->thaw();
}

void delete_container(const GlobalOptions& g, const std::string& id, bool force) {
  Store store(g.root);
  UniqueFd dir;
  try {
    dir = store.open_locked(id);
  } catch (const Error& e) {
    if (force && e.code() == ENOENT) return;
    throw;
  }
  ContainerRecord rec = Store::load(dir.get(), id);
  std::string status = status_of(dir.get(), rec);
  // A created container is killed and deleted, as runc and crun do (the runtime-spec says
  // deleting a container that is not stopped must fail: README.md, "Where nucleus-oci follows
  // runc rather than the runtime-spec"). A running or paused one needs --force.
  if (!force && status != "stopped" && status != "created")
    throw Error("cannot delete container " + id + " that is not stopped: " + status);

  std::unique_ptr<cgroups::Manager> cg;
  if (!rec.cgroup.empty()) {
    try {
      cg = cgroups::open_manager(host_layout(), rec.cgroup);
    } catch (const std::exception& e) {
      log::warn(std::string("delete: ") + e.what());
    }
  }
  if (status == "creating" && rec.creator.alive()) {
    ::kill(rec.creator.pid, SIGKILL);
    wait_gone(rec.creator, 5000);
  }
  if (rec.init.alive()) {
    ::kill(rec.init.pid, SIGKILL);
    if (cg && cg->frozen()) cg->thaw();
    if (!wait_gone(rec.init, 10000))
      throw Error("container " + id + ": init did not exit after SIGKILL");
  }
  if (cg) {
    // Processes that outlive the init (a shared pid namespace) go too.
    if (!cg->pids().empty()) {
      cg->kill_all(SIGKILL);
      if (cg->frozen()) cg->thaw();
    }
  }
  if (rec.created_done) {
    try {
      std::string text = read_file_at(dir.get(), "config.json");
      // No "poststop" anywhere: no hooks to run, no parse.
      std::optional<oci::Config> cfg;
      if (text.find("\"poststop\"") != std::string::npos)
        cfg = oci::parse_config(text, "config.json");
      if (cfg && cfg->hooks && !cfg->hooks->poststop.empty())
        run_hooks_warn(cfg->hooks->poststop, oci::state_to_hook_json(make_state(rec, "stopped", 0)),
                       "poststop", HookOptions{rec.bundle});
    } catch (const std::exception& e) {
      log::warn(std::string("poststop hooks: ") + e.what());
    }
  }
  if (cg) cg->destroy();
  // Trace mode: the tracer writes its file once the last traced process is gone.
  if (rec.tracer.alive() && !wait_gone(rec.tracer, 10000))
    log::warn("seccomp tracer of " + id + " did not finish in 10s");
  store.remove(id);
  if (log::debug_enabled()) log::debug("delete " + id + ": removed");
}

}  // namespace nucleus

namespace nucleus {
namespace {
std::unique_ptr<cgroups::Manager> running_cgroup(const GlobalOptions& g, const std::string& id,
                                                 UniqueFd& dir, std::string& status) {
  Store store(g.root);
  dir = store.open_locked(id);
  ContainerRecord rec = Store::load(dir.get(), id);
  status = status_of(dir.get(), rec);
  if (rec.cgroup.empty()) throw Error("container " + id + " has no cgroup");
  return cgroups::open_manager(host_layout(), rec.cgroup);
}
}  // namespace

void pause_container(const GlobalOptions& g, const std::string& id) {
  UniqueFd dir;
  std::string status;
  auto cg = running_cgroup(g, id, dir, status);
  if (status != "running" && status != "created") throw Error("container not running");
  cg->freeze();
}

void resume_container(const GlobalOptions& g, const std::string& id) {
  UniqueFd dir;
  std::string status;
  auto cg = running_cgroup(g, id, dir, status);
  if (status != "paused") throw Error("container not paused");
  cg->thaw();
}

std::vector<pid_t> container_pids(const GlobalOptions& g, const std::string& id) {
  UniqueFd dir;
  std::string status;
  auto cg = running_cgroup(g, id, dir, status);
  return container_processes(dir.get(), Store::load(dir.get(), id), cg.get());
}

namespace {
// runc's list: the owner of a container is the owner of its state directory, by name ("#UID"
// when the uid has none).
std::string state_dir_owner(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) < 0) return "";
  if (const passwd* pw = ::getpwuid(st.st_uid)) return pw->pw_name;
  return "#" + std::to_string(st.st_uid);
}
}  // namespace

std::vector<oci::State> list_containers(const GlobalOptions& g) {
  Store store(g.root);
  std::vector<oci::State> out;
  for (const auto& id : store.list()) {
    try {
      out.push_back(container_state(g, id));
      out.back().owner = state_dir_owner(store.dir(id));
    } catch (const std::exception& e) {
      log::debug(std::string("list: ") + e.what());
    }
  }
  return out;
}

}  // namespace nucleus

namespace nucleus {

void update_container(const GlobalOptions& g, const std::string& id, const oci::Resources& r) {
  UniqueFd dir;
  std::string status;
  auto cg = running_cgroup(g, id, dir, status);
  if (status == "stopped") throw Error("container " + id + " is not running");
  // Device rules are not updated, as runc does not: on cgroup v1 they are rewritten from "deny
  // all", which would refuse the running container its devices in between, and the list given
  // would replace the defaults every container needs (/dev/null...).
  if (!r.devices.empty()) {
    log::warn("update: linux.resources.devices is ignored (device rules are set at create)");
    oci::Resources without = r;
    without.devices.clear();
    cg->apply(without);
    return;
  }
  cg->apply(r);
}

ContainerStats container_stats(const GlobalOptions& g, const std::string& id) {
  UniqueFd dir;
  ContainerStats s;
  auto cg = running_cgroup(g, id, dir, s.status);
  if (s.status == "stopped") throw Error("container " + id + " is not running");
  s.stats = cg->stats();
  s.oom_kills = cg->oom_kill_count();
  return s;
}

}  // namespace nucleus
