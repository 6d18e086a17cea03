#include "runtime/cli/args.hpp"
#include "runtime/cli/commands.hpp"
#include "util/error.hpp"

namespace po = boost::program_options;

namespace nucleus::cli {

po::options_description create_options(const char* title) {
  po::options_description d(title);
  d.add_options()("bundle,b", po::value<std::string>()->default_value(""),
                  "path to the bundle (default: the current directory)")(
      "console-socket", po::value<std::string>()->default_value(""),
      "AF_UNIX socket that receives the pty master when process.terminal is true")(
      "pidfd-socket", po::value<std::string>()->default_value(""),
      "AF_UNIX socket that receives a pidfd of the init")(
      "pid-file", po::value<std::string>()->default_value(""), "write the init's pid here")(
      "no-pivot", po::bool_switch(), "use MS_MOVE + chroot instead of pivot_root")(
      "no-new-keyring", po::bool_switch(), "keep the caller's session keyring")(
      "preserve-fds", po::value<int>()->default_value(0),
      "pass N extra fds (from 3) to the container")(
      "seccomp-trace", po::value<std::string>()->default_value(""),
      "trace mode: record every syscall of the container into FILE (NDJSON)")(
      "seccomp-trace-mode", po::value<std::string>()->default_value(""),
      "how trace mode records: ebpf, notify (SECCOMP_RET_USER_NOTIF) or auto (ebpf when it "
      "loads; the default)");
  return d;
}

CreateOptions create_options_from(const Parsed& p) {
  CreateOptions o;
  o.id = p.positionals.at(0);
  std::string b = p.vm["bundle"].as<std::string>();
  o.bundle = absolute(b.empty() ? "." : b);
  o.console_socket = p.vm["console-socket"].as<std::string>();
  if (!o.console_socket.empty()) o.console_socket = absolute(o.console_socket);
  o.pidfd_socket = p.vm["pidfd-socket"].as<std::string>();
  if (!o.pidfd_socket.empty()) o.pidfd_socket = absolute(o.pidfd_socket);
  o.pid_file = p.vm["pid-file"].as<std::string>();
  if (!o.pid_file.empty()) o.pid_file = absolute(o.pid_file);
  o.no_pivot = p.vm["no-pivot"].as<bool>();
  o.no_new_keyring = p.vm["no-new-keyring"].as<bool>();
  o.preserve_fds = p.vm["preserve-fds"].as<int>();
  if (o.preserve_fds < 0) throw Error("--preserve-fds must not be negative");
  o.seccomp_trace = p.vm["seccomp-trace"].as<std::string>();
  if (!o.seccomp_trace.empty()) o.seccomp_trace = absolute(o.seccomp_trace);
  o.seccomp_trace_mode = p.vm["seccomp-trace-mode"].as<std::string>();
  return o;
}

int cmd_create(const GlobalOptions& g, const Args& args) {
  Parsed p = parse(args, create_options("create options"), false);
  require_args(p, 1, "create");
  failing_as("create", [&] { create_container(g, create_options_from(p)); });
  return 0;
}

}  // namespace nucleus::cli
