// RESP: commands framed by AppendCommand read back by hiredis' reader byte by byte; replies of
// every type; a reply split anywhere; malformed input and the buffer bound fail the reader.
#include "cluster/resp.h"

#include <gtest/gtest.h>

#include <string>

namespace ringcast::cluster {
namespace {

TEST(Resp, CommandIsBinarySafeArrayOfBulkStrings) {
  std::string out;
  AppendCommand(&out, {"SPUBLISH", "rc:{app}:c", std::string_view("a\0\r\nb", 5)});
  EXPECT_EQ(out,
            std::string("*3\r\n$8\r\nSPUBLISH\r\n$10\r\nrc:{app}:c\r\n$5\r\na\0\r\nb\r\n", 46));
  // A command is itself a RESP array: the reader gives it back intact.
  RespReader r;
  ASSERT_TRUE(r.Feed(out));
  RespValue v;
  ASSERT_TRUE(r.Next(&v));
  ASSERT_EQ(v.type, RespValue::Type::kArray);
  ASSERT_EQ(v.elements.size(), 3u);
  EXPECT_EQ(v.elements[2].str, std::string("a\0\r\nb", 5));
  EXPECT_FALSE(r.Next(&v));
}

TEST(Resp, EveryReplyTypeAndSplitAnywhere) {
  const std::string wire =
      "+OK\r\n-ERR unknown command\r\n:42\r\n$-1\r\n$3\r\nfoo\r\n"
      "*3\r\n$8\r\nsmessage\r\n$1\r\nc\r\n$4\r\npay!\r\n*-1\r\n";
  for (size_t split = 0; split <= wire.size(); ++split) {
    RespReader r;
    ASSERT_TRUE(r.Feed(std::string_view(wire).substr(0, split)));
    ASSERT_TRUE(r.Feed(std::string_view(wire).substr(split)));
    std::vector<RespValue> got;
    RespValue v;
    while (r.Next(&v)) got.push_back(v);
    ASSERT_FALSE(r.failed()) << r.error();
    ASSERT_EQ(got.size(), 7u) << split;
    EXPECT_TRUE(got[0].IsStatus("OK"));
    EXPECT_TRUE(got[1].IsError());
    EXPECT_EQ(got[1].str, "ERR unknown command");
    EXPECT_EQ(got[2].type, RespValue::Type::kInteger);
    EXPECT_EQ(got[2].integer, 42);
    EXPECT_EQ(got[3].type, RespValue::Type::kNil);
    EXPECT_EQ(got[4].str, "foo");
    ASSERT_EQ(got[5].elements.size(), 3u);
    EXPECT_EQ(got[5].elements[0].str, "smessage");
    EXPECT_EQ(got[5].elements[2].str, "pay!");
    EXPECT_EQ(got[6].type, RespValue::Type::kNil);
  }
}

TEST(Resp, MalformedInputFailsTheReaderForGood) {
  RespReader r;
  ASSERT_TRUE(r.Feed("?what\r\n"));
  RespValue v;
  EXPECT_FALSE(r.Next(&v));
  EXPECT_TRUE(r.failed());
  EXPECT_FALSE(r.Feed("+OK\r\n"));
  EXPECT_FALSE(r.Next(&v));
}

TEST(Resp, BoundOnBytesWaitingForOneReply) {
  RespReader r(64);
  ASSERT_TRUE(r.Feed("$100\r\n"));
  EXPECT_FALSE(r.Feed(std::string(80, 'x')));
  EXPECT_TRUE(r.failed());
  EXPECT_NE(r.error().find("64"), std::string::npos);
}

// hiredis allocates an array's element table on reading `*N`: a count over the bound (or below
// -1) fails the reader before that allocation (the fuzzer found `*1111111111` costs 8 GB).
TEST(Resp, BoundOnAnArraysCount) {
  {
    RespReader r(64);  // up to 16 elements
    ASSERT_TRUE(r.Feed("*1111111111\r\n:1\r\n"));
    RespValue v;
    EXPECT_FALSE(r.Next(&v));
    EXPECT_TRUE(r.failed());
    EXPECT_NE(r.error().find("1111111111 elements"), std::string::npos) << r.error();
  }
  {
    RespReader r(64);
    ASSERT_TRUE(r.Feed("*1\r\n*17\r\n"));
    RespValue v;
    EXPECT_FALSE(r.Next(&v));
    EXPECT_TRUE(r.failed());
  }
  {
    RespReader r(64);
    ASSERT_TRUE(r.Feed("*-7\r\n"));
    RespValue v;
    EXPECT_FALSE(r.Next(&v));
    EXPECT_TRUE(r.failed());
  }
  RespReader r(64);
  RespValue v;
  ASSERT_TRUE(r.Feed("*16\r\n"));
  for (int i = 0; i < 16; ++i) {  // fed one by one: 64 bytes is also the bound on buffered input
    EXPECT_FALSE(r.Next(&v));
    ASSERT_TRUE(r.Feed(":" + std::to_string(i) + "\r\n"));
  }
  ASSERT_TRUE(r.Feed("*-1\r\n*0\r\n"));
  ASSERT_TRUE(r.Next(&v));
  ASSERT_EQ(v.elements.size(), 16u);
  EXPECT_EQ(v.elements[15].integer, 15);
  ASSERT_TRUE(r.Next(&v));
  EXPECT_EQ(v.type, RespValue::Type::kNil);
  ASSERT_TRUE(r.Next(&v));
  EXPECT_EQ(v.type, RespValue::Type::kArray);
  EXPECT_TRUE(v.elements.empty());
  EXPECT_FALSE(r.failed());
}

}  // namespace
}  // namespace ringcast::cluster
