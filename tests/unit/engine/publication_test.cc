// Tests for src/engine/publication: a built publication reads back field for field (app,
// channel, event, raw data, user id, exclusion, sequence), empty parts stay empty, the bytes
// are views into the one shared buffer, it carries the reference count asked for, and the
// control plane's SetSequence stamps the number without touching the rest.
#include "engine/publication.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::engine {
namespace {

PublicationView Sample() {
  PublicationView p;
  p.app = 3;
  p.channel = "news";
  p.event = "my-event";
  p.data = "line\n\"quoted\"";
  p.user_id = "user-9";
  p.exclude_shard = 2;
  p.exclude_serial = 77;
  p.sequence = 0;
  return p;
}

TEST(Publication, ReadsBackWhatWasBuilt) {
  runtime::SharedBuf* buf = BuildPublication(Sample(), 5);
  EXPECT_EQ(buf->refs_for_test(), 5u);
  PublicationView v = ReadPublication(buf);
  EXPECT_EQ(v.app, 3u);
  EXPECT_EQ(v.channel, "news");
  EXPECT_EQ(v.event, "my-event");
  EXPECT_EQ(v.data, "line\n\"quoted\"") << "data travels raw, not escaped for any wire";
  EXPECT_EQ(v.user_id, "user-9");
  EXPECT_EQ(v.exclude_shard, 2u);
  EXPECT_EQ(v.exclude_serial, 77u);
  EXPECT_EQ(v.sequence, 0u);
  EXPECT_EQ(v.audience, "");
  // The views point into the shared buffer itself (zero copy for every shard).
  for (std::string_view part : {v.channel, v.event, v.data, v.user_id}) {
    EXPECT_GE(part.data(), buf->data());
    EXPECT_LE(part.data() + part.size(), buf->data() + buf->size());
  }
  for (int i = 0; i < 5; ++i) buf->Release();
}

TEST(Publication, CarriesItsAudienceBytes) {
  PublicationView p = Sample();
  std::string audience("\x03\0\0\0\x01", 5);  // opaque: any bytes, NUL included
  p.audience = audience;
  runtime::SharedBuf* buf = BuildPublication(p, 1);
  PublicationView v = ReadPublication(buf);
  EXPECT_EQ(v.audience, audience);
  EXPECT_EQ(v.user_id, "user-9") << "the audience follows the other parts";
  buf->Release();
}

TEST(Publication, CarriesDialoguesMetaAfterTheAudience) {
  PublicationView p = Sample();
  p.audience = "aud";
  p.meta = R"({"correlationId":"abc"})";
  runtime::SharedBuf* buf = BuildPublication(p, 1);
  PublicationView v = ReadPublication(buf);
  EXPECT_EQ(v.meta, R"({"correlationId":"abc"})");
  EXPECT_EQ(v.audience, "aud");
  EXPECT_EQ(v.user_id, "user-9");
  EXPECT_EQ(v.meta.data() + v.meta.size(), buf->data() + buf->size()) << "the last part";
  buf->Release();
}

TEST(Publication, EmptyPartsAndNoExclusion) {
  PublicationView p;
  p.data = "{}";
  runtime::SharedBuf* buf = BuildPublication(p, 1);
  PublicationView v = ReadPublication(buf);
  EXPECT_EQ(v.channel, "");
  EXPECT_EQ(v.event, "");
  EXPECT_EQ(v.data, "{}");
  EXPECT_EQ(v.user_id, "");
  EXPECT_EQ(v.exclude_shard, kNoShard);
  EXPECT_EQ(v.exclude_serial, 0u);
  buf->Release();
}

TEST(Publication, SetSequenceStampsOnlyTheNumber) {
  runtime::SharedBuf* buf = BuildPublication(Sample(), 1);
  SetSequence(buf, 0x0102030405060708ull);
  PublicationView v = ReadPublication(buf);
  EXPECT_EQ(v.sequence, 0x0102030405060708ull);
  EXPECT_EQ(v.app, 3u);
  EXPECT_EQ(v.exclude_serial, 77u);
  EXPECT_EQ(v.channel, "news");
  EXPECT_EQ(v.user_id, "user-9");
  buf->Release();
}

TEST(Publication, LargeDataIsCarriedWhole) {
  std::string data(65536 + 7, 'd');
  data.back() = 'z';
  PublicationView p = Sample();
  p.data = data;
  p.sequence = 12;
  runtime::SharedBuf* buf = BuildPublication(p, 2);
  PublicationView v = ReadPublication(buf);
  EXPECT_TRUE(v.data == data);
  EXPECT_EQ(v.sequence, 12u);
  EXPECT_EQ(v.user_id, "user-9");
  buf->Release();
  buf->Release();
}

}  // namespace
}  // namespace ringcast::engine
