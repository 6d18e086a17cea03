// sysloop MODE N: N iterations of a syscall, timed inside the process with CLOCK_MONOTONIC
// (vDSO: no syscall, so the clock reads do not pass through seccomp). Built with gcc -static:
// the busybox rootfs has no libc. Prints one JSON line:
//   {"mode":"getppid","iterations":N,"syscalls":S,"ns":T,"cpu_ns":C,"ns_per_syscall":X,"cpu_ns_per_syscall":Y}
// The thread's CPU time (CLOCK_THREAD_CPUTIME_ID, a syscall, made twice) is reported too: it is
// less disturbed by other load on the machine than the wall time.
// MODE getppid: syscall(SYS_getppid) (raw, glibc does not cache it), 1 syscall per iteration.
// MODE rw: read(fd,1 byte) from /dev/zero + write(fd,1 byte) to /dev/null, 2 per iteration.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long clock_ns(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}
static long long now_ns(void) {
  return clock_ns(CLOCK_MONOTONIC);
}
static long long cpu_ns(void) {
  return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: sysloop getppid|rw N\n");
    return 2;
  }
  long n = atol(argv[2]);
  long long t0, t1, c0, c1;
  long calls;
  if (strcmp(argv[1], "getppid") == 0) {
    c0 = cpu_ns();
    t0 = now_ns();
    for (long i = 0; i < n; i++) syscall(SYS_getppid);
    t1 = now_ns();
    c1 = cpu_ns();
    calls = n;
  } else if (strcmp(argv[1], "rw") == 0) {
    int in = open("/dev/zero", O_RDONLY), out = open("/dev/null", O_WRONLY);
    if (in < 0 || out < 0) return perror("open"), 1;
    char c;
    c0 = cpu_ns();
    t0 = now_ns();
    for (long i = 0; i < n; i++) {
      if (read(in, &c, 1) != 1 || write(out, &c, 1) != 1) return perror("rw"), 1;
    }
    t1 = now_ns();
    c1 = cpu_ns();
    calls = 2 * n;
  } else {
    fprintf(stderr, "sysloop: unknown mode %s\n", argv[1]);
    return 2;
  }
  printf(
      "{\"mode\":\"%s\",\"iterations\":%ld,\"syscalls\":%ld,\"ns\":%lld,\"cpu_ns\":%lld,"
      "\"ns_per_syscall\":%.2f,\"cpu_ns_per_syscall\":%.2f}\n",
      argv[1], n, calls, t1 - t0, c1 - c0, (double)(t1 - t0) / (double)calls,
      (double)(c1 - c0) / (double)calls);
  return 0;
}
