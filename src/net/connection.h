// Connection and Session: one accepted TCP connection on a shard, and the protocol object that
// reads and writes it.
//
// A Connection is a slot in its shard's table, named by (index, generation); completions and
// timers carry both and are ignored when the generation moved on. It owns the socket, the
// outbound queue and the Session. It holds no read buffer: reads land in the shard's provided
// buffers and the Session keeps only the bytes of an incomplete message.
// A Session is the protocol state (HTTP request parsing, then a WebSocket protocol session). It
// may replace itself with another (an HTTP upgrade) through IoLoop::ReplaceSession; timers set
// by the old session do not reach the new one.
// Thread rules: everything here belongs to the shard thread that accepted the connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "net/out_queue.h"

namespace ringcast::net {

class Connection;

class Session {
 public:
  virtual ~Session() = default;
  // Bytes arrived. `data` is in the shard's read buffers (writable, kSlack readable bytes past
  // the end, which may hold another connection's later bytes); it is reused after the call, so
  // keep what is needed.
  virtual void OnData(Connection& c, char* data, size_t len) = 0;
  // A timer set with IoLoop::ScheduleTimer fired (and the connection is still open).
  virtual void OnTimer(Connection& c, uint8_t kind) = 0;
  // The outbound queue went over the connection's cap. Unsent frames were already dropped; the
  // session should queue its protocol's "going away" message and call CloseAfterFlush.
  virtual void OnOverflow(Connection& c) = 0;
  // The connection is gone (peer closed, error, or our close finished). Called once, last.
  virtual void OnClosed(Connection& c) = 0;
  // The answer to IoLoop::RequestPeerAddress (while the connection is open): the peer's IP as
  // text, empty when it could not be read.
  virtual void OnPeerAddress(Connection& c, std::string_view ip) { (void)c, (void)ip; }
};

enum class ConnState : uint8_t {
  kOpen,       // reading and writing
  kDraining,   // writing what is queued, then closing; reads still reach the session
  kLingering,  // everything written and FIN sent; reading and dropping until the peer's FIN
  kClosing,    // output dropped; waiting for every operation on the socket to complete, then
               // the descriptor is closed and the slot freed
};

class Connection {
 public:
  uint32_t index() const { return index_; }
  uint32_t generation() const { return gen_; }
  // Unique on this shard for the life of the process (socket ids are built from it).
  uint64_t serial() const { return serial_; }
  ConnState state() const { return state_; }
  bool open() const { return state_ == ConnState::kOpen; }
  // Accepted while the shard was at its connection limit: the session should refuse politely.
  bool over_capacity() const { return over_capacity_; }
  size_t queued_bytes() const { return out_.bytes(); }
  int fd() const { return fd_; }
  // io_uring operations on the socket not yet completed (see IoLoop's teardown rule).
  uint32_t ops_in_flight() const { return ops_; }
  // SendFinal queued the last frame: anything sent later is dropped.
  bool final_queued() const { return final_queued_; }
  Session* session() const { return session_; }

 private:
  friend class IoLoop;
  // Layout: one per connection, held in the shard's slot table (chunks of IoLoop::kSlotChunk,
  // no heap block per connection); the size is pinned in
  // tests/unit/protocols/session_layout_test.cc.
  uint32_t index_ = 0;
  uint32_t gen_ = 0;
  int fd_ = -1;
  ConnState state_ = ConnState::kOpen;
  bool in_use_ : 1 = false;
  bool recv_armed_ : 1 = false;
  bool send_inflight_ : 1 = false;
  bool dirty_ : 1 = false;
  bool over_capacity_ : 1 = false;
  bool overflowed_ : 1 = false;
  bool final_queued_ : 1 = false;  // SendFinal queued the last frame: later output is dropped
  uint8_t session_epoch_ = 0;     // bumped by ReplaceSession: older session timers are dropped
  // io_uring operations naming fd_ submitted and not yet completed (IoLoop::ConnOp; at most a
  // read, a write, two shutdowns and a peer-address install); the descriptor is closed and the
  // slot reused only at zero.
  uint8_t ops_ = 0;
  uint16_t inflight_frames_ = 0;  // frames at the front of out_ referenced by the in-flight send
  uint64_t serial_ = 0;
  void* send_op_ = nullptr;  // IoLoop::SendOp of the write in flight
  OutQueue out_;
  Session* session_ = nullptr;
};

}  // namespace ringcast::net
