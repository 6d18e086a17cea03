// The cgroupfs implementation of Manager for v1, v2 and hybrid hosts (internal header).
//
// One object, a list of hierarchies (each v1 mount, named v1 mounts such as name=systemd, and the
// cgroup2 mount). Each resource goes to the hierarchy that has its controller: the v1 one when
// the host mounts it, else the cgroup2 one, else the field is an error. So the same code serves
// pure v1, pure v2 and hybrid hosts (where e.g. hugetlb only exists on the cgroup2 side).
#pragma once

#include <linux/bpf.h>

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cgroups/manager.hpp"
#include "util/fd.hpp"

namespace nucleus::cgroups {

// The parent of a container's cgroup when linux.cgroupsPath is unset: /nucleus-oci/<id>.
inline constexpr const char* kDefaultParent = "/nucleus-oci";

struct Hierarchy {
  std::string mount;  // mount point of the hierarchy
  std::string path;   // this cgroup inside it ("/nucleus-oci/id")
  bool v2 = false;
  std::string dir() const { return path == "/" ? mount : mount + path; }
};

class FsManager : public Manager {
 public:
  FsManager(Layout layout, std::vector<Hierarchy> hierarchies,
            std::vector<std::string> created = {}, bool rootless = false,
            std::vector<std::string> unwritable = {});

  void create() override;
  void create_unified() override;
  void add_process(pid_t pid) override;
  std::vector<std::string> v1_task_files() const override;
  std::string v2_directory() const override;
  void apply(const oci::Resources& r) override;
  void freeze() override;
  void thaw() override;
  bool frozen() const override;
  std::string frozen_for_join() const override;
  std::vector<pid_t> pids() const override;
  bool without_cgroup() const override { return hs_.empty() && !unwritable_.empty(); }
  void kill_all(int signal) override;
  void destroy() override;
  Stats stats() const override;
  uint64_t oom_kill_count() const override;
  std::string serialize() const override;
  std::string serialize_planned() const override;
  std::string path() const override;
  std::unique_ptr<Manager> sub_cgroup(
      const std::map<std::string, std::string>& paths) const override;

  // This cgroup's directory in a v1 controller's hierarchy ("" when the host lacks it).
  std::string v1_dir(const std::string& controller) const;
  // This cgroup's directory in the cgroup2 hierarchy ("" when there is none).
  std::string v2_dir() const;
  // The cgroup2 controller is usable here: listed in the cgroup's cgroup.controllers (or, before
  // the directory exists / in fakes without that file, at the root).
  bool v2_has(const std::string& controller) const;
  const Layout& layout() const { return layout_; }
  const std::vector<Hierarchy>& hierarchies() const { return hs_; }
  const std::vector<std::string>& created() const { return created_; }
  bool rootless() const { return rootless_; }
  // Rootless with an explicit cgroupsPath: that cgroup was asked for, so a create() that can
  // use no hierarchy at all fails (runc: "unable to apply cgroup configuration: ... permission
  // denied"); hierarchies that can be used are, where runc wants every one writable.
  void require_some_hierarchy() { require_some_ = true; }
  // Rootless: mount points of the hierarchies create() had no permission for (left out).
  const std::vector<std::string>& unwritable() const { return unwritable_; }
  // "" when the hierarchy of this mount is usable; else why not (rootless, no permission).
  std::string unusable_reason(const std::string& mount) const;
  // The hierarchies in the order a process joins them: the one that freezes (the v1 freezer's,
  // else cgroup2's) last.
  std::vector<Hierarchy> join_order() const;
  // The v1 cpu directory of kDefaultParent when this cgroup sits right under it, else "": the
  // parent whose realtime budget v1::cpu may grow for the container.
  std::string rt_budget_parent() const;

 private:
  void create_in(const Hierarchy& h, bool cpuset);
  void make_dirs(const Hierarchy& h);  // the cgroup's directory and missing parents
  void create_where(bool unified_only);
  Layout layout_;
  std::vector<Hierarchy> hs_;
  std::vector<std::string> created_;  // absolute dirs made by create(), in creation order
  std::set<std::string> made_;        // mount points of the hierarchies create() has done
  bool rootless_ = false;
  bool require_some_ = false;
  std::vector<std::string> unwritable_;
};

// ---- cgroup file helpers (cgfile.cpp) ----

// Writes `value` to dir/file; errors name the spec field:
// "linux.resources.memory.swap: write V to DIR/FILE: no such file or directory".
// One control file, opened at the first write and kept open for the next ones: each write(2) is
// one value to the kernel (a device rule, say), so a list costs one open, not one per value.
class CgWriter {
 public:
  CgWriter(std::string dir, std::string file);
  void write(const std::string& value, const std::string& field);

 private:
  std::string path_;
  UniqueFd fd_;
};
void write_cg(const std::string& dir, const std::string& file, const std::string& value,
              const std::string& field);
// Tests: sees every write_cg (path, value) in order, before the write. nullptr to stop.
using WriteObserver = void (*)(const std::string& path, const std::string& value);
void set_write_observer(WriteObserver observer);
// Trimmed content of dir/file, nullopt when it cannot be read.
std::optional<std::string> read_cg(const std::string& dir, const std::string& file);
// A number in a cgroup file; "max" and unreadable/garbage read as `dflt`.
uint64_t read_u64(const std::string& dir, const std::string& file, uint64_t dflt = 0);
// "key value" lines (memory.stat, cpu.stat, cgroup.events ...); missing file = empty map.
std::map<std::string, uint64_t> read_kv(const std::string& dir, const std::string& file);

// ---- resources (apply.cpp dispatches; resources_v1.cpp / resources_v2.cpp write) ----

namespace v1 {
void memory(const std::string& dir, const oci::MemoryResources& m);
// budget_parent: the directory of a parent whose realtime budget may be grown for the
// container's cpu.realtimeRuntime (the runtime's default parent, which the kernel makes with
// none), "" for none.
void cpu(const std::string& dir, const oci::CPUResources& c, const std::string& budget_parent = "");
void cpuset(const std::string& dir, const oci::CPUResources& c);
void pids(const std::string& dir, const oci::PidsResources& p);
void blkio(const std::string& dir, const oci::BlockIOResources& b);
void hugetlb(const std::string& dir, const std::vector<oci::HugepageLimit>& h);
void net_cls(const std::string& dir, uint32_t class_id);
void net_prio(const std::string& dir, const std::vector<oci::NetworkPriority>& p);
void rdma(const std::string& dir, const std::map<std::string, oci::RdmaLimit>& r);
void devices(const std::string& dir, const std::vector<oci::DeviceCgroupRule>& rules);
// The devices.allow/devices.deny text of a rule ("c 1:3 rwm", "a *:* rwm").
std::string device_rule_text(const oci::DeviceCgroupRule& r);
}  // namespace v1

namespace v2 {
void memory(const std::string& dir, const oci::MemoryResources& m);
void cpu(const std::string& dir, const oci::CPUResources& c);
void cpuset(const std::string& dir, const oci::CPUResources& c);
void pids(const std::string& dir, const oci::PidsResources& p);
void io(const std::string& dir, const oci::BlockIOResources& b);
void hugetlb(const std::string& dir, const std::vector<oci::HugepageLimit>& h);
void rdma(const std::string& dir, const std::map<std::string, oci::RdmaLimit>& r);
void unified(const std::string& dir, const std::map<std::string, std::string>& kv);
}  // namespace v2

// ---- runc's conversions (convert.cpp) ----

// cpu.shares (2..262144) -> cpu.weight (1..10000): 1 + ((shares-2)*9999)/262142; 0 stays 0.
uint64_t shares_to_weight(uint64_t shares);
// blkio.weight (10..1000) -> io.weight (1..10000): 1 + (weight-10)*9999/990; 0 stays 0.
uint64_t blkio_weight_to_io_weight(uint64_t weight);
// memory.swap.max from the spec's memory+swap value and the memory limit (runc's
// ConvertMemorySwapToCgroupV2Value): -1 = max, 0 = unset. Throws naming memory.swap.
int64_t swap_to_v2(int64_t swap, int64_t memory);

// ---- v2 devices (bpf_devices.cpp) ----

// The BPF_PROG_TYPE_CGROUP_DEVICE instructions for the rules: the last matching rule decides,
// no match denies (runc's devicefilter). Exposed for tests (instruction count, structure).
std::vector<bpf_insn> device_filter_program(const std::vector<oci::DeviceCgroupRule>& rules);
// Loads the program and attaches it to the cgroup2 directory (BPF_F_ALLOW_MULTI), then detaches
// the programs that were attached before (an earlier apply), so the new rules replace them.
void attach_device_filter(const std::string& cgroup_dir,
                          const std::vector<oci::DeviceCgroupRule>& rules);

}  // namespace nucleus::cgroups
