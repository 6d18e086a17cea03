#include "seccomp/info.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "seccomp/names.hpp"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

namespace nucleus::seccomp {
namespace {

struct Flag {
  const char* name;
  unsigned long probe;  // flags to try: WAIT_KILLABLE_RECV is only valid with NEW_LISTENER
};
const Flag kFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
     SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV | SECCOMP_FILTER_FLAG_NEW_LISTENER},
};

// seccomp(SECCOMP_SET_MODE_FILTER, flags, NULL): the kernel checks the flags before it reads the
// program, so EFAULT means "flags accepted", EINVAL "unknown flag". Nothing is loaded.
bool kernel_takes(unsigned long flags) {
  long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, nullptr);
  return rc < 0 && errno == EFAULT;
}

bool kernel_has_action(uint32_t ret) {
  return ::syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &ret) == 0;
}

}  // namespace

std::vector<std::string> supported_actions() {
  struct A {
    const char* name;
    uint32_t ret;
  } actions[] = {
      {"SCMP_ACT_ALLOW", SECCOMP_RET_ALLOW},
      {"SCMP_ACT_ERRNO", SECCOMP_RET_ERRNO},
      {"SCMP_ACT_KILL", SECCOMP_RET_KILL_THREAD},
      {"SCMP_ACT_KILL_PROCESS", SECCOMP_RET_KILL_PROCESS},
      {"SCMP_ACT_KILL_THREAD", SECCOMP_RET_KILL_THREAD},
      {"SCMP_ACT_LOG", SECCOMP_RET_LOG},
      {"SCMP_ACT_NOTIFY", SECCOMP_RET_USER_NOTIF},
      {"SCMP_ACT_TRACE", SECCOMP_RET_TRACE},
      {"SCMP_ACT_TRAP", SECCOMP_RET_TRAP},
  };
  std::vector<std::string> out;
  for (const auto& a : actions) {
    if (a.ret == SECCOMP_RET_USER_NOTIF && seccomp_api_get() < 5) continue;
    if (kernel_has_action(a.ret)) out.push_back(a.name);
  }
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
  std::vector<std::string> out;
  for (const auto& f : kFlags) out.push_back(f.name);
  return out;
}

std::vector<std::string> supported_flags() {
  std::vector<std::string> out;
  for (const auto& f : kFlags)
    if (kernel_takes(f.probe)) out.push_back(f.name);
  return out;
}

bool flag_supported(std::string_view flag) {
  for (const auto& f : kFlags)
    if (flag == f.name) return kernel_takes(f.probe);
  return false;
}

std::string libseccomp_version() {
  const scmp_version* v = seccomp_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

}  // namespace nucleus::seccomp
