// config.json: the top level, mounts, hooks, and the semantic checks of validate().
#include "oci/config.hpp"

#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>

#include "oci/json_reader.hpp"

namespace nucleus::oci {

const Namespace* Linux::find_namespace(std::string_view type) const {
  for (const auto& n : namespaces)
    if (n.type == type) return &n;
  return nullptr;
}

namespace detail {

namespace {

// Iterative: a hostile "[[[[..." cannot exhaust the stack.
// Validated UTF-8: JSON text is UTF-8, and bad bytes must not reach sethostname or paths.
constexpr unsigned kParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

void check_text(std::string_view json, const Reader& r) {
  if (json.find_first_not_of(" \t\r\n") == std::string_view::npos) r.fail("", "empty file");
  // RapidJSON stops at a NUL byte, which would hide whatever follows it; JSON text has none.
  if (size_t nul = json.find('\0'); nul != std::string_view::npos)
    r.fail("", "invalid JSON at offset " + std::to_string(nul) + ": unexpected NUL byte");
}

void check_result(const rapidjson::Document& d, const rapidjson::ParseResult& res,
                  const Reader& r) {
  if (res.IsError())
    r.fail("", "invalid JSON at offset " + std::to_string(res.Offset()) + ": " +
                   rapidjson::GetParseError_En(res.Code()));
  if (!d.IsObject()) r.fail("", "must be a JSON object");
}

// The Document's own handler, plus where linux.seccomp.syscalls starts and ends in the text.
using Stream = rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream>;
struct SpanHandler {
  SpanHandler(rapidjson::Document& doc, const Stream& stream) : d(doc), is(stream) {}
  rapidjson::Document& d;
  const Stream& is;
  int depth = 0;
  // Whether the current key at depth 1 is "linux", at depth 2 (in it) "seccomp", at depth 3 (in
  // that) "syscalls"; and how often each was seen.
  bool in_linux = false, in_seccomp = false, at_syscalls = false;
  int linux_keys = 0, seccomp_keys = 0, syscalls_keys = 0;
  int syscalls_depth = -1;
  TextSpan span;

  bool Key(const char* s, rapidjson::SizeType n, bool copy) {
    std::string_view k(s, n);
    at_syscalls = false;
    if (depth == 1) {
      in_linux = k == "linux";
      linux_keys += in_linux;
    } else if (depth == 2 && in_linux) {
      in_seccomp = k == "seccomp";
      seccomp_keys += in_seccomp;
    } else if (depth == 3 && in_linux && in_seccomp) {
      at_syscalls = k == "syscalls";
      syscalls_keys += at_syscalls;
    }
    return d.Key(s, n, copy);
  }
  bool StartObject() {
    ++depth;
    at_syscalls = false;
    return d.StartObject();
  }
  bool EndObject(rapidjson::SizeType n) {
    if (depth == 2) in_linux = false;
    if (depth == 3) in_seccomp = false;
    --depth;
    return d.EndObject(n);
  }
  // The iterative parser reports a bracket before it takes it: Tell() is at the '[' here and
  // at the ']' in EndArray (without_seccomp_rules checks both before it cuts).
  bool StartArray() {
    if (at_syscalls && depth == 3) {
      syscalls_depth = depth;
      span.begin = is.Tell();
    }
    at_syscalls = false;
    ++depth;
    return d.StartArray();
  }
  bool EndArray(rapidjson::SizeType n) {
    --depth;
    if (depth == syscalls_depth) {
      span.end = is.Tell() + 1;
      syscalls_depth = -1;
    }
    return d.EndArray(n);
  }
  bool Null() { return value(d.Null()); }
  bool Bool(bool b) { return value(d.Bool(b)); }
  bool Int(int i) { return value(d.Int(i)); }
  bool Uint(unsigned u) { return value(d.Uint(u)); }
  bool Int64(int64_t i) { return value(d.Int64(i)); }
  bool Uint64(uint64_t u) { return value(d.Uint64(u)); }
  bool Double(double x) { return value(d.Double(x)); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return value(d.RawNumber(s, n, copy));
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) {
    return value(d.String(s, n, copy));
  }
  bool value(bool ok) {
    at_syscalls = false;
    return ok;
  }

  // The span, if the path appeared once.
  TextSpan result() const {
    return linux_keys == 1 && seccomp_keys == 1 && syscalls_keys == 1 ? span : TextSpan{};
  }
};

}  // namespace

void parse_document(rapidjson::Document& d, std::string_view json, const Reader& r) {
  check_text(json, r);
  d.Parse<kParseFlags>(json.data(), json.size());
  check_result(d, d, r);
}

void parse_document(rapidjson::Document& d, std::string_view json, const Reader& r,
                    TextSpan& seccomp_syscalls) {
  check_text(json, r);
  rapidjson::MemoryStream ms(json.data(), json.size());
  Stream is(ms);
  SpanHandler h(d, is);
  rapidjson::ParseResult res;
  auto generate = [&](rapidjson::Document&) {
    rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>> reader;
    res = reader.Parse<kParseFlags>(is, h);
    return !res.IsError();
  };
  d.Populate(generate);
  check_result(d, res, r);
  seccomp_syscalls = h.result();
}

Hook parse_hook(const Value& v, const std::string& path, const Reader& r) {
  r.object(v, path);
  Hook h;
  h.path = r.str(r.required(v, path, "path"), Reader::join(path, "path"));
  if (const Value* a = r.get(v, "args")) h.args = r.strings(*a, Reader::join(path, "args"));
  if (const Value* e = r.get(v, "env")) h.env = r.strings(*e, Reader::join(path, "env"));
  r.opt_set(v, path, "timeout", h.timeout, &Reader::i32);
  return h;
}

namespace {

Mount parse_mount(const Value& v, const std::string& path, const Reader& r) {
  r.object(v, path);
  Mount m;
  m.destination = r.str(r.required(v, path, "destination"), Reader::join(path, "destination"));
  r.opt(v, path, "type", m.type, &Reader::str);
  r.opt(v, path, "source", m.source, &Reader::str);
  if (const Value* o = r.get(v, "options"))
    m.options = r.strings(*o, Reader::join(path, "options"));
  if (const Value* u = r.get(v, "uidMappings"))
    m.uid_mappings = parse_mappings(*u, Reader::join(path, "uidMappings"), r);
  if (const Value* g = r.get(v, "gidMappings"))
    m.gid_mappings = parse_mappings(*g, Reader::join(path, "gidMappings"), r);
  return m;
}

bool supported_version(const std::string& v) {
  // 1.x, 1.x.y, with an optional -suffix ("1.0.2-dev", "1.2.0-rc.1").
  if (v.size() < 3 || v.compare(0, 2, "1.") != 0) return false;
  size_t i = 2;
  if (i >= v.size() || !isdigit(static_cast<unsigned char>(v[i]))) return false;
  while (i < v.size() && isdigit(static_cast<unsigned char>(v[i]))) ++i;
  if (i < v.size() && v[i] == '.') {
    ++i;
    if (i >= v.size() || !isdigit(static_cast<unsigned char>(v[i]))) return false;
    while (i < v.size() && isdigit(static_cast<unsigned char>(v[i]))) ++i;
  }
  return i == v.size() || v[i] == '-' || v[i] == '+';
}

Config parse_config_value(const Value& v, const Reader& r) {
  Config c;
  c.oci_version = r.str(r.required(v, "", "ociVersion"), "ociVersion");
  if (!supported_version(c.oci_version))
    r.fail("ociVersion", "unsupported version \"" + c.oci_version + "\" (want 1.x)");
  if (const Value* p = r.get(v, "process")) c.process = parse_process_value(*p, "process", r);
  if (const Value* root = r.get(v, "root")) {
    r.object(*root, "root");
    Root rt;
    r.opt(*root, "root", "path", rt.path, &Reader::str);
    r.opt(*root, "root", "readonly", rt.readonly, &Reader::boolean);
    c.root = rt;
  }
  r.opt(v, "", "hostname", c.hostname, &Reader::str);
  r.opt(v, "", "domainname", c.domainname, &Reader::str);
  if (const Value* m = r.get(v, "mounts")) {
    size_t i = 0;
    for (const auto& e : r.array(*m, "mounts"))
      c.mounts.push_back(parse_mount(e, Reader::index("mounts", i++), r));
  }
  if (const Value* h = r.get(v, "hooks")) {
    r.object(*h, "hooks");
    Hooks hooks;
    struct K {
      const char* key;
      std::vector<Hook>* out;
    } kinds[] = {{"prestart", &hooks.prestart},
                 {"createRuntime", &hooks.create_runtime},
                 {"createContainer", &hooks.create_container},
                 {"startContainer", &hooks.start_container},
                 {"poststart", &hooks.poststart},
                 {"poststop", &hooks.poststop}};
    for (auto& k : kinds) {
      if (const Value* list = r.get(*h, k.key)) {
        std::string kp = std::string("hooks.") + k.key;
        size_t i = 0;
        for (const auto& e : r.array(*list, kp))
          k.out->push_back(parse_hook(e, Reader::index(kp, i++), r));
      }
    }
    c.hooks = hooks;
  }
  if (const Value* a = r.get(v, "annotations")) c.annotations = r.string_map(*a, "annotations");
  if (const Value* l = r.get(v, "linux")) c.linux = parse_linux_value(*l, "linux", r);
  return c;
}

}  // namespace
}  // namespace detail

Config parse_config(std::string_view json, std::string_view source, bool seccomp_rules) {
  detail::Reader r(source);
  r.seccomp_rules = seccomp_rules;
  rapidjson::Document d;
  // Where the rules are, for without_seccomp_rules: only for a reader that reads them.
  detail::TextSpan syscalls;
  if (seccomp_rules)
    detail::parse_document(d, json, r, syscalls);
  else
    detail::parse_document(d, json, r);
  Config c = detail::parse_config_value(d, r);
  validate(c, source);
  if (c.linux && c.linux->seccomp && !syscalls.empty()) {
    c.linux->seccomp->syscalls_begin = syscalls.begin;
    c.linux->seccomp->syscalls_end = syscalls.end;
  }
  return c;
}

std::string without_seccomp_rules(std::string_view json, const Config& parsed) {
  const Seccomp* s = parsed.linux && parsed.linux->seccomp ? &*parsed.linux->seccomp : nullptr;
  if (!s || s->syscalls_end <= s->syscalls_begin || s->syscalls_end > json.size() ||
      json[s->syscalls_begin] != '[' || json[s->syscalls_end - 1] != ']')
    return std::string(json);
  std::string out;
  out.reserve(json.size() - (s->syscalls_end - s->syscalls_begin) + 2);
  out.append(json.substr(0, s->syscalls_begin));
  out += "[]";
  out.append(json.substr(s->syscalls_end));
  return out;
}

Process parse_process(std::string_view json, std::string_view source) {
  detail::Reader r(source);
  rapidjson::Document d;
  detail::parse_document(d, json, r);
  Process p = detail::parse_process_value(d, "", r);
  detail::validate_process(p, "", r);
  return p;
}

Resources parse_resources(std::string_view json, std::string_view source) {
  detail::Reader r(source);
  rapidjson::Document d;
  detail::parse_document(d, json, r);
  return detail::parse_resources_value(d, "", r);
}

Seccomp parse_seccomp(std::string_view json, std::string_view source) {
  detail::Reader r(source);
  rapidjson::Document d;
  detail::parse_document(d, json, r);
  return detail::parse_seccomp_value(d, "", r);
}

}  // namespace nucleus::oci
