// Namespace planning (parent side) and entering (child side).
#pragma once

#include <pthread.h>
#include <functional>
#include <string>
#include <vector>

#include "oci/config.hpp"
#include "runtime/init/init.hpp"

namespace nucleus::init {

int namespace_flag(const std::string& type);  // "network" -> CLONE_NEWNET; 0 if unknown
// The spec's type names in the order namespaces are joined (user first, mount last).
const std::vector<std::string>& namespace_types();

// "net" for CLONE_NEWNET: the name under /proc/PID/ns/.
std::string proc_ns_name(int flag);

// Before a joined user namespace (runc's nsexec stage 1): every namespace to join that can be
// joined with the host's privileges (not user, pid or time); failures are left to the init.
// The init skips those it is in already.
void join_before_user_namespace(const std::vector<NamespaceJoin>& joins);

// A new pid namespace belongs to the user namespace of the process that makes it. With a user
// namespace joined by path, that must be the joined one (else the init, root there, could not
// mount /proc for its pid namespace): a helper joins it and clones the init (CLONE_PARENT: the
// init is still the caller's child), as runc's nsexec does in its stage 1. With pidns_fd >= 0 the
// helper joins that pid namespace too after the user namespace, so that the clone is born in it:
// a non-root runtime's exec (setns of a pid namespace needs CAP_SYS_ADMIN in the caller's own
// user namespace, which only the container's gives it). Returns like clone: 0 in the new
// process, its pid in the caller, -1 with errno. The helper makes no cgroup attach
// (FastAttach): the caller attaches the process the classic way.
long clone_in_user_namespace(unsigned long flags, const std::vector<NamespaceJoin>& joins,
                             int userns_fd, int pidns_fd = -1);

// Joins the namespaces of `joins` (not pid: a parent joins that one before it clones) in
// runc's order (nsexec's join_namespaces): a user namespace in the middle; the others before it
// while the caller still has the host's privileges (a network namespace the host made is not
// owned by that user namespace: from inside it setns is EPERM), those that need its privileges
// (EPERM before) after it. Namespaces the caller is in already are skipped. Errors are
// "join " + shown(j) with the errno text. True when a user namespace is among them.
bool join_namespaces(std::vector<NamespaceJoin>& joins,
                     const std::function<std::string(const NamespaceJoin&)>& shown);

// Fills ctx.clone_flags / unshare_flags / joins from linux.namespaces (opening every path).
void plan_namespaces(const oci::Linux& linux, Context& ctx);

// Parent side: a new network namespace made by a helper thread of the runtime while the init
// loads and the runtime makes the v1 cgroups (making one is ~0.5 ms of kernel work: every pernet
// subsystem's init), with lo up. The runtime sends it to the init (SyncType::NetnsFd) before
// Go, and the init joins it instead of unsharing one: the same namespace it would have made
// (owned by the same user namespace, the runtime's). Not for configs with a user namespace, nor
// for an init that is a clone of the runtime (a second thread breaks glibc in such a child).
// Started after the sealed view: making an overlay mount while a network namespace is being
// made on the other CPU was 3-5x slower here (hack/bench/README.md).
class NetnsPrep {
 public:
  NetnsPrep() = default;
  NetnsPrep(const NetnsPrep&) = delete;
  NetnsPrep& operator=(const NetnsPrep&) = delete;
  ~NetnsPrep();
  void start();
  // Waits for the helper; its namespace fd, or an empty fd when it failed (then the init
  // unshares one as before: the reason is in the debug log).
  UniqueFd take();

 private:
  static void* run(void* self);
  pthread_t thread_{};
  bool started_ = false;
  UniqueFd fd_;
  std::string error_;
};

// Parent side, after clone and before Go: writes uid_map/gid_map of the child.
// The text of a uid_map/gid_map file: "CONTAINER HOST SIZE" per line.
std::string id_map_text(const std::vector<oci::IDMapping>& m);
void write_id_maps(pid_t pid, const oci::Linux& linux);

}  // namespace nucleus::init
