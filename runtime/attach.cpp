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
    for (const auto& f : cg.v1_task_files()) a.tasks_.push_back(open_fd(f, O_WRONLY));
    std::string v2 = cg.v2_directory();
    if (!v2.empty()) a.v2_ = open_fd(v2, O_PATH | O_DIRECTORY);
    a.usable_ = true;
  } catch (const Error&) {
    a = FastAttach{};
  }
  return a;
}

FastAttach FastAttach::open_unified(const cgroups::Manager& cg) {
  FastAttach a;
  try {
    std::string v2 = cg.v2_directory();
    if (!v2.empty()) a.v2_ = open_fd(v2, O_PATH | O_DIRECTORY);
    a.usable_ = true;
  } catch (const Error&) {
    a = FastAttach{};
  }
  return a;
}

std::vector<int> FastAttach::task_fds() const {
  std::vector<int> out;
  for (const auto& f : tasks_) out.push_back(f.get());
  return out;
}

long FastAttach::clone(unsigned long flags) {
  into_cgroup_ = false;
  if (usable_ && v2_) {
    clone_args args{};
    args.flags = flags | CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<uint64_t>(v2_.get());
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid >= 0) {
      into_cgroup_ = true;
      return pid;
    }
    if (errno != ENOSYS && errno != E2BIG && errno != EINVAL && errno != EOPNOTSUPP) return pid;
  }
  return ::syscall(SYS_clone, SIGCHLD | flags, nullptr, nullptr, nullptr, 0);
}

void FastAttach::close() {
  tasks_.clear();
  v2_.reset();
}

void self_attach(const std::vector<int>& task_fds) {
  for (int fd : task_fds)
    if (::write(fd, "0", 1) != 1) throw_sys("join the container's cgroup (write 0 to tasks)");
}

}  // namespace nucleus
