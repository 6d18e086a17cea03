#include "seccomp/info.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "seccomp/names.hpp"

namespace nucleus::seccomp {

std::vector<std::string> supported_actions() {
  std::vector<std::string> out = {"SCMP_ACT_ALLOW",        "SCMP_ACT_ERRNO",       "SCMP_ACT_KILL",
                                  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
                                  "SCMP_ACT_TRACE",        "SCMP_ACT_TRAP"};
  if (seccomp_api_get() >= 5) out.push_back("SCMP_ACT_NOTIFY");
  return out;
}

std::vector<std::string> supported_operators() {
  return {"SCMP_CMP_EQ", "SCMP_CMP_GE",        "SCMP_CMP_GT", "SCMP_CMP_LE",
          "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"};
}

std::vector<std::string> supported_archs() {
  return known_arch_names();
}

std::vector<std::string> known_flags() {
  return {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_LOG",
          "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
}

std::vector<std::string> supported_flags() {
  // A NULL program with a flag: EFAULT means the kernel knows the flag, EINVAL that it does not.
  struct F {
    const char* name;
    unsigned flag;
  } flags[] = {{"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
               {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
               {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
               {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 1u << 5}};
  std::vector<std::string> out;
  for (const auto& f : flags) {
    long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f.flag, nullptr);
    if (rc < 0 && errno == EFAULT) out.push_back(f.name);
  }
  return out;
}

std::string libseccomp_version() {
  const scmp_version* v = seccomp_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

}  // namespace nucleus::seccomp
