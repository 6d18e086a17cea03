// linux.seccomp -> BPF, compiled by libseccomp and loaded with seccomp(2) directly, so every
// SECCOMP_FILTER_FLAG_* the kernel has can be used (libseccomp 2.5 lacks WAIT_KILLABLE_RECV)
// and a compiled program is plain bytes (cacheable by profile digest).
#include "seccomp/filter.hpp"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <map>

#include "runtime/util/error.hpp"
#include "seccomp/names.hpp"

namespace nucleus::seccomp {

struct Filter::Impl {
  std::vector<unsigned char> bpf;  // struct sock_filter[]
  unsigned flags = 0;              // SECCOMP_FILTER_FLAG_*
  bool notify = false;
};

Filter::Filter() : impl_(std::make_unique<Impl>()) {}
Filter::~Filter() = default;
Filter::Filter(Filter&&) noexcept = default;
Filter& Filter::operator=(Filter&&) noexcept = default;

bool Filter::uses_notify() const {
  return impl_ && impl_->notify;
}
std::vector<unsigned char> Filter::export_bpf() const {
  return impl_->bpf;
}

UniqueFd Filter::load() {
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(impl_->bpf.size() / sizeof(sock_filter));
  prog.filter = reinterpret_cast<sock_filter*>(impl_->bpf.data());
  unsigned flags = impl_->flags | (impl_->notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
  long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (rc < 0) throw_sys("load the seccomp filter");
  return UniqueFd(impl_->notify ? static_cast<int>(rc) : -1);
}

namespace {

using Ctx = std::unique_ptr<void, void (*)(void*)>;

const std::map<std::string, uint32_t>& action_table() {
  static const std::map<std::string, uint32_t> t = {
      {"SCMP_ACT_KILL", SCMP_ACT_KILL},
      {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
      {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
      {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
      {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)},
      {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0)},
      {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
      {"SCMP_ACT_LOG", SCMP_ACT_LOG},
      {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY},
  };
  return t;
}

const std::map<std::string, scmp_compare>& op_table() {
  static const std::map<std::string, scmp_compare> t = {
      {"SCMP_CMP_NE", SCMP_CMP_NE},
      {"SCMP_CMP_LT", SCMP_CMP_LT},
      {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ},
      {"SCMP_CMP_GE", SCMP_CMP_GE},
      {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
  };
  return t;
}

const std::map<std::string, unsigned>& flag_table() {
  static const std::map<std::string, unsigned> t = {
      {"SECCOMP_FILTER_FLAG_TSYNC", 0},  // single-threaded init: nothing to synchronize
      {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
      {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
      {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 1u << 5},
  };
  return t;
}

uint32_t action(const std::string& name, std::optional<uint32_t> errno_ret,
                const std::string& field) {
  auto it = action_table().find(name);
  if (it == action_table().end()) throw Error(field + ": unknown action \"" + name + "\"");
  uint32_t a = it->second;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(errno_ret.value_or(EPERM));
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(errno_ret.value_or(EPERM));
  return a;
}

std::vector<unsigned char> export_ctx(void* ctx) {
  int fd = ::memfd_create("seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0) throw_sys("memfd_create for the seccomp program");
  UniqueFd mem(fd);
  if (int rc = seccomp_export_bpf(ctx, fd); rc < 0)
    throw sys_error("export the seccomp program", -rc);
  off_t size = ::lseek(fd, 0, SEEK_END);
  std::vector<unsigned char> out(static_cast<size_t>(size));
  if (::pread(fd, out.data(), out.size(), 0) != static_cast<ssize_t>(out.size()))
    throw_sys("read the seccomp program");
  return out;
}

}  // namespace

Filter build(const oci::Seccomp& spec, std::vector<std::string>* skipped) {
  const std::string base = "linux.seccomp";
  uint32_t def = action(spec.default_action, spec.default_errno_ret, base + ".defaultAction");
  Filter f;
  f.impl_->notify = spec.default_action == "SCMP_ACT_NOTIFY";
  for (const auto& s : spec.syscalls) f.impl_->notify |= s.action == "SCMP_ACT_NOTIFY";
  if (f.impl_->notify && seccomp_api_get() < 5)
    throw Error(base + ": SCMP_ACT_NOTIFY needs libseccomp API level 5 (have " +
                std::to_string(seccomp_api_get()) + ")");
  Ctx ctx(seccomp_init(def), [](void* c) { seccomp_release(c); });
  if (!ctx)
    throw Error(base + ".defaultAction: libseccomp refused \"" + spec.default_action + "\"");
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  for (size_t i = 0; i < spec.architectures.size(); ++i) {
    uint32_t a = arch_from_name(spec.architectures[i]);
    std::string field = base + ".architectures[" + std::to_string(i) + "]";
    if (!a) throw Error(field + ": unknown architecture \"" + spec.architectures[i] + "\"");
    int rc = seccomp_arch_add(ctx.get(), a);
    if (rc < 0 && rc != -EEXIST) throw sys_error(field + ": add " + spec.architectures[i], -rc);
  }
  for (size_t i = 0; i < spec.flags.size(); ++i) {
    auto it = flag_table().find(spec.flags[i]);
    if (it == flag_table().end())
      throw Error(base + ".flags[" + std::to_string(i) + "]: unknown flag \"" + spec.flags[i] +
                  "\"");
    f.impl_->flags |= it->second;
  }
  for (size_t i = 0; i < spec.syscalls.size(); ++i) {
    const auto& sc = spec.syscalls[i];
    std::string field = base + ".syscalls[" + std::to_string(i) + "]";
    uint32_t act = action(sc.action, sc.errno_ret, field + ".action");
    std::vector<scmp_arg_cmp> cmps;
    std::map<unsigned, int> per_index;
    for (size_t j = 0; j < sc.args.size(); ++j) {
      const auto& a = sc.args[j];
      auto op = op_table().find(a.op);
      if (op == op_table().end())
        throw Error(field + ".args[" + std::to_string(j) + "].op: unknown operator \"" + a.op +
                    "\"");
      if (a.index > 5)
        throw Error(field + ".args[" + std::to_string(j) + "].index: must be between 0 and 5");
      cmps.push_back(scmp_arg_cmp{a.index, op->second, a.value, a.value_two});
      ++per_index[a.index];
    }
    if (act == def) continue;  // libseccomp refuses rules equal to the default (runc skips them)
    bool same_index = false;
    for (auto& [idx, n] : per_index) same_index |= n > 1;
    for (const auto& name : sc.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        if (skipped) skipped->push_back(name);
        continue;
      }
      auto add = [&](unsigned n, const scmp_arg_cmp* c) {
        int rc = seccomp_rule_add_array(ctx.get(), act, nr, n, c);
        if (rc < 0) throw sys_error(field + ": add rule for " + name, -rc);
      };
      if (cmps.empty()) {
        add(0, nullptr);
      } else if (same_index) {
        // Several conditions on one argument: any of them matches (one rule each), as runc.
        for (const auto& c : cmps) add(1, &c);
      } else {
        add(static_cast<unsigned>(cmps.size()), cmps.data());
      }
    }
  }
  f.impl_->bpf = export_ctx(ctx.get());
  return f;
}

}  // namespace nucleus::seccomp
