#include "seccomp/kernel_btf.hpp"

#include <fcntl.h>
#include <linux/btf.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cstring>
#include <vector>

#include "seccomp/ebpf_trace.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"

namespace nucleus::seccomp {
namespace {

// The BTF blob's types by id (1-based), indexed lazily: a lookup reads only as far as it has to
// (task_struct and thread_info are among vmlinux's first 400 of ~126,000 types), so that a
// mapped blob is touched on a few pages only.
class BtfTypes {
 public:
  explicit BtfTypes(std::string_view blob) : blob_(blob) {
    btf_header h;
    if (blob.size() < sizeof h) throw Error("BTF: too short");
    std::memcpy(&h, blob.data(), sizeof h);
    if (h.magic != BTF_MAGIC) throw Error("BTF: bad magic");
    size_t types = size_t{h.hdr_len} + h.type_off, strs = size_t{h.hdr_len} + h.str_off;
    if (types + h.type_len > blob.size() || strs + h.str_len > blob.size())
      throw Error("BTF: sections out of bounds");
    strings_ = blob.substr(strs, h.str_len);
    next_ = types;
    end_ = types + h.type_len;
  }
  // False when there is no type `id`.
  bool get(uint32_t id, btf_type& t) {
    while (offsets_.size() < id && next_ < end_) index_next();
    if (id == 0 || id > offsets_.size()) return false;
    std::memcpy(&t, blob_.data() + offsets_[id - 1], sizeof t);
    return true;
  }
  // The trailing records of type `id` (members, params...); get(id) must have succeeded.
  const char* extra(uint32_t id) const {
    return blob_.data() + offsets_[id - 1] + sizeof(btf_type);
  }
  std::string_view name(uint32_t off) const {
    if (off >= strings_.size()) return {};
    std::string_view s = strings_.substr(off);
    return s.substr(0, s.find('\0'));
  }

 private:
  void index_next() {
    if (next_ + sizeof(btf_type) > end_) throw Error("BTF: truncated type");
    btf_type t;
    std::memcpy(&t, blob_.data() + next_, sizeof t);
    offsets_.push_back(next_);
    next_ += sizeof t + extra_size(t);
    if (next_ > end_) throw Error("BTF: truncated type");
  }
  static size_t extra_size(const btf_type& t) {
    size_t vlen = BTF_INFO_VLEN(t.info);
    switch (BTF_INFO_KIND(t.info)) {
      case BTF_KIND_INT:
        return sizeof(uint32_t);
      case BTF_KIND_ARRAY:
        return sizeof(btf_array);
      case BTF_KIND_STRUCT:
      case BTF_KIND_UNION:
        return vlen * sizeof(btf_member);
      case BTF_KIND_ENUM:
        return vlen * sizeof(btf_enum);
      case BTF_KIND_FUNC_PROTO:
        return vlen * sizeof(btf_param);
      case BTF_KIND_VAR:
        return sizeof(btf_var);
      case BTF_KIND_DATASEC:
        return vlen * sizeof(btf_var_secinfo);
      case BTF_KIND_DECL_TAG:
        return sizeof(btf_decl_tag);
      case 19 /* BTF_KIND_ENUM64 */:
        return vlen * 3 * sizeof(uint32_t);
      case BTF_KIND_PTR:
      case BTF_KIND_FWD:
      case BTF_KIND_TYPEDEF:
      case BTF_KIND_VOLATILE:
      case BTF_KIND_CONST:
      case BTF_KIND_RESTRICT:
      case BTF_KIND_FUNC:
      case BTF_KIND_FLOAT:
      case BTF_KIND_TYPE_TAG:
        return 0;
      default:
        throw Error("BTF: unknown type kind " + std::to_string(BTF_INFO_KIND(t.info)));
    }
  }

  std::string_view blob_;
  std::string_view strings_;
  std::vector<size_t> offsets_;
  size_t next_ = 0, end_ = 0;
};

// The kernel's BTF, mapped (kernels since 6.16 allow it: only the pages looked at are read),
// else read whole (~40 ms for 5 MB through 4 KB sysfs reads on the development host).
class KernelBtf {
 public:
  explicit KernelBtf(const char* path) {
    UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
    if (!fd) throw_sys(std::string("open ") + path);
    struct stat st;
    if (::fstat(fd.get(), &st) == 0 && st.st_size > 0) {
      void* p =
          ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd.get(), 0);
      if (p != MAP_FAILED) {
        map_ = p;
        size_ = static_cast<size_t>(st.st_size);
        return;
      }
    }
    copy_ = read_file(path);
  }
  ~KernelBtf() {
    if (map_) ::munmap(map_, size_);
  }
  KernelBtf(const KernelBtf&) = delete;
  KernelBtf& operator=(const KernelBtf&) = delete;
  std::string_view bytes() const {
    return map_ ? std::string_view(static_cast<const char*>(map_), size_) : copy_;
  }

 private:
  void* map_ = nullptr;
  size_t size_ = 0;
  std::string copy_;
};

// Size of an integer type, through typedefs and qualifiers; 0 for anything else.
uint32_t int_size(BtfTypes& b, uint32_t id) {
  btf_type t;
  for (int depth = 0; depth < 16 && b.get(id, t); ++depth) {
    switch (BTF_INFO_KIND(t.info)) {
      case BTF_KIND_INT:
        return t.size;
      case BTF_KIND_TYPEDEF:
      case BTF_KIND_VOLATILE:
      case BTF_KIND_CONST:
      case BTF_KIND_RESTRICT:
      case BTF_KIND_TYPE_TAG:
        id = t.type;
        continue;
      default:
        return 0;
    }
  }
  return 0;
}

}  // namespace

std::optional<uint32_t> btf_member_offset(std::string_view btf, std::string_view type,
                                          std::string_view member, uint32_t size) {
  BtfTypes b(btf);
  btf_type t;
  for (uint32_t id = 1; b.get(id, t); ++id) {
    if (BTF_INFO_KIND(t.info) != BTF_KIND_STRUCT || b.name(t.name_off) != type) continue;
    const char* p = b.extra(id);
    for (uint32_t i = 0; i < BTF_INFO_VLEN(t.info); ++i) {
      btf_member m;
      std::memcpy(&m, p + i * sizeof m, sizeof m);
      if (b.name(m.name_off) != member) continue;
      uint32_t bits = BTF_INFO_KFLAG(t.info) ? BTF_MEMBER_BIT_OFFSET(m.offset) : m.offset;
      if (BTF_INFO_KFLAG(t.info) && BTF_MEMBER_BITFIELD_SIZE(m.offset) != 0) return std::nullopt;
      if (bits % 8 != 0) return std::nullopt;
      if (size != 0 && int_size(b, m.type) != size) return std::nullopt;
      return bits / 8;
    }
  }
  return std::nullopt;
}

uint32_t thread_info_status_offset() {
  const char* path = "/sys/kernel/btf/vmlinux";
  std::optional<KernelBtf> kernel;
  try {
    kernel.emplace(path);
  } catch (const Error& e) {
    throw EbpfUnavailable(std::string("kernel BTF: ") + e.what());
  }
  std::string_view btf = kernel->bytes();
  try {
    // thread_info is task_struct's first member where CONFIG_THREAD_INFO_IN_TASK (x86 always),
    // but its offset is looked up all the same.
    auto ti = btf_member_offset(btf, "task_struct", "thread_info");
    auto status = btf_member_offset(btf, "thread_info", "status", 4);
    if (!ti || !status)
      throw EbpfUnavailable(
          "the kernel's BTF has no task_struct.thread_info.status (u32): the eBPF recorder "
          "cannot tell i386 syscalls apart");
    return *ti + *status;
  } catch (const EbpfUnavailable&) {
    throw;
  } catch (const Error& e) {
    throw EbpfUnavailable(std::string(path) + ": " + e.what());
  }
}

}  // namespace nucleus::seccomp
