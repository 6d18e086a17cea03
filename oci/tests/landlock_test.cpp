// The org.nucleus.landlock annotation: parsing, group expansion, ABI bookkeeping, and error
// texts that name the field.
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <string>

#include "oci/config.hpp"
#include "oci/landlock.hpp"

namespace oci = nucleus::oci;

namespace {

std::string landlock_error(const std::string& json) {
  try {
    oci::parse_landlock(json);
  } catch (const oci::ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

const std::string kSrc = "annotations[\"org.nucleus.landlock\"]: ";

constexpr uint64_t kExecute = 1ULL << 0, kWriteFile = 1ULL << 1, kReadFile = 1ULL << 2,
                   kReadDir = 1ULL << 3, kRemoveDir = 1ULL << 4, kRemoveFile = 1ULL << 5,
                   kMakeChar = 1ULL << 6, kMakeDir = 1ULL << 7, kMakeReg = 1ULL << 8,
                   kMakeSock = 1ULL << 9, kMakeFifo = 1ULL << 10, kMakeBlock = 1ULL << 11,
                   kMakeSym = 1ULL << 12, kRefer = 1ULL << 13, kTruncate = 1ULL << 14,
                   kIoctlDev = 1ULL << 15;

}  // namespace

BOOST_AUTO_TEST_SUITE(landlock)

BOOST_AUTO_TEST_CASE(full_rule_list) {
  auto l = oci::parse_landlock(R"({"abi": 2, "bestEffort": true, "rules": [
      {"paths": ["/usr", "/bin"], "access": ["execute", "read_file", "read_dir"]},
      {"paths": ["/tmp"], "access": ["write_file", "make_reg", "remove_file", "truncate"]}]})");
  BOOST_TEST(l.best_effort);
  BOOST_TEST(l.abi == 3u);  // truncate needs ABI 3, more than the "abi" given
  BOOST_TEST_REQUIRE(l.rules.size() == 2u);
  BOOST_TEST((l.rules[0].paths == std::vector<std::string>{"/usr", "/bin"}));
  BOOST_TEST(l.rules[0].access == (kExecute | kReadFile | kReadDir));
  BOOST_TEST((l.rules[1].paths == std::vector<std::string>{"/tmp"}));
  BOOST_TEST(l.rules[1].access == (kWriteFile | kMakeReg | kRemoveFile | kTruncate));
}

BOOST_AUTO_TEST_CASE(defaults) {
  auto l = oci::parse_landlock(R"({"rules": []})");
  BOOST_TEST(!l.best_effort);
  BOOST_TEST(l.abi == 1u);
  BOOST_TEST(l.rules.empty());
  BOOST_TEST(oci::parse_landlock(R"({"abi": 4, "rules": []})").abi == 4u);
}

BOOST_AUTO_TEST_CASE(every_right_by_name) {
  for (const auto& r : oci::kLandlockRights) {
    auto l = oci::parse_landlock(R"({"rules": [{"paths": ["/"], "access": [")" +
                                 std::string(r.name) + R"("]}]})");
    BOOST_TEST(l.rules.at(0).access == r.bit, r.name);
    BOOST_TEST(l.abi == r.abi, r.name);
  }
  BOOST_TEST(oci::landlock_access_names(kReadFile | kMakeSym | kIoctlDev) ==
             "read_file,make_sym,ioctl_dev");
}

BOOST_AUTO_TEST_CASE(groups_expand_and_need_no_abi) {
  auto l = oci::parse_landlock(R"({"rules": [
      {"paths": ["/"], "access": ["read", "execute"]},
      {"paths": ["/tmp"], "access": ["read", "write"]},
      {"paths": ["/dev"], "access": ["all"]}]})");
  BOOST_TEST(l.abi == 1u);  // groups take what the kernel has: they require nothing
  BOOST_TEST(l.rules[0].access == (kReadFile | kReadDir | kExecute));
  BOOST_TEST(l.rules[1].access ==
             (kReadFile | kReadDir | kWriteFile | kRemoveDir | kRemoveFile | kMakeChar | kMakeDir |
              kMakeReg | kMakeSock | kMakeFifo | kMakeBlock | kMakeSym | kRefer | kTruncate));
  BOOST_TEST(!(l.rules[1].access & kExecute));
  BOOST_TEST(!(l.rules[1].access & kIoctlDev));
  BOOST_TEST(l.rules[2].access == oci::landlock_fs_rights(oci::kLandlockKnownAbi));
  // a group and its members together are the same rule
  auto m = oci::parse_landlock(
      R"({"rules": [{"paths": ["/"], "access": ["read", "read_file", "read"]}]})");
  BOOST_TEST(m.rules[0].access == (kReadFile | kReadDir));
}

BOOST_AUTO_TEST_CASE(rights_per_abi) {
  BOOST_TEST(oci::landlock_fs_rights(0) == 0u);
  BOOST_TEST(oci::landlock_fs_rights(1) == (1ULL << 13) - 1);
  BOOST_TEST(oci::landlock_fs_rights(2) == (1ULL << 14) - 1);
  BOOST_TEST(oci::landlock_fs_rights(3) == (1ULL << 15) - 1);
  BOOST_TEST(oci::landlock_fs_rights(4) == (1ULL << 15) - 1);  // ABI 4 added network rights
  BOOST_TEST(oci::landlock_fs_rights(5) == (1ULL << 16) - 1);
  BOOST_TEST(oci::landlock_fs_rights(7) == (1ULL << 16) - 1);
  BOOST_TEST(oci::landlock_file_rights() ==
             (kExecute | kWriteFile | kReadFile | kTruncate | kIoctlDev));
}

BOOST_AUTO_TEST_CASE(errors_name_the_field) {
  BOOST_TEST(landlock_error(R"({"rules": [{"paths": ["/"], "access": ["read"]},
      {"paths": ["/tmp"], "access": ["foo"]}]})") ==
             kSrc + "rules[1].access[0]: unknown right \"foo\"");
  BOOST_TEST(landlock_error(R"({"rules": [{"paths": ["/"], "access": ["read", "READ_FILE"]}]})") ==
             kSrc + "rules[0].access[1]: unknown right \"READ_FILE\"");
  BOOST_TEST(landlock_error(R"({"rules": [{"paths": ["/"],
      "access": ["LANDLOCK_ACCESS_FS_READ_FILE"]}]})") ==
             kSrc + "rules[0].access[0]: unknown right \"LANDLOCK_ACCESS_FS_READ_FILE\"");
  BOOST_TEST(landlock_error("{}") == kSrc + "rules: required");
  BOOST_TEST(landlock_error(R"({"rules": {}})") == kSrc + "rules: must be an array");
  BOOST_TEST(landlock_error(R"({"rules": [1]})") == kSrc + "rules[0]: must be an object");
  BOOST_TEST(landlock_error(R"({"rules": [{"access": ["read"]}]})") ==
             kSrc + "rules[0].paths: required");
  BOOST_TEST(landlock_error(R"({"rules": [{"paths": [], "access": ["read"]}]})") ==
             kSrc + "rules[0].paths: must not be empty");
  BOOST_TEST(landlock_error(R"({"rules": [{"paths": ["/", "tmp"], "access": ["read"]}]})") ==
             kSrc + "rules[0].paths[1]: must be an absolute path");
  BOOST_TEST(landlock_error(R"({"rules": [{"paths": [""], "access": ["read"]}]})") ==
             kSrc + "rules[0].paths[0]: must be an absolute path");
  BOOST_TEST(landlock_error(R"({"rules": [{"paths": "/", "access": ["read"]}]})") ==
             kSrc + "rules[0].paths: must be an array of strings");
  BOOST_TEST(landlock_error(R"({"rules": [{"paths": ["/"]}]})") ==
             kSrc + "rules[0].access: required");
  BOOST_TEST(landlock_error(R"({"rules": [{"paths": ["/"], "access": []}]})") ==
             kSrc + "rules[0].access: must not be empty");
  BOOST_TEST(landlock_error(R"({"rules": [{"paths": ["/"], "access": [7]}]})") ==
             kSrc + "rules[0].access[0]: must be a string");
  BOOST_TEST(landlock_error(R"({"rules": [{"paths": ["/"], "access": ["read"], "allow": 1}]})") ==
             kSrc + "rules[0].allow: unknown field");
  BOOST_TEST(landlock_error(R"({"rules": [], "best_effort": true})") ==
             kSrc + "best_effort: unknown field");
  BOOST_TEST(landlock_error(R"({"rules": [], "bestEffort": "yes"})") ==
             kSrc + "bestEffort: must be a boolean");
  BOOST_TEST(landlock_error(R"({"rules": [], "abi": 0})") == kSrc + "abi: must be 1 or more");
  BOOST_TEST(landlock_error(R"({"rules": [], "abi": -1})") ==
             kSrc + "abi: must be an unsigned 32-bit integer");
  BOOST_TEST(landlock_error(R"({"rules": [], "abi": "3"})") ==
             kSrc + "abi: must be an unsigned 32-bit integer");
  BOOST_TEST(landlock_error("[]") == kSrc + "must be a JSON object");
  BOOST_TEST(landlock_error("") == kSrc + "empty file");
  BOOST_TEST(landlock_error("{\"rules\": [").rfind(kSrc + "invalid JSON at offset", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(source_is_the_callers) {
  try {
    oci::parse_landlock(R"({"rules": [{"paths": ["/"], "access": ["rw"]}]})",
                        "config.json: annotations[\"org.nucleus.landlock\"]");
    BOOST_FAIL("no error");
  } catch (const oci::ConfigError& e) {
    BOOST_TEST(std::string(e.what()) ==
               "config.json: annotations[\"org.nucleus.landlock\"]: rules[0].access[0]: unknown "
               "right \"rw\"");
  }
}

BOOST_AUTO_TEST_SUITE_END()
