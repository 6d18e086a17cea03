// JSON text by hand, for the few places that write a small JSON document without a writer:
// a string as a JSON string literal.
#pragma once

#include <string>

namespace nucleus::oci {

// `s` as a JSON string literal, quotes included: `"` and `\` escaped, control characters as
// \u00XX, everything else (UTF-8 included) as is.
std::string json_quote(const std::string& s);

}  // namespace nucleus::oci
