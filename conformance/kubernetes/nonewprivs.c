/* critest's nonewprivs image: a setuid-root program (installed 4755 root:root) that prints its
 * effective uid, so that no_new_privs shows (it stays the caller's uid). */
#include <stdio.h>
#include <unistd.h>

int main(void) {
  printf("Effective uid: %d\n", (int)geteuid());
  return 0;
}
