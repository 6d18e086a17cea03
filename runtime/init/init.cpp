// The container init's sequence. Each step lives in its own file; this one orders them.
#include "runtime/init/init.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "oci/state.hpp"
#include "runtime/hooks.hpp"
#include "runtime/init/landlock.hpp"
#include "runtime/init/procfs.hpp"
#include "runtime/init/seccomp_agent.hpp"
#include "runtime/log.hpp"
#include "runtime/tracer.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/socket.hpp"

namespace nucleus::init {
namespace {

// Only stdio, the preserved fds and the init's own fds survive: everything else the runtime
// had open is closed now (its copy of the state dir lock among them: a flock lives as long as
// any copy of its fd), and the init's own fds are close-on-exec.
void sanitize_fds(const Context& ctx) {
  auto channels = channel_fds(ctx);
  std::vector<int> keep(channels.begin(), channels.end());
  for (const auto& j : ctx.joins) keep.push_back(j.fd.get());
  close_fds_except(3 + ctx.preserve_fds, keep);
  for (int fd = 3; fd < 3 + ctx.preserve_fds; ++fd) {
    int fl = ::fcntl(fd, F_GETFD);
    if (fl >= 0) ::fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
  }
}

void join_session_keyring(const std::string& id) {
  // KEYCTL_JOIN_SESSION_KEYRING = 1. Hosts without keyrings (or denied by policy) are fine.
  ::syscall(SYS_keyctl, 1, ("_ses." + id).c_str());
}

void on_stop_signal(int sig) {
  _exit(128 + sig);
}

// Between Ready and exec, the init is the container's pid 1 with no workload yet: let the
// usual stop signals end it (pid 1 ignores signals that have no handler).
void set_stop_handlers(bool install) {
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) {
    struct sigaction sa {};
    sa.sa_handler = install ? on_stop_signal : SIG_DFL;
    sigaction(sig, &sa, nullptr);
  }
}

bool has_cap(const std::vector<std::string>& v, const char* name) {
  return std::find(v.begin(), v.end(), name) != v.end();
}

// Waits for `start`: opening exec.fifo for writing blocks until start opens it for reading.
// The fifo is reopened from its O_PATH fd through procfs, as runc does, so the init never has
// an fd of the host's state directory; once open, the O_PATH fd is closed.
// The "0" tells start that the init was released.
UniqueFd wait_for_start(Context& ctx, FdReopener reopener) {
  UniqueFd fifo = reopener.reopen(ctx.exec_fifo.get(), O_WRONLY);
  ctx.exec_fifo.reset();
  if (::write(fifo.get(), "0", 1) != 1) throw_sys("write exec.fifo");
  return fifo;
}

// After `start` released the init, a failure (a startContainer hook, the execve) is the
// container's own, as runc's init has it: the text on the container's stderr, exit status 255.
// `start` has succeeded by then; `run` exits with the container's 255 ("exec /run.sh: no such
// file or directory", "exec /app: exec format error" in an engine's container log).
[[noreturn]] void fail_after_start(const char* msg) {
  dprintf(2, "%s\n", msg);
  _exit(255);
}

void reset_signals() {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    signal(sig, SIG_DFL);
  }
}

// startContainer hooks see the container as "created" (it has not exec'd yet), as runc.
std::string created_state(std::string json) {
  const std::string from = "\"status\":\"creating\"";
  if (auto at = json.find(from); at != std::string::npos)
    json.replace(at, from.size(), "\"status\":\"created\"");
  return json;
}

// Go carries "PID\nSTATE-JSON": the init's host pid and the state hooks receive.
void take_state(Context& ctx, const std::string& payload) {
  parse_go_payload(payload, ctx.host_pid, ctx.state_json);
}

// The runtime runs prestart and createRuntime hooks between Hooks and HooksDone. Without such
// hooks neither side waits for the other here (both read the same config).
void wait_for_runtime_hooks(Context& ctx) {
  if (!ctx.config->hooks || !ctx.config->hooks->runtime_side()) return;
  ctx.sync.send(SyncType::Hooks);
  SyncMsg m;
  if (!ctx.sync.recv(m)) throw Error("waiting for prestart hooks: the runtime exited");
  if (m.type == SyncType::Error) throw Error(m.payload);
  if (m.type != SyncType::HooksDone) throw Error("waiting for prestart hooks: unexpected message");
}

// runtime-spec seccomp listener protocol (seccomp_agent.hpp): the notify fd and the state.
void send_to_listener(Context& ctx, int notify_fd) {
  send_to_seccomp_agent(ctx.seccomp_listener.get(), notify_fd, ctx.host_pid,
                        *ctx.config->linux->seccomp, ctx.state_json);
  ctx.seccomp_listener.reset();
}

}  // namespace

[[noreturn]] void run(Context& ctx) {
  UniqueFd fifo;
  try {
    log_affinity();
    ctx.affinity_narrowed = affinity_is_narrowed();
    // The caller (run) blocks signals to forward them; the workload starts with a clean slate.
    reset_signals();
    // Its own session and process group, as runc's init (nsexec's setsid): not the runtime's,
    // which a terminal's ^C would signal as well.
    if (::getsid(0) != ::getpid() && ::setsid() < 0) throw_sys("setsid");
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    // Not dumpable until exec: other processes in the container cannot open our /proc files
    // (and /proc/self/exe, the runtime binary, with them).
    if (!ctx.dumpable_until_go) ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    sanitize_fds(ctx);
    for (;;) {  // a network namespace to join and prepared mount trees, then Go
      SyncMsg m;
      if (!ctx.sync.recv(m)) throw Error("waiting for the runtime: it exited");
      if (m.type == SyncType::Error) throw Error(m.payload);
      if (m.type == SyncType::Go) {
        // Joining a namespace by path, the init is no longer dumpable from here on (it is in a
        // security context not its own). Otherwise it stays dumpable until its exec, as runc's
        // nsexec leaves it: the caller's own `exec` into the created container opens its
        // /proc/PID/ns files (not dumpable, they belong to the host's root). What it holds is
        // the caller's own, and only the container's root (the caller) may ptrace it.
        if (ctx.dumpable_until_go && !ctx.joins.empty()) ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        take_state(ctx, m.payload);
        break;
      }
      if (m.type == SyncType::NetnsFd && m.fd) {
        NamespaceJoin j;
        j.clone_flag = CLONE_NEWNET;
        j.type = "network";
        j.fd = std::move(m.fd);
        ctx.joins.push_back(std::move(j));
        ctx.unshare_flags &= ~CLONE_NEWNET;
        continue;
      }
      throw Error("waiting for the runtime: bad message");
    }
    // A config without process can be created; `start` then fails (the spec's rule).
    static const oci::Process kNone;
    const bool has_process = ctx.config->process.has_value();
    const oci::Process& proc = has_process ? *ctx.config->process : kNone;
    setup_namespaces(ctx);
    if (proc.oom_score_adj) {
      try {
        write_file("/proc/self/oom_score_adj", std::to_string(*proc.oom_score_adj));
      } catch (const Error& e) {
        // Rootless: lowering it needs CAP_SYS_RESOURCE on the host.
        throw Error(std::string("process.oomScoreAdj: ") + e.what(), e.code());
      }
    }
    if (!ctx.no_new_keyring) join_session_keyring(ctx.id);
    setup_rootfs(ctx);
    wait_for_runtime_hooks(ctx);
    // From the root filesystem, before pivot_root (runc fchdirs to it): a hook's relative
    // paths are the container's.
    if (ctx.config->hooks)
      run_hooks(ctx.config->hooks->create_container, ctx.state_json, "createContainer",
                HookOptions{ctx.rootfs});
    finish_rootfs(ctx);
    // Rule paths are container paths, opened while the init can still open them all.
    if (ctx.landlock) ctx.landlock_ruleset = landlock::build_ruleset(*ctx.landlock);
    // How exec.fifo will be reopened: chosen while the init still has CAP_SYS_ADMIN (a container
    // without /proc needs a procfs of its own).
    FdReopener fifo_reopener = FdReopener::prepare();
    bool keep_admin = false;
    Prepared prepared;
    if (has_process) {
      if (proc.terminal) setup_console(proc, ctx.console);
      send_own_pidfd(ctx.pidfd_sock, "standard");
      apply_process_attrs(proc, has_allowed_cpus(*ctx.config->linux));
      apply_linux_process_attrs(*ctx.config->linux);
      enter_cwd(proc.cwd);
      keep_admin = (ctx.seccomp || ctx.trace_sock || ctx.landlock_ruleset) &&
                   !proc.no_new_privileges && proc.capabilities &&
                   !has_cap(proc.capabilities->effective, "CAP_SYS_ADMIN");
      apply_user_and_caps(proc, keep_admin);
      prepared = prepare_process(proc);
      if (proc.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        throw_sys("prctl PR_SET_NO_NEW_PRIVS");
    }
    set_stop_handlers(true);
    // Cleared before Ready: create exits as soon as it reads Ready, and the init must survive
    // that. (Should the runtime die before reading it, the record holds the init's pid and
    // `delete --force` ends it.)
    ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    // While it waits for `start`, the init holds nothing of the host but stdio and the fifo's
    // O_PATH fd: not the --log file, not the unmasked private procfs of the sysctl writes
    // (conformance/attacks/init_fds.bats).
    release_private_proc();
    log::close_file();
    ctx.sync.send(SyncType::Ready);
    ctx.sync.close();

    fifo = wait_for_start(ctx, std::move(fifo_reopener));
    if (!has_process) throw Error("config.json: process: not set, there is nothing to start");
    // runc loads the container's seccomp filter before the startContainer hooks (with or
    // without noNewPrivileges), so they run under it (runc's seccomp.bats "startContainer
    // hook"); in trace mode the hooks come first (the trace is the workload's).
    const bool filter_first =
        !ctx.trace_sock && ctx.config->hooks && !ctx.config->hooks->start_container.empty();
    // Landlock first: nothing after it opens a file but the exec, and seccomp profiles need
    // not allow the landlock syscalls.
    auto confine = [&] {
      landlock::restrict_self(ctx.landlock_ruleset);
      if (ctx.trace_sock) init_start_trace(ctx.trace_sock.get(), ctx.dumpable_until_go);
      if (ctx.seccomp) {
        UniqueFd notify = ctx.seccomp->load();
        if (notify && ctx.seccomp_listener) send_to_listener(ctx, notify.get());
      }
    };
    if (filter_first) confine();
    // In the container, from process.cwd; a hook without env gets the process's (runc).
    if (ctx.config->hooks)
      run_hooks(ctx.config->hooks->start_container, created_state(ctx.state_json), "startContainer",
                HookOptions{{}, &prepared.env});
    set_stop_handlers(false);
    if (!filter_first) confine();
    if (keep_admin) drop_kept_sys_admin(proc);
    exec_process(prepared);
  } catch (const std::exception& e) {
    if (fifo) fail_after_start(e.what());
    report_error(ctx, e.what());
  }
  _exit(1);
}

void report_error(Context& ctx, const char* what) {
  if (ctx.sync.fd() >= 0) {
    try {
      ctx.sync.send(SyncType::Error, what);
    } catch (...) {
    }
  } else {
    dprintf(2, "nucleus-oci init: %s\n", what);
  }
}

}  // namespace nucleus::init
