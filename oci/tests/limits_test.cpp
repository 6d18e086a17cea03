// Hostile configs stay cheap: huge strings and arrays are refused with the field named, deep
// nesting does not exhaust the stack, NUL bytes never reach a path.
#include <boost/test/unit_test.hpp>

#include <string>

#include "oci/config.hpp"

namespace oci = nucleus::oci;

namespace {

std::string error_of(const std::string& json) {
  try {
    oci::parse_config(json);
  } catch (const oci::ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

const std::string kV = R"("ociVersion":"1.3.0")";

}  // namespace

BOOST_AUTO_TEST_CASE(strings_over_1mib_are_rejected_with_the_field) {
  std::string big(2 << 20, 'a');  // 2 MiB
  BOOST_TEST(error_of("{" + kV + ",\"hostname\":\"" + big + "\"}") ==
             "config.json: hostname: too long (more than 1 MiB)");
  BOOST_TEST(error_of("{" + kV + R"(,"process":{"cwd":"/","args":["sh",")" + big + "\"]}}") ==
             "config.json: process.args[1]: too long (more than 1 MiB)");
  BOOST_TEST(error_of("{" + kV + R"(,"annotations":{"k":")" + big + "\"}}") ==
             "config.json: annotations.k: too long (more than 1 MiB)");
  BOOST_TEST(error_of("{" + kV + R"(,"annotations":{")" + big + "\":\"v\"}}") ==
             "config.json: annotations: key too long (more than 1 MiB)");
  BOOST_TEST(error_of("{" + kV + R"(,"linux":{"seccomp":{"defaultAction":")" + big + "\"}}}") ==
             "config.json: linux.seccomp.defaultAction: too long (more than 1 MiB)");
  std::string ten_mb(10 << 20, 'x');
  BOOST_TEST(error_of("{" + kV + R"(,"mounts":[{"destination":"/)" + ten_mb + "\"}]}") ==
             "config.json: mounts[0].destination: too long (more than 1 MiB)");
  // Exactly 1 MiB is still accepted.
  std::string mib(1 << 20, 'b');
  BOOST_TEST(oci::parse_config("{" + kV + R"(,"annotations":{"k":")" + mib + "\"}}")
                 .annotations.at("k")
                 .size() == size_t{1} << 20);
}

BOOST_AUTO_TEST_CASE(arrays_over_65536_entries_are_rejected_with_the_field) {
  auto repeat = [](const std::string& item, size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out += (i ? "," : "") + item;
    return out;
  };
  BOOST_TEST(error_of("{" + kV + R"(,"process":{"cwd":"/","args":["sh"],"env":[)" +
                      repeat("\"A=1\"", 70000) + "]}}") ==
             "config.json: process.env: too many entries (more than 65536)");
  BOOST_TEST(error_of("{" + kV + R"(,"mounts":[)" + repeat(R"({"destination":"/x"})", 65537) +
                      "]}") == "config.json: mounts: too many entries (more than 65536)");
  std::string members;
  for (int i = 0; i < 70000; ++i) members += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":\"v\"";
  BOOST_TEST(error_of("{" + kV + R"(,"linux":{"sysctl":{)" + members + "}}}") ==
             "config.json: linux.sysctl: too many entries (more than 65536)");
  // 65536 entries are fine.
  BOOST_TEST(
      oci::parse_config("{" + kV + R"(,"linux":{"maskedPaths":[)" + repeat("\"/p\"", 65536) + "]}}")
          .linux->masked_paths.size() == 65536u);
}

BOOST_AUTO_TEST_CASE(deep_nesting_in_an_unknown_field_does_not_crash) {
  const size_t depth = 200000;
  std::string json = "{" + kV + ",\"x\":" + std::string(depth, '[') + std::string(depth, ']') + "}";
  BOOST_CHECK_NO_THROW(oci::parse_config(json));
  std::string unbalanced = "{" + kV + ",\"x\":" + std::string(depth, '[') + "}";
  BOOST_TEST(error_of(unbalanced).rfind("config.json: invalid JSON at offset ", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(nul_bytes_are_rejected) {
  BOOST_TEST(error_of("{" + kV + R"(,"root":{"path":"root\u0000fs"}})") ==
             "config.json: root.path: must not contain a NUL byte");
  BOOST_TEST(error_of("{" + kV + R"(,"process":{"args":["sh"],"cwd":"/a\u0000"}})") ==
             "config.json: process.cwd: must not contain a NUL byte");
  BOOST_TEST(error_of("{" + kV + R"(,"linux":{"maskedPaths":["/proc/\u0000"]}})") ==
             "config.json: linux.maskedPaths[0]: must not contain a NUL byte");
}

BOOST_AUTO_TEST_CASE(invalid_json_names_the_offset) {
  BOOST_TEST(error_of(R"({"ociVersion": 1.3.0})") ==
             "config.json: invalid JSON at offset 18: Missing a comma or '}' after an object "
             "member.");
  BOOST_TEST(error_of("") == "config.json: empty file");
  BOOST_TEST(error_of("[1]") == "config.json: must be a JSON object");
  BOOST_TEST(error_of(std::string("{\"ociVersion\":\"1.0.0\"}\0x", 24)) ==
             "config.json: invalid JSON at offset 22: unexpected NUL byte");
}
