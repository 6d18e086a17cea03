// The cgroupfs implementation of Manager for v1, v2 and hybrid hosts: one object, a list of
// hierarchies. On hybrid hosts each controller is used where the host has it: v1 controllers
// under their own mounts, and the cgroup2 side for what only it offers (hugetlb here) plus
// `unified` keys. Resource writers live in resources_v1.cpp / resources_v2.cpp.
#pragma once

#include <string>
#include <vector>

#include "cgroups/manager.hpp"

namespace nucleus::cgroups {

class FsManager : public Manager {
 public:
  FsManager(Layout layout, std::string path, std::vector<std::string> created = {});

  void create() override;
  void add_process(pid_t pid) override;
  void apply(const oci::Resources& r) override;
  void freeze() override;
  void thaw() override;
  bool frozen() const override;
  std::vector<pid_t> pids() const override;
  void kill_all(int signal) override;
  void destroy() override;
  Stats stats() const override;
  uint64_t oom_kill_count() const override;
  std::string serialize() const override;
  std::string path() const override { return path_; }

  // Directory of this cgroup in a v1 controller's hierarchy ("" when the host lacks it).
  std::string v1_dir(const std::string& controller) const;
  // Directory in the cgroup2 hierarchy ("" when there is none).
  std::string v2_dir() const;
  bool has_v2_controller(const std::string& c) const;
  const Layout& layout() const { return layout_; }

 private:
  std::vector<std::string> hierarchy_roots() const;  // distinct mount points, v2 last
  Layout layout_;
  std::string path_;
  std::vector<std::string> created_;  // absolute dirs made by create(), in creation order
};

// Writes `value` to dir/file; errors name the spec field: "FIELD: write V to PATH: errno".
void write_cg(const std::string& dir, const std::string& file, const std::string& value,
              const std::string& field);
void apply_v1(const FsManager& m, const oci::Resources& r);
void apply_v2(const FsManager& m, const oci::Resources& r, bool hybrid);
// runc's conversions.
uint64_t shares_to_weight(uint64_t shares);
uint64_t blkio_weight_to_io_weight(uint64_t weight);
// memory.swap.max from the spec's memory+swap value and the memory limit ("max" for -1).
std::string swap_to_v2(int64_t swap, int64_t limit);

// The eBPF device-cgroup program for v2: rules in order, the last match wins, default deny.
void attach_device_filter(const std::string& cgroup_dir,
                          const std::vector<oci::DeviceCgroupRule>& rules);

}  // namespace nucleus::cgroups
