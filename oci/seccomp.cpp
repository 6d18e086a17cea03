// linux.seccomp of config.json (and a standalone seccomp profile). Names of actions, operators,
// architectures and flags are checked by the seccomp module against libseccomp.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "oci/json_reader.hpp"

namespace nucleus::oci::detail {

Seccomp parse_seccomp_value(const Value& v, const std::string& path, const Reader& r) {
  r.object(v, path);
  Seccomp s;
  if (r.seccomp_rules) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    v.Accept(w);
    s.source_json.assign(buf.GetString(), buf.GetSize());
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
