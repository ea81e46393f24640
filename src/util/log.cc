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
std::atomic<int> g_format{static_cast<int>(LogFormat::kText)};
constexpr size_t kMaxLine = 1024;
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

void SetLogFormat(LogFormat format) { g_format.store(static_cast<int>(format)); }
LogFormat GetLogFormat() {
  return static_cast<LogFormat>(g_format.load(std::memory_order_relaxed));
}

bool ParseLogFormat(const char* text, LogFormat* out) {
  if (std::strcmp(text, "text") == 0) {
    *out = LogFormat::kText;
  } else if (std::strcmp(text, "json") == 0) {
    *out = LogFormat::kJson;
  } else {
    return false;
  }
  return true;
}

namespace {
// {"ts":"...","level":"...","msg":"<message escaped>"}\n, at most kMaxLine bytes: the message is
// cut before an escape or UTF-8 sequence that would not fit, never inside one.
void LogJson(const char* stamp, LogLevel level, const char* message) {
  char line[kMaxLine];
  int n = std::snprintf(line, sizeof line, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"", stamp,
                        kNames[static_cast<int>(level)]);
  size_t len = static_cast<size_t>(n);
  const size_t limit = sizeof line - 3;  // room for "}\n
  const auto* p = reinterpret_cast<const unsigned char*>(message);
  while (*p != 0) {
    char esc[8];
    size_t k = 0;
    unsigned char ch = *p;
    size_t take = 1;
    if (ch == '"' || ch == '\\') {
      esc[0] = '\\';
      esc[1] = static_cast<char>(ch);
      k = 2;
    } else if (ch == '\n') {
      k = 2;
      std::memcpy(esc, "\\n", 2);
    } else if (ch < 0x20 || ch == 0x7f) {
      k = 6;
      std::snprintf(esc, sizeof esc, "\\u%04x", ch);
    } else if (ch < 0x80) {
      esc[0] = static_cast<char>(ch);
      k = 1;
    } else {
      // A UTF-8 sequence is copied whole when valid; a stray byte becomes U+FFFD.
      size_t want = 0;
      if (ch >= 0xc2 && ch < 0xe0) want = 2;
      if (ch >= 0xe0 && ch < 0xf0) want = 3;
      if (ch >= 0xf0 && ch < 0xf5) want = 4;
      bool ok = want > 0;
      for (size_t i = 1; ok && i < want; ++i) ok = (p[i] & 0xc0) == 0x80;
      // No overlong forms, no surrogates, nothing past U+10FFFF.
      if (ok && ch == 0xe0) ok = p[1] >= 0xa0;
      if (ok && ch == 0xed) ok = p[1] < 0xa0;
      if (ok && ch == 0xf0) ok = p[1] >= 0x90;
      if (ok && ch == 0xf4) ok = p[1] < 0x90;
      if (ok) {
        std::memcpy(esc, p, want);
        k = take = want;
      } else {
        std::memcpy(esc, "\xef\xbf\xbd", 3);
        k = 3;
      }
    }
    if (len + k > limit) break;
    std::memcpy(line + len, esc, k);
    len += k;
    p += take;
  }
  line[len++] = '"';
  line[len++] = '}';
  line[len++] = '\n';
  ssize_t unused = ::write(STDERR_FILENO, line, len);
  (void)unused;
}
}  // namespace

void Log(LogLevel level, const char* fmt, ...) {
  char line[kMaxLine];
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm parts;
  gmtime_r(&ts.tv_sec, &parts);
  char stamp[96];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
                parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
                parts.tm_min, parts.tm_sec, ts.tv_nsec / 1000000);
  if (GetLogFormat() == LogFormat::kJson) {
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(line, sizeof line, fmt, args);
    va_end(args);
    LogJson(stamp, level, line);
    return;
  }
  int n = std::snprintf(line, sizeof line, "%s %-5s ", stamp, kNames[static_cast<int>(level)]);
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
