#define BOOST_TEST_MODULE seccomp
#define BOOST_TEST_DYN_LINK
#include <seccomp.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <boost/test/unit_test.hpp>

#include <thread>

#include "oci/config.hpp"
#include "runtime/util/error.hpp"
#include "seccomp/filter.hpp"
#include "seccomp/info.hpp"
#include "seccomp/names.hpp"

namespace sc = nucleus::seccomp;
using nucleus::oci::Seccomp;
using nucleus::oci::SeccompSyscall;

namespace {

// Runs body in a child with the filter loaded; returns the wait status.
template <class F>
int in_child(const Seccomp& spec, F body) {
  sc::Filter f = sc::build(spec);
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    try {
      f.load();
    } catch (...) {
      _exit(99);
    }
    _exit(body());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

Seccomp allow_all_but(const std::string& name, const std::string& action, uint32_t err = 0) {
  Seccomp s;
  s.default_action = "SCMP_ACT_ALLOW";
  SeccompSyscall c;
  c.names = {name};
  c.action = action;
  if (err) c.errno_ret = err;
  s.syscalls.push_back(c);
  return s;
}

std::string error_of(const Seccomp& s) {
  try {
    sc::build(s);
  } catch (const nucleus::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_CASE(errno_action_with_errno_ret) {
  int st = in_child(allow_all_but("getcwd", "SCMP_ACT_ERRNO", 38), [] {
    char buf[64];
    return (getcwd(buf, sizeof buf) == nullptr && errno == 38) ? 0 : 1;
  });
  BOOST_TEST(WIFEXITED(st));
  BOOST_TEST(WEXITSTATUS(st) == 0);
}

BOOST_AUTO_TEST_CASE(kill_process_action) {
  int st = in_child(allow_all_but("getppid", "SCMP_ACT_KILL_PROCESS"), [] {
    getppid();
    return 0;
  });
  BOOST_TEST(WIFSIGNALED(st));
  BOOST_TEST(WTERMSIG(st) == SIGSYS);
}

BOOST_AUTO_TEST_CASE(argument_filter) {
  Seccomp s = allow_all_but("personality", "SCMP_ACT_ERRNO", 1);
  s.syscalls[0].args.push_back({0, 0xffffffff, 0, "SCMP_CMP_EQ"});
  int st = in_child(s, [] {
    bool query_denied = personality(0xffffffff) == -1 && errno == 1;
    bool set_ok = personality(PER_LINUX) != -1;
    return query_denied && set_ok ? 0 : 1;
  });
  BOOST_TEST(WEXITSTATUS(st) == 0);
}

BOOST_AUTO_TEST_CASE(masked_eq_operator) {
  Seccomp s = allow_all_but("personality", "SCMP_ACT_ERRNO", 1);
  s.syscalls[0].args.push_back({0, 0xff, 0x08, "SCMP_CMP_MASKED_EQ"});  // PER_LINUX32 = 0x08
  int st = in_child(s, [] {
    bool denied = personality(0x0008) == -1 && errno == 1;
    bool ok = personality(PER_LINUX) != -1;
    return denied && ok ? 0 : 1;
  });
  BOOST_TEST(WEXITSTATUS(st) == 0);
}

BOOST_AUTO_TEST_CASE(unknown_names_are_skipped_and_reported) {
  Seccomp s = allow_all_but("getcwd", "SCMP_ACT_ERRNO");
  s.syscalls[0].names.push_back("no_such_syscall");
  std::vector<std::string> skipped;
  sc::build(s, &skipped);
  BOOST_TEST(skipped.size() == 1u);
  BOOST_TEST(skipped[0] == "no_such_syscall");
}

BOOST_AUTO_TEST_CASE(errors_name_the_field) {
  Seccomp s = allow_all_but("getcwd", "SCMP_ACT_FOO");
  BOOST_TEST(error_of(s) == "linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_FOO\"");
  s = allow_all_but("getcwd", "SCMP_ACT_ERRNO");
  s.syscalls[0].args.push_back({0, 1, 0, "SCMP_CMP_BOGUS"});
  BOOST_TEST(error_of(s) ==
             "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_BOGUS\"");
  s = allow_all_but("getcwd", "SCMP_ACT_ERRNO");
  s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_FOO"};
  BOOST_TEST(error_of(s) ==
             "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_FOO\"");
  s.architectures.clear();
  s.flags = {"SECCOMP_FILTER_FLAG_BOGUS"};
  BOOST_TEST(error_of(s) == "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_BOGUS\"");
  s.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
  BOOST_TEST(error_of(s) == "");
}

BOOST_AUTO_TEST_CASE(notify_gives_a_listener_and_continue_works) {
  Seccomp s = allow_all_but("getppid", "SCMP_ACT_NOTIFY");
  sc::Filter f = sc::build(s);
  BOOST_TEST(f.uses_notify());
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
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  int listener = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, fdnum, 0));
  BOOST_REQUIRE(listener >= 0);
  seccomp_notif* req;
  seccomp_notif_resp* resp;
  BOOST_REQUIRE(seccomp_notify_alloc(&req, &resp) == 0);
  BOOST_REQUIRE(seccomp_notify_receive(listener, req) == 0);
  BOOST_TEST(req->data.nr == seccomp_syscall_resolve_name("getppid"));
  resp->id = req->id;
  resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  BOOST_TEST(seccomp_notify_respond(listener, resp) == 0);
  seccomp_notify_free(req, resp);
  int st = 0;
  waitpid(pid, &st, 0);
  BOOST_TEST(WIFEXITED(st));
  BOOST_TEST(WEXITSTATUS(st) == 0);
  close(listener);
  close(pidfd);
}

BOOST_AUTO_TEST_CASE(names_round_trip) {
  uint32_t x64 = sc::arch_from_name("SCMP_ARCH_X86_64");
  BOOST_TEST(x64 == SCMP_ARCH_X86_64);
  BOOST_TEST(sc::arch_name(x64) == "SCMP_ARCH_X86_64");
  BOOST_TEST(sc::syscall_number("read", x64) == 0);
  BOOST_TEST(sc::syscall_name(1, x64) == "write");
  BOOST_TEST(sc::syscall_number("openat", x64) == 257);
  uint32_t x86 = sc::arch_from_name("SCMP_ARCH_X86");
  BOOST_TEST(sc::syscall_number("socketcall", x86) == 102);
  BOOST_TEST(sc::syscall_number("no_such", x64) == -1);
  BOOST_TEST(sc::arch_from_name("SCMP_ARCH_BOGUS") == 0u);
  BOOST_TEST(sc::compat_arches(x64).size() == 3u);
}

BOOST_AUTO_TEST_CASE(info_lists) {
  auto a = sc::supported_actions();
  BOOST_TEST((std::find(a.begin(), a.end(), "SCMP_ACT_NOTIFY") != a.end()));
  auto f = sc::supported_flags();
  BOOST_TEST((std::find(f.begin(), f.end(), "SECCOMP_FILTER_FLAG_LOG") != f.end()));
  BOOST_TEST(sc::libseccomp_version() == "2.5.4");
}
