#include "cgroups/sdbus.hpp"

#include <dlfcn.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>

#include "util/error.hpp"

namespace nucleus::cgroups {
namespace {

constexpr const char* kDest = "org.freedesktop.systemd1";
constexpr const char* kPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";

// The sd-bus calls the driver makes, resolved with dlopen/dlsym once. Linking libsystemd instead
// would load it (and its dependencies) into every start, also without --systemd-cgroup.
struct SdBusApi {
  decltype(&::sd_bus_new) bus_new;
  decltype(&::sd_bus_set_address) set_address;
  decltype(&::sd_bus_start) start;
  decltype(&::sd_bus_open_system) open_system;
  decltype(&::sd_bus_open_user) open_user;
  decltype(&::sd_bus_flush_close_unref) close_unref;
  decltype(&::sd_bus_message_new_method_call) new_method_call;
  decltype(&::sd_bus_message_append_basic) append_basic;
  decltype(&::sd_bus_message_append_array) append_array;
  decltype(&::sd_bus_message_open_container) open_container;
  decltype(&::sd_bus_message_close_container) close_container;
  decltype(&::sd_bus_message_read_basic) read_basic;
  decltype(&::sd_bus_message_unref) message_unref;
  decltype(&::sd_bus_call) call;
  decltype(&::sd_bus_error_free) error_free;
  decltype(&::sd_bus_error_has_name) error_has_name;
  decltype(&::sd_bus_match_signal) match_signal;
  decltype(&::sd_bus_slot_unref) slot_unref;
  decltype(&::sd_bus_process) process;
  decltype(&::sd_bus_wait) wait;
  decltype(&::sd_bus_get_property_string) get_property_string;
  decltype(&::sd_bus_get_owner_creds) get_owner_creds;
  decltype(&::sd_bus_creds_get_owner_uid) creds_get_owner_uid;
  decltype(&::sd_bus_creds_unref) creds_unref;
};

const SdBusApi& api() {
  static SdBusApi a = [] {
    void* h = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!h)
      throw Error(std::string("systemd cgroup driver: dlopen libsystemd.so.0: ") + ::dlerror());
    SdBusApi s;
    auto sym = [h](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(h, name));
      if (!fn) throw Error(std::string("systemd cgroup driver: libsystemd.so.0 has no ") + name);
    };
    sym(s.bus_new, "sd_bus_new");
    sym(s.set_address, "sd_bus_set_address");
    sym(s.start, "sd_bus_start");
    sym(s.open_system, "sd_bus_open_system");
    sym(s.open_user, "sd_bus_open_user");
    sym(s.close_unref, "sd_bus_flush_close_unref");
    sym(s.new_method_call, "sd_bus_message_new_method_call");
    sym(s.append_basic, "sd_bus_message_append_basic");
    sym(s.append_array, "sd_bus_message_append_array");
    sym(s.open_container, "sd_bus_message_open_container");
    sym(s.close_container, "sd_bus_message_close_container");
    sym(s.read_basic, "sd_bus_message_read_basic");
    sym(s.message_unref, "sd_bus_message_unref");
    sym(s.call, "sd_bus_call");
    sym(s.error_free, "sd_bus_error_free");
    sym(s.error_has_name, "sd_bus_error_has_name");
    sym(s.match_signal, "sd_bus_match_signal");
    sym(s.slot_unref, "sd_bus_slot_unref");
    sym(s.process, "sd_bus_process");
    sym(s.wait, "sd_bus_wait");
    sym(s.get_property_string, "sd_bus_get_property_string");
    sym(s.get_owner_creds, "sd_bus_get_owner_creds");
    sym(s.creds_get_owner_uid, "sd_bus_creds_get_owner_uid");
    sym(s.creds_unref, "sd_bus_creds_unref");
    return s;
  }();
  return a;
}

// RAII for the sd-bus objects.
struct Message {
  sd_bus_message* m = nullptr;
  ~Message() {
    if (m) api().message_unref(m);
  }
};
struct BusError {
  sd_bus_error e = SD_BUS_ERROR_NULL;
  ~BusError() { api().error_free(&e); }
  bool is(const char* name) const { return api().error_has_name(&e, name) > 0; }
  std::string text(int r) const {
    if (e.message) return e.message;
    if (e.name) return e.name;
    return errno_text(-r);
  }
};
struct Slot {
  sd_bus_slot* s = nullptr;
  ~Slot() {
    if (s) api().slot_unref(s);
  }
};

void check(int r, const std::string& what) {
  if (r < 0) throw Error(what + ": " + errno_text(-r), -r);
}

uint64_t now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

void append_value(sd_bus_message* m, const UnitValue& val) {
  const SdBusApi& a = api();
  const std::string what = "systemd cgroup driver: build a D-Bus message";
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) {
          int b = x ? 1 : 0;
          check(a.append_basic(m, 'b', &b), what);
        } else if constexpr (std::is_same_v<T, uint64_t>) {
          check(a.append_basic(m, 't', &x), what);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          check(a.append_basic(m, 'x', &x), what);
        } else if constexpr (std::is_same_v<T, uint32_t>) {
          check(a.append_basic(m, 'u', &x), what);
        } else if constexpr (std::is_same_v<T, int32_t>) {
          check(a.append_basic(m, 'i', &x), what);
        } else if constexpr (std::is_same_v<T, double>) {
          check(a.append_basic(m, 'd', &x), what);
        } else if constexpr (std::is_same_v<T, std::string>) {
          check(a.append_basic(m, 's', x.c_str()), what);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          check(a.open_container(m, 'a', "s"), what);
          for (const auto& s : x) check(a.append_basic(m, 's', s.c_str()), what);
          check(a.close_container(m), what);
        } else if constexpr (std::is_same_v<T, std::vector<uint32_t>>) {
          check(a.append_array(m, 'u', x.data(), x.size() * sizeof(uint32_t)), what);
        } else if constexpr (std::is_same_v<T, std::vector<uint8_t>>) {
          check(a.append_array(m, 'y', x.data(), x.size()), what);
        } else {  // std::vector<DeviceAllow>
          check(a.open_container(m, 'a', "(ss)"), what);
          for (const auto& d : x) {
            check(a.open_container(m, 'r', "ss"), what);
            check(a.append_basic(m, 's', d.path.c_str()), what);
            check(a.append_basic(m, 's', d.access.c_str()), what);
            check(a.close_container(m), what);
          }
          check(a.close_container(m), what);
        }
      },
      val.v);
}

// "a(sv)"
void append_properties(sd_bus_message* m, const UnitProperties& props) {
  const SdBusApi& a = api();
  const std::string what = "systemd cgroup driver: build a D-Bus message";
  check(a.open_container(m, 'a', "(sv)"), what);
  for (const auto& p : props) {
    check(a.open_container(m, 'r', "sv"), what);
    check(a.append_basic(m, 's', p.name.c_str()), what);
    std::string sig = p.value.signature();
    check(a.open_container(m, 'v', sig.c_str()), what);
    append_value(m, p.value);
    check(a.close_container(m), what);
    check(a.close_container(m), what);
  }
  check(a.close_container(m), what);
}

}  // namespace

std::string UnitValue::signature() const {
  static const char* const sigs[] = {"b", "t", "x", "u", "i", "d", "s", "as", "au", "ay", "a(ss)"};
  return sigs[v.index()];
}

std::string UnitValue::text() const {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) {
          return x ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::string>) {
          return "\"" + x + "\"";
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          std::string s = "[";
          for (const auto& e : x) s += (s.size() > 1 ? " \"" : "\"") + e + "\"";
          return s + "]";
        } else if constexpr (std::is_same_v<T, std::vector<uint32_t>>) {
          std::string s = "[";
          for (auto e : x) s += (s.size() > 1 ? " " : "") + std::to_string(e);
          return s + "]";
        } else if constexpr (std::is_same_v<T, std::vector<uint8_t>>) {
          std::string s = "[";
          char b[8];
          for (auto e : x) {
            std::snprintf(b, sizeof b, "0x%02x", e);
            s += (s.size() > 1 ? " " : "") + std::string(b);
          }
          return s + "]";
        } else if constexpr (std::is_same_v<T, std::vector<DeviceAllow>>) {
          std::string s = "[";
          for (const auto& d : x) s += (s.size() > 1 ? " " : "") + d.path + ":" + d.access;
          return s + "]";
        } else {
          return std::to_string(x);
        }
      },
      v);
}

int parse_systemd_version(const std::string& s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == '"' || s[i] == 'v')) ++i;
  size_t j = i;
  while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
  if (j == i || j - i > 9) return -1;
  return std::stoi(s.substr(i, j - i));
}

struct SystemdBus::Conn {
  sd_bus* bus = nullptr;
  std::string name;  // for messages: "systemd (/run/systemd/private)"
  // JobRemoved signals seen: job object path -> result ("done", "failed", "canceled", ...).
  std::map<std::string, std::string> removed;
  Slot match;
  ~Conn() {
    match = Slot{};  // before the bus
    if (bus) api().close_unref(bus);
  }

  static int on_job_removed(sd_bus_message* m, void* self, sd_bus_error*) {
    auto* c = static_cast<Conn*>(self);
    uint32_t id = 0;
    const char *job = nullptr, *unit = nullptr, *result = nullptr;
    const SdBusApi& a = api();
    if (a.read_basic(m, 'u', &id) < 0 || a.read_basic(m, 'o', &job) < 0 ||
        a.read_basic(m, 's', &unit) < 0 || a.read_basic(m, 's', &result) < 0)
      return 0;
    c->removed[job] = result;
    return 0;
  }

  // Calls a method of the manager with the message that `fill` builds; returns the reply.
  template <typename Fill>
  int call(const char* method, Fill fill, BusError& err, Message& reply) {
    const SdBusApi& a = api();
    Message m;
    check(a.new_method_call(bus, &m.m, kDest, kPath, kManager, method),
          std::string("systemd cgroup driver: ") + method);
    fill(m.m);
    return a.call(bus, m.m, 30 * 1000000ULL, &err.e, &reply.m);
  }

  // Waits until JobRemoved names `job`; returns its result, "" on timeout.
  std::string wait_job(const std::string& job, int timeout_ms) {
    const SdBusApi& a = api();
    const uint64_t deadline = now_ms() + static_cast<uint64_t>(timeout_ms);
    for (;;) {
      if (auto it = removed.find(job); it != removed.end()) return it->second;
      int r = a.process(bus, nullptr);
      if (r < 0)
        throw Error("systemd cgroup driver: read from " + name + ": " + errno_text(-r), -r);
      if (r > 0) continue;
      uint64_t now = now_ms();
      if (now >= deadline) return "";
      r = a.wait(bus, (deadline - now) * 1000);
      if (r < 0 && r != -EINTR)
        throw Error("systemd cgroup driver: wait on " + name + ": " + errno_text(-r), -r);
    }
  }
};

std::string user_bus_address() {
  const char* env = std::getenv("DBUS_SESSION_BUS_ADDRESS");
  if (env && *env) return env;
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  struct stat st;
  if (xdg && *xdg && ::stat((std::string(xdg) + "/bus").c_str(), &st) == 0)
    return "unix:path=" + std::string(xdg) + "/bus";
  throw Error(
      "could not detect DBUS_SESSION_BUS_ADDRESS from the environment; make sure you have "
      "installed the dbus-user-session or dbus-daemon package; note you may need to re-login");
}

int user_bus_owner_uid() {
  try {
    user_bus_address();
    const SdBusApi& a = api();
    sd_bus* bus = nullptr;
    if (a.open_user(&bus) < 0) return -1;
    sd_bus_creds* creds = nullptr;
    uid_t uid = 0;
    int owner = -1;
    // The bus daemon's credentials, its owner from its cgroup (user-UID.slice), as busctl.
    if (a.get_owner_creds(bus, SD_BUS_CREDS_OWNER_UID | SD_BUS_CREDS_AUGMENT, &creds) >= 0 &&
        a.creds_get_owner_uid(creds, &uid) >= 0)
      owner = static_cast<int>(uid);
    if (creds) a.creds_unref(creds);
    a.close_unref(bus);
    return owner;
  } catch (const Error&) {
    return -1;
  }
}

SystemdBus::SystemdBus(std::unique_ptr<Conn> c) : c_(std::move(c)) {}
SystemdBus::SystemdBus(SystemdBus&&) noexcept = default;
SystemdBus& SystemdBus::operator=(SystemdBus&&) noexcept = default;
SystemdBus::~SystemdBus() = default;

SystemdBus SystemdBus::connect(Bus which) {
  const SdBusApi& a = api();
  auto c = std::make_unique<Conn>();
  int r;
  if (which == Bus::system && ::geteuid() == 0) {
    // As systemctl and runc (go-systemd) do as root: systemd's own socket, which works without
    // a D-Bus daemon; the system bus only when it is not there.
    r = a.bus_new(&c->bus);
    if (r >= 0) r = a.set_address(c->bus, "unix:path=/run/systemd/private");
    if (r >= 0) r = a.start(c->bus);
    c->name = "systemd (/run/systemd/private)";
    if (r < 0) {
      if (c->bus) a.close_unref(c->bus);
      c->bus = nullptr;
      r = a.open_system(&c->bus);
      c->name = "the D-Bus system bus";
    }
  } else if (which == Bus::system) {
    r = a.open_system(&c->bus);
    c->name = "the D-Bus system bus";
  } else {
    c->name = "the D-Bus user bus";
    std::string address;
    try {
      address = user_bus_address();
    } catch (const Error& e) {
      throw Error("systemd cgroup driver: connect to " + c->name + ": " + e.what());
    }
    // sd_bus_open_user takes the same address (the variable, else $XDG_RUNTIME_DIR/bus).
    r = a.open_user(&c->bus);
    c->name += " (" + address + ")";
    if (r < 0)
      throw Error("systemd cgroup driver: connect to " + c->name + ": " + errno_text(-r) +
                      " (a rootless container with --systemd-cgroup needs the user's session "
                      "bus: the dbus-user-session package, and user@UID.service running)",
                  -r);
  }
  if (r < 0)
    throw Error("systemd cgroup driver: connect to " + c->name + ": " + errno_text(-r), -r);
  // JobRemoved of the jobs this connection starts (systemd sends it to the client that asked
  // for the job), matched before any call so that none is missed.
  r = a.match_signal(c->bus, &c->match.s, kDest, kPath, kManager, "JobRemoved",
                     &Conn::on_job_removed, c.get());
  check(r, "systemd cgroup driver: subscribe to JobRemoved on " + c->name);
  return SystemdBus(std::move(c));
}

void SystemdBus::start_transient_unit(const std::string& name, const UnitProperties& props,
                                      bool existing_ok, int timeout_ms) {
  const SdBusApi& a = api();
  for (int attempt = 0;; ++attempt) {
    BusError err;
    Message reply;
    int r = c_->call(
        "StartTransientUnit",
        [&](sd_bus_message* m) {
          check(a.append_basic(m, 's', name.c_str()), "StartTransientUnit");
          check(a.append_basic(m, 's', "replace"), "StartTransientUnit");
          append_properties(m, props);
          check(a.open_container(m, 'a', "(sa(sv))"), "StartTransientUnit");
          check(a.close_container(m), "StartTransientUnit");
        },
        err, reply);
    if (r < 0 && existing_ok && err.is("org.freedesktop.systemd1.UnitExists")) return;
    if (r < 0 && attempt == 0 && err.is("org.freedesktop.systemd1.UnitExists")) {
      // Likely a leftover failed unit of that name: reset it, so systemd removes it, and retry
      // once (runc's startUnit).
      reset_failed_unit(name);
      continue;
    }
    if (r < 0) throw Error("unable to start unit \"" + name + "\": " + err.text(r), -r);
    const char* job = nullptr;
    check(a.read_basic(reply.m, 'o', &job), "systemd cgroup driver: read StartTransientUnit's job");
    std::string result = c_->wait_job(job, timeout_ms);
    if (result.empty()) {
      reset_failed_unit(name);
      throw Error("Timeout waiting for systemd to create " + name);
    }
    if (result != "done") {
      reset_failed_unit(name);
      throw Error("error creating systemd unit `" + name + "`: got `" + result + "`");
    }
    return;
  }
}

void SystemdBus::stop_unit(const std::string& name, int timeout_ms) {
  const SdBusApi& a = api();
  BusError err;
  Message reply;
  int r = c_->call(
      "StopUnit",
      [&](sd_bus_message* m) {
        check(a.append_basic(m, 's', name.c_str()), "StopUnit");
        check(a.append_basic(m, 's', "replace"), "StopUnit");
      },
      err, reply);
  if (r >= 0) {
    const char* job = nullptr;
    check(a.read_basic(reply.m, 'o', &job), "systemd cgroup driver: read StopUnit's job");
    std::string result = c_->wait_job(job, timeout_ms);
    if (result.empty()) throw Error("Timed out while waiting for systemd to remove " + name);
  } else if (!err.is("org.freedesktop.systemd1.NoSuchUnit")) {
    throw Error("unable to stop unit \"" + name + "\": " + err.text(r), -r);
  }
  reset_failed_unit(name);  // a failed unit is removed only then
}

void SystemdBus::reset_failed_unit(const std::string& name) {
  const SdBusApi& a = api();
  BusError err;
  Message reply;
  (void)c_->call(
      "ResetFailedUnit",
      [&](sd_bus_message* m) { check(a.append_basic(m, 's', name.c_str()), "ResetFailedUnit"); },
      err, reply);
}

void SystemdBus::set_unit_properties(const std::string& name, const UnitProperties& props) {
  if (props.empty()) return;
  const SdBusApi& a = api();
  BusError err;
  Message reply;
  int r = c_->call(
      "SetUnitProperties",
      [&](sd_bus_message* m) {
        check(a.append_basic(m, 's', name.c_str()), "SetUnitProperties");
        int runtime = 1;
        check(a.append_basic(m, 'b', &runtime), "SetUnitProperties");
        append_properties(m, props);
      },
      err, reply);
  if (r < 0) throw Error("unable to set unit properties: " + err.text(r), -r);
}

std::string SystemdBus::manager_property(const std::string& name) {
  BusError err;
  char* out = nullptr;
  int r = api().get_property_string(c_->bus, kDest, kPath, kManager, name.c_str(), &err.e, &out);
  if (r < 0)
    throw Error("systemd cgroup driver: get the manager's " + name + ": " + err.text(r), -r);
  std::string s = out ? out : "";
  ::free(out);
  return s;
}

int SystemdBus::version() {
  if (version_ == 0) {
    try {
      version_ = parse_systemd_version(manager_property("Version"));
    } catch (const Error&) {
      version_ = -1;
    }
  }
  return version_;
}

}  // namespace nucleus::cgroups
