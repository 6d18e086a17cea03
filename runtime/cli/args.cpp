#include "runtime/cli/args.hpp"

#include <cstdlib>
#include <iostream>
#include <sstream>

#include "util/error.hpp"

namespace po = boost::program_options;

namespace nucleus::cli {
namespace {

const po::option_description* find_option(const po::options_description& desc,
                                          const std::string& name, bool is_short) {
  for (const auto& o : desc.options()) {
    if (is_short) {
      if (o->canonical_display_name(po::command_line_style::allow_dash_for_short) == "-" + name)
        return o.get();
    } else if (o->long_name() == name) {
      return o.get();
    }
  }
  return nullptr;
}

// runc's layout: "NAME:" and the command on the second line ("<caption> options" names it),
// then the options.
void print_help(const po::options_description& desc, const char* help_text) {
  if (help_text) {
    std::cout << help_text;
    return;
  }
  std::ostringstream text;
  text << desc;
  std::string body = text.str();
  std::string command = body.substr(0, body.find(" options:"));
  if (command.find('\n') != std::string::npos) command.clear();
  std::cout << "NAME:\n   " << program_name() << " " << command << "\n\n" << body << "\n";
}

std::string& name_storage() {
  static std::string name = "nucleus-oci";
  return name;
}

}  // namespace

void set_program_name(const char* argv0) {
  if (!argv0 || !*argv0) return;
  std::string s = argv0;
  auto slash = s.rfind('/');
  if (slash != std::string::npos) s = s.substr(slash + 1);
  if (!s.empty()) name_storage() = s;
}

const std::string& program_name() {
  return name_storage();
}

Parsed parse(const std::vector<std::string>& args, const po::options_description& desc,
             bool stop_at_positional, const char* help_text) {
  std::vector<std::string> opts;
  Parsed out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      out.positionals.insert(out.positionals.end(), args.begin() + static_cast<long>(i) + 1,
                             args.end());
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      out.positionals.push_back(a);
      if (stop_at_positional) {
        out.positionals.insert(out.positionals.end(), args.begin() + static_cast<long>(i) + 1,
                               args.end());
        break;
      }
      continue;
    }
    std::string body = a[1] == '-' ? a.substr(2) : a.substr(1);
    std::string value;
    bool has_value = false;
    if (auto eq = body.find('='); eq != std::string::npos) {
      value = body.substr(eq + 1);
      body = body.substr(0, eq);
      has_value = true;
    }
    bool is_short = a[1] != '-' && body.size() == 1;
    if (body == "help" || (is_short && body == "h" && !find_option(desc, "h", true))) {
      print_help(desc, help_text);
      std::exit(0);
    }
    const po::option_description* o = find_option(desc, body, is_short);
    if (!o && a[1] != '-' && body.size() == 1) o = find_option(desc, body, false);
    if (!o) throw Error("flag provided but not defined: -" + body);
    std::string name = o->long_name();
    bool takes_value = o->semantic()->max_tokens() > 0;
    if (!takes_value) {
      if (has_value && (value == "false" || value == "0")) continue;
      if (has_value && value != "true" && value != "1")
        throw Error("invalid boolean value \"" + value + "\" for -" + body);
      opts.push_back("--" + name);
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) throw Error("flag needs an argument: -" + body);
      value = args[++i];
    }
    opts.push_back("--" + name + "=" + value);
  }
  try {
    po::store(po::command_line_parser(opts)
                  .options(desc)
                  .style(po::command_line_style::default_style)
                  .run(),
              out.vm);
    po::notify(out.vm);
  } catch (const po::error& e) {
    throw Error(e.what());
  }
  return out;
}

void require_args(const Parsed& p, size_t n, const std::string& usage) {
  if (p.positionals.size() != n)
    throw Error("\"" + usage + "\" requires exactly " + std::to_string(n) + " argument" +
                (n == 1 ? "" : "s"));
}

}  // namespace nucleus::cli
