#include "seccomp/trace.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <rapidjson/document.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "seccomp/names.hpp"
#include "util/error.hpp"

namespace nucleus::seccomp {

namespace {
const std::map<std::string, std::vector<unsigned>, std::less<>>& interesting_table() {
  static const std::map<std::string, std::vector<unsigned>, std::less<>> table = {
      {"socket", {0, 1}}, {"socketpair", {0}}, {"clone", {0}},   {"personality", {0}},
      {"ioctl", {1}},     {"prctl", {0}},      {"unshare", {0}}, {"setns", {1}},
  };
  return table;
}
}  // namespace

const std::vector<unsigned>& interesting_args(std::string_view name) {
  static const std::vector<unsigned> none;
  auto it = interesting_table().find(name);
  return it == interesting_table().end() ? none : it->second;
}

const std::vector<std::string>& interesting_syscalls() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& [name, idx] : interesting_table()) v.push_back(name);
    return v;
  }();
  return names;
}

void TraceRecorder::record(uint32_t arch, int nr, const uint64_t args[6]) {
  auto [it, inserted] = entries_.try_emplace({arch, nr});
  TraceEntry& e = it->second;
  if (inserted) {
    e.arch = arch;
    e.nr = nr;
    e.name = syscall_name(nr, arch);
  }
  ++e.count;
  for (unsigned idx : interesting_args(e.name)) {
    if (e.overflow.count(idx)) continue;
    auto& vals = e.args[idx];
    // clone's flags carry the exit signal in the low byte; socket types carry SOCK_CLOEXEC etc.
    vals.insert(args[idx]);
    if (vals.size() > kMaxValues) {
      e.overflow.insert(idx);
      e.args.erase(idx);
    }
  }
}

void TraceRecorder::merge(const TraceEntry& in) {
  auto [it, inserted] = entries_.try_emplace({in.arch, in.nr});
  TraceEntry& e = it->second;
  if (inserted) {
    e.arch = in.arch;
    e.nr = in.nr;
    e.name = in.name;
  }
  e.count += in.count;
  for (unsigned idx : in.overflow) {
    e.overflow.insert(idx);
    e.args.erase(idx);
  }
  for (const auto& [idx, vals] : in.args) {
    if (e.overflow.count(idx)) continue;
    e.args[idx].insert(vals.begin(), vals.end());
    if (e.args[idx].size() > kMaxValues) {
      e.overflow.insert(idx);
      e.args.erase(idx);
    }
  }
}

std::string TraceRecorder::to_ndjson() const {
  std::string out;
  for (const auto& [key, e] : entries_) {
    out += "{\"syscall\":" + std::to_string(e.nr) + ",\"name\":";
    out += e.name.empty() ? "null" : "\"" + e.name + "\"";
    out += ",\"arch\":\"" + arch_name(e.arch) + "\",\"count\":" + std::to_string(e.count);
    if (!e.args.empty() || !e.overflow.empty()) {
      out += ",\"args\":[";
      bool first = true;
      std::set<unsigned> idxs;
      for (const auto& [i, v] : e.args) idxs.insert(i);
      idxs.insert(e.overflow.begin(), e.overflow.end());
      for (unsigned i : idxs) {
        out += first ? "" : ",";
        first = false;
        out += "{\"index\":" + std::to_string(i);
        if (e.overflow.count(i)) {
          out += ",\"many\":true}";
          continue;
        }
        out += ",\"values\":[";
        bool f2 = true;
        for (uint64_t v : e.args.at(i)) {
          out += (f2 ? "" : ",") + std::to_string(v);
          f2 = false;
        }
        out += "]}";
      }
      out += "]";
    }
    out += "}\n";
  }
  return out;
}

void parse_trace(std::string_view text, std::string_view source, TraceRecorder& into) {
  std::string src(source);
  size_t pos = 0;
  int line_no = 0;
  int records = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto where = [&](const std::string& what) {
      return Error(src + ":" + std::to_string(line_no) + ": " + what);
    };
    rapidjson::Document d;
    d.Parse(line.c_str(), line.size());
    if (d.HasParseError() || !d.IsObject()) throw where("not a JSON object");
    TraceEntry e;
    if (!d.HasMember("syscall") || !d["syscall"].IsInt() || d["syscall"].GetInt() < 0)
      throw where("\"syscall\" must be a non-negative integer");
    e.nr = d["syscall"].GetInt();
    if (!d.HasMember("count") || !d["count"].IsUint64())
      throw where("\"count\" must be a non-negative integer");
    e.count = d["count"].GetUint64();
    e.arch = native_arch();
    if (d.HasMember("arch")) {
      if (!d["arch"].IsString()) throw where("\"arch\" must be a string");
      e.arch = arch_from_name(d["arch"].GetString());
      if (e.arch == 0) throw where(std::string("unknown arch \"") + d["arch"].GetString() + "\"");
    }
    e.name = syscall_name(e.nr, e.arch);
    if (d.HasMember("name") && d["name"].IsString() && e.name.empty())
      e.name = d["name"].GetString();
    if (d.HasMember("args")) {
      if (!d["args"].IsArray()) throw where("\"args\" must be an array");
      for (const auto& a : d["args"].GetArray()) {
        if (!a.IsObject() || !a.HasMember("index") || !a["index"].IsUint() ||
            a["index"].GetUint() > 5)
          throw where("\"args[].index\" must be 0..5");
        unsigned idx = a["index"].GetUint();
        if (a.HasMember("many") && a["many"].IsBool() && a["many"].GetBool()) {
          e.overflow.insert(idx);
          continue;
        }
        if (!a.HasMember("values") || !a["values"].IsArray())
          throw where("\"args[].values\" must be an array");
        for (const auto& v : a["values"].GetArray()) {
          if (!v.IsUint64()) throw where("\"args[].values\" must hold integers");
          e.args[idx].insert(v.GetUint64());
        }
      }
    }
    into.merge(e);
    ++records;
  }
  if (records == 0) throw Error(src + ": empty trace (no records)");
}

UniqueFd load_trace_filter() {
  std::unique_ptr<void, void (*)(void*)> ctx(seccomp_init(SCMP_ACT_NOTIFY),
                                             [](void* c) { seccomp_release(c); });
  if (!ctx)
    throw Error("seccomp trace: seccomp_init(SCMP_ACT_NOTIFY) failed (libseccomp API < 5?)");
  // Compat arches of x86_64 (32-bit and x32 binaries) are traced too.
  for (uint32_t a : compat_arches(native_arch())) {
    int rc = seccomp_arch_add(ctx.get(), a);
    if (rc < 0 && rc != -EEXIST) throw sys_error("seccomp trace: add arch " + arch_name(a), -rc);
  }
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  int rc = seccomp_load(ctx.get());
  if (rc < 0) throw sys_error("seccomp trace: load the trace filter", -rc);
  int fd = seccomp_notify_fd(ctx.get());
  if (fd < 0) throw sys_error("seccomp trace: listener fd", -fd);
  return UniqueFd(fd);
}

void serve_trace(int listener, TraceRecorder& rec) {
  seccomp_notif* req = nullptr;
  seccomp_notif_resp* resp = nullptr;
  if (int rc = seccomp_notify_alloc(&req, &resp); rc < 0)
    throw sys_error("seccomp trace: allocate notification buffers", -rc);
  std::unique_ptr<seccomp_notif, void (*)(seccomp_notif*)> hold(
      req, [](seccomp_notif* r) { seccomp_notify_free(r, nullptr); });
  std::unique_ptr<seccomp_notif_resp, void (*)(seccomp_notif_resp*)> hold2(
      resp, [](seccomp_notif_resp* r) { seccomp_notify_free(nullptr, r); });
  for (;;) {
    pollfd p{listener, POLLIN, 0};
    int r = ::poll(&p, 1, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw_sys("seccomp trace: poll the listener");
    }
    if (p.revents & POLLIN) {
      std::memset(req, 0, sizeof *req);
      if (seccomp_notify_receive(listener, req) < 0) continue;  // the caller went away
      uint64_t args[6];
      for (int i = 0; i < 6; ++i) args[i] = req->data.args[i];
      rec.record(req->data.arch, req->data.nr, args);
      std::memset(resp, 0, sizeof *resp);
      resp->id = req->id;
      resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
      seccomp_notify_respond(listener, resp);  // ENOENT: the call was interrupted; fine
      continue;
    }
    if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) return;
  }
}

UniqueFd take_listener(pid_t pid, int timeout_ms) {
  long pfd = ::syscall(SYS_pidfd_open, pid, 0);
  if (pfd < 0) throw_sys("seccomp trace: pidfd_open " + std::to_string(pid));
  UniqueFd pidfd(static_cast<int>(pfd));
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    if (DIR* d = ::opendir(dir.c_str())) {
      while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        char target[128];
        std::string link = dir + "/" + e->d_name;
        ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
        if (n <= 0) continue;
        target[n] = '\0';
        if (std::strcmp(target, "anon_inode:seccomp notify") != 0) continue;
        long fd = ::syscall(SYS_pidfd_getfd, pidfd.get(), std::atoi(e->d_name), 0);
        ::closedir(d);
        if (fd < 0) throw_sys("seccomp trace: pidfd_getfd");
        ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
        return UniqueFd(static_cast<int>(fd));
      }
      ::closedir(d);
    } else if (errno == ENOENT) {
      throw Error("seccomp trace: process " + std::to_string(pid) + " exited before tracing");
    }
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (ms > timeout_ms) throw Error("seccomp trace: no listener appeared in the container init");
    ::usleep(200);
  }
}

}  // namespace nucleus::seccomp
