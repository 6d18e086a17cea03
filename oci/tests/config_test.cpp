// Parsing config.json, process.json, resources.json and seccomp profiles into the model.
#define BOOST_TEST_MODULE oci
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <string>

#include "oci/config.hpp"

namespace oci = nucleus::oci;

namespace {

// Every field of runtime-spec v1.3 for Linux, each with a non-default value.
const char* kFull = R"({
  "ociVersion": "1.3.0",
  "process": {
    "terminal": true, "consoleSize": {"height": 25, "width": 80},
    "user": {"uid": 1, "gid": 2, "umask": 18, "additionalGids": [5, 6], "username": "u"},
    "args": ["sh", "-c", "true"], "commandLine": "sh -c true", "env": ["PATH=/bin", "A=b=c"],
    "cwd": "/tmp",
    "capabilities": {"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL"],
                     "inheritable": ["CAP_NET_RAW"], "permitted": ["CAP_KILL"],
                     "ambient": ["CAP_SYS_NICE"]},
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 512},
                {"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 0}],
    "noNewPrivileges": true, "apparmorProfile": "prof", "oomScoreAdj": -5, "selinuxLabel": "lbl",
    "scheduler": {"policy": "SCHED_DEADLINE", "nice": -3, "priority": 7,
                  "flags": ["SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_DL_OVERRUN"],
                  "runtime": 10, "deadline": 20, "period": 30},
    "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4},
    "execCPUAffinity": {"initial": "0", "final": "0-1,7"}
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "h", "domainname": "d",
  "mounts": [{"destination": "/data", "type": "bind", "source": "/srv", "options": ["rbind", "ro"],
              "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 10}],
              "gidMappings": [{"containerID": 1, "hostID": 2000, "size": 20}]},
             {"destination": "/proc", "type": "proc", "source": "proc"}],
  "hooks": {"prestart": [{"path": "/bin/true", "args": ["true"], "env": ["X=1"], "timeout": 5}],
            "createRuntime": [{"path": "/hooks/cr"}],
            "createContainer": [{"path": "/hooks/cc"}],
            "startContainer": [{"path": "/hooks/sc"}, {"path": "/hooks/sc2"}],
            "poststart": [{"path": "/hooks/ps"}],
            "poststop": [{"path": "/bin/false"}]},
  "annotations": {"org.example": "yes", "b": ""},
  "linux": {
    "namespaces": [{"type": "pid"}, {"type": "network", "path": "/proc/1/ns/net"}, {"type": "uts"},
                   {"type": "mount"}, {"type": "user"}, {"type": "time"}, {"type": "ipc"},
                   {"type": "cgroup"}],
    "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
    "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 65535}],
    "timeOffsets": {"boottime": {"secs": 100, "nanosecs": 5},
                    "monotonic": {"secs": -7, "nanosecs": 999999999}},
    "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438,
                 "uid": 3, "gid": 4},
                {"path": "/dev/fifo", "type": "p"}],
    "cgroupsPath": "/a/b",
    "resources": {
      "devices": [{"allow": false, "access": "rwm"},
                  {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}],
      "memory": {"limit": 1048576, "reservation": 524288, "swap": 2097152, "kernel": -1,
                 "kernelTCP": 4096, "swappiness": 10, "disableOOMKiller": true,
                 "useHierarchy": false, "checkBeforeUpdate": true},
      "cpu": {"shares": 512, "quota": 50000, "burst": 1000, "period": 100000,
              "realtimeRuntime": 950, "realtimePeriod": 1000, "cpus": "0-1", "mems": "0",
              "idle": 1},
      "pids": {"limit": -1},
      "blockIO": {"weight": 500, "leafWeight": 300,
                  "weightDevice": [{"major": 8, "minor": 0, "weight": 600, "leafWeight": 10}],
                  "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 100}],
                  "throttleWriteBpsDevice": [{"major": 8, "minor": 1, "rate": 200}],
                  "throttleReadIOPSDevice": [{"major": 8, "minor": 2, "rate": 300}],
                  "throttleWriteIOPSDevice": [{"major": 8, "minor": 3, "rate": 400}]},
      "hugepageLimits": [{"pageSize": "2MB", "limit": 1024}, {"pageSize": "1GB", "limit": 0}],
      "network": {"classID": 7, "priorities": [{"name": "eth0", "priority": 3}]},
      "rdma": {"mlx": {"hcaHandles": 1, "hcaObjects": 2}},
      "unified": {"memory.high": "100000", "io.weight": "default 100"}
    },
    "seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
                "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
                "flags": ["SECCOMP_FILTER_FLAG_LOG"],
                "listenerPath": "/run/seccomp.sock", "listenerMetadata": "meta",
                "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
                             {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
                              "args": [{"index": 1, "value": 9, "valueTwo": 2,
                                        "op": "SCMP_CMP_MASKED_EQ"}]}]},
    "sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmax": "4096"},
    "rootfsPropagation": "rslave",
    "maskedPaths": ["/proc/kcore", "/sys/firmware"], "readonlyPaths": ["/proc/sys"],
    "mountLabel": "mlabel", "personality": {"domain": "LINUX32", "flags": ["F"]},
    "intelRdt": {"closID": "c", "l3CacheSchema": "L3:0=f", "memBwSchema": "MB:0=50",
                 "schemata": ["L2:0=3"], "enableCMT": true, "enableMBM": false,
                 "enableMonitoring": true},
    "memoryPolicy": {"mode": "MPOL_BIND", "nodes": "0-1", "flags": ["MPOL_F_STATIC_NODES"]},
    "netDevices": {"eth1": {"name": "net0"}, "eth2": {}}
  }
})";

std::string error_of(auto&& fn) {
  try {
    fn();
  } catch (const oci::ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

BOOST_AUTO_TEST_CASE(full_config_process) {
  oci::Config c = oci::parse_config(kFull);
  BOOST_TEST(c.oci_version == "1.3.0");
  BOOST_REQUIRE(c.process);
  const oci::Process& p = *c.process;
  BOOST_TEST(p.terminal);
  BOOST_TEST(p.console_size->height == 25u);
  BOOST_TEST(p.console_size->width == 80u);
  BOOST_TEST(p.user.uid == 1u);
  BOOST_TEST(p.user.gid == 2u);
  BOOST_TEST(*p.user.umask == 18u);
  BOOST_TEST((p.user.additional_gids == std::vector<uint32_t>{5, 6}));
  BOOST_TEST(p.user.username == "u");
  BOOST_TEST((p.args == std::vector<std::string>{"sh", "-c", "true"}));
  BOOST_TEST(p.command_line == "sh -c true");
  BOOST_TEST(p.env[1] == "A=b=c");
  BOOST_TEST(p.cwd == "/tmp");
  BOOST_TEST(p.capabilities->bounding.size() == 2u);
  BOOST_TEST(p.capabilities->effective[0] == "CAP_KILL");
  BOOST_TEST(p.capabilities->inheritable[0] == "CAP_NET_RAW");
  BOOST_TEST(p.capabilities->has_inheritable);
  BOOST_TEST(p.capabilities->permitted[0] == "CAP_KILL");
  BOOST_TEST(p.capabilities->ambient[0] == "CAP_SYS_NICE");
  BOOST_TEST(p.rlimits[0].type == "RLIMIT_NOFILE");
  BOOST_TEST(p.rlimits[0].hard == 1024u);
  BOOST_TEST(p.rlimits[0].soft == 512u);
  BOOST_TEST(p.rlimits[1].hard == UINT64_MAX);
  BOOST_TEST(p.no_new_privileges);
  BOOST_TEST(p.apparmor_profile == "prof");
  BOOST_TEST(*p.oom_score_adj == -5);
  BOOST_TEST(p.selinux_label == "lbl");
  BOOST_TEST(p.scheduler->policy == "SCHED_DEADLINE");
  BOOST_TEST(p.scheduler->nice == -3);
  BOOST_TEST(p.scheduler->priority == 7);
  BOOST_TEST(p.scheduler->flags.size() == 2u);
  BOOST_TEST(p.scheduler->runtime == 10u);
  BOOST_TEST(p.scheduler->deadline == 20u);
  BOOST_TEST(p.scheduler->period == 30u);
  BOOST_TEST(p.io_priority->io_class == "IOPRIO_CLASS_BE");
  BOOST_TEST(p.io_priority->priority == 4);
  BOOST_TEST(p.exec_cpu_affinity->initial == "0");
  BOOST_TEST(p.exec_cpu_affinity->final == "0-1,7");
}

BOOST_AUTO_TEST_CASE(full_config_top_level) {
  oci::Config c = oci::parse_config(kFull);
  BOOST_TEST(c.root->path == "rootfs");
  BOOST_TEST(c.root->readonly);
  BOOST_TEST(c.hostname == "h");
  BOOST_TEST(c.domainname == "d");
  BOOST_REQUIRE(c.mounts.size() == 2u);
  const oci::Mount& m = c.mounts[0];
  BOOST_TEST(m.destination == "/data");
  BOOST_TEST(m.type == "bind");
  BOOST_TEST(m.source == "/srv");
  BOOST_TEST((m.options == std::vector<std::string>{"rbind", "ro"}));
  BOOST_TEST(m.uid_mappings[0].host_id == 1000u);
  BOOST_TEST(m.uid_mappings[0].size == 10u);
  BOOST_TEST(m.gid_mappings[0].container_id == 1u);
  BOOST_TEST(m.gid_mappings[0].host_id == 2000u);
  BOOST_TEST(c.mounts[1].options.empty());
  const oci::Hooks& h = *c.hooks;
  BOOST_TEST(h.prestart[0].path == "/bin/true");
  BOOST_TEST(h.prestart[0].args[0] == "true");
  BOOST_TEST(h.prestart[0].env[0] == "X=1");
  BOOST_TEST(*h.prestart[0].timeout == 5);
  BOOST_TEST(h.create_runtime[0].path == "/hooks/cr");
  BOOST_TEST(!h.create_runtime[0].timeout.has_value());
  BOOST_TEST(h.create_container[0].path == "/hooks/cc");
  BOOST_TEST(h.start_container.size() == 2u);
  BOOST_TEST(h.poststart[0].path == "/hooks/ps");
  BOOST_TEST(h.poststop[0].path == "/bin/false");
  BOOST_TEST(c.annotations.size() == 2u);
  BOOST_TEST(c.annotations.at("org.example") == "yes");
  BOOST_TEST(c.annotations.at("b") == "");
}

BOOST_AUTO_TEST_CASE(full_config_linux) {
  oci::Config c = oci::parse_config(kFull);
  const oci::Linux& l = *c.linux;
  BOOST_TEST(l.namespaces.size() == 8u);
  BOOST_TEST(l.find_namespace("network")->path == "/proc/1/ns/net");
  BOOST_TEST(l.find_namespace("pid")->path == "");
  BOOST_TEST(l.find_namespace("foo") == nullptr);
  BOOST_TEST(l.uid_mappings[0].host_id == 100000u);
  BOOST_TEST(l.uid_mappings[0].size == 65536u);
  BOOST_TEST(l.gid_mappings[0].host_id == 200000u);
  BOOST_TEST(l.time_offsets.at("boottime").secs == 100);
  BOOST_TEST(l.time_offsets.at("boottime").nanosecs == 5u);
  BOOST_TEST(l.time_offsets.at("monotonic").secs == -7);
  BOOST_TEST(l.devices[0].path == "/dev/fuse");
  BOOST_TEST(l.devices[0].type == "c");
  BOOST_TEST(l.devices[0].major == 10);
  BOOST_TEST(l.devices[0].minor == 229);
  BOOST_TEST(*l.devices[0].file_mode == 438u);
  BOOST_TEST(*l.devices[0].uid == 3u);
  BOOST_TEST(*l.devices[0].gid == 4u);
  BOOST_TEST(!l.devices[1].file_mode.has_value());
  BOOST_TEST(*l.cgroups_path == "/a/b");
  const oci::Seccomp& s = *l.seccomp;
  BOOST_TEST(s.default_action == "SCMP_ACT_ERRNO");
  BOOST_TEST(*s.default_errno_ret == 38u);
  BOOST_TEST(s.architectures.size() == 2u);
  BOOST_TEST(s.flags[0] == "SECCOMP_FILTER_FLAG_LOG");
  BOOST_TEST(s.listener_path == "/run/seccomp.sock");
  BOOST_TEST(s.listener_metadata == "meta");
  BOOST_TEST(s.syscalls[0].names.size() == 2u);
  BOOST_TEST(!s.syscalls[0].errno_ret.has_value());
  BOOST_TEST(*s.syscalls[1].errno_ret == 1u);
  const oci::SeccompArg& a = s.syscalls[1].args[0];
  BOOST_TEST(a.index == 1u);
  BOOST_TEST(a.value == 9u);
  BOOST_TEST(a.value_two == 2u);
  BOOST_TEST(a.op == "SCMP_CMP_MASKED_EQ");
  BOOST_TEST(l.sysctl.at("net.ipv4.ip_forward") == "1");
  BOOST_TEST(l.sysctl.size() == 2u);
  BOOST_TEST(l.rootfs_propagation == "rslave");
  BOOST_TEST(l.masked_paths.size() == 2u);
  BOOST_TEST(l.readonly_paths[0] == "/proc/sys");
  BOOST_TEST(l.mount_label == "mlabel");
  BOOST_TEST(l.personality->domain == "LINUX32");
  BOOST_TEST(l.personality->flags[0] == "F");
  BOOST_TEST(l.intel_rdt->clos_id == "c");
  BOOST_TEST(l.intel_rdt->l3_cache_schema == "L3:0=f");
  BOOST_TEST(l.intel_rdt->mem_bw_schema == "MB:0=50");
  BOOST_TEST(l.intel_rdt->schemata[0] == "L2:0=3");
  BOOST_TEST(*l.intel_rdt->enable_cmt);
  BOOST_TEST(!*l.intel_rdt->enable_mbm);
  BOOST_TEST(*l.intel_rdt->enable_monitoring);
  BOOST_TEST(l.memory_policy->mode == "MPOL_BIND");
  BOOST_TEST(l.memory_policy->nodes == "0-1");
  BOOST_TEST(l.memory_policy->flags[0] == "MPOL_F_STATIC_NODES");
  BOOST_TEST(l.net_devices.at("eth1").name == "net0");
  BOOST_TEST(l.net_devices.at("eth2").name == "");
}

BOOST_AUTO_TEST_CASE(full_config_resources) {
  oci::Config c = oci::parse_config(kFull);
  const oci::Resources& r = *c.linux->resources;
  BOOST_TEST(r.devices.size() == 2u);
  BOOST_TEST(!r.devices[0].allow);
  BOOST_TEST(r.devices[0].type == "");
  BOOST_TEST(!r.devices[0].major.has_value());
  BOOST_TEST(r.devices[1].allow);
  BOOST_TEST(r.devices[1].type == "c");
  BOOST_TEST(*r.devices[1].major == 1);
  BOOST_TEST(*r.devices[1].minor == 3);
  BOOST_TEST(r.devices[1].access == "rw");
  const oci::MemoryResources& m = *r.memory;
  BOOST_TEST(*m.limit == 1048576);
  BOOST_TEST(*m.reservation == 524288);
  BOOST_TEST(*m.swap == 2097152);
  BOOST_TEST(*m.kernel == -1);
  BOOST_TEST(*m.kernel_tcp == 4096);
  BOOST_TEST(*m.swappiness == 10u);
  BOOST_TEST(*m.disable_oom_killer);
  BOOST_TEST(!*m.use_hierarchy);
  BOOST_TEST(*m.check_before_update);
  const oci::CPUResources& cpu = *r.cpu;
  BOOST_TEST(*cpu.shares == 512u);
  BOOST_TEST(*cpu.quota == 50000);
  BOOST_TEST(*cpu.burst == 1000u);
  BOOST_TEST(*cpu.period == 100000u);
  BOOST_TEST(*cpu.realtime_runtime == 950);
  BOOST_TEST(*cpu.realtime_period == 1000u);
  BOOST_TEST(cpu.cpus == "0-1");
  BOOST_TEST(cpu.mems == "0");
  BOOST_TEST(*cpu.idle == 1);
  BOOST_TEST(*r.pids->limit == -1);
  const oci::BlockIOResources& io = *r.block_io;
  BOOST_TEST(*io.weight == 500);
  BOOST_TEST(*io.leaf_weight == 300);
  BOOST_TEST(io.weight_device[0].major == 8);
  BOOST_TEST(*io.weight_device[0].weight == 600);
  BOOST_TEST(*io.weight_device[0].leaf_weight == 10);
  BOOST_TEST(io.throttle_read_bps_device[0].rate == 100u);
  BOOST_TEST(io.throttle_write_bps_device[0].minor == 1);
  BOOST_TEST(io.throttle_write_bps_device[0].rate == 200u);
  BOOST_TEST(io.throttle_read_iops_device[0].rate == 300u);
  BOOST_TEST(io.throttle_write_iops_device[0].rate == 400u);
  BOOST_TEST(r.hugepage_limits.size() == 2u);
  BOOST_TEST(r.hugepage_limits[0].page_size == "2MB");
  BOOST_TEST(r.hugepage_limits[0].limit == 1024u);
  BOOST_TEST(*r.network->class_id == 7u);
  BOOST_TEST(r.network->priorities[0].name == "eth0");
  BOOST_TEST(r.network->priorities[0].priority == 3u);
  BOOST_TEST(*r.rdma.at("mlx").hca_handles == 1u);
  BOOST_TEST(*r.rdma.at("mlx").hca_objects == 2u);
  BOOST_TEST(r.unified.at("io.weight") == "default 100");
}

// runc's devices.Permissions keeps r, w and m and ignores other letters (runc's update.bats runs
// a rule with "rwa"); a string with none of them is refused (it would otherwise read as "rwm")
BOOST_AUTO_TEST_CASE(device_rule_access_letters_as_runc) {
  oci::Config c = oci::parse_config(
      R"({"ociVersion": "1.2.0", "linux": {"resources": {"devices": [
          {"allow": false, "type": "c", "major": 1, "minor": 11, "access": "rwa"},
          {"allow": true, "access": "mmwr"}, {"allow": true}]}}})");
  const oci::Resources& r = *c.linux->resources;
  BOOST_TEST(r.devices[0].access == "rw");
  BOOST_TEST(r.devices[1].access == "mwr");
  BOOST_TEST(r.devices[2].access == "");
}

// Go's encoding/json (runc) matches a key to its field in any case: runc's own cgroups.bats
// writes hugepageLimits entries as {"pagesize": ..., "limit": ...}. Maps (annotations) keep
// their keys as written; the last of two spellings wins, as with a key given twice.
BOOST_AUTO_TEST_CASE(keys_match_their_field_in_any_case_as_go) {
  oci::Config c = oci::parse_config(
      R"({"ociVersion": "1.2.0", "Process": {"ARGS": ["/init"], "cwd": "/"},
          "annotations": {"Key": "v"},
          "linux": {"resources": {"hugepageLimits": [{"pagesize": "2MB", "limit": 1024}]},
                    "cgroupsPath": "/a", "cgroupspath": "/b"}})");
  BOOST_TEST(c.process->args.at(0) == "/init");
  BOOST_TEST(c.linux->resources->hugepage_limits.at(0).page_size == "2MB");
  BOOST_TEST(c.linux->cgroups_path.value_or("") == "/b");
  BOOST_TEST(c.annotations.count("Key") == 1u);
  BOOST_TEST(c.annotations.count("key") == 0u);
}

BOOST_AUTO_TEST_CASE(minimal_config) {
  oci::Config c = oci::parse_config(R"({"ociVersion": "1.0.0"})");
  BOOST_TEST(c.oci_version == "1.0.0");
  BOOST_TEST(!c.process.has_value());
  BOOST_TEST(!c.root.has_value());
  BOOST_TEST(c.mounts.empty());
  BOOST_TEST(!c.hooks.has_value());
  BOOST_TEST(c.annotations.empty());
  BOOST_TEST(!c.linux.has_value());

  oci::Config d = oci::parse_config(
      R"({"ociVersion":"1.2.0","process":{"args":["/init"],"cwd":"/"},"root":{"path":"/r"},
          "linux":{}})");
  BOOST_TEST(d.process->args[0] == "/init");
  BOOST_TEST(!d.process->terminal);
  BOOST_TEST(d.process->user.uid == 0u);
  BOOST_TEST(!d.process->capabilities.has_value());
  BOOST_TEST(!d.root->readonly);
  BOOST_TEST(d.linux->namespaces.empty());
  BOOST_TEST(!d.linux->resources.has_value());
  BOOST_TEST(!d.linux->cgroups_path.has_value());
}

BOOST_AUTO_TEST_CASE(every_1x_version_is_accepted) {
  for (const char* v :
       {"1.0.0", "1.0.2-dev", "1.1.0", "1.2.0-rc.1", "1.3.0", "1.9", "1.10.3", "1.0.0+build.5"}) {
    std::string json = std::string("{\"ociVersion\":\"") + v + "\"}";
    BOOST_CHECK_NO_THROW(oci::parse_config(json));
  }
  for (const char* v : {"0.9.0", "2.0.0", "1", "1.", "1.x", "v1.0.0", "", "10.0.0", "1.0.0.0"}) {
    std::string json = std::string("{\"ociVersion\":\"") + v + "\"}";
    BOOST_TEST(
        error_of([&] { oci::parse_config(json); }) ==
            std::string("config.json: ociVersion: unsupported version \"") + v + "\" (want 1.x)",
        v);
  }
  BOOST_TEST(error_of([] { oci::parse_config("{}"); }) == "config.json: ociVersion: required");
  BOOST_TEST(error_of([] { oci::parse_config(R"({"ociVersion":"2.0.0"})"); }) ==
             "config.json: ociVersion: unsupported version \"2.0.0\" (want 1.x)");
}

BOOST_AUTO_TEST_CASE(unknown_fields_and_nulls_are_ignored) {
  oci::Config c = oci::parse_config(R"({
    "ociVersion": "1.0.2-dev", "vm": {"hypervisor": {"path": "/x"}}, "windows": {}, "zzz": [1],
    "process": {"args": ["a"], "cwd": "/", "future": {"x": 1}, "user": {"uid": 3, "sid": "S"},
                "capabilities": {"bounding": ["CAP_KILL"], "extra": 1}, "apparmorProfile": null},
    "root": {"path": "r", "extra": true},
    "mounts": [{"destination": "/m", "extra": 1}],
    "hooks": {"prestart": [{"path": "/h", "extra": 2}], "newHook": [{"path": "rel"}]},
    "linux": {"namespaces": [{"type": "pid", "extra": 1}], "newThing": {"a": [1, 2, {}]},
              "resources": {"memory": {"limit": 5, "new": 1}, "newController": {}},
              "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "new": 1, "syscalls": null},
              "cgroupsPath": null}
  })");
  BOOST_TEST(c.process->user.uid == 3u);
  BOOST_TEST(c.process->apparmor_profile == "");
  BOOST_TEST(c.mounts[0].destination == "/m");
  BOOST_TEST(c.hooks->prestart.size() == 1u);
  BOOST_TEST(*c.linux->resources->memory->limit == 5);
  BOOST_TEST(c.linux->seccomp->syscalls.empty());
  BOOST_TEST(!c.linux->cgroups_path.has_value());
}

BOOST_AUTO_TEST_CASE(cpu_idle_accepts_int_and_bool) {
  auto idle = [](const char* v) {
    std::string j =
        std::string(R"({"ociVersion":"1.3.0","linux":{"resources":{"cpu":{"idle":)") + v + "}}}}";
    return *oci::parse_config(j).linux->resources->cpu->idle;
  };
  // kept as is: the kernel refuses values other than 0 and 1, as runc lets it
  BOOST_TEST(idle("1") == 1);
  BOOST_TEST(idle("-1") == -1);
  BOOST_TEST(idle("2") == 2);
  BOOST_TEST(idle("0") == 0);
  BOOST_TEST(idle("true") == 1);
  BOOST_TEST(idle("false") == 0);
}

BOOST_AUTO_TEST_CASE(process_json_errors_are_rooted_at_the_object) {
  oci::Process p = oci::parse_process(R"({"args":["ls"],"cwd":"/","terminal":true})", "p.json");
  BOOST_TEST(p.terminal);
  BOOST_TEST(p.args[0] == "ls");
  BOOST_TEST(error_of([] { oci::parse_process(R"({"args":[],"cwd":"/"})"); }) ==
             "process.json: args: must be a non-empty array of strings");
  BOOST_TEST(error_of([] { oci::parse_process(R"({"args":["x"],"cwd":"rel"})", "p.json"); }) ==
             "p.json: cwd: must be an absolute path");
  BOOST_TEST(error_of([] { oci::parse_process(R"({"args":["x"]})"); }) ==
             "process.json: cwd: required");
  BOOST_TEST(error_of([] {
               oci::parse_process(R"({"args":["x"],"cwd":"/","user":{"uid":-1}})");
             }) == "process.json: user.uid: must be an unsigned 32-bit integer");
  BOOST_TEST(error_of([] {
               oci::parse_process(
                   R"({"args":["x"],"cwd":"/","rlimits":[{"type":"RLIMIT_X","hard":1,"soft":1}]})");
             }) == "process.json: rlimits[0].type: unknown rlimit \"RLIMIT_X\"");
  BOOST_TEST(error_of([] { oci::parse_process("[]"); }) == "process.json: must be a JSON object");
}

// The text the init gets: linux.seccomp.syscalls cut out, everything else byte for byte.
BOOST_AUTO_TEST_CASE(the_init_text_leaves_out_the_seccomp_rules) {
  oci::Config full = oci::parse_config(kFull);
  std::string cut = oci::without_seccomp_rules(kFull, full);
  BOOST_TEST(cut.size() < std::string(kFull).size());
  BOOST_TEST(cut.find("\"syscalls\": []") != std::string::npos);
  oci::Config c = oci::parse_config(cut, "config.json", false);
  oci::Config all_but_rules = oci::parse_config(kFull, "config.json", false);
  BOOST_TEST(c.linux->seccomp->default_action == all_but_rules.linux->seccomp->default_action);
  BOOST_TEST(c.linux->seccomp->listener_metadata == "meta");
  BOOST_TEST(c.mounts.size() == all_but_rules.mounts.size());
  BOOST_TEST(c.process->args == all_but_rules.process->args);
  BOOST_TEST(c.annotations == all_but_rules.annotations);
  BOOST_TEST(oci::parse_config(cut).linux->seccomp->syscalls.empty());

  // Spaces around the brackets, an unknown "seccomp" elsewhere, nested arrays in the rules.
  const std::string spaced =
      R"({"ociVersion":"1.0.2","process":{"args":["x"],"cwd":"/","seccomp":{"syscalls":[1]}},)"
      R"("linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls" :  [ {"names":["a","b"],)"
      R"("action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]} ] ,)"
      R"("architectures":["SCMP_ARCH_X86_64"]}}})";
  std::string cut2 = oci::without_seccomp_rules(spaced, oci::parse_config(spaced));
  BOOST_TEST(
      cut2 ==
      R"({"ociVersion":"1.0.2","process":{"args":["x"],"cwd":"/","seccomp":{"syscalls":[1]}},)"
      R"("linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls" :  [] ,)"
      R"("architectures":["SCMP_ARCH_X86_64"]}}})");

  // A key given twice (the last one counts): the text is left whole.
  for (const std::string& twice :
       {std::string(R"({"ociVersion":"1.0.2","linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW",)"
                    R"("syscalls":[],"syscalls":[{"names":["a"],"action":"SCMP_ACT_ERRNO"}]}}})"),
        std::string(R"({"ociVersion":"1.0.2","linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW",)"
                    R"("syscalls":[{"names":["a"],"action":"SCMP_ACT_ERRNO"}]},)"
                    R"("seccomp":{"defaultAction":"SCMP_ACT_ALLOW"}}})"),
        std::string(R"({"ociVersion":"1.0.2","linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW",)"
                    R"("syscalls":[{"names":["a"],"action":"SCMP_ACT_ERRNO"}]}},"linux":{}})")})
    BOOST_TEST(oci::without_seccomp_rules(twice, oci::parse_config(twice)) == twice);
  // No seccomp, or rules that are not an array: nothing to cut.
  const std::string none = R"({"ociVersion":"1.0.2","linux":{}})";
  BOOST_TEST(oci::without_seccomp_rules(none, oci::parse_config(none)) == none);
}

// The init's second reading: everything but linux.seccomp.syscalls (it has the compiled filter).
BOOST_AUTO_TEST_CASE(parse_without_seccomp_rules) {
  oci::Config full = oci::parse_config(kFull);
  oci::Config c = oci::parse_config(kFull, "config.json", false);
  const oci::Seccomp& s = *c.linux->seccomp;
  BOOST_TEST(s.syscalls.empty());
  BOOST_TEST(s.source_key.empty());
  BOOST_TEST(!full.linux->seccomp->syscalls.empty());
  BOOST_TEST(!full.linux->seccomp->source_key.empty());
  BOOST_TEST(s.default_action == "SCMP_ACT_ERRNO");
  BOOST_TEST(s.listener_path == "/run/seccomp.sock");
  BOOST_TEST(s.listener_metadata == "meta");
  BOOST_TEST(c.mounts.size() == full.mounts.size());
  BOOST_TEST(c.process->args == full.process->args);
}

BOOST_AUTO_TEST_CASE(resources_and_seccomp_alone) {
  oci::Resources r = oci::parse_resources(R"({"memory":{"limit":100},"pids":{"limit":5}})");
  BOOST_TEST(*r.memory->limit == 100);
  BOOST_TEST(*r.pids->limit == 5);
  BOOST_TEST(error_of([] { oci::parse_resources(R"({"memory":{"limit":"1G"}})"); }) ==
             "resources.json: memory.limit: must be a 64-bit integer");
  BOOST_TEST(error_of([] { oci::parse_resources(R"({"cpu":{"shares":-2}})", "r.json"); }) ==
             "r.json: cpu.shares: must be an unsigned 64-bit integer");
  oci::Seccomp s = oci::parse_seccomp(
      R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_KILL"}]})");
  BOOST_TEST(s.syscalls[0].names[0] == "ptrace");
  BOOST_TEST(error_of([] {
               oci::parse_seccomp(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":{}})");
             }) == "seccomp.json: syscalls: must be an array");
  BOOST_TEST(
      error_of([] {
        oci::parse_seccomp(
            R"({"defaultAction":"A","syscalls":[{"names":["x"],"action":"B","args":[{"index":0,"op":1}]}]})");
      }) == "seccomp.json: syscalls[0].args[0].op: must be a string");
}

BOOST_AUTO_TEST_CASE(validate_checks_configs_built_in_code) {
  oci::Config c;
  c.oci_version = "1.3.0";
  BOOST_CHECK_NO_THROW(oci::validate(c));
  c.mounts.push_back(oci::Mount{"relative", "tmpfs", "tmpfs", {}, {}, {}});
  BOOST_CHECK_NO_THROW(oci::validate(c));  // relative to "/", as runc
  c.mounts[0].destination.clear();
  BOOST_TEST(error_of([&] { oci::validate(c, "built"); }) ==
             "built: mounts[0].destination: required");
  c.mounts[0].destination = std::string("/a\0b", 4);
  BOOST_TEST(error_of([&] { oci::validate(c); }) ==
             "config.json: mounts[0].destination: must not contain a NUL byte");
  c.mounts.clear();
  c.hooks = oci::Hooks{};
  c.hooks->poststop.push_back(oci::Hook{"/bin/true", {}, {}, 0});
  BOOST_TEST(error_of([&] { oci::validate(c); }) ==
             "config.json: hooks.poststop[0].timeout: must be greater than 0");
  c.hooks.reset();
  c.process = oci::Process{};
  c.process->args = {"sh"};
  c.process->cwd = "/";
  c.process->capabilities = oci::Capabilities{};
  // Unknown capability names are no error (runtime-spec: a warning; the init logs it).
  c.process->capabilities->ambient = {"SYS_ADMIN", "cap_chown", "CAP_DOES_NOT_EXIST"};
  BOOST_CHECK_NO_THROW(oci::validate(c));
  c.process->capabilities.reset();
  c.linux = oci::Linux{};
  c.linux->namespaces = {{"user", ""}, {"uts", ""}};
  c.linux->uid_mappings = {{0, 1000, 1}};
  c.hostname = "ok";
  BOOST_CHECK_NO_THROW(oci::validate(c));
  c.linux->namespaces[0].path = "/proc/1/ns/user";
  BOOST_TEST(error_of([&] { oci::validate(c); }) ==
             "config.json: linux.uidMappings: must not be set when joining an existing user "
             "namespace");
  c.linux->uid_mappings.clear();
  c.linux->namespaces.push_back({"net", ""});
  BOOST_TEST(error_of([&] { oci::validate(c); }) ==
             "config.json: linux.namespaces[2].type: unknown namespace \"net\"");
}

BOOST_AUTO_TEST_CASE(a_repeated_key_takes_its_last_value_as_in_go) {
  oci::Config c = oci::parse_config(
      R"({"ociVersion":"1.3.0","hostname":"first","hostname":"last",
          "linux":{"namespaces":[{"type":"uts"}]}})");
  BOOST_TEST(c.hostname == "last");
  BOOST_TEST(error_of([] {
               oci::parse_config(R"({"ociVersion":"1.3.0","ociVersion":"2.0.0"})");
             }) == "config.json: ociVersion: unsupported version \"2.0.0\" (want 1.x)");
}
