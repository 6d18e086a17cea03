#define BOOST_TEST_MODULE oci
#define BOOST_TEST_DYN_LINK
#include <dirent.h>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

#include "oci/config.hpp"
#include "oci/default_spec.hpp"
#include "oci/features.hpp"
#include "oci/state.hpp"

using namespace nucleus::oci;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

const char* kFull = R"({
  "ociVersion": "1.3.0",
  "process": {
    "terminal": true, "consoleSize": {"height": 25, "width": 80},
    "user": {"uid": 1, "gid": 2, "umask": 18, "additionalGids": [5, 6]},
    "args": ["sh", "-c", "true"], "env": ["PATH=/bin", "A=b=c"], "cwd": "/tmp",
    "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"],
                     "inheritable": [], "permitted": ["CAP_KILL"], "ambient": ["CAP_KILL"]},
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 512}],
    "noNewPrivileges": true, "apparmorProfile": "p", "oomScoreAdj": -5, "selinuxLabel": "l",
    "scheduler": {"policy": "SCHED_BATCH", "nice": 3, "flags": ["SCHED_FLAG_RESET_ON_FORK"]},
    "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4},
    "execCPUAffinity": {"initial": "0", "final": "0-1"}
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "h", "domainname": "d",
  "mounts": [{"destination": "/data", "type": "bind", "source": "/srv", "options": ["rbind", "ro"],
              "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 10}]}],
  "hooks": {"prestart": [{"path": "/bin/true", "args": ["true"], "env": ["X=1"], "timeout": 5}],
            "poststop": [{"path": "/bin/false"}]},
  "annotations": {"org.example": "yes"},
  "unknownTopLevel": {"ignored": true},
  "linux": {
    "namespaces": [{"type": "pid"}, {"type": "network", "path": "/proc/1/ns/net"}, {"type": "uts"},
                   {"type": "mount"}, {"type": "user"}, {"type": "time"}],
    "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
    "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
    "timeOffsets": {"boottime": {"secs": 100, "nanosecs": 5}},
    "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438}],
    "cgroupsPath": "/a/b",
    "resources": {
      "devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}],
      "memory": {"limit": 1048576, "swap": 2097152, "swappiness": 10, "disableOOMKiller": true},
      "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0-1", "idle": 1},
      "pids": {"limit": 10},
      "blockIO": {"weight": 500, "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 100}]},
      "hugepageLimits": [{"pageSize": "2MB", "limit": 1024}],
      "network": {"classID": 7, "priorities": [{"name": "eth0", "priority": 3}]},
      "rdma": {"mlx": {"hcaHandles": 1}},
      "unified": {"memory.high": "100000"}
    },
    "seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
                "architectures": ["SCMP_ARCH_X86_64"], "flags": ["SECCOMP_FILTER_FLAG_LOG"],
                "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                              "args": [{"index": 0, "value": 1, "valueTwo": 2, "op": "SCMP_CMP_MASKED_EQ"}]}]},
    "sysctl": {"net.ipv4.ip_forward": "1"},
    "rootfsPropagation": "rslave",
    "maskedPaths": ["/proc/kcore"], "readonlyPaths": ["/proc/sys"],
    "mountLabel": "m", "personality": {"domain": "LINUX32"},
    "intelRdt": {"closID": "c"}, "memoryPolicy": {"mode": "MPOL_BIND", "nodes": "0"},
    "netDevices": {"eth1": {"name": "net0"}}
  }
})";

}  // namespace

BOOST_AUTO_TEST_CASE(full_config_parses_every_field) {
  Config c = parse_config(kFull);
  BOOST_TEST(c.oci_version == "1.3.0");
  const Process& p = *c.process;
  BOOST_TEST(p.terminal);
  BOOST_TEST(p.console_size->width == 80u);
  BOOST_TEST(p.user.uid == 1u);
  BOOST_TEST(*p.user.umask == 18u);
  BOOST_TEST(p.user.additional_gids.size() == 2u);
  BOOST_TEST(p.args.size() == 3u);
  BOOST_TEST(p.env[1] == "A=b=c");
  BOOST_TEST(p.capabilities->ambient[0] == "CAP_KILL");
  BOOST_TEST(p.rlimits[0].soft == 512u);
  BOOST_TEST(p.no_new_privileges);
  BOOST_TEST(*p.oom_score_adj == -5);
  BOOST_TEST(p.scheduler->policy == "SCHED_BATCH");
  BOOST_TEST(p.io_priority->priority == 4);
  BOOST_TEST(p.exec_cpu_affinity->final == "0-1");
  BOOST_TEST(c.root->readonly);
  BOOST_TEST(c.mounts[0].options.size() == 2u);
  BOOST_TEST(c.mounts[0].uid_mappings[0].host_id == 1000u);
  BOOST_TEST(*c.hooks->prestart[0].timeout == 5);
  BOOST_TEST(c.hooks->poststop.size() == 1u);
  BOOST_TEST(c.annotations.at("org.example") == "yes");
  const Linux& l = *c.linux;
  BOOST_TEST(l.find_namespace("network")->path == "/proc/1/ns/net");
  BOOST_TEST(l.find_namespace("cgroup") == nullptr);
  BOOST_TEST(l.uid_mappings[0].size == 65536u);
  BOOST_TEST(l.time_offsets.at("boottime").secs == 100);
  BOOST_TEST(*l.devices[0].file_mode == 438u);
  BOOST_TEST(*l.cgroups_path == "/a/b");
  const Resources& r = *l.resources;
  BOOST_TEST(r.devices.size() == 2u);
  BOOST_TEST(*r.devices[1].minor == 3);
  BOOST_TEST(*r.memory->limit == 1048576);
  BOOST_TEST(*r.memory->disable_oom_killer);
  BOOST_TEST(*r.cpu->shares == 512u);
  BOOST_TEST(*r.cpu->idle);
  BOOST_TEST(*r.pids->limit == 10);
  BOOST_TEST(*r.block_io->weight == 500);
  BOOST_TEST(r.block_io->throttle_read_bps_device[0].rate == 100u);
  BOOST_TEST(r.hugepage_limits[0].page_size == "2MB");
  BOOST_TEST(*r.network->class_id == 7u);
  BOOST_TEST(*r.rdma.at("mlx").hca_handles == 1u);
  BOOST_TEST(r.unified.at("memory.high") == "100000");
  BOOST_TEST(*l.seccomp->default_errno_ret == 38u);
  BOOST_TEST(l.seccomp->syscalls[0].args[0].value_two == 2u);
  BOOST_TEST(l.sysctl.at("net.ipv4.ip_forward") == "1");
  BOOST_TEST(l.personality->domain == "LINUX32");
  BOOST_TEST(l.memory_policy->mode == "MPOL_BIND");
  BOOST_TEST(l.net_devices.at("eth1").name == "net0");
}

BOOST_AUTO_TEST_CASE(every_1x_version_is_accepted) {
  for (const char* v : {"1.0.0", "1.0.2-dev", "1.1.0", "1.2.0-rc.1", "1.3.0", "1.9"}) {
    std::string json = std::string("{\"ociVersion\":\"") + v + "\"}";
    BOOST_CHECK_NO_THROW(parse_config(json));
  }
  for (const char* v : {"0.9.0", "2.0.0", "1", "1.x", "v1.0.0", ""}) {
    std::string json = std::string("{\"ociVersion\":\"") + v + "\"}";
    BOOST_CHECK_THROW(parse_config(json), ConfigError);
  }
}

BOOST_AUTO_TEST_CASE(default_spec_round_trips) {
  Config c = parse_config(default_spec_json(false));
  BOOST_TEST(c.process->args[0] == "sh");
  BOOST_TEST(c.root->path == "rootfs");
  BOOST_TEST(c.linux->find_namespace("network") != nullptr);
  Config r = parse_config(default_spec_json(true, 1000, 1000));
  BOOST_TEST(r.linux->find_namespace("user") != nullptr);
  BOOST_TEST(r.linux->find_namespace("network") == nullptr);
  BOOST_TEST(r.linux->uid_mappings[0].host_id == 1000u);
  BOOST_TEST(!r.linux->resources.has_value());
}

BOOST_AUTO_TEST_CASE(huge_strings_are_rejected_with_the_field) {
  std::string big(2 << 20, 'a');
  std::string json = "{\"ociVersion\":\"1.0.0\",\"hostname\":\"" + big + "\"}";
  try {
    parse_config(json);
    BOOST_FAIL("no error");
  } catch (const ConfigError& e) {
    BOOST_TEST(std::string(e.what()) == "config.json: hostname: too long (more than 1 MiB)");
  }
}

BOOST_AUTO_TEST_CASE(process_and_resources_alone) {
  Process p = parse_process(R"({"args":["ls"],"cwd":"/","terminal":true})", "p.json");
  BOOST_TEST(p.terminal);
  BOOST_CHECK_THROW(parse_process(R"({"args":[],"cwd":"/"})"), ConfigError);
  try {
    parse_process(R"({"args":["x"],"cwd":"rel"})", "p.json");
  } catch (const ConfigError& e) {
    BOOST_TEST(std::string(e.what()) == "p.json: cwd: must be an absolute path");
  }
  Resources r = parse_resources(R"({"memory":{"limit":100},"pids":{"limit":5}})");
  BOOST_TEST(*r.pids->limit == 5);
}

BOOST_AUTO_TEST_CASE(state_json_has_runc_fields_in_order) {
  State s;
  s.id = "c1";
  s.status = "running";
  s.pid = 42;
  s.bundle = "/b";
  s.rootfs = "/b/rootfs";
  s.created = "2026-01-01T00:00:00.000000001Z";
  std::string j = state_to_cli_json(s);
  BOOST_TEST(j.find("\"ociVersion\"") < j.find("\"id\""));
  BOOST_TEST(j.find("\"id\"") < j.find("\"pid\""));
  BOOST_TEST(j.find("\"pid\": 42") < j.find("\"status\""));
  BOOST_TEST(j.find("\"owner\": \"\"") != std::string::npos);
  BOOST_TEST(j.find("annotations") == std::string::npos);
  State back = parse_state(j);
  BOOST_TEST(back.pid == 42);
  BOOST_TEST(back.rootfs == "/b/rootfs");
  std::string h = state_to_hook_json(s);
  BOOST_TEST(h == R"({"ociVersion":"1.3.0","id":"c1","status":"running","pid":42,"bundle":"/b"})");
  s.pid = 0;
  BOOST_TEST(state_to_hook_json(s).find("pid") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(features_json_keys) {
  Features f;
  f.oci_version_max = "1.3.0";
  f.linux.seccomp.enabled = true;
  f.linux.seccomp.actions = {"SCMP_ACT_ALLOW"};
  std::string j = features_to_json(f);
  for (const char* k : {"ociVersionMin", "ociVersionMax", "mountOptions", "namespaces", "cgroup",
                        "seccomp", "supportedFlags", "mountExtensions", "idmap", "annotations"})
    BOOST_TEST(j.find(std::string("\"") + k + "\"") != std::string::npos, k);
}

BOOST_AUTO_TEST_CASE(bad_config_corpus) {
  DIR* d = opendir(BAD_CONFIG_DIR);
  BOOST_REQUIRE(d != nullptr);
  int checked = 0;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() < 6 || name.substr(name.size() - 5) != ".json") continue;
    std::string base = std::string(BAD_CONFIG_DIR) + "/" + name.substr(0, name.size() - 5);
    std::string want = slurp(base + ".err");
    BOOST_TEST_CONTEXT(name) {
      BOOST_REQUIRE(!want.empty());
      try {
        parse_config(slurp(base + ".json"));
        BOOST_ERROR("accepted a bad config");
      } catch (const ConfigError& err) {
        BOOST_TEST(std::string(err.what()).find(want) != std::string::npos, err.what());
      }
    }
    ++checked;
  }
  closedir(d);
  BOOST_TEST(checked >= 40);
}
