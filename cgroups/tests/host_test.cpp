// The real host (root only): a container cgroup with limits, a process, freeze/thaw, kill and
// destroy; and the cgroup2 eBPF device filter enforced on a real process.
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "cgroups/tests/fake.hpp"
#include "util/error.hpp"

namespace cg = nucleus::cgroups;
using namespace cgtest;
using nucleus::cgroups::read_kv;
using nucleus::oci::DeviceCgroupRule;
using nucleus::oci::Resources;

namespace {

boost::test_tools::assertion_result needs_root(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result r(::geteuid() == 0);
  r.message() << "SKIP: needs root (creates real cgroups)";
  return r;
}

boost::test_tools::assertion_result needs_root_and_cgroup2(boost::unit_test::test_unit_id) {
  bool ok = ::geteuid() == 0 && !cg::Layout::detect().v2.empty();
  boost::test_tools::assertion_result r(ok);
  r.message() << "SKIP: needs root and a cgroup2 mount";
  return r;
}

// Kills whatever is left and removes the cgroup even when an assertion failed.
struct RealCgroup {
  std::unique_ptr<cg::Manager> m;
  // path unset: the default cgroup, /nucleus-oci/<id>.
  explicit RealCgroup(std::optional<std::string> path, const std::string& id = "unit") {
    cg::Options o;
    o.id = id;
    o.cgroups_path = std::move(path);
    m = cg::make_manager(cg::Layout::detect(), o);
    m->create();
  }
  ~RealCgroup() {
    try {
      if (m->frozen()) m->thaw();
      for (pid_t p : m->pids()) ::kill(p, SIGKILL);
      while (::waitpid(-1, nullptr, WNOHANG) > 0) {
      }
      m->destroy();
    } catch (const std::exception& e) {
      BOOST_TEST_MESSAGE("cleanup: " << e.what());
    }
  }
};

pid_t spawn_sleeper() {
  pid_t kid = ::fork();
  if (kid == 0) {
    for (;;) ::pause();
  }
  return kid;
}

}  // namespace

BOOST_AUTO_TEST_CASE(real_host_limits_processes_freeze_kill_destroy,
                     *boost::unit_test::precondition(needs_root)) {
  cg::Layout l = cg::Layout::detect();
  std::string path = "/nucleus-unit-" + std::to_string(::getpid()) + "/c1";
  std::vector<std::string> dirs;
  {
    RealCgroup c(path);
    auto& f = fsm(c.m);
    for (const auto& h : f.hierarchies()) {
      dirs.push_back(h.dir());
      BOOST_TEST(fs::is_directory(h.dir()));
    }
    Resources r;
    r.memory.emplace().limit = 64 << 20;
    r.pids.emplace().limit = 20;
    r.cpu.emplace().shares = 256;
    c.m->apply(r);
    if (!l.v1.empty()) {
      BOOST_TEST(slurp(f.v1_dir("memory") + "/memory.limit_in_bytes") == std::to_string(64 << 20));
      BOOST_TEST(slurp(f.v1_dir("pids") + "/pids.max") == "20");
      BOOST_TEST(slurp(f.v1_dir("cpu") + "/cpu.shares") == "256");
    } else {
      BOOST_TEST(slurp(f.v2_dir() + "/memory.max") == std::to_string(64 << 20));
      BOOST_TEST(slurp(f.v2_dir() + "/pids.max") == "20");
      BOOST_TEST(slurp(f.v2_dir() + "/cpu.weight") == "10");
    }
    // The kernel removed memory.kmem.limit_in_bytes: the field is an error naming the file.
    if (!l.v1.empty() &&
        !nucleus::path_exists(f.v1_dir("memory") + "/memory.kmem.limit_in_bytes")) {
      Resources k;
      k.memory.emplace().kernel = 1 << 20;
      BOOST_CHECK_EXCEPTION(c.m->apply(k), nucleus::Error, [](const nucleus::Error& e) {
        return std::string(e.what()).find("linux.resources.memory.kernel: write 1048576 to ") == 0;
      });
    }

    pid_t kid = spawn_sleeper();
    c.m->add_process(kid);
    for (const auto& h : f.hierarchies())
      BOOST_TEST(slurp(h.dir() + "/cgroup.procs") == std::to_string(kid));
    auto pids = c.m->pids();
    BOOST_TEST((pids == std::vector<pid_t>{kid}));
    auto s = c.m->stats();
    BOOST_TEST(s.pids.current == 1u);
    BOOST_TEST(s.pids.limit == 20u);
    BOOST_TEST(s.memory.limit == static_cast<uint64_t>(64 << 20));

    c.m->freeze();
    BOOST_TEST(c.m->frozen());
    // On hybrid hosts too the v1 freezer is the one used (our tasks are in it).
    if (!f.v1_dir("freezer").empty())
      BOOST_TEST(slurp(f.v1_dir("freezer") + "/freezer.state") == "FROZEN");
    c.m->thaw();
    BOOST_TEST(!c.m->frozen());

    c.m->kill_all(SIGKILL);
    int status = 0;
    BOOST_TEST(::waitpid(kid, &status, 0) == kid);
    BOOST_TEST(WIFSIGNALED(status));
    BOOST_TEST(WTERMSIG(status) == SIGKILL);
    BOOST_TEST(c.m->pids().empty());
    BOOST_TEST(c.m->oom_kill_count() == 0u);
    c.m->destroy();
    for (const auto& d : dirs) BOOST_TEST(!nucleus::path_exists(d));
  }
  // The parents create() made are gone too, in every hierarchy.
  for (const auto& d : dirs) BOOST_TEST(!nucleus::path_exists(fs::path(d).parent_path().string()));
}

BOOST_AUTO_TEST_CASE(real_host_hybrid_hugetlb_goes_to_cgroup2,
                     *boost::unit_test::precondition(needs_root)) {
  cg::Layout l = cg::Layout::detect();
  if (l.v1.count("hugetlb") || !l.hybrid() ||
      std::find(l.v2_controllers.begin(), l.v2_controllers.end(), "hugetlb") ==
          l.v2_controllers.end()) {
    BOOST_TEST_MESSAGE("SKIP: not a hybrid host with hugetlb only on the cgroup2 side");
    return;
  }
  RealCgroup c("/nucleus-unit-" + std::to_string(::getpid()) + "-huge");
  std::string v2 = fsm(c.m).v2_dir();
  std::string size;
  for (const auto& e : fs::directory_iterator(v2)) {
    std::string n = e.path().filename();
    if (n.rfind("hugetlb.", 0) == 0 && n.size() > 12 && n.substr(n.size() - 4) == ".max" &&
        n.find("rsvd") == std::string::npos)
      size = n.substr(8, n.size() - 12);
  }
  BOOST_REQUIRE_MESSAGE(!size.empty(), "no hugetlb.<size>.max in " << v2);
  Resources r;
  r.hugepage_limits.push_back({size, 0});
  c.m->apply(r);
  BOOST_TEST(slurp(v2 + "/hugetlb." + size + ".max") == "0");
}

BOOST_AUTO_TEST_CASE(real_host_bpf_device_filter,
                     *boost::unit_test::precondition(needs_root_and_cgroup2)) {
  cg::Layout l = cg::Layout::detect();
  std::string dir = l.v2 + "/nucleus-unit-bpf-" + std::to_string(::getpid());
  BOOST_REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
  struct Cleanup {
    std::string d;
    ~Cleanup() {
      for (int i = 0; i < 100 && ::rmdir(d.c_str()) < 0 && errno == EBUSY; ++i) ::usleep(10000);
    }
  } cleanup{dir};

  // In a child in the cgroup: 0 = /dev/null refused with EPERM, /dev/zero (read) allowed,
  // /dev/zero for writing refused (the allow rule is read-only).
  auto probe = [&] {
    pid_t kid = ::fork();
    if (kid == 0) {
      int fd = ::open((dir + "/cgroup.procs").c_str(), O_WRONLY);
      std::string me = std::to_string(::getpid());
      if (fd < 0 || ::write(fd, me.data(), me.size()) < 0) ::_exit(10);
      ::close(fd);
      int null_fd = ::open("/dev/null", O_RDONLY);
      int null_err = errno;
      int zero_fd = ::open("/dev/zero", O_RDONLY);
      int zero_w = ::open("/dev/zero", O_WRONLY);
      int zero_w_err = errno;
      if (null_fd >= 0 || null_err != EPERM) ::_exit(1);
      if (zero_fd < 0) ::_exit(2);
      if (zero_w >= 0 || zero_w_err != EPERM) ::_exit(3);
      ::_exit(0);
    }
    int st = 0;
    ::waitpid(kid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
  };
  // Everything allowed, then /dev/null denied and /dev/zero narrowed to reading: later rules win.
  cg::attach_device_filter(
      dir, {DeviceCgroupRule{true, "a", {}, {}, "rwm"}, DeviceCgroupRule{false, "c", 1, 3, "rwm"},
            DeviceCgroupRule{false, "c", 1, 5, "w"}});
  BOOST_TEST(probe() == 0);
  // Default deny: only /dev/zero reads allowed. Replaces the first program (one attached).
  cg::attach_device_filter(dir, {DeviceCgroupRule{true, "c", 1, 5, "r"}});
  BOOST_TEST(probe() == 0);
  uint32_t ids[8];
  bpf_attr q{};
  nucleus::UniqueFd dfd = nucleus::open_fd(dir, O_RDONLY | O_DIRECTORY);
  q.query.target_fd = static_cast<uint32_t>(dfd.get());
  q.query.attach_type = BPF_CGROUP_DEVICE;
  q.query.prog_ids = reinterpret_cast<uint64_t>(ids);
  q.query.prog_cnt = 8;
  BOOST_TEST(::syscall(SYS_bpf, BPF_PROG_QUERY, &q, sizeof q) == 0);
  BOOST_TEST(q.query.prog_cnt == 1u);
}

// The cgroup2 code paths on a real kernel, whatever the host: a layout holding only this host's
// cgroup2 mount is what a pure v2 host looks like to the manager (with fewer controllers here).
BOOST_AUTO_TEST_CASE(real_host_cgroup2_as_pure_v2,
                     *boost::unit_test::precondition(needs_root_and_cgroup2)) {
  cg::Layout host = cg::Layout::detect();
  cg::Layout l;
  l.v2 = host.v2;
  l.v2_controllers = host.v2_controllers;
  BOOST_REQUIRE(l.pure_v2());
  cg::Options o;
  o.id = "v2";
  o.cgroups_path = "/nucleus-unit-" + std::to_string(::getpid()) + "-v2/c1";
  auto m = cg::make_manager(l, o);
  m->create();
  struct Guard {
    cg::Manager& m;
    ~Guard() {
      try {
        if (m.frozen()) m.thaw();
        for (pid_t p : m.pids()) ::kill(p, SIGKILL);
        while (::waitpid(-1, nullptr, WNOHANG) > 0) {
        }
        m.destroy();
      } catch (const std::exception& e) {
        BOOST_TEST_MESSAGE("cleanup: " << e.what());
      }
    }
  } guard{*m};
  std::string d = fsm(m).v2_dir();
  BOOST_TEST(fsm(m).created().size() == 2u);

  // Devices through apply(): the eBPF program (no devices controller on cgroup2).
  Resources r;
  r.devices = {DeviceCgroupRule{false, "a", {}, {}, "rwm"}, DeviceCgroupRule{true, "c", 1, 5, "r"}};
  m->apply(r);
  // A controller this cgroup2 lacks is an error naming the field (here: no memory on the v2 side
  // of a hybrid host; skipped where cgroup2 has memory).
  if (!fsm(m).v2_has("memory")) {
    Resources mem;
    mem.memory.emplace().limit = 1 << 20;
    BOOST_CHECK_EXCEPTION(m->apply(mem), nucleus::Error, [](const nucleus::Error& e) {
      return std::string(e.what()) ==
             "linux.resources.memory: the host has no memory cgroup controller";
    });
  }

  int sync[2];
  BOOST_REQUIRE(::pipe(sync) == 0);
  pid_t kid = ::fork();
  if (kid == 0) {
    char c;
    if (::read(sync[0], &c, 1) != 1) ::_exit(20);
    int null_fd = ::open("/dev/null", O_RDONLY);
    int null_err = errno;
    int zero_fd = ::open("/dev/zero", O_RDONLY);
    if (null_fd >= 0 || null_err != EPERM || zero_fd < 0) ::_exit(21);
    for (;;) ::pause();
  }
  ::close(sync[0]);
  m->add_process(kid);
  BOOST_TEST(::write(sync[1], "x", 1) == 1);
  ::close(sync[1]);
  BOOST_TEST((m->pids() == std::vector<pid_t>{kid}));
  ::usleep(20000);  // the child runs its checks, then pauses
  m->freeze();
  BOOST_TEST(m->frozen());
  BOOST_TEST(read_kv(d, "cgroup.events")["frozen"] == 1u);
  m->thaw();
  BOOST_TEST(!m->frozen());
  int status = 0;
  BOOST_TEST(::waitpid(kid, &status, WNOHANG) == 0);  // still alive: its checks passed
  m->kill_all(SIGKILL);                               // cgroup.kill
  BOOST_TEST(::waitpid(kid, &status, 0) == kid);
  BOOST_TEST(WIFSIGNALED(status));
  std::string parent = fs::path(d).parent_path();
  m->destroy();
  BOOST_TEST(!nucleus::path_exists(d));
  BOOST_TEST(!nucleus::path_exists(parent));
}

BOOST_AUTO_TEST_CASE(real_host_oom_kill_is_counted, *boost::unit_test::precondition(needs_root)) {
  RealCgroup c("/nucleus-unit-" + std::to_string(::getpid()) + "-oom");
  Resources r;
  auto& m = r.memory.emplace();
  m.limit = 16 << 20;
  // No swap to escape to (memory+swap == memory), where the host accounts swap.
  cg::Layout l = cg::Layout::detect();
  bool memsw = !l.v1.count("memory") ||
               nucleus::path_exists(fsm(c.m).v1_dir("memory") + "/memory.memsw.limit_in_bytes");
  if (memsw) m.swap = 16 << 20;
  try {
    c.m->apply(r);
  } catch (const nucleus::Error& e) {
    BOOST_TEST_MESSAGE("SKIP: " << e.what());
    return;
  }
  int sync[2];
  BOOST_REQUIRE(::pipe(sync) == 0);
  pid_t kid = ::fork();
  if (kid == 0) {
    char ch;
    if (::read(sync[0], &ch, 1) != 1) ::_exit(20);
    std::vector<char*> blocks;
    for (int i = 0; i < 64; ++i) {  // 64 MiB, touched
      char* b = static_cast<char*>(::malloc(1 << 20));
      if (!b) ::_exit(21);
      for (int j = 0; j < (1 << 20); j += 4096) b[j] = 1;
      blocks.push_back(b);
    }
    ::_exit(0);
  }
  ::close(sync[0]);
  c.m->add_process(kid);
  BOOST_TEST(::write(sync[1], "x", 1) == 1);
  ::close(sync[1]);
  int status = 0;
  BOOST_TEST(::waitpid(kid, &status, 0) == kid);
  BOOST_TEST(WIFSIGNALED(status));
  BOOST_TEST(WTERMSIG(status) == SIGKILL);
  BOOST_TEST(c.m->oom_kill_count() >= 1u);
}

// A Kubernetes-like pod cgroup made by the caller with mkdir (cpuset.cpus/mems empty): the
// container's cgroup below it takes a process (runc's cpusetEnsureParent), where joining an empty
// cpuset fails with ENOSPC.
BOOST_AUTO_TEST_CASE(real_host_cpuset_under_empty_caller_cgroups,
                     *boost::unit_test::precondition(needs_root)) {
  cg::Layout l = cg::Layout::detect();
  if (!l.v1.count("cpuset")) {
    BOOST_TEST_MESSAGE("SKIP: no v1 cpuset hierarchy");
    return;
  }
  std::string top = "/nucleus-unit-" + std::to_string(::getpid()) + "-kube";
  std::string pod = l.v1.at("cpuset") + top + "/pod";
  fs::create_directories(pod);
  BOOST_TEST(slurp(pod + "/cpuset.cpus").empty());
  {
    RealCgroup c(top + "/pod/c1");
    pid_t kid = spawn_sleeper();
    c.m->add_process(kid);
    std::string leaf = fsm(c.m).v1_dir("cpuset");
    BOOST_TEST(slurp(leaf + "/cgroup.procs") == std::to_string(kid));
    std::string root_cpus = slurp(l.v1.at("cpuset") + "/cpuset.cpus");
    BOOST_TEST(slurp(pod + "/cpuset.cpus") == root_cpus);
    BOOST_TEST(slurp(leaf + "/cpuset.cpus") == root_cpus);
  }
  ::rmdir(pod.c_str());
  ::rmdir((l.v1.at("cpuset") + top).c_str());
  BOOST_TEST(!nucleus::path_exists(l.v1.at("cpuset") + top));
}

// The default cgroup's parent (/nucleus-oci) gets no rt budget from the kernel: a container's
// realtime runtime grows it; then a smaller and a larger period apply in runc's order.
BOOST_AUTO_TEST_CASE(real_host_rt_runtime_in_the_default_cgroup,
                     *boost::unit_test::precondition(needs_root)) {
  cg::Layout l = cg::Layout::detect();
  if (!l.v1.count("cpu") || !nucleus::path_exists(l.v1.at("cpu") + "/cpu.rt_runtime_us")) {
    BOOST_TEST_MESSAGE("SKIP: no v1 cpu hierarchy with RT group scheduling");
    return;
  }
  std::string parent = l.v1.at("cpu") + cg::kDefaultParent;
  // The parent's budget is put back when it stays (other containers in it; the kernel makes it
  // with 0). A removed child's budget is released asynchronously: retry for a while.
  struct Restore {
    std::string file, value;
    ~Restore() {
      for (int i = 0; i < 200 && nucleus::path_exists(file); ++i) {
        try {
          nucleus::write_file(file, value);
          return;
        } catch (const nucleus::Error&) {
          ::usleep(10000);
        }
      }
    }
  } restore{parent + "/cpu.rt_runtime_us",
            nucleus::path_exists(parent) ? slurp(parent + "/cpu.rt_runtime_us") : "0"};
  {
    RealCgroup c(std::nullopt, "nucleus-unit-rt-" + std::to_string(::getpid()));
    std::string d = fsm(c.m).v1_dir("cpu");
    BOOST_TEST(d == parent + "/nucleus-unit-rt-" + std::to_string(::getpid()));
    Resources r;
    r.cpu.emplace().realtime_runtime = 10000;
    r.cpu->realtime_period = 1000000;
    c.m->apply(r);
    BOOST_TEST(slurp(d + "/cpu.rt_period_us") == "1000000");
    BOOST_TEST(slurp(d + "/cpu.rt_runtime_us") == "10000");
    // 10000 does not fit a 5000 period: the runtime goes first, then the period again.
    r.cpu->realtime_runtime = 500;
    r.cpu->realtime_period = 5000;
    c.m->apply(r);
    BOOST_TEST(slurp(d + "/cpu.rt_period_us") == "5000");
    BOOST_TEST(slurp(d + "/cpu.rt_runtime_us") == "500");
    r.cpu->realtime_runtime = 5000;
    r.cpu->realtime_period = 500000;
    c.m->apply(r);
    BOOST_TEST(slurp(d + "/cpu.rt_period_us") == "500000");
    BOOST_TEST(slurp(d + "/cpu.rt_runtime_us") == "5000");
  }
}

// cpu.cfs_burst_us must stay within the quota: runc's order writes the burst before the quota and
// again after it when refused, so both a shrinking and a growing quota+burst apply.
BOOST_AUTO_TEST_CASE(real_host_cfs_quota_and_burst_in_either_direction,
                     *boost::unit_test::precondition(needs_root)) {
  cg::Layout l = cg::Layout::detect();
  if (!l.v1.count("cpu") || !nucleus::path_exists(l.v1.at("cpu") + "/cpu.cfs_burst_us")) {
    BOOST_TEST_MESSAGE("SKIP: no v1 cpu hierarchy with cpu.cfs_burst_us");
    return;
  }
  RealCgroup c("/nucleus-unit-" + std::to_string(::getpid()) + "-burst");
  std::string d = fsm(c.m).v1_dir("cpu");
  auto set = [&](int64_t quota, uint64_t burst) {
    Resources r;
    r.cpu.emplace().quota = quota;
    r.cpu->period = 100000;
    r.cpu->burst = burst;
    c.m->apply(r);
    BOOST_TEST(slurp(d + "/cpu.cfs_quota_us") == std::to_string(quota));
    BOOST_TEST(slurp(d + "/cpu.cfs_burst_us") == std::to_string(burst));
  };
  set(50000, 40000);
  set(20000, 10000);  // the old burst (40000) exceeds the new quota: burst first
  set(80000, 70000);  // the new burst exceeds the old quota (20000): quota first
}
