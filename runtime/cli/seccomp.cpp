// `seccomp generate TRACE... [-o FILE] [--default-action A] [--bundle DIR] [--no-narrow]`:
// merges traces recorded by trace mode into a minimal linux.seccomp profile.
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <sys/socket.h>

#include <cstdio>
#include <mutex>
#include <thread>

#include "runtime/cli/args.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/trace_hook.hpp"
#include "seccomp/generate.hpp"
#include "seccomp/names.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/socket.hpp"

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

// A profile for other runtimes' trace mode: every syscall the native arch has (and its compat
// arches) goes to the listener, except the ones a runtime uses to hand the listener over
// (runc refuses NOTIFY on write; sendmsg carries the fd itself).
int trace_profile(const Args& args) {
  po::options_description d("seccomp trace-profile options");
  d.add_options()("socket", po::value<std::string>()->default_value(""),
                  "listenerPath to put in the profile");
  Parsed p = parse(args, d, false);
  require_args(p, 0, "seccomp trace-profile");
  std::string out = "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n";
  std::string sock = p.vm["socket"].as<std::string>();
  if (!sock.empty()) out += "  \"listenerPath\": \"" + sock + "\",\n";
  out += "  \"architectures\": [";
  auto arches = seccomp::compat_arches(seccomp::native_arch());
  for (size_t i = 0; i < arches.size(); ++i)
    out += (i ? ", \"" : "\"") + seccomp::arch_name(arches[i]) + "\"";
  out += "],\n  \"syscalls\": [{\"action\": \"SCMP_ACT_NOTIFY\", \"names\": [";
  bool first = true;
  for (int nr = 0; nr < 1024; ++nr) {
    std::string n = seccomp::syscall_name(nr, seccomp::native_arch());
    if (n.empty() || n == "write" || n == "sendmsg" || n == "exit" || n == "exit_group") continue;
    out += (first ? "\"" : ", \"") + n + "\"";
    first = false;
  }
  out += "]}]\n}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

// A seccomp listener for any OCI runtime (linux.seccomp.listenerPath): each connection brings a
// notify fd (SCM_RIGHTS) and a containerProcessState; every notification is recorded and let
// through. The merged trace is rewritten to --output each time a container's last process exits.
int trace_listener(const Args& args) {
  po::options_description d("seccomp trace-listener options");
  d.add_options()("socket", po::value<std::string>(), "unix socket to listen on")(
      "output", po::value<std::string>(), "NDJSON trace file (rewritten atomically)")(
      "once", po::bool_switch(), "exit after the first container's trace is written");
  Parsed p = parse(args, d, false);
  require_args(p, 0, "seccomp trace-listener");
  if (!p.vm.count("socket") || !p.vm.count("output"))
    throw Error("seccomp trace-listener needs --socket PATH and --output FILE");
  std::string path = p.vm["socket"].as<std::string>();
  std::string output = absolute(p.vm["output"].as<std::string>());
  UniqueFd sock = listen_unix(path);
  std::mutex mu;
  seccomp::TraceRecorder merged;
  bool once = p.vm["once"].as<bool>();
  for (;;) {
    int c = ::accept4(sock.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR) continue;
      throw_sys("accept on " + path);
    }
    UniqueFd conn(c);
    std::string state;
    UniqueFd listener;
    try {
      listener = recv_fd(conn.get(), &state);
    } catch (const Error& e) {
      std::fprintf(stderr, "trace-listener: %s\n", e.what());
      continue;
    }
    std::thread worker([&mu, &merged, &output, l = std::move(listener)]() mutable {
      seccomp::TraceRecorder rec;
      try {
        seccomp::serve_trace(l.get(), rec);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "trace-listener: %s\n", e.what());
      }
      std::lock_guard<std::mutex> lock(mu);
      for (const auto& [k, e] : rec.entries()) merged.merge(e);
      write_file_atomic(output, merged.to_ndjson(), 0644);
    });
    if (once) {
      worker.join();
      return 0;
    }
    worker.detach();
  }
}

// An OCI hook (createRuntime or prestart) for other runtimes: trace mode's eBPF recorder for
// the container's cgroup (runtime/trace_hook.hpp).
int trace_hook(const Args& args) {
  po::options_description d("seccomp trace-hook options");
  d.add_options()("output,o", po::value<std::string>(), "NDJSON trace file (written atomically)")(
      "timeout", po::value<int>()->default_value(10), "seconds to wait for the recorder to attach")(
      "log", po::value<std::string>()->default_value(""), "the detached recorder's error log")(
      "wait", po::bool_switch(), "as a poststop hook: wait until the trace is written");
  Parsed p = parse(args, d, false);
  require_args(p, 0, "seccomp trace-hook");
  if (!p.vm.count("output")) throw Error("seccomp trace-hook needs -o FILE");
  TraceHookOptions o;
  o.output = absolute(p.vm["output"].as<std::string>());
  std::string log = p.vm["log"].as<std::string>();
  o.log = log.empty() ? "" : absolute(log);
  int timeout = p.vm["timeout"].as<int>();
  if (timeout <= 0)
    throw Error("seccomp trace-hook: --timeout must be a positive number of seconds");
  o.timeout_ms = timeout * 1000;
  if (p.vm["wait"].as<bool>())
    wait_trace_written(0, o);
  else
    run_trace_hook(0, o);
  return 0;
}

}  // namespace

int cmd_seccomp(const GlobalOptions& g, const Args& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf(
        "usage: nucleus-oci seccomp generate TRACE... [-o FILE] [--default-action ACTION] "
        "[--bundle DIR] [--no-narrow]\n"
        "       nucleus-oci seccomp trace-listener --socket PATH --output FILE [--once]\n"
        "       nucleus-oci seccomp trace-profile [--socket PATH]\n"
        "       nucleus-oci seccomp trace-hook -o FILE [--timeout SECONDS] [--log FILE] "
        "[--wait]\n");
    return args.empty() ? 1 : 0;
  }
  Args rest(args.begin() + 1, args.end());
  if (args[0] == "generate") return generate(rest);
  if (args[0] == "trace-listener") return trace_listener(rest);
  if (args[0] == "trace-profile") return trace_profile(rest);
  if (args[0] == "trace-hook") return trace_hook(rest);
  throw Error("unknown seccomp command \"" + args[0] +
              "\" (generate, trace-listener, trace-profile, trace-hook)");
}

}  // namespace nucleus::cli
