// Reading and writing cgroup control files, with errors that name the spec field.
#include <fcntl.h>
#include <unistd.h>

#include <sstream>

#include "cgroups/fs_manager.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace nucleus::cgroups {
namespace {
WriteObserver g_observer = nullptr;
}  // namespace

void set_write_observer(WriteObserver observer) {
  g_observer = observer;
}

CgWriter::CgWriter(std::string dir, std::string file)
    : path_(std::move(dir) + "/" + std::move(file)) {}

void CgWriter::write(const std::string& value, const std::string& field) {
  if (g_observer) g_observer(path_, value);
  try {
    if (!fd_) fd_ = open_fd(path_, O_WRONLY);
    ssize_t n;
    do {
      n = ::write(fd_.get(), value.data(), value.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw_sys("write " + value + " to " + path_);
    if (static_cast<size_t>(n) != value.size()) throw Error("short write to " + path_);
  } catch (const Error& e) {
    std::string what = e.what();
    // open_fd says "open PATH: ..."; the user wants to know what was being written.
    if (what.rfind("open ", 0) == 0) what = "write " + value + " to " + what.substr(5);
    throw Error(field + ": " + what, e.code());
  }
}

void write_cg(const std::string& dir, const std::string& file, const std::string& value,
              const std::string& field) {
  CgWriter(dir, file).write(value, field);
}

std::optional<std::string> read_cg(const std::string& dir, const std::string& file) {
  try {
    return trim(read_file(dir + "/" + file));
  } catch (const Error&) {
    return std::nullopt;
  }
}

uint64_t read_u64(const std::string& dir, const std::string& file, uint64_t dflt) {
  auto s = read_cg(dir, file);
  if (!s || s->empty() || *s == "max") return dflt;
  try {
    size_t used = 0;
    uint64_t v = std::stoull(*s, &used);
    return used == s->size() ? v : dflt;
  } catch (...) {
    return dflt;
  }
}

std::map<std::string, uint64_t> read_kv(const std::string& dir, const std::string& file) {
  std::map<std::string, uint64_t> out;
  auto s = read_cg(dir, file);
  if (!s) return out;
  std::istringstream in(*s);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::string k, v;
    if (!(l >> k >> v)) continue;
    try {
      out[k] = v == "max" ? 0 : std::stoull(v);
    } catch (...) {
    }
  }
  return out;
}

}  // namespace nucleus::cgroups
