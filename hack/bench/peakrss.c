// peakrss CMD [ARG...]: runs CMD and prints, on stderr, one line
//   peakrss top_hwm_kb=N tree_maxrss_kb=M status=S
// top_hwm_kb: VmHWM of CMD's own process (the top-level process only, all its threads share the
//   mm), read from /proc/PID/status at its PTRACE_EVENT_EXIT stop, i.e. the peak resident set
//   of that process over its whole life. Children it forks or clones are not included (they are
//   not traced). If CMD execs, the peak of the last image is reported.
// tree_maxrss_kb: ru_maxrss from wait4, what GNU time's %M reports: the maximum over CMD and
//   every descendant it (transitively) waited for.
// The exit status of CMD is returned.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static long read_hwm(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE* f = fopen(path, "r");
  if (!f) return -1;
  long v = -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "VmHWM:", 6) == 0) v = strtol(line + 6, NULL, 10);
  fclose(f);
  return v;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: peakrss CMD [ARG...]\n");
    return 2;
  }
  pid_t pid = fork();
  if (pid < 0) return perror("fork"), 125;
  if (pid == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    raise(SIGSTOP);
    execvp(argv[1], argv + 1);
    perror(argv[1]);
    _exit(127);
  }
  int st;
  if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st)) return perror("waitpid"), 125;
  ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL);
  ptrace(PTRACE_CONT, pid, 0, 0);
  long hwm = -1;
  struct rusage ru;
  for (;;) {
    pid_t w = wait4(pid, &st, 0, &ru);
    if (w < 0) {
      if (errno == EINTR) continue;
      return perror("wait4"), 125;
    }
    if (WIFEXITED(st) || WIFSIGNALED(st)) break;
    if (!WIFSTOPPED(st)) continue;
    int sig = WSTOPSIG(st), ev = st >> 16;
    if (sig == SIGTRAP && ev == PTRACE_EVENT_EXIT) {
      hwm = read_hwm(pid);
      sig = 0;
    } else if (sig == SIGTRAP && ev == PTRACE_EVENT_EXEC) {
      sig = 0;
    } else if (ev == PTRACE_EVENT_STOP) {
      sig = 0;
    }
    ptrace(PTRACE_CONT, pid, 0, sig);
  }
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  fprintf(stderr, "peakrss top_hwm_kb=%ld tree_maxrss_kb=%ld status=%d\n", hwm, ru.ru_maxrss, code);
  return code;
}
