#include "runtime/init/mount_options.hpp"

#include <sys/mount.h>

#include <map>

namespace nucleus::init {
namespace {

struct Flag {
  bool clear;
  unsigned long flag;
};

const std::map<std::string, Flag>& flag_table() {
  static const std::map<std::string, Flag> t = {
      {"acl", {false, MS_POSIXACL}},       {"async", {true, MS_SYNCHRONOUS}},
      {"atime", {true, MS_NOATIME}},       {"defaults", {false, 0}},
      {"dev", {true, MS_NODEV}},           {"diratime", {true, MS_NODIRATIME}},
      {"dirsync", {false, MS_DIRSYNC}},    {"exec", {true, MS_NOEXEC}},
      {"iversion", {false, MS_I_VERSION}}, {"lazytime", {false, MS_LAZYTIME}},
      {"loud", {true, MS_SILENT}},         {"mand", {false, MS_MANDLOCK}},
      {"noacl", {true, MS_POSIXACL}},      {"noatime", {false, MS_NOATIME}},
      {"nodev", {false, MS_NODEV}},        {"nodiratime", {false, MS_NODIRATIME}},
      {"noexec", {false, MS_NOEXEC}},      {"noiversion", {true, MS_I_VERSION}},
      {"nolazytime", {true, MS_LAZYTIME}}, {"nomand", {true, MS_MANDLOCK}},
      {"norelatime", {true, MS_RELATIME}}, {"nostrictatime", {true, MS_STRICTATIME}},
      {"nosuid", {false, MS_NOSUID}},      {"nosymfollow", {false, 256 /* MS_NOSYMFOLLOW */}},
      {"relatime", {false, MS_RELATIME}},  {"remount", {false, MS_REMOUNT}},
      {"ro", {false, MS_RDONLY}},          {"rw", {true, MS_RDONLY}},
      {"silent", {false, MS_SILENT}},      {"strictatime", {false, MS_STRICTATIME}},
      {"suid", {true, MS_NOSUID}},         {"symfollow", {true, 256}},
      {"sync", {false, MS_SYNCHRONOUS}},
  };
  return t;
}

const std::map<std::string, unsigned long>& propagation_table() {
  static const std::map<std::string, unsigned long> t = {
      {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
      {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
      {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
      {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
  };
  return t;
}

struct Attr {
  bool clear;
  uint64_t attr;
};

// Recursive mount attributes (mount_setattr with AT_RECURSIVE).
const std::map<std::string, Attr>& attr_table() {
  static const std::map<std::string, Attr> t = {
      {"rro", {false, MOUNT_ATTR_RDONLY}},
      {"rrw", {true, MOUNT_ATTR_RDONLY}},
      {"rnosuid", {false, MOUNT_ATTR_NOSUID}},
      {"rsuid", {true, MOUNT_ATTR_NOSUID}},
      {"rnodev", {false, MOUNT_ATTR_NODEV}},
      {"rdev", {true, MOUNT_ATTR_NODEV}},
      {"rnoexec", {false, MOUNT_ATTR_NOEXEC}},
      {"rexec", {true, MOUNT_ATTR_NOEXEC}},
      {"rnodiratime", {false, MOUNT_ATTR_NODIRATIME}},
      {"rdiratime", {true, MOUNT_ATTR_NODIRATIME}},
      {"rrelatime", {false, MOUNT_ATTR_RELATIME}},
      {"rnorelatime", {true, MOUNT_ATTR_RELATIME}},
      {"rnoatime", {false, MOUNT_ATTR_NOATIME}},
      {"ratime", {true, MOUNT_ATTR_NOATIME}},
      {"rstrictatime", {false, MOUNT_ATTR_STRICTATIME}},
      {"rnostrictatime", {true, MOUNT_ATTR_STRICTATIME}},
      {"rnosymfollow", {false, MOUNT_ATTR_NOSYMFOLLOW}},
      {"rsymfollow", {true, MOUNT_ATTR_NOSYMFOLLOW}},
  };
  return t;
}

}  // namespace

unsigned long propagation_flags(const std::string& name) {
  auto it = propagation_table().find(name);
  return it == propagation_table().end() ? 0 : it->second;
}

MountOptions parse_mount_options(const std::vector<std::string>& options) {
  MountOptions o;
  for (const auto& opt : options) {
    if (opt == "bind") {
      o.bind = true;
    } else if (opt == "rbind") {
      o.bind = o.recursive_bind = true;
    } else if (opt == "tmpcopyup") {
      o.tmpcopyup = true;
    } else if (opt == "idmap") {
      o.idmap = true;
    } else if (opt == "ridmap") {
      o.idmap = o.recursive_idmap = true;
    } else if (auto f = flag_table().find(opt); f != flag_table().end()) {
      if (f->second.clear) {
        o.flags &= ~f->second.flag;
        o.clear |= f->second.flag;
      } else {
        o.flags |= f->second.flag;
        o.clear &= ~f->second.flag;
      }
    } else if (auto p = propagation_table().find(opt); p != propagation_table().end()) {
      o.propagation.push_back(p->second);
    } else if (auto a = attr_table().find(opt); a != attr_table().end()) {
      uint64_t attr = a->second.attr;
      if (a->second.clear) {
        o.attr_clr |= attr;
        o.attr_set &= ~attr;
      } else {
        o.attr_set |= attr;
        o.attr_clr &= ~attr;
      }
      // The access time is one value (mount_setattr(2)): setting it needs MOUNT_ATTR__ATIME in
      // attr_clr, and clearing one ("ratime") leaves the default, relatime (as runc).
      if ((attr & MOUNT_ATTR__ATIME) == attr) o.attr_clr |= MOUNT_ATTR__ATIME;
    } else {
      if (!o.data.empty()) o.data += ',';
      o.data += opt;
    }
  }
  return o;
}

std::vector<std::string> known_mount_options() {
  std::vector<std::string> out = {"bind", "rbind", "idmap", "ridmap", "tmpcopyup"};
  for (auto& [k, v] : flag_table()) out.push_back(k);
  for (auto& [k, v] : propagation_table()) out.push_back(k);
  for (auto& [k, v] : attr_table()) out.push_back(k);
  return out;
}

}  // namespace nucleus::init
