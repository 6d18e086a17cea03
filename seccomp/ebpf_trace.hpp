// Trace mode's eBPF recorder: a BPF_PROG_TYPE_RAW_TRACEPOINT program on sys_enter
// (seccomp/ebpf/trace.bpf.c, compiled by clang at build time and embedded) counts every syscall
// of the tasks under one cgroup v2 directory into maps, per (arch, number), with the argument
// values of interesting_args(). The workload runs at nearly full speed: no round trip per
// syscall, as with USER_NOTIF (trace.hpp). x86_64 only; needs CAP_BPF + CAP_PERFMON (root),
// the kernel's BTF with thread_info.status (TS_COMPAT tells i386 syscalls apart: its offset is
// found by seccomp/kernel_btf.hpp and given to the program as a constant). libbpf is
// opened with dlopen when a recorder is loaded: a run without trace mode never loads it.
#pragma once

#include <memory>
#include <string>

#include "seccomp/trace.hpp"
#include "util/error.hpp"

namespace nucleus::seccomp {

// Why the eBPF recorder cannot run here ("libbpf.so.1: cannot open…", "load the program:
// operation not permitted"); trace mode falls back to USER_NOTIF, or fails when eBPF was asked
// for explicitly.
class EbpfUnavailable : public Error {
 public:
  using Error::Error;
};

class EbpfRecorder {
 public:
  // Loads and verifies the program for the tasks under `cgroup_dir` (a cgroup v2 directory,
  // descendants included). It records nothing until start(). Throws EbpfUnavailable.
  static EbpfRecorder load(const std::string& cgroup_dir);
  EbpfRecorder(EbpfRecorder&&) noexcept;
  EbpfRecorder& operator=(EbpfRecorder&&) noexcept;
  ~EbpfRecorder();  // detaches and unloads

  // Attaches to sys_enter: from here on every syscall under the cgroup is counted.
  void start();
  // Detaches and adds everything recorded to `rec` (call it once the cgroup is empty: the
  // counts are then final). Throws when syscalls were lost (more distinct out-of-table numbers
  // than the map holds), never returning a silently incomplete trace.
  void collect(TraceRecorder& rec);

 private:
  struct Impl;
  explicit EbpfRecorder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nucleus::seccomp
