// Compiled filters cached by their exact input: compiling a Docker-sized profile with libseccomp
// costs ~13 ms of CPU (most of a container start), loading it is one syscall. The key is the
// profile's JSON exactly as config.json has it, plus everything else the BPF depends on
// (libseccomp's version, the kernel release, the machine): a cache file whose stored key is not
// byte-for-byte equal is a miss, so no profile can ever get another one's program.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "oci/config.hpp"
#include "seccomp/filter.hpp"

namespace nucleus::seccomp {

// build(spec) through the cache directory `cache_dir` (created 0700 if missing). `config_json`
// is the config.json text the spec was parsed from (its linux.seccomp is the key). Cache
// trouble (unwritable dir, corrupt file) only costs a compile.
Filter build_cached(const oci::Seccomp& spec, std::string_view config_json,
                    const std::string& cache_dir, std::vector<std::string>* skipped = nullptr);

// The cache key of a config's linux.seccomp ("" when it has none).
std::string cache_key(std::string_view config_json);

}  // namespace nucleus::seccomp
