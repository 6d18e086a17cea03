// Typed, path-aware access to a RapidJSON tree: every error names the source file and the JSON
// path ("config.json: process.user.uid: must be an unsigned 32-bit integer").
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/config.hpp"

namespace nucleus::oci::detail {

using Value = rapidjson::Value;

inline constexpr size_t kMaxString = 1 << 20;  // hostile configs stay cheap
inline constexpr size_t kMaxArray = 65536;

class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  // false: linux.seccomp.syscalls (and source_key) are not read. The container init reads its
  // config again after the runtime validated it, and has the compiled filter already: the rules
  // are most of a Docker-like config's parse time.
  bool seccomp_rules = true;

  [[noreturn]] void fail(const std::string& path, const std::string& msg) const {
    throw ConfigError(source_ + ": " + (path.empty() ? "" : path + ": ") + msg);
  }
  // The member, or nullptr when absent or JSON null. Read as Go's encoding/json (runc) reads a
  // struct field, so both runtimes read the same config: a key given twice takes its last value,
  // and a key matches its field in any case ("pagesize" is hugepageLimits' "pageSize").
  const Value* get(const Value& obj, const char* key) const {
    const size_t len = std::char_traits<char>::length(key);
    for (auto it = obj.MemberEnd(); it != obj.MemberBegin();) {
      --it;
      if (it->name.GetStringLength() == len && same_ignoring_case(it->name.GetString(), key, len))
        return it->value.IsNull() ? nullptr : &it->value;
    }
    return nullptr;
  }
  static bool same_ignoring_case(const char* a, const char* b, size_t len) {
    for (size_t i = 0; i < len; ++i) {
      char x = a[i], y = b[i];
      if (x == y) continue;
      if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
      if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
      if (x != y) return false;
    }
    return true;
  }
  static std::string join(const std::string& path, const char* key) {
    return path.empty() ? key : path + "." + key;
  }
  static std::string index(const std::string& path, size_t i) {
    return path + "[" + std::to_string(i) + "]";
  }

  void object(const Value& v, const std::string& path) const {
    if (!v.IsObject()) fail(path, "must be an object");
  }
  std::string str(const Value& v, const std::string& path) const {
    if (!v.IsString()) fail(path, "must be a string");
    if (v.GetStringLength() > kMaxString) fail(path, "too long (more than 1 MiB)");
    std::string s(v.GetString(), v.GetStringLength());
    if (s.find('\0') != std::string::npos) fail(path, "must not contain a NUL byte");
    return s;
  }
  bool boolean(const Value& v, const std::string& path) const {
    if (!v.IsBool()) fail(path, "must be a boolean");
    return v.GetBool();
  }
  uint32_t u32(const Value& v, const std::string& path) const {
    if (!v.IsUint()) fail(path, "must be an unsigned 32-bit integer");
    return v.GetUint();
  }
  uint16_t u16(const Value& v, const std::string& path) const {
    if (!v.IsUint() || v.GetUint() > 0xffff) fail(path, "must be an unsigned 16-bit integer");
    return static_cast<uint16_t>(v.GetUint());
  }
  int32_t i32(const Value& v, const std::string& path) const {
    if (!v.IsInt()) fail(path, "must be a 32-bit integer");
    return v.GetInt();
  }
  int64_t i64(const Value& v, const std::string& path) const {
    if (!v.IsInt64()) fail(path, "must be a 64-bit integer");
    return v.GetInt64();
  }
  uint64_t u64(const Value& v, const std::string& path) const {
    if (!v.IsUint64()) fail(path, "must be an unsigned 64-bit integer");
    return v.GetUint64();
  }
  const Value::ConstArray array(const Value& v, const std::string& path) const {
    if (!v.IsArray()) fail(path, "must be an array");
    if (v.Size() > kMaxArray) fail(path, "too many entries (more than 65536)");
    return v.GetArray();
  }
  std::vector<std::string> strings(const Value& v, const std::string& path) const {
    if (!v.IsArray()) fail(path, "must be an array of strings");
    std::vector<std::string> out;
    out.reserve(v.Size());
    size_t i = 0;
    // The element's path is built only for its error: a Docker-like seccomp profile has ~400
    // names, and building "linux.seccomp.syscalls[0].names[17]" for each was a third of the
    // runtime's config parse.
    for (const auto& e : array(v, path)) {
      if (e.IsString() && e.GetStringLength() <= kMaxString &&
          std::memchr(e.GetString(), '\0', e.GetStringLength()) == nullptr)
        out.emplace_back(e.GetString(), e.GetStringLength());
      else
        out.push_back(str(e, index(path, i)));
      ++i;
    }
    return out;
  }
  // An object used as a map (annotations, sysctl, rdma, ...): bounded size and key length.
  const Value::ConstObject members(const Value& v, const std::string& path) const {
    object(v, path);
    if (v.MemberCount() > kMaxArray) fail(path, "too many entries (more than 65536)");
    for (const auto& m : v.GetObject()) {
      if (m.name.GetStringLength() > kMaxString) fail(path, "key too long (more than 1 MiB)");
      if (m.name.GetStringLength() == 0) fail(path, "keys must not be empty");
    }
    return v.GetObject();
  }
  static std::string key_of(const Value::Member& m) {
    return std::string(m.name.GetString(), m.name.GetStringLength());
  }
  std::map<std::string, std::string> string_map(const Value& v, const std::string& path) const {
    std::map<std::string, std::string> out;
    for (const auto& m : members(v, path)) {
      std::string key = key_of(m);
      out[key] = str(m.value, path + "." + key);
    }
    return out;
  }
  // The member that must be present (not null).
  const Value& required(const Value& obj, const std::string& path, const char* key) const {
    const Value* v = get(obj, key);
    if (!v) fail(join(path, key), "required");
    return *v;
  }

  // Optional helpers: assign when the member is present.
  template <class T, class F>
  void opt(const Value& obj, const std::string& path, const char* key, T& out, F conv) const {
    if (const Value* v = get(obj, key)) out = (this->*conv)(*v, join(path, key));
  }

  template <class T>
  void opt_set(const Value& obj, const std::string& path, const char* key, std::optional<T>& out,
               T (Reader::*conv)(const Value&, const std::string&) const) const {
    if (const Value* v = get(obj, key)) out = (this->*conv)(*v, join(path, key));
  }

  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

// Parses text into a document; invalid JSON names the offset.
void parse_document(rapidjson::Document& d, std::string_view json, const Reader& r);

// A byte range [begin, end) of the parsed text; empty when unknown.
struct TextSpan {
  size_t begin = 0, end = 0;
  bool empty() const { return end <= begin; }
};
// parse_document, and where the value of linux.seccomp.syscalls is in the text: set only when
// that path (and each key on it) appears exactly once.
void parse_document(rapidjson::Document& d, std::string_view json, const Reader& r,
                    TextSpan& seccomp_syscalls);

// Per-object parsers, shared by config.json, process.json and resources.json.
Process parse_process_value(const Value& v, const std::string& path, const Reader& r);
Resources parse_resources_value(const Value& v, const std::string& path, const Reader& r);
Seccomp parse_seccomp_value(const Value& v, const std::string& path, const Reader& r);
Linux parse_linux_value(const Value& v, const std::string& path, const Reader& r);
std::vector<IDMapping> parse_mappings(const Value& v, const std::string& path, const Reader& r);
Hook parse_hook(const Value& v, const std::string& path, const Reader& r);

// The semantic checks of a process object (config.json's process, exec's process.json).
void validate_process(const Process& p, const std::string& path, const Reader& r);

}  // namespace nucleus::oci::detail
