// libFuzzer target for the config.json parser (oci::parse_config) and its siblings for
// exec's process.json, update's resources.json and seccomp profiles.
//
// The parsers must turn any bad input into oci::ConfigError. Only that type is caught here:
// any other exception (std::bad_alloc, std::out_of_range, ...) escapes and libFuzzer reports
// it as a crash (uncaught exception -> abort), as it does for ASan/UBSan findings, leaks and
// timeouts. Build and run: see README.md.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "oci/config.hpp"

namespace {

template <class F>
void parse(F f) {
  try {
    f();
  } catch (const nucleus::oci::ConfigError&) {
    // the documented outcome for bad input
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  parse([&] {
    nucleus::oci::Config c = nucleus::oci::parse_config(json);
    // A config that parses must also pass validate() again unchanged (parse_config ran it).
    nucleus::oci::validate(c);
  });
  parse([&] { nucleus::oci::parse_process(json); });
  parse([&] { nucleus::oci::parse_resources(json); });
  parse([&] { nucleus::oci::parse_seccomp(json); });
  return 0;
}
