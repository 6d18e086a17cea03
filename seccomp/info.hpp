// What this build and kernel support, for `features` and `--version`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nucleus::seccomp {

// SCMP_ACT_* names that libseccomp and the running kernel both support
// (SECCOMP_GET_ACTION_AVAIL; SCMP_ACT_NOTIFY also needs libseccomp API level >= 5).
std::vector<std::string> supported_actions();
std::vector<std::string> supported_operators();  // SCMP_CMP_*
std::vector<std::string> supported_archs();      // every SCMP_ARCH_* libseccomp knows
std::vector<std::string> known_flags();          // SECCOMP_FILTER_FLAG_* build() accepts
std::vector<std::string> supported_flags();      // known flags the running kernel accepts
// One known flag, probed on the running kernel; false for unknown names.
bool flag_supported(std::string_view flag);
std::string libseccomp_version();  // "2.5.4"

}  // namespace nucleus::seccomp
