// Worker: one thread of the load generator with its own io_uring (runtime::Ring, set up
// SINGLE_ISSUER|DEFER_TASKRUN) and one provided-buffer ring for every read of the thread.
//
// Owns: its share of the subscribers (connection i when i mod threads == id), its share of
// the publishers (publisher p when p mod threads == id), their sockets, and its counters and
// histograms. Everything here runs on the worker's thread; the main thread only reads
// `live()` (atomics) at any time, `stats()` after `live().settled` (subscriptions) or after
// the thread has been joined (everything), and steers the run through RunControl.
// Loop turn: read the phase; connect more (connect phase, paced by --connect-rate and
// --connect-concurrency); let publishers send what is due; submit and wait for completions
// until the next due time (at most 5 ms); dispatch completions (connect, multishot recv with
// a provided buffer, send); recycle buffers; re-arm ended receives; finish closes.
// Completion tags: op (8 bits) | connection generation (24 bits) | slot (32 bits); a
// completion of an older generation of the slot is ignored (its buffer is recycled).
// With --descriptors direct the subscribers' sockets live in the worker's registered file table
// (one slot per connection, the slot index of conns_): socket (IORING_OP_SOCKET into that
// slot), bind (IORING_OP_BIND, with --source-ips) and connect are one linked chain, and every
// later operation names the slot with IOSQE_FIXED_FILE; the table is capped by RLIMIT_NOFILE per
// thread, not per process.
// With --count-server-writes the loop also sums TCP_INFO data_segs_in over its open
// subscribers (and notes its received count) on the first turn at or after the window's start
// and again at or after its end (sys_stats.h).
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ringcast-bench/channel_plan.h"
#include "ringcast-bench/options.h"
#include "ringcast-bench/pusher_message.h"
#include "ringcast-bench/run_control.h"
#include "ringcast-bench/socketio_packet.h"
#include "ringcast-bench/stats.h"
#include "runtime/ring.h"

struct ssl_ctx_st;

namespace ringcast::bench {

class BenchConn;
class Publisher;
class Subscriber;

// One server port: its address and the Host header sent to it.
struct Target {
  sockaddr_in server{};
  std::string host_header;  // "host:port"
};

// Where to connect, shared read-only by all workers. A connection's BenchConn::target picks
// one of `targets`: 0 is the publishers' (--publish-port or --port), 1.. the subscribers'
// (--subscribe-ports, or just --port).
struct Endpoint {
  std::vector<Target> targets;
  std::vector<sockaddr_in> sources;  // empty: no bind
  std::string host;                  // --host: the name the TLS certificate is checked for
  ssl_ctx_st* tls = nullptr;         // --tls: the client context (BoringSSL; thread-safe)
};

class Worker {
 public:
  Worker(uint32_t id, const BenchOptions& options, const ChannelPlan& plan, RunControl* control,
         const Endpoint& endpoint);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Thread body: sets up the ring, runs the loop until kStop, closes everything.
  void Run();
  // Set (before `settled`) when the ring could not be set up; the worker then idles.
  int init_error() const { return init_error_.load(std::memory_order_acquire); }

  LiveCounters& live() { return live_; }
  WorkerStats& stats() { return stats_; }
  uint32_t subscriber_count() const { return static_cast<uint32_t>(subscribers_.size()); }
  uint32_t publisher_count() const { return static_cast<uint32_t>(publishers_.size()); }

  // ---- for connections and publishers (worker thread only) ----
  // Opens a socket (bound to source `source` when sources are given) and submits connect.
  // Returns 0 or -errno (nothing is in flight then).
  [[nodiscard]] int Connect(BenchConn* c, uint32_t source);
  void ArmRecv(BenchConn* c);
  void Send(BenchConn* c, std::string_view bytes);
  void Close(BenchConn* c);

  // Accounting for one event the server accepted (REST 200) or that was written (client
  // events): it owes one delivery to every subscriber of its channel.
  void OnPublished(uint32_t channel, uint64_t sent_ns);

  const BenchOptions& options() const { return options_; }
  const ChannelPlan& plan() const { return plan_; }
  const Endpoint& endpoint() const { return endpoint_; }
  PusherMessageParser& parser() { return parser_; }
  SocketIoArgsParser& sio_parser() { return sio_parser_; }
  std::string& scratch() { return scratch_; }
  const std::string& event_name() const { return event_name_; }
  const std::string& ws_request_target() const { return ws_target_; }
  uint64_t now_ns() const { return now_ns_; }
  uint64_t measure_start_ns() const { return measure_start_; }
  uint64_t end_ns() const { return end_; }
  Phase phase() const { return phase_; }
  uint64_t NextRandom();
  // For error kinds: "ECONNREFUSED" for -ECONNREFUSED.
  static std::string ErrnoName(int res);

 private:
  enum Op : uint8_t {
    kOpConnect = 1,
    kOpRecv = 2,
    kOpSend = 3,
    kOpSetup = 4,     // direct: socket or bind ahead of the connect (a completion only on failure)
    kOpShutdown = 5,  // direct: shutdown through the ring
    kOpClose = 6,     // direct: close of a slot (a completion only on failure; ignored)
  };

  void Loop();
  void StartConnects(uint64_t now);
  void Settle();
  void BeginPublish();
  uint64_t WaitDeadline(uint64_t now) const;
  void Dispatch(const io_uring_cqe& cqe);
  void OnRecvCqe(const io_uring_cqe& cqe, BenchConn* c, bool current);
  void OnSendCqe(const io_uring_cqe& cqe, BenchConn* c);
  void SubmitSend(BenchConn* c);
  // --tls (worker_tls part of worker.cc): bytes on the socket are TLS records.
  void SendRaw(BenchConn* c, std::string_view bytes);
  void StartTls(BenchConn* c);
  void OnTlsData(BenchConn* c, const char* data, size_t len);
  void FlushTls(BenchConn* c);
  std::vector<char> tls_plain_;  // decrypted bytes, handed to OnData (with 64 B of slack)
  int ConnectDirect(BenchConn* c, uint32_t source);
  // Marks `sqe` as naming c's direct descriptor when it has one.
  static void UseFile(io_uring_sqe* sqe, const BenchConn* c);
  void ShutdownSocket(BenchConn* c, int how);
  void CloseSocket(BenchConn* c);
  void MaybeFinishClose(BenchConn* c);
  void FinishCloses();
  void TearDown();
  void SampleServerWrites();
  uint64_t SumSegmentsIn() const;
  uint64_t Tag(Op op, const BenchConn* c) const;

  uint32_t id_;
  const BenchOptions& options_;
  const ChannelPlan& plan_;
  RunControl* control_;
  const Endpoint& endpoint_;

  LiveCounters live_;
  WorkerStats stats_;
  std::atomic<int> init_error_{0};

  // Connections: slots index conns_; subscribers_ and publishers_ own them.
  std::vector<std::unique_ptr<Subscriber>> subscribers_;
  std::vector<std::unique_ptr<Publisher>> publishers_;
  std::vector<BenchConn*> conns_;
  std::vector<uint32_t> rearm_;  // slots whose multishot recv ended
  std::vector<BenchConn*> finishing_;

  // Ring and buffers last: destroyed first (TearDown resets them explicitly).
  std::unique_ptr<runtime::Ring> ring_;
  std::unique_ptr<runtime::BufferRing> buffers_;

  PusherMessageParser parser_;
  SocketIoArgsParser sio_parser_;
  std::string scratch_;
  std::string event_name_;
  std::string ws_target_;
  std::vector<uint64_t> subscribers_per_channel_;  // copy of RunControl::subscribers
  uint64_t rng_;
  uint64_t now_ns_ = 0;
  uint64_t connect_start_ns_ = 0;
  uint64_t measure_start_ = UINT64_MAX;
  uint64_t end_ = 0;
  uint32_t next_connect_ = 0;   // index into subscribers_
  uint32_t connects_done_ = 0;  // subscribers started
  uint32_t connect_concurrency_ = 1;
  double connect_rate_ = 0;  // per second, this thread
  Phase phase_ = Phase::kConnect;
  bool settled_ = false;
  bool publishing_ = false;
  bool tearing_down_ = false;
  // --count-server-writes samples: 0 none yet, 1 window start taken, 2 both taken.
  uint8_t segment_samples_ = 0;
  uint64_t segments_at_start_ = 0;
  uint64_t received_at_start_ = 0;
};

}  // namespace ringcast::bench
