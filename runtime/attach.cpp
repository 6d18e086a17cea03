#include "runtime/attach.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "util/error.hpp"
#include "util/fs.hpp"

namespace nucleus {
namespace {

// clone3 failures that mean "not this way on this kernel": try the older way.
bool clone3_retryable(long err) {
  return err == ENOSYS || err == E2BIG || err == EINVAL || err == EOPNOTSUPP;
}

}  // namespace

FastAttach FastAttach::open(const cgroups::Manager& cg) {
  FastAttach a = open_unified(cg);
  if (!a.usable_) return a;
  try {
    for (const auto& f : cg.v1_task_files()) a.tasks_.push_back(open_fd(f, O_WRONLY));
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
    if (!clone3_retryable(errno)) return pid;
  }
  return ::syscall(SYS_clone, SIGCHLD | flags, nullptr, nullptr, nullptr, 0);
}

namespace {

#if defined(__x86_64__)
static_assert(SYS_clone3 == 435, "the trampoline below hard-codes clone3's number");
// clone3(args, size); in the child, on the stack args->stack (set by the caller), fn(arg) and
// then exit with its value. Returns the child's pid or -errno in the parent (a raw syscall).
// The child starts with the caller's registers: fn and arg travel in r8/r9, which clone3 keeps.
__attribute__((naked, noinline)) long clone3_call(clone_args*, size_t, int (*)(void*), void*) {
  asm("mov %rdx, %r8\n\t"
      "mov %rcx, %r9\n\t"
      "mov $435, %eax\n\t"
      "syscall\n\t"
      "test %rax, %rax\n\t"
      "jnz 1f\n\t"
      "xor %ebp, %ebp\n\t"
      "mov %r9, %rdi\n\t"
      "call *%r8\n\t"
      "mov %eax, %edi\n\t"
      "mov $60, %eax\n\t"
      "syscall\n\t"
      "hlt\n"
      "1:\n\t"
      "ret\n\t");
}
constexpr bool kTrampoline = true;
#else
long clone3_call(clone_args*, size_t, int (*)(void*), void*) {
  return -ENOSYS;
}
constexpr bool kTrampoline = false;
#endif

}  // namespace

long FastAttach::spawn(unsigned long flags, int (*fn)(void*), void* arg) {
  into_cgroup_ = false;
  constexpr size_t kStack = 64 * 1024;
  void* stack = kTrampoline ? ::mmap(nullptr, kStack, PROT_READ | PROT_WRITE,
                                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0)
                            : MAP_FAILED;
  if (stack != MAP_FAILED) {
    // No signal handler may run in the child while it shares our memory (it execs or exits with
    // all signals blocked; the init unblocks them).
    sigset_t all, old;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    clone_args args{};
    args.flags = flags | CLONE_VM | CLONE_VFORK;
    args.exit_signal = SIGCHLD;
    args.stack = reinterpret_cast<uint64_t>(stack);
    args.stack_size = kStack;
    long r = -ENOSYS;
    if (usable_ && v2_) {
      args.flags |= CLONE_INTO_CGROUP;
      args.cgroup = static_cast<uint64_t>(v2_.get());
      r = clone3_call(&args, sizeof args, fn, arg);
      into_cgroup_ = r >= 0;
      args.flags &= ~static_cast<uint64_t>(CLONE_INTO_CGROUP);
      args.cgroup = 0;
    }
    if (r < 0 && clone3_retryable(-r)) r = clone3_call(&args, sizeof args, fn, arg);
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    ::munmap(stack, kStack);  // the child has exec'd or exited (CLONE_VFORK)
    if (r >= 0) return r;
    if (!clone3_retryable(-r)) {
      errno = static_cast<int>(-r);
      return -1;
    }
  }
  // No trampoline for this arch, or no clone3: a copy-on-write child runs fn.
  long pid = clone(flags);
  if (pid == 0) ::_exit(fn(arg));
  return pid;
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
