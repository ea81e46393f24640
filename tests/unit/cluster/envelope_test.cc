// The inter-node envelope: round trip with binary fields, and refusal of every truncation,
// trailing bytes, another version or kind, and an envelope over the bound.
#include "cluster/envelope.h"

#include <gtest/gtest.h>

#include <string>

namespace ringcast::cluster {
namespace {

EnvelopeView Sample(const std::string& data) {
  EnvelopeView e;
  e.origin = "node-a1b2";
  e.app = "app-id";
  e.channel = "presence-room:42";
  e.event = "message";
  e.data = data;
  e.exclude = "1234.5678";
  e.audience = "";
  e.user_id = "user-7";
  e.meta = "{\"trace\":\"t1\"}";
  e.epoch = 1796507837204811;
  e.seq = 42;
  return e;
}

TEST(Envelope, RoundTrip) {
  const std::string data("{\"x\":1}\0\xff", 9);
  std::string wire;
  ASSERT_TRUE(EncodeEnvelope(Sample(data), &wire));
  EnvelopeView got;
  ASSERT_TRUE(DecodeEnvelope(wire, 1 << 20, &got));
  EXPECT_EQ(got.origin, "node-a1b2");
  EXPECT_EQ(got.app, "app-id");
  EXPECT_EQ(got.channel, "presence-room:42");
  EXPECT_EQ(got.event, "message");
  EXPECT_EQ(got.data, data);
  EXPECT_EQ(got.exclude, "1234.5678");
  EXPECT_EQ(got.audience, "");
  EXPECT_EQ(got.user_id, "user-7");
  EXPECT_EQ(got.meta, "{\"trace\":\"t1\"}");
  EXPECT_EQ(got.epoch, 1796507837204811u);
  EXPECT_EQ(got.seq, 42u);
  EXPECT_EQ(got.kind, kEnvelopePublish);
}

TEST(Envelope, TerminateKindRoundTrips) {
  EnvelopeView e = Sample("");
  e.kind = kEnvelopeTerminate;
  e.channel = "#server-to-user-u1";
  std::string wire;
  ASSERT_TRUE(EncodeEnvelope(e, &wire));
  EnvelopeView got;
  ASSERT_TRUE(DecodeEnvelope(wire, 1 << 20, &got));
  EXPECT_EQ(got.kind, kEnvelopeTerminate);
  EXPECT_EQ(got.channel, "#server-to-user-u1");
  e.kind = 9;
  wire.clear();
  EXPECT_FALSE(EncodeEnvelope(e, &wire));
  EXPECT_TRUE(wire.empty());
}

TEST(Envelope, EveryTruncationAndTrailingByteIsRefused) {
  std::string wire;
  ASSERT_TRUE(EncodeEnvelope(Sample("payload"), &wire));
  EnvelopeView got;
  for (size_t n = 0; n < wire.size(); ++n) {
    EXPECT_FALSE(DecodeEnvelope(std::string_view(wire).substr(0, n), 1 << 20, &got)) << n;
  }
  EXPECT_FALSE(DecodeEnvelope(wire + "x", 1 << 20, &got));
  EXPECT_FALSE(DecodeEnvelope(wire, wire.size() - 1, &got));  // over the bound
  EXPECT_TRUE(DecodeEnvelope(wire, wire.size(), &got));
}

TEST(Envelope, OtherVersionOrKindOrMagicIsRefused) {
  std::string wire;
  ASSERT_TRUE(EncodeEnvelope(Sample("payload"), &wire));
  EnvelopeView got;
  for (size_t i : {0, 1, 2, 3}) {
    std::string bad = wire;
    bad[i] = static_cast<char>(i == 3 ? 9 : bad[i] + 1);  // kind 9: not a kind
    EXPECT_FALSE(DecodeEnvelope(bad, 1 << 20, &got)) << i;
  }
}

TEST(Envelope, FieldOverItsLengthRangeIsNotEncoded) {
  std::string big(70000, 'c');
  EnvelopeView e = Sample("d");
  e.channel = big;  // u16 length
  std::string wire = "keep";
  EXPECT_FALSE(EncodeEnvelope(e, &wire));
  EXPECT_EQ(wire, "keep");
}

TEST(Envelope, PresenceRowsRoundTripAndRefuseTruncation) {
  std::string data;
  ASSERT_TRUE(AppendPresenceRow(&data, "node-a.0.17", "user-1"));
  ASSERT_TRUE(AppendPresenceRow(&data, "node-b.1.4", ""));
  EXPECT_FALSE(AppendPresenceRow(&data, std::string(70000, 'x'), ""));  // over u16: nothing added
  std::vector<std::pair<std::string, std::string>> rows;
  ASSERT_TRUE(ReadPresenceRows(data, &rows));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], std::make_pair(std::string("node-a.0.17"), std::string("user-1")));
  EXPECT_EQ(rows[1], std::make_pair(std::string("node-b.1.4"), std::string()));
  rows.clear();
  EXPECT_FALSE(ReadPresenceRows(data.substr(0, data.size() - 1), &rows));
  EXPECT_EQ(rows.size(), 1u);  // the first row, read before the cut one
  // Both presence kinds travel as envelopes.
  EnvelopeView e = Sample(data);
  e.kind = kEnvelopePresenceReply;
  std::string wire;
  ASSERT_TRUE(EncodeEnvelope(e, &wire));
  EnvelopeView got;
  ASSERT_TRUE(DecodeEnvelope(wire, 1 << 20, &got));
  EXPECT_EQ(got.kind, kEnvelopePresenceReply);
  EXPECT_EQ(got.data, data);
}

}  // namespace
}  // namespace ringcast::cluster
