// The cgroup v2 device controller is an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE) built from
// linux.resources.devices like runc's devicefilter: the rules are emitted last to first, so the
// last matching rule decides; no match denies.
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vector>

#include "cgroups/fs_manager.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace nucleus::cgroups {
namespace {

const std::string kField = "linux.resources.devices";

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

bpf_insn ret(int v) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, v);
}
bpf_insn exit_insn() {
  return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

// struct bpf_cgroup_dev_ctx { u32 access_type; /* (access << 16) | type */ u32 major, minor; }
// R2 = type, R3 = access, R4 = major, R5 = minor.
void prologue(std::vector<bpf_insn>& p) {
  p.push_back(insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0));
  p.push_back(insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff));
  p.push_back(insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_3, BPF_REG_1, 0, 0));
  p.push_back(insn(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16));
  p.push_back(insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 4, 0));
  p.push_back(insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, 8, 0));
}

// One rule: a run of "if this does not match, jump past the block" tests, then return verdict.
// Returns false when the rule matches every access (nothing after it can be reached).
bool rule_block(std::vector<bpf_insn>& p, const oci::DeviceCgroupRule& r, size_t index) {
  std::vector<bpf_insn> block;
  std::vector<size_t> jumps;  // indexes of the "no match" jumps, patched to the block's end
  auto skip_unless = [&](bpf_insn i) {
    jumps.push_back(block.size());
    block.push_back(i);
  };
  std::string type = r.type.empty() ? "a" : r.type;
  if (type == "c" || type == "b") {
    skip_unless(insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0,
                     type == "b" ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
  } else if (type != "a") {
    throw Error(kField + "[" + std::to_string(index) + "].type: \"" + type +
                "\" is not one of a, b, c");
  }
  int acc = 0;
  for (char c : r.access.empty() ? std::string("rwm") : r.access) {
    if (c == 'r')
      acc |= BPF_DEVCG_ACC_READ;
    else if (c == 'w')
      acc |= BPF_DEVCG_ACC_WRITE;
    else if (c == 'm')
      acc |= BPF_DEVCG_ACC_MKNOD;
    else
      throw Error(kField + "[" + std::to_string(index) + "].access: \"" + r.access +
                  "\" is not a combination of r, w, m");
  }
  if (acc != (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)) {
    // Matches when every requested access bit is in the rule: (R3 & acc) == R3.
    block.push_back(insn(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
    block.push_back(insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, acc));
    skip_unless(insn(BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
  }
  if (r.major && *r.major >= 0)
    skip_unless(insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, static_cast<int32_t>(*r.major)));
  if (r.minor && *r.minor >= 0)
    skip_unless(insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, static_cast<int32_t>(*r.minor)));
  block.push_back(ret(r.allow ? 1 : 0));
  block.push_back(exit_insn());
  for (size_t j : jumps) block[j].off = static_cast<int16_t>(block.size() - j - 1);
  p.insert(p.end(), block.begin(), block.end());
  return !jumps.empty();
}

long sys_bpf(int cmd, bpf_attr* attr) {
  return ::syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

UniqueFd load(const std::vector<bpf_insn>& prog) {
  static const char license[] = "Apache";
  bpf_attr a{};
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insns = reinterpret_cast<uint64_t>(prog.data());
  a.insn_cnt = static_cast<uint32_t>(prog.size());
  a.license = reinterpret_cast<uint64_t>(license);
  long fd = sys_bpf(BPF_PROG_LOAD, &a);
  if (fd >= 0) return UniqueFd(static_cast<int>(fd));
  int e = errno;
  // Load again with the verifier log, for the message.
  std::vector<char> log(65536);
  a.log_buf = reinterpret_cast<uint64_t>(log.data());
  a.log_size = static_cast<uint32_t>(log.size());
  a.log_level = 1;
  fd = sys_bpf(BPF_PROG_LOAD, &a);
  if (fd >= 0) return UniqueFd(static_cast<int>(fd));
  std::string text = trim(std::string(log.data()));
  throw Error(kField + ": load the device eBPF program: " + errno_text(e) +
                  (text.empty() ? "" : " (verifier: " + text + ")"),
              e);
}

}  // namespace

std::vector<bpf_insn> device_filter_program(const std::vector<oci::DeviceCgroupRule>& rules) {
  std::vector<bpf_insn> prog;
  prologue(prog);
  // The verifier rejects unreachable code: stop after a rule that matches everything (earlier
  // rules are shadowed by it), and the default deny is only needed when no such rule exists.
  // Every rule is built (and so validated) even when shadowed.
  bool reachable = true;
  for (size_t i = rules.size(); i-- > 0;) {
    std::vector<bpf_insn> block;
    bool conditional = rule_block(block, rules[i], i);
    if (reachable) prog.insert(prog.end(), block.begin(), block.end());
    reachable = reachable && conditional;
  }
  if (!reachable) return prog;
  prog.push_back(ret(0));
  prog.push_back(exit_insn());
  return prog;
}

void attach_device_filter(const std::string& cgroup_dir,
                          const std::vector<oci::DeviceCgroupRule>& rules) {
  UniqueFd progfd = load(device_filter_program(rules));
  UniqueFd dir;
  try {
    dir = open_fd(cgroup_dir, O_RDONLY | O_DIRECTORY);
  } catch (const Error& e) {
    throw Error(kField + ": " + e.what(), e.code());
  }

  // What is attached now (an earlier apply/update): replaced by the new program below.
  std::vector<uint32_t> old_ids(64);
  bpf_attr q{};
  q.query.target_fd = static_cast<uint32_t>(dir.get());
  q.query.attach_type = BPF_CGROUP_DEVICE;
  q.query.prog_ids = reinterpret_cast<uint64_t>(old_ids.data());
  q.query.prog_cnt = static_cast<uint32_t>(old_ids.size());
  uint32_t old_count = sys_bpf(BPF_PROG_QUERY, &q) == 0 ? q.query.prog_cnt : 0;

  bpf_attr att{};
  att.target_fd = static_cast<uint32_t>(dir.get());
  att.attach_bpf_fd = static_cast<uint32_t>(progfd.get());
  att.attach_type = BPF_CGROUP_DEVICE;
  att.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf(BPF_PROG_ATTACH, &att) < 0)
    throw_sys(kField + ": attach the device eBPF program to " + cgroup_dir);

  for (uint32_t i = 0; i < old_count && i < old_ids.size(); ++i) {
    bpf_attr get{};
    get.prog_id = old_ids[i];
    long ofd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &get);
    if (ofd < 0) continue;
    UniqueFd old(static_cast<int>(ofd));
    bpf_attr det{};
    det.target_fd = static_cast<uint32_t>(dir.get());
    det.attach_bpf_fd = static_cast<uint32_t>(old.get());
    det.attach_type = BPF_CGROUP_DEVICE;
    if (sys_bpf(BPF_PROG_DETACH, &det) < 0 && errno != ENOENT)
      throw_sys(kField + ": detach the previous device eBPF program from " + cgroup_dir);
  }
}

}  // namespace nucleus::cgroups
