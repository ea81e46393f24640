// LogWriter + LogReader: round trip, records spanning blocks, trailers, torn tails at every cut,
// flipped bytes mid-log, fragment-sequence errors (after leveldb's log_test.cc).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "store/log_format.h"
#include "store/log_reader.h"
#include "store/log_writer.h"

namespace ringcast::store {
namespace {

std::string Big(char c, size_t n) { return std::string(n, c); }

std::string Write(const std::vector<std::string>& records) {
  std::string out;
  LogWriter w;
  for (const auto& r : records) EXPECT_TRUE(w.AddRecord(r, &out));
  return out;
}

struct ReadAll {
  std::vector<std::string> records;
  std::vector<ReadProblem> corruptions;
  bool torn = false;
  ReadProblem torn_problem;
  uint64_t good_end = 0;
};

ReadAll Read(std::string_view data) {
  ReadAll r;
  LogReader reader(data);
  std::string rec;
  for (;;) {
    ReadStatus s = reader.Read(&rec);
    if (s == ReadStatus::kRecord) {
      r.records.push_back(rec);
    } else if (s == ReadStatus::kCorruption) {
      r.corruptions.push_back(reader.problem());
    } else if (s == ReadStatus::kTornTail) {
      EXPECT_FALSE(r.torn);
      r.torn = true;
      r.torn_problem = reader.problem();
    } else {
      break;
    }
  }
  r.good_end = reader.good_end();
  return r;
}

TEST(LogTest, EmptyInputIsCleanEof) {
  ReadAll r = Read("");
  EXPECT_TRUE(r.records.empty());
  EXPECT_FALSE(r.torn);
  EXPECT_TRUE(r.corruptions.empty());
}

TEST(LogTest, RoundTripSmallAndEmptyRecords) {
  std::vector<std::string> in = {"foo", "bar", "", "xxxx"};
  ReadAll r = Read(Write(in));
  EXPECT_EQ(r.records, in);
  EXPECT_FALSE(r.torn);
  EXPECT_TRUE(r.corruptions.empty());
}

TEST(LogTest, RecordsSpanningBlocksRoundTrip) {
  std::vector<std::string> in = {"small", Big('a', 50000), Big('b', 100000), "x",
                                 Big('c', kBlockSize - kHeaderSize)};
  std::string data = Write(in);
  EXPECT_GT(data.size(), 4 * kBlockSize);
  ReadAll r = Read(data);
  EXPECT_EQ(r.records, in);
  EXPECT_EQ(r.good_end, data.size());
}

TEST(LogTest, RecordThatFillsABlockExactlyThenNext) {
  // A FULL fragment that ends exactly at the block end; the next starts the next block.
  std::vector<std::string> in = {Big('a', kBlockSize - kHeaderSize), "b"};
  std::string data = Write(in);
  EXPECT_EQ(data.size(), kBlockSize + kHeaderSize + 1);
  EXPECT_EQ(Read(data).records, in);
}

TEST(LogTest, TrailerIsZeroFilledAndSkipped) {
  // Leave 6 bytes in the first block: too small for a header.
  const size_t n = kBlockSize - 2 * kHeaderSize + 1;  // first record leaves 6 bytes
  std::vector<std::string> in = {Big('a', n), "next"};
  std::string data = Write(in);
  EXPECT_EQ(data.substr(kBlockSize - 6, 6), std::string(6, '\0'));
  EXPECT_EQ(Read(data).records, in);
}

TEST(LogTest, WriterContinuesMidBlockForAnExistingSegment) {
  std::string first = Write({Big('a', 40000)});
  LogWriter w(first.size());
  std::string more;
  ASSERT_TRUE(w.AddRecord(Big('b', 30000), &more));
  ReadAll r = Read(first + more);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[1], Big('b', 30000));
}

TEST(LogTest, RefusesOversizedRecord) {
  LogWriter w;
  std::string out;
  EXPECT_FALSE(w.AddRecord(std::string(kMaxRecordBytes + 1, 'x'), &out));
  EXPECT_TRUE(out.empty());
}

TEST(LogTest, TornTailAtEveryCutKeepsEverythingBefore) {
  std::vector<std::string> in = {"one", Big('x', 40000), "three", Big('y', 70000), "five"};
  std::string data = Write(in);
  // Record end offsets, to know which records survive each cut.
  std::vector<uint64_t> ends;
  {
    LogReader reader(data);
    std::string rec;
    while (reader.Read(&rec) == ReadStatus::kRecord) ends.push_back(reader.good_end());
  }
  ASSERT_EQ(ends.size(), in.size());
  std::mt19937 rng(42);
  std::vector<size_t> cuts = {
      1, 3, 6, 7, 9, kBlockSize - 1, kBlockSize, kBlockSize + 3, data.size() - 1};
  for (int i = 0; i < 300; ++i) cuts.push_back(rng() % data.size());
  for (size_t cut : cuts) {
    SCOPED_TRACE(cut);
    ReadAll r = Read(std::string_view(data).substr(0, cut));
    size_t whole = 0;
    while (whole < ends.size() && ends[whole] <= cut) ++whole;
    ASSERT_EQ(r.records.size(), whole);
    for (size_t k = 0; k < whole; ++k) EXPECT_EQ(r.records[k], in[k]);
    EXPECT_TRUE(r.corruptions.empty());
    uint64_t good = whole == 0 ? 0 : ends[whole - 1];
    EXPECT_EQ(r.good_end, good);
    EXPECT_EQ(r.torn, cut != good);
    if (r.torn) {
      EXPECT_EQ(r.torn_problem.offset + r.torn_problem.bytes, cut);
      EXPECT_LE(r.torn_problem.offset, cut);
    }
  }
}

TEST(LogTest, FlippedByteMidLogIsReportedAndLaterBlocksStillRead) {
  // Three blocks of small records; flip one payload byte in the first block.
  std::vector<std::string> in;
  for (int i = 0; i < 6000; ++i) in.push_back("record-" + std::to_string(i));
  std::string data = Write(in);
  ASSERT_GT(data.size(), 2 * kBlockSize);
  data[100] ^= 0x01;
  ReadAll r = Read(data);
  ASSERT_EQ(r.corruptions.size(), 1u);
  EXPECT_STREQ(r.corruptions[0].reason, "checksum mismatch");
  EXPECT_LE(r.corruptions[0].offset, 100u);
  EXPECT_EQ(r.corruptions[0].offset + r.corruptions[0].bytes, kBlockSize);
  EXPECT_FALSE(r.torn);
  // Records before the bad one and every record from block 2 on survive, in order.
  ASSERT_FALSE(r.records.empty());
  EXPECT_EQ(r.records.front(), "record-0");
  EXPECT_EQ(r.records.back(), "record-5999");
  EXPECT_LT(r.records.size(), in.size());
  for (size_t k = 1; k < r.records.size(); ++k) EXPECT_NE(r.records[k - 1], r.records[k]);
}

TEST(LogTest, FlippedByteInEveryHeaderPositionIsNeverARecord) {
  std::vector<std::string> in = {"alpha", "beta", "gamma"};
  std::string clean = Write(in);
  for (size_t pos = 0; pos < clean.size(); ++pos) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string data = clean;
      data[pos] ^= static_cast<char>(1 << bit);
      ReadAll r = Read(data);
      // Whatever comes back is a subset of what was written, in order; the damage is reported.
      EXPECT_TRUE(r.torn || !r.corruptions.empty()) << pos << " " << bit;
      size_t k = 0;
      for (const auto& rec : r.records) {
        while (k < in.size() && in[k] != rec) ++k;
        ASSERT_LT(k, in.size()) << "unexpected record " << rec;
      }
    }
  }
}

TEST(LogTest, MiddleWithoutFirstAndFirstWithoutLastAreCorruption) {
  std::string data = Write({Big('a', 50000), "after"});
  // Damage the FIRST fragment's checksum: its MIDDLE/LAST in block 2 have no FIRST.
  data[0] ^= 0x01;
  ReadAll r = Read(data);
  ASSERT_GE(r.corruptions.size(), 2u);
  EXPECT_STREQ(r.corruptions[0].reason, "checksum mismatch");
  EXPECT_STREQ(r.corruptions[1].reason, "MIDDLE or LAST fragment without FIRST");
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0], "after");
}

TEST(LogTest, ZeroFilledRegionIsCorruptionNotRecords) {
  std::string data = Write({"a"}) + std::string(100, '\0');
  ReadAll r = Read(data);
  EXPECT_EQ(r.records, std::vector<std::string>{"a"});
  ASSERT_EQ(r.corruptions.size(), 1u);
  EXPECT_STREQ(r.corruptions[0].reason, "zero fragment type");
  EXPECT_EQ(r.good_end, 8u);
}

// The view overload (replay's) returns exactly what the copying one does, in the same order
// with the same problems: FULL records view the input itself, fragmented ones the scratch.
TEST(LogTest, ViewReadMatchesCopyingRead) {
  std::vector<std::string> records = {
      "", "a", Big('b', kBlockSize * 2 + 5), "c", Big('d', kBlockSize - kHeaderSize - 3), "e"};
  std::string data = Write(records);
  data[kBlockSize * 3 + 2] ^= 0x40;  // a flipped byte in a later block: one corruption
  LogReader copying(data), viewing(data);
  std::string rec, scratch;
  std::string_view view;
  int n = 0;
  for (;; ++n) {
    ReadStatus a = copying.Read(&rec);
    ReadStatus b = viewing.Read(&view, &scratch);
    ASSERT_EQ(a, b) << n;
    if (a == ReadStatus::kEof) break;
    if (a == ReadStatus::kRecord) {
      EXPECT_EQ(view, rec) << n;
      const bool in_input = view.data() >= data.data() && view.data() <= data.data() + data.size();
      EXPECT_TRUE(in_input || view.data() == scratch.data()) << n;
      if (view.size() > kBlockSize) {
        EXPECT_EQ(view.data(), scratch.data()) << n;
      }
      EXPECT_EQ(copying.record_offset(), viewing.record_offset());
    } else {
      EXPECT_EQ(copying.problem().offset, viewing.problem().offset);
      EXPECT_EQ(copying.problem().bytes, viewing.problem().bytes);
    }
    EXPECT_EQ(copying.good_end(), viewing.good_end());
  }
  EXPECT_GT(n, 3);
}

}  // namespace
}  // namespace ringcast::store
