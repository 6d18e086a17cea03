// AF_UNIX helpers: connect to a path, pass one fd with SCM_RIGHTS.
#pragma once

#include <string>
#include <string_view>

#include "util/fd.hpp"

namespace nucleus {

// Connected SOCK_STREAM socket; errors name `what` and the path.
UniqueFd connect_unix(const std::string& path, const std::string& what);
// A listening SOCK_STREAM socket bound to path (an existing socket file is replaced).
UniqueFd listen_unix(const std::string& path);
// One message carrying `payload` and exactly one fd.
void send_fd(int sock, int fd, std::string_view payload);
// Receives one fd (close-on-exec); the payload goes to *payload when given (also when the
// message carried no fd, and this throws).
UniqueFd recv_fd(int sock, std::string* payload = nullptr);

}  // namespace nucleus
