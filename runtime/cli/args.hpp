// Command-line parsing with runc's conventions on top of Boost.Program_options:
// `--flag value`, `--flag=value`, Go-style `-flag value`, `--bool=false`, and flags stop at the
// first positional argument where a command takes a trailing command line (exec).
#pragma once

#include <boost/program_options.hpp>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "util/error.hpp"

namespace nucleus::cli {

struct Parsed {
  boost::program_options::variables_map vm;
  std::vector<std::string> positionals;
};

// Throws nucleus::Error("flag provided but not defined: -x") for unknown flags.
// `--help`/`-h` prints `help_text` (default: the option list) and exits 0.
Parsed parse(const std::vector<std::string>& args,
             const boost::program_options::options_description& desc, bool stop_at_positional,
             const char* help_text = nullptr);

// The name the binary was run by (argv[0]'s last component; "nucleus-oci" until set): the help
// texts' NAME lines use it, as urfave/cli prints runc's, so a nucleus-oci installed as `runc`
// introduces itself as runc.
void set_program_name(const char* argv0);
const std::string& program_name();

// Requires exactly `n` positionals; the error names the command's usage.
void require_args(const Parsed& p, size_t n, const std::string& usage);

// runc's "runc create failed: ..." and "runc run failed: ...": every failure of the command
// after its arguments were checked, under the name the binary was run by. Docker shows it as
// "OCI runtime create failed: runc create failed: ..."; scripts and runc's tests match on it.
template <class F>
auto failing_as(const std::string& command, F&& body) -> decltype(body()) {
  try {
    return std::forward<F>(body)();
  } catch (const Error& e) {
    throw Error(program_name() + " " + command + " failed: " + e.what(), e.code());
  } catch (const std::exception& e) {
    throw Error(program_name() + " " + command + " failed: " + e.what());
  }
}

}  // namespace nucleus::cli
