// cgroup v1 (and hybrid) against a fake cgroupfs: which file gets which value, in which order.
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/tests/fake.hpp"
#include "util/error.hpp"

namespace cg = nucleus::cgroups;
using namespace cgtest;
using nucleus::oci::Resources;

namespace {

const std::vector<std::string> kAll = {"cpu",     "cpuacct", "cpuset",   "memory",
                                       "pids",    "blkio",   "devices",  "freezer",
                                       "hugetlb", "net_cls", "net_prio", "rdma"};

struct V1 {
  TempRoot t;
  cg::Layout l;
  std::unique_ptr<cg::Manager> m;
  explicit V1(const std::vector<std::string>& ctrls = kAll, const std::string& path = "/test/c1") {
    l = cg::Layout::under(t.root, ctrls, {});
    put(t.p("cpuset/cpuset.cpus"), "0-3");
    put(t.p("cpuset/cpuset.mems"), "0");
    cg::Options o;
    o.id = "c1";
    o.cgroups_path = path;
    m = cg::make_manager(l, o);
    m->create();
  }
  std::string d(const std::string& c) const { return t.p(c + "/test/c1"); }
};

std::string error_of(cg::Manager& m, const Resources& r) {
  try {
    m.apply(r);
  } catch (const nucleus::Error& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace

BOOST_AUTO_TEST_CASE(v1_create_makes_every_hierarchy_and_seeds_cpuset) {
  V1 f;
  for (const auto& c : kAll) BOOST_TEST(fs::is_directory(f.d(c)));
  BOOST_TEST(slurp(f.t.p("cpuset/test/cpuset.cpus")) == "0-3");  // parent seeded first
  BOOST_TEST(slurp(f.d("cpuset") + "/cpuset.cpus") == "0-3");
  BOOST_TEST(slurp(f.d("cpuset") + "/cpuset.mems") == "0");
  BOOST_TEST(fsm(f.m).created().size() == 2 * kAll.size());
}

// A Kubernetes pod cgroup made by the caller (kubepods/burstable/pod) with empty cpuset files:
// every empty level is filled from its parent, top down, before the container could join.
BOOST_AUTO_TEST_CASE(v1_cpuset_fills_empty_parents_made_by_the_caller) {
  TempRoot t;
  cg::Layout l = cg::Layout::under(t.root, {"cpuset"}, {});
  put(t.p("cpuset/cpuset.cpus"), "0-3");
  put(t.p("cpuset/cpuset.mems"), "0");
  for (const char* d : {"kubepods", "kubepods/burstable", "kubepods/burstable/pod"})
    touch(t.p(std::string("cpuset/") + d), {"cpuset.cpus", "cpuset.mems"});
  put(t.p("cpuset/kubepods/cpuset.cpus"), "1-2");  // non-empty: the walk stops here for cpus
  WriteLog log(t.root);
  cg::Options o;
  o.id = "c1";
  o.cgroups_path = "/kubepods/burstable/pod/c1";
  auto m = cg::make_manager(l, o);
  m->create();
  BOOST_TEST(log.to("cpuset/kubepods/cpuset.cpus").empty());
  BOOST_TEST(slurp(t.p("cpuset/kubepods/cpuset.mems")) == "0");
  for (const char* d :
       {"kubepods/burstable", "kubepods/burstable/pod", "kubepods/burstable/pod/c1"}) {
    BOOST_TEST(slurp(t.p(std::string("cpuset/") + d + "/cpuset.cpus")) == "1-2");
    BOOST_TEST(slurp(t.p(std::string("cpuset/") + d + "/cpuset.mems")) == "0");
  }
  // top down: a level is written only once its parent has values
  BOOST_TEST(log.index("cpuset/kubepods/cpuset.mems") <
             log.index("cpuset/kubepods/burstable/cpuset.mems"));
  BOOST_TEST(log.index("cpuset/kubepods/burstable/cpuset.cpus") <
             log.index("cpuset/kubepods/burstable/pod/cpuset.cpus"));
  BOOST_TEST(log.index("cpuset/kubepods/burstable/pod/cpuset.cpus") <
             log.index("cpuset/kubepods/burstable/pod/c1/cpuset.cpus"));
  // the caller's directories are not the container's to remove
  BOOST_TEST(fsm(m).created() == std::vector<std::string>{t.p("cpuset/kubepods/burstable/pod/c1")});
}

// An existing, already filled cgroup is left as it is (no write).
BOOST_AUTO_TEST_CASE(v1_cpuset_existing_filled_cgroup_is_not_rewritten) {
  TempRoot t;
  cg::Layout l = cg::Layout::under(t.root, {"cpuset"}, {});
  put(t.p("cpuset/cpuset.cpus"), "0-3");
  put(t.p("cpuset/cpuset.mems"), "0");
  put(t.p("cpuset/x/c1/cpuset.cpus"), "3");
  put(t.p("cpuset/x/c1/cpuset.mems"), "0");
  WriteLog log(t.root);
  cg::Options o;
  o.id = "c1";
  o.cgroups_path = "/x/c1";
  auto m = cg::make_manager(l, o);
  m->create();
  BOOST_TEST(log.all().empty());
}

BOOST_AUTO_TEST_CASE(v1_every_field_writes_the_right_file) {
  V1 f;
  touch(f.d("memory"),
        {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes",
         "memory.kmem.limit_in_bytes", "memory.kmem.tcp.limit_in_bytes", "memory.swappiness",
         "memory.oom_control", "memory.use_hierarchy"});
  touch(f.d("cpu"), {"cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.cfs_burst_us",
                     "cpu.rt_runtime_us", "cpu.rt_period_us", "cpu.idle"});
  touch(f.d("pids"), {"pids.max"});
  touch(f.d("blkio"),
        {"blkio.weight", "blkio.leaf_weight", "blkio.weight_device", "blkio.leaf_weight_device",
         "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
         "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"});
  touch(f.d("devices"), {"devices.allow", "devices.deny"});
  touch(f.d("hugetlb"), {"hugetlb.2MB.limit_in_bytes", "hugetlb.1GB.limit_in_bytes"});
  touch(f.d("net_cls"), {"net_cls.classid"});
  touch(f.d("net_prio"), {"net_prio.ifpriomap"});
  touch(f.d("rdma"), {"rdma.max"});
  WriteLog log(f.t.root);
  Resources r;
  auto& m = r.memory.emplace();
  m.limit = 1048576;
  m.swap = 2097152;
  m.reservation = 524288;
  m.kernel = 8192;
  m.kernel_tcp = 4096;
  m.swappiness = 10;
  m.disable_oom_killer = true;
  m.use_hierarchy = true;
  auto& c = r.cpu.emplace();
  c.shares = 512;
  c.quota = 50000;
  c.period = 100000;
  c.burst = 1000;
  c.realtime_runtime = 950000;
  c.realtime_period = 1000000;
  c.idle = 1;
  c.cpus = "0-1";
  c.mems = "0";
  r.pids.emplace().limit = 10;
  auto& b = r.block_io.emplace();
  b.weight = 500;
  b.leaf_weight = 300;
  b.weight_device.push_back({8, 0, 600, 700});
  b.throttle_read_bps_device.push_back({8, 0, 1000});
  b.throttle_write_bps_device.push_back({8, 16, 2000});
  b.throttle_read_iops_device.push_back({8, 0, 30});
  b.throttle_write_iops_device.push_back({8, 0, 40});
  r.devices.push_back({false, "a", {}, {}, "rwm"});
  r.devices.push_back({true, "c", 1, 3, "rw"});
  r.devices.push_back({true, "b", 8, {}, "rwm"});
  r.devices.push_back({false, "", {}, {}, "m"});
  r.hugepage_limits.push_back({"2MB", 4194304});
  r.hugepage_limits.push_back({"1GB", 1073741824});
  auto& n = r.network.emplace();
  n.class_id = 0x100001;
  n.priorities.push_back({"eth0", 5});
  n.priorities.push_back({"lo", 1});
  r.rdma["mlx5_1"] = {3, {}};
  r.rdma["mlx4_0"] = {2, 2000};
  f.m->apply(r);

  BOOST_TEST(log.to("memory/test/c1/memory.limit_in_bytes") == std::vector<std::string>{"1048576"});
  BOOST_TEST(log.last("memory/test/c1/memory.memsw.limit_in_bytes") == "2097152");
  BOOST_TEST(log.last("memory/test/c1/memory.soft_limit_in_bytes") == "524288");
  BOOST_TEST(log.last("memory/test/c1/memory.kmem.limit_in_bytes") == "8192");
  BOOST_TEST(log.last("memory/test/c1/memory.kmem.tcp.limit_in_bytes") == "4096");
  BOOST_TEST(log.last("memory/test/c1/memory.swappiness") == "10");
  BOOST_TEST(log.last("memory/test/c1/memory.oom_control") == "1");
  BOOST_TEST(log.last("memory/test/c1/memory.use_hierarchy") == "1");
  BOOST_TEST(log.last("cpu/test/c1/cpu.shares") == "512");
  BOOST_TEST(log.last("cpu/test/c1/cpu.cfs_quota_us") == "50000");
  BOOST_TEST(log.last("cpu/test/c1/cpu.cfs_period_us") == "100000");
  BOOST_TEST(log.last("cpu/test/c1/cpu.cfs_burst_us") == "1000");
  BOOST_TEST(log.last("cpu/test/c1/cpu.rt_runtime_us") == "950000");
  BOOST_TEST(log.last("cpu/test/c1/cpu.rt_period_us") == "1000000");
  BOOST_TEST(log.index("cpu/test/c1/cpu.rt_period_us") <
             log.index("cpu/test/c1/cpu.rt_runtime_us"));
  BOOST_TEST(log.last("cpu/test/c1/cpu.idle") == "1");
  BOOST_TEST(log.last("cpuset/test/c1/cpuset.cpus") == "0-1");
  BOOST_TEST(log.last("cpuset/test/c1/cpuset.mems") == "0");
  BOOST_TEST(log.last("pids/test/c1/pids.max") == "10");
  BOOST_TEST(log.last("blkio/test/c1/blkio.weight") == "500");
  BOOST_TEST(log.last("blkio/test/c1/blkio.leaf_weight") == "300");
  BOOST_TEST(log.last("blkio/test/c1/blkio.weight_device") == "8:0 600");
  BOOST_TEST(log.last("blkio/test/c1/blkio.leaf_weight_device") == "8:0 700");
  BOOST_TEST(log.last("blkio/test/c1/blkio.throttle.read_bps_device") == "8:0 1000");
  BOOST_TEST(log.last("blkio/test/c1/blkio.throttle.write_bps_device") == "8:16 2000");
  BOOST_TEST(log.last("blkio/test/c1/blkio.throttle.read_iops_device") == "8:0 30");
  BOOST_TEST(log.last("blkio/test/c1/blkio.throttle.write_iops_device") == "8:0 40");
  // devices: "deny all" first, then every rule in order.
  std::vector<std::pair<std::string, std::string>> dev;
  for (const auto& [p, v] : log.all())
    if (p.find("/devices.") != std::string::npos) dev.emplace_back(p.substr(p.rfind('/') + 1), v);
  std::vector<std::pair<std::string, std::string>> want = {{"devices.deny", "a"},
                                                           {"devices.deny", "a *:* rwm"},
                                                           {"devices.allow", "c 1:3 rw"},
                                                           {"devices.allow", "b 8:* rwm"},
                                                           {"devices.deny", "a *:* m"}};
  BOOST_TEST((dev == want));
  BOOST_TEST(log.last("hugetlb/test/c1/hugetlb.2MB.limit_in_bytes") == "4194304");
  BOOST_TEST(log.last("hugetlb/test/c1/hugetlb.1GB.limit_in_bytes") == "1073741824");
  BOOST_TEST(log.last("net_cls/test/c1/net_cls.classid") == "1048577");
  BOOST_TEST((log.to("net_prio/test/c1/net_prio.ifpriomap") ==
              std::vector<std::string>{"eth0 5", "lo 1"}));
  BOOST_TEST(
      (log.to("rdma/test/c1/rdma.max") ==
       std::vector<std::string>{"mlx4_0 hca_handle=2 hca_object=2000", "mlx5_1 hca_handle=3"}));
}

BOOST_AUTO_TEST_CASE(v1_memory_and_swap_order) {
  V1 f;
  std::string mem = f.d("memory");
  touch(mem, {"memory.memsw.limit_in_bytes"});
  WriteLog log(f.t.root);
  Resources r;
  r.memory.emplace();
  // Growing: current limit 100 < new memsw: memsw first.
  put(mem + "/memory.limit_in_bytes", "100");
  r.memory->limit = 1000;
  r.memory->swap = 2000;
  f.m->apply(r);
  BOOST_TEST(log.index("memory/test/c1/memory.memsw.limit_in_bytes") <
             log.index("memory/test/c1/memory.limit_in_bytes"));
  // Shrinking: current limit 5000 >= new memsw: limit first.
  log.clear();
  put(mem + "/memory.limit_in_bytes", "5000");
  f.m->apply(r);
  BOOST_TEST(log.index("memory/test/c1/memory.limit_in_bytes") <
             log.index("memory/test/c1/memory.memsw.limit_in_bytes"));
  // Unlimited memory with swap unset: swap unlimited too, and memsw first.
  log.clear();
  r.memory->limit = -1;
  r.memory->swap.reset();
  f.m->apply(r);
  BOOST_TEST(log.last("memory/test/c1/memory.memsw.limit_in_bytes") == "-1");
  BOOST_TEST(log.last("memory/test/c1/memory.limit_in_bytes") == "-1");
  BOOST_TEST(log.index("memory/test/c1/memory.memsw.limit_in_bytes") <
             log.index("memory/test/c1/memory.limit_in_bytes"));
}

BOOST_AUTO_TEST_CASE(v1_errors_name_the_field_and_the_file) {
  V1 f({"cpu", "cpuset", "memory", "pids"});
  std::string mem = f.d("memory");
  Resources r;
  r.memory.emplace().swap = 104857600;
  BOOST_TEST(error_of(*f.m, r) == "linux.resources.memory.swap: write 104857600 to " + mem +
                                      "/memory.memsw.limit_in_bytes: no such file or directory");
  r = Resources{};
  r.memory.emplace().kernel = 1;  // removed from recent kernels: never silently dropped
  BOOST_TEST(error_of(*f.m, r) == "linux.resources.memory.kernel: write 1 to " + mem +
                                      "/memory.kmem.limit_in_bytes: no such file or directory");
  r = Resources{};
  r.network.emplace().class_id = 7;
  BOOST_TEST(error_of(*f.m, r) ==
             "linux.resources.network.classID: the host has no net_cls cgroup controller");
  r = Resources{};
  r.block_io.emplace().weight = 100;
  BOOST_TEST(error_of(*f.m, r) ==
             "linux.resources.blockIO: the host has no blkio/io cgroup controller");
  r = Resources{};
  r.hugepage_limits.push_back({"2MB", 1});
  BOOST_TEST(error_of(*f.m, r) ==
             "linux.resources.hugepageLimits: the host has no hugetlb cgroup controller");
  r = Resources{};
  r.unified["memory.high"] = "1";
  BOOST_TEST(error_of(*f.m, r) == "invalid configuration: cannot use unified on cgroup v1");
  // runc's specconv refuses a device rule without an access (it names the rule's index).
  r = Resources{};
  r.devices.push_back({false, "a", {}, {}, "rwm"});
  r.devices.push_back({true, "c", 1, 3, ""});
  BOOST_TEST(error_of(*f.m, r) == "device access at 1 field cannot be empty");
  r = Resources{};
  r.memory.emplace().swappiness = 101;
  BOOST_TEST(error_of(*f.m, r).find("linux.resources.memory.swappiness: 101") == 0);
  // checkBeforeUpdate: a limit below the current usage is refused.
  put(mem + "/memory.usage_in_bytes", "5000");
  touch(mem, {"memory.limit_in_bytes"});
  r = Resources{};
  r.memory.emplace().limit = 4096;
  r.memory->check_before_update = true;
  BOOST_TEST(error_of(*f.m, r) ==
             "linux.resources.memory.limit: 4096 is below the current usage "
             "5000 (checkBeforeUpdate)");
  // Unset fields are not written at all.
  WriteLog log(f.t.root);
  r = Resources{};
  r.memory.emplace();
  r.cpu.emplace();
  r.pids.emplace();
  f.m->apply(r);
  BOOST_TEST(log.all().empty());
}

BOOST_AUTO_TEST_CASE(hybrid_uses_each_controller_where_the_host_has_it) {
  // This host: v1 memory, pids, devices, freezer ...; hugetlb only on the cgroup2 side.
  TempRoot t;
  cg::Layout l = cg::Layout::under(t.root, {"memory", "pids", "devices", "freezer"}, {"hugetlb"});
  put(t.p("unified/cgroup.controllers"), "hugetlb");
  put(t.p("unified/cgroup.subtree_control"), "");
  l.v1_named["name=systemd"] = t.p("systemd");
  fs::create_directories(t.p("systemd"));
  cg::Options o;
  o.id = "h1";
  auto m = cg::make_manager(l, o);
  m->create();
  BOOST_TEST(fs::is_directory(t.p("systemd/nucleus-oci/h1")));  // joined like runc does
  BOOST_TEST(fs::is_directory(t.p("unified/nucleus-oci/h1")));
  std::string v2 = t.p("unified/nucleus-oci/h1");
  touch(v2, {"hugetlb.2MB.max", "memory.high"});
  touch(t.p("memory/nucleus-oci/h1"), {"memory.limit_in_bytes"});
  touch(t.p("devices/nucleus-oci/h1"), {"devices.allow", "devices.deny"});
  WriteLog log(t.root);
  Resources r;
  r.memory.emplace().limit = 1 << 20;
  r.hugepage_limits.push_back({"2MB", 2097152});
  r.devices.push_back({true, "c", 1, 5, "rwm"});
  m->apply(r);
  BOOST_TEST(log.last("memory/nucleus-oci/h1/memory.limit_in_bytes") == "1048576");
  BOOST_TEST(log.last("unified/nucleus-oci/h1/hugetlb.2MB.max") == "2097152");
  BOOST_TEST(log.last("devices/nucleus-oci/h1/devices.allow") == "c 1:5 rwm");
  BOOST_TEST(log.index("unified/nucleus-oci/h1/memory.max") == -1);
  // unified keys are refused on a hybrid host, as runc (not a pure cgroup v2 host), before
  // anything is written.
  log.clear();
  r.unified["memory.high"] = "7";
  BOOST_TEST(error_of(*m, r) == "invalid configuration: cannot use unified on cgroup v1");
  BOOST_TEST(log.all().empty());
  // add_process joins every hierarchy, the named and the cgroup2 one included.
  for (const char* h : {"memory", "pids", "devices", "freezer", "systemd", "unified"})
    touch(t.p(std::string(h) + "/nucleus-oci/h1"), {"cgroup.procs"});
  log.clear();
  m->add_process(4242);
  BOOST_TEST(log.all().size() == 6u);
  for (const auto& [p, v] : log.all()) BOOST_TEST(v == "4242");
}

// create_unified() makes only the cgroup2 directory (what clone3(CLONE_INTO_CGROUP) needs);
// create() then makes the v1 ones and leaves the v2 one alone; destroy() removes all of them.
BOOST_AUTO_TEST_CASE(hybrid_create_unified_first_then_the_rest) {
  TempRoot t;
  cg::Layout l = cg::Layout::under(t.root, {"memory", "pids"}, {"hugetlb"});
  put(t.p("unified/cgroup.controllers"), "hugetlb");
  put(t.p("unified/cgroup.subtree_control"), "");
  cg::Options o;
  o.id = "u1";
  auto m = cg::make_manager(l, o);
  m->create_unified();
  BOOST_TEST(fs::is_directory(t.p("unified/nucleus-oci/u1")));
  BOOST_TEST(!fs::exists(t.p("memory/nucleus-oci/u1")));
  BOOST_TEST(!fs::exists(t.p("pids/nucleus-oci/u1")));
  m->create();
  BOOST_TEST(fs::is_directory(t.p("memory/nucleus-oci/u1")));
  BOOST_TEST(fs::is_directory(t.p("pids/nucleus-oci/u1")));
  BOOST_TEST(fsm(m).created().size() == 6u);  // each leaf and each nucleus-oci parent, once
  m->destroy();
  for (const char* h : {"unified", "memory", "pids"})
    BOOST_TEST(!fs::exists(t.p(std::string(h) + "/nucleus-oci")));
}

BOOST_AUTO_TEST_CASE(destroy_removes_only_created_dirs) {
  TempRoot t;
  cg::Layout l = cg::Layout::under(t.root, {"memory", "pids"}, {});
  fs::create_directories(t.p("memory/existing"));
  cg::Options o;
  o.id = "c1";
  o.cgroups_path = "/existing/c1";
  auto m = cg::make_manager(l, o);
  m->create();
  // Another container below a parent this one created.
  o.id = "c2";
  o.cgroups_path = "/existing/c2";
  auto other = cg::make_manager(l, o);
  other->create();
  BOOST_TEST(fsm(other).created().size() == 2u);          // only its leaves
  fs::create_directories(t.p("memory/existing/c1/sub"));  // made inside the container
  auto again = cg::open_manager(l, m->serialize());
  again->destroy();
  BOOST_TEST(!fs::exists(t.p("memory/existing/c1")));
  BOOST_TEST(!fs::exists(t.p("pids/existing/c1")));
  BOOST_TEST(fs::exists(t.p("memory/existing")));   // not ours
  BOOST_TEST(fs::exists(t.p("pids/existing/c2")));  // ours, but holds c2: kept
  BOOST_TEST(fs::exists(t.p("memory/existing/c2")));
  again->destroy();  // idempotent
  other->destroy();
  BOOST_TEST(!fs::exists(t.p("pids/existing/c2")));
  BOOST_TEST(fs::exists(t.p("pids/existing")));  // c1 made it; c2 does not remove it
}

BOOST_AUTO_TEST_CASE(v1_freezer_stats_and_oom) {
  V1 f;
  touch(f.d("freezer"), {"freezer.state"});
  f.m->freeze();  // the fake file reads back FROZEN at once
  BOOST_TEST(f.m->frozen());
  put(f.d("freezer") + "/freezer.state", "FROZEN");
  f.m->thaw();
  BOOST_TEST(slurp(f.d("freezer") + "/freezer.state") == "THAWED");
  BOOST_TEST(!f.m->frozen());

  put(f.d("cpuacct") + "/cpuacct.usage", "123456");
  put(f.d("cpuacct") + "/cpuacct.usage_percpu", "100 200 0");
  put(f.d("cpu") + "/cpu.stat", "nr_periods 5\nnr_throttled 2\nthrottled_time 999\n");
  put(f.d("memory") + "/memory.usage_in_bytes", "4096");
  put(f.d("memory") + "/memory.max_usage_in_bytes", "8192");
  put(f.d("memory") + "/memory.limit_in_bytes", "1048576");
  put(f.d("memory") + "/memory.failcnt", "3");
  put(f.d("memory") + "/memory.memsw.usage_in_bytes", "5000");
  put(f.d("memory") + "/memory.stat", "cache 77\nrss 11\n");
  put(f.d("memory") + "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n");
  put(f.d("pids") + "/pids.current", "2");
  put(f.d("pids") + "/pids.max", "max");
  put(f.d("blkio") + "/blkio.throttle.io_service_bytes", "8:0 Read 10\n8:0 Write 20\nTotal 30\n");
  put(f.d("hugetlb") + "/hugetlb.2MB.limit_in_bytes", "100");
  put(f.d("hugetlb") + "/hugetlb.2MB.usage_in_bytes", "50");
  auto s = f.m->stats();
  BOOST_TEST(s.cpu.usage_total == 123456u);
  BOOST_TEST((s.cpu.percpu == std::vector<uint64_t>{100, 200, 0}));
  BOOST_TEST(s.cpu.throttled_periods == 2u);
  BOOST_TEST(s.cpu.throttled_time == 999u);
  BOOST_TEST(s.memory.usage == 4096u);
  BOOST_TEST(s.memory.max_usage == 8192u);
  BOOST_TEST(s.memory.limit == 1048576u);
  BOOST_TEST(s.memory.failcnt == 3u);
  BOOST_TEST(s.memory.swap_usage == 5000u);
  BOOST_TEST(s.memory.cache == 77u);
  BOOST_TEST(s.memory.raw.at("rss") == 11u);
  BOOST_TEST(s.pids.current == 2u);
  BOOST_TEST(s.pids.limit == 0u);
  BOOST_TEST(s.blkio_service_bytes.size() == 2u);
  BOOST_TEST(s.blkio_service_bytes[1].op == "Write");
  BOOST_TEST(s.blkio_service_bytes[1].value == 20u);
  BOOST_TEST(s.hugetlb.at("2MB").usage == 50u);
  BOOST_TEST(f.m->oom_kill_count() == 4u);
}

BOOST_AUTO_TEST_CASE(rootless_leaves_out_hierarchies_it_may_not_write) {
  TempRoot t;
  cg::Layout l = cg::Layout::under(t.root, {"memory", "pids"}, {});
  fs::permissions(t.root, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
  uid_t nobody = 65534;
  if (::geteuid() == 0 && ::chown(t.p("pids").c_str(), nobody, nobody) != 0) BOOST_FAIL("chown");
  if (::geteuid() != 0)
    fs::permissions(t.p("memory"), fs::perms::owner_read | fs::perms::owner_exec);
  // As root, run the scenario as nobody in a child: 0 = every check passed.
  auto scenario = [&]() -> int {
    cg::Options o;  // no cgroupsPath first
    o.id = "r1";
    o.rootless = true;
    auto m = cg::make_manager(l, o);
    m->create();
    auto& f = fsm(m);
    if (f.hierarchies().size() != 1 || f.unwritable() != std::vector<std::string>{t.p("memory")})
      return 1;
    Resources r;
    r.memory.emplace().limit = 1 << 20;
    try {
      m->apply(r);
      return 2;
    } catch (const nucleus::Error& e) {
      // runc's words (its fs manager), then the field and the hierarchy
      if (std::string(e.what()) !=
          "linux.resources.memory: cannot set memory limit: container could not join or create "
          "cgroup: a rootless container cannot use " +
              t.p("memory") + " (permission denied)")
        return 3;
    }
    auto again = cg::open_manager(l, m->serialize());
    if (!fsm(again).rootless() || fsm(again).unwritable() != f.unwritable()) return 4;
    again->destroy();
    if (fs::exists(t.p("pids/nucleus-oci"))) return 5;
    // An explicit cgroupsPath: the hierarchies that can take it are used (pids) ...
    o.cgroups_path = "/asked";
    auto asked = cg::make_manager(l, o);
    asked->create();
    if (fsm(asked).hierarchies().size() != 1) return 6;
    asked->destroy();
    // ... and where none can, create fails (runc: "unable to apply cgroup configuration").
    cg::Layout only_memory = cg::Layout::under(t.root, {"memory"}, {});
    auto none = cg::make_manager(only_memory, o);
    try {
      none->create();
      return 7;
    } catch (const nucleus::Error& e) {
      if (e.code() != EACCES && e.code() != EPERM) return 8;
    }
    return 0;
  };
  if (::geteuid() != 0) {
    BOOST_TEST(scenario() == 0);
    return;
  }
  pid_t kid = ::fork();
  if (kid == 0) {
    if (::setgid(nobody) != 0 || ::setuid(nobody) != 0) ::_exit(9);
    ::_exit(scenario());
  }
  int st = 0;
  ::waitpid(kid, &st, 0);
  BOOST_TEST(WIFEXITED(st));
  BOOST_TEST(WEXITSTATUS(st) == 0);
}

// A process that joins a frozen freezer stops there: it joins the freezer last, so that it is
// in every other cgroup (memory, pids...) by then. The init's "tasks" files come in that order.
BOOST_AUTO_TEST_CASE(v1_the_freezer_is_joined_last) {
  V1 f;
  auto tasks = f.m->v1_task_files();
  BOOST_TEST(tasks.size() == kAll.size());
  BOOST_TEST(tasks.back() == f.d("freezer") + "/tasks");
  for (const auto& c : kAll) touch(f.d(c), {"cgroup.procs"});
  WriteLog log(f.t.root);
  f.m->add_process(4242);
  BOOST_TEST(log.all().size() == kAll.size());
  BOOST_TEST(log.all().back().first == "freezer/test/c1/cgroup.procs");
}

// Checked before an init joins: the cgroup's freezer, or its nearest existing parent's while
// the cgroup is not made yet, FROZEN or FREEZING.
BOOST_AUTO_TEST_CASE(v1_frozen_for_join_reads_the_cgroup_or_its_nearest_parent) {
  TempRoot t;
  cg::Layout l = cg::Layout::under(t.root, {"memory", "freezer"}, {});
  cg::Options o;
  o.id = "c1";
  o.cgroups_path = "/a/b/c1";
  auto m = cg::make_manager(l, o);
  BOOST_TEST(m->frozen_for_join() == "");  // nothing made, the root has no freezer.state
  put(t.p("freezer/a/freezer.state"), "FROZEN");
  put(t.p("memory/a/b/c1/freezer.state"), "FROZEN");  // not the freezer hierarchy: ignored
  BOOST_TEST(m->frozen_for_join() == t.p("freezer/a") + "/freezer.state is FROZEN");
  put(t.p("freezer/a/freezer.state"), "THAWED");
  BOOST_TEST(m->frozen_for_join() == "");
  put(t.p("freezer/a/b/c1/freezer.state"), "FREEZING");
  BOOST_TEST(m->frozen_for_join() == t.p("freezer/a/b/c1") + "/freezer.state is FREEZING");
}
