// The runtime-spec state object, written as runc writes it (`state` command, hooks' stdin).
#pragma once

#include <sys/types.h>
#include <map>
#include <string>

namespace nucleus::oci {

inline constexpr const char* kSpecVersion = "1.3.0";

struct State {
  std::string oci_version = kSpecVersion;
  std::string id;
  std::string status;  // creating, created, running, paused, stopped
  pid_t pid = 0;       // 0 when stopped (omitted as runc does)
  std::string bundle;
  std::string rootfs;   // runc extension
  std::string created;  // RFC3339Nano UTC, runc extension
  std::string owner;    // runc extension, "" for root
  std::map<std::string, std::string> annotations;
};

// `nucleus-oci state` output: runc's fields, pretty-printed with two-space indent.
std::string state_to_cli_json(const State& s);
// The spec's state for hooks' stdin and the seccomp listener: compact, spec fields only.
std::string state_to_hook_json(const State& s);
// Parses the JSON of state_to_cli_json (used by tests and by tools).
State parse_state(std::string_view json);

}  // namespace nucleus::oci
