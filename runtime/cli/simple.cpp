// The small commands: start, state, kill, delete, pause, resume.
#include <unistd.h>

#include <cstdio>

#include "cgroups/manager.hpp"
#include "oci/state.hpp"
#include "runtime/cli/args.hpp"
#include "runtime/cli/commands.hpp"
#include "util/error.hpp"

namespace po = boost::program_options;

namespace nucleus::cli {

int cmd_start(const GlobalOptions& g, const Args& args) {
  po::options_description d("start options");
  Parsed p = parse(args, d, false);
  require_args(p, 1, "start");
  start_container(g, p.positionals[0]);
  return 0;
}

int cmd_state(const GlobalOptions& g, const Args& args) {
  po::options_description d("state options");
  Parsed p = parse(args, d, false);
  require_args(p, 1, "state");
  std::string out = oci::state_to_cli_json(container_state(g, p.positionals[0]));
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (out.empty() || out.back() != '\n') std::fputc('\n', stdout);
  return 0;
}

int cmd_kill(const GlobalOptions& g, const Args& args) {
  po::options_description d("kill options");
  d.add_options()("all,a", po::bool_switch(), "signal every process in the container");
  Parsed p = parse(args, d, false);
  if (p.positionals.empty() || p.positionals.size() > 2)
    throw Error("\"kill\" requires a minimum of 1 and a maximum of 2 arguments");
  int sig = parse_signal(p.positionals.size() == 2 ? p.positionals[1] : "TERM");
  kill_container(g, p.positionals[0], sig, p.vm["all"].as<bool>());
  return 0;
}

int cmd_delete(const GlobalOptions& g, const Args& args) {
  po::options_description d("delete options");
  d.add_options()("force,f", po::bool_switch(), "kill the container first if it runs");
  Parsed p = parse(args, d, false);
  require_args(p, 1, "delete");
  delete_container(g, p.positionals[0], p.vm["force"].as<bool>());
  return 0;
}

}  // namespace nucleus::cli
