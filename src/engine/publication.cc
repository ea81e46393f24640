#include "engine/publication.h"

#include <cstddef>
#include <cstring>

namespace ringcast::engine {

namespace {
struct PublicationHeader {
  uint32_t app;
  uint32_t exclude_shard;
  uint64_t exclude_serial;
  uint64_t sequence;
  uint64_t epoch;
  uint64_t stamp_us;
  uint32_t channel_len;
  uint32_t event_len;
  uint32_t data_len;
  uint32_t user_id_len;
  uint32_t audience_len;
  uint32_t meta_len;
};
}  // namespace

runtime::SharedBuf* BuildPublication(const PublicationView& pub, uint32_t refs) {
  size_t total = sizeof(PublicationHeader) + pub.channel.size() + pub.event.size() +
                 pub.data.size() + pub.user_id.size() + pub.audience.size() + pub.meta.size();
  runtime::SharedBuf* buf = runtime::SharedBuf::Create(total, refs);
  PublicationHeader h{pub.app,
                      pub.exclude_shard,
                      pub.exclude_serial,
                      pub.sequence,
                      pub.epoch,
                      pub.stamp_us,
                      static_cast<uint32_t>(pub.channel.size()),
                      static_cast<uint32_t>(pub.event.size()),
                      static_cast<uint32_t>(pub.data.size()),
                      static_cast<uint32_t>(pub.user_id.size()),
                      static_cast<uint32_t>(pub.audience.size()),
                      static_cast<uint32_t>(pub.meta.size())};
  char* p = buf->mutable_data();
  std::memcpy(p, &h, sizeof h);
  p += sizeof h;
  for (std::string_view part :
       {pub.channel, pub.event, pub.data, pub.user_id, pub.audience, pub.meta}) {
    if (!part.empty()) std::memcpy(p, part.data(), part.size());
    p += part.size();
  }
  return buf;
}

void SetSequence(runtime::SharedBuf* buf, uint64_t sequence) {
  std::memcpy(buf->mutable_data() + offsetof(PublicationHeader, sequence), &sequence,
              sizeof sequence);
}

void SetEpoch(runtime::SharedBuf* buf, uint64_t epoch) {
  std::memcpy(buf->mutable_data() + offsetof(PublicationHeader, epoch), &epoch, sizeof epoch);
}

void SetStamp(runtime::SharedBuf* buf, uint64_t stamp_us) {
  std::memcpy(buf->mutable_data() + offsetof(PublicationHeader, stamp_us), &stamp_us,
              sizeof stamp_us);
}

PublicationView ReadPublication(const runtime::SharedBuf* buf) {
  PublicationHeader h;
  std::memcpy(&h, buf->data(), sizeof h);
  const char* p = buf->data() + sizeof h;
  PublicationView v;
  v.app = h.app;
  v.exclude_shard = h.exclude_shard;
  v.exclude_serial = h.exclude_serial;
  v.sequence = h.sequence;
  v.epoch = h.epoch;
  v.stamp_us = h.stamp_us;
  v.channel = std::string_view(p, h.channel_len);
  p += h.channel_len;
  v.event = std::string_view(p, h.event_len);
  p += h.event_len;
  v.data = std::string_view(p, h.data_len);
  p += h.data_len;
  v.user_id = std::string_view(p, h.user_id_len);
  p += h.user_id_len;
  v.audience = std::string_view(p, h.audience_len);
  p += h.audience_len;
  v.meta = std::string_view(p, h.meta_len);
  return v;
}

}  // namespace ringcast::engine
