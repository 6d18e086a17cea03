// The typed channel between `create` (parent) and the container init (child): a SOCK_SEQPACKET
// socketpair, one message per datagram. An error in the child travels verbatim to the parent,
// so the user sees the real cause ("mount proc on /proc: permission denied").
#pragma once

#include <sys/types.h>
#include <cstdint>

#include <string>
#include <string_view>
#include <vector>

#include "util/fd.hpp"

namespace nucleus {

enum class SyncType : uint32_t {
  Go = 1,        // parent -> child: id maps written; continue. Create's Go: "PID\nSTATE-JSON"
  Hooks,         // child -> parent: namespaces and mounts ready; run prestart/createRuntime
                 // (sent only when the config has such hooks)
  HooksDone,     // parent -> child
  Ready,         // child -> parent: fully created, now waiting for start
  Error,         // either way: payload is the message; the receiver fails with it
  MountFd,       // parent -> child: a mount's source tree (MountRequest); payload = its index
  CgroupJoined,  // parent -> child: the init is in its cgroup (sent after Go: the cgroups are
                 // made, and a cgroup v1 attach waits ~10 ms for an RCU grace period, while the
                 // init unshares and mounts)
  TasksFd,       // parent -> child, after Go, before CgroupJoined: the v1 "tasks" files to
                 // write "0" to (attach.hpp)
  NetnsFd,       // parent -> child, before Go: the new network namespace to join instead of
                 // unsharing one (init::NetnsPrep made it)
  MountRequest,  // child -> parent, while it mounts: payload = a mount's index; the parent
                 // answers MountFd with that index (MountSources), or fails the create
};

// Go's payload for a process that hooks or the seccomp agent are told about: its pid on the host
// and the container's state JSON, "PID\nSTATE-JSON".
std::string go_payload(pid_t host_pid, const std::string& state_json);
// Reads it back; leaves PID and STATE as they are when the payload is empty.
void parse_go_payload(const std::string& payload, pid_t& host_pid, std::string& state_json);

struct SyncMsg {
  SyncType type;
  std::string payload;
  UniqueFd fd;                 // the first fd passed with SCM_RIGHTS (MountFd, TasksFd)
  std::vector<UniqueFd> more;  // the others (TasksFd: one per v1 hierarchy, in one message)
};

// runc's words for a process that failed once started (its parent.start() and
// setnsProcess.start()): create's init and exec's process, whose errors come over this channel.
inline const std::string kStartFailed = "unable to start container process: ";

class SyncChannel {
 public:
  SyncChannel() = default;
  explicit SyncChannel(UniqueFd fd) : fd_(std::move(fd)) {}
  // A connected pair: [0] for the parent, [1] for the child.
  static void make_pair(SyncChannel& parent, SyncChannel& child);

  void send(SyncType type, std::string_view payload = {}, int fd = -1);
  // With several fds (at most kMaxFds) in one message.
  void send(SyncType type, std::string_view payload, const std::vector<int>& fds);
  static constexpr size_t kMaxFds = 32;
  // Blocks for the next message. Peer gone -> returns false.
  bool recv(SyncMsg& msg);
  // Receives the next message and requires it to be `want`; an Error message is rethrown as
  // nucleus::Error with its text; EOF becomes an Error naming `what`.
  SyncMsg expect(SyncType want, std::string_view what);  // the message, when it is WANT
  // After the peer is gone (or killed): reads what it sent before closing and throws its Error
  // message if there is one; returns otherwise. The peer's own error is the one to report.
  void throw_peer_error();
  int fd() const { return fd_.get(); }
  void close() { fd_.reset(); }

 private:
  UniqueFd fd_;
  std::vector<char> buf_;  // the receive buffer, made once (64 KiB)
};

}  // namespace nucleus
