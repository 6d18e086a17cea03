// What this build and kernel support, for `features` and `--version`.
#pragma once

#include <string>
#include <vector>

namespace nucleus::seccomp {

std::vector<std::string> supported_actions();
std::vector<std::string> supported_operators();
std::vector<std::string> supported_archs();
std::vector<std::string> known_flags();
std::vector<std::string> supported_flags();  // known flags the running kernel accepts
std::string libseccomp_version();

}  // namespace nucleus::seccomp
