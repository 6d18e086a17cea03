// Freezing: the v1 freezer controller when the host mounts it (hybrid hosts too: our tasks are
// in it), else cgroup2's cgroup.freeze.
#include <chrono>
#include <thread>

#include "cgroups/fs_manager.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace nucleus::cgroups {
namespace {

constexpr auto kTimeout = std::chrono::seconds(2);

void sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

// Rootless: why the container has no freezer of its own ("" when that is not the reason).
std::string rootless_no_freezer(const FsManager& m) {
  if (!m.rootless() || m.unwritable().empty()) return "";
  const auto& v1 = m.layout().v1;
  std::string mount = v1.count("freezer") ? v1.at("freezer") : m.layout().v2;
  std::string why = m.unusable_reason(mount);
  return why.empty() ? "" : "the container has no cgroup freezer: " + why;
}

std::string v2_freezer(const FsManager& m) {
  std::string d = m.v2_dir();
  if (d.empty() || !path_exists(d + "/cgroup.freeze")) {
    if (std::string why = rootless_no_freezer(m); !why.empty()) throw Error(why);
    throw Error("no cgroup freezer on this host (neither a v1 freezer nor cgroup.freeze)");
  }
  return d;
}

// The directory, else its nearest existing parent inside the hierarchy (a new cgroup starts
// frozen under a frozen parent).
std::string existing_dir(const Hierarchy& h) {
  std::string d = h.dir();
  while (d.size() > h.mount.size() && !path_exists(d)) d.erase(d.rfind('/'));
  return d;
}

}  // namespace

std::string FsManager::frozen_for_join() const {
  for (const auto& h : hs_) {
    std::string d = existing_dir(h);
    if (h.v2) {
      // cgroup.freeze is the cgroup's own setting; cgroup.events says frozen for one whose
      // parent is (and for an empty frozen one).
      if (read_cg(d, "cgroup.freeze") == "1") return d + "/cgroup.freeze is 1";
      if (read_kv(d, "cgroup.events")["frozen"] == 1) return d + "/cgroup.events says frozen 1";
    } else if (h.dir() == v1_dir("freezer")) {
      // FROZEN or FREEZING, by itself or by a parent (the root has no freezer.state).
      auto st = read_cg(d, "freezer.state");
      if (st && !st->empty() && *st != "THAWED") return d + "/freezer.state is " + *st;
    }
  }
  return "";
}

void FsManager::freeze() {
  auto deadline = std::chrono::steady_clock::now() + kTimeout;
  if (std::string d = v1_dir("freezer"); !d.empty()) {
    // FREEZING can stall while a task is in an uninterruptible sleep; writing FROZEN again
    // retries the freeze of the stragglers (as runc does).
    for (int i = 0;; ++i) {
      if (i % 50 == 0) write_cg(d, "freezer.state", "FROZEN", "freeze");
      if (read_cg(d, "freezer.state") == "FROZEN") return;
      if (std::chrono::steady_clock::now() > deadline) break;
      sleep_ms(1);
    }
    try {
      write_cg(d, "freezer.state", "THAWED", "thaw");
    } catch (const Error&) {
    }
    throw Error("freeze " + d + ": the cgroup did not freeze in time");
  }
  std::string d = v2_freezer(*this);
  write_cg(d, "cgroup.freeze", "1", "freeze");
  while (read_kv(d, "cgroup.events")["frozen"] != 1) {
    if (std::chrono::steady_clock::now() > deadline) {
      try {
        write_cg(d, "cgroup.freeze", "0", "thaw");
      } catch (const Error&) {
      }
      throw Error("freeze " + d + ": the cgroup did not freeze in time");
    }
    sleep_ms(1);
  }
}

void FsManager::thaw() {
  auto deadline = std::chrono::steady_clock::now() + kTimeout;
  if (std::string d = v1_dir("freezer"); !d.empty()) {
    write_cg(d, "freezer.state", "THAWED", "thaw");
    while (read_cg(d, "freezer.state") != "THAWED" && std::chrono::steady_clock::now() < deadline)
      sleep_ms(1);
    return;
  }
  std::string d = v2_freezer(*this);
  write_cg(d, "cgroup.freeze", "0", "thaw");
  while (read_kv(d, "cgroup.events")["frozen"] != 0 && std::chrono::steady_clock::now() < deadline)
    sleep_ms(1);
}

bool FsManager::frozen() const {
  if (std::string d = v1_dir("freezer"); !d.empty()) return read_cg(d, "freezer.state") == "FROZEN";
  std::string d = v2_dir();
  if (d.empty()) return false;
  return read_cg(d, "cgroup.freeze") == "1";
}

}  // namespace nucleus::cgroups
