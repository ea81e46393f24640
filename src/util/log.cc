#include "util/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace ringcast::util {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
const char* const kNames[] = {"debug", "info", "warn", "error"};
}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load(std::memory_order_relaxed)); }

bool ParseLogLevel(const char* text, LogLevel* out) {
  for (int i = 0; i < 4; ++i) {
    if (std::strcmp(text, kNames[i]) == 0) {
      *out = static_cast<LogLevel>(i);
      return true;
    }
  }
  return false;
}

void Log(LogLevel level, const char* fmt, ...) {
  char line[1024];
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm parts;
  gmtime_r(&ts.tv_sec, &parts);
  int n = std::snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s ",
                        parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
                        parts.tm_min, parts.tm_sec, ts.tv_nsec / 1000000,
                        kNames[static_cast<int>(level)]);
  va_list args;
  va_start(args, fmt);
  int m = std::vsnprintf(line + n, sizeof line - n - 1, fmt, args);
  va_end(args);
  size_t len = n + (m < 0 ? 0 : (static_cast<size_t>(m) < sizeof line - n - 1 ? m : sizeof line - n - 2));
  line[len++] = '\n';
  ssize_t unused = ::write(STDERR_FILENO, line, len);
  (void)unused;
}

void CheckFailed(const char* file, int line, const char* cond) {
  Log(LogLevel::kError, "CHECK failed at %s:%d: %s", file, line, cond);
  std::abort();
}

}  // namespace ringcast::util
