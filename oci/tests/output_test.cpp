// JSON the runtime writes: `state`, hooks' stdin, `features`, `spec`.
#include <rapidjson/document.h>

#include <boost/test/unit_test.hpp>

#include <string>

#include "oci/config.hpp"
#include "oci/default_spec.hpp"
#include "oci/features.hpp"
#include "oci/json_text.hpp"
#include "oci/state.hpp"

namespace oci = nucleus::oci;

namespace {

oci::State sample_state() {
  oci::State s;
  s.id = "c1";
  s.status = "running";
  s.pid = 42;
  s.bundle = "/b";
  s.rootfs = "/b/rootfs";
  s.created = "2026-01-01T00:00:00.000000001Z";
  return s;
}

}  // namespace

// json_quote's text is what a JSON parser reads back as the same string
BOOST_AUTO_TEST_CASE(json_quote_round_trips) {
  const std::string in = std::string("a\"b\\c\n\t\x01/\xc3\xa9 end");
  std::string q = oci::json_quote(in);
  BOOST_TEST(q == "\"a\\\"b\\\\c\\u000a\\u0009\\u0001/\xc3\xa9 end\"");
  rapidjson::Document d;
  d.Parse(q.c_str());
  BOOST_TEST_REQUIRE(d.IsString());
  BOOST_TEST(std::string(d.GetString(), d.GetStringLength()) == in);
}

BOOST_AUTO_TEST_CASE(state_cli_json_is_runc_format) {
  oci::State s = sample_state();
  BOOST_TEST(oci::state_to_cli_json(s) ==
             "{\n"
             "  \"ociVersion\": \"1.3.0\",\n"
             "  \"id\": \"c1\",\n"
             "  \"pid\": 42,\n"
             "  \"status\": \"running\",\n"
             "  \"bundle\": \"/b\",\n"
             "  \"rootfs\": \"/b/rootfs\",\n"
             "  \"created\": \"2026-01-01T00:00:00.000000001Z\",\n"
             "  \"owner\": \"\"\n"
             "}\n");
  // runc's containerState declares annotations (omitempty) between created and owner.
  s.annotations = {{"b", "2"}, {"a", "1"}};
  s.owner = "alice";
  s.pid = 0;
  s.status = "stopped";
  BOOST_TEST(oci::state_to_cli_json(s) ==
             "{\n"
             "  \"ociVersion\": \"1.3.0\",\n"
             "  \"id\": \"c1\",\n"
             "  \"pid\": 0,\n"
             "  \"status\": \"stopped\",\n"
             "  \"bundle\": \"/b\",\n"
             "  \"rootfs\": \"/b/rootfs\",\n"
             "  \"created\": \"2026-01-01T00:00:00.000000001Z\",\n"
             "  \"annotations\": {\n"
             "    \"a\": \"1\",\n"
             "    \"b\": \"2\"\n"
             "  },\n"
             "  \"owner\": \"alice\"\n"
             "}\n");
}

BOOST_AUTO_TEST_CASE(state_round_trips) {
  oci::State s = sample_state();
  s.owner = "bob";
  s.annotations = {{"k", "v\"q"}};
  oci::State back = oci::parse_state(oci::state_to_cli_json(s));
  BOOST_TEST(back.oci_version == "1.3.0");
  BOOST_TEST(back.id == "c1");
  BOOST_TEST(back.pid == 42);
  BOOST_TEST(back.status == "running");
  BOOST_TEST(back.bundle == "/b");
  BOOST_TEST(back.rootfs == "/b/rootfs");
  BOOST_TEST(back.created == s.created);
  BOOST_TEST(back.owner == "bob");
  BOOST_TEST(back.annotations.at("k") == "v\"q");
  BOOST_CHECK_THROW(oci::parse_state("{"), oci::ConfigError);
  BOOST_CHECK_THROW(oci::parse_state("[]"), oci::ConfigError);
}

BOOST_AUTO_TEST_CASE(state_hook_json_is_compact_spec_state) {
  oci::State s = sample_state();
  BOOST_TEST(oci::state_to_hook_json(s) ==
             R"({"ociVersion":"1.3.0","id":"c1","status":"running","pid":42,"bundle":"/b"})");
  s.pid = 0;
  s.status = "stopped";
  s.annotations = {{"x", "y"}};
  BOOST_TEST(oci::state_to_hook_json(s) ==
             R"({"ociVersion":"1.3.0","id":"c1","status":"stopped","bundle":"/b",)"
             R"("annotations":{"x":"y"}})");
}

BOOST_AUTO_TEST_CASE(features_json_has_the_spec_keys) {
  oci::Features f;
  f.oci_version_max = "1.3.0";
  f.hooks = {"prestart", "createRuntime"};
  f.mount_options = {"ro", "rbind"};
  f.linux.namespaces = {"pid", "user"};
  f.linux.capabilities = {"CAP_KILL"};
  f.linux.cgroup.v2 = true;
  f.linux.seccomp.enabled = true;
  f.linux.seccomp.actions = {"SCMP_ACT_ALLOW"};
  f.linux.seccomp.supported_flags = {"SECCOMP_FILTER_FLAG_LOG"};
  f.linux.intel_rdt = true;
  f.linux.intel_rdt_schemata = true;
  f.linux.idmap = true;
  f.linux.memory_policy_modes = {"MPOL_BIND"};
  f.annotations = {{"org.opencontainers.runc.version", "nucleus"}};
  f.potentially_unsafe_config_annotations = {"bundle"};
  std::string j = oci::features_to_json(f);
  BOOST_TEST(j.rfind("{\n  \"ociVersionMin\": \"1.0.0\",\n  \"ociVersionMax\": \"1.3.0\",", 0) ==
             0u);
  rapidjson::Document d;
  d.Parse(j.c_str());
  BOOST_REQUIRE(!d.HasParseError());
  BOOST_TEST(d["hooks"][1].GetString() == std::string("createRuntime"));
  BOOST_TEST(d["mountOptions"].Size() == 2u);
  const auto& l = d["linux"];
  BOOST_TEST(l["namespaces"].Size() == 2u);
  BOOST_TEST(l["capabilities"][0].GetString() == std::string("CAP_KILL"));
  for (const char* k : {"v1", "v2", "systemd", "systemdUser", "rdma"})
    BOOST_TEST(l["cgroup"][k].IsBool(), k);
  BOOST_TEST(l["cgroup"]["v2"].GetBool());
  BOOST_TEST(l["seccomp"]["enabled"].GetBool());
  for (const char* k : {"actions", "operators", "archs", "knownFlags", "supportedFlags"})
    BOOST_TEST(l["seccomp"][k].IsArray(), k);
  BOOST_TEST(!l["apparmor"]["enabled"].GetBool());
  BOOST_TEST(!l["selinux"]["enabled"].GetBool());
  BOOST_TEST(l["intelRdt"]["enabled"].GetBool());
  BOOST_TEST(l["intelRdt"]["schemata"].GetBool());
  BOOST_TEST(l["mountExtensions"]["idmap"]["enabled"].GetBool());
  BOOST_TEST(l["memoryPolicy"]["modes"][0].GetString() == std::string("MPOL_BIND"));
  BOOST_TEST(l["memoryPolicy"]["flags"].IsArray());
  BOOST_TEST(!l["netDevices"]["enabled"].GetBool());
  BOOST_TEST(d["annotations"]["org.opencontainers.runc.version"].GetString() ==
             std::string("nucleus"));
  BOOST_TEST(d["potentiallyUnsafeConfigAnnotations"][0].GetString() == std::string("bundle"));
}

BOOST_AUTO_TEST_CASE(default_spec_is_runc_spec) {
  std::string j = oci::default_spec_json(false);
  BOOST_TEST(j.rfind("{\n\t\"ociVersion\": \"1.3.0\",\n\t\"process\": {\n\t\t\"terminal\": true,\n"
                     "\t\t\"user\": {\n\t\t\t\"uid\": 0,\n\t\t\t\"gid\": 0\n\t\t},\n"
                     "\t\t\"args\": [\n\t\t\t\"sh\"\n\t\t],\n",
                     0) == 0u);
  BOOST_TEST(j.back() == '}');  // runc writes no trailing newline
  oci::Config c = oci::parse_config(j);
  const oci::Process& p = *c.process;
  BOOST_TEST(p.terminal);
  BOOST_TEST(p.cwd == "/");
  BOOST_TEST(p.env.size() == 2u);
  std::vector<std::string> caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  BOOST_TEST(p.capabilities->bounding == caps);
  BOOST_TEST(p.capabilities->effective == caps);
  BOOST_TEST(p.capabilities->permitted == caps);
  BOOST_TEST(p.capabilities->inheritable.empty());
  BOOST_TEST(!p.capabilities->has_inheritable);  // runc's spec has no inheritable set
  BOOST_TEST(p.capabilities->ambient.empty());
  BOOST_TEST(p.rlimits.size() == 1u);
  BOOST_TEST(p.rlimits[0].type == "RLIMIT_NOFILE");
  BOOST_TEST(p.rlimits[0].soft == 1024u);
  BOOST_TEST(p.rlimits[0].hard == 1024u);
  BOOST_TEST(p.no_new_privileges);
  BOOST_TEST(c.root->path == "rootfs");
  BOOST_TEST(c.root->readonly);
  BOOST_TEST(c.hostname == "nucleus");
  std::vector<std::string> dests;
  for (const auto& m : c.mounts) dests.push_back(m.destination);
  BOOST_TEST((dests == std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/dev/shm",
                                                "/dev/mqueue", "/sys", "/sys/fs/cgroup"}));
  BOOST_TEST(c.mounts[2].options.back() == "gid=5");
  const oci::Linux& l = *c.linux;
  std::vector<std::string> ns;
  for (const auto& n : l.namespaces) ns.push_back(n.type);
  BOOST_TEST((ns == std::vector<std::string>{"pid", "network", "ipc", "uts", "mount"}));
  // runc's Example() adds a cgroup namespace on cgroup2-only hosts.
  oci::Config unified = oci::parse_config(oci::default_spec_json(false, 0, 0, true));
  BOOST_TEST(unified.linux->namespaces.back().type == "cgroup");
  BOOST_TEST(unified.linux->namespaces.size() == 6u);
  BOOST_TEST(l.masked_paths.size() == 10u);
  BOOST_TEST(l.readonly_paths.size() == 5u);
  BOOST_TEST(l.resources->devices.size() == 1u);
  BOOST_TEST(!l.resources->devices[0].allow);
  BOOST_TEST(l.resources->devices[0].access == "rwm");
  BOOST_TEST(l.uid_mappings.empty());
}

BOOST_AUTO_TEST_CASE(rootless_default_spec_is_runc_to_rootless) {
  std::string j = oci::default_spec_json(true, 1000, 1001);
  BOOST_TEST(j.find("\t\"linux\": {\n\t\t\"uidMappings\": [\n\t\t\t{\n\t\t\t\t\"containerID\": 0,"
                    "\n\t\t\t\t\"hostID\": 1000,\n\t\t\t\t\"size\": 1\n") != std::string::npos);
  oci::Config c = oci::parse_config(j);
  const oci::Linux& l = *c.linux;
  std::vector<std::string> ns;
  for (const auto& n : l.namespaces) ns.push_back(n.type);
  BOOST_TEST((ns == std::vector<std::string>{"pid", "ipc", "uts", "mount", "user"}));
  BOOST_TEST(l.uid_mappings[0].host_id == 1000u);
  BOOST_TEST(l.gid_mappings[0].host_id == 1001u);
  BOOST_TEST(l.gid_mappings[0].size == 1u);
  BOOST_TEST(!l.resources.has_value());
  BOOST_TEST(l.masked_paths.size() == 10u);
  BOOST_TEST(c.mounts[2].destination == "/dev/pts");
  BOOST_TEST((c.mounts[2].options == std::vector<std::string>{"nosuid", "noexec", "newinstance",
                                                              "ptmxmode=0666", "mode=0620"}));
  BOOST_TEST(c.mounts[5].destination == "/sys");
  BOOST_TEST(c.mounts[5].type == "none");
  BOOST_TEST(c.mounts[5].source == "/sys");
  BOOST_TEST((c.mounts[5].options ==
              std::vector<std::string>{"rbind", "nosuid", "noexec", "nodev", "ro"}));
  BOOST_TEST(c.mounts[0].options.empty());
}
