// checkpoint and restore: runc 1.3.6's flags (checkpoint.go, restore.go), CRIU through
// runtime/checkpoint.cpp.
#include <sched.h>
#include <unistd.h>

#include "runtime/checkpoint.hpp"
#include "runtime/cli/args.hpp"
#include "runtime/cli/commands.hpp"
#include "util/error.hpp"

namespace po = boost::program_options;

namespace nucleus::cli {
namespace {

const char* kCheckpointHelp =
    "usage: nucleus-oci checkpoint [command options] <container-id>\n\n"
    "The checkpoint command saves the state of the container instance (CRIU, `criu swrk`).\n\n"
    "options:\n"
    "  --image-path value           path for saving criu image files (default ./checkpoint)\n"
    "  --work-path value            path for saving work files and logs\n"
    "  --parent-path value          path for previous criu image files in pre-dump (relative to\n"
    "                               --image-path)\n"
    "  --leave-running              leave the process running after checkpointing\n"
    "  --tcp-established            allow open tcp connections\n"
    "  --tcp-skip-in-flight         skip in-flight tcp connections\n"
    "  --link-remap                 allow one to link unlinked files back when possible\n"
    "  --ext-unix-sk                allow external unix sockets\n"
    "  --shell-job                  allow shell jobs\n"
    "  --lazy-pages                 use userfaultfd to lazily restore memory pages\n"
    "  --status-fd value            criu writes \\0 to this FD once lazy-pages is ready\n"
    "  --page-server value          ADDRESS:PORT of the page server\n"
    "  --file-locks                 handle file locks, for safety\n"
    "  --pre-dump                   dump container's memory information only, leave the\n"
    "                               container running after this\n"
    "  --manage-cgroups-mode value  cgroups mode: soft|full|strict|ignore (default: soft)\n"
    "  --empty-ns value             create a namespace, but don't restore its properties\n"
    "  --auto-dedup                 enable auto deduplication of memory images\n";

const char* kRestoreHelp =
    "usage: nucleus-oci restore [command options] <container-id>\n\n"
    "Restores the saved state of the container instance that was previously saved using the\n"
    "checkpoint command (CRIU, `criu swrk`).\n\n"
    "options:\n"
    "  --console-socket value       path to an AF_UNIX socket which will receive a file\n"
    "                               descriptor referencing the master end of the console's\n"
    "                               pseudoterminal\n"
    "  --image-path value           path to criu image files for restoring (default ./checkpoint)\n"
    "  --work-path value            path for saving work files and logs\n"
    "  --tcp-established            allow open tcp connections\n"
    "  --ext-unix-sk                allow external unix sockets\n"
    "  --shell-job                  allow shell jobs\n"
    "  --file-locks                 handle file locks, for safety\n"
    "  --manage-cgroups-mode value  cgroups mode: soft|full|strict|ignore (default: soft)\n"
    "  --bundle, -b value           path to the root of the bundle directory\n"
    "  --detach, -d                 detach from the container's process\n"
    "  --pid-file value             specify the file to write the process id to\n"
    "  --no-subreaper               disable the use of the subreaper used to reap reparented\n"
    "                               processes\n"
    "  --no-pivot                   do not use pivot root to jail process inside rootfs\n"
    "  --empty-ns value             create a namespace, but don't restore its properties\n"
    "  --auto-dedup                 enable auto deduplication of memory images\n"
    "  --lazy-pages                 use userfaultfd to lazily restore memory pages\n"
    "  --lsm-profile value          an LSM profile to be used during restore (TYPE:NAME)\n"
    "  --lsm-mount-context value    an LSM mount context to be used during restore\n";

// runc's (urfave/cli) layout: "NAME:", then "   <name the binary was run by> <command> - <what>".
std::string help_with_name(const std::string& what, const char* text) {
  return "NAME:\n   " + program_name() + " " + what + "\n\n" + text;
}

// The options both commands share (runc's criuOptions reads them by name).
void add_criu_options(po::options_description& d) {
  d.add_options()("image-path", po::value<std::string>()->default_value(""), "")(
      "work-path", po::value<std::string>()->default_value(""), "")(
      "tcp-established", po::bool_switch(), "")("ext-unix-sk", po::bool_switch(), "")(
      "shell-job", po::bool_switch(), "")("file-locks", po::bool_switch(), "")(
      "manage-cgroups-mode", po::value<std::string>()->default_value(""), "")(
      "empty-ns", po::value<std::vector<std::string>>()->composing(), "")(
      "auto-dedup", po::bool_switch(), "")("lazy-pages", po::bool_switch(), "");
}

template <typename T>
T get(const Parsed& p, const char* name, T dflt) {
  return p.vm.count(name) ? p.vm[name].as<T>() : dflt;
}

// runc's criuOptions: the image path made absolute, --page-server split, --empty-ns mapped.
CriuOptions criu_options(const Parsed& p) {
  CriuOptions o;
  std::string img = get<std::string>(p, "image-path", "");
  o.image_path = absolute(img.empty() ? "checkpoint" : img);
  std::string work = get<std::string>(p, "work-path", "");
  if (!work.empty()) o.work_path = absolute(work);
  o.parent_path = get<std::string>(p, "parent-path", "");
  o.leave_running = get<bool>(p, "leave-running", false);
  o.tcp_established = get<bool>(p, "tcp-established", false);
  o.tcp_skip_in_flight = get<bool>(p, "tcp-skip-in-flight", false);
  o.link_remap = get<bool>(p, "link-remap", false);
  o.ext_unix_sk = get<bool>(p, "ext-unix-sk", false);
  o.shell_job = get<bool>(p, "shell-job", false);
  o.file_locks = get<bool>(p, "file-locks", false);
  o.pre_dump = get<bool>(p, "pre-dump", false);
  o.auto_dedup = get<bool>(p, "auto-dedup", false);
  o.lazy_pages = get<bool>(p, "lazy-pages", false);
  o.status_fd = get<int>(p, "status-fd", -1);
  o.lsm_profile = get<std::string>(p, "lsm-profile", "");
  o.lsm_mount_context = get<std::string>(p, "lsm-mount-context", "");
  o.manage_cgroups_mode = get<std::string>(p, "manage-cgroups-mode", "");
  if (o.manage_cgroups_mode != "" && o.manage_cgroups_mode != "soft" &&
      o.manage_cgroups_mode != "full" && o.manage_cgroups_mode != "strict" &&
      o.manage_cgroups_mode != "ignore")
    throw Error("invalid manage-cgroups-mode value");
  std::string ps = get<std::string>(p, "page-server", "");
  if (!ps.empty()) {
    size_t colon = ps.rfind(':');
    std::string addr = colon == std::string::npos ? "" : ps.substr(0, colon);
    std::string port = colon == std::string::npos ? "" : ps.substr(colon + 1);
    if (addr.size() > 1 && addr.front() == '[' && addr.back() == ']')
      addr = addr.substr(1, addr.size() - 2);
    if (addr.empty() || port.empty())
      throw Error("Use --page-server ADDRESS:PORT to specify page server");
    try {
      size_t used = 0;
      o.page_server_port = std::stoi(port, &used);
      if (used != port.size()) throw std::invalid_argument(port);
    } catch (const std::exception&) {
      throw Error("Invalid port number");
    }
    o.page_server_address = addr;
  }
  // runc doesn't manage network devices and their configuration: the network namespace is
  // always restored empty (CLONE_NEWNET), whatever --empty-ns says
  o.empty_ns = CLONE_NEWNET;
  for (const auto& ns : get<std::vector<std::string>>(p, "empty-ns", {})) {
    if (ns != "network") throw Error("namespace \"" + ns + "\" is not supported");
  }
  return o;
}

}  // namespace

int cmd_checkpoint(const GlobalOptions& g, const Args& args) {
  po::options_description d("checkpoint options");
  add_criu_options(d);
  d.add_options()("parent-path", po::value<std::string>()->default_value(""), "")(
      "leave-running", po::bool_switch(), "")("tcp-skip-in-flight", po::bool_switch(), "")(
      "link-remap", po::bool_switch(), "")("status-fd", po::value<int>()->default_value(-1), "")(
      "page-server", po::value<std::string>()->default_value(""), "")("pre-dump", po::bool_switch(),
                                                                      "");
  const std::string help =
      help_with_name("checkpoint - checkpoint a running container", kCheckpointHelp);
  Parsed p = parse(args, d, false, help.c_str());
  require_args(p, 1, "checkpoint");
  checkpoint_container(g, p.positionals[0], criu_options(p));
  return 0;
}

int cmd_restore(const GlobalOptions& g, const Args& args) {
  po::options_description d("restore options");
  add_criu_options(d);
  d.add_options()("console-socket", po::value<std::string>()->default_value(""), "")(
      "bundle,b", po::value<std::string>()->default_value(""), "")(
      "detach,d", po::bool_switch(), "")("pid-file", po::value<std::string>()->default_value(""),
                                         "")("no-subreaper", po::bool_switch(), "")(
      "no-pivot", po::bool_switch(), "")("lsm-profile", po::value<std::string>()->default_value(""),
                                         "")("lsm-mount-context",
                                             po::value<std::string>()->default_value(""), "");
  const std::string help =
      help_with_name("restore - restore a container from a previous checkpoint", kRestoreHelp);
  Parsed p = parse(args, d, false, help.c_str());
  require_args(p, 1, "restore");
  RestoreOptions o;
  o.id = p.positionals[0];
  std::string b = p.vm["bundle"].as<std::string>();
  o.bundle = absolute(b.empty() ? "." : b);
  o.console_socket = p.vm["console-socket"].as<std::string>();
  if (!o.console_socket.empty()) o.console_socket = absolute(o.console_socket);
  o.pid_file = p.vm["pid-file"].as<std::string>();
  if (!o.pid_file.empty()) o.pid_file = absolute(o.pid_file);
  o.detach = p.vm["detach"].as<bool>();
  o.no_subreaper = p.vm["no-subreaper"].as<bool>();
  o.no_pivot = p.vm["no-pivot"].as<bool>();
  o.criu = criu_options(p);
  return restore_container(g, o);
}

}  // namespace nucleus::cli
