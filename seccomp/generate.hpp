// Profile generator: traces (TraceRecorder, merged from one or more NDJSON files) -> a minimal
// linux.seccomp object that runc, crun, Podman and nucleus-oci enforce.
#pragma once

#include <string>

#include "seccomp/trace.hpp"

namespace nucleus::seccomp {

struct GenerateOptions {
  std::string default_action = "SCMP_ACT_ERRNO";  // what every syscall outside the trace gets
  bool narrow_args = true;  // arg-filtered rules where the trace shows a few values
  size_t max_values = 8;    // narrow only when an argument took at most this many values
};

// The syscalls a runtime itself makes between loading the filter and the workload's first
// instruction (execve and what runc/crun/nucleus-oci call around it): always allowed.
const std::vector<std::string>& runtime_syscalls();

// JSON text of a linux.seccomp object, sorted names, the native arch and its compat arches.
std::string generate_profile(const TraceRecorder& trace, const GenerateOptions& opts);

}  // namespace nucleus::seccomp
