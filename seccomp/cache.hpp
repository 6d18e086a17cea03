// Compiled filters cached by their exact input: compiling a Docker-sized profile with libseccomp
// costs ~13 ms of CPU (most of a container start), loading it is one syscall. The key is the
// profile exactly as config.json has it (oci::Seccomp::source_key, whitespace aside), plus
// everything else the BPF depends on (libseccomp's version, the kernel release, the machine): a
// cache file whose stored key is not byte-for-byte equal is a miss, so no profile can ever get
// another one's program.
#pragma once

#include <string>
#include <vector>

#include "oci/config.hpp"
#include "seccomp/filter.hpp"

namespace nucleus::seccomp {

// build(spec) through the cache directory `cache_dir` (created 0700 if missing); the key is
// the profile as parsed (spec.source_key). Cache trouble (unwritable dir, corrupt file)
// only costs a compile; a spec built in code (no source_key) is compiled every time.
Filter build_cached(const oci::Seccomp& spec, const std::string& cache_dir,
                    std::vector<std::string>* skipped = nullptr);

// The cache key of a profile ("" when it has no source_key, i.e. was built in code).
std::string cache_key(const oci::Seccomp& spec);

}  // namespace nucleus::seccomp
