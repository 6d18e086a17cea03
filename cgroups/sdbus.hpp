// A client of systemd's manager API over D-Bus (org.freedesktop.systemd1), for the systemd
// cgroup driver: transient units, their properties, and waiting for the jobs that make and stop
// them. Built on libsystemd's sd-bus, which is dlopen'ed at the first call: a runtime that never
// uses the systemd driver neither connects to D-Bus nor loads libsystemd.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace nucleus::cgroups {

// One unit property as systemd takes it in StartTransientUnit / SetUnitProperties: a name and a
// D-Bus value. The alternatives are the D-Bus types the driver sends; the signature follows from
// the alternative (bool "b", uint64_t "t", std::string "s", ...).
struct DeviceAllow {  // one DeviceAllow= entry, "a(ss)": path or group, access ("rwm")
  std::string path, access;
  bool operator==(const DeviceAllow&) const = default;
};
struct UnitValue {
  std::variant<bool, uint64_t, int64_t, uint32_t, int32_t, double, std::string,
               std::vector<std::string>, std::vector<uint32_t>, std::vector<uint8_t>,
               std::vector<DeviceAllow>>
      v;
  std::string signature() const;  // "b", "t", "x", "u", "i", "d", "s", "as", "au", "ay", "a(ss)"
  std::string text() const;       // for messages and tests: "true", "1048576", "[0x03]", ...
  bool operator==(const UnitValue&) const = default;
};
struct UnitProperty {
  std::string name;
  UnitValue value;
  bool operator==(const UnitProperty&) const = default;
};
using UnitProperties = std::vector<UnitProperty>;

enum class Bus {
  system,  // root: systemd's private socket (/run/systemd/private), else the system bus
  user,    // a rootless caller's own manager (the session bus of user@UID.service)
};

// The address of the caller's session bus, as runc's DetectUserDbusSessionBusAddress:
// $DBUS_SESSION_BUS_ADDRESS when set, else "unix:path=$XDG_RUNTIME_DIR/bus" when that socket
// exists. Throws runc's error when there is neither.
std::string user_bus_address();

// The owner of the caller's session bus, as runc's DetectUID reads it (`busctl --user status`,
// OwnerUID=: the uid of the user@UID.service the bus daemon runs in, also from inside a user
// namespace); -1 when there is no bus or no owner.
int user_bus_owner_uid();

class SystemdBus {
 public:
  // Connects (dlopen libsystemd.so.0 at the first use). Throws nucleus::Error naming the bus.
  // Bus::user: the session bus of user_bus_address() (the user's manager, user@UID.service),
  // authenticated by the kernel's peer credentials (EXTERNAL: the host uid, also from inside a
  // user namespace).
  static SystemdBus connect(Bus bus);
  SystemdBus(SystemdBus&&) noexcept;
  SystemdBus& operator=(SystemdBus&&) noexcept;
  ~SystemdBus();

  // StartTransientUnit(name, "replace", props) and the wait for its job (bounded: timeout_ms).
  // A unit of that name that already exists (a leftover, failed one) is reset and the start
  // tried once more, as runc does; with `existing_ok` (a slice, which other containers may
  // share) an existing unit is used as it is. Throws with systemd's message or the job's result.
  void start_transient_unit(const std::string& name, const UnitProperties& props,
                            bool existing_ok = false, int timeout_ms = 30000);
  // StopUnit(name, "replace") and the wait for its job, then ResetFailedUnit. A unit that does
  // not exist (it stopped by itself when its last process exited) is not an error.
  void stop_unit(const std::string& name, int timeout_ms = 30000);
  void reset_failed_unit(const std::string& name);  // errors ignored, as runc's
  // SetUnitProperties(name, runtime=true, props).
  void set_unit_properties(const std::string& name, const UnitProperties& props);
  // The manager's Version as a number ("252.39-1~deb12u2" -> 252), -1 when unknown.
  int version();
  // A manager property of type string ("ControlGroup", "Version").
  std::string manager_property(const std::string& name);

 private:
  struct Conn;
  explicit SystemdBus(std::unique_ptr<Conn> c);
  std::unique_ptr<Conn> c_;
  int version_ = 0;  // 0 = not asked yet
};

// "v245.4-1.fc32", "245", "252.39-1~deb12u2" -> 245 / 252; -1 when there is no number
// (runc's systemdVersionAtoi).
int parse_systemd_version(const std::string& s);

}  // namespace nucleus::cgroups
