#include <limits.h>
#include <unistd.h>

#include "runtime/cli/commands.hpp"
#include "util/error.hpp"
#include "util/paths.hpp"

namespace nucleus::cli {

std::string absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return clean_path(path);
  char cwd[PATH_MAX];
  if (!::getcwd(cwd, sizeof cwd)) throw_sys("getcwd");
  return clean_path(std::string(cwd) + "/" + path);
}

}  // namespace nucleus::cli
