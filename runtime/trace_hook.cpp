#include "runtime/trace_hook.hpp"

#include <fcntl.h>
#include <poll.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <optional>

#include "cgroups/manager.hpp"
#include "runtime/tracer.hpp"
#include "seccomp/ebpf_trace.hpp"
#include "seccomp/trace.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"

namespace nucleus {
namespace {

constexpr size_t kMaxState = 1 << 20;

long now_ms() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

// The state JSON, read until EOF (at most kMaxState bytes, for at most timeout_ms).
std::string read_state(int fd, int timeout_ms) {
  std::string out;
  long deadline = now_ms() + timeout_ms;
  for (;;) {
    long left = deadline - now_ms();
    if (left <= 0) throw Error("read the container state on stdin: no EOF in time");
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw_sys("read the container state on stdin");
    if (r == 0) continue;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_sys("read the container state on stdin");
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxState) throw Error("the container state on stdin is larger than 1 MiB");
  }
}

pid_t state_pid(const std::string& state) {
  rapidjson::Document d;
  d.Parse(state.c_str(), state.size());
  if (d.HasParseError() || !d.IsObject())
    throw Error("the container state on stdin is not a JSON object");
  if (!d.HasMember("pid") || !d["pid"].IsInt() || d["pid"].GetInt() <= 0)
    throw Error(
        "the container state on stdin has no \"pid\" (run this as a createRuntime or "
        "prestart hook)");
  return d["pid"].GetInt();
}

// The path of the "0::" line of /proc/PID/cgroup ("" when there is none).
std::string v2_path(const std::string& proc_cgroup) {
  std::string text = read_file(proc_cgroup);
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    std::string line = text.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    at = nl == std::string::npos ? text.size() : nl + 1;
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  }
  return "";
}

// The detached recorder: loads and attaches the program, says so on `ready` ("ok" or
// "error TEXT"), records until the cgroup is empty, writes the trace.
[[noreturn]] void recorder_main(const std::string& cgroup_dir, const TraceHookOptions& o,
                                int ready) {
  int code = 0;
  bool attached = false;
  try {
    std::optional<seccomp::EbpfRecorder> ebpf;
    try {
      ebpf = seccomp::EbpfRecorder::load(cgroup_dir);
      ebpf->start();
    } catch (const seccomp::EbpfUnavailable& e) {
      write_all(ready, std::string("error the eBPF trace recorder cannot run here: ") + e.what() +
                           " (it needs root: CAP_BPF and CAP_PERFMON, the kernel's BTF, x86_64)\n");
      _exit(1);
    }
    write_all(ready, "ok\n");
    ::close(ready);
    attached = true;
    wait_cgroup_empty(cgroup_dir);
    seccomp::TraceRecorder rec;
    ebpf->collect(rec);
    ebpf.reset();
    write_file_atomic(o.output, rec.to_ndjson(), 0644);
  } catch (const std::exception& e) {
    if (!attached) write_all(ready, std::string("error ") + e.what() + "\n");  // the hook says it
    dprintf(2, "nucleus-oci seccomp trace-hook: %s\n", e.what());
    code = 1;
  }
  _exit(code);
}

// stdin and stdout to /dev/null, stderr to the log (or /dev/null): the runtime reads the hook's
// stdout and stderr until EOF, so the recorder keeps none of them.
void detach_stdio(const std::string& log) {
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  int err = log.empty() ? -1 : ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (null >= 0) {
    ::dup2(null, 0);
    ::dup2(null, 1);
  }
  if (err >= 0 || null >= 0) ::dup2(err >= 0 ? err : null, 2);
}

struct Recorder {
  pid_t pid = 0;
  UniqueFd ready;
};

// Double fork: the recorder is in a session of its own, not a child of the hook, and holds none
// of the runtime's fds.
Recorder spawn_recorder(const std::string& cgroup_dir, const TraceHookOptions& o) {
  Detached d = spawn_detached("trace recorder", [&](int pw) {
    detach_stdio(o.log);
    if (::chdir("/") < 0) _exit(1);
    close_fds_except(3, {pw});
    recorder_main(cgroup_dir, o, pw);
  });
  Recorder r;
  r.pid = d.pid;
  r.ready = std::move(d.report);
  return r;
}

// "ok" once attached; anything else is an error (the recorder is killed: nothing left behind).
void wait_attached(Recorder& r, int timeout_ms) {
  std::string line;
  try {
    line = read_bounded(r.ready.get(), 8192, timeout_ms, "the trace recorder");
  } catch (const Error& e) {
    ::kill(r.pid, SIGKILL);
    throw Error(std::string(e.what()) + " (not attached within " +
                std::to_string(timeout_ms / 1000) + "s)");
  }
  while (!line.empty() && line.back() == '\n') line.pop_back();
  if (line == "ok") return;
  ::kill(r.pid, SIGKILL);
  if (line.rfind("error ", 0) == 0) throw Error(line.substr(6));
  throw Error("the trace recorder exited before it was attached");
}

}  // namespace

std::string container_cgroup_v2_dir(pid_t pid) {
  std::string proc = "/proc/" + std::to_string(pid) + "/cgroup";
  std::string path = v2_path(proc);
  if (path.empty()) throw Error(proc + ": no cgroup v2 (\"0::\") entry");
  std::string mount = cgroups::Layout::detect().v2;
  if (mount.empty()) throw Error("no cgroup v2 hierarchy is mounted (/proc/self/mountinfo)");
  if (path == "/")
    throw Error("process " + std::to_string(pid) +
                " is in the root of the cgroup v2 hierarchy, not in a container's own cgroup");
  if (path == v2_path("/proc/self/cgroup"))
    throw Error("process " + std::to_string(pid) + " is in the hook's own cgroup v2 (" + path +
                "), not in a container's own cgroup");
  std::string dir = mount + path;
  if (!path_exists(dir + "/cgroup.events"))
    throw Error("cgroup v2 directory " + dir + " of process " + std::to_string(pid) + " not found");
  return dir;
}

void wait_trace_written(int state_fd, const TraceHookOptions& o) {
  (void)read_state(state_fd, o.timeout_ms);  // read, so that the runtime's write never fails
  long deadline = now_ms() + o.timeout_ms;
  while (!path_exists(o.output)) {
    if (now_ms() >= deadline)
      throw Error("no trace at " + o.output + " after " + std::to_string(o.timeout_ms / 1000) +
                  "s: the recorder failed or the container still runs" +
                  (o.log.empty() ? std::string() : " (see " + o.log + ")"));
    ::usleep(2000);
  }
}

void run_trace_hook(int state_fd, const TraceHookOptions& o) {
  pid_t pid = state_pid(read_state(state_fd, o.timeout_ms));
  std::string cgroup_dir = container_cgroup_v2_dir(pid);
  std::string parent = o.output.substr(0, o.output.rfind('/'));
  if (!parent.empty() && !path_exists(parent))
    throw Error("--output " + o.output + ": directory " + parent + " does not exist");
  // A stale trace would pass for this run's: FILE appears (atomically) when this one is done.
  if (::unlink(o.output.c_str()) < 0 && errno != ENOENT) throw_sys("remove old " + o.output);
  Recorder r = spawn_recorder(cgroup_dir, o);
  wait_attached(r, o.timeout_ms);
}

}  // namespace nucleus
