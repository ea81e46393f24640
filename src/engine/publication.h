// Publication: one event on one channel, as the engine moves it between threads. It is
// protocol-neutral: app, channel, event name, the data bytes (raw, not escaped for any wire),
// an optional sender user id, the excluded connection (shard + serial), the channel's
// sequence number and an optional audience (opaque to the engine; see PublicationView). No
// engine code interprets the bytes; each shard asks the protocol layer's encoders
// (engine/wire_format.h) to turn it into the frames its subscribers need.
//
// Memory: one immutable runtime::SharedBuf (a header, then channel, event, data, user id,
// audience, meta), made with one reference per receiving shard; each shard releases its reference
// after its fan-out.
// Built on the control plane (REST) or on a shard (client events, sequence 0); the control
// plane stamps the sequence (SetSequence) while it still holds the only reference, before the
// buffer is handed to any shard. Never written after that.
// Sequence numbers: per (app, channel): for a channel with history, by its log in the control
// plane's engine/history.h (with an epoch; every publication); otherwise by the channel's entry
// in the occupancy map (engine/occupancy.h): 1, 2, 3... for the publications that reach at
// least one subscriber; 0 means "not numbered".
// Pure functions, any thread (subject to the handover rule above).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/shared_buf.h"

namespace ringcast::engine {

inline constexpr uint32_t kNoShard = UINT32_MAX;

struct PublicationView {
  uint32_t app = 0;
  std::string_view channel;
  std::string_view event;
  std::string_view data;            // raw bytes (a string, or a JSON text the sender gave)
  std::string_view user_id;         // the sender's user id (presence client events), or empty
  uint32_t exclude_shard = kNoShard;  // kNoShard: nobody excluded
  uint64_t exclude_serial = 0;      // connection serial on exclude_shard
  uint64_t sequence = 0;            // per channel, assigned by the control plane; 0: none
  // The channel's history epoch (engine/history.h) when the sequence comes from its history;
  // 0: the sequence is the occupancy count (restarts at 1 when the channel empties).
  uint64_t epoch = 0;
  // When the control plane published it: wall-clock microseconds, strictly increasing over the
  // process's publications (ControlPlane::NextStamp), so it is also their order; 0: not stamped.
  // Every format shows the same time for one publication (Dialogue's `timestamp`).
  uint64_t stamp_us = 0;
  // Opaque bytes naming who may receive it, for formats that take an audience
  // (PublicationEncoder::TakesAudience; e.g. the Impulse push's tokens and topic). Non-empty:
  // members of other formats never receive it, and it is not kept in history.
  std::string_view audience;
  // Dialogue's `meta` (a JSON object's text, or empty): context the sender adds to an event,
  // shown by the formats that carry it (docs/protocols/dialogue.md "Events").
  std::string_view meta;
};

// One event a handler wants published on each of `channels`, in order (the REST API's result;
// the control plane turns each (event, channel) into one Publication).
struct PublishRequest {
  uint32_t app = 0;
  std::string event;
  std::string data;
  std::vector<std::string> channels;
  uint32_t exclude_shard = kNoShard;
  uint64_t exclude_serial = 0;
  // The socket_id the request named, even one another node issued (cluster mode carries it to
  // the other nodes, each excludes it if it is its own); "" for none.
  std::string exclude_socket_id;
  std::string audience;  // PublicationView::audience
  std::string user_id;   // PublicationView::user_id
  std::string meta;      // PublicationView::meta
  // Numbered already (cluster mode: by Redis, which keeps the history): delivered with this
  // position and not kept here. 0: numbered where it is published.
  uint64_t epoch = 0;
  uint64_t seq = 0;
  // Stamped already (PublicationView::stamp_us): a Dialogue room's publication held until its
  // history record is durable (api/dialogue_history.h); delivered here alone, never republished
  // to the cluster. 0: stamped when it is published.
  uint64_t stamp_us = 0;
};

// Builds the shared buffer of `pub` with `refs` references (one per receiving shard).
runtime::SharedBuf* BuildPublication(const PublicationView& pub, uint32_t refs);

// Stamps the channel sequence number. Only while the caller holds the only reference.
void SetSequence(runtime::SharedBuf* buf, uint64_t sequence);

// Stamps the history epoch (same rule as SetSequence).
void SetEpoch(runtime::SharedBuf* buf, uint64_t epoch);

// Stamps the publication time (PublicationView::stamp_us; same rule as SetSequence).
void SetStamp(runtime::SharedBuf* buf, uint64_t stamp_us);

// Views into `buf` (valid while a reference is held).
PublicationView ReadPublication(const runtime::SharedBuf* buf);

}  // namespace ringcast::engine
