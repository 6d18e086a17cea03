// Parsing and validation of the org.nucleus.landlock annotation (see landlock.hpp).
#include "oci/landlock.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <initializer_list>

#include "oci/json_reader.hpp"

namespace nucleus::oci {

uint64_t landlock_fs_rights(uint32_t abi) {
  uint64_t bits = 0;
  for (const auto& r : kLandlockRights)
    if (r.abi <= abi) bits |= r.bit;
  return bits;
}

uint64_t landlock_file_rights() {
  uint64_t bits = 0;
  for (const auto& r : kLandlockRights)
    if (r.file) bits |= r.bit;
  return bits;
}

std::string landlock_access_names(uint64_t access) {
  std::string out;
  for (const auto& r : kLandlockRights) {
    if (!(access & r.bit)) continue;
    if (!out.empty()) out += ',';
    out += r.name;
  }
  return out;
}

namespace {

using detail::Reader;
using detail::Value;

// A policy with a typo must not silently mean something else: unknown keys are errors.
void only_keys(const Value& obj, const std::string& path, const Reader& r,
               std::initializer_list<std::string_view> known) {
  for (const auto& m : obj.GetObject()) {
    std::string key = Reader::key_of(m);
    if (std::find(known.begin(), known.end(), key) == known.end())
      r.fail(path.empty() ? key : Reader::join(path, key.c_str()), "unknown field");
  }
}

void check_path(const std::string& p, const std::string& path, const Reader& r) {
  if (p.empty() || p[0] != '/') r.fail(path, "must be an absolute path");
}

}  // namespace

Landlock parse_landlock(std::string_view json, std::string_view source) {
  Reader r(source);
  rapidjson::Document d;
  detail::parse_document(d, json, r);
  only_keys(d, "", r, {"abi", "bestEffort", "rules"});
  Landlock l;
  if (const Value* v = r.get(d, "abi")) {
    l.abi = r.u32(*v, "abi");
    if (l.abi < 1) r.fail("abi", "must be 1 or more");
  }
  r.opt(d, "", "bestEffort", l.best_effort, &Reader::boolean);
  const Value& rules = r.required(d, "", "rules");
  size_t i = 0;
  for (const auto& e : r.array(rules, "rules")) {
    std::string ip = Reader::index("rules", i++);
    r.object(e, ip);
    only_keys(e, ip, r, {"paths", "access"});
    LandlockRule rule;
    std::string pp = Reader::join(ip, "paths");
    rule.paths = r.strings(r.required(e, ip, "paths"), pp);
    if (rule.paths.empty()) r.fail(pp, "must not be empty");
    for (size_t j = 0; j < rule.paths.size(); ++j)
      check_path(rule.paths[j], Reader::index(pp, j), r);
    std::string ap = Reader::join(ip, "access");
    std::vector<std::string> access = r.strings(r.required(e, ip, "access"), ap);
    if (access.empty()) r.fail(ap, "must not be empty");
    for (size_t j = 0; j < access.size(); ++j) {
      const std::string& name = access[j];
      auto right = std::find_if(std::begin(kLandlockRights), std::end(kLandlockRights),
                                [&](const LandlockRight& x) { return x.name == name; });
      if (right != std::end(kLandlockRights)) {
        rule.access |= right->bit;
        l.abi = std::max(l.abi, right->abi);
        continue;
      }
      auto group = std::find_if(std::begin(kLandlockGroups), std::end(kLandlockGroups),
                                [&](const LandlockGroup& x) { return x.name == name; });
      if (group == std::end(kLandlockGroups))
        r.fail(Reader::index(ap, j), "unknown right \"" + name + "\"");
      rule.access |= group->bits;
    }
    l.rules.push_back(std::move(rule));
  }
  return l;
}

std::optional<Landlock> landlock_from_annotations(
    const std::map<std::string, std::string>& annotations, std::string_view source) {
  auto it = annotations.find(std::string(kLandlockAnnotation));
  if (it == annotations.end()) return std::nullopt;
  return parse_landlock(it->second, std::string(source) + ": annotations[\"" +
                                        std::string(kLandlockAnnotation) + "\"]");
}

}  // namespace nucleus::oci
