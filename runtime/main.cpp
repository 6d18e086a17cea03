// nucleus-oci: an OCI runtime with runc's command line.
#include <unistd.h>

#include <seccomp.h>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>

#include "commit.h"  // generated at build time: NUCLEUS_COMMIT (runtime/commit.cmake)
#include "oci/config.hpp"
#include "oci/state.hpp"
#include "runtime/cli/args.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/init/handoff.hpp"
#include "runtime/log.hpp"
#include "runtime/rootless.hpp"
#include "runtime/sealed_exe.hpp"
#include "util/error.hpp"

namespace po = boost::program_options;
using nucleus::cli::Args;

#ifndef NUCLEUS_VERSION
#define NUCLEUS_VERSION "0.0.0"
#endif

namespace {

// The top-level help after its NAME lines (usage_text()).
const char* kUsage =
    "nucleus-oci is an OCI container runtime with runc's command line.\n\n"
    "usage: nucleus-oci [global options] command [command options] [arguments...]\n\n"
    "commands:\n"
    "  create   create a container from a bundle\n"
    "  start    start the process of a created container\n"
    "  run      create and start a container\n"
    "  state    print the state of a container\n"
    "  kill     send a signal to the container's init\n"
    "  delete   delete a container and everything it holds\n"
    "  list     list the containers under --root\n"
    "  exec     run a new process in a running container\n"
    "  ps       list the processes of a container\n"
    "  pause    freeze every process of a container\n"
    "  update   change the resource limits of a running container\n"
    "  events   statistics and OOM events of a container\n"
    "  resume   thaw a paused container\n"
    "  spec     write a default config.json\n"
    "  seccomp  seccomp tools: generate a profile from traces\n"
    "  features what this build and host support (runtime-spec features.md)\n"
    "  checkpoint checkpoint a running container (CRIU)\n"
    "  restore  restore a container from a previous checkpoint (CRIU)\n\n"
    "global options:\n"
    "  --root DIR           state directory (default /run/nucleus-oci; for a non-root user\n"
    "                       $XDG_RUNTIME_DIR/nucleus-oci)\n"
    "  --log FILE           log file (default stderr)\n"
    "  --log-format FORMAT  text or json\n"
    "  --debug              debug logging\n"
    "  --systemd-cgroup     use the systemd cgroup driver\n"
    "  --rootless VALUE     rootless cgroups: true, false or auto (auto: true for a\n"
    "                       non-root user or root in a user namespace)\n"
    "  --version, -v        print the version\n";

// runc's (urfave/cli) first lines, "NAME:" and "NAME - Open Container Initiative runtime", with
// the name this binary was run by.
std::string usage_text() {
  return "NAME:\n   " + nucleus::cli::program_name() + " - Open Container Initiative runtime\n\n" +
         kUsage;
}

// runc's lines ("runc version X", "commit:", "spec:", ..., "libseccomp:"), under the name this
// binary was run by, as the help texts.
void print_version() {
  const scmp_version* v = seccomp_version();
  std::printf("%s version %s\ncommit: %s\nspec: %s\nlibseccomp: %u.%u.%u\n",
              nucleus::cli::program_name().c_str(), NUCLEUS_VERSION, NUCLEUS_COMMIT,
              nucleus::oci::kSpecVersion, v->major, v->minor, v->micro);
}

}  // namespace

int main(int argc, char** argv) {
  // The container init, exec'd by create from the sealed binary (runtime/init/handoff.hpp).
  if (argc == 3 && std::strcmp(argv[1], "init") == 0) nucleus::init::run_from_handoff(argv[2]);
  nucleus::remember_argv(argv);
  nucleus::cli::set_program_name(argv[0]);
  std::vector<std::string> all(argv + 1, argv + argc);
  nucleus::GlobalOptions g;
  // runc's default root: $XDG_RUNTIME_DIR/nucleus-oci for a non-root caller (runtime/rootless.hpp).
  bool xdg_root = false;
  g.root = nucleus::rootless::default_root(&xdg_root);
  po::options_description globals("global options");
  globals.add_options()("root", po::value<std::string>(&g.root)->default_value(g.root), "")(
      "log", po::value<std::string>(&g.log)->default_value(""), "")(
      "log-format", po::value<std::string>(&g.log_format)->default_value("text"), "")(
      "debug", po::bool_switch(&g.debug), "")("systemd-cgroup", po::bool_switch(&g.systemd_cgroup),
                                              "")(
      "rootless", po::value<std::string>(&g.rootless)->default_value("auto"), "")(
      "criu", po::value<std::string>(), "")("version,v", po::bool_switch(), "")(
      "help,h", po::bool_switch(), "");

  static const std::map<std::string, int (*)(const nucleus::GlobalOptions&, const Args&)> commands =
      {{"create", nucleus::cli::cmd_create},
       {"start", nucleus::cli::cmd_start},
       {"run", nucleus::cli::cmd_run},
       {"state", nucleus::cli::cmd_state},
       {"kill", nucleus::cli::cmd_kill},
       {"delete", nucleus::cli::cmd_delete},
       {"list", nucleus::cli::cmd_list},
       {"spec", nucleus::cli::cmd_spec},
       {"pause", nucleus::cli::cmd_pause},
       {"resume", nucleus::cli::cmd_resume},
       {"ps", nucleus::cli::cmd_ps},
       {"exec", nucleus::cli::cmd_exec},
       {"features", nucleus::cli::cmd_features},
       {"update", nucleus::cli::cmd_update},
       {"events", nucleus::cli::cmd_events},
       {"seccomp", nucleus::cli::cmd_seccomp},
       {"checkpoint", nucleus::cli::cmd_checkpoint},
       {"restore", nucleus::cli::cmd_restore}};

  std::string command;
  const std::string usage = usage_text();
  try {
    nucleus::cli::Parsed p = nucleus::cli::parse(all, globals, true, usage.c_str());
    nucleus::log::init(g.log, g.log_format == "json", g.debug);
    if (g.log_format != "text" && g.log_format != "json")
      throw nucleus::Error("invalid log-format \"" + g.log_format + "\" (text or json)");
    if (p.vm["version"].as<bool>()) {
      print_version();
      return 0;
    }
    if (p.positionals.empty() || p.vm["help"].as<bool>()) {
      std::fputs(usage.c_str(),
                 p.positionals.empty() && !p.vm["help"].as<bool>() ? stderr : stdout);
      return p.vm["help"].as<bool>() ? 0 : 1;
    }
    command = p.positionals[0];
    Args rest(p.positionals.begin() + 1, p.positionals.end());
    // `help CMD` is `CMD --help`, as runc's.
    if (command == "help" && !rest.empty() && commands.count(rest[0])) {
      command = rest[0];
      rest = {"--help"};
    } else if (command == "help" && !rest.empty()) {
      throw nucleus::Error("No help topic for '" + rest[0] + "'");  // runc's (urfave/cli) words
    } else if (command == "help") {
      std::fputs(usage.c_str(), stdout);
      return 0;
    }
    auto it = commands.find(command);
    if (it == commands.end()) {
      if (std::find(rest.begin(), rest.end(), "-h") != rest.end() ||
          std::find(rest.begin(), rest.end(), "--help") != rest.end())
        throw nucleus::Error("No help topic for '" + command + "'");
      throw nucleus::Error("unknown command \"" + command + "\"");
    }
    if (!g.root.empty() && g.root[0] != '/') g.root = nucleus::cli::absolute(g.root);
    // As runc's Before: a default root under $XDG_RUNTIME_DIR is made (0700, sticky) first.
    if (xdg_root && p.vm["root"].defaulted()) nucleus::rootless::prepare_xdg_root(g.root);
    // exec puts its process into the container from a sealed view of the binary; create and
    // run exec their init from one (runtime/init/handoff.hpp).
    if (command == "exec" && std::find(rest.begin(), rest.end(), "--help") == rest.end() &&
        (rest.empty() || rest[0] != "-h"))
      nucleus::ensure_sealed_exe(g.root);
    return it->second(g, rest);
  } catch (const std::exception& e) {
    nucleus::log::error(e.what());
    if (!nucleus::log::to_stderr()) std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
