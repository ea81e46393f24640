// SseEncoder (src/protocols/sse/sse_encoder.h): the shared frame of a publication with a
// sequence ends with the id line a one-channel stream gets ("id: <epoch>.<seq>", the form of
// AppendEventId for one position, and the blank line), SharedRecord gives the record without
// it, and a publication without a sequence gets no id line.
#include "protocols/sse/sse_encoder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocols/sse/sse_request.h"

namespace ringcast::protocols::sse {
namespace {

engine::PublicationView Pub(uint64_t epoch, uint64_t sequence) {
  engine::PublicationView pub;
  pub.channel = "news";
  pub.event = "e";
  pub.data = "{\"n\":1}";
  pub.epoch = epoch;
  pub.sequence = sequence;
  return pub;
}

const std::string kRecord =
    "event: e\ndata: {\"channel\":\"news\",\"event\":\"e\",\"data\":\"{\\\"n\\\":1}\"}\n";

TEST(SseEncoder, SharedFrameEndsWithTheOneChannelId) {
  SseEncoder encoder;
  engine::PublicationView pub = Pub(1733342400000000, 18446744073709551615u);
  net::LocalFrame* frame = encoder.Encode(pub);
  std::string id = "id: ";
  AppendEventId(&id, {SsePosition{pub.epoch, pub.sequence}});
  EXPECT_EQ(std::string(frame->data(), frame->size()), kRecord + id + "\n\n");
  EXPECT_EQ(SharedRecord(*frame, pub), kRecord);
  frame->Unref();
}

TEST(SseEncoder, NoSequenceNoIdLine) {
  SseEncoder encoder;
  engine::PublicationView pub = Pub(0, 0);
  net::LocalFrame* frame = encoder.Encode(pub);
  EXPECT_EQ(std::string(frame->data(), frame->size()), kRecord);
  EXPECT_EQ(SharedRecord(*frame, pub), kRecord);
  frame->Unref();
}

}  // namespace
}  // namespace ringcast::protocols::sse
