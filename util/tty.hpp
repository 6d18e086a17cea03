// Terminal helpers shared by the init (the container's pty) and the CLI (the foreground copy).
#pragma once

namespace nucleus {

// Clears ONLCR on a pty (master or slave: the flag is the pair's): "\n" written by the process
// reaches the other side as "\n", not "\r\n" (containerd/console's ClearONLCR, used by runc's
// recvtty). Throws Error with errno text.
void clear_onlcr(int pty);

}  // namespace nucleus
