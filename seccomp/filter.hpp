// linux.seccomp -> a loaded seccomp filter, built with libseccomp.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/config.hpp"
#include "util/fd.hpp"

namespace nucleus::seccomp {

// A compiled filter, ready to load in the container init. Building happens before the init's
// last steps; loading is one syscall.
class Filter {
 public:
  Filter();
  ~Filter();
  Filter(Filter&&) noexcept;
  Filter& operator=(Filter&&) noexcept;

  // True when some rule uses SCMP_ACT_NOTIFY: load() returns a listener fd.
  bool uses_notify() const;
  // Loads it into the calling thread's process. Returns the notify fd when uses_notify().
  // Needs no_new_privs or CAP_SYS_ADMIN.
  UniqueFd load() const;
  // The BPF program exactly as load() hands it to the kernel (struct sock_filter[], host byte
  // order; the -ENOSYS stub first when there is one), for caching by digest and tests.
  std::vector<unsigned char> export_bpf() const;
  // SECCOMP_FILTER_FLAG_* that load() passes (NEW_LISTENER included when uses_notify()).
  unsigned load_flags() const;
  // Instructions of the -ENOSYS stub in front of libseccomp's program; 0 when there is none
  // (permissive default action, or default already ERRNO(ENOSYS)). See seccomp/README.md.
  size_t enosys_stub_length() const;

  // A byte string holding everything load() needs (for the cache), and back; nullopt when the
  // bytes are not a serialized filter.
  std::string serialize() const;
  static std::optional<Filter> deserialize(std::string_view bytes);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  friend Filter build(const oci::Seccomp&, std::vector<std::string>*);
};

// Builds the filter. Unknown syscall names are skipped (their names are appended to
// `skipped` for a debug message); unknown actions, architectures, flags or operators are
// nucleus::Error naming the field ("linux.seccomp.syscalls[3].action: unknown action ...").
// Rules equal to the default action are skipped, and non-permissive defaults get the -ENOSYS
// stub, as in runc (seccomp/README.md).
Filter build(const oci::Seccomp& spec, std::vector<std::string>* skipped = nullptr);

}  // namespace nucleus::seccomp
