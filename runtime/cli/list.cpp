#include <cstdio>

#include "oci/json_text.hpp"
#include "runtime/cli/args.hpp"
#include "runtime/cli/commands.hpp"
#include "util/error.hpp"

namespace po = boost::program_options;

namespace nucleus::cli {

int cmd_list(const GlobalOptions& g, const Args& args) {
  po::options_description d("list options");
  d.add_options()("format,f", po::value<std::string>()->default_value("table"), "table or json")(
      "quiet,q", po::bool_switch(), "display only container IDs");
  Parsed p = parse(args, d, false);
  auto states = list_containers(g);
  if (p.vm["quiet"].as<bool>()) {
    for (const auto& s : states) std::printf("%s\n", s.id.c_str());
    return 0;
  }
  std::string fmt = p.vm["format"].as<std::string>();
  if (fmt == "json") {
    std::string out = "[";
    for (size_t i = 0; i < states.size(); ++i) {
      const auto& s = states[i];
      out += std::string(i ? "," : "") + "{\"ociVersion\":" + oci::json_quote(s.oci_version) +
             ",\"id\":" + oci::json_quote(s.id) + ",\"pid\":" + std::to_string(s.pid) +
             ",\"status\":\"" + s.status + "\",\"bundle\":" + oci::json_quote(s.bundle) +
             ",\"rootfs\":" + oci::json_quote(s.rootfs) + ",\"created\":\"" + s.created +
             "\",\"owner\":" + oci::json_quote(s.owner) + "}";
    }
    out += "]\n";
    std::fputs(out.c_str(), stdout);
    return 0;
  }
  if (fmt != "table") throw Error("invalid format option \"" + fmt + "\"");
  // runc's tabwriter: min width 12, padding 3.
  std::vector<std::vector<std::string>> rows = {
      {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
  for (const auto& s : states)
    rows.push_back({s.id, std::to_string(s.pid), s.status, s.bundle, s.created,
                    s.owner.empty() ? "root" : s.owner});
  std::vector<size_t> width(6, 0);
  for (const auto& r : rows)
    for (size_t i = 0; i < 5; ++i) width[i] = std::max({width[i], r[i].size() + 3, size_t{12}});
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < 6; ++i) {
      line += r[i];
      if (i < 5) line += std::string(width[i] - r[i].size(), ' ');
    }
    std::printf("%s\n", line.c_str());
  }
  return 0;
}

}  // namespace nucleus::cli
