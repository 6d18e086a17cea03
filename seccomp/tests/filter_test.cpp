#define BOOST_TEST_MODULE seccomp
#define BOOST_TEST_DYN_LINK
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cerrno>

#include "oci/config.hpp"
#include "seccomp/filter.hpp"
#include "seccomp/info.hpp"
#include "seccomp/names.hpp"
#include "util/error.hpp"

namespace sc = nucleus::seccomp;
using nucleus::oci::Seccomp;
using nucleus::oci::SeccompArg;
using nucleus::oci::SeccompSyscall;

namespace {

constexpr int kDenied = 77;  // errnoRet of the rules under test

// Runs body in a forked child with the filter loaded (no_new_privs set first); returns the wait
// status. After load() the child only makes the syscalls the body makes, then exit_group.
template <class F>
int in_child(const sc::Filter& built, F body) {
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    try {
      built.load().release();
    } catch (...) {
      _exit(99);
    }
    _exit(body());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}
template <class F>
int in_child(const Seccomp& spec, F body) {
  return in_child(sc::build(spec), body);
}

bool exited_ok(int st) {
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}
bool killed_by_sigsys(int st) {
  return WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS;
}

SeccompSyscall rule(std::vector<std::string> names, const std::string& action,
                    std::optional<uint32_t> err = std::nullopt, std::vector<SeccompArg> args = {}) {
  SeccompSyscall c;
  c.names = std::move(names);
  c.action = action;
  c.errno_ret = err;
  c.args = std::move(args);
  return c;
}

Seccomp allow_all_but(const std::string& name, const std::string& action,
                      std::optional<uint32_t> err = std::nullopt) {
  Seccomp s;
  s.default_action = "SCMP_ACT_ALLOW";
  s.syscalls.push_back(rule({name}, action, err));
  return s;
}

std::string error_of(const Seccomp& s) {
  try {
    sc::build(s);
  } catch (const nucleus::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("not a nucleus::Error: ") + e.what();
  }
  return "";
}

// close(fd) on fds that are not open: EBADF when allowed, kDenied when the filter denies it.
int close_errno(long fd) {
  return syscall(SYS_close, fd) == -1 ? errno : 0;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

// ---- actions, enforced ----

BOOST_AUTO_TEST_CASE(errno_action_with_errno_ret) {
  int st = in_child(allow_all_but("getcwd", "SCMP_ACT_ERRNO", 38), [] {
    char buf[64];
    return (getcwd(buf, sizeof buf) == nullptr && errno == 38) ? 0 : 1;
  });
  BOOST_TEST(exited_ok(st));
}

BOOST_AUTO_TEST_CASE(errno_action_defaults_to_eperm) {
  int st = in_child(allow_all_but("getcwd", "SCMP_ACT_ERRNO"), [] {
    char buf[64];
    return (getcwd(buf, sizeof buf) == nullptr && errno == EPERM) ? 0 : 1;
  });
  BOOST_TEST(exited_ok(st));
}

BOOST_AUTO_TEST_CASE(kill_actions_kill_with_sigsys) {
  for (const char* a : {"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD"}) {
    BOOST_TEST_CONTEXT(a) {
      int st = in_child(allow_all_but("getppid", a), [] {
        getppid();
        return 0;
      });
      BOOST_TEST(killed_by_sigsys(st));
    }
  }
}

BOOST_AUTO_TEST_CASE(trap_action_raises_sigsys) {
  int st = in_child(allow_all_but("getppid", "SCMP_ACT_TRAP"), [] {
    getppid();
    return 0;
  });
  BOOST_TEST(killed_by_sigsys(st));  // default SIGSYS disposition: terminate
}

BOOST_AUTO_TEST_CASE(log_action_lets_the_call_run) {
  int st = in_child(allow_all_but("getcwd", "SCMP_ACT_LOG"), [] {
    char buf[256];
    return getcwd(buf, sizeof buf) != nullptr ? 0 : 1;
  });
  BOOST_TEST(exited_ok(st));
}

BOOST_AUTO_TEST_CASE(trace_action_without_a_tracer_is_enosys) {
  int st = in_child(allow_all_but("getcwd", "SCMP_ACT_TRACE"), [] {
    char buf[64];
    return (getcwd(buf, sizeof buf) == nullptr && errno == ENOSYS) ? 0 : 1;
  });
  BOOST_TEST(exited_ok(st));
  BOOST_CHECK_NO_THROW(sc::build(allow_all_but("getcwd", "SCMP_ACT_TRACE", 42)));
}

BOOST_AUTO_TEST_CASE(default_errno_ret_and_allow_rules) {
  Seccomp s;
  s.default_action = "SCMP_ACT_ERRNO";
  s.default_errno_ret = kDenied;
  s.syscalls.push_back(rule({"exit_group", "exit", "getppid"}, "SCMP_ACT_ALLOW"));
  int st = in_child(s, [] {
    bool allowed = getppid() > 0;
    bool denied = syscall(SYS_getpid) == -1 && errno == kDenied;  // 39 < exit_group (231)
    return allowed && denied ? 0 : 1;
  });
  BOOST_TEST(exited_ok(st));
}

BOOST_AUTO_TEST_CASE(kill_default_with_allow_rules) {
  Seccomp s;
  s.default_action = "SCMP_ACT_KILL_PROCESS";
  s.syscalls.push_back(rule({"exit_group", "getppid"}, "SCMP_ACT_ALLOW"));
  BOOST_TEST(exited_ok(in_child(s, [] { return getppid() > 0 ? 0 : 1; })));
  BOOST_TEST(killed_by_sigsys(in_child(s, [] {
    syscall(SYS_getpid);
    return 0;
  })));
}

// ---- rules equal to the default, unknown names ----

BOOST_AUTO_TEST_CASE(rules_equal_to_the_default_are_skipped) {
  Seccomp s;
  s.default_action = "SCMP_ACT_ERRNO";                       // EPERM
  s.syscalls.push_back(rule({"getcwd"}, "SCMP_ACT_ERRNO"));  // == default: libseccomp refuses it
  s.syscalls.push_back(rule({"getppid"}, "SCMP_ACT_ERRNO", EPERM));
  s.syscalls.push_back(rule({"exit_group"}, "SCMP_ACT_ALLOW"));
  BOOST_CHECK_NO_THROW(sc::build(s));
  s = allow_all_but("getcwd", "SCMP_ACT_ALLOW");
  s.syscalls.push_back(rule({"getppid"}, "SCMP_ACT_KILL"));
  s.default_action = "SCMP_ACT_KILL_THREAD";  // the same action as SCMP_ACT_KILL
  BOOST_CHECK_NO_THROW(sc::build(s));
  // A different errno is a different action: that rule stays.
  s = allow_all_but("getcwd", "SCMP_ACT_ERRNO", 38);
  s.default_action = "SCMP_ACT_ERRNO";
  s.syscalls.push_back(rule({"exit_group"}, "SCMP_ACT_ALLOW"));
  BOOST_TEST(exited_ok(in_child(s, [] {
    char buf[64];
    return (getcwd(buf, sizeof buf) == nullptr && errno == 38) ? 0 : 1;
  })));
}

BOOST_AUTO_TEST_CASE(unknown_names_are_skipped_and_reported) {
  Seccomp s = allow_all_but("getcwd", "SCMP_ACT_ERRNO");
  s.syscalls[0].names.push_back("no_such_syscall");
  s.syscalls.push_back(rule({"another_unknown"}, "SCMP_ACT_KILL"));
  std::vector<std::string> skipped;
  sc::build(s, &skipped);
  BOOST_TEST(skipped == (std::vector<std::string>{"no_such_syscall", "another_unknown"}),
             boost::test_tools::per_element());
  BOOST_CHECK_NO_THROW(sc::build(s));  // no list: still fine
}

// ---- arguments ----

BOOST_AUTO_TEST_CASE(argument_filter) {
  Seccomp s = allow_all_but("personality", "SCMP_ACT_ERRNO", 1);
  s.syscalls[0].args.push_back({0, 0xffffffff, 0, "SCMP_CMP_EQ"});
  int st = in_child(s, [] {
    bool query_denied = personality(0xffffffff) == -1 && errno == 1;
    bool set_ok = personality(PER_LINUX) != -1;
    return query_denied && set_ok ? 0 : 1;
  });
  BOOST_TEST(exited_ok(st));
}

BOOST_AUTO_TEST_CASE(masked_eq_operator) {
  Seccomp s = allow_all_but("personality", "SCMP_ACT_ERRNO", 1);
  s.syscalls[0].args.push_back({0, 0xff, 0x08, "SCMP_CMP_MASKED_EQ"});  // PER_LINUX32 = 0x08
  int st = in_child(s, [] {
    bool denied = personality(0x0008) == -1 && errno == 1;
    bool ok = personality(PER_LINUX) != -1;
    return denied && ok ? 0 : 1;
  });
  BOOST_TEST(exited_ok(st));
}

BOOST_AUTO_TEST_CASE(each_operator) {
  // close(999|1000|1001) with a rule "deny when arg0 <op> 1000"; D = denied, a = EBADF.
  struct Case {
    const char* op;
    uint64_t value, value_two;
    const char* expect;  // for 999, 1000, 1001
  } cases[] = {
      {"SCMP_CMP_NE", 1000, 0, "DaD"},         {"SCMP_CMP_LT", 1000, 0, "Daa"},
      {"SCMP_CMP_LE", 1000, 0, "DDa"},         {"SCMP_CMP_EQ", 1000, 0, "aDa"},
      {"SCMP_CMP_GE", 1000, 0, "aDD"},         {"SCMP_CMP_GT", 1000, 0, "aaD"},
      {"SCMP_CMP_MASKED_EQ", 0xf, 0x8, "aDa"},  // 999&15 = 7, 1000&15 = 8, 1001&15 = 9
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.op) {
      Seccomp s = allow_all_but("close", "SCMP_ACT_ERRNO", kDenied);
      s.syscalls[0].args.push_back({0, c.value, c.value_two, c.op});
      std::string expect = c.expect;
      int st = in_child(s, [&] {
        for (int i = 0; i < 3; ++i) {
          int e = close_errno(999 + i);
          if (e != (expect[i] == 'D' ? kDenied : EBADF)) return 10 + i;
        }
        return 0;
      });
      BOOST_TEST(WIFEXITED(st));
      BOOST_TEST(WEXITSTATUS(st) == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(different_indexes_are_and) {
  // dup2(1000, 5) denied; dup2(1000, 6) and dup2(999, 5) reach the kernel (EBADF: 1000 is closed)
  Seccomp s = allow_all_but("dup2", "SCMP_ACT_ERRNO", kDenied);
  s.syscalls[0].args = {{0, 1000, 0, "SCMP_CMP_EQ"}, {1, 5, 0, "SCMP_CMP_EQ"}};
  int st = in_child(s, [] {
    auto dup2_errno = [](long a, long b) { return syscall(SYS_dup2, a, b) == -1 ? errno : 0; };
    if (dup2_errno(1000, 5) != kDenied) return 1;
    if (dup2_errno(1000, 6) != EBADF) return 2;
    if (dup2_errno(999, 5) != EBADF) return 3;
    return 0;
  });
  BOOST_TEST(WIFEXITED(st));
  BOOST_TEST(WEXITSTATUS(st) == 0);
}

BOOST_AUTO_TEST_CASE(same_index_is_or) {
  Seccomp s = allow_all_but("close", "SCMP_ACT_ERRNO", kDenied);
  s.syscalls[0].args = {{0, 1000, 0, "SCMP_CMP_EQ"}, {0, 1001, 0, "SCMP_CMP_EQ"}};
  int st = in_child(s, [] {
    if (close_errno(1000) != kDenied) return 1;
    if (close_errno(1001) != kDenied) return 2;
    if (close_errno(999) != EBADF) return 3;
    return 0;
  });
  BOOST_TEST(WIFEXITED(st));
  BOOST_TEST(WEXITSTATUS(st) == 0);
}

// ---- architectures and flags ----

BOOST_AUTO_TEST_CASE(architectures) {
  Seccomp s = allow_all_but("getcwd", "SCMP_ACT_ERRNO");
  size_t native_only = sc::build(s).export_bpf().size();
  s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  s.syscalls.push_back(rule({"socketcall"}, "SCMP_ACT_ERRNO"));  // exists on x86 only
  std::vector<std::string> skipped;
  sc::Filter f = sc::build(s, &skipped);
  BOOST_TEST(skipped.empty());
  BOOST_TEST(f.export_bpf().size() > native_only);
  // The native arch stays even when the list leaves it out; the filter still works.
  s.architectures = {"SCMP_ARCH_X86"};
  BOOST_TEST(exited_ok(in_child(s, [] {
    char buf[64];
    return (getcwd(buf, sizeof buf) == nullptr && errno == EPERM) ? 0 : 1;
  })));
  s.architectures = {"SCMP_ARCH_AARCH64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64",
                     "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_ARM"};
  BOOST_TEST(error_of(s) == "");
  s.architectures = {"SCMP_ARCH_X86", "SCMP_ARCH_S390X"};  // big-endian: libseccomp refuses
  BOOST_TEST(error_of(s) ==
             "linux.seccomp.architectures[1]: \"SCMP_ARCH_S390X\" has another byte order than "
             "SCMP_ARCH_X86_64");
}

// The binary tree (SCMP_FLTATR_CTL_OPTIMIZE=2) is chosen by the number of syscall names, not of
// rules: Docker's default profile is ~20 rules naming ~380 syscalls, and as a linear list its
// program cost the kernel 0.8 ms to load here (0.27 ms as a tree).
BOOST_AUTO_TEST_CASE(binary_tree_counts_names_not_rules) {
  std::vector<std::string> names;
  for (int nr = 0; nr < 60; ++nr)
    if (nr != SYS_exit_group && nr != SYS_close && nr != SYS_getppid)
      if (auto n = sc::syscall_name(nr, seccomp_arch_native()); !n.empty()) names.push_back(n);
  names.push_back("exit_group");
  Seccomp one_rule;
  one_rule.default_action = "SCMP_ACT_ERRNO";
  one_rule.default_errno_ret = kDenied;
  one_rule.syscalls.push_back(rule(names, "SCMP_ACT_ALLOW"));
  Seccomp many_rules = one_rule;
  many_rules.syscalls.clear();
  for (const auto& n : names) many_rules.syscalls.push_back(rule({n}, "SCMP_ACT_ALLOW"));
  BOOST_TEST(sc::build(one_rule).export_bpf() == sc::build(many_rules).export_bpf());
  one_rule.syscalls.push_back(rule({"getppid"}, "SCMP_ACT_ERRNO", 5));
  // The tree still decides: a listed call runs, close (unlisted) gets the default errno.
  BOOST_TEST(exited_ok(in_child(one_rule, [] {
    if (syscall(SYS_getppid) != -1 || errno != 5) return 1;
    if (close_errno(-1) != kDenied) return 2;
    return syscall(SYS_getpid) > 0 ? 0 : 3;
  })));
}

BOOST_AUTO_TEST_CASE(flags) {
  Seccomp s = allow_all_but("getcwd", "SCMP_ACT_ERRNO");
  s.flags = {"SECCOMP_FILTER_FLAG_TSYNC"};
  BOOST_TEST(sc::build(s).load_flags() == 0u);
  s.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
  sc::Filter f = sc::build(s);
  BOOST_TEST(f.load_flags() == (SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW));
  BOOST_TEST(exited_ok(in_child(f, [] {
    char buf[64];
    return (getcwd(buf, sizeof buf) == nullptr && errno == EPERM) ? 0 : 1;
  })));
  // WAIT_KILLABLE_RECV only means something with a listener.
  s.flags = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  BOOST_TEST(sc::build(s).load_flags() == 0u);
  s.syscalls.push_back(rule({"getppid"}, "SCMP_ACT_NOTIFY"));
  sc::Filter n = sc::build(s);
  BOOST_TEST(n.load_flags() ==
             ((1u << 5) | SECCOMP_FILTER_FLAG_NEW_LISTENER));  // WAIT_KILLABLE_RECV
  // The kernel takes it (5.19+): load it in a child that never calls getppid.
  BOOST_TEST(exited_ok(in_child(n, [] { return 0; })));
}

// ---- errors name the field ----

BOOST_AUTO_TEST_CASE(errors_name_the_field) {
  Seccomp s = allow_all_but("getcwd", "SCMP_ACT_ERRNO");
  s.syscalls.push_back(rule({"getppid"}, "SCMP_ACT_ALLOW"));
  s.syscalls.push_back(rule({"getpid"}, "SCMP_ACT_ALLOW"));
  s.syscalls.push_back(rule({"getcwd"}, "SCMP_ACT_FOO"));
  BOOST_TEST(error_of(s) == "linux.seccomp.syscalls[3].action: unknown action \"SCMP_ACT_FOO\"");

  s = allow_all_but("getcwd", "SCMP_ACT_ERRNO");
  s.default_action = "SCMP_ACT_BAR";
  BOOST_TEST(error_of(s) == "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_BAR\"");

  s = allow_all_but("getcwd", "SCMP_ACT_ERRNO");
  s.syscalls[0].args = {{0, 1, 0, "SCMP_CMP_EQ"}, {1, 1, 0, "SCMP_CMP_BOGUS"}};
  BOOST_TEST(error_of(s) ==
             "linux.seccomp.syscalls[0].args[1].op: unknown operator \"SCMP_CMP_BOGUS\"");
  s.syscalls[0].args = {{6, 1, 0, "SCMP_CMP_EQ"}};
  BOOST_TEST(error_of(s) == "linux.seccomp.syscalls[0].args[0].index: must be between 0 and 5");

  s = allow_all_but("getcwd", "SCMP_ACT_ERRNO");
  s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_FOO"};
  BOOST_TEST(error_of(s) ==
             "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_FOO\"");
  s.architectures = {"x86_64"};
  BOOST_TEST(error_of(s) == "linux.seccomp.architectures[0]: unknown architecture \"x86_64\"");

  s.architectures.clear();
  s.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_BOGUS"};
  BOOST_TEST(error_of(s) == "linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_BOGUS\"");
  s.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
  BOOST_TEST(error_of(s) == "");

  s = allow_all_but("getcwd", "SCMP_ACT_ERRNO");
  s.syscalls[0].names = {"getcwd", ""};
  BOOST_TEST(error_of(s) == "linux.seccomp.syscalls[0].names[1]: empty syscall name");
}

BOOST_AUTO_TEST_CASE(notify_restrictions_as_runc) {
  Seccomp s = allow_all_but("getcwd", "SCMP_ACT_ERRNO");
  s.default_action = "SCMP_ACT_NOTIFY";
  BOOST_TEST(error_of(s) ==
             "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be used as the default action");
  s = allow_all_but("read", "SCMP_ACT_NOTIFY");
  s.syscalls[0].names.push_back("write");
  BOOST_TEST(error_of(s) ==
             "linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for the write "
             "syscall");
}

// ---- notify ----

BOOST_AUTO_TEST_CASE(notify_gives_a_listener_and_continue_works) {
  Seccomp s = allow_all_but("getppid", "SCMP_ACT_NOTIFY");
  sc::Filter f = sc::build(s);
  BOOST_TEST(f.uses_notify());
  BOOST_TEST((f.load_flags() & SECCOMP_FILTER_FLAG_NEW_LISTENER) != 0u);
  int sv[2];
  BOOST_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    nucleus::UniqueFd l = f.load();
    int fd = l.get();
    if (write(sv[1], &fd, sizeof fd) != sizeof fd) _exit(3);
    // The supervisor (parent) takes the fd with pidfd_getfd; then this call is answered.
    _exit(getppid() > 0 ? 0 : 2);
  }
  int fdnum = -1;
  BOOST_REQUIRE(read(sv[0], &fdnum, sizeof fdnum) == sizeof fdnum);
  BOOST_TEST(fdnum >= 0);
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  int listener = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, fdnum, 0));
  BOOST_REQUIRE(listener >= 0);
  seccomp_notif* req;
  seccomp_notif_resp* resp;
  BOOST_REQUIRE(seccomp_notify_alloc(&req, &resp) == 0);
  BOOST_REQUIRE(seccomp_notify_receive(listener, req) == 0);
  BOOST_TEST(req->data.nr == seccomp_syscall_resolve_name("getppid"));
  BOOST_TEST(req->pid == static_cast<uint32_t>(pid));
  resp->id = req->id;
  resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  BOOST_TEST(seccomp_notify_respond(listener, resp) == 0);
  seccomp_notify_free(req, resp);
  int st = 0;
  waitpid(pid, &st, 0);
  BOOST_TEST(exited_ok(st));
  close(listener);
  close(pidfd);
  close(sv[0]);
  close(sv[1]);
}

// ---- the -ENOSYS stub ----

BOOST_AUTO_TEST_CASE(enosys_for_syscalls_newer_than_the_profile) {
  Seccomp s;
  s.default_action = "SCMP_ACT_ERRNO";
  s.syscalls.push_back(rule({"exit_group", "getppid"}, "SCMP_ACT_ALLOW"));  // max: 231
  sc::Filter f = sc::build(s);
  BOOST_TEST(f.enosys_stub_length() > 0u);
  int st = in_child(f, [] {
    if (getppid() <= 0) return 1;
    if (syscall(SYS_getpid) != -1 || errno != EPERM) return 2;  // 39: known, not allowed
    if (syscall(SYS_getrandom, nullptr, 0, 0) != -1 || errno != ENOSYS) return 3;  // 318
    if (syscall(1000) != -1 || errno != ENOSYS) return 4;
    return 0;
  });
  BOOST_TEST(WIFEXITED(st));
  BOOST_TEST(WEXITSTATUS(st) == 0);

  // Default KILL_PROCESS: newer syscalls are ENOSYS too, known ones kill.
  s.default_action = "SCMP_ACT_KILL_PROCESS";
  s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  f = sc::build(s);
  BOOST_TEST(f.enosys_stub_length() > 0u);
  st = in_child(
      f, [] { return syscall(SYS_getrandom, nullptr, 0, 0) == -1 && errno == ENOSYS ? 0 : 1; });
  BOOST_TEST(exited_ok(st));
  BOOST_TEST(killed_by_sigsys(in_child(f, [] {
    syscall(SYS_getpid);
    return 0;
  })));
  // x32 numbers (bit 30) are checked against the x32 maximum; the kernel sees them whether or
  // not it runs x32 code, and so does the filter.
  constexpr long x32 = 0x40000000;
  st = in_child(f, [] { return syscall(x32 | 500) == -1 && errno == ENOSYS ? 0 : 1; });
  BOOST_TEST(exited_ok(st));
  BOOST_TEST(killed_by_sigsys(in_child(f, [] {
    syscall(x32 | SYS_getpid);
    return 0;
  })));
}

BOOST_AUTO_TEST_CASE(no_enosys_stub_for_permissive_defaults) {
  for (const char* d : {"SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE"}) {
    Seccomp s = allow_all_but("getcwd", "SCMP_ACT_ERRNO", 38);
    s.default_action = d;
    BOOST_TEST(sc::build(s).enosys_stub_length() == 0u);
  }
  Seccomp s = allow_all_but("getcwd", "SCMP_ACT_ALLOW");
  s.default_action = "SCMP_ACT_ERRNO";
  s.default_errno_ret = ENOSYS;  // already what the stub would say
  BOOST_TEST(sc::build(s).enosys_stub_length() == 0u);
  // Allowed syscalls newer than the profile's last one still run.
  s = allow_all_but("getcwd", "SCMP_ACT_ERRNO");
  BOOST_TEST(exited_ok(in_child(s, [] {
    char b;
    return syscall(SYS_getrandom, &b, 1, GRND_NONBLOCK) == 1 ? 0 : 1;
  })));
}

// ---- names and info ----

BOOST_AUTO_TEST_CASE(names_round_trip) {
  uint32_t x64 = sc::arch_from_name("SCMP_ARCH_X86_64");
  BOOST_TEST(x64 == SCMP_ARCH_X86_64);
  BOOST_TEST(sc::native_arch() == x64);
  BOOST_TEST(sc::arch_name(x64) == "SCMP_ARCH_X86_64");
  for (const char* n : {"read", "write", "openat"})
    BOOST_TEST(sc::syscall_name(sc::syscall_number(n, x64), x64) == n);
  BOOST_TEST(sc::syscall_number("read", x64) == 0);
  BOOST_TEST(sc::syscall_name(1, x64) == "write");
  BOOST_TEST(sc::syscall_number("openat", x64) == 257);
  uint32_t x86 = sc::arch_from_name("SCMP_ARCH_X86");
  BOOST_TEST(x86 == SCMP_ARCH_X86);
  BOOST_TEST(sc::syscall_number("socketcall", x86) == 102);
  BOOST_TEST(sc::syscall_name(102, x86) == "socketcall");
  BOOST_TEST(sc::syscall_number("socketcall", x64) == -1);  // a pseudo-number there
  uint32_t x32 = sc::arch_from_name("SCMP_ARCH_X32");
  BOOST_TEST(sc::syscall_number("read", x32) == 0x40000000);
  BOOST_TEST(sc::arch_name(x32) == "SCMP_ARCH_X32");
  BOOST_TEST(sc::syscall_number("no_such", x64) == -1);
  BOOST_TEST(sc::syscall_name(100000, x64) == "");
  BOOST_TEST(sc::arch_from_name("SCMP_ARCH_BOGUS") == 0u);
  BOOST_TEST(sc::arch_from_name("x86_64") == 0u);
  BOOST_TEST(sc::arch_name(0x1234) == "SCMP_ARCH_00001234");
  BOOST_TEST(sc::compat_arches(x64).size() == 3u);
  for (const auto& n : sc::known_arch_names())
    BOOST_TEST(sc::arch_name(sc::arch_from_name(n)) == n);
}

BOOST_AUTO_TEST_CASE(info_lists) {
  auto a = sc::supported_actions();
  BOOST_TEST(a.size() == 9u);  // kernel 4.14+ and 5.0+ (notify): all of them
  BOOST_TEST(contains(a, "SCMP_ACT_NOTIFY"));
  BOOST_TEST(contains(a, "SCMP_ACT_KILL_PROCESS"));
  BOOST_TEST(sc::supported_operators().size() == 7u);
  auto archs = sc::supported_archs();
  BOOST_TEST(archs.size() == 19u);  // libseccomp 2.5.4
  BOOST_TEST(contains(archs, "SCMP_ARCH_X86_64"));
  BOOST_TEST(contains(archs, "SCMP_ARCH_RISCV64"));
  BOOST_TEST(sc::known_flags().size() == 4u);
  auto f = sc::supported_flags();
  BOOST_TEST(contains(f, "SECCOMP_FILTER_FLAG_LOG"));
  BOOST_TEST(contains(f, "SECCOMP_FILTER_FLAG_TSYNC"));
  BOOST_TEST(contains(f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"));
  BOOST_TEST(contains(f, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"));  // kernel >= 5.19
  BOOST_TEST(!sc::flag_supported("SECCOMP_FILTER_FLAG_BOGUS"));
  BOOST_TEST(sc::libseccomp_version() == "2.5.4");
}
