// The org.nucleus.landlock annotation: a JSON list of Landlock filesystem rules that the init
// (and every exec) applies right before exec. Pure parsing and validation; the syscalls live in
// runtime/init/landlock.cpp.
//
//   {"abi": 3, "bestEffort": false,
//    "rules": [{"paths": ["/usr", "/bin"], "access": ["execute", "read"]},
//              {"paths": ["/tmp"], "access": ["read", "write"]}]}
//
// Rights are the kernel's LANDLOCK_ACCESS_FS_* names in lowercase without the prefix
// ("read_file", "make_reg", ...), or the groups "read", "write", "all" (see kLandlockGroups).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nucleus::oci {

inline constexpr std::string_view kLandlockAnnotation = "org.nucleus.landlock";

// One LANDLOCK_ACCESS_FS_* right: its bit (the kernel's value) and the first ABI that has it.
struct LandlockRight {
  std::string_view name;
  uint64_t bit;
  uint32_t abi;
  bool file;  // applies to a non-directory (the rest only make sense beneath a directory)
};
inline constexpr LandlockRight kLandlockRights[] = {
    {"execute", 1ULL << 0, 1, true},     {"write_file", 1ULL << 1, 1, true},
    {"read_file", 1ULL << 2, 1, true},   {"read_dir", 1ULL << 3, 1, false},
    {"remove_dir", 1ULL << 4, 1, false}, {"remove_file", 1ULL << 5, 1, false},
    {"make_char", 1ULL << 6, 1, false},  {"make_dir", 1ULL << 7, 1, false},
    {"make_reg", 1ULL << 8, 1, false},   {"make_sock", 1ULL << 9, 1, false},
    {"make_fifo", 1ULL << 10, 1, false}, {"make_block", 1ULL << 11, 1, false},
    {"make_sym", 1ULL << 12, 1, false},  {"refer", 1ULL << 13, 2, false},
    {"truncate", 1ULL << 14, 3, true},   {"ioctl_dev", 1ULL << 15, 5, true},
};

// Every filesystem right that Landlock ABI `abi` handles (0 for no Landlock).
uint64_t landlock_fs_rights(uint32_t abi);
// The rights that apply to a non-directory.
uint64_t landlock_file_rights();
// The highest ABI whose rights nucleus-oci knows (newer kernels work; their extra rights stay
// unhandled).
inline constexpr uint32_t kLandlockKnownAbi = 5;

// Groups: shorthands that expand to whatever rights the kernel handles. A right named
// explicitly raises the rule list's required ABI; a group never does.
struct LandlockGroup {
  std::string_view name;
  uint64_t bits;
};
inline constexpr uint64_t kLandlockRead = (1ULL << 2) | (1ULL << 3);
// write_file, then remove_dir .. truncate (bits 4 to 14)
inline constexpr uint64_t kLandlockWrite = (1ULL << 1) | (((1ULL << 15) - 1) & ~((1ULL << 4) - 1));
inline constexpr uint64_t kLandlockAll = (1ULL << 16) - 1;
inline constexpr LandlockGroup kLandlockGroups[] = {
    {"read", kLandlockRead},    // read_file read_dir
    {"write", kLandlockWrite},  // write_file remove_* make_* refer truncate
    {"all", kLandlockAll},      // every right, ioctl_dev and execute included
};

struct LandlockRule {
  std::vector<std::string> paths;  // container paths, absolute
  uint64_t access = 0;             // LANDLOCK_ACCESS_FS_* bits (groups expanded in full)
};

struct Landlock {
  uint32_t abi = 1;  // required: max of "abi" and the ABI of every right named explicitly
  bool best_effort = false;
  std::vector<LandlockRule> rules;
};

// Parses the annotation's value. Errors (ConfigError) name the source and the JSON path:
// `annotations["org.nucleus.landlock"]: rules[1].access[0]: unknown right "foo"`.
Landlock parse_landlock(std::string_view json,
                        std::string_view source = "annotations[\"org.nucleus.landlock\"]");
// The annotation of a config's annotations, parsed; nullopt when it is not there. Errors name
// `<source>: annotations["org.nucleus.landlock"]`.
std::optional<Landlock> landlock_from_annotations(
    const std::map<std::string, std::string>& annotations, std::string_view source = "config.json");

// Names of the bits in `access`, for messages ("read_file,read_dir").
std::string landlock_access_names(uint64_t access);

}  // namespace nucleus::oci
