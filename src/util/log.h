// Logging: one line per event to stderr, with a level and a monotonic-free wall-clock stamp.
// Two formats (SetLogFormat): text, "2026-01-02T03:04:05.678Z info  message", and JSON lines,
// one object per line with stable field names, in this order:
//   {"ts":"2026-01-02T03:04:05.678Z","level":"info","msg":"message"}
// ts is UTC with milliseconds; level is debug, info, warn or error; msg is the formatted
// message, JSON-escaped (a message cut at the line limit stays valid JSON). Fields may be
// added after msg in later versions; these three keep their names and meaning.
//
// Owns: the process-wide log level. Any thread may log; each line is written with a single
// write(2) so lines from different threads never interleave. Not for the per-delivery path:
// logging there is a bug, not a feature.
#pragma once

#include <cstdarg>

namespace ringcast::util {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kText = 0, kJson = 1 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
bool ParseLogLevel(const char* text, LogLevel* out);
void SetLogFormat(LogFormat format);
LogFormat GetLogFormat();
// "text" or "json".
bool ParseLogFormat(const char* text, LogFormat* out);

[[gnu::format(printf, 2, 3)]] void Log(LogLevel level, const char* fmt, ...);

}  // namespace ringcast::util

#define RC_LOG(level, ...)                                                   \
  do {                                                                       \
    if (static_cast<int>(level) >= static_cast<int>(::ringcast::util::GetLogLevel())) \
      ::ringcast::util::Log(level, __VA_ARGS__);                             \
  } while (0)
#define RC_DEBUG(...) RC_LOG(::ringcast::util::LogLevel::kDebug, __VA_ARGS__)
#define RC_INFO(...) RC_LOG(::ringcast::util::LogLevel::kInfo, __VA_ARGS__)
#define RC_WARN(...) RC_LOG(::ringcast::util::LogLevel::kWarn, __VA_ARGS__)
#define RC_ERROR(...) RC_LOG(::ringcast::util::LogLevel::kError, __VA_ARGS__)

// A broken internal invariant: report and abort loudly (STYLE.md rule 8).
#define RC_CHECK(cond)                                                                   \
  do {                                                                                   \
    if (!(cond)) ::ringcast::util::CheckFailed(__FILE__, __LINE__, #cond);               \
  } while (0)

namespace ringcast::util {
[[noreturn]] void CheckFailed(const char* file, int line, const char* cond);
}
