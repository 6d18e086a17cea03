// Field offsets from the running kernel's BTF (/sys/kernel/btf/vmlinux), read by a small
// scanner of the BTF type section: what the eBPF trace recorder needs (thread_info.status inside
// task_struct) without libbpf's CO-RE, which parses and indexes all of vmlinux's BTF (70 ms on
// the development host, for every traced run). The scan stops at the struct it looks for, and
// the file is mapped where the kernel allows it: a few pages are read, well under 1 ms.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nucleus::seccomp {

// Byte offset of member `member` in the struct named `type` in the BTF blob `btf`, when that
// member exists, is byte aligned and (when `size` is nonzero) is an integer of `size` bytes
// (through typedefs and qualifiers). Throws Error on a malformed blob.
std::optional<uint32_t> btf_member_offset(std::string_view btf, std::string_view type,
                                          std::string_view member, uint32_t size = 0);

// The offset of current->thread_info.status (x86: TS_COMPAT lives there), from
// /sys/kernel/btf/vmlinux. Throws EbpfUnavailable saying what is missing.
uint32_t thread_info_status_offset();

}  // namespace nucleus::seccomp
