#include "runtime/checkpoint.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "cgroups/manager.hpp"
#include "oci/config.hpp"
#include "oci/json_text.hpp"
#include "runtime/cli/foreground.hpp"
#include "runtime/criu_rpc.hpp"
#include "runtime/hooks.hpp"
#include "runtime/log.hpp"
#include "runtime/store.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/paths.hpp"
#include "util/socket.hpp"

namespace nucleus {
namespace {

const char* const kDescriptors = "descriptors.json";

const char* type_name(int t) {
  switch (t) {
    case criu::kDump:
      return "DUMP";
    case criu::kRestore:
      return "RESTORE";
    case criu::kPreDump:
      return "PRE_DUMP";
    case criu::kFeatureCheck:
      return "FEATURE_CHECK";
    case criu::kVersion:
      return "VERSION";
    case criu::kNotify:
      return "NOTIFY";
    default:
      return "EMPTY";
  }
}

// The criu binary, in runc's words when there is none (its version check runs it first).
std::string criu_binary() {
  try {
    return criu::find_criu();
  } catch (const Error& e) {
    throw Error(std::string("CRIU version check failed: ") + e.what(), e.code());
  }
}

// runc's checkCriuVersion: the version RPC came with CRIU 3.0.
int criu_version_at_least(const std::string& bin, int min) {
  int v;
  try {
    v = criu::version(bin);
  } catch (const Error& e) {
    std::string m = e.what();
    if (m.rfind("CRIU version check failed", 0) == 0) throw;
    throw Error("CRIU version check failed: " + m);
  }
  if (v < min)
    throw Error("CRIU version " + std::to_string(v) + " must be " + std::to_string(min) +
                " or higher");
  return v;
}

int cg_mode(const std::string& m) {
  if (m.empty()) return criu::kCgDefault;
  if (m == "soft") return criu::kCgSoft;
  if (m == "full") return criu::kCgFull;
  if (m == "strict") return criu::kCgStrict;
  if (m == "ignore") return criu::kCgIgnore;
  throw Error("invalid manage-cgroups-mode value");
}

// A bind mount's source as runc takes it: relative to the bundle when relative.
std::string bind_source(const oci::Mount& m, const std::string& bundle) {
  return m.source.empty() || m.source[0] == '/' ? m.source : bundle + "/" + m.source;
}

bool is_bind(const oci::Mount& m) {
  if (m.type == "bind") return true;
  for (const auto& o : m.options)
    if (o == "bind" || o == "rbind") return true;
  return false;
}

// runc's logCriuErrors: every line with "Error" and the five before it, as warnings.
void log_criu_errors(const std::string& file) {
  std::ifstream in(file);
  if (!in) {
    log::warn("open " + file + ": " + errno_text(errno));
    return;
  }
  std::vector<std::string> ring;
  std::string line;
  int n = 0, printed = 0;
  while (std::getline(in, line)) {
    ++n;
    ring.push_back(line);
    if (ring.size() > 6) ring.erase(ring.begin());
    if (line.find("Error") == std::string::npos) continue;
    if (printed == 0)
      log::warn("--- Quoting \"" + file + "\"");
    else if (n - 6 > printed)
      log::warn("...");
    for (size_t i = 0; i < ring.size(); ++i) {
      int no = n - static_cast<int>(ring.size()) + 1 + static_cast<int>(i);
      if (no > printed && !ring[i].empty()) {
        log::warn(std::to_string(no) + ":" + ring[i]);
        printed = no;
      }
    }
  }
  if (printed) log::warn("---");
}

// descriptors.json is a JSON array of strings (what runc writes: the init's fd 0-2 targets).
std::vector<std::string> parse_string_array(const std::string& t, const std::string& what) {
  std::vector<std::string> out;
  size_t i = t.find('[');
  if (i == std::string::npos) throw Error(what + ": not a JSON array");
  for (++i; i < t.size();) {
    char c = t[i];
    if (c == ']') return out;
    if (c == '"') {
      std::string s;
      for (++i; i < t.size() && t[i] != '"'; ++i) {
        if (t[i] == '\\' && i + 1 < t.size()) {
          ++i;
          if (t[i] == 'u' && i + 4 < t.size()) {
            s += static_cast<char>(std::stoi(t.substr(i + 1, 4), nullptr, 16));
            i += 4;
            continue;
          }
          s += t[i] == 'n' ? '\n' : t[i] == 't' ? '\t' : t[i];
          continue;
        }
        s += t[i];
      }
      out.push_back(s);
    }
    ++i;
  }
  throw Error(what + ": unterminated JSON array");
}

// The mount destination as CRIU sees it: cleaned, and through symlinks in the rootfs (runc's
// SecureJoin).
std::string mount_key(int rootfd, const std::string& dest) {
  try {
    return resolve_in_root(rootfd, dest);
  } catch (const std::exception&) {
    return dest;
  }
}

void add_ext_mount(criu::Message& o, const std::string& key, const std::string& val) {
  criu::Message m;
  m.bytes(1, key).bytes(2, val);
  o.message(criu::opt::ext_mnt, m);
}

void add_inherit_fd(criu::Message& o, const std::string& key, int fd) {
  criu::Message m;
  m.bytes(1, key).int32(2, fd);
  o.message(criu::opt::inherit_fd, m);
}

// runc's default devices (AllowedDevices with a path) plus the config's.
std::vector<std::string> device_paths(const oci::Config& cfg) {
  std::vector<std::string> v{"/dev/null", "/dev/random", "/dev/full",
                             "/dev/tty",  "/dev/zero",   "/dev/urandom"};
  if (cfg.linux)
    for (const auto& d : cfg.linux->devices) v.push_back(d.path);
  return v;
}

// runc's handleCriuConfigurationFile: annotation org.criu.config, else /etc/criu/runc.conf
// (the same file as runc's, so a CRIU configuration made for runc applies here too).
void add_config_file(criu::Message& o, const oci::Config& cfg) {
  auto it = cfg.annotations.find("org.criu.config");
  if (it == cfg.annotations.end())
    o.bytes(criu::opt::config_file, "/etc/criu/runc.conf");
  else if (!it->second.empty())
    o.bytes(criu::opt::config_file, it->second);
}

std::string ns_key(const std::string& type) {
  return type == "network" ? "extRootNetNS" : "extRootPidNS";
}
std::string ns_name(const std::string& type) {
  return type == "network" ? "net" : type;
}

// The options every request has (criu_opts), from the command line.
criu::Message common_opts(const CriuOptions& o, int images_fd, int work_fd, const char* log_file) {
  criu::Message m;
  m.int32(criu::opt::images_dir_fd, images_fd)
      .int32(criu::opt::log_level, 4)
      .bytes(criu::opt::log_file, log_file)
      .boolean(criu::opt::manage_cgroups, true)
      .varint(criu::opt::manage_cgroups_mode, static_cast<uint64_t>(cg_mode(o.manage_cgroups_mode)))
      .boolean(criu::opt::notify_scripts, true)
      .boolean(criu::opt::shell_job, o.shell_job)
      .boolean(criu::opt::tcp_established, o.tcp_established)
      .boolean(criu::opt::ext_unix_sk, o.ext_unix_sk)
      .boolean(criu::opt::file_locks, o.file_locks)
      .varint(criu::opt::empty_ns, o.empty_ns)
      .boolean(criu::opt::orphan_pts_master, true)
      .boolean(criu::opt::auto_dedup, o.auto_dedup)
      .boolean(criu::opt::lazy_pages, o.lazy_pages);
  if (work_fd >= 0) m.int32(criu::opt::work_dir_fd, work_fd);
  return m;
}

// Opens (making it when missing) a directory for CRIU: images or work files.
UniqueFd open_dir_for_criu(const std::string& path, bool create) {
  if (create && ::mkdir(path.c_str(), 0700) < 0 && errno != EEXIST) throw_sys("mkdir " + path);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_sys("open " + path);
  return fd;
}

void mkdir_p(const std::string& path) {
  std::string cur;
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, '/')) {
    if (part.empty()) continue;
    cur += "/" + part;
    if (::mkdir(cur.c_str(), 0700) < 0 && errno != EEXIST) throw_sys("mkdir " + cur);
  }
}

// A request's final answer: success, else runc's error (after quoting CRIU's log).
void check_response(const criu::Response& r, int want, const std::string& log_path) {
  if (r.success && r.type == want) return;
  if (!r.success) {
    log_criu_errors(log_path);
    if (!r.cr_errmsg.empty()) log::warn("criu: " + r.cr_errmsg);
    throw Error(std::string("criu failed: type ") + type_name(r.type) + " errno " +
                std::to_string(r.cr_errno));
  }
  throw Error(std::string("unable to parse the response of type ") + type_name(r.type));
}

// runc's checkCriuFeatures: mem_track (field 1) for pre-dump, lazy_pages (2) for lazy migration.
void require_feature(const std::string& bin, int field, const char* name) {
  int stdio[3] = {-1, -1, -1};
  criu::Swrk s(bin, stdio, {});
  criu::Message feat;
  feat.boolean(field, true);
  criu::Message req;
  req.varint(1, criu::kFeatureCheck).message(5, feat);
  criu::Response r = s.call(req);
  s.finish();
  if (!r.success)
    throw Error("CRIU feature check failed: criu failed: type FEATURE_CHECK errno " +
                std::to_string(r.cr_errno));
  criu::Fields f = criu::Fields::parse(r.all.get_string(8));
  if (!f.get_int(field)) throw Error(std::string("criu is missing features: [") + name + "]");
}

// ---- checkpoint ------------------------------------------------------------------------------

class Checkpoint {
 public:
  Checkpoint(const GlobalOptions& g, const std::string& id, const CriuOptions& o)
      : g_(g), id_(id), o_(o), store_(g.root) {}
  void load();              // the record, its status (running or paused), config.json
  void prepare_images();    // the image and work directories, the parent's check
  void check_criu();        // criu found, its version, features the options need
  criu::Message request();  // runc's dump request
  void dump(const criu::Message& req);
  void finish();  // deletes the container unless it is left running

 private:
  void add_mounts(criu::Message& o);

  const GlobalOptions& g_;
  std::string id_;
  CriuOptions o_;
  Store store_;
  UniqueFd dir_;
  ContainerRecord rec_;
  oci::Config cfg_;
  std::string criu_;
  int version_ = 0;
  UniqueFd images_, work_;
  std::string log_dir_;
};

void Checkpoint::load() {
  dir_ = store_.open_locked(id_);
  rec_ = Store::load(dir_.get(), id_);
  std::string status = derive_status(dir_.get(), rec_, false);
  if (status == "created" || status == "stopped" || status == "creating")
    throw Error("Container cannot be checkpointed in " + status + " state");
  cfg_ = oci::parse_config(read_file_at(dir_.get(), "config.json"), "config.json");
}

void Checkpoint::prepare_images() {
  // runc's prepareImagePaths: the default is ./checkpoint; --parent-path is relative to it
  mkdir_p(o_.image_path);
  if (!o_.parent_path.empty()) {
    if (o_.parent_path[0] == '/') throw Error("--parent-path must be relative");
    std::string real = o_.image_path + "/" + o_.parent_path;
    struct stat st;
    if (::stat(real.c_str(), &st) < 0)
      throw Error("invalid --parent-path: stat " + real + ": " + errno_text(errno), errno);
    if (!S_ISDIR(st.st_mode))
      throw Error("invalid --parent-path: " + real + ": " + errno_text(ENOTDIR), ENOTDIR);
  }
  images_ = open_dir_for_criu(o_.image_path, true);
  log_dir_ = o_.image_path;
  if (!o_.work_path.empty()) {
    work_ = open_dir_for_criu(o_.work_path, true);
    log_dir_ = o_.work_path;
  }
}

void Checkpoint::check_criu() {
  criu_ = criu_binary();
  version_ = criu_version_at_least(criu_, 30000);
  if (o_.pre_dump) require_feature(criu_, 1, "MemTrack");
  if (o_.lazy_pages) require_feature(criu_, 2, "LazyPages");
  if (o_.lazy_pages && o_.status_fd >= 0) {
    int fl = ::fcntl(o_.status_fd, F_GETFL);
    if (fl < 0)
      throw Error("invalid --status-fd argument " + std::to_string(o_.status_fd) + ": " +
                  errno_text(errno));
    if ((fl & O_ACCMODE) == O_RDONLY)
      throw Error("invalid --status-fd argument " + std::to_string(o_.status_fd) +
                  ": not writable");
  }
}

void Checkpoint::add_mounts(criu::Message& o) {
  UniqueFd root = open_fd(rec_.rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  bool cgroupns = cfg_.linux && cfg_.linux->find_namespace("cgroup");
  const cgroups::Layout& layout = host_layout();
  for (const auto& m : cfg_.mounts) {
    if (is_bind(m)) {
      std::string k = mount_key(root.get(), m.destination);
      add_ext_mount(o, k, k);
    } else if (m.type == "cgroup" && !layout.pure_v2() && !cgroupns) {
      // cgroup v1 without a cgroup namespace: one bind mount per hierarchy
      for (const auto* tab : {&layout.v1, &layout.v1_named})
        for (const auto& [name, mnt] : *tab) {
          std::string k =
              mount_key(root.get(), m.destination + "/" + mnt.substr(mnt.find_last_of('/') + 1));
          add_ext_mount(o, k, k);
        }
    }
  }
  if (cfg_.linux)
    for (const auto& p : cfg_.linux->masked_paths) {
      struct stat st;
      std::string at = "/proc/" + std::to_string(rec_.init.pid) + "/root" + p;
      if (::stat(at.c_str(), &st) < 0) {
        if (errno == ENOENT) continue;
        throw_sys("stat " + at);
      }
      if (!S_ISDIR(st.st_mode)) add_ext_mount(o, p, "/dev/null");
    }
  for (const auto& d : device_paths(cfg_)) {
    std::string k = mount_key(root.get(), d);
    add_ext_mount(o, k, k);
  }
}

criu::Message Checkpoint::request() {
  criu::Message o = common_opts(o_, images_.get(), work_ ? work_.get() : -1, "dump.log");
  o.bytes(criu::opt::root, rec_.rootfs)
      .int32(criu::opt::pid, rec_.init.pid)
      .boolean(criu::opt::leave_running, o_.leave_running)
      .boolean(criu::opt::tcp_skip_in_flight, o_.tcp_skip_in_flight)
      .boolean(criu::opt::link_remap, o_.link_remap);
  add_config_file(o, cfg_);
  // a joined network or pid namespace is external: CRIU expects it to exist at restore
  if (cfg_.linux)
    for (const auto& ns : cfg_.linux->namespaces) {
      if ((ns.type != "network" && ns.type != "pid") || ns.path.empty()) continue;
      int min = ns.type == "network" ? 31100 : 31500;
      if (version_ < min)
        throw Error("criu lacks support for external " + ns_name(ns.type) +
                    " namespace during checkpointing process (old criu version?)");
      struct stat st;
      if (::stat(ns.path.c_str(), &st) < 0) throw_sys("stat " + ns.path);
      o.bytes(criu::opt::external,
              ns_name(ns.type) + "[" + std::to_string(st.st_ino) + "]:" + ns_key(ns.type));
    }
  // the cgroup v2 freezer (CRIU >= 3.14) instead of ptrace to stop the processes
  if (!rec_.cgroup.empty() && host_layout().pure_v2() && version_ >= 31400) {
    std::string dir = cgroups::open_manager(host_layout(), rec_.cgroup)->v2_directory();
    if (!dir.empty()) o.bytes(criu::opt::freeze_cgroup, dir);
  }
  if (!o_.page_server_address.empty() && o_.page_server_port != 0) {
    criu::Message ps;
    ps.bytes(1, o_.page_server_address).int32(2, o_.page_server_port);
    o.message(criu::opt::ps, ps);
  }
  if (!o_.parent_path.empty())
    o.bytes(criu::opt::parent_img, o_.parent_path).boolean(criu::opt::track_mem, true);
  if (o_.lazy_pages && o_.status_fd >= 0 && version_ < 31500)
    o.int32(criu::opt::status_fd, o_.status_fd);
  if (!o_.pre_dump) {
    add_mounts(o);
    // the init's stdio, for restore to hand pipes back (runc's descriptors.json)
    std::string json = "[";
    for (int fd = 0; fd < 3; ++fd) {
      char buf[PATH_MAX];
      std::string link = "/proc/" + std::to_string(rec_.init.pid) + "/fd/" + std::to_string(fd);
      ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
      std::string target = n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
      json += (fd ? "," : "") + oci::json_quote(target);
    }
    write_file_atomic(o_.image_path + "/" + kDescriptors, json + "]", 0600);
  }
  criu::Message req;
  req.varint(1, o_.pre_dump ? criu::kPreDump : criu::kDump).message(2, o);
  return req;
}

void Checkpoint::dump(const criu::Message& req) {
  int stdio[3] = {-1, -1, -1};
  criu::Swrk s(criu_, stdio, {});
  int want = o_.pre_dump ? criu::kPreDump : criu::kDump;
  // A lazy dump lasts until the last page has been fetched from the page server, which may be
  // never: the container's lock is not held through it, so that state, kill and delete --force
  // work meanwhile (runc takes no lock there at all). finish() takes it again to delete.
  if (o_.lazy_pages) Store::unlock(dir_.get());
  if (log::debug_enabled())
    log::debug("checkpoint " + id_ + ": criu " + std::to_string(version_) + " " + type_name(want));
  criu::Response r = s.call(req, [&](criu::Notify& n) {
    log::debug("criu notify: " + n.script);
    if (n.script == "status-ready" && o_.status_fd >= 0) {
      if (::write(o_.status_fd, "", 1) != 1)
        log::warn("can't write \\0 to status fd: " + errno_text(errno));
      ::close(o_.status_fd);
      o_.status_fd = -1;
    }
  });
  check_response(r, want, log_dir_ + "/dump.log");
  int st = s.finish();
  // a pre-dump's CRIU waits for more requests: its exit status does not count (runc)
  if (want != criu::kPreDump && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
    throw Error("criu failed: " +
                std::string(WIFSIGNALED(st) ? "signal: " + std::to_string(WTERMSIG(st))
                                            : "exit status " + std::to_string(WEXITSTATUS(st))));
}

void Checkpoint::finish() {
  if (o_.leave_running || o_.pre_dump) return;
  dir_.reset();  // delete takes the lock itself
  try {
    delete_container(g_, id_, true);
  } catch (const std::exception& e) {
    log::warn(e.what());
  }
}

// ---- restore ---------------------------------------------------------------------------------

// Everything a failed restore undoes, in reverse order: the restored process, the cgroup, the
// state directory; the temporary mounts always.
struct RestoreCleanup {
  Store* store = nullptr;
  std::string id;
  bool dir_made = false;
  cgroups::Manager* cg = nullptr;
  pid_t restored = 0;
  std::vector<std::string> umounts;  // in order of mounting
  std::string criu_root;
  bool committed = false;

  void unmount_all() {
    for (auto it = umounts.rbegin(); it != umounts.rend(); ++it)
      if (::umount2(it->c_str(), MNT_DETACH) < 0 && errno != EINVAL)
        log::warn("unmount " + *it + ": " + errno_text(errno));
    umounts.clear();
    if (!criu_root.empty()) ::rmdir(criu_root.c_str());
    criu_root.clear();
  }
  ~RestoreCleanup() {
    unmount_all();
    if (committed) return;
    if (restored > 0) {
      ::kill(restored, SIGKILL);
      ::waitpid(restored, nullptr, 0);
    }
    if (cg) {
      try {
        cg->kill_all(SIGKILL);
        cg->destroy();
      } catch (const std::exception& e) {
        log::warn(std::string("cleanup: ") + e.what());
      }
    }
    if (dir_made) {
      try {
        store->remove(id);
      } catch (const std::exception& e) {
        log::warn(std::string("cleanup: ") + e.what());
      }
    }
  }
};

class Restore {
 public:
  Restore(const GlobalOptions& g, const RestoreOptions& o) : g_(g), o_(o), store_(g.root) {
    undo_.store = &store_;
    undo_.id = o.id;
  }
  void load();            // config.json, the rootfs, the images, criu and its version
  void make_state_dir();  // the record (status creating) and config.json
  void prepare_root();    // criu-root: the rootfs bind-mounted, the mount points made
  criu::Message request();
  void restore(criu::Message req);
  pid_t commit();

 private:
  void join_cgroup(pid_t criu_pid, criu::Message& opts);
  void on_notify(criu::Notify& n);

  const GlobalOptions& g_;
  const RestoreOptions& o_;
  Store store_;
  RestoreCleanup undo_;
  std::string text_;
  oci::Config cfg_;
  std::string rootfs_;
  std::string criu_;
  int version_ = 0;
  UniqueFd images_, work_;
  std::string log_dir_;
  std::vector<std::string> fds_;  // descriptors.json
  std::vector<UniqueFd> extra_;   // criu's fds 4, 5, ...
  UniqueFd dir_;
  ContainerRecord rec_;
  std::unique_ptr<cgroups::Manager> cg_;
  pid_t pid_ = 0;
};

void Restore::load() {
  Store::check_id(o_.id);
  text_ = read_file(o_.bundle + "/config.json");
  cfg_ = oci::parse_config(text_, "config.json");
  if (!cfg_.root) throw Error("config.json: root: required to restore a container");
  if (!cfg_.linux) cfg_.linux.emplace();
  rootfs_ = resolve_rootfs(o_.bundle, cfg_.root->path);
  if (cfg_.process && cfg_.process->terminal && o_.console_socket.empty())
    throw Error("process.terminal is true: --console-socket is required to receive the pty");
  criu_ = criu_binary();
  version_ = criu_version_at_least(criu_, 30000);
  if ((!o_.criu.lsm_profile.empty() || !o_.criu.lsm_mount_context.empty()) && version_ < 31600)
    throw Error(std::string(o_.criu.lsm_profile.empty() ? "--lsm-mount-context" : "--lsm-profile") +
                " requires at least CRIU 3.16");
  images_ = open_dir_for_criu(o_.criu.image_path, false);
  log_dir_ = o_.criu.image_path;
  fds_ = parse_string_array(read_file(o_.criu.image_path + "/" + kDescriptors), kDescriptors);
  if (!o_.criu.work_path.empty()) {
    work_ = open_dir_for_criu(o_.criu.work_path, true);
    log_dir_ = o_.criu.work_path;
  }
}

void Restore::make_state_dir() {
  cgroups::Options copts;
  copts.id = o_.id;
  copts.cgroups_path = cfg_.linux->cgroups_path;
  copts.systemd = g_.systemd_cgroup;
  if (copts.systemd) copts.annotations = cfg_.annotations;
  cg_ = cgroups::make_manager(host_layout(), copts);
  dir_ = store_.create_dir(o_.id);
  undo_.dir_made = true;
  rec_.id = o_.id;
  rec_.bundle = o_.bundle;
  rec_.rootfs = rootfs_;
  rec_.annotations = cfg_.annotations;
  rec_.cgroup = cg_->serialize_planned();
  Store::save_new(dir_.get(), rec_, text_);
}

void Restore::prepare_root() {
  // CRIU wants a root that is a mount point whose parent is not overmounted (runc: criu-root)
  std::string root = store_.dir(o_.id) + "/criu-root";
  if (::mkdir(root.c_str(), 0755) < 0) throw_sys("mkdir " + root);
  undo_.criu_root = root;
  if (::mount(rootfs_.c_str(), root.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
    throw_sys("mount " + rootfs_ + " on " + root);
  undo_.umounts.push_back(root);
  // runc's prepareCriuRestoreMounts: the mount points (not on a tmpfs, which CRIU restores
  // whole) exist, and bind mounts are there meanwhile so that mounts inside them find theirs
  UniqueFd rootfd = open_fd(rootfs_, O_PATH | O_DIRECTORY | O_CLOEXEC);
  auto on_tmpfs = [&](const std::string& p) {
    for (const auto& m : cfg_.mounts)
      if (m.type == "tmpfs" && p.rfind(m.destination + "/", 0) == 0) return true;
    return false;
  };
  for (const auto& m : cfg_.mounts) {
    if (m.type == "cgroup" || on_tmpfs(m.destination)) continue;
    bool file = false;
    if (is_bind(m)) {
      struct stat st;
      std::string src = bind_source(m, o_.bundle);
      file = ::stat(src.c_str(), &st) == 0 && !S_ISDIR(st.st_mode);
    }
    UniqueFd at;
    try {
      at = file ? mkfile_in_root(rootfd.get(), m.destination)
                : mkdir_all_in_root(rootfd.get(), m.destination);
    } catch (const Error& e) {
      throw Error("create criu restore mountpoint for " + m.destination + " mount: " + e.what());
    }
    if (!is_bind(m)) continue;
    std::string dest = rootfs_ + resolve_in_root(rootfd.get(), m.destination);
    std::string src = bind_source(m, o_.bundle);
    if (::mount(src.c_str(), fd_path(at.get()).c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
      throw_sys("mount " + src + " on " + m.destination);
    undo_.umounts.push_back(dest);
  }
}

criu::Message Restore::request() {
  const CriuOptions& c = o_.criu;
  criu::Message o = common_opts(c, images_.get(), work_ ? work_.get() : -1, "restore.log");
  o.boolean(criu::opt::evasive_devices, true)
      .boolean(criu::opt::rst_sibling, true)
      .bytes(criu::opt::root, undo_.criu_root);
  if (!c.lsm_profile.empty()) o.bytes(criu::opt::lsm_profile, c.lsm_profile);
  if (!c.lsm_mount_context.empty()) o.bytes(criu::opt::lsm_mount_context, c.lsm_mount_context);
  add_config_file(o, cfg_);
  // runc's handleRestoringNamespaces
  for (const auto& ns : cfg_.linux->namespaces) {
    if (ns.path.empty()) continue;
    if (ns.type == "network" || ns.type == "pid") {
      if (version_ < (ns.type == "network" ? 31100 : 31500))
        throw Error("criu lacks support for external " + ns_name(ns.type) +
                    " namespace during the restoration process (old criu version?)");
      UniqueFd f(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!f) throw Error("Requested network namespace " + ns.path + " does not exist", errno);
      add_inherit_fd(o, ns_key(ns.type), 4 + static_cast<int>(extra_.size()));
      extra_.push_back(std::move(f));
    } else {
      if (ns.type == "cgroup") throw Error("Do not know how to handle namespace cgroup");
      criu::Message j;
      j.bytes(1, ns.type == "network" ? "net" : ns.type).bytes(2, ns.path);
      o.message(criu::opt::join_ns, j);
    }
  }
  UniqueFd rootfd = open_fd(rootfs_, O_PATH | O_DIRECTORY | O_CLOEXEC);
  bool cgroupns = cfg_.linux->find_namespace("cgroup") != nullptr;
  const cgroups::Layout& layout = host_layout();
  for (const auto& m : cfg_.mounts) {
    if (is_bind(m)) {
      add_ext_mount(o, mount_key(rootfd.get(), m.destination), bind_source(m, o_.bundle));
    } else if (m.type == "cgroup" && !layout.pure_v2() && !cgroupns) {
      for (const auto* tab : {&layout.v1, &layout.v1_named})
        for (const auto& [name, mnt] : *tab) {
          std::string base = mnt.substr(mnt.find_last_of('/') + 1);
          add_ext_mount(o, mount_key(rootfd.get(), m.destination + "/" + base), mnt);
        }
    }
  }
  if (!cfg_.linux->masked_paths.empty()) add_ext_mount(o, "/dev/null", "/dev/null");
  for (const auto& d : device_paths(cfg_)) add_ext_mount(o, mount_key(rootfd.get(), d), d);
  // the init's stdio pipes become ours (criu's 0-2 are this process's)
  for (size_t i = 0; i < fds_.size(); ++i)
    if (fds_[i].find("pipe:") != std::string::npos) add_inherit_fd(o, fds_[i], static_cast<int>(i));
  return o;
}

void Restore::join_cgroup(pid_t criu_pid, criu::Message& opts) {
  // runc's criuApplyCgroups: criu itself goes into the container's cgroup, with the limits,
  // so the restored processes land there; CRIU is told where that is (cg_root)
  cg_->start(criu_pid);  // the systemd driver: a scope with criu in it; else the directories
  undo_.cg = cg_.get();
  cg_->apply(with_default_devices(cfg_.linux->resources));
  cg_->add_process(criu_pid);
  rec_.cgroup = cg_->serialize();
  Store::save(dir_.get(), rec_);
  std::istringstream in(read_file("/proc/" + std::to_string(criu_pid) + "/cgroup"));
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string ctrls = line.substr(a + 1, b - a - 1);
    criu::Message r;
    r.bytes(1, ctrls).bytes(2, line.substr(b + 1));
    opts.message(criu::opt::cg_root, r);
  }
}

void Restore::on_notify(criu::Notify& n) {
  log::debug("criu notify: " + n.script);
  if (n.script == "setup-namespaces") {
    if (cfg_.hooks && cfg_.hooks->runtime_side()) {
      std::string st = oci::state_to_hook_json(make_state(rec_, "creating", n.pid));
      run_hooks(cfg_.hooks->prestart, st, "prestart", HookOptions{rec_.bundle});
      run_hooks(cfg_.hooks->create_runtime, st, "createRuntime", HookOptions{rec_.bundle});
    }
  } else if (n.script == "post-restore") {
    pid_ = n.pid;
    undo_.restored = n.pid;
    rec_.init = ProcessId::of(n.pid);
    rec_.created = log::rfc3339_nano_now();
    rec_.created_done = true;
    rec_.creator = ProcessId{};
    Store::save(dir_.get(), rec_);
  } else if (n.script == "orphan-pts-master") {
    if (!n.fd) throw Error("criu sent no pty master with orphan-pts-master");
    UniqueFd sock = connect_unix(o_.console_socket, "console socket");
    send_fd(sock.get(), n.fd.get(), "/dev/ptmx");
  }
}

void Restore::restore(criu::Message opts) {
  const int stdio[3] = {0, 1, 2};
  std::vector<int> extra;
  for (const auto& f : extra_) extra.push_back(f.get());
  criu::Swrk s(criu_, stdio, extra);
  join_cgroup(s.pid(), opts);
  criu::Message req;
  req.varint(1, criu::kRestore).message(2, opts);
  criu::Response r = s.call(req, [&](criu::Notify& n) { on_notify(n); });
  check_response(r, criu::kRestore, log_dir_ + "/restore.log");
  if (pid_ == 0) {
    criu::Fields rr = criu::Fields::parse(r.all.get_string(4));
    criu::Notify n{"post-restore", static_cast<pid_t>(rr.get_int(1)), {}};
    on_notify(n);
  }
  int st = s.finish();
  if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
    throw Error("criu failed: " +
                std::string(WIFSIGNALED(st) ? "signal: " + std::to_string(WTERMSIG(st))
                                            : "exit status " + std::to_string(WEXITSTATUS(st))));
}

pid_t Restore::commit() {
  if (!o_.pid_file.empty()) write_file_atomic(o_.pid_file, std::to_string(pid_), 0644);
  undo_.unmount_all();
  undo_.committed = true;
  return pid_;
}

}  // namespace

void checkpoint_container(const GlobalOptions& g, const std::string& id, const CriuOptions& opts) {
  if (::geteuid() != 0) log::warn("nucleus-oci checkpoint is untested with rootless containers");
  Checkpoint c(g, id, opts);
  c.load();
  c.prepare_images();
  c.check_criu();
  c.dump(c.request());
  c.finish();
}

int restore_container(const GlobalOptions& g, const RestoreOptions& opts) {
  if (::geteuid() != 0) log::warn("nucleus-oci restore is untested with rootless containers");
  std::optional<cli::ForwardedSignals> sigs;
  if (!opts.detach) {
    sigs.emplace();
    if (!opts.no_subreaper && ::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
      throw_sys("prctl PR_SET_CHILD_SUBREAPER");
  }
  pid_t pid;
  {
    Restore r(g, opts);
    r.load();
    r.make_state_dir();
    r.prepare_root();
    r.restore(r.request());
    pid = r.commit();
  }
  if (opts.detach) return 0;
  int status = cli::wait_foreground(pid, *sigs, UniqueFd());
  try {
    delete_container(g, opts.id, true);
  } catch (const std::exception& e) {
    log::warn(e.what());
  }
  return status;
}

std::string checkpoint_support() {
  try {
    std::string bin = criu::find_criu();
    int v = criu::version(bin);
    return "criu " + std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." +
           std::to_string(v % 100) + " (" + bin + ", criu swrk)";
  } catch (const std::exception& e) {
    return std::string("unavailable: ") + e.what();
  }
}

}  // namespace nucleus
