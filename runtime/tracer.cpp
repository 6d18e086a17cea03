#include "runtime/tracer.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "seccomp/ebpf_trace.hpp"
#include "seccomp/trace.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace nucleus {
namespace {

// The tracer's answers to the init's announcement ('L').
// One line each.
constexpr char kUseEbpf = 'E';    // recording: go on to the exec
constexpr char kUseNotify = 'N';  // load the USER_NOTIF filter
constexpr char kFailed = 'X';     // followed by the error text

long now_ms() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

}  // namespace

// Reads up to `max` bytes, until '\n' or EOF, for at most timeout_ms. Returns what came.
std::string read_bounded(int fd, size_t max, int timeout_ms, const char* what) {
  std::string out;
  long deadline = now_ms() + timeout_ms;
  while (out.size() < max && (out.empty() || out.back() != '\n')) {
    long left = deadline - now_ms();
    if (left <= 0)
      throw Error(std::string(what) + ": no answer in " + std::to_string(timeout_ms / 1000) + "s");
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw_sys(what);
    if (r == 0) continue;
    char buf[256];
    ssize_t n = ::read(fd, buf, std::min(sizeof buf, max - out.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_sys(what);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

void write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the reader is gone: nothing to tell
    off += static_cast<size_t>(n);
  }
}

namespace {

// "populated 0" in cgroup.events: no process left in the cgroup or below. The file is watched
// with POLLPRI (the kernel's notification) and re-read every second all the same.
bool cgroup_populated(int events_fd) {
  char buf[512];
  ssize_t n = ::pread(events_fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return false;  // the cgroup is gone
  buf[n] = '\0';
  const char* p = std::strstr(buf, "populated ");
  return p && p[10] == '1';
}

}  // namespace

void wait_cgroup_empty(const std::string& cgroup_dir) {
  std::string path = cgroup_dir + "/cgroup.events";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return;
    throw_sys("open " + path);
  }
  UniqueFd events(fd);
  while (cgroup_populated(events.get())) {
    pollfd p{events.get(), POLLPRI, 0};
    ::poll(&p, 1, 1000);
  }
}

namespace {

// eBPF if it loads (and was not ruled out); the reason why not otherwise.
std::optional<seccomp::EbpfRecorder> load_ebpf(TraceMode mode, const std::string& cgroup_dir,
                                               std::string& why_not) {
  if (mode == TraceMode::Notify) return std::nullopt;
  try {
    if (cgroup_dir.empty())
      throw seccomp::EbpfUnavailable("the container has no cgroup v2 directory");
    return seccomp::EbpfRecorder::load(cgroup_dir);
  } catch (const seccomp::EbpfUnavailable& e) {
    why_not = e.what();
    return std::nullopt;
  }
}

// Waits for the init's announcement; false: EOF, it never got to its exec.
bool wait_announcement(int sock) {
  char c;
  ssize_t n;
  do {
    n = ::read(sock, &c, 1);
  } while (n < 0 && errno == EINTR);
  return n == 1;
}

// Waits (at most 1 s) until the init blocks in read(2) for our answer (/proc/PID/syscall starts
// with its number, 0): attached after that, the recorder counts from the init's next syscall
// on, the same ones whichever way the scheduler ran the two.
void wait_in_read(pid_t init_pid) {
  std::string path = "/proc/" + std::to_string(init_pid) + "/syscall";
  long deadline = now_ms() + 1000;
  while (now_ms() < deadline) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char buf[64];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n < 0 || (n >= 2 && buf[0] == '0' && buf[1] == ' ')) return;  // n < 0: not readable
    ::usleep(50);
  }
}

seccomp::TraceRecorder record_ebpf(seccomp::EbpfRecorder& ebpf, pid_t init_pid, int sock,
                                   const std::string& cgroup_dir) {
  wait_in_read(init_pid);
  ebpf.start();
  write_all(sock, std::string(1, kUseEbpf) + "\n");
  ::close(sock);
  wait_cgroup_empty(cgroup_dir);
  seccomp::TraceRecorder rec;
  ebpf.collect(rec);
  return rec;
}

seccomp::TraceRecorder record_notify(pid_t init_pid, int sock) {
  write_all(sock, std::string(1, kUseNotify) + "\n");
  UniqueFd listener;
  try {
    listener = seccomp::take_listener(init_pid, 10000);
  } catch (const std::exception&) {
    // The init waits in its next syscall for an answer nobody will give: it is ended, so that
    // create or start fails instead of waiting forever.
    ::kill(init_pid, SIGKILL);
    throw;
  }
  ::close(sock);
  seccomp::TraceRecorder rec;
  seccomp::serve_trace(listener.get(), rec);
  return rec;
}

[[noreturn]] void tracer_main(pid_t init_pid, int sock, int choice, const std::string& output,
                              TraceMode mode, const std::string& cgroup_dir) {
  int code = 0;
  try {
    std::string why_not;
    std::optional<seccomp::EbpfRecorder> ebpf = load_ebpf(mode, cgroup_dir, why_not);
    if (mode == TraceMode::Ebpf && !ebpf) {
      write_all(choice, "error seccomp trace mode ebpf: " + why_not + "\n");
      _exit(1);
    }
    write_all(choice, ebpf ? "ebpf\n" : "notify " + why_not + "\n");
    ::close(choice);
    if (!wait_announcement(sock)) _exit(0);
    seccomp::TraceRecorder rec;
    if (ebpf) {
      try {
        rec = record_ebpf(*ebpf, init_pid, sock, cgroup_dir);
      } catch (const seccomp::EbpfUnavailable& e) {  // attaching failed: nothing recorded yet
        if (mode == TraceMode::Ebpf) {
          write_all(sock, kFailed + std::string("seccomp trace: ") + e.what() + "\n");
          throw;
        }
        dprintf(2, "nucleus-oci seccomp tracer: %s; recording with USER_NOTIF\n", e.what());
        ebpf.reset();
        rec = record_notify(init_pid, sock);
      }
    } else {
      rec = record_notify(init_pid, sock);
    }
    write_file_atomic(output, rec.to_ndjson(), 0644);
  } catch (const std::exception& e) {
    dprintf(2, "nucleus-oci seccomp tracer: %s\n", e.what());
    code = 1;
  }
  _exit(code);
}

}  // namespace

TraceMode parse_trace_mode(std::string_view value, std::string_view where) {
  if (value == "auto" || value.empty()) return TraceMode::Auto;
  if (value == "notify") return TraceMode::Notify;
  if (value == "ebpf") return TraceMode::Ebpf;
  throw Error(std::string(where) + ": unknown trace mode \"" + std::string(value) +
              "\" (auto, notify, ebpf)");
}

TraceSockets TraceSockets::make() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    throw_sys("socketpair for the seccomp tracer");
  TraceSockets t;
  t.init_end.reset(sv[0]);
  t.tracer_end.reset(sv[1]);
  return t;
}

Detached spawn_detached(const std::string& what, const std::function<void(int)>& body) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) < 0) throw_sys("pipe for the " + what);
  UniqueFd pr(pipefd[0]), pw(pipefd[1]);
  pid_t mid = ::fork();
  if (mid < 0) throw_sys("fork the " + what);
  if (mid == 0) {
    ::setsid();
    pid_t t = ::fork();
    if (t != 0) _exit(t < 0 ? 1 : 0);
    pid_t self = ::getpid();
    if (::write(pw.get(), &self, sizeof self) != sizeof self) _exit(1);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    body(pw.get());
    _exit(1);
  }
  pw.reset();
  ::waitpid(mid, nullptr, 0);
  Detached d;
  if (::read(pr.get(), &d.pid, sizeof d.pid) != sizeof d.pid)
    throw Error("start the " + what + ": it did not report its pid");
  d.report = std::move(pr);
  return d;
}

TracerProcess spawn_tracer(pid_t init_pid, const std::string& output, UniqueFd ours, TraceMode mode,
                           const std::string& cgroup_dir) {
  int fd = ours.get();
  // Our pid first (spawn_detached), then (tracer_main) the mode chosen: one writer, in order.
  Detached d = spawn_detached("seccomp tracer", [&](int pw) {
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
    }
    // Keep stderr, our socket and the choice pipe; nothing else (the state dir lock among the
    // rest: a flock lives as long as any copy of its fd).
    close_fds_except(3, {fd, pw});
    tracer_main(init_pid, fd, pw, output, mode, cgroup_dir);
  });
  ours.reset();
  return TracerProcess{ProcessId::of(d.pid), std::move(d.report)};
}

std::string tracer_choice(TracerProcess& t, int timeout_ms, std::string* why_not) {
  std::string line = read_bounded(t.choice.get(), 4096, timeout_ms, "seccomp tracer");
  t.choice.reset();
  while (!line.empty() && line.back() == '\n') line.pop_back();
  if (line == "ebpf") return "ebpf";
  if (line.rfind("notify ", 0) == 0) {
    if (why_not) *why_not = line.substr(7);
    return "notify";
  }
  if (line.rfind("error ", 0) == 0) throw Error(line.substr(6));
  throw Error("seccomp tracer exited before choosing a trace mode");
}

void init_start_trace(int sock, bool dumpable_for_tracer) {
  // A blocking read, bounded by SO_RCVTIMEO: the tracer attaches the eBPF recorder while this
  // read is under way (wait_in_read), so that the init's own waiting is not in the trace.
  timeval tv{10, 0};
  if (::setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
    throw_sys("seccomp trace: SO_RCVTIMEO");
  if (::write(sock, "L", 1) != 1) throw_sys("notify the seccomp tracer");
  std::string answer;
  while (answer.empty() || answer.back() != '\n') {
    char buf[512];
    ssize_t n = ::read(sock, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      throw Error("seccomp trace: the tracer did not answer in 10s");
    if (n < 0) throw_sys("seccomp trace: read the tracer's answer");
    if (n == 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  while (!answer.empty() && answer.back() == '\n') answer.pop_back();
  if (answer.empty()) throw Error("seccomp trace: the tracer exited");
  if (answer[0] == kUseEbpf) return;
  if (answer[0] != kUseNotify) throw Error(answer.substr(1));
  // A non-root runtime's tracer may take the listener (pidfd_getfd) only out of a dumpable
  // init: without CAP_SYS_PTRACE over the host, a non-dumpable one's fds are out of its reach.
  // The init runs from the sealed binary; its workload's exec is next.
  if (dumpable_for_tracer) ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  UniqueFd listener = seccomp::load_trace_filter();
  // The tracer takes its own copy with pidfd_getfd; ours closes on exec (close-on-exec), and
  // every syscall from here on waits for the tracer's answer.
  ::fcntl(listener.get(), F_SETFD, FD_CLOEXEC);
  (void)listener.release();
}

}  // namespace nucleus
