// The runtime-spec (v1.3) model of config.json for Linux: typed structs, parsing and validation.
// Pure data: nothing here makes a system call. Field names follow the spec's JSON names in
// snake_case; every optional JSON value is std::optional (or an empty container).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace nucleus::oci {

// Raised for any bad input; what() is the full user-facing text, always naming the file and the
// JSON path: "config.json: process.args: must be a non-empty array of strings".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct IDMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
  std::string username;  // windows only in the spec; kept for completeness
};

struct Capabilities {  // names as in the spec: "CAP_CHOWN"
  std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
  // "inheritable" was given (even empty): runc's exec --cap adds ambient capabilities only then.
  bool has_inheritable = false;
};

struct Rlimit {
  std::string type;  // "RLIMIT_NOFILE"
  uint64_t hard = 0;
  uint64_t soft = 0;
};

struct ConsoleSize {
  uint32_t height = 0;
  uint32_t width = 0;
};

struct Scheduler {
  std::string policy;  // SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_ISO, SCHED_IDLE,
                       // SCHED_DEADLINE
  int32_t nice = 0;
  int32_t priority = 0;
  std::vector<std::string> flags;  // SCHED_FLAG_*
  uint64_t runtime = 0, deadline = 0, period = 0;
};

struct IOPriority {
  std::string io_class;  // IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE
  int32_t priority = 0;
};

struct ExecCPUAffinity {
  std::string initial;  // cpu list, "0-3,7"
  std::string final;
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size;
  User user;
  std::vector<std::string> args;
  std::string command_line;  // windows only
  std::vector<std::string> env;
  std::string cwd;
  std::optional<Capabilities> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::string apparmor_profile;
  std::optional<int32_t> oom_score_adj;
  std::string selinux_label;
  std::optional<Scheduler> scheduler;
  std::optional<IOPriority> io_priority;
  std::optional<ExecCPUAffinity> exec_cpu_affinity;
};

struct Root {
  std::string path;
  bool readonly = false;
};

struct Mount {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;
  std::vector<IDMapping> uid_mappings, gid_mappings;
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int32_t> timeout;  // seconds, > 0
};

struct Hooks {
  std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart,
      poststop;
  // prestart or createRuntime: hooks the runtime runs while the init waits, mounts done.
  bool runtime_side() const { return !prestart.empty() || !create_runtime.empty(); }
};

struct Namespace {
  std::string type;  // pid network mount ipc uts user cgroup time
  std::string path;  // join this namespace when set
};

struct TimeOffset {
  int64_t secs = 0;
  uint32_t nanosecs = 0;
};

struct Device {
  std::string path;
  std::string type;  // c, u, b, p
  int64_t major = 0, minor = 0;
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> uid, gid;
};

struct DeviceCgroupRule {
  bool allow = false;
  std::string type;  // a, c, b; empty = a
  std::optional<int64_t> major, minor;
  std::string access;  // any of rwm; empty = rwm
};

struct MemoryResources {
  std::optional<int64_t> limit, reservation, swap, kernel, kernel_tcp;
  std::optional<uint64_t> swappiness;
  std::optional<bool> disable_oom_killer, use_hierarchy, check_before_update;
};

struct CPUResources {
  std::optional<uint64_t> shares;
  std::optional<int64_t> quota;
  std::optional<uint64_t> burst;
  std::optional<uint64_t> period;
  std::optional<int64_t> realtime_runtime;
  std::optional<uint64_t> realtime_period;
  std::string cpus, mems;
  std::optional<int64_t> idle;  // cpu.idle as is (the kernel takes 0 or 1); JSON true/false = 1/0
};

struct PidsResources {
  std::optional<int64_t> limit;  // <= 0 means unlimited ("max")
};

struct WeightDevice {
  int64_t major = 0, minor = 0;
  std::optional<uint16_t> weight, leaf_weight;
};

struct ThrottleDevice {
  int64_t major = 0, minor = 0;
  uint64_t rate = 0;
};

struct BlockIOResources {
  std::optional<uint16_t> weight, leaf_weight;
  std::vector<WeightDevice> weight_device;
  std::vector<ThrottleDevice> throttle_read_bps_device, throttle_write_bps_device,
      throttle_read_iops_device, throttle_write_iops_device;
};

struct HugepageLimit {
  std::string page_size;  // "2MB", "1GB"
  uint64_t limit = 0;
};

struct NetworkPriority {
  std::string name;
  uint32_t priority = 0;
};

struct NetworkResources {
  std::optional<uint32_t> class_id;
  std::vector<NetworkPriority> priorities;
};

struct RdmaLimit {
  std::optional<uint32_t> hca_handles, hca_objects;
};

struct Resources {
  std::vector<DeviceCgroupRule> devices;
  std::optional<MemoryResources> memory;
  std::optional<CPUResources> cpu;
  std::optional<PidsResources> pids;
  std::optional<BlockIOResources> block_io;
  std::vector<HugepageLimit> hugepage_limits;
  std::optional<NetworkResources> network;
  std::map<std::string, RdmaLimit> rdma;
  std::map<std::string, std::string> unified;
};

struct SeccompArg {
  uint32_t index = 0;
  uint64_t value = 0;
  uint64_t value_two = 0;
  std::string op;  // SCMP_CMP_NE, _LT, _LE, _EQ, _GE, _GT, _MASKED_EQ
};

struct SeccompSyscall {
  std::vector<std::string> names;
  std::string action;  // SCMP_ACT_*
  std::optional<uint32_t> errno_ret;
  std::vector<SeccompArg> args;
};

struct Seccomp {
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // SCMP_ARCH_*
  std::vector<std::string> flags;          // SECCOMP_FILTER_FLAG_*
  std::string listener_path;
  std::string listener_metadata;
  std::vector<SeccompSyscall> syscalls;
  // The object exactly as the document had it, in an injective binary encoding (type tags,
  // lengths; whitespace gone; empty for one built in code): the key of the compiled-filter
  // cache (seccomp/cache.hpp).
  std::string source_key;
  // Where linux.seccomp.syscalls is in the parsed text, [begin, end) (0, 0 when unknown, or when
  // the path appears more than once): the init gets the text without it, as it has the
  // compiled filter (oci::without_seccomp_rules).
  size_t syscalls_begin = 0, syscalls_end = 0;
};

struct Personality {
  std::string domain;  // LINUX, LINUX32
  std::vector<std::string> flags;
};

struct IntelRdt {
  std::string clos_id, l3_cache_schema, mem_bw_schema;
  std::vector<std::string> schemata;
  std::optional<bool> enable_cmt, enable_mbm;
  std::optional<bool> enable_monitoring;  // v1.3 "enableMonitoring"
};

struct MemoryPolicy {
  std::string mode;   // MPOL_*
  std::string nodes;  // "0-3,7"
  std::vector<std::string> flags;
};

struct NetDevice {
  std::string name;  // name inside the container; empty = keep
};

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<IDMapping> uid_mappings, gid_mappings;
  std::map<std::string, TimeOffset> time_offsets;  // "monotonic", "boottime"
  std::vector<Device> devices;
  std::optional<std::string> cgroups_path;
  std::optional<Resources> resources;
  std::optional<Seccomp> seccomp;
  std::map<std::string, std::string> sysctl;
  std::string rootfs_propagation;  // shared, slave, private, unbindable (r* forms too)
  std::vector<std::string> masked_paths, readonly_paths;
  std::string mount_label;
  std::optional<Personality> personality;
  std::optional<IntelRdt> intel_rdt;
  std::optional<MemoryPolicy> memory_policy;
  std::map<std::string, NetDevice> net_devices;

  // The namespace entry of this type, or nullptr.
  const Namespace* find_namespace(std::string_view type) const;
};

struct Config {
  std::string oci_version;
  std::optional<Process> process;
  std::optional<Root> root;
  std::string hostname;
  std::string domainname;
  std::vector<Mount> mounts;
  std::optional<Hooks> hooks;
  std::map<std::string, std::string> annotations;
  std::optional<Linux> linux;
};

// Parses and validates config.json text. `source` names the file in error messages
// ("config.json"). Unknown fields are ignored; any ociVersion 1.x is accepted. With
// seccomp_rules false, linux.seccomp.syscalls is neither read nor checked (and source_key stays
// empty): for a text already parsed in full, by a reader that has the compiled filter.
Config parse_config(std::string_view json, std::string_view source = "config.json",
                    bool seccomp_rules = true);

// The text of a config parsed by parse_config (seccomp_rules true) with linux.seccomp.syscalls
// replaced by [] (the text unchanged when the range is unknown): what a reader that has the
// compiled filter needs, a fifth of a Docker-like config.
std::string without_seccomp_rules(std::string_view json, const Config& parsed);

// A runtime-spec Process object alone (exec --process FILE).
Process parse_process(std::string_view json, std::string_view source = "process.json");

// A LinuxResources object alone (update --resources FILE).
Resources parse_resources(std::string_view json, std::string_view source = "resources.json");

// A linux.seccomp object alone (a generated profile file).
Seccomp parse_seccomp(std::string_view json, std::string_view source = "seccomp.json");

// Semantic checks that need the whole config (done by parse_config already; exposed for
// configs built in code): absolute paths, known namespaces, mapping rules, etc.
void validate(const Config& config, std::string_view source = "config.json");

}  // namespace nucleus::oci
