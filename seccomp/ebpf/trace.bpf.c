// The eBPF recorder of trace mode (seccomp/ebpf_trace.hpp): a raw tracepoint program on
// sys_enter that counts every syscall of the tasks under one cgroup v2 directory, per
// (arch, number), and keeps the distinct values of the arguments the profile generator narrows
// on. Built at build time by clang (-target bpf) and embedded in the runtime; x86_64 only.
//
// Nothing is dropped silently: numbers outside the tables go to a bounded hash map and, should
// it fill, to the `lost` counter (the tracer fails the trace then); an argument value that no
// longer fits the value map marks that argument "many" (more values than kept), which the
// generator treats as "do not narrow".
// In this order, each its own block (include sorting would put bpf/ first): bpf_helpers.h
// uses the types of linux/types.h and linux/bpf.h without including them.
#include <linux/types.h>

#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

#include "trace_layout.h"

char LICENSE[] SEC("license") = "GPL";

#define TS_COMPAT 0x0002  // arch/x86/include/asm/thread_info.h: 32-bit syscall active
#define X32_SYSCALL_BIT 0x40000000

// Where current->thread_info.status is: found by the loader in the running kernel's BTF
// (seccomp/kernel_btf.hpp) and set before the load. No CO-RE relocation on purpose: libbpf would
// parse all of vmlinux's BTF for it, 70 ms of every traced `run` on the development host.
const volatile __u32 thread_info_status_offset = 0;

// The x86_64 struct pt_regs the syscall entry saves, as the kernel lays it out (the same order
// as ptrace's user_regs_struct: a fixed ABI).
struct x86_64_regs {
  unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip, cs,
      flags, sp, ss;
};

struct {
  __uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u32);
} cgroup SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, TRACE_SLOTS);
  __type(key, __u32);
  __type(value, __u64);
} counts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, TRACE_SLOTS);
  __type(key, __u32);
  __type(value, __u32);
} argmask SEC(".maps");

// slot * 8 + argument index -> how many distinct values of it arg_values holds.
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, TRACE_SLOTS * 8);
  __type(key, __u32);
  __type(value, __u32);
} nvalues SEC(".maps");

// slot * 8 + argument index -> 1 when that argument took more values than are kept.
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, TRACE_SLOTS * 8);
  __type(key, __u32);
  __type(value, __u32);
} many SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, TRACE_MAX_VALUES);
  __type(key, struct trace_value_key);
  __type(value, __u8);
} arg_values SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, TRACE_MAX_OTHER);
  __type(key, struct trace_other_key);
  __type(value, __u64);
} other SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} lost SEC(".maps");

static __always_inline __u64 reg(unsigned long* field) {
  __u64 v = 0;
  bpf_probe_read_kernel(&v, sizeof v, field);
  return v;
}

// Argument i as seccomp sees it (syscall_get_arguments): the 64-bit convention, or the i386 one.
static __always_inline __u64 arg_of(struct x86_64_regs* r, int compat, int i) {
  if (compat) {
    switch (i) {
      case 0:
        return reg(&r->bx);
      case 1:
        return reg(&r->cx);
      case 2:
        return reg(&r->dx);
      case 3:
        return reg(&r->si);
      case 4:
        return reg(&r->di);
      default:
        return reg(&r->bp);
    }
  }
  switch (i) {
    case 0:
      return reg(&r->di);
    case 1:
      return reg(&r->si);
    case 2:
      return reg(&r->dx);
    case 3:
      return reg(&r->r10);
    case 4:
      return reg(&r->r8);
    default:
      return reg(&r->r9);
  }
}

static __always_inline void record_args(struct x86_64_regs* regs, int compat, __u32 slot) {
  __u32* mask = bpf_map_lookup_elem(&argmask, &slot);
  if (!mask || !*mask) return;
  __u32 m = *mask;
#pragma unroll
  for (int i = 0; i < 6; ++i) {
    if (!(m & (1u << i))) continue;
    __u32 akey = slot * 8 + i;
    __u32* mk = bpf_map_lookup_elem(&many, &akey);
    __u32* n = bpf_map_lookup_elem(&nvalues, &akey);
    if (!mk || !n || *mk) continue;  // already "many": nothing more to keep
    struct trace_value_key k = {.slot = slot, .index = i, .value = arg_of(regs, compat, i)};
    if (bpf_map_lookup_elem(&arg_values, &k)) continue;
    if (*n >= TRACE_ARG_VALUES_CAP) {
      *mk = 1;  // the same value from any CPU: no atomic needed
      continue;
    }
    __u8 one = 1;
    long err = bpf_map_update_elem(&arg_values, &k, &one, BPF_NOEXIST);
    if (err == 0)
      __sync_fetch_and_add(n, 1);
    else if (err != -17 /* EEXIST: another CPU stored it */)
      *mk = 1;  // the map is full
  }
}

static __always_inline void count_other(__u32 table, long id) {
  struct trace_other_key k = {.table = table, .nr = (__u32)id};
  __u64* c = bpf_map_lookup_elem(&other, &k);
  if (c) {
    __sync_fetch_and_add(c, 1);
    return;
  }
  __u64 one = 1;
  if (bpf_map_update_elem(&other, &k, &one, BPF_NOEXIST) == 0) return;
  c = bpf_map_lookup_elem(&other, &k);  // stored by another CPU meanwhile
  if (c) {
    __sync_fetch_and_add(c, 1);
    return;
  }
  __u32 zero = 0;
  __u64* l = bpf_map_lookup_elem(&lost, &zero);
  if (l) __sync_fetch_and_add(l, 1);
}

SEC("raw_tracepoint/sys_enter")
int nucleus_trace_sys_enter(struct bpf_raw_tracepoint_args* ctx) {
  if (!bpf_current_task_under_cgroup(&cgroup, 0)) return 0;
  struct x86_64_regs* regs = (void*)ctx->args[0];
  long id = (long)ctx->args[1];
  __u32 status = 0;
  bpf_probe_read_kernel(&status, sizeof status,
                        (char*)bpf_get_current_task() + thread_info_status_offset);
  int compat = (status & TS_COMPAT) != 0;
  __u32 table = compat ? TRACE_TABLE_COMPAT : TRACE_TABLE_NATIVE;
  long nr = id;
  if (!compat && id >= X32_SYSCALL_BIT) {
    table = TRACE_TABLE_X32;
    nr = id - X32_SYSCALL_BIT;
  }
  if (nr < 0 || nr >= TRACE_TABLE_SIZE) {
    count_other(table, id);
    return 0;
  }
  __u32 slot = table * TRACE_TABLE_SIZE + (__u32)nr;
  __u64* c = bpf_map_lookup_elem(&counts, &slot);
  if (!c) return 0;
  *c += 1;  // per CPU: no other writer
  record_args(regs, compat, slot);
  return 0;
}
