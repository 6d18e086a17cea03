// cgroup v2 against a fake cgroupfs: controller delegation, every field, runc's conversions.
#include <boost/test/unit_test.hpp>

#include "cgroups/tests/fake.hpp"
#include "util/error.hpp"

namespace cg = nucleus::cgroups;
using namespace cgtest;
using nucleus::oci::Resources;

namespace {

const std::vector<std::string> kCtrls = {"cpuset",  "cpu",  "io",  "memory",
                                         "hugetlb", "pids", "rdma"};

struct V2 {
  TempRoot t;
  cg::Layout l;
  std::unique_ptr<cg::Manager> m;
  std::string d;
  V2() {
    l = cg::Layout::under(t.root, {}, kCtrls);
    put(t.p("unified/cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma");
    put(t.p("unified/cgroup.subtree_control"), "");
    fs::create_directories(t.p("unified/mid"));
    put(t.p("unified/mid/cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma");
    put(t.p("unified/mid/cgroup.subtree_control"), "memory pids");
    cg::Options o;
    o.id = "c1";
    o.cgroups_path = "/mid/c1";
    m = cg::make_manager(l, o);
    m->create();
    d = t.p("unified/mid/c1");
    touch(d,
          {"memory.max", "memory.swap.max", "memory.low", "cpu.weight", "cpu.max", "cpu.max.burst",
           "cpu.idle", "cpuset.cpus", "cpuset.mems", "pids.max", "io.weight", "io.max",
           "hugetlb.2MB.max", "hugetlb.2MB.rsvd.max", "rdma.max", "memory.high", "cgroup.freeze"});
  }
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

BOOST_AUTO_TEST_CASE(v2_conversions_match_runc) {
  BOOST_TEST(cg::shares_to_weight(0) == 0u);
  BOOST_TEST(cg::shares_to_weight(2) == 1u);
  BOOST_TEST(cg::shares_to_weight(512) == 20u);
  BOOST_TEST(cg::shares_to_weight(1024) == 39u);
  BOOST_TEST(cg::shares_to_weight(262144) == 10000u);
  BOOST_TEST(cg::blkio_weight_to_io_weight(10) == 1u);
  BOOST_TEST(cg::blkio_weight_to_io_weight(500) == 4950u);
  BOOST_TEST(cg::blkio_weight_to_io_weight(1000) == 10000u);
  BOOST_TEST(cg::swap_to_v2(0, 0) == 0);        // unset
  BOOST_TEST(cg::swap_to_v2(-1, 100) == -1);    // max
  BOOST_TEST(cg::swap_to_v2(0, -1) == -1);      // memory unlimited: swap too
  BOOST_TEST(cg::swap_to_v2(300, 100) == 200);  // memory+swap - memory
  BOOST_TEST(cg::swap_to_v2(100, 100) == 0);    // no swap
  BOOST_CHECK_THROW(cg::swap_to_v2(50, 100), nucleus::Error);
  BOOST_CHECK_THROW(cg::swap_to_v2(300, 0), nucleus::Error);
}

BOOST_AUTO_TEST_CASE(v2_create_delegates_controllers_to_every_ancestor) {
  V2 f;
  BOOST_TEST(fs::is_directory(f.d));
  // Root: nothing enabled yet -> all at once. mid: memory pids already -> the rest.
  BOOST_TEST(slurp(f.t.p("unified/cgroup.subtree_control")) ==
             "+cpuset +cpu +io +memory +hugetlb +pids +rdma");
  BOOST_TEST(slurp(f.t.p("unified/mid/cgroup.subtree_control")) ==
             "+cpuset +cpu +io +hugetlb +rdma");
  BOOST_TEST(fsm(f.m).created() == std::vector<std::string>{f.d});
}

BOOST_AUTO_TEST_CASE(v2_every_field_writes_the_right_file) {
  V2 f;
  WriteLog log(f.t.root);
  Resources r;
  auto& m = r.memory.emplace();
  m.limit = 1000;
  m.swap = 3000;
  m.reservation = 500;
  auto& c = r.cpu.emplace();
  c.shares = 1024;
  c.quota = 50000;
  c.period = 100000;
  c.burst = 700;
  c.idle = 0;
  c.cpus = "1";
  c.mems = "0";
  r.pids.emplace().limit = 0;
  auto& b = r.block_io.emplace();
  b.weight = 500;
  b.weight_device.push_back({8, 0, 1000, {}});
  b.throttle_read_bps_device.push_back({8, 0, 1000});
  b.throttle_write_bps_device.push_back({8, 0, 0});
  b.throttle_read_iops_device.push_back({8, 16, 10});
  b.throttle_write_iops_device.push_back({8, 16, 20});
  r.hugepage_limits.push_back({"2MB", 2097152});
  r.rdma["mlx5_1"] = {{}, 9};
  r.unified["memory.high"] = "5000";
  f.m->apply(r);
  std::string p = "unified/mid/c1/";
  BOOST_TEST(log.last(p + "memory.max") == "1000");
  BOOST_TEST(log.last(p + "memory.swap.max") == "2000");
  BOOST_TEST(log.last(p + "memory.low") == "500");
  BOOST_TEST(log.last(p + "cpu.weight") == "39");
  BOOST_TEST(log.last(p + "cpu.max") == "50000 100000");
  BOOST_TEST(log.last(p + "cpu.max.burst") == "700");
  BOOST_TEST(log.last(p + "cpu.idle") == "0");
  BOOST_TEST(log.last(p + "cpuset.cpus") == "1");
  BOOST_TEST(log.last(p + "cpuset.mems") == "0");
  BOOST_TEST(log.last(p + "pids.max") == "max");
  BOOST_TEST((log.to(p + "io.weight") == std::vector<std::string>{"4950", "8:0 10000"}));
  BOOST_TEST((log.to(p + "io.max") == std::vector<std::string>{"8:0 rbps=1000", "8:0 wbps=max",
                                                               "8:16 riops=10", "8:16 wiops=20"}));
  BOOST_TEST(log.last(p + "hugetlb.2MB.max") == "2097152");
  BOOST_TEST(log.last(p + "hugetlb.2MB.rsvd.max") == "2097152");
  BOOST_TEST(log.last(p + "rdma.max") == "mlx5_1 hca_object=9");
  BOOST_TEST(log.last(p + "memory.high") == "5000");

  // Quota <= 0 is "max"; a period alone keeps the current quota.
  log.clear();
  r = Resources{};
  r.cpu.emplace().quota = -1;
  f.m->apply(r);
  BOOST_TEST(log.last(p + "cpu.max") == "max");
  put(f.d + "/cpu.max", "20000 100000");
  log.clear();
  r.cpu->quota.reset();
  r.cpu->period = 50000;
  f.m->apply(r);
  BOOST_TEST(log.last(p + "cpu.max") == "20000 50000");
  // memory == memory+swap: swap disabled; memory unlimited: swap unlimited.
  log.clear();
  r = Resources{};
  r.memory.emplace().limit = 4096;
  r.memory->swap = 4096;
  f.m->apply(r);
  BOOST_TEST(log.last(p + "memory.swap.max") == "0");
  log.clear();
  r.memory->limit = -1;
  r.memory->swap.reset();
  f.m->apply(r);
  BOOST_TEST(log.last(p + "memory.swap.max") == "max");
  BOOST_TEST(log.last(p + "memory.max") == "max");
  BOOST_TEST(log.index(p + "memory.swap.max") < log.index(p + "memory.max"));
}

BOOST_AUTO_TEST_CASE(v2_settings_without_an_equivalent_are_errors) {
  V2 f;
  const std::string F = "linux.resources.";
  Resources r;
  r.memory.emplace().kernel = 5;
  BOOST_TEST(error_of(*f.m, r) ==
             F + "memory.kernel: kernel memory limit (not available on cgroup v2)");
  r = Resources{};
  r.memory.emplace().swappiness = 5;
  BOOST_TEST(error_of(*f.m, r).find(F + "memory.swappiness:") == 0);
  r = Resources{};
  r.memory.emplace().disable_oom_killer = true;
  BOOST_TEST(error_of(*f.m, r).find(F + "memory.disableOOMKiller:") == 0);
  r = Resources{};
  r.cpu.emplace().realtime_runtime = 5;
  BOOST_TEST(error_of(*f.m, r).find(F + "cpu.realtimeRuntime:") == 0);
  r = Resources{};
  r.block_io.emplace().leaf_weight = 5;
  BOOST_TEST(error_of(*f.m, r).find(F + "blockIO.leafWeight:") == 0);
  r = Resources{};
  r.network.emplace().class_id = 1;
  BOOST_TEST(error_of(*f.m, r) == F + "network.classID: the host has no net_cls cgroup controller");
  r = Resources{};
  r.memory.emplace().swap = 300;  // no memory limit to subtract
  BOOST_TEST(error_of(*f.m, r).find(F + "memory.swap: cannot set a swap limit") == 0);
  for (const char* bad : {"../escape", "a/b", ""}) {
    r = Resources{};
    r.unified[bad] = "1";
    BOOST_TEST(error_of(*f.m, r).find(F + "unified: \"") == 0);
  }
  r = Resources{};
  r.unified["nosuch.file"] = "1";
  BOOST_TEST(error_of(*f.m, r) == F + "unified.nosuch.file: write 1 to " + f.d +
                                      "/nosuch.file: no such file or directory (is the \"nosuch\" "
                                      "controller enabled?)");
  // A controller the cgroup does not have (its cgroup.controllers lacks it).
  put(f.d + "/cgroup.controllers", "memory");
  r = Resources{};
  r.pids.emplace().limit = 5;
  BOOST_TEST(error_of(*f.m, r) == F + "pids.limit: the pids controller is not available in " + f.d +
                                      " (its parent does not enable it)");
  // One the host does not have at all.
  cg::Options o;
  o.id = "c1";
  o.cgroups_path = "/mid/c1";
  auto no_pids = cg::make_manager(cg::Layout::under(f.t.root, {}, {"memory"}), o);
  BOOST_TEST(error_of(*no_pids, r) == F + "pids.limit: the host has no pids cgroup controller");
}

BOOST_AUTO_TEST_CASE(v2_rootless_controller_not_delegated_names_the_field) {
  // A rootless user's cgroup below user@UID.service: cpuset is the host's, not delegated.
  V2 f;
  cg::Options o;
  o.id = "c2";
  o.cgroups_path = "/mid/c2";
  o.rootless = true;
  auto m = cg::make_manager(f.l, o);
  m->create();
  put(f.t.p("unified/mid/c2/cgroup.controllers"), "memory pids");
  Resources r;
  r.cpu.emplace().cpus = "0";
  BOOST_TEST(error_of(*m, r) ==
             "linux.resources.cpu.cpus: the cpuset controller is not "
             "available in " +
                 f.t.p("unified/mid/c2") + " (not delegated to this user)");
}

BOOST_AUTO_TEST_CASE(v2_freeze_stats_oom_and_kill) {
  V2 f;
  put(f.d + "/cgroup.events", "populated 0\nfrozen 1\n");
  f.m->freeze();
  BOOST_TEST(slurp(f.d + "/cgroup.freeze") == "1");
  BOOST_TEST(f.m->frozen());
  put(f.d + "/cgroup.events", "populated 0\nfrozen 0\n");
  f.m->thaw();
  BOOST_TEST(!f.m->frozen());

  put(f.d + "/cpu.stat", "usage_usec 10\nuser_usec 6\nsystem_usec 4\nnr_throttled 1\n");
  put(f.d + "/memory.current", "4096");
  put(f.d + "/memory.max", "max");
  put(f.d + "/memory.stat", "file 12\nanon 3\n");
  put(f.d + "/memory.events", "low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n");
  put(f.d + "/pids.current", "3");
  put(f.d + "/pids.max", "100");
  put(f.d + "/io.stat", "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n");
  put(f.d + "/hugetlb.2MB.current", "4");
  auto s = f.m->stats();
  BOOST_TEST(s.cpu.usage_total == 10000u);
  BOOST_TEST(s.cpu.usage_user == 6000u);
  BOOST_TEST(s.cpu.throttled_periods == 1u);
  BOOST_TEST(s.memory.usage == 4096u);
  BOOST_TEST(s.memory.limit == 0u);
  BOOST_TEST(s.memory.cache == 12u);
  BOOST_TEST(s.memory.failcnt == 2u);
  BOOST_TEST(s.pids.current == 3u);
  BOOST_TEST(s.pids.limit == 100u);
  BOOST_TEST(s.blkio_service_bytes.size() == 2u);
  BOOST_TEST(s.blkio_serviced.size() == 2u);
  BOOST_TEST(s.blkio_serviced[1].value == 2u);
  BOOST_TEST(s.hugetlb.at("2MB").usage == 4u);
  BOOST_TEST(f.m->oom_kill_count() == 1u);

  // Pure v2 with cgroup.kill: SIGKILL goes through it.
  touch(f.d, {"cgroup.kill"});
  WriteLog log(f.t.root);
  f.m->kill_all(SIGKILL);
  BOOST_TEST(log.last("unified/mid/c1/cgroup.kill") == "1");
}

BOOST_AUTO_TEST_CASE(device_filter_program_shape) {
  using R = nucleus::oci::DeviceCgroupRule;
  // Prologue (6) + default deny (2).
  BOOST_TEST(cg::device_filter_program({}).size() == 8u);
  // Type, major, minor tests + verdict (2) = 5; partial access adds 3.
  auto p = cg::device_filter_program({R{true, "c", 1, 3, "rwm"}});
  BOOST_TEST(p.size() == 13u);
  BOOST_TEST(p[6].code == (BPF_JMP | BPF_JNE | BPF_K));
  BOOST_TEST(p[6].imm == BPF_DEVCG_DEV_CHAR);
  BOOST_TEST(p[6].off == 4);  // to the instruction after this rule's exit
  BOOST_TEST(p[9].imm == 1);  // allow
  auto q = cg::device_filter_program({R{true, "a", {}, {}, "r"}, R{false, "b", 8, {}, "rwm"}});
  // The last rule comes first: block device 8:* deny, then "a r" allow.
  BOOST_TEST(q[6].imm == BPF_DEVCG_DEV_BLOCK);
  BOOST_TEST(q[7].imm == 8);
  BOOST_TEST(q[8].imm == 0);
  BOOST_TEST(q.size() == 6u + 4u + 5u + 2u);
  BOOST_CHECK_THROW(cg::device_filter_program({R{true, "x", {}, {}, ""}}), nucleus::Error);
  BOOST_CHECK_THROW(cg::device_filter_program({R{true, "c", {}, {}, "rq"}}), nucleus::Error);
}

// Checked before an init joins: cgroup.freeze (the cgroup's own), cgroup.events (frozen by a
// parent), of the cgroup or of its nearest existing parent while it is not made yet.
BOOST_AUTO_TEST_CASE(v2_frozen_for_join_reads_freeze_and_events) {
  TempRoot t;
  cg::Layout l = cg::Layout::under(t.root, {}, kCtrls);
  cg::Options o;
  o.id = "c1";
  o.cgroups_path = "/mid/c1";
  auto m = cg::make_manager(l, o);
  BOOST_TEST(m->frozen_for_join() == "");
  put(t.p("unified/mid/cgroup.freeze"), "1");
  BOOST_TEST(m->frozen_for_join() == t.p("unified/mid") + "/cgroup.freeze is 1");
  put(t.p("unified/mid/cgroup.freeze"), "0");
  put(t.p("unified/mid/c1/cgroup.freeze"), "0");
  put(t.p("unified/mid/c1/cgroup.events"), "populated 0\nfrozen 1\n");
  BOOST_TEST(m->frozen_for_join() == t.p("unified/mid/c1") + "/cgroup.events says frozen 1");
  put(t.p("unified/mid/c1/cgroup.events"), "populated 0\nfrozen 0\n");
  BOOST_TEST(m->frozen_for_join() == "");
}
