#include "runtime/store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "runtime/log.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace nucleus {

ProcessId ProcessId::of(pid_t pid) {
  ProcessId p;
  if (pid <= 0) return p;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return p;
  char buf[1024];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return p;
  buf[n] = '\0';
  char* rp = strrchr(buf, ')');
  if (!rp) return p;
  // Fields after ')': state(3) ppid(4) ... starttime(22).
  char state = 0;
  unsigned long long start = 0;
  int field = 2;
  char* s = rp + 1;
  char* save = nullptr;
  for (char* tok = strtok_r(s, " ", &save); tok; tok = strtok_r(nullptr, " ", &save)) {
    ++field;
    if (field == 3) state = tok[0];
    if (field == 22) {
      start = strtoull(tok, nullptr, 10);
      break;
    }
  }
  if (state == 'Z' || state == 'X') return p;
  p.pid = pid;
  p.start_time = start;
  return p;
}

bool ProcessId::alive() const {
  if (pid <= 0) return false;
  ProcessId now = of(pid);
  return now.pid == pid && now.start_time == start_time;
}

Store::Store(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

void Store::check_id(const std::string& id) {
  bool ok = !id.empty() && id != "." && id != ".." && id.size() <= 1024;
  for (char c : id)
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '-' || c == '.'))
      ok = false;
  if (!ok) throw Error("invalid container id \"" + id + "\": must match [A-Za-z0-9_+.-]+");
}

namespace {

// How long a command waits for another one's lock on a container. Every step a command takes
// with the lock held is bounded (delete's waits for the processes add up to ~25 s) except hooks
// without a timeout; this is the net under whatever else keeps a lock for good.
constexpr int kLockTimeoutMs = 60000;

int lock_timeout_ms() {
  // Tests shorten it.
  static const char* env = std::getenv("NUCLEUS_OCI_TEST_LOCK_TIMEOUT_MS");
  int ms = env ? std::atoi(env) : 0;
  return ms > 0 ? ms : kLockTimeoutMs;
}

// "pid N (its command line)" of the process holding the flock on fd's file, from /proc/locks;
// "another process" when it cannot be told.
std::string lock_holder(int fd) {
  struct stat st;
  std::string text;
  try {
    if (::fstat(fd, &st) < 0) return "another process";
    text = read_file("/proc/locks");
  } catch (const Error&) {
    return "another process";
  }
  char want[64];
  snprintf(want, sizeof want, "%02x:%02x:%llu", major(st.st_dev), minor(st.st_dev),
           static_cast<unsigned long long>(st.st_ino));
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    // "1: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INODE 0 EOF"; waiters have "->" after the number.
    std::istringstream l(line);
    std::string num, kind, mode, rw, pid, file;
    if (!(l >> num >> kind >> mode >> rw >> pid >> file) || kind != "FLOCK" || file != want)
      continue;
    std::string cmd;
    try {
      cmd = read_file("/proc/" + pid + "/cmdline");
    } catch (const Error&) {
    }
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    while (!cmd.empty() && cmd.back() == ' ') cmd.pop_back();
    if (cmd.size() > 120) cmd = cmd.substr(0, 120) + "...";
    return "pid " + pid + (cmd.empty() ? "" : " (" + cmd + ")");
  }
  return "another process";
}

// flock(LOCK_EX), for at most lock_timeout_ms(): a lock that is never released is an error
// naming its holder, not a wait forever. Polls (from 1 ms up to 10 ms apart): no signal or
// thread to interrupt a blocking flock, and `run`/`exec` block nearly every signal.
void lock_bounded(int fd, const std::string& id, const std::string& dir) {
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return;
  if (errno != EWOULDBLOCK && errno != EINTR) throw_sys("lock " + dir);
  const int timeout = lock_timeout_ms();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout);
  auto pause = std::chrono::microseconds(1000);
  for (;;) {
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(10000));
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return;
    if (errno != EWOULDBLOCK && errno != EINTR) throw_sys("lock " + dir);
    if (std::chrono::steady_clock::now() < deadline) continue;
    std::string waited =
        timeout % 1000 == 0 ? std::to_string(timeout / 1000) + "s" : std::to_string(timeout) + "ms";
    throw Error("container \"" + id + "\" is busy: " + lock_holder(fd) + " has held its lock (" +
                    dir + ") for more than " + waited,
                EWOULDBLOCK);
  }
}

}  // namespace

UniqueFd Store::create_dir(const std::string& id) {
  check_id(id);
  mkdir_p(root_, 0700);
  std::string d = dir(id);
  if (::mkdir(d.c_str(), 0711) < 0) {
    if (errno == EEXIST) throw Error("container \"" + id + "\" already exists", EEXIST);
    throw_sys("mkdir " + d);
  }
  UniqueFd fd = open_fd(d, O_RDONLY | O_DIRECTORY);
  lock_bounded(fd.get(), id, d);
  return fd;
}

UniqueFd Store::open_locked(const std::string& id) const {
  check_id(id);
  std::string d = dir(id);
  int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throw Error("container \"" + id + "\" does not exist", ENOENT);
    throw_sys("open " + d);
  }
  UniqueFd f(fd);
  lock_bounded(fd, id, d);
  struct stat st;
  // Removed while we waited for the lock.
  if (::fstat(fd, &st) < 0 || st.st_nlink == 0)
    throw Error("container \"" + id + "\" does not exist", ENOENT);
  return f;
}

void Store::unlock(int dirfd) {
  ::flock(dirfd, LOCK_UN);
}

std::vector<std::string> Store::list() const {
  std::vector<std::string> out;
  DIR* d = ::opendir(root_.c_str());
  // No root yet: no containers. Any other error is reported (runc: another user's root is
  // "permission denied", not an empty list).
  if (!d && errno == ENOENT) return out;
  if (!d) throw_sys("open " + root_);
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == ".." || e->d_type != DT_DIR) continue;
    out.push_back(n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

void Store::remove(const std::string& id) const {
  remove_tree(dir(id));
}

namespace {
using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;
void put(Writer& w, const char* k, const std::string& v) {
  w.Key(k);
  w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
}
void put_pid(Writer& w, const char* k, const ProcessId& p) {
  w.Key(k);
  w.StartObject();
  w.Key("pid");
  w.Int(p.pid);
  w.Key("start");
  w.Uint64(p.start_time);
  w.EndObject();
}
std::string str(const rapidjson::Value& o, const char* k) {
  auto it = o.FindMember(k);
  return it != o.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}
ProcessId pid_of(const rapidjson::Value& o, const char* k) {
  ProcessId p;
  auto it = o.FindMember(k);
  if (it == o.MemberEnd() || !it->value.IsObject()) return p;
  const auto& v = it->value;
  if (v.HasMember("pid") && v["pid"].IsInt()) p.pid = v["pid"].GetInt();
  if (v.HasMember("start") && v["start"].IsUint64()) p.start_time = v["start"].GetUint64();
  return p;
}
std::map<std::string, std::string> map_of(const rapidjson::Value& o, const char* k) {
  std::map<std::string, std::string> m;
  auto it = o.FindMember(k);
  if (it == o.MemberEnd() || !it->value.IsObject()) return m;
  for (auto& e : it->value.GetObject())
    if (e.value.IsString()) m[e.name.GetString()] = e.value.GetString();
  return m;
}
void put_map(Writer& w, const char* k, const std::map<std::string, std::string>& m) {
  w.Key(k);
  w.StartObject();
  for (auto& [a, b] : m) put(w, a.c_str(), b);
  w.EndObject();
}
}  // namespace

void Store::save_new(int dirfd, ContainerRecord& rec, const std::string& config_json) {
  rec.created = log::rfc3339_nano_now();
  rec.creator = ProcessId::of(::getpid());
  save(dirfd, rec);
  write_file_atomic_at(dirfd, "config.json", config_json, 0600);
}

void Store::save(int dirfd, const ContainerRecord& r) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  put(w, "id", r.id);
  put(w, "bundle", r.bundle);
  put(w, "rootfs", r.rootfs);
  put(w, "created", r.created);
  put(w, "owner", r.owner);
  put_pid(w, "init", r.init);
  put_pid(w, "creator", r.creator);
  put_pid(w, "tracer", r.tracer);
  w.Key("created_done");
  w.Bool(r.created_done);
  put(w, "cgroup", r.cgroup);
  put_map(w, "annotations", r.annotations);
  w.EndObject();
  write_file_atomic_at(dirfd, "state.json", std::string_view(sb.GetString(), sb.GetSize()), 0600);
}

ContainerRecord Store::load(int dirfd, const std::string& id) {
  std::string text;
  try {
    text = read_file_at(dirfd, "state.json");
  } catch (const Error& e) {
    if (e.code() == ENOENT) {
      ContainerRecord r;  // killed before the first save: a stopped, empty record
      r.id = id;
      return r;
    }
    throw;
  }
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  if (d.HasParseError() || !d.IsObject())
    throw Error("container \"" + id + "\": state.json is corrupt");
  ContainerRecord r;
  r.id = str(d, "id");
  r.bundle = str(d, "bundle");
  r.rootfs = str(d, "rootfs");
  r.created = str(d, "created");
  r.owner = str(d, "owner");
  r.init = pid_of(d, "init");
  r.creator = pid_of(d, "creator");
  r.tracer = pid_of(d, "tracer");
  r.created_done =
      d.HasMember("created_done") && d["created_done"].IsBool() && d["created_done"].GetBool();
  r.cgroup = str(d, "cgroup");
  r.annotations = map_of(d, "annotations");
  return r;
}

std::string derive_status(int dirfd, const ContainerRecord& rec, bool frozen) {
  if (!rec.created_done) return rec.creator.alive() ? "creating" : "stopped";
  if (!rec.init.alive()) return "stopped";
  struct stat st;
  if (::fstatat(dirfd, "exec.fifo", &st, AT_SYMLINK_NOFOLLOW) == 0) return "created";
  if (frozen) return "paused";
  return "running";
}

oci::State make_state(const ContainerRecord& rec, const std::string& status, pid_t pid) {
  oci::State s;
  s.id = rec.id;
  s.status = status;
  s.pid = pid;
  s.bundle = rec.bundle;
  s.rootfs = rec.rootfs;
  s.created = rec.created;
  s.owner = rec.owner;
  s.annotations = rec.annotations;
  return s;
}

}  // namespace nucleus
