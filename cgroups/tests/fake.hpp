// Test helpers: a temporary directory standing in for /sys/fs/cgroup, and a log of every cgroup
// file write (fake control files are plain files, so the log is what proves order and values).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "cgroups/fs_manager.hpp"
#include "util/fs.hpp"

namespace cgtest {

namespace fs = std::filesystem;

inline std::vector<std::pair<std::string, std::string>>& writes() {
  static std::vector<std::pair<std::string, std::string>> w;
  return w;
}

// Files the kernel creates in every new cgroup directory: the fake "kernel" (the write
// observer) creates them on first write, so fixtures need not pre-create them. Only under the
// test's temporary roots.
inline bool always_present(const std::string& path) {
  std::string name = path.substr(path.rfind('/') + 1);
  for (const char* f : {"cpuset.cpus", "cpuset.mems", "cgroup.procs", "cgroup.freeze",
                        "freezer.state", "cgroup.subtree_control"})
    if (name == f) return true;
  return false;
}

inline void observe(const std::string& p, const std::string& v) {
  if (p.rfind("/tmp/nucleus-cgtest-", 0) == 0 && always_present(p) && !fs::exists(p)) {
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) ::close(fd);
  }
  writes().emplace_back(p, v);
}

// Every write_cg of the test process goes through observe(); installed once for the module.
struct InstallObserver {
  InstallObserver() { nucleus::cgroups::set_write_observer(observe); }
};

// A view on the writes since it was made; paths relative to `root` ("memory/c/memory.max").
struct WriteLog {
  std::string root;
  explicit WriteLog(const std::string& r) : root(r + "/") { writes().clear(); }
  void clear() { writes().clear(); }
  std::vector<std::pair<std::string, std::string>> all() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [p, v] : writes())
      out.emplace_back(p.rfind(root, 0) == 0 ? p.substr(root.size()) : p, v);
    return out;
  }
  // The values written to one file, in order.
  std::vector<std::string> to(const std::string& rel) const {
    std::vector<std::string> out;
    for (const auto& [p, v] : all())
      if (p == rel) out.push_back(v);
    return out;
  }
  std::string last(const std::string& rel) const {
    auto v = to(rel);
    return v.empty() ? "<none>" : v.back();
  }
  // Position of the first write to `rel` (for ordering checks), -1 when none.
  int index(const std::string& rel) const {
    auto w = all();
    for (size_t i = 0; i < w.size(); ++i)
      if (w[i].first == rel) return static_cast<int>(i);
    return -1;
  }
};

struct TempRoot {
  std::string root;
  TempRoot() {
    char tmpl[] = "/tmp/nucleus-cgtest-XXXXXX";
    root = ::mkdtemp(tmpl);
  }
  ~TempRoot() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  std::string p(const std::string& rel) const { return root + "/" + rel; }
};

// Creates files (the kernel would) with optional content.
inline void put(const std::string& path, const std::string& content = "") {
  fs::create_directories(fs::path(path).parent_path());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    if (!content.empty() && ::write(fd, content.data(), content.size()) < 0) {
    }
    ::close(fd);
  }
}
inline void touch(const std::string& dir, std::initializer_list<const char*> files) {
  for (const char* f : files) put(dir + "/" + f);
}
inline std::string slurp(const std::string& path) {
  return nucleus::trim(nucleus::read_file(path));
}

// Fake cgroupfs dirs hold regular files, real ones don't: empty them before destroy().
inline void drop_files(const std::string& root) {
  std::vector<fs::path> files;
  for (auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) files.push_back(e.path());
  for (auto& f : files) fs::remove(f);
}

inline nucleus::cgroups::FsManager& fsm(std::unique_ptr<nucleus::cgroups::Manager>& m) {
  return dynamic_cast<nucleus::cgroups::FsManager&>(*m);
}

}  // namespace cgtest
