// Landlock syscalls through syscall(2): glibc has no wrappers, and the structs are declared here
// with the kernel's layout so that older kernel headers build too.
#include "runtime/init/landlock.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "runtime/log.hpp"
#include "util/error.hpp"

#ifndef SYS_landlock_create_ruleset  // the same numbers on every architecture
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

namespace nucleus::init::landlock {
namespace {

constexpr unsigned kCreateRulesetVersion = 1U << 0;  // LANDLOCK_CREATE_RULESET_VERSION
constexpr int kRulePathBeneath = 1;                  // LANDLOCK_RULE_PATH_BENEATH

// struct landlock_ruleset_attr, first member only: every kernel accepts this size, and the
// later members (network, scopes) stay unhandled.
struct RulesetAttr {
  uint64_t handled_access_fs;
};

struct __attribute__((packed)) PathBeneathAttr {
  uint64_t allowed_access;
  int32_t parent_fd;
};

std::string where(size_t rule, size_t path) {
  return "rules[" + std::to_string(rule) + "].paths[" + std::to_string(path) + "]";
}

}  // namespace

uint32_t abi_version(int* err) {
  long v = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, kCreateRulesetVersion);
  if (err) *err = v < 0 ? errno : 0;
  return v < 0 ? 0 : static_cast<uint32_t>(v);
}

UniqueFd build_ruleset(const oci::Landlock& spec) {
  int err = 0;
  const uint32_t abi = abi_version(&err);
  if (abi == 0) {
    std::string why = err == EOPNOTSUPP ? "Landlock is not enabled at boot (lsm=)"
                                        : "the kernel has no Landlock (" + errno_text(err) + ")";
    if (!spec.best_effort) throw Error("landlock: " + why, err);
    log::warn("landlock: " + why + "; bestEffort: running without it");
    return {};
  }
  if (spec.abi > abi) {
    std::string msg = "landlock: ABI " + std::to_string(spec.abi) + " required, kernel has " +
                      std::to_string(abi);
    if (!spec.best_effort) throw Error(msg);
    log::warn(msg + "; bestEffort: rights the kernel lacks stay unrestricted");
  }
  const uint64_t handled = oci::landlock_fs_rights(abi);
  RulesetAttr attr{handled};
  long fd = ::syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (fd < 0) throw_sys("landlock: landlock_create_ruleset");
  UniqueFd ruleset(static_cast<int>(fd));
  for (size_t i = 0; i < spec.rules.size(); ++i) {
    const auto& rule = spec.rules[i];
    for (size_t j = 0; j < rule.paths.size(); ++j) {
      const std::string& p = rule.paths[j];
      UniqueFd target(::open(p.c_str(), O_PATH | O_CLOEXEC));
      if (!target) {
        std::string msg = "landlock: " + where(i, j) + ": \"" + p + "\": " + errno_text(errno);
        if (errno == ENOENT && spec.best_effort) {
          log::warn(msg + "; bestEffort: rule skipped");
          continue;
        }
        throw Error(msg, errno);
      }
      struct stat st {};
      if (::fstat(target.get(), &st) < 0) throw_sys("landlock: stat " + p);
      uint64_t allowed = rule.access & handled;
      // Directory rights mean nothing on a file (the kernel rejects them): keep the file ones.
      if (!S_ISDIR(st.st_mode)) allowed &= oci::landlock_file_rights();
      if (allowed == 0) continue;  // nothing this kernel can grant here
      PathBeneathAttr pb{allowed, target.get()};
      if (::syscall(SYS_landlock_add_rule, ruleset.get(), kRulePathBeneath, &pb, 0) < 0)
        throw_sys("landlock: " + where(i, j) + ": add \"" + p + "\" (" +
                  oci::landlock_access_names(allowed) + ")");
    }
  }
  return ruleset;
}

void restrict_self(UniqueFd& ruleset) {
  if (!ruleset) return;
  if (::syscall(SYS_landlock_restrict_self, ruleset.get(), 0) < 0)
    throw_sys("landlock: landlock_restrict_self (needs noNewPrivileges or CAP_SYS_ADMIN)");
  ruleset.reset();
}

}  // namespace nucleus::init::landlock
