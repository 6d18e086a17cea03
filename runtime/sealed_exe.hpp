// The host binary must not be reachable from a container (CVE-2019-5736): every process that
// enters a container runs from a sealed view of the binary, so /proc/PID/exe of the init and of
// exec'd processes is a file nobody can write. create's init execs that view itself
// (init/handoff.hpp); exec (and create in the cases seal_runtime_if_needed names) re-execs
// itself from it first.
#pragma once

#include <string>

#include "util/fd.hpp"

namespace nucleus {

// True when /proc/self/exe cannot be opened for writing by anyone: a file on a read-only
// overlayfs without upper layer (our seal) or a sealed memfd (the fallback).
bool exe_is_sealed();

// main() keeps its argv here first: the re-exec below repeats the command line.
void remember_argv(char** argv);

// Re-execs the running binary (with the remembered argv) from a sealed view unless it already
// runs from one. Returns only when it is already sealed; on failure to seal, throws (never runs
// unsealed silently). `scratch_dir` is an existing empty-or-not directory used as the overlay's
// second (bottom) lower layer; it must not contain or be contained in the binary's directory.
void ensure_sealed_exe(const std::string& scratch_dir);

// An fd (O_PATH or memfd, close-on-exec) of the sealed view itself, for execveat: the read-only
// overlayfs view of the binary, else a sealed memfd copy. Throws when neither can be made.
UniqueFd sealed_exe_fd(const std::string& scratch_dir);

}  // namespace nucleus
