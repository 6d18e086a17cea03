#define BOOST_TEST_MODULE cgroups
#define BOOST_TEST_DYN_LINK
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "cgroups/fs_manager.hpp"
#include "runtime/util/error.hpp"
#include "runtime/util/fs.hpp"

namespace cg = nucleus::cgroups;
namespace fs = std::filesystem;
using nucleus::oci::Resources;

namespace {

// A temporary directory standing in for /sys/fs/cgroup. Files the kernel would create in each
// new cgroup are pre-created by make_files() after create().
struct FakeRoot {
  fs::path root;
  FakeRoot() {
    char tmpl[] = "/tmp/nucleus-cgtest-XXXXXX";
    root = mkdtemp(tmpl);
  }
  ~FakeRoot() { fs::remove_all(root); }
  cg::Layout v1() const {
    cg::Layout l;
    for (const char* c :
         {"cpu", "cpuset", "memory", "pids", "blkio", "devices", "freezer", "hugetlb"}) {
      fs::create_directories(root / c);
      l.v1[c] = (root / c).string();
    }
    for (const char* f : {"cpuset.cpus", "cpuset.mems"}) write(root / "cpuset" / f, "0-1");
    return l;
  }
  cg::Layout v2() const {
    cg::Layout l;
    l.v2 = (root / "unified").string();
    fs::create_directories(root / "unified");
    l.v2_controllers = {"cpu", "cpuset", "io", "memory", "pids", "hugetlb"};
    write(root / "unified" / "cgroup.controllers", "cpu cpuset io memory pids hugetlb");
    write(root / "unified" / "cgroup.subtree_control", "");
    return l;
  }
  static void write(const fs::path& p, const std::string& v) {
    int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (write_all(fd, v) < 0) BOOST_FAIL("write " << p);
    close(fd);
  }
  static int write_all(int fd, const std::string& v) {
    return static_cast<int>(::write(fd, v.data(), v.size()));
  }
  static std::string read(const fs::path& p) {
    return nucleus::trim(nucleus::read_file(p.string()));
  }
};

// The cgroupfs files a fresh cgroup has (so write_file's O_WRONLY open finds them).
void make_files(const fs::path& dir, std::initializer_list<const char*> files) {
  for (const char* f : files) FakeRoot::write(dir / f, "");
}

}  // namespace

BOOST_AUTO_TEST_CASE(v1_every_field_writes_the_right_file) {
  FakeRoot fr;
  cg::Layout l = fr.v1();
  auto m = cg::make_manager(l, {"c1", std::string("/test/c1"), false, false});
  m->create();
  make_files(fr.root / "memory/test/c1",
             {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes",
              "memory.swappiness", "memory.oom_control", "memory.kmem.tcp.limit_in_bytes"});
  make_files(fr.root / "cpu/test/c1", {"cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us"});
  make_files(fr.root / "pids/test/c1", {"pids.max"});
  make_files(fr.root / "cpuset/test/c1", {"cpuset.cpus"});
  make_files(fr.root / "blkio/test/c1", {"blkio.weight", "blkio.throttle.read_bps_device"});
  make_files(fr.root / "devices/test/c1", {"devices.allow", "devices.deny"});
  make_files(fr.root / "hugetlb/test/c1", {"hugetlb.2MB.limit_in_bytes"});
  Resources r;
  r.memory.emplace();
  r.memory->limit = 1048576;
  r.memory->swap = 2097152;
  r.memory->reservation = 524288;
  r.memory->swappiness = 10;
  r.memory->disable_oom_killer = true;
  r.memory->kernel_tcp = 4096;
  r.cpu.emplace();
  r.cpu->shares = 512;
  r.cpu->quota = 50000;
  r.cpu->period = 100000;
  r.cpu->cpus = "0";
  r.pids.emplace();
  r.pids->limit = 10;
  r.block_io.emplace();
  r.block_io->weight = 500;
  r.block_io->throttle_read_bps_device.push_back({8, 0, 1000});
  r.devices.push_back({false, "", {}, {}, "rwm"});
  r.devices.push_back({true, "c", 1, 3, "rw"});
  r.hugepage_limits.push_back({"2MB", 4194304});
  m->apply(r);
  fs::path mem = fr.root / "memory/test/c1";
  BOOST_TEST(fr.read(mem / "memory.limit_in_bytes") == "1048576");
  BOOST_TEST(fr.read(mem / "memory.memsw.limit_in_bytes") == "2097152");
  BOOST_TEST(fr.read(mem / "memory.soft_limit_in_bytes") == "524288");
  BOOST_TEST(fr.read(mem / "memory.swappiness") == "10");
  BOOST_TEST(fr.read(mem / "memory.oom_control") == "1");
  BOOST_TEST(fr.read(mem / "memory.kmem.tcp.limit_in_bytes") == "4096");
  BOOST_TEST(fr.read(fr.root / "cpu/test/c1/cpu.shares") == "512");
  BOOST_TEST(fr.read(fr.root / "cpu/test/c1/cpu.cfs_quota_us") == "50000");
  BOOST_TEST(fr.read(fr.root / "cpu/test/c1/cpu.cfs_period_us") == "100000");
  BOOST_TEST(fr.read(fr.root / "cpuset/test/c1/cpuset.cpus") == "0");
  BOOST_TEST(fr.read(fr.root / "pids/test/c1/pids.max") == "10");
  BOOST_TEST(fr.read(fr.root / "blkio/test/c1/blkio.weight") == "500");
  BOOST_TEST(fr.read(fr.root / "blkio/test/c1/blkio.throttle.read_bps_device") == "8:0 1000");
  // The last write wins in a plain file: the allow rule came after "deny a".
  BOOST_TEST(fr.read(fr.root / "devices/test/c1/devices.allow") == "c 1:3 rw");
  BOOST_TEST(fr.read(fr.root / "devices/test/c1/devices.deny") == "a");
  BOOST_TEST(fr.read(fr.root / "hugetlb/test/c1/hugetlb.2MB.limit_in_bytes") == "4194304");
}

BOOST_AUTO_TEST_CASE(v1_missing_controller_is_an_error_naming_the_field) {
  FakeRoot fr;
  cg::Layout l = fr.v1();
  auto m = cg::make_manager(l, {"c1", std::nullopt, false, false});
  m->create();
  Resources r;
  r.network.emplace();
  r.network->class_id = 7;
  try {
    m->apply(r);
    BOOST_FAIL("no error");
  } catch (const nucleus::Error& e) {
    BOOST_TEST(std::string(e.what()) ==
               "linux.resources.network.classID: the host has no net_cls cgroup controller");
  }
  r = Resources{};
  r.memory.emplace();
  r.memory->kernel = 1;  // the file does not exist in the fake hierarchy
  try {
    m->apply(r);
    BOOST_FAIL("no error");
  } catch (const nucleus::Error& e) {
    BOOST_TEST(std::string(e.what()).find("linux.resources.memory.kernel: open ") == 0);
  }
}

BOOST_AUTO_TEST_CASE(v2_conversions) {
  BOOST_TEST(cg::shares_to_weight(1024) == 39u);
  BOOST_TEST(cg::shares_to_weight(512) == 20u);
  BOOST_TEST(cg::shares_to_weight(2) == 1u);
  BOOST_TEST(cg::shares_to_weight(262144) == 10000u);
  BOOST_TEST(cg::blkio_weight_to_io_weight(10) == 1u);
  BOOST_TEST(cg::blkio_weight_to_io_weight(1000) == 10000u);
  BOOST_TEST(cg::blkio_weight_to_io_weight(500) == 4950u);
  BOOST_TEST(cg::swap_to_v2(-1, 100) == "max");
  BOOST_TEST(cg::swap_to_v2(300, 100) == "200");
  BOOST_CHECK_THROW(cg::swap_to_v2(50, 100), nucleus::Error);
}

BOOST_AUTO_TEST_CASE(v2_every_field_writes_the_right_file) {
  FakeRoot fr;
  cg::Layout l = fr.v2();
  auto m = cg::make_manager(l, {"c1", std::string("rel/c1"), false, false});
  BOOST_TEST(m->path() == "/rel/c1");
  m->create();
  // Controllers were enabled for the children of each ancestor.
  BOOST_TEST(fr.read(fr.root / "unified/cgroup.subtree_control") == "+hugetlb");  // last write
  fs::path d = fr.root / "unified/rel/c1";
  make_files(d, {"memory.max", "memory.swap.max", "memory.low", "cpu.weight", "cpu.max", "pids.max",
                 "io.weight", "io.max", "hugetlb.2MB.max", "memory.high"});
  FakeRoot::write(d / "cpu.max", "max 100000");
  Resources r;
  r.memory.emplace();
  r.memory->limit = 1000;
  r.memory->swap = 3000;
  r.cpu.emplace();
  r.cpu->shares = 1024;
  r.cpu->quota = 50000;
  r.pids.emplace();
  r.pids->limit = 0;
  r.block_io.emplace();
  r.block_io->weight = 500;
  r.block_io->throttle_write_iops_device.push_back({8, 16, 20});
  r.hugepage_limits.push_back({"2MB", 2097152});
  r.unified["memory.high"] = "5000";
  m->apply(r);
  BOOST_TEST(fr.read(d / "memory.max") == "1000");
  BOOST_TEST(fr.read(d / "memory.swap.max") == "2000");
  BOOST_TEST(fr.read(d / "cpu.weight") == "39");
  BOOST_TEST(fr.read(d / "cpu.max") == "50000 100000");
  BOOST_TEST(fr.read(d / "pids.max") == "max");
  BOOST_TEST(fr.read(d / "io.weight") == "default 4950");
  BOOST_TEST(fr.read(d / "io.max") == "8:16 wiops=20");
  BOOST_TEST(fr.read(d / "hugetlb.2MB.max") == "2097152");
  BOOST_TEST(fr.read(d / "memory.high") == "5000");
  r = Resources{};
  r.unified["../escape"] = "1";
  BOOST_CHECK_THROW(m->apply(r), nucleus::Error);
  r = Resources{};
  r.memory.emplace();
  r.memory->kernel = 5;
  BOOST_CHECK_THROW(m->apply(r), nucleus::Error);
}

BOOST_AUTO_TEST_CASE(destroy_removes_only_created_dirs_and_round_trips) {
  FakeRoot fr;
  cg::Layout l = fr.v1();
  fs::create_directories(fr.root / "memory/existing");
  auto m = cg::make_manager(l, {"c1", std::string("/existing/c1"), false, false});
  m->create();
  BOOST_TEST(fs::exists(fr.root / "memory/existing/c1"));
  BOOST_TEST(fs::exists(fr.root / "pids/existing/c1"));
  auto again = cg::open_manager(l, m->serialize());
  BOOST_TEST(again->path() == "/existing/c1");
  // Fake cgroupfs dirs hold regular files; real ones don't: empty them first.
  for (auto& e : fs::recursive_directory_iterator(fr.root))
    if (e.is_regular_file() && e.path().string().find("/c1/") != std::string::npos)
      fs::remove(e.path());
  again->destroy();
  BOOST_TEST(!fs::exists(fr.root / "memory/existing/c1"));
  BOOST_TEST(fs::exists(fr.root / "memory/existing"));  // not ours
  BOOST_TEST(!fs::exists(fr.root / "pids/existing"));   // ours: made by create()
}

BOOST_AUTO_TEST_CASE(default_path_and_systemd) {
  FakeRoot fr;
  auto m = cg::make_manager(fr.v1(), {"abc", std::nullopt, false, false});
  BOOST_TEST(m->path() == "/nucleus-oci/abc");
  BOOST_CHECK_THROW(cg::make_manager(fr.v1(), {"abc", std::nullopt, true, false}), nucleus::Error);
  BOOST_CHECK_THROW(cg::open_manager(fr.v1(), "not-a-path"), nucleus::Error);
}

// ---- the real host (root only) ----

namespace {
bool root() {
  return geteuid() == 0;
}

boost::test_tools::assertion_result needs_root(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result r(root());
  r.message() << "SKIP: needs root";
  return r;
}

boost::test_tools::assertion_result needs_root_and_v2(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result r(root() && !cg::Layout::detect().v2.empty());
  r.message() << "SKIP: needs root and a cgroup2 mount";
  return r;
}

struct RealCgroup {
  std::unique_ptr<cg::Manager> m;
  explicit RealCgroup(const std::string& id) {
    m = cg::make_manager(cg::Layout::detect(), {id, "/nucleus-unit/" + id, false, false});
    m->create();
  }
  ~RealCgroup() {
    try {
      m->kill_all(SIGKILL);
      usleep(50000);
      m->destroy();
    } catch (...) {
    }
  }
};
}  // namespace

BOOST_AUTO_TEST_CASE(real_host_limits_freeze_kill_destroy,
                     *boost::unit_test::precondition(needs_root)) {
  cg::Layout l = cg::Layout::detect();
  std::string id = "real" + std::to_string(getpid());
  RealCgroup c(id);
  Resources r;
  r.memory.emplace();
  r.memory->limit = 64 << 20;
  r.pids.emplace();
  r.pids->limit = 20;
  r.cpu.emplace();
  r.cpu->shares = 256;
  c.m->apply(r);
  auto* fsm = dynamic_cast<cg::FsManager*>(c.m.get());
  if (!l.v1.empty()) {
    BOOST_TEST(nucleus::trim(nucleus::read_file(
                   fsm->v1_dir("memory") + "/memory.limit_in_bytes")) == std::to_string(64 << 20));
    BOOST_TEST(nucleus::trim(nucleus::read_file(fsm->v1_dir("pids") + "/pids.max")) == "20");
  }
  pid_t kid = fork();
  if (kid == 0) {
    pause();
    _exit(0);
  }
  c.m->add_process(kid);
  auto pids = c.m->pids();
  BOOST_TEST((std::find(pids.begin(), pids.end(), kid) != pids.end()));
  c.m->freeze();
  BOOST_TEST(c.m->frozen());
  c.m->thaw();
  BOOST_TEST(!c.m->frozen());
  c.m->kill_all(SIGKILL);
  int st = 0;
  waitpid(kid, &st, 0);
  BOOST_TEST(WIFSIGNALED(st));
  std::string mem_dir = l.v1.empty() ? fsm->v2_dir() : fsm->v1_dir("memory");
  c.m->destroy();
  BOOST_TEST(!nucleus::path_exists(mem_dir));
}

BOOST_AUTO_TEST_CASE(real_host_bpf_device_filter,
                     *boost::unit_test::precondition(needs_root_and_v2)) {
  cg::Layout l = cg::Layout::detect();
  std::string dir = l.v2 + "/nucleus-unit-bpf-" + std::to_string(getpid());
  BOOST_REQUIRE(mkdir(dir.c_str(), 0755) == 0);
  struct Cleanup {
    std::string d;
    ~Cleanup() { rmdir(d.c_str()); }
  } cleanup{dir};
  // Allow everything, then deny /dev/null (c 1:3): the last matching rule wins.
  std::vector<nucleus::oci::DeviceCgroupRule> rules = {{true, "a", {}, {}, "rwm"},
                                                       {false, "c", 1, 3, "rwm"}};
  cg::attach_device_filter(dir, rules);
  int pipefd[2];
  BOOST_REQUIRE(pipe(pipefd) == 0);
  pid_t kid = fork();
  if (kid == 0) {
    nucleus::write_file(dir + "/cgroup.procs", std::to_string(getpid()));
    int null_fd = open("/dev/null", O_RDONLY);
    int null_err = errno;
    int zero_fd = open("/dev/zero", O_RDONLY);
    _exit(null_fd < 0 && null_err == EPERM && zero_fd >= 0 ? 0 : 1);
  }
  int st = 0;
  waitpid(kid, &st, 0);
  BOOST_TEST(WIFEXITED(st));
  BOOST_TEST(WEXITSTATUS(st) == 0);
}
