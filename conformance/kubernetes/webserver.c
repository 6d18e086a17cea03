/* A stand-in for the web server images critest pulls (nginx, httpd), built statically by
 * conformance/kubernetes/images.bash: answers every HTTP request on PORT with 200 and a small
 * page. Usage: webserver PORT TITLE [MESSAGE]. It re-executes itself with TITLE as argv[0], so
 * that /proc/PID/cmdline reads like the real server's ("nginx: master process ..."), and writes
 * MESSAGE to stderr once it listens (httpd's "Command line: 'httpd -D FOREGROUND'"). */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static void quit(int sig) {
  (void)sig;
  _exit(0);
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: webserver PORT TITLE COMM [PIDFILE [MESSAGE]]\n");
    return 2;
  }
  if (strcmp(argv[0], argv[2]) != 0) {
    argv[0] = argv[2];
    execv("/proc/self/exe", argv);
    perror("webserver: re-exec");
    return 1;
  }
  prctl(PR_SET_NAME, argv[3], 0, 0, 0);
  signal(SIGTERM, quit);
  signal(SIGINT, quit);
  signal(SIGPIPE, SIG_IGN);
  int s = socket(AF_INET6, SOCK_STREAM, 0);
  int one = 1, zero = 0;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  struct sockaddr_in6 a = {0};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons((unsigned short)atoi(argv[1]));
  a.sin6_addr = in6addr_any;
  if (bind(s, (struct sockaddr*)&a, sizeof a) < 0 || listen(s, 64) < 0) {
    perror("webserver: listen");
    return 1;
  }
  if (argc > 4 && argv[4][0]) {
    FILE* f = fopen(argv[4], "w");
    if (!f) {
      perror(argv[4]);
      return 1;
    }
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
  }
  if (argc > 5 && argv[5][0]) fprintf(stderr, "%s\n", argv[5]);
  static const char page[] = "<html><body><h1>It works!</h1></body></html>\n";
  char reply[256];
  int n = snprintf(reply, sizeof reply,
                   "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n%s",
                   sizeof page - 1, page);
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    char buf[4096];
    (void)read(c, buf, sizeof buf);
    (void)write(c, reply, (size_t)n);
    close(c);
  }
}
