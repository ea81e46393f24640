// BenchOptions: every setting of ringcast-bench, its default, and how the command line sets it.
//
// Owns: the option table (name, argument, help text, parser) that both ParseOptions and
// HelpText are generated from, so --help documents exactly what is accepted.
// Parsed once on the main thread before any worker starts; read-only afterwards, so every
// thread may read it without locks. Bad values are reported as text, never by aborting.
// Syntax: "--name value" or "--name=value"; durations take s/ms/us suffixes (default seconds);
// rates take "max" (0) for "as fast as the server takes them".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ringcast::bench {

enum class Distribution { kUniform, kHot, kZipf };
enum class PublishMode { kRest, kClientEvents };
// kDialogue: Socket.IO like kSocketIo, speaking Dialogue's events (dialogue:join, dialogue:event).
enum class WireProtocol { kPusher, kSocketIo, kSse, kDialogue };
inline bool IsSocketIo(WireProtocol p) {
  return p == WireProtocol::kSocketIo || p == WireProtocol::kDialogue;
}

struct BenchOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 6001;
  // Several nodes of one cluster (docs/cluster.md): publishers go to publish_port (0: --port),
  // subscriber i to subscribe_ports[i % size] (empty: --port).
  uint16_t publish_port = 0;
  std::vector<uint16_t> subscribe_ports;
  std::string app_id = "app-id";
  std::string app_key = "app-key";
  std::string app_secret = "app-secret";

  uint32_t connections = 100;  // subscribing connections (WebSocket or SSE)
  uint32_t channels = 1;
  Distribution distribution = Distribution::kUniform;
  double hot_fraction = 0.5;  // hot[:F]: share of the connections on channel 0
  double zipf_s = 1.0;        // zipf[:S]: exponent
  std::string channel_prefix = "bench";
  std::string event_name = "bench";

  uint32_t publishers = 1;
  double rate = 100;  // events per second over all publishers; 0 = as fast as possible
  uint32_t payload_bytes = 64;
  PublishMode mode = PublishMode::kRest;
  uint32_t batch = 1;      // events per publish request (REST: batch_events) or per write
  uint32_t pipeline = 1;   // REST requests in flight per publisher connection (HTTP pipelining)
  bool batch_due = false;  // fixed rate: send what is due (up to batch), not only full batches

  double duration_s = 10;
  double warmup_s = 1;
  double drain_s = 5;             // wait after the last publish for outstanding deliveries
  double connect_timeout_s = 30;  // the whole connect phase, and one connection's handshake

  uint32_t threads = 1;
  uint32_t source_ips = 1;  // 1: let the kernel choose; N>1: bind to base..base+N-1
  std::string source_ip_base = "127.0.0.1";
  double connect_rate = 10000;  // new connections per second over all threads; 0 = unlimited
  uint32_t connect_concurrency = 1000;  // connections in handshake at once, over all threads
  // Subscribers' sockets as io_uring direct descriptors (each thread's own registered table,
  // created with IORING_OP_SOCKET): outside the process's file table, so one process may hold
  // more connections than RLIMIT_NOFILE. Publishers keep regular sockets.
  bool direct_descriptors = false;
  uint32_t read_buffers = 1024;  // provided read buffers per thread (power of two)
  uint32_t read_buffer_bytes = 16384;

  WireProtocol protocol = WireProtocol::kPusher;  // what subscribers speak
  uint32_t server_pid = 0;  // 0: do not measure the server's CPU and memory; else the first of
  std::vector<uint32_t> server_pids;  // all measured processes (a cluster's nodes), summed
  bool count_server_writes = false;  // TCP_INFO segment counts of the subscribers' sockets
  bool connect_only = false;         // connect, subscribe, hold --duration idle; no publishing

  std::string json_path;
  bool quiet = false;
  bool allow_loss = false;
  bool tls = false;    // wss:// and https:// (--tls)
  std::string tls_ca;  // PEM CA file the server's certificate is verified against ("": none)
  uint64_t seed = 1;
};

enum class ParseOutcome { kRun, kExitOk, kExitError };

// Fills `out` from argv. --help prints HelpText() to stdout and returns kExitOk; a bad or
// unknown option writes one line to `error` and returns kExitError.
ParseOutcome ParseOptions(int argc, const char* const* argv, BenchOptions* out, std::string* error);

std::string HelpText();

const char* DistributionName(Distribution d);
const char* ModeName(PublishMode m);
const char* ProtocolName(WireProtocol p);

// Publishers that take part: none with --connect-only.
inline uint32_t ActivePublishers(const BenchOptions& o) {
  return o.connect_only ? 0 : o.publishers;
}

}  // namespace ringcast::bench
