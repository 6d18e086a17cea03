// `features`: runtime-spec features.md JSON from what this build and this host really support.
#include <sys/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>

#include "cgroups/manager.hpp"
#include "oci/features.hpp"
#include "oci/landlock.hpp"
#include "oci/state.hpp"
#include "runtime/checkpoint.hpp"
#include "runtime/cli/args.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/init/landlock.hpp"
#include "runtime/init/mount_options.hpp"
#include "runtime/tracer.hpp"
#include "seccomp/info.hpp"
#include "util/fs.hpp"

namespace po = boost::program_options;

namespace nucleus::cli {

int cmd_features(const GlobalOptions& g, const Args& args) {
  po::options_description d("features options");
  Parsed p = parse(args, d, false);
  require_args(p, 0, "features");
  oci::Features f;
  f.oci_version_max = oci::kSpecVersion;
  f.hooks = {"prestart",       "createRuntime", "createContainer",
             "startContainer", "poststart",     "poststop"};
  f.mount_options = init::known_mount_options();
  f.linux.namespaces = {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"};
  for (cap_value_t c = 0; c < static_cast<cap_value_t>(cap_max_bits()); ++c) {
    char* name = cap_to_name(c);
    std::string n = name;
    cap_free(name);
    for (char& ch : n) ch = static_cast<char>(toupper(static_cast<unsigned char>(ch)));
    f.linux.capabilities.push_back(n);
  }
  // The systemd driver is built in (as runc reports it: whether or not this host runs systemd),
  // also with a rootless caller's own manager over its session bus
  // (conformance/systemd/rootless.bats).
  f.linux.cgroup.systemd = true;
  f.linux.cgroup.systemd_user = true;
  try {
    cgroups::Layout l = cgroups::Layout::detect();
    f.linux.cgroup.v1 = !l.v1.empty();
    f.linux.cgroup.v2 = !l.v2.empty();
    f.linux.cgroup.rdma =
        l.v1.count("rdma") || std::find(l.v2_controllers.begin(), l.v2_controllers.end(), "rdma") !=
                                  l.v2_controllers.end();
  } catch (const std::exception&) {
  }
  f.linux.seccomp.enabled = true;
  f.linux.seccomp.actions = seccomp::supported_actions();
  f.linux.seccomp.operators = seccomp::supported_operators();
  f.linux.seccomp.archs = seccomp::supported_archs();
  f.linux.seccomp.known_flags = seccomp::known_flags();
  f.linux.seccomp.supported_flags = seccomp::supported_flags();
  f.linux.apparmor = path_exists("/sys/kernel/security/apparmor");
  f.linux.selinux = path_exists("/sys/fs/selinux/enforce");
  // mount_setattr exists (EBADF for a bad fd) where idmapped mounts can be made.
  f.linux.idmap = ::syscall(SYS_mount_setattr, -1, "", 0, nullptr, 0) < 0 && errno != ENOSYS;
  f.annotations["io.github.seccomp.libseccomp.version"] = seccomp::libseccomp_version();
  f.annotations["org.nucleus.version"] = NUCLEUS_VERSION_STRING;
  f.annotations[std::string(kTraceAnnotation)] = "FILE: record every syscall into FILE (NDJSON)";
  f.annotations[std::string(kTraceModeAnnotation)] =
      "auto|notify|ebpf: how trace mode records (auto: eBPF when it loads)";
  // Landlock: the kernel's ABI ("0": none), and the annotation that applies it.
  f.annotations["org.nucleus.landlock.abi"] = std::to_string(init::landlock::abi_version());
  f.annotations[std::string(oci::kLandlockAnnotation)] =
      "JSON: Landlock filesystem rules applied before exec "
      "({\"abi\":N,\"bestEffort\":false,\"rules\":[{\"paths\":[...],\"access\":[...]}]})";
  // checkpoint/restore: the criu binary found in $PATH and its version (asked over `criu swrk`),
  // or why there is none; and the annotation that picks CRIU's configuration file (runc's).
  f.annotations["org.nucleus.checkpoint"] = checkpoint_support();
  f.annotations["org.criu.config"] =
      "FILE: CRIU configuration file for checkpoint/restore (default /etc/criu/runc.conf; "
      "empty: none)";
  std::string out = oci::features_to_json(f);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace nucleus::cli
