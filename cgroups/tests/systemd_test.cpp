// The systemd driver's translation of a config into unit properties (no systemd needed), and
// its record.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "cgroups/manager.hpp"
#include "cgroups/sdbus.hpp"
#include "cgroups/systemd_props.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace cg = nucleus::cgroups;

namespace {

// name=value text of each property, in order, for compact assertions.
std::vector<std::string> texts(const cg::UnitProperties& props) {
  std::vector<std::string> out;
  for (const auto& p : props) out.push_back(p.name + "=" + p.value.text());
  return out;
}

const cg::UnitProperty* find(const cg::UnitProperties& props, const std::string& name) {
  for (const auto& p : props)
    if (p.name == name) return &p;
  return nullptr;
}

nucleus::oci::DeviceCgroupRule rule(bool allow, std::string type, std::optional<int64_t> major,
                                    std::optional<int64_t> minor, std::string access) {
  nucleus::oci::DeviceCgroupRule r;
  r.allow = allow;
  r.type = std::move(type);
  r.major = major;
  r.minor = minor;
  r.access = std::move(access);
  return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(unit_names_and_slices) {
  auto u = cg::parse_systemd_unit("system.slice:docker:abc", "x");
  BOOST_TEST(u.unit == "docker-abc.scope");
  BOOST_TEST(u.slice == "system.slice");
  BOOST_TEST(u.path == "/system.slice/docker-abc.scope");
  BOOST_TEST(!u.is_slice());
  u = cg::parse_systemd_unit("kubepods-besteffort-pod12.slice:cri-containerd:c9", "x");
  BOOST_TEST(u.path ==
             "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12.slice/"
             "cri-containerd-c9.scope");
  u = cg::parse_systemd_unit("a.slice::a-b.slice", "x");
  BOOST_TEST(u.is_slice());
  BOOST_TEST(u.unit == "a-b.slice");
  BOOST_TEST(u.path == "/a.slice/a-b.slice");
  BOOST_CHECK_THROW(cg::parse_systemd_unit("x.slice:p:n\tm", "x"), nucleus::Error);
  BOOST_CHECK_THROW(cg::parse_systemd_unit(".slice:p:n", "x"), nucleus::Error);
}

BOOST_AUTO_TEST_CASE(the_user_managers_default_slice) {
  // runc's rootless driver: an empty cgroupsPath is user.slice (of the user's manager).
  auto u = cg::parse_systemd_unit("", "c1", "user.slice");
  BOOST_TEST(u.slice == "user.slice");
  BOOST_TEST(u.unit == "nucleus-oci-c1.scope");
  BOOST_TEST(u.path == "/user.slice/nucleus-oci-c1.scope");
  // A slice given wins over the default, as for root.
  u = cg::parse_systemd_unit("app.slice:p:c1", "c1", "user.slice");
  BOOST_TEST(u.path == "/app.slice/p-c1.scope");
}

BOOST_AUTO_TEST_CASE(the_user_bus_address_as_runc_finds_it) {
  // $DBUS_SESSION_BUS_ADDRESS first, else $XDG_RUNTIME_DIR/bus when it exists, else runc's error.
  std::string dir = "/tmp/nucleus-usrbus-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  ::unsetenv("DBUS_SESSION_BUS_ADDRESS");
  ::setenv("XDG_RUNTIME_DIR", dir.c_str(), 1);
  std::string err;
  try {
    cg::user_bus_address();
  } catch (const nucleus::Error& e) {
    err = e.what();
  }
  BOOST_TEST(err.find("could not detect DBUS_SESSION_BUS_ADDRESS from the environment") == 0);
  nucleus::write_file_atomic(dir + "/bus", "");
  BOOST_TEST(cg::user_bus_address() == "unix:path=" + dir + "/bus");
  ::setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/elsewhere", 1);
  BOOST_TEST(cg::user_bus_address() == "unix:path=/elsewhere");
  ::unsetenv("DBUS_SESSION_BUS_ADDRESS");
  ::unsetenv("XDG_RUNTIME_DIR");
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(start_properties_of_a_scope_and_a_slice) {
  auto scope = cg::unit_start_properties("c1", cg::parse_systemd_unit("system.slice:t:c1", "c1"),
                                         4242, true, {{"TimeoutStopUSec", {uint64_t{5}}}});
  BOOST_TEST(
      texts(scope) ==
          (std::vector<std::string>{
              "Description=\"nucleus-oci container c1\"", "Slice=\"system.slice\"", "Delegate=true",
              "PIDs=[4242]", "MemoryAccounting=true", "CPUAccounting=true", "IOAccounting=true",
              "TasksAccounting=true", "DefaultDependencies=false", "TimeoutStopUSec=5"}),
      boost::test_tools::per_element());
  auto slice = cg::unit_start_properties("s", cg::parse_systemd_unit("a.slice::a-s.slice", "s"), 7,
                                         false, {});
  BOOST_TEST(find(slice, "Wants")->value.text() == "[\"a.slice\"]");
  BOOST_TEST(!find(slice, "Slice"));
  BOOST_TEST(!find(slice, "Delegate"));
  BOOST_TEST(find(slice, "BlockIOAccounting"));
  BOOST_TEST(find(slice, "PIDs")->value.signature() == "au");
}

BOOST_AUTO_TEST_CASE(resources_v2_as_runc_sets_them) {
  nucleus::oci::Resources r;
  r.memory.emplace();
  r.memory->limit = 33554432;
  r.memory->reservation = 1048576;
  r.memory->swap = 67108864;  // memory+swap: swap alone is the difference
  r.cpu.emplace();
  r.cpu->shares = 512;
  r.cpu->quota = 33333;  // 33.333 % of a CPU: systemd takes whole percents -> 34 %
  r.cpu->period = 100000;
  r.cpu->cpus = "0-1,3";
  r.cpu->mems = "0";
  r.pids.emplace();
  r.pids->limit = 10;
  auto p = cg::resource_properties(r, true, 252);
  BOOST_TEST(find(p, "MemoryMax")->value.text() == "33554432");
  BOOST_TEST(find(p, "MemoryLow")->value.text() == "1048576");
  BOOST_TEST(find(p, "MemorySwapMax")->value.text() == "33554432");
  BOOST_TEST(find(p, "CPUWeight")->value.text() == "20");  // 1 + (510 * 9999) / 262142
  BOOST_TEST(find(p, "CPUQuotaPeriodUSec")->value.text() == "100000");
  BOOST_TEST(find(p, "CPUQuotaPerSecUSec")->value.text() == "340000");
  BOOST_TEST(*r.cpu->quota == 34000);  // the files get the rounded quota too
  BOOST_TEST(find(p, "AllowedCPUs")->value.text() == "[0x0b]");
  BOOST_TEST(find(p, "AllowedMemoryNodes")->value.text() == "[0x01]");
  BOOST_TEST(find(p, "TasksMax")->value.text() == "10");
  BOOST_TEST(find(p, "TasksMax")->value.signature() == "t");

  // systemd 243 has no AllowedCPUs; 241 no CPUQuotaPeriodUSec: left to the files.
  nucleus::oci::Resources old = r;
  auto q = cg::resource_properties(old, true, 241);
  BOOST_TEST(!find(q, "AllowedCPUs"));
  BOOST_TEST(!find(q, "CPUQuotaPeriodUSec"));

  // Unlimited values are systemd's infinity.
  nucleus::oci::Resources inf;
  inf.memory.emplace();
  inf.memory->limit = -1;
  inf.pids.emplace();
  inf.pids->limit = -1;
  inf.cpu.emplace();
  inf.cpu->quota = -1;
  auto i = cg::resource_properties(inf, true, 252);
  BOOST_TEST(find(i, "MemoryMax")->value.text() == "18446744073709551615");
  BOOST_TEST(find(i, "TasksMax")->value.text() == "18446744073709551615");
  BOOST_TEST(find(i, "CPUQuotaPerSecUSec")->value.text() == "18446744073709551615");

  // v1 names.
  nucleus::oci::Resources v1 = r;
  auto w = cg::resource_properties(v1, false, 252);
  BOOST_TEST(find(w, "MemoryLimit")->value.text() == "33554432");
  BOOST_TEST(find(w, "CPUShares")->value.text() == "512");
  BOOST_TEST(!find(w, "MemoryMax"));
}

BOOST_AUTO_TEST_CASE(unified_keys_become_properties) {
  nucleus::oci::Resources r;
  r.unified = {{"memory.high", "1000000"}, {"pids.max", "max"}, {"cpu.max", "50000 100000"},
               {"io.weight", "100"},       {"cpu.idle", "1"},   {"cpu.weight", "77"}};
  auto p = cg::resource_properties(r, true, 252);
  BOOST_TEST(find(p, "MemoryHigh")->value.text() == "1000000");
  BOOST_TEST(find(p, "TasksMax")->value.text() == "18446744073709551615");
  BOOST_TEST(find(p, "CPUQuotaPerSecUSec")->value.text() == "500000");
  BOOST_TEST(find(p, "CPUWeight")->value.text() == "0");  // cpu.idle wins over cpu.weight
  r.unified = {{"memory.max", "lots"}};
  BOOST_CHECK_THROW(cg::resource_properties(r, true, 252), nucleus::Error);
}

BOOST_AUTO_TEST_CASE(device_rules_as_device_allow) {
  // Docker's: deny all, then the usual allow list.
  std::vector<nucleus::oci::DeviceCgroupRule> rules = {
      rule(false, "a", {}, {}, "rwm"), rule(true, "c", 1, 3, "rwm"),
      rule(true, "c", 136, {}, "rwm"), rule(true, "c", {}, {}, "m"),
      rule(true, "b", 8, 0, "r"),      rule(true, "c", 1, 3, "rwm"),
      rule(true, "c", 10, 200, "rwm"), rule(false, "c", 10, 200, "w"),
  };
  auto p = cg::device_properties(rules, 252);
  BOOST_TEST(
      texts(p) == (std::vector<std::string>{"DevicePolicy=\"strict\"",
                                            "DeviceAllow=[/dev/char/1:3:rwm char-136:rwm char-*:m "
                                            "/dev/block/8:0:r /dev/char/10:200:rm]"}),
      boost::test_tools::per_element());
  // Allow all (privileged).
  p = cg::device_properties({rule(true, "a", {}, {}, "rwm")}, 252);
  BOOST_TEST(texts(p) == (std::vector<std::string>{"DevicePolicy=\"auto\"", "DeviceAllow=[]"}),
             boost::test_tools::per_element());
  // A deny-list: systemd cannot say it; deny all there (our own eBPF program has the rules).
  p = cg::device_properties({rule(false, "c", 1, 9, "rwm")}, 252);
  BOOST_TEST(texts(p) == (std::vector<std::string>{"DevicePolicy=\"strict\"", "DeviceAllow=[]"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(cpu_lists) {
  BOOST_TEST(cg::cpu_list_to_bits("0", "f") == (std::vector<uint8_t>{0x01}));
  BOOST_TEST(cg::cpu_list_to_bits("1,3-5", "f") == (std::vector<uint8_t>{0x3a}));
  BOOST_TEST(cg::cpu_list_to_bits("9", "f") == (std::vector<uint8_t>{0x00, 0x02}));
  BOOST_CHECK_THROW(cg::cpu_list_to_bits("", "f"), nucleus::Error);
  BOOST_CHECK_THROW(cg::cpu_list_to_bits("3-1", "f"), nucleus::Error);
  BOOST_CHECK_THROW(cg::cpu_list_to_bits("x", "f"), nucleus::Error);
}

BOOST_AUTO_TEST_CASE(annotations_as_runc_reads_them) {
  auto p = cg::annotation_properties({{"org.systemd.property.TimeoutStopUSec", "uint64 5000000"},
                                      {"org.systemd.property.CollectMode", "'inactive-or-failed'"},
                                      {"org.systemd.property.TimeoutStartSec", "30"},
                                      {"org.systemd.property.RuntimeMaxSec", "@t 2"},
                                      {"org.systemd.property.IgnoreSIGPIPE", "true"},
                                      {"org.other", "x"}});
  BOOST_TEST(texts(p) ==
                 (std::vector<std::string>{"CollectMode=\"inactive-or-failed\"",
                                           "IgnoreSIGPIPE=true", "RuntimeMaxUSec=2000000",
                                           "TimeoutStartUSec=30000000", "TimeoutStopUSec=5000000"}),
             boost::test_tools::per_element());
  BOOST_TEST(find(p, "TimeoutStopUSec")->value.signature() == "t");
  try {
    cg::annotation_properties({{"org.systemd.property.Ab", "1"}});
    BOOST_FAIL("no error");
  } catch (const nucleus::Error& e) {
    BOOST_TEST(std::string(e.what()) ==
               "annotation org.systemd.property.Ab name incorrect: too short");
  }
  try {
    cg::annotation_properties({{"org.systemd.property.Foo", "uint64 x"}});
    BOOST_FAIL("no error");
  } catch (const nucleus::Error& e) {
    BOOST_TEST(std::string(e.what()).find(
                   "annotation org.systemd.property.Foo=uint64 x value parse error") == 0);
  }
}

BOOST_AUTO_TEST_CASE(the_record_reopens_a_systemd_manager) {
  // Written by a systemd manager; read back without systemd (no D-Bus call is needed for that).
  auto l = cg::Layout::parse(
      "30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw\n",
      "0::/init.scope\n");
  std::string rec =
      "sd1\tnucleus-test-c1.scope\tsystem\tsystem.slice\t/system.slice/nucleus-test-c1.scope\t"
      "cgfs1\tH2\t/sys/fs/cgroup\t/system.slice/nucleus-test-c1.scope";
  auto m = cg::open_manager(l, rec);
  BOOST_TEST(m->path() == "/system.slice/nucleus-test-c1.scope");
  BOOST_TEST(m->serialize() == rec);
  BOOST_CHECK_THROW(cg::open_manager(l, "sd1\tu.scope\tnobus\ts.slice\t/p\tcgfs1\tH2\t/x\t/p"),
                    nucleus::Error);
}

BOOST_AUTO_TEST_CASE(an_update_without_device_rules_leaves_the_device_policy) {
  nucleus::oci::Resources r;
  r.pids.emplace();
  r.pids->limit = 5;
  auto p = cg::resource_properties(r, true, 252);
  BOOST_TEST(!find(p, "DevicePolicy"));
  BOOST_TEST(!find(p, "DeviceAllow"));
  BOOST_TEST(texts(p) == (std::vector<std::string>{"TasksMax=5"}),
             boost::test_tools::per_element());
}
