#include "seccomp/cache.hpp"

#include <sys/utsname.h>

#include <seccomp.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "util/error.hpp"
#include "util/fs.hpp"

namespace nucleus::seccomp {
namespace {

// The file name, and the check that a file is whole; the key itself is stored in the file and
// compared byte for byte. Eight bytes a step (FNV-1a's byte loop was 5% of a `create`).
std::string hash_hex(std::string_view s) {
  uint64_t h = 1469598103934665603ULL ^ s.size();
  auto mix = [&h](uint64_t w) {
    h = (h ^ w) * 1099511628211ULL;
    h ^= h >> 29;
  };
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    mix(w);
  }
  uint64_t tail = 0;
  if (i < s.size()) std::memcpy(&tail, s.data() + i, s.size() - i);
  mix(tail);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// The format version: bump it whenever build() makes a different program for the same profile,
// or the file layout or key changes (2: the binary tree counts syscall names; 3: the key encodes
// the profile in binary, and the file hash changed). Old entries never match a new key.
constexpr int kFormat = 3;
// A cache miss that finds this many entries empties the directory first: one file per distinct
// profile, so this only happens to hosts that see hundreds of profiles, and each costs one
// compile to get back.
constexpr size_t kMaxEntries = 256;

// On a miss, before storing: entries of another format (the "format" file says which) or more
// than kMaxEntries are removed. A reader that loses its entry meanwhile just compiles.
void prune(const std::string& dir) {
  std::string want = std::to_string(kFormat) + "\n", have;
  try {
    have = read_file(dir + "/format");
  } catch (const Error&) {
  }
  std::vector<std::string> entries;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".bpf") == 0)
      entries.push_back(e.path().string());
  }
  if (have == want && entries.size() < kMaxEntries) return;
  for (const auto& e : entries) ::unlink(e.c_str());
  write_file_atomic(dir + "/format", want, 0600);
}

}  // namespace

std::string cache_key(const oci::Seccomp& spec) {
  if (spec.source_key.empty()) return "";
  const scmp_version* v = seccomp_version();
  struct utsname u {};
  ::uname(&u);
  return "nucleus-oci seccomp cache " + std::to_string(kFormat) + "\nlibseccomp " +
         std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
         std::to_string(v->micro) + "\nkernel " + u.release + " " + u.version + "\nmachine " +
         u.machine + "\n" + spec.source_key;
}

Filter build_cached(const oci::Seccomp& spec, const std::string& cache_dir,
                    std::vector<std::string>* skipped) {
  std::string key = cache_key(spec);
  if (key.empty() || cache_dir.empty()) return build(spec, skipped);
  std::string path = cache_dir + "/" + hash_hex(key) + ".bpf";
  // File: the key's length (8 bytes), the key, the serialized filter, then the hash_hex of all
  // that (16 hex digits): a torn or truncated file is a miss.
  try {
    std::string data = read_file(path);
    uint64_t n = 0;
    if (data.size() > sizeof n + 16) {
      std::string_view body = std::string_view(data).substr(0, data.size() - 16);
      std::memcpy(&n, data.data(), sizeof n);
      if (std::string_view(data).substr(data.size() - 16) == hash_hex(body) && n == key.size() &&
          body.size() > sizeof n + n && body.substr(sizeof n, n) == key)
        if (auto f = Filter::deserialize(body.substr(sizeof n + n))) return std::move(*f);
    }
  } catch (const Error&) {
    // a miss
  }
  Filter f = build(spec, skipped);
  try {
    mkdir_p(cache_dir, 0700);
    prune(cache_dir);
    uint64_t n = key.size();
    std::string data(reinterpret_cast<const char*>(&n), sizeof n);
    data += key;
    data += f.serialize();
    data += hash_hex(data);
    write_file_atomic(path, data, 0600);
  } catch (const Error&) {
    // an unwritable cache only costs the next compile
  }
  return f;
}

}  // namespace nucleus::seccomp
