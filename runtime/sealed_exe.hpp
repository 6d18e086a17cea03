// The host binary must not be reachable from a container (CVE-2019-5736): the commands that put
// processes into a container (create, run, exec) first re-exec themselves from a sealed view of
// the binary, so /proc/PID/exe of the init and of exec'd processes is a file nobody can write.
#pragma once

#include <string>

#include "runtime/util/fd.hpp"

namespace nucleus {

// True when /proc/self/exe cannot be opened for writing by anyone: a file on a read-only
// overlayfs without upper layer (our seal) or a sealed memfd (the fallback).
bool exe_is_sealed();

// Re-execs the running binary from a sealed view unless it already runs from one. Returns only
// when it is already sealed; on failure to seal, throws (never runs unsealed silently).
// `scratch_dir` is an existing empty-or-not directory used as the overlay's second (bottom)
// lower layer; it must not contain or be contained in the binary's directory.
void ensure_sealed_exe(char** argv, const std::string& scratch_dir);

// main() keeps its argv here, for a re-exec decided later (create: see create_container).
void remember_argv(char** argv);
char** remembered_argv();

// An fd (O_PATH or memfd, close-on-exec) of the sealed view itself, for execveat: the read-only
// overlayfs view of the binary, else a sealed memfd copy. Throws when neither can be made.
UniqueFd sealed_exe_fd(const std::string& scratch_dir);

}  // namespace nucleus
