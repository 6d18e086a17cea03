// Running as an unprivileged user (runc's rootless mode): the default state root, the --rootless
// choice for cgroups, runc's checks of a config for a non-root caller, and the id maps of a new
// user namespace written without privileges (own uid/gid only, setgroups denied) or through
// newuidmap/newgidmap for ranges from /etc/subuid and /etc/subgid.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "oci/config.hpp"

namespace nucleus::rootless {

// True when this process is in a user namespace other than the initial one (runc's
// userns.RunningInUserNS: /proc/self/uid_map is not "0 0 4294967295").
bool in_user_namespace();

// runc's shouldHonorXDGRuntimeDir: a non-root caller, or root in a user namespace whose $USER is
// not "root".
bool honor_xdg_runtime_dir();

// The default --root: $XDG_RUNTIME_DIR/nucleus-oci when XDG_RUNTIME_DIR is set and honoured
// (*xdg = true), else /run/nucleus-oci (as runc: $XDG_RUNTIME_DIR/runc, else /run/runc).
std::string default_root(bool* xdg);

// runc's main.go Before for a default root under XDG_RUNTIME_DIR: made 0700 (parents too) and
// chmod'ed 0700|sticky (so that the XDG clean-up leaves it alone). Failures are runc's: a line on
// stderr ("the path in $XDG_RUNTIME_DIR must be writable by the user", "you should check
// permission of the path in $XDG_RUNTIME_DIR"), then the error.
void prepare_xdg_root(const std::string& root);

// --rootless VALUE: nullopt for "" or "auto" (any case), else Go's strconv.ParseBool; anything
// else is runc's error (strconv.ParseBool: parsing "X": invalid syntax).
std::optional<bool> parse_bool_or_auto(const std::string& value);

// runc's shouldUseRootlessCgroupManager: --rootless true/false as given; auto: a non-root
// caller, or root in a user namespace (with the systemd driver: when the user's session bus has
// an owner other than 0, runc's DetectUID). Rootless with the systemd driver means the user's
// own manager.
bool use_rootless_cgroups(const std::string& rootless_flag, bool systemd_cgroup);

// runc's rootlessEUIDCheck, for a non-root caller (euid != 0): a user namespace, its mappings
// when it is new, and uid=/gid= mount options that map to host ids. Errors are runc's texts.
void check_config(const oci::Config& cfg);

// The id maps of the init's new user namespace, written by a non-root runtime as runc's nsexec
// does: "deny" to setgroups when the gid mapping is the caller's own egid alone (the kernel's
// condition for an unprivileged gid_map), each map written directly, and where the kernel
// refuses (EPERM: more than the caller's own id) through newuidmap/newgidmap from $PATH (the
// subordinate ids of /etc/subuid, /etc/subgid). Errors name the field, the tool and its output.
void write_id_maps(pid_t pid, const oci::Linux& linux);

}  // namespace nucleus::rootless
