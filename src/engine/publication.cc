#include "engine/publication.h"

#include <cstring>

#include "util/json_writer.h"
#include "ws/frame_encoder.h"

namespace ringcast::engine {

namespace {
struct PublicationHeader {
  uint32_t app;
  uint32_t channel_len;
  uint32_t frame_len;
  uint32_t exclude_shard;
  uint64_t exclude_serial;
};
}  // namespace

void AppendChannelEventJson(std::string* out, std::string_view event, std::string_view channel,
                            std::string_view escaped_data, std::string_view user_id) {
  out->append("{\"event\":");
  util::AppendJsonString(out, event);
  out->append(",\"channel\":");
  util::AppendJsonString(out, channel);
  out->append(",\"data\":\"");
  out->append(escaped_data);
  out->push_back('"');
  if (!user_id.empty()) {
    out->append(",\"user_id\":");
    util::AppendJsonString(out, user_id);
  }
  out->push_back('}');
}

runtime::SharedBuf* BuildPublication(uint32_t app, std::string_view channel,
                                     std::string_view event_json, uint32_t exclude_shard,
                                     uint64_t exclude_serial, uint32_t refs) {
  uint8_t ws_header[ws::kMaxServerHeaderBytes];
  size_t header_len = ws::EncodeHeader(ws_header, ws::Opcode::kText, event_json.size());
  size_t frame_len = header_len + event_json.size();
  size_t total = sizeof(PublicationHeader) + channel.size() + frame_len;
  runtime::SharedBuf* buf = runtime::SharedBuf::Create(total, refs);
  char* p = buf->mutable_data();
  PublicationHeader h{app, static_cast<uint32_t>(channel.size()), static_cast<uint32_t>(frame_len),
                      exclude_shard, exclude_serial};
  std::memcpy(p, &h, sizeof h);
  p += sizeof h;
  std::memcpy(p, channel.data(), channel.size());
  p += channel.size();
  std::memcpy(p, ws_header, header_len);
  p += header_len;
  std::memcpy(p, event_json.data(), event_json.size());
  return buf;
}

PublicationView ReadPublication(const runtime::SharedBuf* buf) {
  PublicationHeader h;
  std::memcpy(&h, buf->data(), sizeof h);
  const char* p = buf->data() + sizeof h;
  return {h.app, std::string_view(p, h.channel_len),
          std::string_view(p + h.channel_len, h.frame_len), h.exclude_shard, h.exclude_serial};
}

}  // namespace ringcast::engine
