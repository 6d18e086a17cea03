// checkpoint and restore with CRIU, as runc 1.3.6 does them (libcontainer/criu_linux.go): CRIU's
// RPC service (`criu swrk`, runtime/criu_rpc.hpp), the same options, external mounts, namespaces,
// cgroup and descriptors.json.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/container.hpp"

namespace nucleus {

struct CriuOptions {
  std::string image_path;   // absolute; created when missing
  std::string work_path;    // absolute or empty (CRIU's default: the image directory)
  std::string parent_path;  // relative to image_path (pre-dump chains)
  bool leave_running = false;
  bool tcp_established = false;
  bool tcp_skip_in_flight = false;
  bool link_remap = false;
  bool ext_unix_sk = false;
  bool shell_job = false;
  bool lazy_pages = false;
  int status_fd = -1;
  std::string page_server_address;
  int page_server_port = 0;
  bool file_locks = false;
  bool pre_dump = false;
  std::string manage_cgroups_mode;  // "", soft, full, strict, ignore
  uint32_t empty_ns = 0;            // CLONE_NEW* mask; runc always adds CLONE_NEWNET
  bool auto_dedup = false;
  std::string lsm_profile;  // restore only
  std::string lsm_mount_context;
};

struct RestoreOptions {
  std::string id;
  std::string bundle;  // absolute
  std::string pid_file;
  std::string console_socket;
  bool detach = false;
  bool no_subreaper = false;
  bool no_pivot = false;
  CriuOptions criu;
};

// Dumps the running (or paused) container into opts.image_path. Without leave_running or
// pre_dump the container is deleted afterwards (CRIU killed its processes). On failure the
// container keeps running.
void checkpoint_container(const GlobalOptions& g, const std::string& id, const CriuOptions& opts);
// Restores a container from its images into a new container ID; returns the exit status to exit
// with (0 with detach, else the container's own once it has exited).
int restore_container(const GlobalOptions& g, const RestoreOptions& opts);
// What `features` says about checkpoint/restore: "criu VERSION (criu swrk)" or why not.
std::string checkpoint_support();

}  // namespace nucleus
