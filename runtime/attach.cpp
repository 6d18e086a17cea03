#include "runtime/attach.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "runtime/util/error.hpp"
#include "runtime/util/fs.hpp"

namespace nucleus {

FastAttach FastAttach::open(const cgroups::Manager& cg) {
  FastAttach a;
  try {
    for (const auto& f : cg.v1_task_files()) a.tasks.push_back(open_fd(f, O_WRONLY));
    std::string v2 = cg.v2_directory();
    if (!v2.empty()) a.v2 = open_fd(v2, O_PATH | O_DIRECTORY);
    a.usable = true;
  } catch (const Error&) {
    a = FastAttach{};  // e.g. rootless: the runtime's add_process decides what is an error
  }
  return a;
}

std::vector<int> FastAttach::task_fds() const {
  std::vector<int> out;
  for (const auto& f : tasks) out.push_back(f.get());
  return out;
}

long clone_process(unsigned long flags, int cgroup_fd, bool* into_cgroup) {
  *into_cgroup = false;
  if (cgroup_fd >= 0) {
    clone_args args{};
    args.flags = flags | CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<uint64_t>(cgroup_fd);
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid >= 0) {
      if (pid > 0) *into_cgroup = true;
      return pid;
    }
    if (errno != ENOSYS && errno != E2BIG && errno != EINVAL && errno != EOPNOTSUPP) return pid;
  }
  return ::syscall(SYS_clone, SIGCHLD | flags, nullptr, nullptr, nullptr, 0);
}

void self_attach(const std::vector<int>& task_fds) {
  for (int fd : task_fds)
    if (::write(fd, "0", 1) != 1) throw_sys("join the container's cgroup (write 0 to tasks)");
}

}  // namespace nucleus
