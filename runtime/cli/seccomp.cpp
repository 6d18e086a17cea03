// `seccomp generate TRACE... [-o FILE] [--default-action A] [--bundle DIR] [--no-narrow]`:
// merges traces recorded by trace mode into a minimal linux.seccomp profile.
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <cstdio>

#include "runtime/cli/args.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/util/error.hpp"
#include "runtime/util/fs.hpp"
#include "seccomp/generate.hpp"

namespace po = boost::program_options;

namespace nucleus::cli {
namespace {

// Sets linux.seccomp in BUNDLE/config.json, keeping everything else.
void write_into_bundle(const std::string& bundle, const std::string& profile) {
  std::string path = bundle + "/config.json";
  std::string text = read_file(path);
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  if (d.HasParseError() || !d.IsObject()) throw Error(path + ": not a JSON object");
  rapidjson::Document p(&d.GetAllocator());
  p.Parse(profile.c_str(), profile.size());
  auto& a = d.GetAllocator();
  if (!d.HasMember("linux") || !d["linux"].IsObject())
    d.AddMember("linux", rapidjson::Value(rapidjson::kObjectType), a);
  auto& linux = d["linux"];
  if (linux.HasMember("seccomp")) linux.RemoveMember("seccomp");
  linux.AddMember("seccomp", rapidjson::Value(p, a), a);
  rapidjson::StringBuffer sb;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(sb);
  w.SetIndent('\t', 1);
  d.Accept(w);
  write_file_atomic(path, std::string(sb.GetString(), sb.GetSize()) + "\n", 0644);
}

int generate(const Args& args) {
  po::options_description d("seccomp generate options");
  d.add_options()("output,o", po::value<std::string>()->default_value(""),
                  "write the profile here")(
      "default-action", po::value<std::string>()->default_value("SCMP_ACT_ERRNO"),
      "action for syscalls outside the trace")("bundle",
                                               po::value<std::string>()->default_value(""),
                                               "set linux.seccomp in BUNDLE/config.json")(
      "no-narrow", po::bool_switch(), "no argument filters, names only");
  Parsed p = parse(args, d, false);
  if (p.positionals.empty()) throw Error("\"seccomp generate\" requires at least one trace file");
  seccomp::TraceRecorder merged;
  for (const auto& f : p.positionals) seccomp::parse_trace(read_file(f), f, merged);
  seccomp::GenerateOptions o;
  o.default_action = p.vm["default-action"].as<std::string>();
  o.narrow_args = !p.vm["no-narrow"].as<bool>();
  std::string profile = seccomp::generate_profile(merged, o);
  std::string out = p.vm["output"].as<std::string>();
  std::string bundle = p.vm["bundle"].as<std::string>();
  if (!out.empty()) write_file_atomic(out, profile, 0644);
  if (!bundle.empty()) write_into_bundle(bundle, profile);
  if (out.empty() && bundle.empty()) std::fwrite(profile.data(), 1, profile.size(), stdout);
  return 0;
}

}  // namespace

int cmd_seccomp(const GlobalOptions& g, const Args& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf(
        "usage: nucleus-oci seccomp generate TRACE... [-o FILE] [--default-action ACTION] "
        "[--bundle DIR] [--no-narrow]\n");
    return args.empty() ? 1 : 0;
  }
  Args rest(args.begin() + 1, args.end());
  if (args[0] == "generate") return generate(rest);
  throw Error("unknown seccomp command \"" + args[0] + "\" (generate)");
}

}  // namespace nucleus::cli
