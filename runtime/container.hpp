// The container lifecycle as the CLI sees it: create, start, state, kill, delete.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "oci/config.hpp"
#include "oci/state.hpp"
#include "runtime/store.hpp"

namespace nucleus {

// Compiled seccomp filters, keyed by the exact profile (seccomp/cache.hpp): on tmpfs, shared by
// every --root, cleared at boot.
inline constexpr const char* kSeccompCacheDir = "/run/nucleus-oci-cache/seccomp";

struct GlobalOptions {
  std::string root = "/run/nucleus-oci";
  std::string log;
  std::string log_format = "text";
  bool debug = false;
  bool systemd_cgroup = false;
  std::string rootless = "auto";
};

struct CreateOptions {
  std::string id;
  std::string bundle;  // absolute
  std::string pid_file;
  std::string console_socket;
  int console_fd = -1;       // an already connected console socket (run's own tty proxy)
  std::string pidfd_socket;  // --pidfd-socket: the init sends a pidfd of itself there
  bool no_pivot = false;
  bool no_new_keyring = false;
  int preserve_fds = 0;
  std::string seccomp_trace;       // --seccomp-trace FILE (absolute); the annotation also works
  std::string seccomp_trace_mode;  // --seccomp-trace-mode auto|notify|ebpf; "" = annotation/auto
  // config.json, already read and parsed by the caller (run); create takes the parsed config.
  struct Loaded {
    std::string text;
    oci::Config parsed;
  };
  std::optional<Loaded> config;
};

// Creates the container; returns the init's pid (a child of the calling process). On failure
// nothing is left behind: no state dir, cgroup, mount or process.
pid_t create_container(const GlobalOptions& g, const CreateOptions& o);
// When the config joins an existing pid namespace or makes a user namespace, re-execs this
// runtime from the sealed view of its binary (before anything else is done) and returns true
// once it runs from it; else false (the init then execs the sealed view itself).
// run calls it before it sets up its tty and signals; create_container calls it again (a no-op).
bool seal_runtime_if_needed(const GlobalOptions& g, const oci::Config& cfg);
// Releases the init to exec the workload; runs poststart hooks. Throws if the workload could
// not be started (startContainer hook failure, exec failure).
void start_container(const GlobalOptions& g, const std::string& id);
oci::State container_state(const GlobalOptions& g, const std::string& id);
void kill_container(const GlobalOptions& g, const std::string& id, int signal, bool all);
// force: kill a running container first; a missing container is then not an error.
void delete_container(const GlobalOptions& g, const std::string& id, bool force);

// Parses "TERM", "SIGTERM", "15" into a signal number; throws on anything else.
int parse_signal(const std::string& s);

}  // namespace nucleus

namespace nucleus {
void pause_container(const GlobalOptions& g, const std::string& id);
void resume_container(const GlobalOptions& g, const std::string& id);
std::vector<pid_t> container_pids(const GlobalOptions& g, const std::string& id);
std::vector<oci::State> list_containers(const GlobalOptions& g);
}  // namespace nucleus

namespace nucleus {
// update: applies resources to a running (or created/paused) container's cgroup.
void update_container(const GlobalOptions& g, const std::string& id, const oci::Resources& r);
}  // namespace nucleus

#include "cgroups/manager.hpp"

namespace nucleus {
struct ContainerStats {
  cgroups::Stats stats;
  uint64_t oom_kills = 0;
  std::string status;
};
ContainerStats container_stats(const GlobalOptions& g, const std::string& id);
}  // namespace nucleus

namespace nucleus {
// Shared by create and restore (runtime/checkpoint.cpp).
// The bundle's root.path made absolute and resolved; "rootfs (P) does not exist" when missing.
std::string resolve_rootfs(const std::string& bundle, const std::string& path);
// The config's device rules plus the ones every container gets (runc's AllowedDevices).
oci::Resources with_default_devices(const std::optional<oci::Resources>& in);
// The host's cgroup hierarchies, detected once.
cgroups::Layout& host_layout();
}  // namespace nucleus
