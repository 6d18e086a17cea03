// linux.seccomp -> BPF, compiled by libseccomp and loaded with seccomp(2) directly, so every
// SECCOMP_FILTER_FLAG_* the kernel has can be used (libseccomp 2.5 lacks WAIT_KILLABLE_RECV),
// an -ENOSYS stub can be put in front of libseccomp's program (as runc's patchbpf does), and a
// compiled program is plain bytes (cacheable by profile digest).
#include "seccomp/filter.hpp"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <map>

#include "seccomp/info.hpp"
#include "seccomp/names.hpp"
#include "util/error.hpp"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

namespace nucleus::seccomp {

struct Filter::Impl {
  std::vector<unsigned char> bpf;  // struct sock_filter[], host byte order
  unsigned flags = 0;              // SECCOMP_FILTER_FLAG_*
  bool notify = false;
  size_t stub_len = 0;  // instructions of the -ENOSYS stub at the start of `bpf`
};

Filter::Filter() : impl_(std::make_unique<Impl>()) {}
Filter::~Filter() = default;
Filter::Filter(Filter&&) noexcept = default;
Filter& Filter::operator=(Filter&&) noexcept = default;

bool Filter::uses_notify() const {
  return impl_ && impl_->notify;
}
unsigned Filter::load_flags() const {
  return impl_->flags | (impl_->notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
}
size_t Filter::enosys_stub_length() const {
  return impl_->stub_len;
}
std::vector<unsigned char> Filter::export_bpf() const {
  return impl_->bpf;
}

std::string Filter::serialize() const {
  // "NSF1" flags notify stub_len, then the program.
  std::string out = "NSF1";
  auto put = [&](uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); };
  put(impl_->flags);
  put(impl_->notify ? 1 : 0);
  put(impl_->stub_len);
  out.append(reinterpret_cast<const char*>(impl_->bpf.data()), impl_->bpf.size());
  return out;
}

std::optional<Filter> Filter::deserialize(std::string_view b) {
  constexpr size_t kHeader = 4 + 3 * sizeof(uint64_t);
  if (b.size() < kHeader || b.substr(0, 4) != "NSF1") return std::nullopt;
  uint64_t v[3];
  std::memcpy(v, b.data() + 4, sizeof v);
  size_t len = b.size() - kHeader;
  if (len == 0 || len % sizeof(sock_filter) != 0 || len / sizeof(sock_filter) > BPF_MAXINSNS ||
      v[1] > 1 || v[2] > len / sizeof(sock_filter))
    return std::nullopt;
  Filter f;
  f.impl_->flags = static_cast<unsigned>(v[0]);
  f.impl_->notify = v[1] == 1;
  f.impl_->stub_len = v[2];
  f.impl_->bpf.resize(len);
  std::memcpy(f.impl_->bpf.data(), b.data() + kHeader, len);
  return f;
}

UniqueFd Filter::load() const {
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(impl_->bpf.size() / sizeof(sock_filter));
  prog.filter = reinterpret_cast<sock_filter*>(impl_->bpf.data());
  long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, load_flags(), &prog);
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
      // libseccomp-golang always syncs threads, so runc ignores it; our init is single-threaded
      // when it loads the filter, so there is nothing to synchronize either.
      {"SECCOMP_FILTER_FLAG_TSYNC", 0},
      {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
      {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
      {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
  };
  return t;
}

uint32_t action(const std::string& name, std::optional<uint32_t> errno_ret,
                const std::string& field) {
  auto it = action_table().find(name);
  if (it == action_table().end()) throw Error(field + ": unknown action \"" + name + "\"");
  // runc: ERRNO and TRACE without errnoRet return EPERM (TRACE: as the tracer's message).
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(errno_ret.value_or(EPERM));
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(errno_ret.value_or(EPERM));
  return it->second;
}

std::vector<unsigned char> export_ctx(void* ctx) {
  int fd = ::memfd_create("seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0) throw_sys("memfd_create for the seccomp program");
  UniqueFd mem(fd);
  if (int rc = seccomp_export_bpf(ctx, fd); rc < 0)
    throw sys_error("export the seccomp program", -rc);
  off_t size = ::lseek(fd, 0, SEEK_END);
  if (size < 0) throw_sys("size the seccomp program");
  std::vector<unsigned char> out(static_cast<size_t>(size));
  if (::pread(fd, out.data(), out.size(), 0) != static_cast<ssize_t>(out.size()))
    throw_sys("read the seccomp program");
  return out;
}

// The kernel's AUDIT_ARCH_* for a libseccomp arch token: the same value, except x32, whose
// processes report AUDIT_ARCH_X86_64 with bit 30 set in the syscall number.
uint32_t audit_arch(uint32_t token) {
  return token == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : token;
}

constexpr uint32_t kX32Bit = 0x40000000;

// The -ENOSYS stub (runc's patchbpf behaviour, written here from scratch). With a
// non-permissive default action, a syscall the profile has never heard of (newer than every
// syscall it names) would get the default action, EPERM say, and glibc would not fall back
// (clone3 -> clone, faccessat2 -> faccessat, ...). So for each arch in the filter, syscall
// numbers above the largest one the profile names return ENOSYS, as on an older kernel; the rest
// go on to libseccomp's program. `max_nr` maps arch token -> largest named syscall number.
std::vector<sock_filter> enosys_stub(const std::map<uint32_t, uint32_t>& max_nr) {
  std::map<uint32_t, std::map<uint32_t, uint32_t>> by_audit;  // audit arch -> token -> max
  for (auto [token, max] : max_nr) by_audit[audit_arch(token)][token] = max;

  const sock_filter ret_enosys = BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ERRNO(ENOSYS));
  std::vector<sock_filter> stub;
  std::vector<size_t> to_filter;  // `ja` instructions to point at the end of the stub
  stub.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
  for (const auto& [audit, maxes] : by_audit) {
    std::vector<sock_filter> blk;
    std::vector<size_t> blk_ja;
    auto ja_filter = [&] {
      blk_ja.push_back(blk.size());
      blk.push_back(BPF_STMT(BPF_JMP | BPF_JA, 0));
    };
    // nr > max -> ENOSYS, else the filter. s390(x): unknown "large" syscalls arrive as
    // setup(2) = 0 through the multiplexer, which nothing uses otherwise: ENOSYS too.
    auto check = [&](uint32_t max, bool s390) {
      if (s390) blk.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0));
      blk.push_back(BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, max, 1, 0));
      ja_filter();
      blk.push_back(ret_enosys);
    };
    blk.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
    if (audit == AUDIT_ARCH_X86_64) {
      auto m64 = maxes.find(SCMP_ARCH_X86_64);
      auto m32 = maxes.find(SCMP_ARCH_X32);
      size_t jset = blk.size();
      blk.push_back(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, kX32Bit, 0, 0));
      if (m64 != maxes.end()) {
        check(m64->second, false);
      } else {
        ja_filter();
      }
      blk[jset].jt = static_cast<unsigned char>(blk.size() - jset - 1);
      if (m32 != maxes.end()) {
        check(m32->second, false);
      } else {
        ja_filter();
      }
    } else {
      bool s390 = audit == AUDIT_ARCH_S390 || audit == AUDIT_ARCH_S390X;
      check(maxes.begin()->second, s390);
    }
    // Not this arch: skip the block (blocks are a few instructions: jf fits in 8 bits).
    stub.push_back(
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, audit, 0, static_cast<unsigned char>(blk.size())));
    size_t base = stub.size();
    stub.insert(stub.end(), blk.begin(), blk.end());
    for (size_t i : blk_ja) to_filter.push_back(base + i);
  }
  // Other arches fall through into libseccomp's program (its bad-arch action).
  for (size_t i : to_filter) stub[i].k = static_cast<uint32_t>(stub.size() - i - 1);
  return stub;
}

bool permissive(const std::string& action) {
  // runc: TRACE counts as permissive, a tracer should handle new syscalls itself.
  return action == "SCMP_ACT_ALLOW" || action == "SCMP_ACT_LOG" || action == "SCMP_ACT_TRACE";
}

}  // namespace

Filter build(const oci::Seccomp& spec, std::vector<std::string>* skipped) {
  const std::string base = "linux.seccomp";
  uint32_t def = action(spec.default_action, spec.default_errno_ret, base + ".defaultAction");
  // As runc: the init would block on its own calls before the agent has the listener.
  if (spec.default_action == "SCMP_ACT_NOTIFY")
    throw Error(base + ".defaultAction: SCMP_ACT_NOTIFY cannot be used as the default action");
  Filter f;
  for (size_t i = 0; i < spec.syscalls.size(); ++i) {
    const auto& s = spec.syscalls[i];
    if (s.action != "SCMP_ACT_NOTIFY") continue;
    f.impl_->notify = true;
    for (size_t j = 0; j < s.names.size(); ++j)
      if (s.names[j] == "write")
        throw Error(base + ".syscalls[" + std::to_string(i) + "].names[" + std::to_string(j) +
                    "]: SCMP_ACT_NOTIFY cannot be used for the write syscall");
  }
  if (f.impl_->notify && seccomp_api_get() < 5)
    throw Error(base + ": SCMP_ACT_NOTIFY needs libseccomp API level 5 (have " +
                std::to_string(seccomp_api_get()) + ")");

  Ctx ctx(seccomp_init(def), [](void* c) { seccomp_release(c); });
  if (!ctx)
    throw Error(base + ".defaultAction: libseccomp refused \"" + spec.default_action + "\"");
  // The runtime sets no_new_privs itself, when process.noNewPrivileges says so.
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0); rc < 0)
    throw sys_error(base + ": clear the no_new_privs attribute", -rc);
  // As runc: a binary tree of syscalls for long profiles (libseccomp <= 2.5.4 misbehaves with
  // it and no rules at all, hence the threshold). It counts syscall names, as runc's (one entry
  // per name) does: Docker's profile is ~20 rules but ~380 names. The tree also makes the
  // kernel's load cheaper (its per-syscall action cache emulates the filter for every number).
  size_t names = 0;
  for (const auto& s : spec.syscalls) names += s.names.size();
  if (names > 32) seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);

  std::vector<uint32_t> arches = {native_arch()};  // libseccomp always keeps the native arch
  for (size_t i = 0; i < spec.architectures.size(); ++i) {
    uint32_t a = arch_from_name(spec.architectures[i]);
    std::string field = base + ".architectures[" + std::to_string(i) + "]";
    if (!a) throw Error(field + ": unknown architecture \"" + spec.architectures[i] + "\"");
    int rc = seccomp_arch_add(ctx.get(), a);
    if (rc == -EEXIST) continue;
    if (rc == -EDOM)  // libseccomp: one filter, one byte order
      throw Error(field + ": \"" + spec.architectures[i] + "\" has another byte order than " +
                  arch_name(native_arch()));
    if (rc < 0) throw sys_error(field + ": add " + spec.architectures[i], -rc);
    arches.push_back(a);
  }

  for (size_t i = 0; i < spec.flags.size(); ++i) {
    std::string field = base + ".flags[" + std::to_string(i) + "]";
    auto it = flag_table().find(spec.flags[i]);
    if (it == flag_table().end()) throw Error(field + ": unknown flag \"" + spec.flags[i] + "\"");
    if (!it->second) continue;
    if (!flag_supported(spec.flags[i]))
      throw Error(field + ": " + spec.flags[i] + " is not supported by the running kernel");
    // The kernel only takes WAIT_KILLABLE_RECV with a listener; without SCMP_ACT_NOTIFY it has
    // nothing to act on and is dropped (as libseccomp 2.6 does).
    if (it->second == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && !f.impl_->notify) continue;
    f.impl_->flags |= it->second;
  }

  bool default_enosys = spec.default_action == "SCMP_ACT_ERRNO" && def == SCMP_ACT_ERRNO(ENOSYS);
  bool want_stub = !permissive(spec.default_action) && !default_enosys;
  std::map<uint32_t, uint32_t> max_nr;  // arch token -> largest syscall the profile names
  for (size_t i = 0; i < spec.syscalls.size(); ++i) {
    const auto& sc = spec.syscalls[i];
    std::string field = base + ".syscalls[" + std::to_string(i) + "]";
    uint32_t act = action(sc.action, sc.errno_ret, field + ".action");
    std::vector<scmp_arg_cmp> cmps;
    unsigned per_index[6] = {};
    for (size_t j = 0; j < sc.args.size(); ++j) {
      const auto& a = sc.args[j];
      std::string afield = field + ".args[" + std::to_string(j) + "]";
      auto op = op_table().find(a.op);
      if (op == op_table().end()) throw Error(afield + ".op: unknown operator \"" + a.op + "\"");
      if (a.index > 5) throw Error(afield + ".index: must be between 0 and 5");
      cmps.push_back(scmp_arg_cmp{a.index, op->second, a.value, a.value_two});
      ++per_index[a.index];
    }
    for (size_t j = 0; j < sc.names.size(); ++j) {
      if (sc.names[j].empty())
        throw Error(field + ".names[" + std::to_string(j) + "]: empty syscall name");
      if (!want_stub) continue;
      for (uint32_t arch : arches) {
        int nr = seccomp_syscall_resolve_name_arch(arch, sc.names[j].c_str());
        if (nr >= 0 && (!max_nr.count(arch) || static_cast<uint32_t>(nr) > max_nr[arch]))
          max_nr[arch] = static_cast<uint32_t>(nr);
      }
    }
    if (act == def) continue;  // libseccomp refuses rules equal to the default (runc skips them)
    bool same_index = false;
    for (unsigned n : per_index) same_index |= n > 1;
    for (const auto& name : sc.names) {
      // Negative pseudo-numbers (socketcall on x86_64) are fine: libseccomp adds those rules on
      // the arches that have the syscall.
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        if (skipped) skipped->push_back(name);
        continue;
      }
      auto add = [&](unsigned n, const scmp_arg_cmp* c) {
        int rc = seccomp_rule_add_array(ctx.get(), act, nr, n, c);
        if (rc < 0) throw sys_error(field + ": add the rule for " + name, -rc);
      };
      if (cmps.empty()) {
        add(0, nullptr);
      } else if (same_index) {
        // Several conditions on one argument: any of them matches (one rule each), as runc.
        for (const auto& c : cmps) add(1, &c);
      } else {
        add(static_cast<unsigned>(cmps.size()), cmps.data());  // all of them (AND)
      }
    }
  }

  std::vector<unsigned char> prog = export_ctx(ctx.get());
  if (want_stub && !max_nr.empty()) {
    std::vector<sock_filter> stub = enosys_stub(max_nr);
    if (stub.size() + prog.size() / sizeof(sock_filter) > BPF_MAXINSNS)
      throw Error(base + ": the seccomp program is too long (more than " +
                  std::to_string(BPF_MAXINSNS) + " instructions)");
    f.impl_->stub_len = stub.size();
    const auto* bytes = reinterpret_cast<const unsigned char*>(stub.data());
    prog.insert(prog.begin(), bytes, bytes + stub.size() * sizeof(sock_filter));
  }
  f.impl_->bpf = std::move(prog);
  return f;
}

}  // namespace nucleus::seccomp
