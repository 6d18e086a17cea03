// pause, resume, ps: commands that work through the container's cgroup.
#include <cstdio>

#include "runtime/cli/args.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/util/error.hpp"

namespace po = boost::program_options;

namespace nucleus::cli {

int cmd_pause(const GlobalOptions& g, const Args& args) {
  po::options_description d("pause options");
  Parsed p = parse(args, d, false);
  require_args(p, 1, "pause");
  pause_container(g, p.positionals[0]);
  return 0;
}

int cmd_resume(const GlobalOptions& g, const Args& args) {
  po::options_description d("resume options");
  Parsed p = parse(args, d, false);
  require_args(p, 1, "resume");
  resume_container(g, p.positionals[0]);
  return 0;
}

int cmd_ps(const GlobalOptions& g, const Args& args) {
  po::options_description d("ps options");
  d.add_options()("format,f", po::value<std::string>()->default_value("table"), "table or json");
  Parsed p = parse(args, d, true);
  if (p.positionals.empty()) throw Error("\"ps\" requires at least 1 argument");
  auto pids = container_pids(g, p.positionals[0]);
  std::string fmt = p.vm["format"].as<std::string>();
  if (fmt == "json") {
    std::string s = "[";
    for (size_t i = 0; i < pids.size(); ++i) s += (i ? "," : "") + std::to_string(pids[i]);
    s += "]\n";
    std::fputs(s.c_str(), stdout);
    return 0;
  }
  if (fmt != "table") throw Error("invalid format option \"" + fmt + "\"");
  std::printf("PID\n");
  for (pid_t pid : pids) std::printf("%d\n", pid);
  return 0;
}

}  // namespace nucleus::cli
