#include "runtime/exec.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
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
#include <cstring>
#include <memory>

#include "cgroups/manager.hpp"
#include "runtime/attach.hpp"
#include "runtime/init/init.hpp"
#include "runtime/init/landlock.hpp"
#include "runtime/init/namespaces.hpp"
#include "runtime/init/procfs.hpp"
#include "runtime/init/seccomp_agent.hpp"
#include "runtime/log.hpp"
#include "runtime/store.hpp"
#include "runtime/sync.hpp"
#include "seccomp/cache.hpp"
#include "seccomp/filter.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"
#include "util/socket.hpp"

namespace nucleus {
namespace {

bool has_cap(const std::vector<std::string>& v, const char* name) {
  return std::find(v.begin(), v.end(), name) != v.end();
}

// The seccomp agent of a profile with SCMP_ACT_NOTIFY rules: connected by the runtime, which
// tells the child its host pid and the container's state with Go; the child sends its notify fd
// right after loading the filter, as the init does.
struct SeccompAgent {
  const oci::Seccomp* profile = nullptr;
  UniqueFd sock;
  pid_t host_pid = 0;
  std::string state_json;

  void take_go(const std::string& payload) {
    if (sock) parse_go_payload(payload, host_pid, state_json);
  }
  void send(UniqueFd notify) {
    if (notify && sock)
      init::send_to_seccomp_agent(sock.get(), notify.get(), host_pid, *profile, state_json);
    sock.reset();
  }
};

[[noreturn]] void exec_child(const oci::Process& proc, std::vector<init::NamespaceJoin>& joins,
                             SyncChannel& sync, UniqueFd& console, UniqueFd& pidfd_sock,
                             std::optional<seccomp::Filter>& filter,
                             const std::optional<oci::Landlock>& landlock, int preserve_fds,
                             const std::vector<int>& self_attach_fds, SeccompAgent& agent,
                             const oci::Linux& linux, bool console_is_ours) {
  try {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    // Its own session and process group, as runc's (nsexec's setsid): not the runtime's, which
    // is outside the container (pgid 0 there) and gets the terminal's signals.
    if (::setsid() < 0) throw_sys("setsid");
    init::log_affinity();  // execCPUAffinity.initial, inherited from the runtime
    const bool narrowed = init::affinity_is_narrowed();
    self_attach(self_attach_fds);  // before joining any namespace
    // Go carries "PID\nSTATE-JSON" for the seccomp agent: this process's pid on the host.
    agent.take_go(sync.expect(SyncType::Go, "waiting for the runtime").payload);
    std::vector<int> keep = {sync.fd(), console.get(), pidfd_sock.get(), log::fd(),
                             agent.sock.get()};
    for (const auto& j : joins) keep.push_back(j.fd.get());
    close_fds_except(3 + preserve_fds, keep);
    for (int fd = 3; fd < 3 + preserve_fds; ++fd) {
      int fl = ::fcntl(fd, F_GETFD);
      if (fl >= 0) ::fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
    }
    const bool userns = init::join_namespaces(joins, [](const init::NamespaceJoin& j) {
      return "the container's " + j.type + " namespace";
    });
    if (userns) {
      if (::setresgid(0, 0, 0) < 0) throw_sys("setresgid 0 in the container's user namespace");
      if (::setresuid(0, 0, 0) < 0) throw_sys("setresuid 0 in the container's user namespace");
    }
    // The init's Landlock rules, built the same way in the container's mount namespace.
    UniqueFd ruleset;
    if (landlock) ruleset = init::landlock::build_ruleset(*landlock);
    if (proc.terminal) init::setup_console(proc, console, console_is_ours);
    init::send_own_pidfd(pidfd_sock, "setns");
    init::apply_process_attrs(proc, init::has_allowed_cpus(linux));
    init::apply_personality(linux);
    if (proc.oom_score_adj)
      init::write_private_proc(init::proc_self() + "/oom_score_adj",
                               std::to_string(*proc.oom_score_adj), "process.oomScoreAdj");
    init::enter_cwd(proc.cwd);
    bool keep_admin = (filter || ruleset) && !proc.no_new_privileges && proc.capabilities &&
                      !has_cap(proc.capabilities->effective, "CAP_SYS_ADMIN");
    init::apply_user_and_caps(proc, keep_admin);
    init::Prepared prepared = init::prepare_process(proc);
    if (proc.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
      throw_sys("prctl PR_SET_NO_NEW_PRIVS");
    sync.expect(SyncType::CgroupJoined, "waiting for the runtime to join the cgroup");
    init::apply_exec_affinity(proc, narrowed);
    // A runtime killed while this process sat in a paused container (--ignore-paused; on
    // cgroup2 it starts there frozen, before its death signal is set) left its messages
    // readable: its closed end says it is gone, and nobody waits for this process any more.
    pollfd peer{sync.fd(), POLLRDHUP, 0};
    if (::poll(&peer, 1, 0) > 0 && (peer.revents & (POLLHUP | POLLRDHUP)))
      throw Error("exec: the runtime exited while the process was starting");
    // The process outlives the runtime (exec --detach): the death signal ends here, before the
    // filters that may deny prctl.
    ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    init::landlock::restrict_self(ruleset);
    if (filter) agent.send(filter->load());
    if (keep_admin) init::drop_kept_sys_admin(proc);
    init::exec_process(prepared);
  } catch (const std::exception& e) {
    try {
      sync.send(SyncType::Error, e.what());
    } catch (...) {
    }
  }
  _exit(127);
}

}  // namespace

oci::Process container_process(const GlobalOptions& g, const std::string& id) {
  Store store(g.root);
  UniqueFd dir = store.open_locked(id);
  oci::Config cfg = oci::parse_config(read_file_at(dir.get(), "config.json"), "config.json");
  return cfg.process ? *cfg.process : oci::Process{};
}

pid_t exec_in_container(const GlobalOptions& g, const ExecOptions& o) {
  Store store(g.root);
  UniqueFd dir = store.open_locked(o.id);
  ContainerRecord rec = Store::load(dir.get(), o.id);
  if (!rec.created_done || !rec.init.alive()) throw Error("cannot exec in a stopped container");
  oci::Config cfg = oci::parse_config(read_file_at(dir.get(), "config.json"), "config.json");
  if (!cfg.linux) cfg.linux.emplace();
  std::unique_ptr<cgroups::Manager> cg;
  if (!rec.cgroup.empty()) {
    cg = cgroups::open_manager(cgroups::Layout::detect(), rec.cgroup);
    if (!o.ignore_paused && cg->frozen())
      throw Error("cannot exec in a paused container (use --ignore-paused to override)");
  }
  if (o.process.args.empty()) throw Error("exec: process.args must not be empty");
  init::check_security_labels(o.process);
  if (o.process.cwd.empty() || o.process.cwd[0] != '/')
    throw Error("exec: process.cwd must be an absolute path");
  if (cg && !o.sub_cgroups.empty()) cg = cg->sub_cgroup(o.sub_cgroups);  // exec --cgroup

  std::optional<seccomp::Filter> filter;
  if (cfg.linux->seccomp)
    filter.emplace(seccomp::build_cached(*cfg.linux->seccomp, kSeccompCacheDir, nullptr));
  std::optional<oci::Landlock> landlock = oci::landlock_from_annotations(cfg.annotations);
  SeccompAgent agent;
  if (filter && filter->uses_notify()) {
    agent.profile = &*cfg.linux->seccomp;
    agent.sock = init::connect_seccomp_agent(*agent.profile);
  }

  // Join what the container's init has, user first and mount last.
  std::vector<init::NamespaceJoin> joins;
  std::string base = "/proc/" + std::to_string(rec.init.pid) + "/ns/";
  // A restored container's init may be in a time namespace CRIU made (runc adds it to its
  // config after a restore): joined too, so that the process sees the init's clocks.
  auto other_time_ns = [&] {
    struct stat a, b;
    return ::stat((base + "time").c_str(), &a) == 0 && ::stat("/proc/self/ns/time", &b) == 0 &&
           (a.st_ino != b.st_ino || a.st_dev != b.st_dev);
  };
  for (const auto& type : init::namespace_types()) {
    const int flag = init::namespace_flag(type);
    if (!cfg.linux->find_namespace(type) && !(flag == CLONE_NEWTIME && other_time_ns())) continue;
    int fd = ::open((base + init::proc_ns_name(flag)).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw_sys("open the container's " + type + " namespace");
    joins.push_back({flag, type, UniqueFd(fd)});
  }
  if (!rec.init.alive()) throw Error("cannot exec in a stopped container");

  UniqueFd console;
  if (o.process.terminal) {
    if (o.console_fd >= 0)
      console.reset(::fcntl(o.console_fd, F_DUPFD_CLOEXEC, 3));
    else if (!o.console_socket.empty())
      console = connect_unix(o.console_socket, "console socket");
    else
      throw Error("process.terminal is true: --console-socket is required to receive the pty");
  }
  UniqueFd pidfd_sock;
  if (!o.pidfd_socket.empty()) pidfd_sock = connect_unix(o.pidfd_socket, "pidfd socket");

  SyncChannel parent, child;
  SyncChannel::make_pair(parent, child);
  std::optional<init::InitialAffinity> initial(std::in_place, o.process);
  // A non-root runtime may join the container's pid namespace only from inside its user
  // namespace (setns needs CAP_SYS_ADMIN in the caller's own user namespace): a helper joins
  // both and clones the process, as runc's nsexec stage 1 does.
  auto find_join = [&](int flag) -> init::NamespaceJoin* {
    for (auto& j : joins)
      if (j.clone_flag == flag) return &j;
    return nullptr;
  };
  init::NamespaceJoin* user_join = find_join(CLONE_NEWUSER);
  init::NamespaceJoin* pid_join = find_join(CLONE_NEWPID);
  const bool via_userns = ::geteuid() != 0 && user_join && pid_join;
  UniqueFd own_pidns;
  if (pid_join && !via_userns) {
    own_pidns = open_fd("/proc/self/ns/pid", O_RDONLY);
    if (::setns(pid_join->fd.get(), CLONE_NEWPID) < 0)
      throw_sys("join the container's pid namespace");
  }
  // As create: the process starts in the v2 cgroup and moves itself into the v1 ones.
  FastAttach fast;
  if (cg && !via_userns) fast = FastAttach::open(*cg);
  long pid = via_userns
                 ? init::clone_in_user_namespace(0, joins, user_join->fd.get(), pid_join->fd.get())
                 : fast.clone(0);
  if (pid == 0) {
    parent.close();
    exec_child(o.process, joins, child, console, pidfd_sock, filter, landlock, o.preserve_fds,
               fast.task_fds(), agent, *cfg.linux, o.console_fd >= 0);
  }
  int err = errno;
  initial.reset();
  fast.close();
  if (own_pidns) ::setns(own_pidns.get(), CLONE_NEWPID);
  if (pid < 0) throw_sys("clone the exec process", err);
  child.close();
  console.reset();
  pidfd_sock.reset();
  if (log::debug_enabled())
    log::debug("exec in " + o.id + ": process cloned, pid " + std::to_string(pid));
  std::string go;
  if (agent.sock) {
    agent.sock.reset();
    go = go_payload(static_cast<pid_t>(pid),
                    oci::state_to_hook_json(make_state(rec, "running", rec.init.pid)));
  }
  // Go first: the child joins the namespaces and prepares while the cgroup attach (an RCU
  // grace period on cgroup v1) runs; it waits for CgroupJoined before its last steps.
  parent.send(SyncType::Go, go);
  try {
    if (cg && !fast.attached()) cg->add_process(static_cast<pid_t>(pid));
    parent.send(SyncType::CgroupJoined);
  } catch (...) {
    // The child may have failed meanwhile: its own error is the one to report. In a paused
    // container (--ignore-paused) it dies only at the resume: not waited for then.
    ::kill(static_cast<pid_t>(pid), SIGKILL);
    reap_within(static_cast<pid_t>(pid), 1000);
    try {
      parent.throw_peer_error();
      throw;
    } catch (const Error& e) {
      throw Error(kStartFailed + e.what(), e.code());
    }
  }
  // From here on we only wait for the child, which a paused container (--ignore-paused) holds
  // until `resume`: that command must not wait for our lock meanwhile (nor for the child's
  // inherited copy of it, released with ours).
  Store::unlock(dir.get());
  // The channel closes on a successful exec (close-on-exec); an error arrives as a message.
  SyncMsg m;
  if (parent.recv(m)) {
    reap_within(static_cast<pid_t>(pid), 1000);
    throw Error(kStartFailed +
                (m.type == SyncType::Error ? m.payload : "exec: unexpected sync message"));
  }
  if (!o.pid_file.empty()) {
    try {
      write_file_atomic(o.pid_file, std::to_string(pid), 0644);
    } catch (...) {
      // runc terminates the process it cannot account for.
      ::kill(static_cast<pid_t>(pid), SIGKILL);
      ::waitpid(static_cast<pid_t>(pid), nullptr, 0);
      throw;
    }
  }
  return static_cast<pid_t>(pid);
}

}  // namespace nucleus
