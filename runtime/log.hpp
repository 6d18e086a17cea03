// runc-compatible logging: --log FILE, --log-format text|json, --debug.
// text: time="2026-11-29T00:00:00Z" level=error msg="container \"x\" does not exist"
// json: {"level":"error","msg":"...","time":"2026-11-29T00:00:00Z"}
#pragma once

#include <string>
#include <string_view>

namespace nucleus::log {

enum class Level { Debug, Info, Warn, Error };

void init(const std::string& path, bool json, bool debug);
// The init, after its exec: the runtime's already open log fd (-1: stderr) and settings.
void adopt(int fd, bool json, bool debug);
// Closes the --log file; later messages are dropped (the init waiting for `start` holds no
// host file: runc closes its log pipe there too). Without --log, nothing changes.
void close_file();
bool json_enabled();
bool to_stderr();  // true when no --log file was given
void write(Level level, std::string_view msg);
inline void debug(std::string_view m) {
  write(Level::Debug, m);
}
inline void info(std::string_view m) {
  write(Level::Info, m);
}
inline void warn(std::string_view m) {
  write(Level::Warn, m);
}
inline void error(std::string_view m) {
  write(Level::Error, m);
}
bool debug_enabled();
int fd();  // the --log file's fd, -1 for stderr

// RFC 3339 UTC time with nanoseconds ("2026-11-29T00:00:00.123456789Z") for `created`.
std::string rfc3339_nano_now();

}  // namespace nucleus::log
