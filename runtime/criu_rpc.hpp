// CRIU's RPC service as runc uses it: `criu swrk 3` on one end of a SEQPACKET socketpair, one
// protobuf message per packet (rpc.proto, proto2). Only the fields nucleus-oci sends and reads
// are encoded here: a few dozen lines instead of a protobuf library, and no libcriu, so a
// container start loads nothing of CRIU and every option of rpc.proto is reachable (libcriu
// 3.17 has no setter for empty_ns, lazy_pages or status_fd, which runc always or sometimes sets).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/fd.hpp"

namespace nucleus::criu {

// A protobuf message being written: fields appended in any order (proto2 accepts that).
class Message {
 public:
  Message& varint(int field, uint64_t v);
  Message& boolean(int field, bool v) { return varint(field, v ? 1 : 0); }
  Message& int32(int field, int32_t v) {
    return varint(field, static_cast<uint64_t>(static_cast<int64_t>(v)));
  }
  Message& bytes(int field, std::string_view v);
  Message& message(int field, const Message& m) { return bytes(field, m.data_); }
  const std::string& data() const { return data_; }

 private:
  void raw_varint(uint64_t v);
  std::string data_;
};

// A protobuf message read: every field by number, varints as numbers, the rest as bytes.
struct Fields {
  std::multimap<int, uint64_t> ints;
  std::multimap<int, std::string> strings;
  static Fields parse(std::string_view data);  // throws on malformed input
  uint64_t get_int(int field, uint64_t dflt = 0) const;
  std::string get_string(int field) const;
  bool has(int field) const { return ints.count(field) || strings.count(field); }
};

// rpc.proto's field numbers (criu_opts, criu_req, criu_resp and their parts).
namespace opt {
enum : int {
  images_dir_fd = 1,
  pid = 2,
  leave_running = 3,
  ext_unix_sk = 4,
  tcp_established = 5,
  evasive_devices = 6,
  shell_job = 7,
  file_locks = 8,
  log_level = 9,
  log_file = 10,
  ps = 11,
  notify_scripts = 12,
  root = 13,
  parent_img = 14,
  track_mem = 15,
  auto_dedup = 16,
  work_dir_fd = 17,
  link_remap = 18,
  ext_mnt = 23,
  manage_cgroups = 24,
  cg_root = 25,
  rst_sibling = 26,
  inherit_fd = 27,
  manage_cgroups_mode = 34,
  external = 37,
  empty_ns = 38,
  join_ns = 39,
  freeze_cgroup = 44,
  tcp_skip_in_flight = 46,
  lazy_pages = 48,
  status_fd = 49,
  orphan_pts_master = 50,
  config_file = 51,
  lsm_profile = 53,
  lsm_mount_context = 63,
};
}
enum ReqType : int {
  kDump = 1,
  kRestore = 2,
  kPreDump = 4,
  kNotify = 6,
  kFeatureCheck = 9,
  kVersion = 10,
};
// criu_cg_mode
enum CgMode : int { kCgIgnore = 0, kCgSoft = 3, kCgFull = 4, kCgStrict = 5, kCgDefault = 6 };

// What one swrk session gets back.
struct Response {
  int type = 0;
  bool success = false;
  int cr_errno = 0;
  std::string cr_errmsg;
  Fields all;
};

// A notification from CRIU during a request: the script name ("post-dump", "setup-namespaces",
// "post-restore", "orphan-pts-master", "status-ready"), the root task's pid, and an fd when one
// came with it (orphan-pts-master). Throwing fails the request.
struct Notify {
  std::string script;
  pid_t pid = 0;
  UniqueFd fd;
};

// The criu binary: the first "criu" in $PATH. Throws runc's text when there is none:
// `exec: "criu": executable file not found in $PATH`.
std::string find_criu();

// One `criu swrk` process, started by the constructor with `stdio` (-1 = /dev/null) as its
// 0, 1, 2, the socket as fd 3 and `extra` as fds 4, 5, ... (in order).
class Swrk {
 public:
  Swrk(const std::string& criu, const int stdio[3], const std::vector<int>& extra);
  ~Swrk();  // kills and reaps criu if it is still there
  Swrk(const Swrk&) = delete;
  Swrk& operator=(const Swrk&) = delete;

  pid_t pid() const { return pid_; }
  // Sends `req`, answers every NOTIFY (after `on_notify`) and returns the final response.
  Response call(const Message& req, const std::function<void(Notify&)>& on_notify = {});
  // Closes the socket and reaps criu; its wait status.
  int finish();

 private:
  pid_t pid_ = -1;
  UniqueFd sock_;
};

// CRIU's version as runc computes it: major*10000 + minor*100 + sublevel (3.17.1 -> 31701).
int version(const std::string& criu);

}  // namespace nucleus::criu
