// Layout detection, cgroupsPath rules, the systemd form, and the serialize/open_manager record.
#define BOOST_TEST_MODULE cgroups
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "cgroups/tests/fake.hpp"
#include "util/error.hpp"

namespace cg = nucleus::cgroups;
using namespace cgtest;

BOOST_GLOBAL_FIXTURE(InstallObserver);

namespace {

// This host's mountinfo (hybrid) and the cgroup of a process whose memory cgroup differs.
const std::string kHybridMountinfo =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n";
const std::string kSelfCgroup =
    "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
    "4:memory:/process_api/b58f\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";

cg::Options opts(const std::string& id, std::optional<std::string> path, bool systemd = false) {
  cg::Options o;
  o.id = id;
  o.cgroups_path = std::move(path);
  o.systemd = systemd;
  return o;
}

std::map<std::string, std::string> paths_by_mount(const cg::Manager& m) {
  std::map<std::string, std::string> out;
  for (const auto& h : dynamic_cast<const cg::FsManager&>(m).hierarchies()) out[h.mount] = h.path;
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(layout_parses_a_hybrid_host) {
  cg::Layout l = cg::Layout::parse(kHybridMountinfo, kSelfCgroup);
  BOOST_TEST(l.v1.size() == 8u);
  BOOST_TEST(l.v1.at("memory") == "/sys/fs/cgroup/memory");
  BOOST_TEST(l.v1.at("cpuacct") == "/sys/fs/cgroup/cpuacct");
  BOOST_TEST(!l.v1.count("xattr"));
  BOOST_TEST(l.v1_named.at("name=systemd") == "/sys/fs/cgroup/systemd");
  BOOST_TEST(l.v2 == "/sys/fs/cgroup/unified");
  BOOST_TEST(l.hybrid());
  BOOST_TEST(!l.pure_v2());
  BOOST_TEST(l.own.at("/sys/fs/cgroup/memory") == "/process_api/b58f");
  BOOST_TEST(l.own.at("/sys/fs/cgroup/cpu") == "/");
  BOOST_TEST(l.own.at("/sys/fs/cgroup/unified") == "/");
}

BOOST_AUTO_TEST_CASE(layout_parses_comounts_pure_v2_and_namespaced_roots) {
  cg::Layout v1 = cg::Layout::parse(
      "25 20 0:22 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
      "26 20 0:23 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
      "3:cpu,cpuacct:/x\n2:memory:/docker/abc/inner\n");
  BOOST_TEST(v1.v1.at("cpu") == "/sys/fs/cgroup/cpu,cpuacct");
  BOOST_TEST(v1.v1.at("cpuacct") == "/sys/fs/cgroup/cpu,cpuacct");
  BOOST_TEST(v1.v2.empty());
  BOOST_TEST(v1.own.at("/sys/fs/cgroup/cpu,cpuacct") == "/x");
  BOOST_TEST(v1.own.at("/sys/fs/cgroup/memory") == "/inner");  // the mount's root stripped

  cg::Layout v2 = cg::Layout::parse(
      "30 22 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n",
      "0::/user.slice/session-1.scope\n");
  BOOST_TEST(v2.pure_v2());
  BOOST_TEST(v2.own.at("/sys/fs/cgroup") == "/user.slice/session-1.scope");
}

BOOST_AUTO_TEST_CASE(detect_on_this_host_agrees_with_mountinfo) {
  cg::Layout l = cg::Layout::detect();
  BOOST_TEST((!l.v1.empty() || !l.v2.empty()));
  for (const auto& [c, mount] : l.v1) BOOST_TEST(nucleus::path_exists(mount + "/cgroup.procs"));
  if (!l.v2.empty()) BOOST_TEST(nucleus::path_exists(l.v2 + "/cgroup.controllers"));
}

BOOST_AUTO_TEST_CASE(unset_absolute_and_relative_paths) {
  cg::Layout l = cg::Layout::parse(kHybridMountinfo, kSelfCgroup);
  auto unset = cg::make_manager(l, opts("c1", std::nullopt));
  BOOST_TEST(unset->path() == "/nucleus-oci/c1");
  for (const auto& [mount, p] : paths_by_mount(*unset)) BOOST_TEST(p == "/nucleus-oci/c1");
  BOOST_TEST(paths_by_mount(*unset).size() == 10u);  // 8 v1 + name=systemd + cgroup2

  auto abs = cg::make_manager(l, opts("c1", "/a/../b//c/"));
  for (const auto& [mount, p] : paths_by_mount(*abs)) BOOST_TEST(p == "/b/c");

  // Relative: under the caller's own cgroup of each hierarchy (runc's cgroupfs driver), on
  // cgroup2 under that cgroup's parent (runc's fs2).
  l.own["/sys/fs/cgroup/unified"] = "/user/session";
  auto rel = cg::make_manager(l, opts("c1", "../../rel/c1"));
  auto ps = paths_by_mount(*rel);
  BOOST_TEST(ps.at("/sys/fs/cgroup/memory") == "/process_api/b58f/rel/c1");
  BOOST_TEST(ps.at("/sys/fs/cgroup/cpu") == "/rel/c1");
  BOOST_TEST(ps.at("/sys/fs/cgroup/unified") == "/user/rel/c1");
  BOOST_TEST(rel->path() == "/process_api/b58f/rel/c1");  // memory's path on v1 hosts

  BOOST_CHECK_THROW(cg::make_manager(l, opts("c1", "/")), nucleus::Error);
  BOOST_CHECK_THROW(cg::make_manager(l, opts("c1", "/a\tb")), nucleus::Error);
  BOOST_CHECK_THROW(cg::make_manager(l, opts("a/b", std::nullopt)), nucleus::Error);
}

BOOST_AUTO_TEST_CASE(systemd_paths_and_the_not_running_error) {
  BOOST_TEST(cg::systemd_cgroup_path("system.slice:docker:abc", "x") ==
             "/system.slice/docker-abc.scope");
  BOOST_TEST(cg::systemd_cgroup_path("machine-qemu.slice:nucleus:c1", "x") ==
             "/machine.slice/machine-qemu.slice/nucleus-c1.scope");
  BOOST_TEST(cg::systemd_cgroup_path("-.slice::c1", "x") == "/c1.scope");
  BOOST_TEST(cg::systemd_cgroup_path(":p:sub.slice", "x") == "/system.slice/sub.slice");
  BOOST_TEST(cg::systemd_cgroup_path("", "id9") == "/system.slice/nucleus-oci-id9.scope");
  BOOST_CHECK_THROW(cg::systemd_cgroup_path("/abs/path", "x"), nucleus::Error);
  BOOST_CHECK_THROW(cg::systemd_cgroup_path("a:b", "x"), nucleus::Error);
  BOOST_CHECK_THROW(cg::systemd_cgroup_path("bad:p:n", "x"), nucleus::Error);
  BOOST_CHECK_THROW(cg::systemd_cgroup_path("a--b.slice:p:n", "x"), nucleus::Error);

  if (cg::systemd_running()) {
    BOOST_TEST_MESSAGE("SKIP: systemd runs on this host; the not-running error is not testable");
    return;
  }
  cg::Layout l = cg::Layout::parse(kHybridMountinfo, kSelfCgroup);
  try {
    cg::make_manager(l, opts("c1", "system.slice:nucleus:c1", true));
    BOOST_FAIL("no error");
  } catch (const nucleus::Error& e) {
    BOOST_TEST(std::string(e.what()) ==
               "systemd not running on this host, cannot use systemd cgroups manager");
  }
}

BOOST_AUTO_TEST_CASE(serialize_open_manager_round_trip) {
  TempRoot t;
  cg::Layout l = cg::Layout::under(t.root, {"memory", "pids"}, {"hugetlb"});
  put(t.p("unified/cgroup.controllers"), "hugetlb");
  put(t.p("unified/cgroup.subtree_control"), "hugetlb");
  l.v1_named["name=systemd"] = t.p("systemd");
  fs::create_directories(t.p("systemd/existing"));
  l.own[t.p("memory")] = "/mine";
  fs::create_directories(t.p("memory/mine"));
  auto m = cg::make_manager(l, opts("c1", "existing/c1"));
  m->create();
  std::string rec = m->serialize();
  BOOST_TEST(rec.find('\n') == std::string::npos);
  auto again = cg::open_manager(l, rec);
  BOOST_TEST(again->serialize() == rec);
  BOOST_TEST(again->path() == "/mine/existing/c1");
  BOOST_TEST(fsm(again).v1_dir("memory") == t.p("memory/mine/existing/c1"));
  BOOST_TEST(fsm(again).v1_dir("pids") == t.p("pids/existing/c1"));
  BOOST_TEST(fsm(again).v2_dir() == t.p("unified/existing/c1"));
  BOOST_TEST(fsm(again).created() == fsm(m).created());
  // A layout detected later (other mounts) still reopens the recorded directories.
  // The first record format ("PATH\tCREATED...") still opens.
  auto legacy = cg::open_manager(l, "/existing/c1\t" + t.p("pids/existing/c1"));
  BOOST_TEST(legacy->path() == "/existing/c1");
  BOOST_TEST(fsm(legacy).v1_dir("memory") == t.p("memory/existing/c1"));
  BOOST_TEST(fsm(legacy).created() == std::vector<std::string>{t.p("pids/existing/c1")});
  BOOST_CHECK_THROW(cg::open_manager(l, "nucleus-oci/x"), nucleus::Error);
  BOOST_CHECK_THROW(cg::open_manager(l, "/"), nucleus::Error);
  BOOST_CHECK_THROW(cg::open_manager(l, "cgfs1\tH1\t/m"), nucleus::Error);
  BOOST_CHECK_THROW(cg::open_manager(l, "cgfs1"), nucleus::Error);
  BOOST_CHECK_THROW(cg::open_manager(l, "cgfs1\tH1\t/m\trelative"), nucleus::Error);
}

// exec --cgroup: sub-cgroups below the container's, per controller or in every hierarchy.
BOOST_AUTO_TEST_CASE(sub_cgroup_paths_and_errors) {
  TempRoot t;
  cg::Layout l = cg::Layout::under(t.root, {"memory", "cpu", "cpuacct", "pids"}, {"memory"});
  l.v1["cpuacct"] = l.v1["cpu"];  // co-mounted cpu,cpuacct
  l.v1_named["name=systemd"] = t.p("systemd");
  cg::Options o;
  o.id = "c1";
  o.cgroups_path = "/p/c1";
  auto m = cg::make_manager(l, o);
  // hierarchy (last component of its mount) -> path
  auto dirs = [](const std::unique_ptr<cg::Manager>& x) {
    std::map<std::string, std::string> out;
    for (const auto& h : dynamic_cast<const cg::FsManager&>(*x).hierarchies())
      out[h.mount.substr(h.mount.rfind('/') + 1)] = h.path;
    return out;
  };
  auto all = dirs(m->sub_cgroup({{"", "sub/x"}}));
  for (const auto& [mount, path] : all) BOOST_TEST(path == "/p/c1/sub/x", mount);
  BOOST_TEST(dirs(m->sub_cgroup({{"", "/"}})) == dirs(m));
  auto some = dirs(m->sub_cgroup({{"memory", "a"}, {"cpu", "b"}, {"name=systemd", "s"}}));
  BOOST_TEST(some.at("memory") == "/p/c1/a");
  BOOST_TEST(some.at("cpu") == "/p/c1/b");  // cpuacct shares the directory
  BOOST_TEST(some.at("systemd") == "/p/c1/s");
  BOOST_TEST(some.at("pids") == "/p/c1");
  BOOST_TEST(some.at("unified") == "/p/c1");
  auto error = [&](const std::map<std::string, std::string>& p) {
    try {
      m->sub_cgroup(p);
    } catch (const nucleus::Error& e) {
      return std::string(e.what());
    }
    return std::string("<no error>");
  };
  BOOST_TEST(error({{"", ".."}}) == ".. is not a sub cgroup path");
  BOOST_TEST(error({{"", "a/../../c1x"}}) == "a/../../c1x is not a sub cgroup path");
  BOOST_TEST(error({{"memory", "../c2"}}) == "../c2 is not a sub cgroup path");
  BOOST_TEST(error({{"whaaat", "/"}}) == "unknown controller whaaat in SubCgroupPaths");
  BOOST_TEST(error({{"cpu", "a"}, {"cpuacct", "b"}}).find("are given different paths") !=
             std::string::npos);
}
