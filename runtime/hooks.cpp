#include "runtime/hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <vector>

#include "runtime/log.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

extern char** environ;

namespace nucleus {
namespace {

std::vector<char*> cstrs(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

long now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

constexpr size_t kMaxOutput = 65536;

// One read of a hook's stdout or stderr; EOF closes our end.
void collect(UniqueFd& fd, std::string& out) {
  char buf[4096];
  ssize_t rd = ::read(fd.get(), buf, sizeof buf);
  if (rd > 0 && out.size() < kMaxOutput) out.append(buf, static_cast<size_t>(rd));
  if (rd <= 0) fd.reset();
}

// Writing the state to a hook that exits without reading its stdin raises SIGPIPE, whose default
// action killed `start` (runtime-tools' poststart tests saw "signal: broken pipe"). Blocked
// while a hook runs; one raised meanwhile is consumed before the old mask comes back. (Not
// ignored process-wide: SIG_IGN would be inherited by hooks and container processes.)
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlocked() {
    if (sigismember(&old_, SIGPIPE)) return;
    timespec none{};
    while (::sigtimedwait(&pipe_, nullptr, &none) == SIGPIPE) {
    }
    ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

 private:
  sigset_t pipe_{}, old_{};
};

// The hook's own process: stdio on the pipes, a clean signal mask, the working directory, then
// the exec. An exec failure goes back as an errno on `err_w` (close-on-exec: EOF means it ran).
[[noreturn]] void exec_hook(const oci::Hook& hook, const HookOptions& opts, char** argv,
                            char** envp, int in_r, int out_w, int errout_w, int err_w) {
  ::dup2(in_r, 0);
  ::dup2(out_w, 1);
  ::dup2(errout_w, 2);
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  // A directory that is gone (a bundle removed before delete) leaves the caller's.
  if (!opts.cwd.empty()) {
    int gone = ::chdir(opts.cwd.c_str());
    (void)gone;
  }
  ::execve(hook.path.c_str(), argv, envp);
  int e = errno;
  ssize_t w = ::write(err_w, &e, sizeof e);
  (void)w;
  _exit(127);
}

// Go's names for the signals that end hooks ("signal: killed", as runc reports them).
std::string signal_text(int sig) {
  const char* d = strsignal(sig);
  std::string s = d ? d : "signal " + std::to_string(sig);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

// Reads what is there without blocking (a hook's children may still hold the pipe).
void drain(UniqueFd& fd, std::string& out) {
  if (!fd) return;
  ::fcntl(fd.get(), F_SETFL, O_NONBLOCK);
  char buf[4096];
  ssize_t rd;
  while ((rd = ::read(fd.get(), buf, sizeof buf)) > 0 && out.size() < kMaxOutput)
    out.append(buf, static_cast<size_t>(rd));
  fd.reset();
}

// The cause of a failed hook in runc's words (libcontainer/configs Command.Run).
std::string hook_failure(const oci::Hook& hook, int status, bool timed_out, int exec_errno,
                         const std::string& out, const std::string& err) {
  if (exec_errno) return "fork/exec " + hook.path + ": " + errno_text(exec_errno);
  if (timed_out) {
    char b[64];
    snprintf(b, sizeof b, "%.1fs", static_cast<double>(*hook.timeout));
    return std::string("hook ran past specified timeout of ") + b;
  }
  std::string how = WIFSIGNALED(status) ? "signal: " + signal_text(WTERMSIG(status))
                                        : "exit status " + std::to_string(WEXITSTATUS(status));
  return how + ", stdout: " + out + ", stderr: " + err;
}

}  // namespace

void run_hook(const oci::Hook& hook, const std::string& state_json, const std::string& kind,
              size_t index, const HookOptions& opts) {
  SigpipeBlocked no_sigpipe;
  if (log::debug_enabled())
    log::debug("running " + kind + " hook #" + std::to_string(index) + ": " + hook.path);
  int in[2], out[2], errout[2], ex[2];
  if (::pipe2(in, O_CLOEXEC) < 0) throw_sys("pipe for " + kind + " hook");
  UniqueFd in_r(in[0]), in_w(in[1]);
  if (::pipe2(out, O_CLOEXEC) < 0) throw_sys("pipe for " + kind + " hook");
  UniqueFd out_r(out[0]), out_w(out[1]);
  if (::pipe2(errout, O_CLOEXEC) < 0) throw_sys("pipe for " + kind + " hook");
  UniqueFd err_r(errout[0]), err_w(errout[1]);
  if (::pipe2(ex, O_CLOEXEC) < 0) throw_sys("pipe for " + kind + " hook");
  UniqueFd ex_r(ex[0]), ex_w(ex[1]);

  std::vector<std::string> args =
      hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  auto argv = cstrs(args);
  // runc: a hook without env gets the runtime's environment (Go's exec.Cmd with a nil Env),
  // startContainer hooks the process's.
  std::vector<char*> envp;
  if (!hook.env.empty())
    envp = cstrs(hook.env);
  else if (opts.env)
    envp = cstrs(*opts.env);
  char** env = envp.empty() ? environ : envp.data();
  pid_t pid = ::fork();
  if (pid < 0) throw_sys("fork " + kind + " hook " + hook.path);
  if (pid == 0)
    exec_hook(hook, opts, argv.data(), env, in_r.get(), out_w.get(), err_w.get(), ex_w.get());
  in_r.reset();
  out_w.reset();
  err_w.reset();
  ex_w.reset();
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));

  // The hook may exit without reading stdin: ignore EPIPE.
  const char* p = state_json.data();
  size_t left = state_json.size();
  ::fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
  std::string output, errors;
  long deadline = hook.timeout ? now_ms() + static_cast<long>(*hook.timeout) * 1000 : -1;
  bool timed_out = false;
  bool exited = false;
  int status = 0;
  while (!exited) {
    pollfd fds[4];
    nfds_t n = 0;
    fds[n++] = {pidfd.get(), POLLIN, 0};
    int out_idx = -1, err_idx = -1, in_idx = -1;
    if (out_r) out_idx = static_cast<int>(n), fds[n++] = {out_r.get(), POLLIN, 0};
    if (err_r) err_idx = static_cast<int>(n), fds[n++] = {err_r.get(), POLLIN, 0};
    if (in_w) in_idx = static_cast<int>(n), fds[n++] = {in_w.get(), POLLOUT, 0};
    int wait = deadline < 0 ? -1 : static_cast<int>(std::max(0L, deadline - now_ms()));
    int r = ::poll(fds, n, wait);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    if (in_idx >= 0 && fds[in_idx].revents) {
      ssize_t w = ::write(in_w.get(), p, left);
      if (w > 0) {
        p += w;
        left -= static_cast<size_t>(w);
      }
      if (w < 0 && errno != EAGAIN) left = 0;
      if (left == 0) in_w.reset();
    }
    if (out_idx >= 0 && fds[out_idx].revents) collect(out_r, output);
    if (err_idx >= 0 && fds[err_idx].revents) collect(err_r, errors);
    if (fds[0].revents) {
      if (::waitpid(pid, &status, 0) == pid) exited = true;
    }
  }
  drain(out_r, output);
  drain(err_r, errors);
  int exec_errno = 0;
  if (::read(ex_r.get(), &exec_errno, sizeof exec_errno) != sizeof exec_errno) exec_errno = 0;
  if (timed_out || exec_errno || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error("error running " + kind + " hook #" + std::to_string(index) + ": " +
                hook_failure(hook, status, timed_out, exec_errno, output, errors));
  std::string both = output + errors;
  while (!both.empty() && (both.back() == '\n' || both.back() == ' ')) both.pop_back();
  if (!both.empty()) log::debug(kind + " hook #" + std::to_string(index) + " output: " + both);
}

void run_hooks(const std::vector<oci::Hook>& hooks, const std::string& state_json,
               const std::string& kind, const HookOptions& opts) {
  for (size_t i = 0; i < hooks.size(); ++i) run_hook(hooks[i], state_json, kind, i, opts);
}

void run_hooks_warn(const std::vector<oci::Hook>& hooks, const std::string& state_json,
                    const std::string& kind, const HookOptions& opts) {
  for (size_t i = 0; i < hooks.size(); ++i) {
    try {
      run_hook(hooks[i], state_json, kind, i, opts);
    } catch (const Error& e) {
      log::warn(e.what());
    }
  }
}

}  // namespace nucleus
