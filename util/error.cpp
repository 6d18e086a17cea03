#include "util/error.hpp"

#include <cctype>
#include <cstring>

namespace nucleus {

std::string errno_text(int err) {
  std::string s = strerrordesc_np(err) ? strerrordesc_np(err) : ("errno " + std::to_string(err));
  if (!s.empty() && std::isupper(static_cast<unsigned char>(s[0])) &&
      !(s.size() > 1 && std::isupper(static_cast<unsigned char>(s[1]))))
    s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

Error sys_error(std::string_view what, int err) {
  return Error(std::string(what) + ": " + errno_text(err), err);
}

void throw_sys(std::string_view what, int err) {
  throw sys_error(what, err);
}

}  // namespace nucleus
