// Tests for src/util/log: level names, the process-wide level, the RC_LOG filter, the line
// format (one write, one newline, truncated at 1 KiB) and RC_CHECK aborting loudly.
#include "util/log.h"

#include <gtest/gtest.h>

#include <string>

namespace ringcast::util {
namespace {

// True if `line` starts with "YYYY-MM-DDTHH:MM:SS.mmmZ " (digits where the pattern has letters).
bool HasTimestamp(const std::string& line) {
  const std::string pattern = "dddd-dd-ddTdd:dd:dd.dddZ ";
  if (line.size() < pattern.size()) return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    bool ok = pattern[i] == 'd' ? (line[i] >= '0' && line[i] <= '9') : line[i] == pattern[i];
    if (!ok) return false;
  }
  return true;
}

class LogLevelGuard {
 public:
  LogLevelGuard() : saved_(GetLogLevel()) {}
  ~LogLevelGuard() { SetLogLevel(saved_); }

 private:
  LogLevel saved_;
};

TEST(LogLevel, ParsesEveryLevelName) {
  LogLevel level = LogLevel::kError;
  ASSERT_TRUE(ParseLogLevel("debug", &level));
  EXPECT_EQ(level, LogLevel::kDebug);
  ASSERT_TRUE(ParseLogLevel("info", &level));
  EXPECT_EQ(level, LogLevel::kInfo);
  ASSERT_TRUE(ParseLogLevel("warn", &level));
  EXPECT_EQ(level, LogLevel::kWarn);
  ASSERT_TRUE(ParseLogLevel("error", &level));
  EXPECT_EQ(level, LogLevel::kError);
}

TEST(LogLevel, RejectsOtherSpellingsAndLeavesOutputAlone) {
  for (const char* bad :
       {"", "INFO", "Debug", "warning", "err", "info ", " info", "trace", "infoo", "3"}) {
    LogLevel level = LogLevel::kWarn;
    EXPECT_FALSE(ParseLogLevel(bad, &level)) << "'" << bad << "'";
    EXPECT_EQ(level, LogLevel::kWarn) << "'" << bad << "'";
  }
}

TEST(LogLevel, SetAndGetRoundTrip) {
  LogLevelGuard guard;
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    SetLogLevel(l);
    EXPECT_EQ(GetLogLevel(), l);
  }
}

TEST(Log, LineHasTimestampLevelAndMessage) {
  testing::internal::CaptureStderr();
  Log(LogLevel::kWarn, "shard %u: %s", 3u, "queue full");
  std::string line = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(HasTimestamp(line)) << line;
  EXPECT_EQ(line.substr(25), "warn  shard 3: queue full\n");
}

TEST(Log, MacrosFilterBelowTheLevel) {
  LogLevelGuard guard;
  SetLogLevel(LogLevel::kWarn);
  testing::internal::CaptureStderr();
  RC_DEBUG("d%d", 1);
  RC_INFO("i%d", 2);
  RC_WARN("w%d", 3);
  RC_ERROR("e%d", 4);
  std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(out.find("d1"), std::string::npos);
  EXPECT_EQ(out.find("i2"), std::string::npos);
  EXPECT_NE(out.find("warn  w3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("error e4\n"), std::string::npos) << out;

  SetLogLevel(LogLevel::kDebug);
  testing::internal::CaptureStderr();
  RC_DEBUG("d%d", 5);
  out = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("debug d5\n"), std::string::npos) << out;
}

TEST(Log, LongMessageIsCutToOneKibLineEndingInNewline) {
  std::string big(5000, 'x');
  testing::internal::CaptureStderr();
  Log(LogLevel::kError, "%s", big.c_str());
  std::string line = testing::internal::GetCapturedStderr();
  ASSERT_EQ(line.size(), 1023u);
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), 1022u);
  // Header "YYYY-MM-DDTHH:MM:SS.mmmZ error " is 31 bytes; the rest is the message.
  EXPECT_EQ(line.substr(31), std::string(991, 'x') + "\n");
}

TEST(LogDeathTest, CheckFailureAbortsWithFileLineAndCondition) {
  int two = 2;
  EXPECT_DEATH(RC_CHECK(two == 3), "CHECK failed at .*log_test\\.cc:[0-9]+: two == 3");
}

}  // namespace
}  // namespace ringcast::util

namespace ringcast::util {
namespace {

class LogFormatGuard {
 public:
  LogFormatGuard() : saved_(GetLogFormat()) {}
  ~LogFormatGuard() { SetLogFormat(saved_); }

 private:
  LogFormat saved_;
};

TEST(LogFormat, ParsesTextAndJsonOnly) {
  LogFormat f = LogFormat::kText;
  ASSERT_TRUE(ParseLogFormat("json", &f));
  EXPECT_EQ(f, LogFormat::kJson);
  ASSERT_TRUE(ParseLogFormat("text", &f));
  EXPECT_EQ(f, LogFormat::kText);
  EXPECT_FALSE(ParseLogFormat("JSON", &f));
  EXPECT_FALSE(ParseLogFormat("", &f));
  EXPECT_EQ(f, LogFormat::kText);
}

TEST(LogFormat, JsonLineHasStableFieldsInOrder) {
  LogFormatGuard guard;
  SetLogFormat(LogFormat::kJson);
  testing::internal::CaptureStderr();
  Log(LogLevel::kWarn, "shard %d: %s", 3, "busy");
  std::string line = testing::internal::GetCapturedStderr();
  // {"ts":"YYYY-MM-DDTHH:MM:SS.mmmZ","level":"warn","msg":"shard 3: busy"}\n
  ASSERT_EQ(line.substr(0, 7), "{\"ts\":\"");
  const std::string pattern = "dddd-dd-ddTdd:dd:dd.dddZ";
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = line[7 + i];
    EXPECT_TRUE(pattern[i] == 'd' ? (c >= '0' && c <= '9') : c == pattern[i]) << line;
  }
  EXPECT_EQ(line.substr(7 + pattern.size()),
            "\",\"level\":\"warn\",\"msg\":\"shard 3: busy\"}\n");
}

TEST(LogFormat, JsonEscapesQuotesControlsAndBadUtf8) {
  LogFormatGuard guard;
  SetLogFormat(LogFormat::kJson);
  testing::internal::CaptureStderr();
  Log(LogLevel::kError, "a\"b\\c\nd\te\x01 \xc3\xa9 \xff \xed\xa0\x80");
  std::string line = testing::internal::GetCapturedStderr();
  size_t at = line.find("\"msg\":\"");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(line.substr(at),
            "\"msg\":\"a\\\"b\\\\c\\nd\\u0009e\\u0001 \xc3\xa9 \xef\xbf\xbd "
            "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"}\n");
}

TEST(LogFormat, JsonLongMessageIsCutButStaysOneValidLine) {
  LogFormatGuard guard;
  SetLogFormat(LogFormat::kJson);
  testing::internal::CaptureStderr();
  std::string big(3000, '"');
  Log(LogLevel::kInfo, "%s", big.c_str());
  std::string line = testing::internal::GetCapturedStderr();
  EXPECT_LE(line.size(), 1024u);
  ASSERT_GE(line.size(), 4u);
  EXPECT_EQ(line.substr(line.size() - 3), "\"}\n");
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  // Never cut inside an escape: the quotes before the end come in \" pairs.
  size_t msg = line.find("\"msg\":\"") + 7;
  std::string body = line.substr(msg, line.size() - 3 - msg);
  ASSERT_EQ(body.size() % 2, 0u);
  for (size_t i = 0; i < body.size(); i += 2) EXPECT_EQ(body.substr(i, 2), "\\\"");
}

}  // namespace
}  // namespace ringcast::util
