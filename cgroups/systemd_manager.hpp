// The systemd cgroup driver (--systemd-cgroup), as runc's and crun's: the container's cgroup is
// a transient systemd unit made over D-Bus (cgroups/sdbus.hpp), a scope delegated to the
// container (or a slice, when cgroupsPath names one), with linux.resources as unit properties
// where systemd has them. Everything else goes through the cgroupfs manager at the unit's
// cgroup: the files systemd has no property for, v1 hierarchies systemd does not manage,
// freezing, processes, stats. Internal header.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cgroups/fs_manager.hpp"
#include "cgroups/sdbus.hpp"
#include "cgroups/systemd_props.hpp"

namespace nucleus::cgroups {

class SystemdManager : public Manager {
 public:
  // `started`: the unit exists (a manager reopened from a record); else start() makes it.
  SystemdManager(std::string id, SystemdUnit unit, Bus bus, std::unique_ptr<FsManager> fs,
                 UnitProperties extra, bool started);

  // A bus connected already (make_manager asked the user's manager for its cgroup over it).
  void use_bus(SystemdBus bus) { bus_.emplace(std::move(bus)); }

  void start(pid_t init) override;
  void create() override;
  void create_unified() override {}  // the unit is made around the init (PIDs=)
  void add_process(pid_t pid) override { fs_->add_process(pid); }
  std::vector<std::string> v1_task_files() const override;
  std::string v2_directory() const override;
  void apply(const oci::Resources& r) override;
  void freeze() override { fs_->freeze(); }
  void thaw() override { fs_->thaw(); }
  bool frozen() const override { return fs_->frozen(); }
  std::string frozen_for_join() const override { return fs_->frozen_for_join(); }
  std::vector<pid_t> pids() const override { return fs_->pids(); }
  void kill_all(int signal) override { fs_->kill_all(signal); }
  void destroy() override;
  Stats stats() const override { return fs_->stats(); }
  uint64_t oom_kill_count() const override { return fs_->oom_kill_count(); }
  std::string serialize() const override;
  std::string serialize_planned() const override;
  std::string path() const override { return fs_->path(); }
  std::unique_ptr<Manager> sub_cgroup(
      const std::map<std::string, std::string>& paths) const override {
    return fs_->sub_cgroup(paths);
  }

  // The record's leading fields: "sd1\tUNIT\tBUS\tSLICE\t" + the cgroupfs record. nullptr when
  // `serialized` is not one.
  static std::unique_ptr<Manager> open(const Layout& layout, const std::string& serialized);

 private:
  SystemdBus& bus();
  std::string record_head() const;
  std::string id_;
  SystemdUnit unit_;
  Bus bus_kind_;
  std::unique_ptr<FsManager> fs_;
  UnitProperties extra_;
  bool started_;
  std::optional<SystemdBus> bus_;  // connected at the first call that needs it
};

}  // namespace nucleus::cgroups
