// run = create + start, then (unless --detach) wait for the container's init, forward signals
// to it, proxy its terminal when process.terminal is set without --console-socket, and return
// its exit status (128+N when killed by signal N).
#include <memory>

#include "oci/config.hpp"
#include "runtime/cli/args.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/cli/foreground.hpp"
#include "runtime/log.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/tty.hpp"

namespace po = boost::program_options;

namespace nucleus::cli {

po::options_description create_options(const char* title);
CreateOptions create_options_from(const Parsed& p);

namespace {

// Everything of run after its arguments: create, start, and the wait (unless --detach).
int run_container(const GlobalOptions& g, const Parsed& p) {
  CreateOptions o = create_options_from(p);
  bool detach = p.vm["detach"].as<bool>();
  bool keep = p.vm["keep"].as<bool>();

  bool terminal = false;
  try {
    std::string text = read_file(o.bundle + "/config.json");
    oci::Config cfg = oci::parse_config(text, "config.json");
    // Before the tty and the signal mask below: a re-exec must not carry them over.
    seal_runtime_if_needed(g, cfg);
    terminal = o.console_socket.empty() && cfg.process && cfg.process->terminal;
    o.config = CreateOptions::Loaded{std::move(text), std::move(cfg)};
  } catch (const std::exception&) {
    // create reads it again and reports the error itself.
  }
  if (terminal && detach)
    throw Error("cannot allocate tty if nucleus-oci will detach without setting console socket");
  ConsolePair console;
  if (terminal) {
    console = ConsolePair::make();
    o.console_fd = console.theirs.get();
  }
  std::unique_ptr<ForwardedSignals> sigs;
  if (!detach) sigs = std::make_unique<ForwardedSignals>();

  pid_t pid = create_container(g, o);
  UniqueFd master;
  if (terminal) {
    master = console.receive_master();
    // runc's recvtty: the pty's output is copied to our stdout as it is, so no "\r\n" for
    // "\n". Before start, so before the process writes (exec's process clears it itself).
    clear_onlcr(master.get());
  }
  try {
    start_container(g, o.id);
  } catch (...) {
    if (!keep) {
      try {
        delete_container(g, o.id, true);
      } catch (const std::exception& e) {
        log::warn(e.what());
      }
    }
    throw;
  }
  if (detach) return 0;
  int status = wait_foreground(pid, *sigs, std::move(master));
  sigs.reset();
  if (!keep) delete_container(g, o.id, true);
  return status;
}

}  // namespace

int cmd_run(const GlobalOptions& g, const Args& args) {
  po::options_description d = create_options("run options");
  d.add_options()("detach,d", po::bool_switch(), "do not wait for the container")(
      "keep", po::bool_switch(), "keep the container after it exits (no delete)")(
      "no-subreaper", po::bool_switch(), "accepted for runc compatibility");
  Parsed p = parse(args, d, false);
  require_args(p, 1, "run");
  return failing_as("run", [&] { return run_container(g, p); });
}

}  // namespace nucleus::cli
