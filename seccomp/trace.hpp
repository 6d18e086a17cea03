// Trace mode: every syscall a container makes goes to a supervisor through a
// SECCOMP_RET_USER_NOTIF filter; the supervisor records it (arch, number, a few argument values)
// and lets it continue (SECCOMP_USER_NOTIF_FLAG_CONTINUE). Complete (children inherit the
// filter; nothing is rate limited or sampled), exact counts. See seccomp/README.md for why.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "util/fd.hpp"

namespace nucleus::seccomp {

// Argument values worth keeping for a narrower profile: socket family/type, clone flags,
// personality, ioctl request, prctl option. Returns the argument indexes for a syscall name.
const std::vector<unsigned>& interesting_args(std::string_view name);
// The syscalls interesting_args() has indexes for.
const std::vector<std::string>& interesting_syscalls();

struct TraceEntry {
  uint32_t arch = 0;  // AUDIT_ARCH_* / SCMP_ARCH_* token
  int nr = 0;
  std::string name;  // from libseccomp; empty when unknown
  uint64_t count = 0;
  // arg index -> distinct values seen (at most kMaxValues; `overflow` marks more).
  std::map<unsigned, std::set<uint64_t>> args;
  std::set<unsigned> overflow;
};

class TraceRecorder {
 public:
  static constexpr size_t kMaxValues = 64;
  void record(uint32_t arch, int nr, const uint64_t args[6]);
  // Merges entries (from another recorder or a parsed file).
  void merge(const TraceEntry& e);
  // NDJSON, one record per (arch, syscall), sorted by arch then number:
  // {"syscall":0,"name":"read","arch":"SCMP_ARCH_X86_64","count":12,"args":[{"index":0,"values":[..]}]}
  std::string to_ndjson() const;
  const std::map<std::pair<uint32_t, int>, TraceEntry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

 private:
  std::map<std::pair<uint32_t, int>, TraceEntry> entries_;
};

// Parses NDJSON produced by to_ndjson (or the seed format without "arch": native arch).
// Errors name the source and line: "trace.ndjson:3: missing \"syscall\"".
void parse_trace(std::string_view text, std::string_view source, TraceRecorder& into);

// Loads, in the calling process, a filter whose every syscall on the native arch and its compat
// arches is a user notification. Needs no_new_privs or CAP_SYS_ADMIN. Returns the listener fd.
UniqueFd load_trace_filter();

// Serves a listener until no process uses the filter any more (POLLHUP), recording each call.
void serve_trace(int listener, TraceRecorder& rec);

// Takes the listener fd out of process `pid` (pidfd_getfd) as soon as it appears in
// /proc/PID/fd, for a supervisor that is not the filter's loader. Throws on timeout.
UniqueFd take_listener(pid_t pid, int timeout_ms);

}  // namespace nucleus::seccomp
