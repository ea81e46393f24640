// BenchOptions implementation: one table of options (name, metavariable, help, setter) from
// which both the parser and --help are generated, the value parsers (integers with bounds,
// numbers, durations with s/ms/us, rates with "max", distributions with a parameter, modes),
// the cross-option checks, and the word-wrapped help text (100 columns).
#include "ringcast-bench/options.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string_view>
#include <vector>

namespace ringcast::bench {
namespace {

using Setter = std::function<std::string(BenchOptions*, std::string_view)>;

struct Option {
  const char* name;  // without "--"
  const char* arg;   // metavariable, nullptr for a bare flag
  const char* help;  // may contain '\n' for continuation lines
  Setter set;
};

std::string ParseU64(std::string_view text, uint64_t min, uint64_t max, uint64_t* out) {
  uint64_t v = 0;
  auto res = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || res.ec != std::errc() || res.ptr != text.data() + text.size()) {
    return "not a non-negative integer: '" + std::string(text) + "'";
  }
  if (v < min || v > max) {
    return "value " + std::string(text) + " is outside " + std::to_string(min) + ".." +
           std::to_string(max);
  }
  *out = v;
  return "";
}

std::string ParseDouble(std::string_view text, double* out) {
  std::string s(text);
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v) || v < 0) {
    return "not a non-negative number: '" + s + "'";
  }
  *out = v;
  return "";
}

// "10", "10s", "500ms", "250us" -> seconds.
std::string ParseDuration(std::string_view text, double* seconds) {
  double scale = 1;
  if (text.size() > 2 && text.substr(text.size() - 2) == "ms") {
    scale = 1e-3;
    text.remove_suffix(2);
  } else if (text.size() > 2 && text.substr(text.size() - 2) == "us") {
    scale = 1e-6;
    text.remove_suffix(2);
  } else if (text.size() > 1 && text.back() == 's') {
    text.remove_suffix(1);
  }
  double v;
  std::string err = ParseDouble(text, &v);
  if (!err.empty()) return "not a duration: '" + std::string(text) + "'";
  *seconds = v * scale;
  return "";
}

template <typename T>
Setter UintField(T BenchOptions::*field, uint64_t min, uint64_t max) {
  return [field, min, max](BenchOptions* o, std::string_view v) {
    uint64_t n;
    std::string err = ParseU64(v, min, max, &n);
    if (err.empty()) o->*field = static_cast<T>(n);
    return err;
  };
}

Setter DurationField(double BenchOptions::*field) {
  return [field](BenchOptions* o, std::string_view v) { return ParseDuration(v, &(o->*field)); };
}

Setter RateField(double BenchOptions::*field) {
  return [field](BenchOptions* o, std::string_view v) {
    if (v == "max") {
      o->*field = 0;
      return std::string();
    }
    return ParseDouble(v, &(o->*field));
  };
}

Setter StringField(std::string BenchOptions::*field) {
  return [field](BenchOptions* o, std::string_view v) {
    o->*field = std::string(v);
    return std::string();
  };
}

Setter FlagField(bool BenchOptions::*field) {
  return [field](BenchOptions* o, std::string_view) {
    o->*field = true;
    return std::string();
  };
}

std::string SetDistribution(BenchOptions* o, std::string_view v) {
  std::string_view name = v.substr(0, v.find(':'));
  std::string_view param = v.size() > name.size() ? v.substr(name.size() + 1) : std::string_view();
  if (name == "uniform" && param.empty()) {
    o->distribution = Distribution::kUniform;
    return "";
  }
  if (name == "hot") {
    o->distribution = Distribution::kHot;
    if (param.empty()) return "";
    std::string err = ParseDouble(param, &o->hot_fraction);
    if (err.empty() && o->hot_fraction > 1) err = "hot fraction must be in 0..1";
    return err;
  }
  if (name == "zipf") {
    o->distribution = Distribution::kZipf;
    if (param.empty()) return "";
    return ParseDouble(param, &o->zipf_s);
  }
  return "unknown distribution '" + std::string(v) + "' (uniform, hot[:F], zipf[:S])";
}

std::string SetMode(BenchOptions* o, std::string_view v) {
  if (v == "rest") {
    o->mode = PublishMode::kRest;
  } else if (v == "client-events") {
    o->mode = PublishMode::kClientEvents;
  } else {
    return "unknown mode '" + std::string(v) + "' (rest, client-events)";
  }
  return "";
}

std::string SetDescriptors(BenchOptions* o, std::string_view v) {
  if (v == "regular") {
    o->direct_descriptors = false;
  } else if (v == "direct") {
    o->direct_descriptors = true;
  } else {
    return "unknown kind '" + std::string(v) + "' (regular, direct)";
  }
  return "";
}

// "6001,6002": at most 64 numbers, each in min..max.
template <typename T>
std::string ParseList(std::string_view v, uint64_t min, uint64_t max, std::vector<T>* out) {
  std::vector<T> items;
  while (true) {
    std::string_view item = v.substr(0, v.find(','));
    uint64_t n;
    std::string err = ParseU64(item, min, max, &n);
    if (!err.empty()) return err;
    if (items.size() == 64) return "more than 64 items";
    items.push_back(static_cast<T>(n));
    if (item.size() == v.size()) break;
    v.remove_prefix(item.size() + 1);
  }
  *out = std::move(items);
  return "";
}

std::string SetSubscribePorts(BenchOptions* o, std::string_view v) {
  return ParseList(v, 1, 65535, &o->subscribe_ports);
}

std::string SetServerPids(BenchOptions* o, std::string_view v) {
  std::string err = ParseList(v, 1, 4194304, &o->server_pids);
  if (err.empty()) o->server_pid = o->server_pids.front();
  return err;
}

std::string SetProtocol(BenchOptions* o, std::string_view v) {
  if (v == "pusher") {
    o->protocol = WireProtocol::kPusher;
  } else if (v == "socketio") {
    o->protocol = WireProtocol::kSocketIo;
  } else if (v == "sse") {
    o->protocol = WireProtocol::kSse;
  } else if (v == "dialogue") {
    o->protocol = WireProtocol::kDialogue;
  } else {
    return "unknown protocol '" + std::string(v) + "' (pusher, socketio, dialogue, sse)";
  }
  return "";
}

const std::vector<Option>& Options() {
  static const std::vector<Option> options = {
      {"host", "ADDR", "server address or name, IPv4 (default 127.0.0.1)",
       StringField(&BenchOptions::host)},
      {"port", "N", "server port for WebSocket and HTTP API (default 6001)",
       UintField(&BenchOptions::port, 1, 65535)},
      {"publish-port", "N",
       "publishers (REST or client events) connect to this port of --host instead of --port:\n"
       "with --subscribe-ports, a cluster's nodes (default --port)",
       UintField(&BenchOptions::publish_port, 1, 65535)},
      {"subscribe-ports", "LIST",
       "comma-separated ports of --host; subscriber i connects to port i mod the list's\n"
       "length (default --port)",
       SetSubscribePorts},
      {"app-id", "ID", "app id for the HTTP API path /apps/ID/... (default app-id)",
       StringField(&BenchOptions::app_id)},
      {"app-key", "KEY", "app key: WebSocket path /app/KEY and auth_key (default app-key)",
       StringField(&BenchOptions::app_key)},
      {"app-secret", "SECRET",
       "app secret: signs API requests and private-channel auth (default app-secret)",
       StringField(&BenchOptions::app_secret)},
      {"connections", "N",
       "subscribing connections (WebSocket, or SSE streams), one channel each\n(default 100)",
       UintField(&BenchOptions::connections, 0, 10000000)},
      {"channels", "C", "channels the connections are spread over (default 1)",
       UintField(&BenchOptions::channels, 1, 1000000)},
      {"distribution", "D",
       "how connections pick channels: uniform (even counts), hot[:F] (share F, default 0.5,\n"
       "on channel 0, the rest uniform), zipf[:S] (rank k gets 1/k^S, default S=1)\n"
       "(default uniform)",
       SetDistribution},
      {"channel-prefix", "P",
       "channel names are P-0..P-(C-1); client-events mode prepends private- (default bench)",
       StringField(&BenchOptions::channel_prefix)},
      {"event", "NAME",
       "event name of published messages (default bench; client- is\n"
       "prepended in client-events mode)",
       StringField(&BenchOptions::event_name)},
      {"publishers", "P",
       "publishers: keep-alive HTTP connections (rest) or WebSocket connections\n"
       "(client-events); each cycles over all channels (default 1)",
       UintField(&BenchOptions::publishers, 1, 100000)},
      {"rate", "R",
       "events per second over all publishers, or max: each publisher sends the next request\n"
       "as soon as the previous one is answered (rest) or written (client-events) (default 100)",
       RateField(&BenchOptions::rate)},
      {"payload-bytes", "B",
       "bytes of event data: a header (publisher, channel, sequence, send time) padded\n"
       "with 'x' (default 64; never shorter than the header)",
       UintField(&BenchOptions::payload_bytes, 0, 1 << 20)},
      {"mode", "M",
       "rest: POST /apps/ID/events (signed); client-events: client-* events over WebSocket\n"
       "on private- channels (default rest)",
       SetMode},
      {"batch", "N",
       "events per request: N>1 uses /batch_events (rest), or N frames per write\n"
       "(client-events) (default 1)",
       UintField(&BenchOptions::batch, 1, 1000)},
      {"batch-due", nullptr,
       "at a fixed rate, a request (or write) carries whatever is due, up to --batch, instead\n"
       "of waiting until --batch events are due",
       FlagField(&BenchOptions::batch_due)},
      {"pipeline", "N",
       "REST requests in flight per publisher connection (HTTP/1.1 pipelining; answers come\n"
       "back in order) (default 1)",
       UintField(&BenchOptions::pipeline, 1, 1024)},
      {"duration", "T", "measured publishing time (default 10s)",
       DurationField(&BenchOptions::duration_s)},
      {"warmup", "T",
       "publishing time before measuring; checked for loss, left out of rates and latency\n"
       "(default 1s)",
       DurationField(&BenchOptions::warmup_s)},
      {"drain", "T",
       "wait at most T after the last publish for outstanding deliveries (default 5s)",
       DurationField(&BenchOptions::drain_s)},
      {"connect-timeout", "T", "limit for the whole connect-and-subscribe phase (default 30s)",
       DurationField(&BenchOptions::connect_timeout_s)},
      {"threads", "N", "threads, each with its own io_uring (default 1)",
       UintField(&BenchOptions::threads, 1, 256)},
      {"source-ips", "N",
       "spread connections over N source addresses starting at --source-ip-base, so that\n"
       "more than ~28k connections (one ephemeral port range) reach one server port\n"
       "(default 1: no bind, the kernel chooses)",
       UintField(&BenchOptions::source_ips, 1, 250)},
      {"source-ip-base", "ADDR", "first source address for --source-ips (default 127.0.0.1)",
       StringField(&BenchOptions::source_ip_base)},
      {"connect-rate", "R", "new connections per second over all threads, or max (default 10000)",
       RateField(&BenchOptions::connect_rate)},
      {"connect-concurrency", "N",
       "connections between connect() and subscription at once, over all threads\n"
       "(default 1000)",
       UintField(&BenchOptions::connect_concurrency, 1, 10000000)},
      {"descriptors", "KIND",
       "regular: subscribers' sockets are file descriptors (at most RLIMIT_NOFILE per\n"
       "process); direct: io_uring direct descriptors, created with IORING_OP_SOCKET into\n"
       "each thread's registered table (at most RLIMIT_NOFILE per thread; Linux 6.11+ with\n"
       "--source-ips, for IORING_OP_BIND) (default regular)",
       SetDescriptors},
      {"read-buffers", "N", "provided read buffers per thread, a power of two (default 1024)",
       UintField(&BenchOptions::read_buffers, 1, 32768)},
      {"read-buffer-bytes", "B", "bytes per read buffer (default 16384)",
       UintField(&BenchOptions::read_buffer_bytes, 256, 1 << 20)},
      {"protocol", "P",
       "what subscribers speak: pusher (Pusher protocol 7), socketio (Socket.IO v5 over\n"
       "Engine.IO v4, WebSocket only, joining a room with an acknowledged \"subscribe\"\n"
       "event; publishing stays REST), dialogue (the same transport speaking Dialogue's\n"
       "events: an acknowledged dialogue:join of the room named like the channel, events\n"
       "read from dialogue:event's envelope; the server must have the rooms; publishing\n"
       "stays REST) or sse (ringcast's Server-Sent Events stream, GET\n"
       "/sse/KEY?channels=CHANNEL, read only; publishers stay Pusher) (default pusher)",
       SetProtocol},
      {"server-pid", "PID",
       "measure the server process PID: CPU time of all its threads (schedstat) in the\n"
       "connect phase and the measured window, CPU per delivery, RSS; a comma-separated list\n"
       "(a cluster's nodes) is measured as their sum (default: off)",
       SetServerPids},
      {"count-server-writes", nullptr,
       "read TCP_INFO data_segs_in of every subscriber socket at the start and end of the\n"
       "window: server segments, hence frames per write (costs ~1 us per socket twice)",
       FlagField(&BenchOptions::count_server_writes)},
      {"connect-only", nullptr,
       "connect and subscribe, hold the connections idle for --duration, report; no\n"
       "publishers (connection storms, idle memory)",
       FlagField(&BenchOptions::connect_only)},
      {"seed", "N", "seed for channel assignment and masks (default 1)",
       UintField(&BenchOptions::seed, 0, UINT64_MAX)},
      {"json", "FILE", "write the summary as JSON to FILE", StringField(&BenchOptions::json_path)},
      {"quiet", nullptr, "no progress line on stderr", FlagField(&BenchOptions::quiet)},
      {"allow-loss", nullptr, "exit 0 even when messages were lost, reordered or duplicated",
       FlagField(&BenchOptions::allow_loss)},
      {"tls", nullptr,
       "speak TLS to the server (wss:// and https://, BoringSSL over memory, on the same\n"
       "io_uring loop); connect latency then includes the handshake",
       FlagField(&BenchOptions::tls)},
      {"tls-ca", "FILE",
       "verify the server's certificate (for --host) against this PEM CA file (default: no\n"
       "verification)",
       StringField(&BenchOptions::tls_ca)},
      {"help", nullptr, "print this help and exit", nullptr},
  };
  return options;
}

std::string CheckOptions(const BenchOptions& o) {
  if ((o.read_buffers & (o.read_buffers - 1)) != 0) return "--read-buffers must be a power of two";
  if (o.duration_s <= 0) return "--duration must be positive";
  if (o.host.empty()) return "--host is empty";
  if (o.direct_descriptors && o.count_server_writes) {
    return "--count-server-writes reads TCP_INFO, which direct descriptors cannot "
           "(--descriptors regular)";
  }
  if (IsSocketIo(o.protocol) && o.mode != PublishMode::kRest) {
    return "--protocol socketio and dialogue publish through REST only (--mode rest)";
  }
  return "";
}

}  // namespace

const char* DistributionName(Distribution d) {
  switch (d) {
    case Distribution::kUniform:
      return "uniform";
    case Distribution::kHot:
      return "hot";
    case Distribution::kZipf:
      return "zipf";
  }
  return "?";
}

const char* ModeName(PublishMode m) { return m == PublishMode::kRest ? "rest" : "client-events"; }

const char* ProtocolName(WireProtocol p) {
  switch (p) {
    case WireProtocol::kPusher:
      return "pusher";
    case WireProtocol::kSocketIo:
      return "socketio";
    case WireProtocol::kSse:
      return "sse";
    case WireProtocol::kDialogue:
      return "dialogue";
  }
  return "?";
}

ParseOutcome ParseOptions(int argc, const char* const* argv, BenchOptions* out,
                          std::string* error) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.substr(0, 2) != "--") {
      *error = "unexpected argument '" + std::string(arg) + "' (see --help)";
      return ParseOutcome::kExitError;
    }
    arg.remove_prefix(2);
    std::string_view name = arg.substr(0, arg.find('='));
    bool inline_value = name.size() < arg.size();
    if (name == "help" || name == "h") {
      std::fputs(HelpText().c_str(), stdout);
      return ParseOutcome::kExitOk;
    }
    const Option* opt = nullptr;
    for (const Option& o : Options()) {
      if (name == o.name) opt = &o;
    }
    if (opt == nullptr || !opt->set) {
      *error = "unknown option --" + std::string(name) + " (see --help)";
      return ParseOutcome::kExitError;
    }
    std::string_view value;
    if (opt->arg == nullptr) {
      if (inline_value) {
        *error = "--" + std::string(name) + " takes no value";
        return ParseOutcome::kExitError;
      }
    } else if (inline_value) {
      value = arg.substr(name.size() + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      *error = "--" + std::string(name) + " needs a value";
      return ParseOutcome::kExitError;
    }
    std::string err = opt->set(out, value);
    if (!err.empty()) {
      *error = "--" + std::string(name) + ": " + err;
      return ParseOutcome::kExitError;
    }
  }
  std::string err = CheckOptions(*out);
  if (!err.empty()) {
    *error = err;
    return ParseOutcome::kExitError;
  }
  return ParseOutcome::kRun;
}

std::string HelpText() {
  std::string s =
      "Usage: ringcast-bench [options]\n"
      "\n"
      "Load generator for Pusher-compatible realtime servers (Pusher Channels protocol 7).\n"
      "Opens --connections WebSocket connections, subscribes each to one of --channels\n"
      "channels, publishes events carrying a publisher id, sequence number and send time,\n"
      "and reports deliveries per second, lost / out-of-order / duplicate messages,\n"
      "publish-to-receive latency percentiles (measured from the intended send time at a\n"
      "fixed --rate, so coordinated omission is accounted for), connect rate, handshake\n"
      "latency and errors by kind. Works against any Pusher-compatible server.\n"
      "\n"
      "Options (--name VALUE or --name=VALUE; durations in s, ms or us):\n";
  constexpr size_t kIndent = 26;
  constexpr size_t kWidth = 100;
  for (const Option& o : Options()) {
    std::string left = "  --" + std::string(o.name);
    if (o.arg != nullptr) left += " " + std::string(o.arg);
    if (left.size() < kIndent) {
      left.resize(kIndent, ' ');
    } else {
      left += "\n" + std::string(kIndent, ' ');
    }
    // Word-wrap the help text (its '\n' are plain spaces here) to kWidth columns.
    std::string line;
    std::string_view help = o.help;
    while (!help.empty()) {
      size_t end = help.find_first_of(" \n");
      std::string_view word = help.substr(0, end);
      help = end == std::string_view::npos ? std::string_view() : help.substr(end + 1);
      if (word.empty()) continue;
      if (!line.empty() && kIndent + line.size() + 1 + word.size() > kWidth) {
        left += line + "\n" + std::string(kIndent, ' ');
        line.clear();
      }
      if (!line.empty()) line.push_back(' ');
      line.append(word);
    }
    s += left + line + "\n";
  }
  s += "\n"
       "Exit status: 0 ok; 1 messages were lost, reordered or duplicated (unless --allow-loss);\n"
       "2 bad options; 3 the run could not be set up (connections or subscriptions failed,\n"
       "or no publish was accepted).\n"
       "Example (10 s fan-out of 100 events/s to 1000 subscribers of one channel):\n"
       "  ringcast-bench --connections 1000 --channels 1 --rate 100 --duration 10\n"
       "Full reference: docs/ringcast-bench.md\n";
  return s;
}

}  // namespace ringcast::bench
