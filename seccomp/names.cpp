#include "seccomp/names.hpp"

#include <seccomp.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace nucleus::seccomp {
namespace {

// libseccomp's own arch names (seccomp_arch_resolve_name takes these).
const char* const kArchs[] = {"x86",         "x86_64", "x32",       "arm",     "aarch64",
                              "mips",        "mips64", "mips64n32", "mipsel",  "mipsel64",
                              "mipsel64n32", "ppc",    "ppc64",     "ppc64le", "s390",
                              "s390x",       "parisc", "parisc64",  "riscv64"};

std::string upper(std::string_view s) {
  std::string o(s);
  for (char& c : o) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return o;
}

}  // namespace

uint32_t native_arch() {
  return seccomp_arch_native();
}

uint32_t arch_from_name(std::string_view name) {
  constexpr std::string_view prefix = "SCMP_ARCH_";
  if (name.substr(0, prefix.size()) != prefix) return 0;
  std::string rest(name.substr(prefix.size()));
  for (char& c : rest) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* a : kArchs)
    if (rest == a) return seccomp_arch_resolve_name(a);
  return 0;
}

std::string arch_name(uint32_t arch) {
  for (const char* a : kArchs)
    if (seccomp_arch_resolve_name(a) == arch) return "SCMP_ARCH_" + upper(a);
  char buf[32];
  std::snprintf(buf, sizeof buf, "SCMP_ARCH_%08x", arch);
  return buf;
}

std::vector<uint32_t> compat_arches(uint32_t arch) {
  if (arch == SCMP_ARCH_X86_64) return {SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32};
  if (arch == SCMP_ARCH_AARCH64) return {SCMP_ARCH_AARCH64, SCMP_ARCH_ARM};
  if (arch == SCMP_ARCH_PPC64LE) return {SCMP_ARCH_PPC64LE};
  if (arch == SCMP_ARCH_S390X) return {SCMP_ARCH_S390X, SCMP_ARCH_S390};
  return {arch};
}

std::vector<std::string> known_arch_names() {
  std::vector<std::string> out;
  for (const char* a : kArchs) out.push_back("SCMP_ARCH_" + upper(a));
  return out;
}

int syscall_number(std::string_view name, uint32_t arch) {
  std::string n(name);
  int nr = seccomp_syscall_resolve_name_arch(arch, n.c_str());
  // Negative values other than __NR_SCMP_ERROR are libseccomp pseudo-numbers for syscalls that
  // exist elsewhere but not on `arch` (socketcall on x86_64): not a number of this arch either.
  return nr < 0 ? -1 : nr;
}

std::string syscall_name(int nr, uint32_t arch) {
  char* s = seccomp_syscall_resolve_num_arch(arch, nr);
  if (!s) return {};
  std::string out(s);
  std::free(s);
  return out;
}

}  // namespace nucleus::seccomp
