// The one error type of nucleus-oci: what failed, the path or field, and the errno text.
// Its message is already in the form the CLI prints (runc style, lower-case errno text), so it
// can cross the parent<->init sync channel as plain text and still read the same.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>
#include <string_view>

namespace nucleus {

// strerror(err) with its first letter lowered, as Go prints errno values ("permission denied").
// Engines match on these exact texts.
std::string errno_text(int err);

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg, int err = 0) : std::runtime_error(msg), errno_(err) {}
  // errno value behind the error, 0 when it is not a system error.
  int code() const noexcept { return errno_; }

 private:
  int errno_;
};

// "what: errno text". `what` names the operation and its path: "mount /proc on /proc".
[[noreturn]] void throw_sys(std::string_view what, int err = errno);
// Same, as a value (for code that collects errors).
Error sys_error(std::string_view what, int err = errno);

}  // namespace nucleus
