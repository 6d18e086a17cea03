#define BOOST_TEST_DYN_LINK
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <boost/test/unit_test.hpp>

#include "seccomp/names.hpp"
#include "seccomp/trace.hpp"
#include "util/error.hpp"

namespace sc = nucleus::seccomp;

BOOST_AUTO_TEST_CASE(trace_records_every_syscall_of_a_child_and_its_children) {
  int sv[2];
  BOOST_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    if (read(sv[1], &c, 1) != 1) _exit(5);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    nucleus::UniqueFd l = sc::load_trace_filter();
    for (int i = 0; i < 3; ++i) getppid();
    pid_t kid = fork();
    if (kid == 0) {
      socket(AF_UNIX, SOCK_DGRAM, 0);
      _exit(0);
    }
    waitpid(kid, nullptr, 0);
    _exit(0);
  }
  BOOST_REQUIRE(write(sv[0], "g", 1) == 1);
  nucleus::UniqueFd listener = sc::take_listener(pid, 5000);
  sc::TraceRecorder rec;
  sc::serve_trace(listener.get(), rec);
  int st = 0;
  waitpid(pid, &st, 0);
  BOOST_TEST(WIFEXITED(st));
  uint32_t arch = sc::native_arch();
  auto& e = rec.entries();
  auto getppid_it = e.find({arch, sc::syscall_number("getppid", arch)});
  BOOST_REQUIRE(getppid_it != e.end());
  BOOST_TEST(getppid_it->second.count >= 3u);
  auto sock = e.find({arch, sc::syscall_number("socket", arch)});
  BOOST_REQUIRE(sock != e.end());  // made by the grandchild: children are traced too
  BOOST_TEST(sock->second.args.at(0).count(AF_UNIX) == 1u);
  std::string nd = rec.to_ndjson();
  BOOST_TEST(nd.find("\"name\":\"getppid\"") != std::string::npos);
  BOOST_TEST(nd.find("\"arch\":\"SCMP_ARCH_X86_64\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(parse_trace_round_trip_and_errors) {
  sc::TraceRecorder a;
  uint64_t args[6] = {2, 1, 0, 0, 0, 0};
  uint32_t arch = sc::native_arch();
  a.record(arch, sc::syscall_number("socket", arch), args);
  a.record(arch, 0, args);
  sc::TraceRecorder b;
  sc::parse_trace(a.to_ndjson(), "t.ndjson", b);
  BOOST_TEST(b.to_ndjson() == a.to_ndjson());
  // The seed format (no arch) is read as the native arch.
  sc::TraceRecorder c;
  sc::parse_trace("{\"syscall\": 0, \"name\": \"read\", \"count\": 4}\n", "seed.ndjson", c);
  BOOST_TEST(c.entries().begin()->second.count == 4u);
  auto err = [](const std::string& text) {
    sc::TraceRecorder r;
    try {
      sc::parse_trace(text, "t.ndjson", r);
    } catch (const nucleus::Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  BOOST_TEST(err("") == "t.ndjson: empty trace (no records)");
  BOOST_TEST(err("{\"syscall\":0,\"count\":1}\nnot json\n") == "t.ndjson:2: not a JSON object");
  BOOST_TEST(err("{\"syscall\":0,\"count\":1,\"arch\":\"SCMP_ARCH_NOPE\"}") ==
             "t.ndjson:1: unknown arch \"SCMP_ARCH_NOPE\"");
  BOOST_TEST(err("{\"count\":1}") == "t.ndjson:1: \"syscall\" must be a non-negative integer");
}
