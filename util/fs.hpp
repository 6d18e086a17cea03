// Small file helpers that throw nucleus::Error naming the path.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/fd.hpp"

namespace nucleus {

// Whole file as a string. Throws "open PATH: no such file or directory".
std::string read_file(const std::string& path);
std::string read_file_at(int dirfd, const std::string& path);
// Everything left to read from / all of data to an open fd; `shown` names it in errors.
std::string read_all(int fd, const std::string& shown);
void write_all(int fd, std::string_view data, const std::string& shown);
// Writes data to an existing file (cgroup and proc files): one write(2), no truncation games.
void write_file(const std::string& path, std::string_view data);
// Creates or replaces path atomically (temp file in the same dir + rename), with mode.
void write_file_atomic(const std::string& path, std::string_view data, unsigned mode = 0644);
// The same relative to a directory fd (no /proc/self/fd path walk; `path` is a plain name there).
void write_file_atomic_at(int dirfd, const std::string& path, std::string_view data,
                          unsigned mode = 0644);
// open(2) that throws; O_CLOEXEC is always added.
UniqueFd open_fd(const std::string& path, int flags, unsigned mode = 0);
UniqueFd open_fd_at(int dirfd, const std::string& path, int flags, unsigned mode = 0);
bool path_exists(const std::string& path);
// mkdir -p with mode; existing directories are fine.
void mkdir_p(const std::string& path, unsigned mode = 0755);
// Removes a directory tree (does not cross mount points; used for state dirs only).
void remove_tree(const std::string& path);
std::string trim(std::string_view s);
// Closes every fd >= first except those in keep (negative entries ignored); the kept ones are
// marked close-on-exec.
void close_fds_except(int first, std::vector<int> keep);

}  // namespace nucleus
