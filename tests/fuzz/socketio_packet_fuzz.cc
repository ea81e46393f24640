// libFuzzer target for the Socket.IO wire packets (protocols/socketio/packet.h): the input is
// read as an Engine.IO request query, then split like a long-polling body (Engine.IO payload);
// each Engine.IO packet is decoded, and the data of a message packet as a Socket.IO packet.
//
// Traps on: a Socket.IO packet that decodes but whose encoding does not decode to the same
// fields, and an Engine.IO packet whose re-encoding differs from its text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocols/socketio/packet.h"

using ringcast::protocols::socketio::AppendEioPacket;
using ringcast::protocols::socketio::AppendSioPacket;
using ringcast::protocols::socketio::DecodeEioPacket;
using ringcast::protocols::socketio::DecodeSioPacket;
using ringcast::protocols::socketio::EioError;
using ringcast::protocols::socketio::EioPacket;
using ringcast::protocols::socketio::EioQuery;
using ringcast::protocols::socketio::EioType;
using ringcast::protocols::socketio::ParseEioQuery;
using ringcast::protocols::socketio::SioPacket;
using ringcast::protocols::socketio::SplitEioPayload;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  EioQuery query;
  EioError error;
  if (ParseEioQuery(in, &query, &error) && (query.eio != "4" || query.transport.empty())) {
    std::abort();  // accepted without what every request must have
  }
  for (std::string_view text : SplitEioPayload(in)) {
    EioPacket e;
    if (!DecodeEioPacket(text, &e)) continue;
    std::string again;
    AppendEioPacket(&again, e.type, e.data);
    if (again != text) std::abort();
    if (e.type != EioType::kMessage) continue;
    SioPacket p;
    if (DecodeSioPacket(e.data, &p) != nullptr) continue;
    std::string encoded;
    AppendSioPacket(&encoded, p);
    SioPacket q;
    if (DecodeSioPacket(encoded, &q) != nullptr) std::abort();
    if (q.type != p.type || q.attachments != p.attachments || q.nsp != p.nsp ||
        q.has_id != p.has_id || q.id != p.id || q.data != p.data) {
      std::abort();
    }
  }
  return 0;
}
