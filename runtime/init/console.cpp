// process.terminal: a pty from the container's own devpts; the master goes to the
// --console-socket as one SCM_RIGHTS message, the slave becomes stdio and controlling tty.
// --pidfd-socket: a pidfd of the process itself, the same way.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "runtime/init/init.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/socket.hpp"
#include "util/tty.hpp"

namespace nucleus::init {

void send_own_pidfd(UniqueFd& socket, const char* kind) {
  if (!socket) return;
  int pfd = static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0));
  if (pfd < 0) throw_sys("pidfd_open (for --pidfd-socket)");
  UniqueFd pidfd(pfd);
  send_fd(socket.get(), pidfd.get(), kind);
  socket.reset();
}

void setup_console(const oci::Process& proc, UniqueFd& console_socket, bool raw_output) {
  if (!console_socket) throw Error("process.terminal is true but no --console-socket was given");
  UniqueFd master = open_fd("/dev/ptmx", O_RDWR | O_NOCTTY);
  int unlock = 0;
  if (::ioctl(master.get(), TIOCSPTLCK, &unlock) < 0) throw_sys("unlock pty");
  int sfd = ::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (sfd < 0) throw_sys("open the pty slave");
  UniqueFd slave(sfd);
  if (proc.console_size) {
    winsize ws{};
    ws.ws_row = static_cast<unsigned short>(proc.console_size->height);
    ws.ws_col = static_cast<unsigned short>(proc.console_size->width);
    if (::ioctl(slave.get(), TIOCSWINSZ, &ws) < 0) throw_sys("set the console size");
  }
  if (raw_output) clear_onlcr(slave.get());
  // The process's uid; the group stays the one devpts gave the pty (gid=5, tty, with the
  // default config's devpts options), as runc's fixStdioPermissions. A uid that is not mapped,
  // or a pty we may not chown, is left as it is (runc too).
  if (::fchown(slave.get(), proc.user.uid, static_cast<gid_t>(-1)) < 0 && errno != EINVAL &&
      errno != EPERM && errno != EROFS)
    throw_sys("chown the pty slave");
  send_fd(console_socket.get(), master.get(), "/dev/ptmx");
  master.reset();
  console_socket.reset();
  // The caller may have made its session already (exec does, for every process).
  if (::getsid(0) != ::getpid() && ::setsid() < 0) throw_sys("setsid");
  if (::ioctl(slave.get(), TIOCSCTTY, 0) < 0) throw_sys("set the controlling terminal");
  for (int fd = 0; fd < 3; ++fd)
    if (::dup2(slave.get(), fd) < 0) throw_sys("dup the pty slave to stdio");
}

}  // namespace nucleus::init
