// Envelope: one publication as it travels between nodes through Redis pub/sub (docs/cluster.md,
// "Publishing"). Binary and versioned:
//
//   "RC" version(1) kind(1)        1: publish; 2: terminate (close the connections on
//                                  `channel`, a user's "#server-to-user-<id>"; event and data
//                                  empty); 3: count request (to every node: `channel` holds
//                                  the channels, '\n'-separated, `event` the request id);
//                                  4: count reply (to the origin's node channel: `event` the
//                                  request id, `data` the counts, ','-separated); 5: watch
//                                  flip (from a script, to every node: `channel` the user id,
//                                  `data` "1" online / "0" offline, `seq` the flip's version);
//                                  6: Datonow store commit (from a script, to every node: app,
//                                  channel, event and data empty, `seq` the store's version);
//                                  7: DontCode presence request (to every node: `channel` the
//                                  realtime channel, `event` the request id); 8: its reply (to
//                                  the origin's node channel: `event` the request id, `data`
//                                  the members, each u16 id length + id, u16 identity length +
//                                  identity; cluster/envelope.h Append/ReadPresenceRows)
//   origin   u16 length + bytes   the node that accepted the publish (its node_id)
//   app      u16 length + bytes   the app's id (ids, not indexes: nodes may list apps in another
//                                  order)
//   channel  u16 length + bytes
//   event    u32 length + bytes
//   data     u32 length + bytes
//   exclude  u16 length + bytes   the socket_id to leave out ("" for none); ids are unique
//                                  cluster-wide, each node checks whether it is one of its own
//   audience u32 length + bytes   engine::PublicationView::audience ("" for everyone)
//   user_id  u16 length + bytes   the sender's user id (presence client events), or ""
//   meta     u32 length + bytes   engine::PublicationView::meta (Dialogue's event meta), or ""
//   epoch    u64                  a history channel's position, numbered in Redis by the
//   seq      u64                  publish script (cluster/scripts.h); 0 and 0 otherwise (the
//                                  script overwrites these last 16 bytes)
//
// Lengths are little-endian. Decode checks every length against what is left and refuses
// trailing bytes, another version or kind, and an envelope over `max_bytes`; a refused envelope
// is counted and dropped by the caller (it came from another version of ringcast or not from
// ringcast at all).
// Thread rules: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringcast::cluster {

inline constexpr uint8_t kEnvelopeVersion = 2;  // 2: meta
inline constexpr uint8_t kEnvelopePublish = 1;
inline constexpr uint8_t kEnvelopeTerminate = 2;
inline constexpr uint8_t kEnvelopeCountRequest = 3;
inline constexpr uint8_t kEnvelopeCountReply = 4;
inline constexpr uint8_t kEnvelopeWatchFlip = 5;
inline constexpr uint8_t kEnvelopeStoreCommit = 6;
inline constexpr uint8_t kEnvelopePresenceRequest = 7;
inline constexpr uint8_t kEnvelopePresenceReply = 8;
inline constexpr uint8_t kEnvelopeLastKind = kEnvelopePresenceReply;

struct EnvelopeView {
  uint8_t kind = kEnvelopePublish;
  std::string_view origin;
  std::string_view app;
  std::string_view channel;
  std::string_view event;
  std::string_view data;
  std::string_view exclude;
  std::string_view audience;
  std::string_view user_id;
  std::string_view meta;
  uint64_t epoch = 0;
  uint64_t seq = 0;
};

// Appends the envelope of `e` to *out. False (nothing appended) when a field is over its length
// field's range.
bool EncodeEnvelope(const EnvelopeView& e, std::string* out);
// Views into `bytes` (valid while it is).
bool DecodeEnvelope(std::string_view bytes, size_t max_bytes, EnvelopeView* out);

// A presence reply's data (kind 8): one (id, identity) member appended; false (nothing
// appended) when a field is over 65535 bytes.
bool AppendPresenceRow(std::string* data, std::string_view id, std::string_view identity);
// Reads every member of `data` into *rows (appended); false when it does not decode (the rows
// read before the bad one are kept).
bool ReadPresenceRows(std::string_view data,
                      std::vector<std::pair<std::string, std::string>>* rows);

}  // namespace ringcast::cluster
