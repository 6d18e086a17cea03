// State JSON as runc writes it: `runc state` (pretty) and the hooks' stdin (compact).
#include "oci/state.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "oci/config.hpp"

namespace nucleus::oci {
namespace {

template <class W>
void str(W& w, const char* k, const std::string& v) {
  w.Key(k);
  w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
}

template <class W>
void annotations(W& w, const State& s) {
  w.Key("annotations");
  w.StartObject();
  for (const auto& [k, v] : s.annotations) {
    w.Key(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  }
  w.EndObject();
}

}  // namespace

std::string state_to_cli_json(const State& s) {
  rapidjson::StringBuffer sb;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(sb);
  w.SetIndent(' ', 2);
  w.StartObject();
  str(w, "ociVersion", s.oci_version);
  str(w, "id", s.id);
  w.Key("pid");
  w.Int(s.pid);
  str(w, "status", s.status);
  str(w, "bundle", s.bundle);
  str(w, "rootfs", s.rootfs);
  str(w, "created", s.created);
  // runc's containerState declares Annotations (omitempty) before Owner.
  if (!s.annotations.empty()) annotations(w, s);
  str(w, "owner", s.owner);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize()) + "\n";
}

std::string state_to_hook_json(const State& s) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  str(w, "ociVersion", s.oci_version);
  str(w, "id", s.id);
  str(w, "status", s.status);
  if (s.pid > 0) {
    w.Key("pid");
    w.Int(s.pid);
  }
  str(w, "bundle", s.bundle);
  if (!s.annotations.empty()) annotations(w, s);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

State parse_state(std::string_view json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError())
    throw ConfigError("state: invalid JSON at offset " + std::to_string(d.GetErrorOffset()) + ": " +
                      rapidjson::GetParseError_En(d.GetParseError()));
  if (!d.IsObject()) throw ConfigError("state: must be a JSON object");
  State s;
  auto get = [&](const char* k) -> std::string {
    auto it = d.FindMember(k);
    if (it == d.MemberEnd() || !it->value.IsString()) return "";
    return std::string(it->value.GetString(), it->value.GetStringLength());
  };
  s.oci_version = get("ociVersion");
  s.id = get("id");
  s.status = get("status");
  s.bundle = get("bundle");
  s.rootfs = get("rootfs");
  s.created = get("created");
  s.owner = get("owner");
  if (d.HasMember("pid") && d["pid"].IsInt()) s.pid = d["pid"].GetInt();
  if (d.HasMember("annotations") && d["annotations"].IsObject())
    for (const auto& m : d["annotations"].GetObject())
      if (m.value.IsString())
        s.annotations[std::string(m.name.GetString(), m.name.GetStringLength())] =
            std::string(m.value.GetString(), m.value.GetStringLength());
  return s;
}

}  // namespace nucleus::oci
