#include "cgroups/systemd_manager.hpp"

#include <cstdlib>
#include <sstream>

#include "util/error.hpp"

namespace nucleus::cgroups {
namespace {

constexpr const char* kRecordTag = "sd1";

const char* bus_name(Bus b) {
  return b == Bus::user ? "user" : "system";
}

}  // namespace

SystemdManager::SystemdManager(std::string id, SystemdUnit unit, Bus bus,
                               std::unique_ptr<FsManager> fs, UnitProperties extra, bool started)
    : id_(std::move(id)),
      unit_(std::move(unit)),
      bus_kind_(bus),
      fs_(std::move(fs)),
      extra_(std::move(extra)),
      started_(started) {}

SystemdBus& SystemdManager::bus() {
  if (!bus_) bus_.emplace(SystemdBus::connect(bus_kind_));
  return *bus_;
}

void SystemdManager::start(pid_t init) {
  // runc's Apply: the unit with the init in it (a scope cannot start empty), and the job waited
  // for; then the cgroupfs side: the hierarchies systemd does not manage (v1 controllers on a
  // legacy or hybrid host), which the init joins like any other.
  // A slice cannot be given PIDs= (systemd refuses: "Cannot set property PIDs"; runc 1.1.5 and
  // 1.3.6 fail there): it is started empty, or used as it is when it exists, and the init is
  // moved into its cgroup by the cgroupfs side.
  const bool slice = unit_.is_slice();
  bus().start_transient_unit(
      unit_.unit,
      unit_start_properties(id_, unit_, slice ? 0 : init, fs_->layout().pure_v2(), extra_), slice);
  started_ = true;
  fs_->create();
  if (slice) fs_->add_process(init);
}

void SystemdManager::create() {
  if (!started_)
    throw Error("systemd cgroup driver: the unit " + unit_.unit +
                " is made around the container's init (start), not before");
  fs_->create();
}

std::vector<std::string> SystemdManager::v1_task_files() const {
  return started_ ? fs_->v1_task_files() : std::vector<std::string>{};
}

std::string SystemdManager::v2_directory() const {
  // Before the unit exists there is no directory to clone the init into: it starts in the
  // runtime's cgroup and systemd moves it (PIDs=).
  return started_ ? fs_->v2_directory() : std::string();
}

void SystemdManager::apply(const oci::Resources& resources) {
  // runc's Set: the unit's properties first (so systemd keeps them, also across a
  // daemon-reload), then every file, with a CPU quota rounded as systemd rounds it.
  oci::Resources r = resources;
  // An update of the quota alone: CPUQuotaPerSecUSec is a share of the period the cgroup has.
  if (r.cpu && r.cpu->quota && *r.cpu->quota > 0 && !r.cpu->period) {
    std::string v2 = fs_->v2_dir(), v1 = fs_->v1_dir("cpu");
    uint64_t period = 0;
    if (!v2.empty() && fs_->v2_has("cpu")) {
      if (auto max = read_cg(v2, "cpu.max"); max && max->find(' ') != std::string::npos)
        period = std::strtoull(max->substr(max->find(' ') + 1).c_str(), nullptr, 10);
    } else if (!v1.empty()) {
      period = read_u64(v1, "cpu.cfs_period_us");
    }
    if (period != 0) r.cpu->period = period;
  }
  SystemdBus& b = bus();
  UnitProperties props = resource_properties(r, fs_->layout().pure_v2(), b.version());
  try {
    b.set_unit_properties(unit_.unit, props);
  } catch (const Error& e) {
    throw Error(std::string("linux.resources: ") + e.what(), e.code());
  }
  fs_->apply(r);
}

void SystemdManager::destroy() {
  // The unit goes first (systemd removes its cgroup; a scope whose processes all exited is gone
  // already), then what the cgroupfs side made.
  std::string first_error;
  int code = 0;
  try {
    bus().stop_unit(unit_.unit);
  } catch (const Error& e) {
    first_error = e.what();
    code = e.code();
  }
  try {
    fs_->destroy();
  } catch (const Error& e) {
    if (first_error.empty()) first_error = e.what(), code = e.code();
  }
  if (!first_error.empty()) throw Error(first_error, code);
}

std::string SystemdManager::record_head() const {
  return std::string(kRecordTag) + "\t" + unit_.unit + "\t" + bus_name(bus_kind_) + "\t" +
         unit_.slice + "\t" + unit_.path + "\t";
}

std::string SystemdManager::serialize() const {
  return record_head() + fs_->serialize();
}

std::string SystemdManager::serialize_planned() const {
  return record_head() + fs_->serialize_planned();
}

std::unique_ptr<Manager> SystemdManager::open(const Layout& layout, const std::string& s) {
  std::string tag = std::string(kRecordTag) + "\t";
  if (s.compare(0, tag.size(), tag) != 0) return nullptr;
  std::vector<std::string> f;
  size_t pos = tag.size();
  for (int i = 0; i < 4; ++i) {
    size_t tab = s.find('\t', pos);
    if (tab == std::string::npos) throw Error("corrupt cgroup record \"" + s + "\"");
    f.push_back(s.substr(pos, tab - pos));
    pos = tab + 1;
  }
  if (f[0].empty() || (f[1] != "system" && f[1] != "user") || f[2].empty() || f[3].empty())
    throw Error("corrupt cgroup record \"" + s + "\"");
  auto fs = open_manager(layout, s.substr(pos));
  auto* raw = dynamic_cast<FsManager*>(fs.get());
  if (!raw) throw Error("corrupt cgroup record \"" + s + "\"");
  fs.release();
  SystemdUnit unit{f[2], f[0], f[3]};
  return std::make_unique<SystemdManager>("", std::move(unit),
                                          f[1] == "user" ? Bus::user : Bus::system,
                                          std::unique_ptr<FsManager>(raw), UnitProperties{}, true);
}

}  // namespace nucleus::cgroups
