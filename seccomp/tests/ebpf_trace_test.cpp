// The eBPF recorder for real: a child in a fresh cgroup v2 directory makes known syscalls
// (native, and i386 ones through int $0x80 from this 64-bit process), a grandchild too; the
// counts must be exact and the compat calls under SCMP_ARCH_X86. Needs root and cgroup v2.
#define BOOST_TEST_DYN_LINK
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <fstream>
#include <string>

#include "seccomp/ebpf_trace.hpp"
#include "seccomp/kernel_btf.hpp"
#include "seccomp/names.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace sc = nucleus::seccomp;

namespace {

// The cgroup2 mount point (/sys/fs/cgroup or, hybrid, /sys/fs/cgroup/unified).
std::string cgroup2_mount() {
  std::ifstream m("/proc/self/mounts");
  std::string dev, dir, type, rest;
  while (m >> dev >> dir >> type && std::getline(m, rest))
    if (type == "cgroup2") return dir;
  return "";
}

// A cgroup v2 directory for the test, removed at the end.
struct TestCgroup {
  std::string path;
  explicit TestCgroup(const std::string& name) {
    path = cgroup2_mount() + "/" + name + "-" + std::to_string(getpid());
    BOOST_REQUIRE_MESSAGE(mkdir(path.c_str(), 0755) == 0,
                          "mkdir " << path << ": " << strerror(errno));
  }
  ~TestCgroup() { rmdir(path.c_str()); }
};

// A child that waits for "go", moves itself into the cgroup first, then runs fn.
template <typename Fn>
pid_t child_in(const std::string& cg, int go_fd, Fn fn) {
  pid_t pid = fork();
  if (pid == 0) {
    std::string procs = cg + "/cgroup.procs";
    int fd = open(procs.c_str(), O_WRONLY);
    if (fd < 0 || write(fd, "0", 1) != 1) _exit(90);
    close(fd);
    char c;
    if (read(go_fd, &c, 1) != 1) _exit(91);
    _exit(fn());
  }
  return pid;
}

long int80(long nr, long a = 0, long b = 0, long c = 0) {
  long ret;
  asm volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
  return ret;
}

uint64_t count_of(const sc::TraceRecorder& rec, uint32_t arch, const char* name) {
  auto it = rec.entries().find({arch, sc::syscall_number(name, arch)});
  return it == rec.entries().end() ? 0 : it->second.count;
}

bool have_ia32_emulation() {
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGSEGV, SIG_DFL);  // no IA32 emulation: int $0x80 faults (not Boost's business)
    _exit(int80(20 /* i386 getpid */) == getpid() ? 0 : 1);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

}  // namespace

BOOST_AUTO_TEST_CASE(ebpf_counts_exactly_with_args_and_compat_calls) {
  if (geteuid() != 0 || cgroup2_mount().empty()) {
    BOOST_TEST_MESSAGE("SKIP: needs root and a cgroup2 hierarchy");
    return;
  }
  TestCgroup cg("nucleus-ebpf-test");
  sc::EbpfRecorder ebpf = sc::EbpfRecorder::load(cg.path);
  bool ia32 = have_ia32_emulation();
  int go[2];
  BOOST_REQUIRE(pipe2(go, O_CLOEXEC) == 0);
  pid_t pid = child_in(cg.path, go[0], [ia32] {
    for (int i = 0; i < 1000; ++i) syscall(SYS_getppid);
    for (int i = 0; i < 7; ++i) syscall(SYS_getpgid, 0);
    pid_t kid = fork();  // the grandchild: in the cgroup by inheritance
    if (kid == 0) {
      int s = socket(AF_INET6, SOCK_DGRAM, 0);
      prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
      _exit(s >= 0 ? 0 : 1);
    }
    int st = 0;
    waitpid(kid, &st, 0);
    if (ia32)
      for (int i = 0; i < 5; ++i) int80(64 /* i386 getppid */);
    syscall(SYS_personality, 0xffffffffUL);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 2;
  });
  close(go[0]);
  ebpf.start();
  BOOST_REQUIRE(write(go[1], "g", 1) == 1);
  close(go[1]);
  int st = 0;
  waitpid(pid, &st, 0);
  BOOST_TEST((WIFEXITED(st) && WEXITSTATUS(st) == 0), "child status " << st);
  sc::TraceRecorder rec;
  ebpf.collect(rec);
  const uint32_t x64 = SCMP_ARCH_X86_64, x86 = SCMP_ARCH_X86;
  BOOST_TEST(count_of(rec, x64, "getppid") == 1000u);
  BOOST_TEST(count_of(rec, x64, "getpgid") == 7u);
  BOOST_TEST(count_of(rec, x64, "personality") == 1u);
  auto sock = rec.entries().find({x64, sc::syscall_number("socket", x64)});
  BOOST_REQUIRE(sock != rec.entries().end());  // the grandchild's
  BOOST_TEST(sock->second.count == 1u);
  BOOST_TEST(sock->second.args.at(0) == std::set<uint64_t>{AF_INET6});
  BOOST_TEST(sock->second.args.at(1) == std::set<uint64_t>{SOCK_DGRAM});
  auto prctl_it = rec.entries().find({x64, sc::syscall_number("prctl", x64)});
  BOOST_REQUIRE(prctl_it != rec.entries().end());
  BOOST_TEST(prctl_it->second.args.at(0).count(PR_GET_DUMPABLE) == 1u);
  if (ia32) {
    BOOST_TEST(count_of(rec, x86, "getppid") == 5u);
    // Not counted as x86_64 syscall 64 (semget) either.
    BOOST_TEST(count_of(rec, x64, "semget") == 0u);
  } else {
    BOOST_TEST_MESSAGE("SKIP compat part: int $0x80 does not work here (no IA32 emulation)");
  }
  // Nothing of this process (outside the cgroup) was counted: it made no personality call,
  // and the child's 1000 getppid are exact.
  std::string nd = rec.to_ndjson();
  BOOST_TEST(nd.find("\"name\":\"getppid\",\"arch\":\"SCMP_ARCH_X86_64\",\"count\":1000") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(ebpf_argument_sets_are_bounded_with_an_explicit_many) {
  if (geteuid() != 0 || cgroup2_mount().empty()) {
    BOOST_TEST_MESSAGE("SKIP: needs root and a cgroup2 hierarchy");
    return;
  }
  TestCgroup cg("nucleus-ebpf-many");
  sc::EbpfRecorder ebpf = sc::EbpfRecorder::load(cg.path);
  int go[2];
  BOOST_REQUIRE(pipe2(go, O_CLOEXEC) == 0);
  pid_t pid = child_in(cg.path, go[0], [] {
    // 100 distinct ioctl requests on a bad fd: more than TraceRecorder::kMaxValues (64).
    for (unsigned long r = 0; r < 100; ++r) syscall(SYS_ioctl, -1, 0x1000 + r, 0);
    syscall(SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0);
    return 0;
  });
  close(go[0]);
  ebpf.start();
  BOOST_REQUIRE(write(go[1], "g", 1) == 1);
  close(go[1]);
  waitpid(pid, nullptr, 0);
  sc::TraceRecorder rec;
  ebpf.collect(rec);
  const uint32_t x64 = SCMP_ARCH_X86_64;
  auto io = rec.entries().find({x64, sc::syscall_number("ioctl", x64)});
  BOOST_REQUIRE(io != rec.entries().end());
  BOOST_TEST(io->second.count == 100u);
  BOOST_TEST(io->second.overflow.count(1) == 1u);  // "many": not narrowed by the generator
  BOOST_TEST(io->second.args.count(1) == 0u);
  BOOST_TEST(rec.to_ndjson().find("{\"index\":1,\"many\":true}") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(ebpf_load_errors_name_the_cgroup) {
  try {
    sc::EbpfRecorder::load("/nonexistent/cgroup");
    BOOST_FAIL("loaded for a missing cgroup");
  } catch (const sc::EbpfUnavailable& e) {
    // libbpf may be missing too; either way the reason is given.
    std::string w = e.what();
    BOOST_TEST((w.find("/nonexistent/cgroup") != std::string::npos ||
                w.find("libbpf.so.1") != std::string::npos),
               w);
  }
}

BOOST_AUTO_TEST_CASE(kernel_btf_member_offsets) {
  std::string btf;
  try {
    btf = nucleus::read_file("/sys/kernel/btf/vmlinux");
  } catch (const nucleus::Error& e) {
    BOOST_TEST_MESSAGE("SKIP: no kernel BTF: " << e.what());
    return;
  }
  // x86: thread_info must be task_struct's first member (current_thread_info() casts).
  BOOST_TEST(sc::btf_member_offset(btf, "task_struct", "thread_info").value_or(99) == 0u);
  auto status = sc::btf_member_offset(btf, "thread_info", "status", 4);
  BOOST_REQUIRE(status.has_value());
  BOOST_TEST(sc::thread_info_status_offset() == *status);
  // flags (8 bytes) come first; status is not the first field.
  BOOST_TEST(*status >= 8u);
  BOOST_TEST(!sc::btf_member_offset(btf, "thread_info", "status", 8).has_value());  // a u32
  BOOST_TEST(!sc::btf_member_offset(btf, "thread_info", "no_such_member").has_value());
  BOOST_TEST(!sc::btf_member_offset(btf, "no_such_struct", "status").has_value());
  BOOST_CHECK_THROW(sc::btf_member_offset("not btf at all, not at all", "a", "b"), nucleus::Error);
  BOOST_CHECK_THROW(sc::btf_member_offset(btf.substr(0, 1000), "a", "b"), nucleus::Error);
}
