#include "runtime/log.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace nucleus::log {
namespace {

struct Sink {
  UniqueFd fd;          // empty: stderr
  bool closed = false;  // close_file(): messages are dropped
  bool json = false;
  bool debug = false;
};
Sink& sink() {
  static Sink s;
  return s;
}

const char* level_name(Level l) {
  switch (l) {
    case Level::Debug:
      return "debug";
    case Level::Info:
      return "info";
    case Level::Warn:
      return "warning";
    case Level::Error:
      return "error";
  }
  return "info";
}

std::string rfc3339(bool nanos) {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  // Civil time by arithmetic: gmtime_r and strftime make glibc read /etc/localtime first.
  using namespace std::chrono;
  sys_seconds secs{seconds{ts.tv_sec}};
  sys_days day = floor<days>(secs);
  year_month_day ymd{day};
  hh_mm_ss hms{secs - day};
  char buf[64];
  int n =
      snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ld", static_cast<int>(ymd.year()),
               static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
               static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
               static_cast<long>(hms.seconds().count()));
  std::string s(buf, n > 0 ? static_cast<size_t>(n) : 0);
  if (nanos) {
    char ns[16];
    snprintf(ns, sizeof ns, ".%09ld", ts.tv_nsec);
    s += ns;
  }
  return s + "Z";
}

void quote(std::string& out, std::string_view s, bool json) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20) {
          char b[8];
          snprintf(b, sizeof b, "\\u%04x", c);
          out += b;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

}  // namespace

void init(const std::string& path, bool json, bool debug) {
  adopt(-1, json, debug);  // the format first: it also serves the error below
  if (path.empty()) return;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw_sys("open " + path);
  sink().fd.reset(fd);
}

void adopt(int fd, bool json, bool debug) {
  Sink& s = sink();
  s.json = json;
  s.debug = debug;
  s.fd.reset(fd);
}

void close_file() {
  Sink& s = sink();
  if (!s.fd) return;
  s.fd.reset();
  s.closed = true;
}

bool to_stderr() {
  return !sink().fd && !sink().closed;
}
bool json_enabled() {
  return sink().json;
}
bool debug_enabled() {
  return sink().debug;
}

int fd() {
  return sink().fd ? sink().fd.get() : -1;
}

void write(Level level, std::string_view msg) {
  Sink& s = sink();
  if (s.closed || (level == Level::Debug && !s.debug)) return;
  std::string line;
  if (s.json) {
    line = "{\"level\":\"";
    line += level_name(level);
    line += "\",\"msg\":";
    quote(line, msg, true);
    line += ",\"time\":\"" + rfc3339(false) + "\"}\n";
  } else {
    line = "time=\"" + rfc3339(false) + "\" level=" + level_name(level) + " msg=";
    quote(line, msg, false);
    line += '\n';
  }
  int fd = s.fd ? s.fd.get() : STDERR_FILENO;
  ssize_t r = ::write(fd, line.data(), line.size());
  (void)r;
}

std::string rfc3339_nano_now() {
  return rfc3339(true);
}

}  // namespace nucleus::log
