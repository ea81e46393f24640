// Publication: one event on one channel, encoded once for every wire format its subscribers use,
// in one immutable SharedBuf that the control plane hands to each shard with subscribers.
//
// Layout of the buffer: a PublicationHeader, the channel name, then the WebSocket text frame
// (header + `{"event":..,"channel":..,"data":..}`). Shards read it through PublicationView; the
// frame bytes are wrapped, not copied, into each shard's LocalFrame.
// Built on the control plane (or a shard, for client events); read on shards; never written
// after it is handed over.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/shared_buf.h"

namespace ringcast::engine {

inline constexpr uint32_t kNoShard = UINT32_MAX;

struct PublicationView {
  uint32_t app;
  std::string_view channel;
  std::string_view ws_frame;     // complete server text frame
  uint32_t exclude_shard;        // kNoShard: nobody excluded
  uint64_t exclude_serial;       // connection serial on exclude_shard
};

// Appends the Pusher channel-event JSON: {"event":E,"channel":C,"data":D[,"user_id":U]}.
// `data_json_string` is the data as a JSON string literal's content, already escaped.
void AppendChannelEventJson(std::string* out, std::string_view event, std::string_view channel,
                            std::string_view escaped_data, std::string_view user_id = {});

// Builds the shared buffer with `refs` references (one per receiving shard).
runtime::SharedBuf* BuildPublication(uint32_t app, std::string_view channel,
                                     std::string_view event_json, uint32_t exclude_shard,
                                     uint64_t exclude_serial, uint32_t refs);

PublicationView ReadPublication(const runtime::SharedBuf* buf);

}  // namespace ringcast::engine
