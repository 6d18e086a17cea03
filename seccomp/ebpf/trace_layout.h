/* Shared by the eBPF recorder (trace.bpf.c) and its loader (seccomp/ebpf_trace.cpp): the map
 * layout. C, so that both compilers take it. */
#ifndef NUCLEUS_SECCOMP_EBPF_TRACE_LAYOUT_H
#define NUCLEUS_SECCOMP_EBPF_TRACE_LAYOUT_H

#include <linux/types.h>

/* One table of counts per syscall ABI; a slot is table * TRACE_TABLE_SIZE + number. x86_64 and
 * i386 have fewer than 500 syscalls, x32 numbers are counted without __X32_SYSCALL_BIT. */
enum { TRACE_TABLE_NATIVE = 0, TRACE_TABLE_COMPAT = 1, TRACE_TABLE_X32 = 2, TRACE_TABLES = 3 };
#define TRACE_TABLE_SIZE 1024
#define TRACE_SLOTS (TRACE_TABLES * TRACE_TABLE_SIZE)
/* Distinct values kept per (syscall, argument): one more than TraceRecorder::kMaxValues, so
 * that the recorder sees "more than 64" and writes "many"; the program stops storing there. */
#define TRACE_ARG_VALUES_CAP 65
/* Distinct (syscall, argument, value) triples kept: 9 arguments of interest per arch x 3
 * arches x (65 + a margin for CPUs racing past the cap) fit many times over. Should it fill
 * all the same, the argument is marked "many", never dropped silently. */
#define TRACE_MAX_VALUES 8192
/* Distinct numbers outside the tables (syscall(100000), say); more are counted as lost. */
#define TRACE_MAX_OTHER 4096

struct trace_value_key {
  __u32 slot;
  __u32 index;
  __u64 value;
};

struct trace_other_key {
  __u32 table;
  __u32 nr; /* as the kernel saw it (x32: with the bit) */
};

#endif
