// linux.seccomp of config.json (and a standalone seccomp profile). Names of actions, operators,
// architectures and flags are checked by the seccomp module against libseccomp.
#include <cstdint>
#include <cstring>

#include "oci/json_reader.hpp"

namespace nucleus::oci::detail {
namespace {

// The profile as a byte string for the compiled-filter cache's key: type tags and lengths, no
// whitespace, members in document order. Equal strings mean equal JSON values (the encoding is
// injective). Sized first, then written through a pointer: a tenth of the cost of writing the
// object back out as JSON, which this replaced.
size_t encoded_size(const Value& v) {
  switch (v.GetType()) {
    case rapidjson::kStringType:
      return 1 + 4 + v.GetStringLength();
    case rapidjson::kNumberType:
      return 1 + 8;
    case rapidjson::kArrayType: {
      size_t n = 1 + 4;
      for (const auto& e : v.GetArray()) n += encoded_size(e);
      return n;
    }
    case rapidjson::kObjectType: {
      size_t n = 1 + 4;
      for (const auto& m : v.GetObject()) n += 4 + m.name.GetStringLength() + encoded_size(m.value);
      return n;
    }
    default:
      return 1;
  }
}

char* encode(const Value& v, char* out) {
  auto put = [&out](auto n) {
    std::memcpy(out, &n, sizeof n);
    out += sizeof n;
  };
  auto bytes = [&out](const char* p, uint32_t n) {
    std::memcpy(out, &n, sizeof n);
    std::memcpy(out + sizeof n, p, n);
    out += sizeof n + n;
  };
  switch (v.GetType()) {
    case rapidjson::kNullType:
      *out++ = 'z';
      break;
    case rapidjson::kFalseType:
      *out++ = 'f';
      break;
    case rapidjson::kTrueType:
      *out++ = 't';
      break;
    case rapidjson::kStringType:
      *out++ = 's';
      bytes(v.GetString(), v.GetStringLength());
      break;
    case rapidjson::kNumberType:
      if (v.IsUint64()) {
        *out++ = 'u';
        put(v.GetUint64());
      } else if (v.IsInt64()) {
        *out++ = 'i';
        put(v.GetInt64());
      } else {
        *out++ = 'd';
        put(v.GetDouble());
      }
      break;
    case rapidjson::kArrayType:
      *out++ = 'a';
      put(static_cast<uint32_t>(v.Size()));
      for (const auto& e : v.GetArray()) out = encode(e, out);
      break;
    case rapidjson::kObjectType:
      *out++ = 'o';
      put(static_cast<uint32_t>(v.MemberCount()));
      for (const auto& m : v.GetObject()) {
        bytes(m.name.GetString(), m.name.GetStringLength());
        out = encode(m.value, out);
      }
      break;
  }
  return out;
}

}  // namespace

Seccomp parse_seccomp_value(const Value& v, const std::string& path, const Reader& r) {
  r.object(v, path);
  Seccomp s;
  if (r.seccomp_rules) {
    s.source_key.resize(encoded_size(v));
    encode(v, s.source_key.data());
  }
  r.opt(v, path, "defaultAction", s.default_action, &Reader::str);
  if (s.default_action.empty()) r.fail(Reader::join(path, "defaultAction"), "required");
  r.opt_set(v, path, "defaultErrnoRet", s.default_errno_ret, &Reader::u32);
  if (const Value* a = r.get(v, "architectures"))
    s.architectures = r.strings(*a, Reader::join(path, "architectures"));
  if (const Value* f = r.get(v, "flags")) s.flags = r.strings(*f, Reader::join(path, "flags"));
  r.opt(v, path, "listenerPath", s.listener_path, &Reader::str);
  r.opt(v, path, "listenerMetadata", s.listener_metadata, &Reader::str);
  if (const Value* sc = r.seccomp_rules ? r.get(v, "syscalls") : nullptr) {
    std::string sp = Reader::join(path, "syscalls");
    size_t i = 0;
    for (const auto& e : r.array(*sc, sp)) {
      std::string ip = Reader::index(sp, i++);
      r.object(e, ip);
      SeccompSyscall call;
      call.names = r.strings(r.required(e, ip, "names"), Reader::join(ip, "names"));
      if (call.names.empty()) r.fail(Reader::join(ip, "names"), "must not be empty");
      r.opt(e, ip, "action", call.action, &Reader::str);
      if (call.action.empty()) r.fail(Reader::join(ip, "action"), "required");
      r.opt_set(e, ip, "errnoRet", call.errno_ret, &Reader::u32);
      if (const Value* args = r.get(e, "args")) {
        std::string ap = Reader::join(ip, "args");
        size_t j = 0;
        for (const auto& a : r.array(*args, ap)) {
          std::string jp = Reader::index(ap, j++);
          r.object(a, jp);
          SeccompArg arg;
          arg.index = r.u32(r.required(a, jp, "index"), Reader::join(jp, "index"));
          if (arg.index > 5) r.fail(Reader::join(jp, "index"), "must be between 0 and 5");
          r.opt(a, jp, "value", arg.value, &Reader::u64);
          r.opt(a, jp, "valueTwo", arg.value_two, &Reader::u64);
          arg.op = r.str(r.required(a, jp, "op"), Reader::join(jp, "op"));
          call.args.push_back(arg);
        }
      }
      s.syscalls.push_back(call);
    }
  }
  return s;
}

}  // namespace nucleus::oci::detail
