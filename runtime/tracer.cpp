#include "runtime/tracer.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp/trace.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace nucleus {
namespace {

[[noreturn]] void tracer_main(pid_t init_pid, int sock, const std::string& output) {
  int code = 0;
  try {
    // Wait for the init's announcement; EOF means it never got to load the filter.
    char c;
    ssize_t n;
    do {
      n = ::read(sock, &c, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) _exit(0);
    UniqueFd listener = seccomp::take_listener(init_pid, 10000);
    ::close(sock);
    seccomp::TraceRecorder rec;
    seccomp::serve_trace(listener.get(), rec);
    write_file_atomic(output, rec.to_ndjson(), 0644);
  } catch (const std::exception& e) {
    dprintf(2, "nucleus-oci seccomp tracer: %s\n", e.what());
    code = 1;
  }
  _exit(code);
}

}  // namespace

TraceSockets TraceSockets::make() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    throw_sys("socketpair for the seccomp tracer");
  TraceSockets t;
  t.init_end.reset(sv[0]);
  t.tracer_end.reset(sv[1]);
  return t;
}

ProcessId spawn_tracer(pid_t init_pid, const std::string& output, UniqueFd ours) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) < 0) throw_sys("pipe for the seccomp tracer");
  UniqueFd pr(pipefd[0]), pw(pipefd[1]);
  pid_t mid = ::fork();
  if (mid < 0) throw_sys("fork the seccomp tracer");
  if (mid == 0) {
    ::setsid();
    pid_t t = ::fork();
    if (t != 0) {
      pid_t tp = t;
      ssize_t w = ::write(pw.get(), &tp, sizeof tp);
      _exit(w == sizeof tp ? 0 : 1);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int fd = ours.get();
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
    }
    // Keep stderr and our socket; nothing else (the state dir lock among the rest: a flock
    // lives as long as any copy of its fd).
    close_fds_except(3, {fd});
    tracer_main(init_pid, fd, output);
  }
  pw.reset();
  ours.reset();
  ::waitpid(mid, nullptr, 0);
  pid_t tracer = 0;
  if (::read(pr.get(), &tracer, sizeof tracer) != sizeof tracer)
    throw Error("start the seccomp tracer: it did not report its pid");
  return ProcessId::of(tracer);
}

void init_start_trace(int sock) {
  if (::write(sock, "L", 1) != 1) throw_sys("notify the seccomp tracer");
  UniqueFd listener = seccomp::load_trace_filter();
  // The tracer takes its own copy with pidfd_getfd; ours closes on exec (close-on-exec), and
  // every syscall from here on waits for the tracer's answer.
  ::fcntl(listener.get(), F_SETFD, FD_CLOEXEC);
  (void)listener.release();
}

}  // namespace nucleus
