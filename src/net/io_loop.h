// IoLoop: one shard's io_uring event loop and its connections.
//
// Owns: the shard's Ring, its provided-buffer ring, its listening socket (multishot accept), the
// connection table, the timer wheel and the per-turn send batching. One loop turn:
//   1. reap completions: accepts, reads (handed to each connection's Session), write completions,
//      wake-ups, and give the read buffers back;
//   2. Delegate::DrainInbound(): the shard's SPSC queues (publishes, replies, commands);
//   3. fire due timers;
//   4. flush: one sendmsg per connection with output and no write in flight, carrying every frame
//      queued since its last write (frames published while the shard worked go out together),
//      unless the flush is held (below);
//   5. sleep in io_uring_enter unless more work is already waiting (Waker protocol).
// Adaptive flush: a turn holds its flush while Delegate::ExpectMoreOutput() says that more output
// for it is known to be on its way through the inbound queue (under load: requests this shard
// forwarded are still being handled, or a pipelining client's round is only partly in), so one
// write per connection carries the whole batch. The hold is strict: never longer than
// `flush_hold_us` after the first held turn (a held turn sleeps at most until then), and the
// next flush happens in the first turn where the delegate expects nothing more. A delegate that
// expects output only when work overlaps (at low load a publication comes with the answer to the
// one request that caused it, and nothing more is expected) leaves the loop flushing every turn
// at low load, as without the hold. Delegate::OnFlushed follows every flush.
// A connection whose queued bytes pass `max_outbound_bytes` is a slow consumer: its unsent
// frames are dropped at once and its Session is told (OnOverflow) to say goodbye and close.
// The shard's outbound budget: `max_queued_bytes` bounds the bytes of distinct frames waiting
// in any of the shard's queues (a fan-out frame counts once however many queues hold it). The
// connection whose Send leaves the shard over it is cut the same way (counted in
// outbound_budget_cuts as well as slow_consumers).
// Final frame: SendFinal queues a connection's last frame (a close frame); after it, Send,
// SendCopy and SendFinal drop what they are given (RFC 6455 5.5.1: no data after a close), and
// the slow-consumer cut, which only Send triggers, never drops it.
//
// Teardown rule (why a closing connection cannot hurt the next one): every io_uring operation
// that names a connection's descriptor (recv, send, shutdown) goes through ConnOp, which counts
// it in the connection's ops_; its last completion (a multishot recv's final CQE) uncounts it.
// None carries IOSQE_CQE_SKIP_SUCCESS. The descriptor is closed, and the slot and the regular
// fd or direct slot number can be reused, only in Finish, which runs when the connection is
// kClosing and ops_ is zero; the close itself is the last operation on it. io_uring does not
// order unlinked SQEs and runs some in io-wq workers (a shutdown always), which look the
// descriptor up only when they run: waiting for every completion is what keeps a late
// shutdown or send from reaching the next accepted socket that got the same number.
// Graceful close (CloseAfterFlush): kDraining writes the queue; the shutdown(SHUT_WR) (FIN) is
// submitted only from the completion of the write that emptied it, so the close frame and all
// before it precede the FIN. A peer FIN while draining, or while a final frame waits, does not
// cut the write short (it drains, bounded by the deadline, then closes at once). CloseNow
// is the abortive path: it drops unsent frames, and its shutdown(SHUT_RDWR) may cut a write in
// flight (a blocked write must end for the close to happen).
// TLS (IoLoopOptions::tls set): every accepted connection gets a tls::TlsStream between the
// socket and its Session (io_loop_tls.cc). Reads are decrypted into a per-loop scratch buffer
// and handed to the Session as plaintext; the Session queues plaintext frames as usual, and
// the flush encrypts what is queued (records per coalesced write) and writes the ciphertext.
// A connection has output while its queue or its stream's ciphertext is not empty (HasOutput);
// a graceful close sends a close_notify alert before the FIN. The handshake needs no deadline
// of its own: the Session's header deadline runs from accept and sees no byte until it is done.
// Thread rules: constructed, run and used on the shard thread only; other threads reach it only
// through the shard's queues and Waker. Sessions must not block.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/connection.h"
#include "runtime/ring.h"
#include "runtime/timer_wheel.h"
#include "runtime/waker.h"
#include "util/relaxed_counter.h"

namespace ringcast::tls {
class ContextCache;
class ContextSlot;
class TlsStream;
}  // namespace ringcast::tls

namespace ringcast::net {

struct IoLoopOptions {
  int listen_fd = -1;             // owned by the loop from Init on
  uint32_t shard_id = 0;
  uint32_t max_connections = 100000;
  uint32_t capacity_slack = 256;  // accepted past the limit only to be refused by the protocol
  uint32_t read_buffers = 512;    // power of two: the most the provided-buffer ring holds
  // Buffers provided at start; the ring grows (doubling, up to read_buffers) when a turn's reads
  // use half of them or a read finds none (runtime::BufferRing), so an idle shard keeps few.
  uint32_t initial_read_buffers = 16;
  uint32_t read_buffer_size = 8192;
  size_t max_outbound_bytes = 4 << 20;
  // The shard's outbound budget: bytes of distinct frames queued to any of its connections
  // (0: none). The server gives each shard an equal share of the process-wide limit.
  size_t max_queued_bytes = 0;
  unsigned ring_entries = 4096;
  // Longest a flush is held while the delegate expects more output (0: flush every turn).
  uint32_t flush_hold_us = 1000;
  // > 0: accepted sockets are io_uring direct descriptors in a table of this many slots
  // (registered at Init; at most RLIMIT_NOFILE); they never enter the process's file table.
  uint32_t direct_descriptors = 0;
  // Non-null: the port serves TLS with the slot's current context (read at each accept).
  const tls::ContextSlot* tls = nullptr;
};

// The loop's figures: written by the loop's thread, read by any thread (/metrics).
struct IoLoopStats {
  util::RelaxedCounter accepted = 0;
  util::RelaxedCounter refused = 0;        // closed at accept: table full
  util::RelaxedCounter closed = 0;
  util::RelaxedCounter bytes_read = 0;
  util::RelaxedCounter bytes_written = 0;
  util::RelaxedCounter writes = 0;         // sendmsg operations completed
  util::RelaxedCounter frames_written = 0; // frames fully written
  util::RelaxedCounter slow_consumers = 0;
  util::RelaxedCounter read_buffer_exhausted = 0;
  util::RelaxedCounter accept_no_descriptor = 0;  // accepts that failed for lack of a descriptor
  util::RelaxedCounter outbound_budget_cuts = 0;  // slow consumers cut by the shard's budget
  util::RelaxedCounter flushes_held = 0;   // turns whose flush was held for expected output
  util::RelaxedCounter holds_expired = 0;  // holds ended by flush_hold_us, not the delegate
  util::RelaxedCounter tls_handshakes = 0;         // TLS handshakes completed
  util::RelaxedCounter tls_resumed = 0;            // of which resumed a session
  util::RelaxedCounter tls_handshake_failures = 0; // failed before completing (bad or alert)
  util::RelaxedCounter tls_record_errors = 0;      // bad records after the handshake
};

class IoLoop {
 public:
  class Delegate {
   public:
    virtual ~Delegate() = default;
    // A connection was accepted: return the Session that will read it (owned by the loop).
    virtual Session* NewSession(Connection& c) = 0;
    // Process inbound queue messages; return true if some were left for the next turn.
    virtual bool DrainInbound() = 0;
    // After Waker::AnnounceSleep: true if every inbound queue is empty.
    virtual bool InboundEmpty() = 0;
    // Asked before a flush with output: true if more output for this turn's connections is known
    // to be coming through the inbound queue soon; the loop then holds the flush (see the top).
    virtual bool ExpectMoreOutput() { return false; }
    // The loop has just flushed (held output included).
    virtual void OnFlushed() {}
    // The turn's work is done (just before the loop sleeps or starts the next turn): it began
    // at `start_ns` (when the previous sleep ended) and ends at `end_ns` (util::MonotonicNs).
    // For the shard's metrics: loop-turn duration, counters published for other threads.
    virtual void OnTurnEnd(uint64_t start_ns, uint64_t end_ns) { (void)start_ns, (void)end_ns; }
    // A connection is about to be torn down; its session is still attached (before OnClosed).
    virtual void OnConnectionClosing(Connection& c) { (void)c; }
  };

  IoLoop();
  ~IoLoop();
  IoLoop(const IoLoop&) = delete;
  IoLoop& operator=(const IoLoop&) = delete;

  // Sets up the ring and buffers on the calling (shard) thread. Returns 0 or -errno.
  [[nodiscard]] int Init(const IoLoopOptions& options, Delegate* delegate, runtime::Waker* waker);

  // Runs turns until Stop(); returns when every connection is closed or `Stop(true)`.
  void Run();
  // Ends Run() after the current turn (connections are left as they are).
  void Stop() { stop_ = true; }

  // Stops accepting new connections (closes the listening socket).
  void StopAccepting();
  // Caps how long one turn may sleep (-1: no cap); used while shutting down.
  void set_max_wait_ms(int64_t ms) { max_wait_ms_ = ms; }

  // ---- connection operations (shard thread) ----
  // Queues `frame` (the caller passes one reference) for writing. Dropped if the connection is
  // not open or its final frame is queued. May trigger the slow-consumer path (the connection's
  // cap or the shard's budget).
  void Send(Connection& c, LocalFrame* frame);
  // Queues a copy of `bytes` (same rules as Send).
  void SendCopy(Connection& c, std::string_view bytes);
  // Queues the connection's last frame (a close frame), even while draining (after OnOverflow);
  // no cap check. Everything offered after it, a second SendFinal included, is dropped.
  void SendFinal(Connection& c, std::string_view bytes);
  // Stops reading, drops unsent output and closes the socket as soon as no operation is in
  // flight. The session's OnClosed runs later in the turn, never inside this call (so a fan-out
  // loop may close a member without its channel changing under it).
  void CloseNow(Connection& c);
  // Writes what is queued, then closes gracefully (a "lingering close": FIN after the last
  // byte, then reads are dropped until the peer's FIN or kLingerMs, so that late bytes from the
  // peer cannot make the kernel reset the connection and lose the tail of our output). If the
  // queue is not written within `max_wait_ms`, CloseNow.
  void CloseAfterFlush(Connection& c, uint64_t max_wait_ms);
  static constexpr uint64_t kLingerMs = 1000;
  static constexpr uint64_t kAcceptRetryMs = 100;
  // Replaces the connection's session (HTTP -> WebSocket). The old one is deleted at the end of
  // the turn, so it is safe to call from inside the old session's OnData.
  void ReplaceSession(Connection& c, Session* next);
  // Calls the session's OnTimer(kind) at `deadline_ms` if the connection is still open and its
  // session has not been replaced since. kind 255 is reserved.
  void ScheduleTimer(Connection& c, uint64_t deadline_ms, uint8_t kind);

  Connection* Find(uint32_t index, uint32_t generation);
  template <typename F>
  void ForEachConnection(F&& f) {
    for (uint32_t i = 0; i < slot_count_; ++i) {
      Connection& c = Slot(i);
      if (c.in_use_ && c.state_ != ConnState::kClosing) f(c);
    }
  }

  // The peer's IP address as text ("127.0.0.1", "::1"; an IPv4-mapped IPv6 address as IPv4)
  // through getpeername(2): one syscall, so call it only where needed (the Datonow /ws upgrade).
  // False when unknown: the connection is a direct descriptor (no fd: use RequestPeerAddress)
  // or the call failed.
  bool PeerAddress(const Connection& c, std::string* out) const;
  // Direct descriptors only (false otherwise: use PeerAddress): asks for the peer address
  // asynchronously, since a direct descriptor has no fd for getpeername and io_uring on 6.18
  // has no peer-name command: IORING_OP_FIXED_FD_INSTALL makes a regular fd of it (one ring
  // operation, counted in c's operations like a read), then getpeername and close (two
  // syscalls). The session's OnPeerAddress gets the answer in a later turn if c is still open.
  // At most one in flight per connection.
  bool RequestPeerAddress(Connection& c);
  bool direct_descriptors() const { return direct_; }
  uint64_t now_ms() const { return now_ms_; }
  // A serial no connection of this loop has or will have (for sessions without one).
  uint64_t NewSerial() { return next_serial_++; }
  uint32_t shard_id() const { return options_.shard_id; }
  size_t connection_count() const { return live_; }
  const IoLoopStats& stats() const { return stats_; }
  // Bytes of distinct frames queued to the shard's connections (what the budget bounds).
  size_t queued_frame_bytes() const { return queued_frame_bytes_; }
  runtime::Ring& ring() { return ring_; }
  bool accepting() const { return listen_fd_ >= 0; }

 private:
  struct SendOp;

  enum Op : uint8_t { kOpAccept = 1, kOpRecv, kOpSend, kOpWake, kOpClose, kOpShutdown, kOpPeer };
  static uint64_t Pack(Op op, uint32_t gen, uint32_t index) {
    return (static_cast<uint64_t>(op) << 56) | (static_cast<uint64_t>(gen & 0xffffff) << 32) |
           index;
  }

  void HandleCqe(const io_uring_cqe& cqe);
  void OnAccept(const io_uring_cqe& cqe);
  void OnRecv(const io_uring_cqe& cqe, Connection* c);
  void OnSend(const io_uring_cqe& cqe, Connection* c);
  void OnShutdown(const io_uring_cqe& cqe, Connection* c);
  void OnPeer(const io_uring_cqe& cqe, Connection* c);
  // Every operation naming c's descriptor is submitted here: `prep` fills the SQE, which then
  // names c (direct descriptor flag, user data) and is counted in c.ops_ until OpDone.
  template <typename Prep>
  io_uring_sqe* ConnOp(Connection& c, Op op, Prep&& prep) {
    io_uring_sqe* sqe = ring_.Sqe();
    prep(sqe);
    UseFile(sqe);
    io_uring_sqe_set_data64(sqe, Pack(op, c.gen_, c.index_));
    ++c.ops_;
    return sqe;
  }
  // The last completion of one of c's operations arrived.
  void OpDone(Connection& c);
  void ArmAccept();
  // Marks `sqe` as naming a direct descriptor when the loop uses them.
  void UseFile(io_uring_sqe* sqe) const {
    if (direct_) sqe->flags |= IOSQE_FIXED_FILE;
  }
  // Closes an accepted socket (a direct descriptor through the ring). For a connection, only
  // from Finish (no operation names the descriptor any more).
  void CloseSocket(int fd, uint64_t user_data);
  void ArmRecv(Connection& c);
  void ArmWake();
  void MarkDirty(Connection& c);
  // Adaptive flush: true if this turn's flush is held (see the top of this file).
  bool HoldFlush(uint64_t now_ns);
  void FlushSends();
  void SubmitSend(Connection& c);
  void RunTimers();
  void Overflow(Connection& c);
  void StartLinger(Connection& c);
  // When c (kDraining or kLingering) is closed at the latest, unless its state moved on.
  void ScheduleCloseDeadline(Connection& c, uint64_t deadline_ms);
  void MaybeFinishClose(Connection& c);
  void FinishCloses();
  void Finish(Connection& c);
  void FreeSlot(Connection& c);
  Connection* Lookup(uint64_t user_data);
  // ---- TLS (io_loop_tls.cc) ----
  tls::TlsStream* TlsOf(const Connection& c) const {
    return tls_streams_.empty() ? nullptr : tls_streams_[c.index_];
  }
  bool HasOutput(const Connection& c) const;
  // Accept: makes the stream of slot `index` (false: no context or no memory).
  bool OpenTls(uint32_t index);
  void CloseTls(Connection& c);
  // Ciphertext arrived: decrypt and hand the plaintext to the session.
  void OnTlsData(Connection& c, const char* data, size_t len);
  // SubmitSend for a TLS connection: encrypts what is queued (up to kTlsMaxPlainPerWrite) and
  // returns the ciphertext to write (empty: nothing, or the stream failed and c is closing).
  std::string_view NextTlsWrite(Connection& c);
  static constexpr size_t kTlsPlainScratch = 16384;       // one record's plaintext
  static constexpr size_t kTlsMaxPlainPerWrite = 65536;   // four full records per write
  // A write of n ciphertext bytes completed.
  void TlsSent(Connection& c, size_t n);
  // Graceful close: queues close_notify once; true if there is something new to write.
  bool TlsCloseNotify(Connection& c);

  IoLoopOptions options_;
  Delegate* delegate_ = nullptr;
  runtime::Waker* waker_ = nullptr;
  runtime::Ring ring_;
  runtime::BufferRing buffers_;
  int listen_fd_ = -1;
  bool accept_armed_ = false;
  bool direct_ = false;  // connections' fd_ are io_uring direct descriptors
  // Accepting failed for lack of descriptors: re-arm no earlier than this (ms).
  uint64_t accept_retry_ms_ = 0;
  bool stop_ = false;
  int64_t max_wait_ms_ = -1;
  uint64_t now_ms_ = 0;
  uint64_t wake_buf_ = 0;
  uint64_t hold_deadline_ns_ = 0;  // 0: the flush is not held

  // Connection slots, in chunks of kSlotChunk (stable addresses, no heap block per connection);
  // slot i is Slot(i), for i < slot_count_.
  static constexpr uint32_t kSlotChunkBits = 8;
  static constexpr uint32_t kSlotChunk = 1u << kSlotChunkBits;
  Connection& Slot(uint32_t index) {
    return chunks_[index >> kSlotChunkBits][index & (kSlotChunk - 1)];
  }

  size_t queued_frame_bytes_ = 0;  // before chunks_: their queues account into it
  std::vector<std::unique_ptr<Connection[]>> chunks_;
  uint32_t slot_count_ = 0;
  std::vector<uint32_t> free_slots_;
  size_t live_ = 0;
  uint64_t next_serial_ = 1;

  std::vector<uint32_t> dirty_;
  std::vector<uint64_t> rearm_;  // (gen << 32 | index) of connections whose multishot recv ended
  std::vector<uint64_t> finishing_;  // closed connections whose teardown waits for a safe point
  std::vector<Session*> retired_sessions_;
  std::vector<SendOp*> send_pool_;        // ops with a few iovecs inline (see io_loop.cc)
  std::vector<SendOp*> large_send_pool_;  // ops of kMaxIov iovecs
  runtime::TimerWheel timers_;
  std::vector<uint64_t> fired_;
  IoLoopStats stats_;
  // TLS: the current context, the stream of each slot (empty vector: plain TCP) and the
  // scratch buffer plaintext is decrypted into.
  std::unique_ptr<tls::ContextCache> tls_ctx_;
  std::vector<tls::TlsStream*> tls_streams_;
  std::unique_ptr<char[]> tls_plain_;
};

}  // namespace ringcast::net
