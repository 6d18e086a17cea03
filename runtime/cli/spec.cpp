#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "oci/default_spec.hpp"
#include "runtime/cli/args.hpp"
#include "runtime/cli/commands.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace po = boost::program_options;

namespace nucleus::cli {

int cmd_spec(const GlobalOptions& g, const Args& args) {
  po::options_description d("spec options");
  d.add_options()("bundle,b", po::value<std::string>()->default_value(""),
                  "where to write config.json")("rootless", po::bool_switch(),
                                                "a spec for a rootless container (user namespace)");
  Parsed p = parse(args, d, false);
  require_args(p, 0, "spec");
  std::string b = p.vm["bundle"].as<std::string>();
  std::string path = (b.empty() ? std::string(".") : b) + "/config.json";
  // runc names the file as it is in the bundle: "File config.json exists. Remove it first".
  if (path_exists(path)) throw Error("File config.json exists. Remove it first", EEXIST);
  // runc adds a cgroup namespace only where /sys/fs/cgroup is cgroup2 (IsCgroup2UnifiedMode).
  struct statfs fs {};
  bool unified = ::statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
  std::string json =
      oci::default_spec_json(p.vm["rootless"].as<bool>(), ::geteuid(), ::getegid(), unified);
  UniqueFd fd = open_fd(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
  if (::write(fd.get(), json.data(), json.size()) != static_cast<ssize_t>(json.size()))
    throw_sys("write " + path);
  return 0;
}

}  // namespace nucleus::cli
