#define BOOST_TEST_DYN_LINK
#include <stdlib.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <string>

#include "oci/config.hpp"
#include "seccomp/cache.hpp"
#include "seccomp/filter.hpp"
#include "util/fs.hpp"

namespace sc = nucleus::seccomp;

namespace {

std::string config_with(const std::string& seccomp) {
  return R"({"ociVersion":"1.0.2","root":{"path":"rootfs"},"linux":{"seccomp":)" + seccomp + "}}";
}

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/nucleus-cache-test.XXXXXX";
    path = ::mkdtemp(t);
  }
  ~TempDir() { nucleus::remove_tree(path); }
};

sc::Filter cached(const std::string& text, const std::string& dir) {
  nucleus::oci::Config cfg = nucleus::oci::parse_config(text, "config.json");
  return sc::build_cached(*cfg.linux->seccomp, dir);
}

const std::string kDeny =
    R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]})";
const std::string kDeny2 =
    R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["rmdir"],"action":"SCMP_ACT_ERRNO"}]})";

}  // namespace

BOOST_AUTO_TEST_SUITE(cache)

BOOST_AUTO_TEST_CASE(a_hit_gives_the_same_program_as_a_compile) {
  TempDir d;
  std::string text = config_with(kDeny);
  sc::Filter first = cached(text, d.path);   // miss: compiled and stored
  sc::Filter second = cached(text, d.path);  // hit
  nucleus::oci::Config cfg = nucleus::oci::parse_config(text, "config.json");
  sc::Filter direct = sc::build(*cfg.linux->seccomp);
  BOOST_TEST(first.export_bpf() == direct.export_bpf());
  BOOST_TEST(second.export_bpf() == direct.export_bpf());
  BOOST_TEST(second.load_flags() == direct.load_flags());
  BOOST_TEST(second.enosys_stub_length() == direct.enosys_stub_length());
}

BOOST_AUTO_TEST_CASE(different_profiles_get_different_programs) {
  TempDir d;
  sc::Filter a = cached(config_with(kDeny), d.path);
  sc::Filter b = cached(config_with(kDeny2), d.path);
  BOOST_TEST(a.export_bpf() != b.export_bpf());
  sc::Filter a2 = cached(config_with(kDeny), d.path);
  BOOST_TEST(a2.export_bpf() == a.export_bpf());
}

BOOST_AUTO_TEST_CASE(a_corrupt_or_foreign_cache_file_is_a_miss) {
  TempDir d;
  std::string text = config_with(kDeny);
  sc::Filter good = cached(text, d.path);
  // Every file in the cache: overwrite with garbage, then with another profile's entry.
  for (const std::string& junk : {std::string("garbage"), std::string(64, '\0')}) {
    for (const auto& e : std::filesystem::directory_iterator(d.path))
      nucleus::write_file(e.path().string(), junk);
    BOOST_TEST(cached(text, d.path).export_bpf() == good.export_bpf());
  }
}

size_t bpf_files(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".bpf") ++n;
  return n;
}

BOOST_AUTO_TEST_CASE(entries_of_an_older_format_go_at_the_next_miss) {
  TempDir d;
  nucleus::write_file_atomic(d.path + "/0123456789abcdef.bpf", "an entry of format 2", 0600);
  cached(config_with(kDeny), d.path);  // a miss: no "format" file yet
  BOOST_TEST(bpf_files(d.path) == 1u);
  BOOST_TEST(nucleus::read_file(d.path + "/format") == "3\n");
  cached(config_with(kDeny2), d.path);  // a miss of the same format keeps the first entry
  BOOST_TEST(bpf_files(d.path) == 2u);
}

BOOST_AUTO_TEST_CASE(a_full_cache_is_emptied_at_the_next_miss) {
  TempDir d;
  cached(config_with(kDeny), d.path);
  for (int i = 0; i < 300; ++i)
    nucleus::write_file_atomic(d.path + "/filler" + std::to_string(i) + ".bpf", "x", 0600);
  cached(config_with(kDeny2), d.path);
  BOOST_TEST(bpf_files(d.path) == 1u);  // the new entry alone
  // and a hit still works after that
  BOOST_TEST(cached(config_with(kDeny2), d.path).export_bpf() ==
             cached(config_with(kDeny2), d.path).export_bpf());
}

std::string key_of(const std::string& text) {
  nucleus::oci::Config cfg = nucleus::oci::parse_config(text, "config.json");
  return cfg.linux && cfg.linux->seccomp ? sc::cache_key(*cfg.linux->seccomp) : "";
}

BOOST_AUTO_TEST_CASE(the_key_is_the_profile_exactly) {
  BOOST_TEST(key_of(config_with(kDeny)) != key_of(config_with(kDeny2)));
  BOOST_TEST(sc::cache_key(nucleus::oci::Seccomp{}).empty());
  // Whitespace does not matter, content does.
  BOOST_TEST(
      key_of(config_with(kDeny)) ==
      key_of(R"({ "ociVersion": "1.0.2", "root": {"path": "rootfs"}, "linux" : { "seccomp" : )" +
             kDeny + " } }"));
}

BOOST_AUTO_TEST_CASE(the_key_tells_apart_values_that_concatenate_alike) {
  // The key is a binary encoding with lengths and type tags: no two values share one.
  auto with_names = [](const std::string& names) {
    return key_of(config_with(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":)" + names +
                              R"(,"action":"SCMP_ACT_ERRNO"}]})"));
  };
  BOOST_TEST(with_names(R"(["mkdir","at"])") != with_names(R"(["mkdi","rat"])"));
  BOOST_TEST(with_names(R"(["mkdirat"])") != with_names(R"(["mkdir","at"])"));
  // Unknown fields are part of the profile too; 1 and 1.0 are told apart.
  BOOST_TEST(key_of(config_with(R"({"defaultAction":"SCMP_ACT_ALLOW","x-note":1})")) !=
             key_of(config_with(R"({"defaultAction":"SCMP_ACT_ALLOW","x-note":1.0})")));
  BOOST_TEST(key_of(config_with(R"({"defaultAction":"SCMP_ACT_ALLOW","x-note":"1"})")) !=
             key_of(config_with(R"({"defaultAction":"SCMP_ACT_ALLOW","x-note":1})")));
}

BOOST_AUTO_TEST_SUITE_END()
