#include "runtime/hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vector>

#include "runtime/log.hpp"
#include "runtime/util/error.hpp"
#include "runtime/util/fd.hpp"

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

}  // namespace

void run_hook(const oci::Hook& hook, const std::string& state_json, const std::string& kind) {
  SigpipeBlocked no_sigpipe;
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) < 0) throw_sys("pipe for " + kind + " hook");
  UniqueFd in_r(in[0]), in_w(in[1]);
  if (::pipe2(out, O_CLOEXEC) < 0) throw_sys("pipe for " + kind + " hook");
  UniqueFd out_r(out[0]), out_w(out[1]);

  std::vector<std::string> args =
      hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  auto argv = cstrs(args);
  auto envp = cstrs(hook.env);
  pid_t pid = ::fork();
  if (pid < 0) throw_sys("fork " + kind + " hook " + hook.path);
  if (pid == 0) {
    ::dup2(in_r.get(), 0);
    ::dup2(out_w.get(), 1);
    ::dup2(out_w.get(), 2);
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);
    ::execve(hook.path.c_str(), argv.data(), envp.data());
    dprintf(2, "exec %s: %s", hook.path.c_str(), errno_text(errno).c_str());
    _exit(127);
  }
  in_r.reset();
  out_w.reset();
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));

  // The hook may exit without reading stdin: ignore EPIPE.
  const char* p = state_json.data();
  size_t left = state_json.size();
  ::fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
  std::string output;
  long deadline = hook.timeout ? now_ms() + static_cast<long>(*hook.timeout) * 1000 : -1;
  bool timed_out = false;
  bool exited = false;
  int status = 0;
  while (!exited) {
    pollfd fds[3];
    nfds_t n = 0;
    fds[n++] = {pidfd.get(), POLLIN, 0};
    int out_idx = -1, in_idx = -1;
    if (out_r) out_idx = static_cast<int>(n), fds[n++] = {out_r.get(), POLLIN, 0};
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
    if (out_idx >= 0 && fds[out_idx].revents) {
      char buf[4096];
      ssize_t rd = ::read(out_r.get(), buf, sizeof buf);
      if (rd > 0 && output.size() < 65536) output.append(buf, static_cast<size_t>(rd));
      if (rd <= 0) out_r.reset();
    }
    if (fds[0].revents) {
      if (::waitpid(pid, &status, 0) == pid) exited = true;
    }
  }
  // Collect what is left in the pipe (the hook's children may still hold it: don't block).
  if (out_r) {
    ::fcntl(out_r.get(), F_SETFL, O_NONBLOCK);
    char buf[4096];
    ssize_t rd;
    while ((rd = ::read(out_r.get(), buf, sizeof buf)) > 0 && output.size() < 65536)
      output.append(buf, static_cast<size_t>(rd));
  }
  while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
  std::string suffix = output.empty() ? "" : ": " + output;
  if (timed_out)
    throw Error(kind + " hook " + hook.path + " timed out after " + std::to_string(*hook.timeout) +
                "s" + suffix);
  if (WIFSIGNALED(status))
    throw Error(kind + " hook " + hook.path + " killed by signal " +
                std::to_string(WTERMSIG(status)) + suffix);
  if (WEXITSTATUS(status) != 0)
    throw Error(kind + " hook " + hook.path + " exited with status " +
                std::to_string(WEXITSTATUS(status)) + suffix);
  if (!output.empty()) log::debug(kind + " hook " + hook.path + " output: " + output);
}

void run_hooks(const std::vector<oci::Hook>& hooks, const std::string& state_json,
               const std::string& kind) {
  for (const auto& h : hooks) run_hook(h, state_json, kind);
}

void run_hooks_warn(const std::vector<oci::Hook>& hooks, const std::string& state_json,
                    const std::string& kind) {
  for (const auto& h : hooks) {
    try {
      run_hook(h, state_json, kind);
    } catch (const Error& e) {
      log::warn(e.what());
    }
  }
}

}  // namespace nucleus
