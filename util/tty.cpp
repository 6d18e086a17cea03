#include "util/tty.hpp"

#include <termios.h>

#include "util/error.hpp"

namespace nucleus {

void clear_onlcr(int pty) {
  termios t{};
  if (::tcgetattr(pty, &t) < 0) throw_sys("get the pty's termios");
  t.c_oflag &= ~static_cast<tcflag_t>(ONLCR);
  if (::tcsetattr(pty, TCSANOW, &t) < 0) throw_sys("clear ONLCR on the pty");
}

}  // namespace nucleus
