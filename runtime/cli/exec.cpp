#include <unistd.h>

#include <cstdio>
#include <map>
#include <memory>

#include "oci/config.hpp"
#include "runtime/cli/args.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/cli/foreground.hpp"
#include "runtime/exec.hpp"
#include "runtime/log.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace po = boost::program_options;

namespace nucleus::cli {
namespace {

uint32_t parse_id(const std::string& s, const char* what) {
  try {
    size_t used = 0;
    unsigned long v = std::stoul(s, &used);
    if (used != s.size() || v > 0xffffffffUL) throw 0;
    return static_cast<uint32_t>(v);
  } catch (...) {
    throw Error(std::string("invalid ") + what + " \"" + s + "\"");
  }
}

int exec_process(const GlobalOptions& g, const Parsed& p);

void set_env(std::vector<std::string>& env, const std::string& kv) {
  auto eq = kv.find('=');
  std::string key = kv.substr(0, eq);
  for (auto& e : env) {
    if (e.compare(0, key.size() + 1, key + "=") == 0) {
      e = kv;
      return;
    }
  }
  env.push_back(kv);
}

// runc's getSubCgroupPaths: "PATH" alone (every hierarchy; the cgroup v2 form) or one or more
// "CONTROLLER[,CONTROLLER...]:PATH".
std::map<std::string, std::string> sub_cgroup_paths(const std::vector<std::string>& args) {
  std::map<std::string, std::string> paths;
  for (const auto& c : args) {
    auto colon = c.find(':');
    if (colon == std::string::npos) {
      if (args.size() != 1)
        throw Error("invalid --cgroup argument: " + c + " (missing <controller>: prefix)");
      paths[""] = c;
      continue;
    }
    std::string ctrls = c.substr(0, colon) + ",";
    for (size_t at = 0, comma; (comma = ctrls.find(',', at)) != std::string::npos; at = comma + 1) {
      std::string ctrl = ctrls.substr(at, comma - at);
      if (ctrl.empty())
        throw Error("invalid --cgroup argument: " + c + " (empty <controller> prefix)");
      if (!paths.emplace(ctrl, c.substr(colon + 1)).second)
        throw Error("invalid --cgroup argument(s): controller " + ctrl +
                    " specified multiple times");
    }
  }
  return paths;
}

}  // namespace

int cmd_exec(const GlobalOptions& g, const Args& args) {
  po::options_description d("exec options");
  d.add_options()("process,p", po::value<std::string>()->default_value(""),
                  "a runtime-spec Process JSON file")("tty,t", po::bool_switch(),
                                                      "allocate a pseudo-TTY")(
      "cwd", po::value<std::string>()->default_value(""), "working directory in the container")(
      "env,e", po::value<std::vector<std::string>>()->composing(), "set an environment variable")(
      "user,u", po::value<std::string>()->default_value(""), "UID[:GID]")(
      "additional-gids,g", po::value<std::vector<std::string>>()->composing(),
      "additional group ids")("cap,c", po::value<std::vector<std::string>>()->composing(),
                              "add a capability")("no-new-privs", po::bool_switch(),
                                                  "set no_new_privs")(
      "apparmor", po::value<std::string>()->default_value(""), "AppArmor profile")(
      "process-label", po::value<std::string>()->default_value(""), "SELinux label")(
      "detach,d", po::bool_switch(), "detach from the process")(
      "pid-file", po::value<std::string>()->default_value(""), "write the process's pid here")(
      "console-socket", po::value<std::string>()->default_value(""),
      "AF_UNIX socket that receives the pty master")(
      "pidfd-socket", po::value<std::string>()->default_value(""),
      "AF_UNIX socket that receives a pidfd of the process")(
      "preserve-fds", po::value<int>()->default_value(0), "pass N extra fds (from 3)")(
      "ignore-paused", po::bool_switch(), "exec even if the container is paused")(
      "cgroup", po::value<std::vector<std::string>>()->composing(),
      "run in a sub-cgroup: [CONTROLLER[,CONTROLLER]:]PATH");
  Parsed p = parse(args, d, true);
  if (p.positionals.empty()) throw Error("\"exec\" requires a minimum of 1 argument");
  // From here on a failure is exec's own, not the process's: runc's "exec failed: ..." with
  // status 255, which a workload's exit status cannot be mistaken for as easily as 1.
  try {
    return exec_process(g, p);
  } catch (const std::exception& e) {
    std::string msg = std::string("exec failed: ") + e.what();
    log::error(msg);
    if (!log::to_stderr()) std::fprintf(stderr, "%s\n", msg.c_str());
    return 255;
  }
}

namespace {

int exec_process(const GlobalOptions& g, const Parsed& p) {
  ExecOptions o;
  o.id = p.positionals[0];
  std::string process_file = p.vm["process"].as<std::string>();
  if (!process_file.empty()) {
    o.process = oci::parse_process(read_file(process_file), process_file);
  } else {
    if (p.positionals.size() < 2) throw Error("\"exec\" requires a command to run");
    oci::Process base = container_process(g, o.id);
    o.process = base;
    o.process.args.assign(p.positionals.begin() + 1, p.positionals.end());
    o.process.terminal = p.vm["tty"].as<bool>();
    o.process.console_size.reset();
    if (p.vm.count("env"))
      for (const auto& e : p.vm["env"].as<std::vector<std::string>>()) set_env(o.process.env, e);
    std::string user = p.vm["user"].as<std::string>();
    if (!user.empty()) {
      auto colon = user.find(':');
      o.process.user.uid = parse_id(user.substr(0, colon), "user");
      if (colon != std::string::npos)
        o.process.user.gid = parse_id(user.substr(colon + 1), "group");
    }
    if (p.vm.count("additional-gids")) {
      o.process.user.additional_gids.clear();
      for (const auto& s : p.vm["additional-gids"].as<std::vector<std::string>>())
        o.process.user.additional_gids.push_back(parse_id(s, "additional gid"));
    }
    if (p.vm.count("cap")) {
      if (!o.process.capabilities) o.process.capabilities.emplace();
      auto& c = *o.process.capabilities;
      // As runc (CVE-2022-29162): never into the inheritable set; into the ambient set only
      // when the config has an inheritable set, since an ambient capability must be inheritable.
      for (const auto& cap : p.vm["cap"].as<std::vector<std::string>>()) {
        for (auto* set : {&c.bounding, &c.effective, &c.permitted}) set->push_back(cap);
        if (c.has_inheritable) c.ambient.push_back(cap);
      }
    }
    if (p.vm["no-new-privs"].as<bool>()) o.process.no_new_privileges = true;
    std::string aa = p.vm["apparmor"].as<std::string>();
    if (!aa.empty()) o.process.apparmor_profile = aa;
    std::string label = p.vm["process-label"].as<std::string>();
    if (!label.empty()) o.process.selinux_label = label;
  }
  std::string cwd = p.vm["cwd"].as<std::string>();
  if (!cwd.empty()) o.process.cwd = cwd;
  o.pid_file = p.vm["pid-file"].as<std::string>();
  if (!o.pid_file.empty()) o.pid_file = absolute(o.pid_file);
  o.console_socket = p.vm["console-socket"].as<std::string>();
  if (!o.console_socket.empty()) o.console_socket = absolute(o.console_socket);
  o.pidfd_socket = p.vm["pidfd-socket"].as<std::string>();
  if (!o.pidfd_socket.empty()) o.pidfd_socket = absolute(o.pidfd_socket);
  o.preserve_fds = p.vm["preserve-fds"].as<int>();
  o.ignore_paused = p.vm["ignore-paused"].as<bool>();
  if (p.vm.count("cgroup"))
    o.sub_cgroups = sub_cgroup_paths(p.vm["cgroup"].as<std::vector<std::string>>());
  bool detach = p.vm["detach"].as<bool>();

  if (o.process.terminal && o.console_socket.empty() && detach)
    throw Error("cannot allocate tty if nucleus-oci will detach without setting console socket");
  ConsolePair console;
  if (o.process.terminal && o.console_socket.empty()) {
    console = ConsolePair::make();
    o.console_fd = console.theirs.get();
  }
  std::unique_ptr<ForwardedSignals> sigs;
  if (!detach) sigs = std::make_unique<ForwardedSignals>();
  pid_t pid = exec_in_container(g, o);
  if (detach) return 0;
  UniqueFd master;
  if (o.console_fd >= 0) master = console.receive_master();
  return wait_foreground(pid, *sigs, std::move(master));
}

}  // namespace

}  // namespace nucleus::cli
