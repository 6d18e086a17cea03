# Helpers of the eBPF trace suites (trace_ebpf.bats, trace_hook.bats).

# no_trace_links: no process holds a raw_tracepoint link to sys_enter (the recorder's).
no_trace_links() {
  local f
  for f in /proc/[0-9]*/fdinfo/*; do
    grep -qs 'tp_name:.*sys_enter' "$f" && { echo "held: $f" >&2; return 1; }
  done
  return 0
}

# count TRACE ARCH NAME: the count of that syscall in the trace (0 when absent).
count() {
  jq -s --arg a "$2" --arg n "$3" '[.[] | select(.arch == $a and .name == $n) | .count] | add // 0' "$1"
}
