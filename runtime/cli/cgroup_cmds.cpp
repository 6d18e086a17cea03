// pause, resume, ps: commands that work through the container's cgroup.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "runtime/cli/args.hpp"
#include "runtime/cli/commands.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace po = boost::program_options;

namespace nucleus::cli {
namespace {

// ps(1) from the runtime's PATH; its stdout and stderr. A failure carries both (runc's words).
std::string run_ps(const Args& args) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) throw_sys("pipe for ps");
  UniqueFd r(fds[0]), w(fds[1]);
  std::vector<char*> argv{const_cast<char*>("ps")};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw_sys("fork ps");
  if (pid == 0) {
    ::dup2(w.get(), 1);
    ::dup2(w.get(), 2);
    ::execvp("ps", argv.data());
    dprintf(2, "exec: \"ps\": %s", errno_text(errno).c_str());
    _exit(127);
  }
  w.reset();
  std::string out;
  char buf[8192];
  ssize_t n;
  while ((n = ::read(r.get(), buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error((WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                   : "signal: " + std::to_string(WTERMSIG(status))) +
                ": " + out);
  return out;
}

std::vector<std::string> fields_of(const std::string& line) {
  std::vector<std::string> f;
  std::istringstream in(line);
  for (std::string w; in >> w;) f.push_back(w);
  return f;
}

// The header, then the lines whose PID column is one of `pids`.
void print_ps_lines(const std::string& out, const std::vector<pid_t>& pids) {
  std::istringstream in(out);
  std::string header;
  std::getline(in, header);
  auto titles = fields_of(header);
  auto col = std::find(titles.begin(), titles.end(), "PID");
  if (col == titles.end()) throw Error("couldn't find PID field in ps output");
  size_t index = static_cast<size_t>(col - titles.begin());
  std::printf("%s\n", header.c_str());
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto f = fields_of(line);
    pid_t pid = 0;
    try {
      size_t used = 0;
      pid = static_cast<pid_t>(std::stol(f.at(index), &used));
      if (used != f[index].size()) throw 0;
    } catch (...) {
      throw Error("unable to parse pid: \"" + (index < f.size() ? f[index] : line) + "\"");
    }
    if (std::find(pids.begin(), pids.end(), pid) != pids.end()) std::printf("%s\n", line.c_str());
  }
}

}  // namespace

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
  // runc: ps(1) with the arguments after the id (default -ef), its table cut to these pids.
  Args ps_args(p.positionals.begin() + 1, p.positionals.end());
  if (!ps_args.empty() && ps_args[0] == "--") ps_args.erase(ps_args.begin());
  if (ps_args.empty()) ps_args = {"-ef"};
  print_ps_lines(run_ps(ps_args), pids);
  return 0;
}

}  // namespace nucleus::cli
