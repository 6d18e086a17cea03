#define BOOST_TEST_DYN_LINK
#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "oci/config.hpp"
#include "seccomp/filter.hpp"
#include "seccomp/generate.hpp"
#include "seccomp/names.hpp"
#include "util/error.hpp"

namespace sc = nucleus::seccomp;

namespace {
sc::TraceRecorder sample() {
  sc::TraceRecorder r;
  sc::parse_trace(
      "{\"syscall\":83,\"name\":\"mkdir\",\"arch\":\"SCMP_ARCH_X86_64\",\"count\":1}\n"
      "{\"syscall\":41,\"name\":\"socket\",\"arch\":\"SCMP_ARCH_X86_64\",\"count\":2,"
      "\"args\":[{\"index\":0,\"values\":[1,2]},{\"index\":1,\"values\":[1]}]}\n"
      "{\"syscall\":16,\"name\":\"ioctl\",\"arch\":\"SCMP_ARCH_X86_64\",\"count\":9,"
      "\"args\":[{\"index\":1,\"many\":true}]}\n",
      "t.ndjson", r);
  return r;
}
}  // namespace

BOOST_AUTO_TEST_CASE(generate_merges_names_narrows_args_and_parses_back) {
  std::string json = sc::generate_profile(sample(), {});
  nucleus::oci::Seccomp s = nucleus::oci::parse_seccomp(json, "profile.json");
  BOOST_TEST(s.default_action == "SCMP_ACT_ERRNO");
  BOOST_TEST(*s.default_errno_ret == 1u);
  BOOST_TEST(s.architectures.size() == 3u);
  const auto& any = s.syscalls.at(0).names;
  BOOST_TEST(std::is_sorted(any.begin(), any.end()));
  BOOST_TEST((std::find(any.begin(), any.end(), "mkdir") != any.end()));
  BOOST_TEST((std::find(any.begin(), any.end(), "ioctl") != any.end()));   // too many values
  BOOST_TEST((std::find(any.begin(), any.end(), "execve") != any.end()));  // runtime's own
  BOOST_TEST((std::find(any.begin(), any.end(), "socket") == any.end()));  // narrowed instead
  BOOST_REQUIRE(s.syscalls.size() == 2u);
  BOOST_TEST(s.syscalls[1].names.at(0) == "socket");
  BOOST_TEST(s.syscalls[1].args.size() == 2u);  // family 1 or 2
  BOOST_TEST(s.syscalls[1].args[0].value == 1u);
  BOOST_TEST(s.syscalls[1].args[1].value == 2u);
  BOOST_CHECK_NO_THROW(sc::build(s));  // the filter builds
}

BOOST_AUTO_TEST_CASE(generate_options) {
  sc::GenerateOptions o;
  o.narrow_args = false;
  o.default_action = "SCMP_ACT_KILL_PROCESS";
  auto s = nucleus::oci::parse_seccomp(sc::generate_profile(sample(), o));
  BOOST_TEST(s.syscalls.size() == 1u);
  BOOST_TEST(!s.default_errno_ret.has_value());
  o.default_action = "SCMP_ACT_ALLOW";
  BOOST_CHECK_THROW(sc::generate_profile(sample(), o), nucleus::Error);
}
