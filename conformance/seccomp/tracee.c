/* A workload with known syscall counts for the trace tests (trace_ebpf.bats), built static at
 * test time, as a 64-bit and (with gcc -m32) a 32-bit program:
 *   tracee getpgid N    getpgid(0) N times
 *   tracee int80 N      getppid through int $0x80 (the i386 syscall 64) N times
 *   tracee fork2 N      a grandchild makes getpgid(0) N times (child and this process wait)
 *   tracee wait FILE    waits until FILE exists (at most 10 s)
 *   tracee now -        prints CLOCK_MONOTONIC in ns (hack/bench/trace times loops with it) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long int80_getppid(void) {
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(64L) : "memory");
  return ret;
}

static int getpgid_n(long n) {
  for (long i = 0; i < n; ++i) syscall(SYS_getpgid, 0);
  return 0;
}

static int waited(pid_t pid) {
  int st = 0;
  if (waitpid(pid, &st, 0) != pid) return 1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: tracee getpgid|int80|fork2 N | wait FILE | now -\n");
    return 2;
  }
  const char* mode = argv[1];
  if (strcmp(mode, "wait") == 0) {
    struct stat st;
    for (int i = 0; i < 1000 && stat(argv[2], &st) != 0; ++i) usleep(10000);
    return stat(argv[2], &st) == 0 ? 0 : 1;
  }
  if (strcmp(mode, "now") == 0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    printf("%lld\n", (long long)t.tv_sec * 1000000000LL + t.tv_nsec);
    return 0;
  }
  long n = atol(argv[2]);
  if (strcmp(mode, "getpgid") == 0) return getpgid_n(n);
  if (strcmp(mode, "int80") == 0) {
    for (long i = 0; i < n; ++i)
      if (int80_getppid() < 0) return 3;
    return 0;
  }
  if (strcmp(mode, "fork2") == 0) {
    pid_t child = fork();
    if (child == 0) {
      pid_t grandchild = fork();
      if (grandchild == 0) _exit(getpgid_n(n));
      _exit(waited(grandchild));
    }
    return waited(child);
  }
  fprintf(stderr, "tracee: unknown mode %s\n", mode);
  return 2;
}
