/* nobpf PROGRAM ARG...: runs PROGRAM with bpf(2) failing with EPERM (a seccomp filter), as it
 * fails for a caller without CAP_BPF: trace mode's eBPF recorder cannot load there
 * (trace_ebpf.bats checks the fallback to USER_NOTIF and the error of --seccomp-trace-mode ebpf).
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: nobpf PROGRAM ARG...\n");
    return 2;
  }
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx || seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0 ||
      seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(bpf), 0) < 0 || seccomp_load(ctx) < 0) {
    fprintf(stderr, "nobpf: cannot load the filter\n");
    return 1;
  }
  execv(argv[1], argv + 1);
  perror("nobpf: execv");
  return 127;
}
