// Syscall and architecture names <-> numbers, from libseccomp (every arch it knows).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nucleus::seccomp {

uint32_t native_arch();  // SCMP_ARCH_* token of this build's arch
// "SCMP_ARCH_X86_64" -> token; 0 when unknown.
uint32_t arch_from_name(std::string_view name);
// token -> "SCMP_ARCH_X86_64"; "SCMP_ARCH_<hex>" when unknown.
std::string arch_name(uint32_t arch);
// The arches a process on `arch` may also use (x86_64: x86 and x32), including `arch`.
std::vector<uint32_t> compat_arches(uint32_t arch);
// Every SCMP_ARCH_* name libseccomp knows.
std::vector<std::string> known_arch_names();
// -1 when unknown on that arch (also for libseccomp's negative pseudo-numbers). x32 numbers
// carry __X32_SYSCALL_BIT (0x40000000), as the kernel sees them.
int syscall_number(std::string_view name, uint32_t arch);
// "" when unknown.
std::string syscall_name(int nr, uint32_t arch);

}  // namespace nucleus::seccomp
