// The bad-config corpus: every bad-configs/NAME.json must throw ConfigError whose what()
// contains the text of NAME.err.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "oci/config.hpp"

namespace fs = std::filesystem;
namespace oci = nucleus::oci;

namespace {

std::string slurp(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string trim_newlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(bad_config_corpus) {
  std::vector<fs::path> cases;
  for (const auto& e : fs::directory_iterator(BAD_CONFIG_DIR))
    if (e.path().extension() == ".json") cases.push_back(e.path());
  std::sort(cases.begin(), cases.end());
  BOOST_TEST(cases.size() >= 60u);
  for (const fs::path& json : cases) {
    fs::path err = json;
    err.replace_extension(".err");
    BOOST_TEST_CONTEXT(json.filename().string()) {
      BOOST_REQUIRE(fs::exists(err));
      std::string want = trim_newlines(slurp(err));
      BOOST_REQUIRE(!want.empty());
      try {
        oci::parse_config(slurp(json));
        BOOST_ERROR("accepted a bad config");
      } catch (const oci::ConfigError& e) {
        std::string got = e.what();
        BOOST_TEST(got.find(want) != std::string::npos, "got: " << got << "\nwant: " << want);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(every_err_file_has_a_json_file) {
  for (const auto& e : fs::directory_iterator(BAD_CONFIG_DIR)) {
    if (e.path().extension() != ".err") continue;
    fs::path json = e.path();
    json.replace_extension(".json");
    BOOST_TEST(fs::exists(json), e.path().filename().string());
  }
}
