// The cgroup v2 device controller is an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE). Built from
// linux.resources.devices like runc's devicefilter: rules are checked last to first, so the last
// matching rule decides; no match denies.
#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "cgroups/fs_manager.hpp"
#include "runtime/util/error.hpp"
#include "runtime/util/fs.hpp"

namespace nucleus::cgroups {
namespace {

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst;
  i.src_reg = src;
  i.off = off;
  i.imm = imm;
  return i;
}

// R2 = device type, R3 = access, R4 = major, R5 = minor (from struct bpf_cgroup_dev_ctx in R1).
void prologue(std::vector<bpf_insn>& p) {
  p.push_back(insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0));
  p.push_back(insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff));
  p.push_back(insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_3, BPF_REG_1, 0, 0));
  p.push_back(insn(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16));
  p.push_back(insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 4, 0));
  p.push_back(insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, 8, 0));
}

// Returns true when the rule matches every access (nothing after it can be reached).
bool rule_block(std::vector<bpf_insn>& p, const oci::DeviceCgroupRule& r) {
  std::vector<bpf_insn> conds;  // each a jump "to next rule" with its offset patched below
  std::string type = r.type.empty() ? "a" : r.type;
  if (type != "a") {
    int t = type == "b" ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
    conds.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0, t));
  }
  std::string access = r.access.empty() ? "rwm" : r.access;
  int acc = 0;
  if (access.find('m') != std::string::npos) acc |= BPF_DEVCG_ACC_MKNOD;
  if (access.find('r') != std::string::npos) acc |= BPF_DEVCG_ACC_READ;
  if (access.find('w') != std::string::npos) acc |= BPF_DEVCG_ACC_WRITE;
  bool all_access = acc == (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE);
  std::vector<bpf_insn> block;
  std::vector<size_t> jumps;
  for (auto& c : conds) jumps.push_back(block.size()), block.push_back(c);
  if (!all_access) {
    // (access & rule_access) must equal access: every requested bit is allowed by the rule.
    block.push_back(insn(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
    block.push_back(insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, acc));
    jumps.push_back(block.size());
    block.push_back(insn(BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
  }
  if (type != "a" && r.major && *r.major >= 0) {
    jumps.push_back(block.size());
    block.push_back(
        insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, static_cast<int32_t>(*r.major)));
  }
  if (type != "a" && r.minor && *r.minor >= 0) {
    jumps.push_back(block.size());
    block.push_back(
        insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, static_cast<int32_t>(*r.minor)));
  }
  block.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, r.allow ? 1 : 0));
  block.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  for (size_t j : jumps) block[j].off = static_cast<int16_t>(block.size() - j - 1);
  p.insert(p.end(), block.begin(), block.end());
  return jumps.empty();
}

long bpf(int cmd, bpf_attr* attr) {
  return ::syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

}  // namespace

void attach_device_filter(const std::string& cgroup_dir,
                          const std::vector<oci::DeviceCgroupRule>& rules) {
  std::vector<bpf_insn> prog;
  prologue(prog);
  bool decided = false;  // the verifier rejects unreachable instructions
  for (auto it = rules.rbegin(); it != rules.rend() && !decided; ++it)
    decided = rule_block(prog, *it);
  if (!decided) {
    prog.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0));
    prog.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  }

  static const char license[] = "Apache";
  char log[4096] = {0};
  bpf_attr load{};
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uint64_t>(prog.data());
  load.insn_cnt = static_cast<uint32_t>(prog.size());
  load.license = reinterpret_cast<uint64_t>(license);
  load.log_buf = reinterpret_cast<uint64_t>(log);
  load.log_size = sizeof log;
  load.log_level = 1;
  long pfd = bpf(BPF_PROG_LOAD, &load);
  if (pfd < 0) {
    int e = errno;
    throw Error("linux.resources.devices: load the device eBPF program: " + errno_text(e) +
                    (log[0] ? std::string(" (") + log + ")" : ""),
                e);
  }
  UniqueFd progfd(static_cast<int>(pfd));
  UniqueFd dir = open_fd(cgroup_dir, O_RDONLY | O_DIRECTORY);

  // Programs attached before (an earlier apply/update) are replaced by this one.
  uint32_t old_ids[64];
  bpf_attr q{};
  q.query.target_fd = static_cast<uint32_t>(dir.get());
  q.query.attach_type = BPF_CGROUP_DEVICE;
  q.query.prog_ids = reinterpret_cast<uint64_t>(old_ids);
  q.query.prog_cnt = 64;
  uint32_t old_count = bpf(BPF_PROG_QUERY, &q) == 0 ? q.query.prog_cnt : 0;

  bpf_attr att{};
  att.target_fd = static_cast<uint32_t>(dir.get());
  att.attach_bpf_fd = static_cast<uint32_t>(progfd.get());
  att.attach_type = BPF_CGROUP_DEVICE;
  att.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, &att) < 0)
    throw_sys("linux.resources.devices: attach the device eBPF program to " + cgroup_dir);

  for (uint32_t i = 0; i < old_count && i < 64; ++i) {
    bpf_attr get{};
    get.prog_id = old_ids[i];
    long ofd = bpf(BPF_PROG_GET_FD_BY_ID, &get);
    if (ofd < 0) continue;
    UniqueFd old(static_cast<int>(ofd));
    bpf_attr det{};
    det.target_fd = static_cast<uint32_t>(dir.get());
    det.attach_bpf_fd = static_cast<uint32_t>(old.get());
    det.attach_type = BPF_CGROUP_DEVICE;
    bpf(BPF_PROG_DETACH, &det);
  }
}

}  // namespace nucleus::cgroups
