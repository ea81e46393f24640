// An in-process server::Server with two shards on 127.0.0.1 and the dev app, driven by raw
// clients: WebSocket subscribers (the RFC 6455 handshake, masked frames from ws/frame_encoder)
// spread over both shards (the socket id "<salt*1000+shard>.<serial>" tells which), a REST
// publisher signing its requests with auth::SignedQuery from its own thread, and a client
// sending client events on a private channel. Every subscriber must receive every message meant
// for it exactly once and in order, the excluded socket none of its exclusions; on Shutdown
// every client gets close code 4200 and Wait returns.
// Paths crossed: shard -> control (REST requests, occupancy notes, client events), control ->
// shard (replies, publications to each shard with members, shutdown), wakers both ways; run it
// under TSan (build-tsan) to check them.
#include "server/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/tcp.h>  // struct tcp_info with tcpi_data_segs_in (glibc's lacks it)
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "auth/channel_auth.h"
#include "auth/request_signature.h"
#include "config/config.h"
#include "protocols/pusher/wire.h"
#include "util/clock.h"
#include "util/json_writer.h"
#include "ws/frame_encoder.h"

namespace ringcast::server {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

int ConnectTo(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd, 0);
  timeval tv{15, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << strerror(errno);
  return fd;
}

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Buffered reads with the socket's timeout; false on EOF, error or timeout.
class Reader {
 public:
  explicit Reader(int fd) : fd_(fd) {}
  bool Fill(size_t n) {
    while (buf_.size() < n) {
      char tmp[16384];
      ssize_t got = recv(fd_, tmp, sizeof tmp, 0);
      if (got <= 0) return false;
      buf_.append(tmp, static_cast<size_t>(got));
    }
    return true;
  }
  bool Take(size_t n, std::string* out) {
    if (!Fill(n)) return false;
    *out = buf_.substr(0, n);
    buf_.erase(0, n);
    return true;
  }
  // Reads up to and including `delim`.
  bool Until(std::string_view delim, std::string* out) {
    while (true) {
      size_t pos = buf_.find(delim);
      if (pos != std::string::npos) {
        *out = buf_.substr(0, pos + delim.size());
        buf_.erase(0, pos + delim.size());
        return true;
      }
      if (!Fill(buf_.size() + 1)) return false;
    }
  }
  bool AtEof() {
    char c;
    return buf_.empty() && recv(fd_, &c, 1, 0) == 0;
  }

 private:
  int fd_;
  std::string buf_;
};

struct Frame {
  int opcode = -1;
  std::string payload;
};

// A Pusher client over a raw WebSocket.
class WsClient {
 public:
  explicit WsClient(uint16_t port) : fd_(ConnectTo(port)), reader_(fd_) {}
  ~WsClient() {
    if (fd_ >= 0) close(fd_);
  }

  // Handshake and pusher:connection_established; returns false on any surprise.
  bool Open() {
    std::string req =
        "GET /app/app-key?protocol=7&client=js&version=8.4.0 HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    if (!WriteAll(fd_, req)) return false;
    std::string head;
    if (!reader_.Until("\r\n\r\n", &head)) return false;
    EXPECT_THAT(head, StartsWith("HTTP/1.1 101 "));
    EXPECT_THAT(head, HasSubstr("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    Frame f;
    if (!ReadFrame(&f) || f.opcode != 1) return false;
    // {"event":"pusher:connection_established","data":"{\"socket_id\":\"123.4\",...}"}
    std::string_view p = f.payload;
    EXPECT_THAT(f.payload, StartsWith(R"({"event":"pusher:connection_established","data":)"));
    size_t at = p.find(R"(socket_id\":\")");
    if (at == std::string_view::npos) return false;
    at += std::string_view(R"(socket_id\":\")").size();
    size_t end = p.find('\\', at);
    socket_id_ = std::string(p.substr(at, end - at));
    size_t dot = socket_id_.find('.');
    shard_ = static_cast<uint32_t>(std::stoull(socket_id_.substr(0, dot)) % 1000);
    return true;
  }

  void SendText(std::string_view text) {
    std::string frame;
    ws::AppendMaskedFrame(&frame, ws::Opcode::kText, text, 0x37fa213d ^ ++mask_);
    EXPECT_TRUE(WriteAll(fd_, frame));
  }

  // Subscribes and waits for the confirmation.
  bool Subscribe(const std::string& channel, const std::string& auth = "") {
    std::string data;
    util::JsonObject(&data).Str("auth", auth).Str("channel", channel).Close();
    std::string msg = R"({"event":"pusher:subscribe","data":)" + data + "}";
    SendText(msg);
    Frame f;
    if (!ReadFrame(&f)) return false;
    std::string want = R"({"event":"pusher_internal:subscription_succeeded","channel":")" +
                       channel + R"(","data":"{}"})";
    EXPECT_EQ(f.payload, want);
    return f.payload == want;
  }

  bool ReadFrame(Frame* f) {
    std::string h;
    if (!reader_.Take(2, &h)) return false;
    uint8_t b0 = static_cast<uint8_t>(h[0]);
    uint8_t b1 = static_cast<uint8_t>(h[1]);
    EXPECT_EQ(b0 & 0x80, 0x80) << "server frames are never fragmented here";
    EXPECT_EQ(b1 & 0x80, 0) << "server frames are unmasked";
    uint64_t len = b1 & 0x7f;
    if (len >= 126) {
      std::string ext;
      if (!reader_.Take(len == 126 ? 2 : 8, &ext)) return false;
      len = 0;
      for (char c : ext) len = (len << 8) | static_cast<uint8_t>(c);
    }
    f->opcode = b0 & 0x0f;
    return reader_.Take(len, &f->payload);
  }

  // After the server's close frame: answer it and wait for the TCP close.
  bool FinishClose(uint16_t code) {
    std::string frame;
    std::string payload = {static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
    ws::AppendMaskedFrame(&frame, ws::Opcode::kClose, payload, 0x01020304);
    WriteAll(fd_, frame);  // the server may already have closed
    return reader_.AtEof();
  }

  const std::string& socket_id() const { return socket_id_; }
  uint32_t shard() const { return shard_; }
  int fd() const { return fd_; }

 private:
  int fd_;
  Reader reader_;
  std::string socket_id_;
  uint32_t shard_ = 0;
  uint32_t mask_ = 0;
};

// Posts signed REST requests over one keep-alive connection.
class RestClient {
 public:
  explicit RestClient(uint16_t port) : fd_(ConnectTo(port)), reader_(fd_) {}
  ~RestClient() { close(fd_); }

  // Returns the status; *body gets the response body.
  int Post(const std::string& path, const std::string& body, std::string* response_body) {
    std::string query = auth::SignedQuery("POST", path, {}, body, config::kDevAppKey,
                                          config::kDevAppSecret, util::WallSeconds());
    return Send("POST " + path + "?" + query +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    "Content-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body,
                response_body);
  }
  // A Datonow REST call (X-Datonow-App-Id/-Token: the dev app and its secret).
  int PostDatonow(const std::string& path, const std::string& body, std::string* response_body) {
    return Send(
        "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Datonow-App-Id: " + config::kDevAppId +
            "\r\nX-Datonow-Token: " + config::kDevAppSecret +
            "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\n\r\n" + body,
        response_body);
  }

 private:
  int Send(const std::string& req, std::string* response_body) {
    if (!WriteAll(fd_, req)) return -1;
    std::string head;
    if (!reader_.Until("\r\n\r\n", &head)) return -1;
    size_t cl = head.find("Content-Length: ");
    if (cl == std::string::npos) return -1;
    size_t len = std::stoul(head.substr(cl + 16));
    if (!reader_.Take(len, response_body)) return -1;
    return std::stoi(head.substr(9, 3));
  }

  int fd_;
  Reader reader_;
};

std::string EventJson(const std::string& event, const std::string& channel,
                      const std::string& data) {
  std::string out;
  protocols::pusher::wire::AppendEvent(&out, event, channel, data);
  return out;
}

// The dev app on 127.0.0.1, an ephemeral port, `shards` shards, a private data directory.
config::ServerConfig TestConfig(uint32_t shards, const std::string& tag, uint32_t grace_ms) {
  config::ServerConfig cfg;
  cfg.host = "127.0.0.1";
  cfg.host_set = true;
  cfg.port = 0;
  cfg.shards = shards;
  cfg.data_dir = ::testing::TempDir() + "ringcast_server_test_" + tag + std::to_string(getpid());
  cfg.limits.shutdown_grace_ms = grace_ms;
  EXPECT_EQ(config::Finalize(&cfg), "");
  return cfg;
}

TEST(Server, EveryMessageReachesEverySubscriberOnBothShardsOnceInOrder) {
  config::ServerConfig cfg = TestConfig(2, "", 300);
  ASSERT_TRUE(cfg.dev_app);

  Server server(cfg);
  ASSERT_EQ(server.Start(), 0);
  const uint16_t port = server.port();
  ASSERT_NE(port, 0);

  // Connect until both shards hold at least three subscribers (SO_REUSEPORT spreads them).
  std::vector<std::unique_ptr<WsClient>> clients;
  int per_shard[2] = {0, 0};
  while ((per_shard[0] < 3 || per_shard[1] < 3) && clients.size() < 48) {
    auto c = std::make_unique<WsClient>(port);
    ASSERT_TRUE(c->Open());
    ASSERT_LT(c->shard(), 2u) << c->socket_id();
    ++per_shard[c->shard()];
    clients.push_back(std::move(c));
  }
  ASSERT_GE(per_shard[0], 3) << "the kernel put every connection on shard 1";
  ASSERT_GE(per_shard[1], 3) << "the kernel put every connection on shard 0";
  const size_t n = clients.size();

  // Every client: "fan" and the private "private-chat"; even ones also "half".
  for (size_t i = 0; i < n; ++i) {
    WsClient& c = *clients[i];
    ASSERT_TRUE(c.Subscribe("fan"));
    if (i % 2 == 0) {
      ASSERT_TRUE(c.Subscribe("half"));
    }
    std::string auth = std::string(config::kDevAppKey) + ":" +
                       auth::ChannelSignature(config::kDevAppSecret, c.socket_id(), "private-chat");
    ASSERT_TRUE(c.Subscribe("private-chat", auth));
  }

  // What each channel will carry, in order. Client 0 is excluded from some REST events (by its
  // socket id) and never receives its own client events.
  struct Expected {
    std::string json;
    bool excludes_client0;
  };
  std::map<std::string, std::vector<Expected>> expected;
  std::vector<std::string> bodies;  // REST requests, in order
  std::vector<std::string> paths;
  constexpr int kRest = 60;
  for (int i = 0; i < kRest; ++i) {
    std::string d = "r" + std::to_string(i);
    if (i % 3 == 0) {
      paths.push_back("/apps/app-id/events");
      bodies.push_back(R"({"name":"seq","channels":["fan","half"],"data":")" + d + "\"}");
      expected["fan"].push_back({EventJson("seq", "fan", d), false});
      expected["half"].push_back({EventJson("seq", "half", d), false});
    } else if (i % 3 == 1) {
      std::string b = R"({"batch":[)";
      for (int j = 0; j < 10; ++j) {
        std::string ch = j % 2 ? "half" : "fan";
        std::string dj = d + "." + std::to_string(j);
        b += (j ? "," : "") + std::string(R"({"name":"seq","channel":")") + ch + R"(","data":")" +
             dj + "\"}";
        expected[ch].push_back({EventJson("seq", ch, dj), false});
      }
      paths.push_back("/apps/app-id/batch_events");
      bodies.push_back(b + "]}");
    } else {
      paths.push_back("/apps/app-id/events");
      bodies.push_back(R"({"name":"seq","channel":"fan","data":")" + d + R"(","socket_id":")" +
                       clients[0]->socket_id() + "\"}");
      expected["fan"].push_back({EventJson("seq", "fan", d), true});
    }
  }
  constexpr int kClientEvents = 5;
  for (int i = 0; i < kClientEvents; ++i) {
    expected["private-chat"].push_back(
        {R"({"event":"client-hi","channel":"private-chat","data":"{\"n\":)" + std::to_string(i) +
             "}\"}",
         true});
  }

  // Readers: each client collects messages until it has all of its share.
  std::vector<std::map<std::string, std::vector<std::string>>> got(n);
  std::vector<size_t> want(n, 0);
  for (size_t i = 0; i < n; ++i) {
    for (const auto& [ch, list] : expected) {
      if (ch == "half" && i % 2 != 0) continue;
      for (const Expected& e : list) want[i] += (i == 0 && e.excludes_client0) ? 0 : 1;
    }
  }
  std::vector<std::thread> readers;
  std::atomic<int> reader_failures{0};
  for (size_t i = 0; i < n; ++i) {
    readers.emplace_back([&, i] {
      size_t count = 0;
      while (count < want[i]) {
        Frame f;
        if (!clients[i]->ReadFrame(&f) || f.opcode != 1) {
          ++reader_failures;
          return;
        }
        // {"event":...,"channel":"<ch>",...}
        size_t at = f.payload.find(R"("channel":")");
        size_t end = f.payload.find('"', at + 11);
        got[i][f.payload.substr(at + 11, end - at - 11)].push_back(f.payload);
        ++count;
      }
    });
  }

  // The REST publisher, on its own thread, waiting for each answer before the next request.
  std::atomic<int> rest_failures{0};
  std::thread publisher([&] {
    RestClient rest(port);
    for (size_t i = 0; i < bodies.size(); ++i) {
      std::string body;
      int status = rest.Post(paths[i], bodies[i], &body);
      if (status != 200 || body != "{}") {
        ADD_FAILURE() << "request " << i << ": " << status << " " << body;
        ++rest_failures;
      }
    }
  });
  // Client events from client 0, relayed through the control plane to both shards.
  for (int i = 0; i < kClientEvents; ++i) {
    clients[0]->SendText(R"({"event":"client-hi","channel":"private-chat","data":{"n":)" +
                         std::to_string(i) + "}}");
  }
  publisher.join();
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(rest_failures.load(), 0);
  EXPECT_EQ(reader_failures.load(), 0);

  for (size_t i = 0; i < n; ++i) {
    SCOPED_TRACE("client " + std::to_string(i) + " on shard " +
                 std::to_string(clients[i]->shard()));
    for (const auto& [ch, list] : expected) {
      std::vector<std::string> want_ch;
      if (ch == "half" && i % 2 != 0) {
        EXPECT_EQ(got[i].count(ch), 0u);
        continue;
      }
      for (const Expected& e : list) {
        if (!(i == 0 && e.excludes_client0)) want_ch.push_back(e.json);
      }
      EXPECT_EQ(got[i][ch], want_ch) << ch;
    }
  }

  // The queue counters are readable from this thread; nothing was refused or dropped.
  QueueStats qs = server.queue_stats();
  ASSERT_EQ(qs.shards.size(), 2u);
  for (const OutboxStats& o : qs.shards) {
    EXPECT_EQ(o.requests_refused, 0u);
    EXPECT_EQ(o.client_events_dropped, 0u);
    EXPECT_EQ(o.subscribes_refused, 0u);
  }
  EXPECT_EQ(qs.control.paused_turns, 0u);

  // Shutdown: every client is told 4200 ("reconnect"), and the server stops.
  server.Shutdown();
  for (size_t i = 0; i < n; ++i) {
    Frame f;
    ASSERT_TRUE(clients[i]->ReadFrame(&f)) << "client " << i;
    EXPECT_EQ(f.opcode, 8) << "client " << i;
    ASSERT_GE(f.payload.size(), 2u);
    int code = (static_cast<uint8_t>(f.payload[0]) << 8) | static_cast<uint8_t>(f.payload[1]);
    EXPECT_EQ(code, 4200) << "client " << i;
    EXPECT_EQ(f.payload.substr(2), "Server is restarting, reconnect");
    EXPECT_TRUE(clients[i]->FinishClose(4200)) << "client " << i;
  }
  auto start = std::chrono::steady_clock::now();
  server.Wait();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  rmdir(cfg.data_dir.c_str());
}

// One HTTP request on a connection of its own ("Connection: close"): the status and the body.
int HttpOnce(uint16_t port, const std::string& method, const std::string& target,
             const std::string& body, std::string* response_body) {
  int fd = ConnectTo(port);
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  int status = -1;
  if (WriteAll(fd, req)) {
    std::string all;
    char tmp[16384];
    ssize_t got;
    while ((got = recv(fd, tmp, sizeof tmp, 0)) > 0) all.append(tmp, static_cast<size_t>(got));
    size_t end = all.find("\r\n\r\n");
    if (all.starts_with("HTTP/1.1 ") && end != std::string::npos) {
      status = std::stoi(all.substr(9, 3));
      *response_body = all.substr(end + 4);
    }
  }
  close(fd);
  return status;
}

TEST(Server, SocketIoPollingSessionsAreServedWhicheverShardReadsTheirRequests) {
  // Engine.IO long-polling sessions live on the shard of their handshake; every later request
  // (each on a new connection here, so read by either shard) goes there through the control
  // plane and back (ToShard::kEioCall, ToControl::kEioDone). Joins of a bounded room ask the
  // control plane for a slot (kRoomSlot): of six sessions joining a room of three, exactly three
  // get in. The room keeps history: a join's sync and getHistory travel as kRoomHistory, and
  // each trigger waits for the store's commit before it is delivered (held publications).
  config::ServerConfig cfg;
  cfg.host = "127.0.0.1";
  cfg.host_set = true;
  cfg.port = 0;
  cfg.shards = 2;
  cfg.data_dir = ::testing::TempDir() + "ringcast_server_test_sio_" + std::to_string(getpid());
  cfg.limits.shutdown_grace_ms = 100;
  cfg.dialogue.enabled = true;
  config::DialogueRoomConfig room;
  room.id = "room";
  room.name = "Room";
  room.max_size = 3;
  room.default_subscriptions = {"*"};
  room.sync_history_on_join = config::DialogueRoomConfig::kAll;
  room.events.push_back(config::DialogueEventConfig{.name = "*", .history = true});
  cfg.dialogue.rooms.push_back(room);
  ASSERT_EQ(config::Finalize(&cfg), "");
  Server server(cfg);
  ASSERT_EQ(server.Start(), 0);
  const uint16_t port = server.port();

  constexpr int kSessions = 6;
  std::atomic<int> joined{0};
  std::atomic<int> full{0};
  std::atomic<int> failures{0};
  std::atomic<int> answered{0};
  std::atomic<int> histories{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kSessions; ++t) {
    threads.emplace_back([&] {
      std::string body;
      if (HttpOnce(port, "GET", "/socket.io/?EIO=4&transport=polling", "", &body) != 200 ||
          !body.starts_with("0{\"sid\":\"")) {
        ++failures;
        ++answered;
        return;
      }
      std::string sid = body.substr(9, body.find('"', 9) - 9);
      std::string target = "/socket.io/?EIO=4&transport=polling&sid=" + sid;
      if (HttpOnce(port, "POST", target,
                   "40{}\x1e"
                   R"(42["dialogue:join",{"roomId":"room"}])",
                   &body) != 200 ||
          body != "ok") {
        ++failures;
        ++answered;
        return;
      }
      std::string seen;
      for (int polls = 0; polls < 20; ++polls) {
        if (HttpOnce(port, "GET", target, "", &body) != 200) break;
        seen += body;
        if (seen.find("dialogue:joined") != std::string::npos) {
          ++joined;
          // A trigger (kept), then its page of history.
          if (HttpOnce(port, "POST", target,
                       R"(42["dialogue:trigger",{"roomId":"room","event":"e","data":1}])"
                       "\x1e"
                       R"(42["dialogue:getHistory",{"roomId":"room","eventName":"e"}])",
                       &body) != 200) {
            break;
          }
          for (int more = 0; more < 20; ++more) {
            if (HttpOnce(port, "GET", target, "", &body) != 200) break;
            seen += body;
            if (seen.find("dialogue:historyResponse") != std::string::npos) {
              ++histories;
              break;
            }
          }
          break;
        }
        if (seen.find("ROOM_FULL") != std::string::npos) {
          ++full;
          break;
        }
      }
      // Every session holds its place until all have their answer (a closed session gives its
      // slot back), then the client closes it.
      ++answered;
      for (int i = 0; i < 1000 && answered.load() < kSessions; ++i) usleep(10000);
      (void)HttpOnce(port, "POST", target, "1", &body);
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(joined.load(), 3);
  EXPECT_EQ(full.load(), kSessions - 3);
  EXPECT_EQ(histories.load(), 3);
  server.Shutdown();
  server.Wait();
  rmdir(cfg.data_dir.c_str());
}

TEST(Server, RestRequestsOnManyConnectionsAreAnsweredInOrder) {
  // Many keep-alive REST clients at once, on both shards: every reply comes back to the
  // connection that asked, after its own request (the HttpCall round trip through the
  // control plane and back), and unsigned requests are refused without disturbing the others.
  config::ServerConfig cfg = TestConfig(2, "rest_", 100);
  Server server(cfg);
  ASSERT_EQ(server.Start(), 0);
  const uint16_t port = server.port();

  constexpr int kThreads = 6;
  constexpr int kRequests = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      RestClient rest(port);
      for (int i = 0; i < kRequests; ++i) {
        std::string body;
        if (i % 5 == 4) {
          // A malformed batch: the error names this thread and request, proving the answer
          // is for this request.
          std::string bad = R"({"batch":[{"name":"e","channel":"bad name )" + std::to_string(t) +
                            "-" + std::to_string(i) + R"(","data":"d"}]})";
          int status = rest.Post("/apps/app-id/batch_events", bad, &body);
          if (status != 400 || body.find("bad name " + std::to_string(t) + "-" +
                                         std::to_string(i)) == std::string::npos) {
            ++failures;
          }
          continue;
        }
        int status = rest.Post("/apps/app-id/events",
                               R"({"name":"e","channel":"nobody-listens","data":"d"})", &body);
        if (status != 200 || body != "{}") ++failures;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  server.Shutdown();
  server.Wait();
  rmdir(cfg.data_dir.c_str());
}

// TCP segments this socket has received (on loopback one per server write of up to 64 KiB).
uint32_t SegmentsIn(int fd) {
  struct tcp_info info{};
  socklen_t len = sizeof info;
  EXPECT_EQ(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len), 0);
  return info.tcpi_data_segs_in;
}

TEST(Server, PipelinedPublishesOfOneConnectionAreWrittenToASubscriberTogether) {
  // One REST connection writes 16 signed publishes at once (HTTP/1.1 pipelining). They go to
  // the control plane together, reach the shard as one batch and leave for the subscriber in
  // one write or a few; one request in flight at a time (max_pipelined_requests 1) made 11
  // here. Answers come
  // back in order, the frames in publish order.
  config::ServerConfig cfg = TestConfig(1, "pipe_", 100);
  Server server(cfg);
  ASSERT_EQ(server.Start(), 0);
  const uint16_t port = server.port();

  WsClient sub(port);
  ASSERT_TRUE(sub.Open());
  ASSERT_TRUE(sub.Subscribe("pipelined"));
  constexpr int kPublishes = 16;
  std::string requests;
  for (int i = 0; i < kPublishes; ++i) {
    std::string body =
        R"({"name":"e","channel":"pipelined","data":")" + std::to_string(i) + R"("})";
    std::string path = "/apps/app-id/events";
    std::string query = auth::SignedQuery("POST", path, {}, body, config::kDevAppKey,
                                          config::kDevAppSecret, util::WallSeconds());
    requests += "POST " + path + "?" + query +
                " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                "Content-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  uint32_t segments_before = SegmentsIn(sub.fd());
  int rest = ConnectTo(port);
  ASSERT_TRUE(WriteAll(rest, requests));
  Reader answers(rest);
  for (int i = 0; i < kPublishes; ++i) {
    std::string head;
    ASSERT_TRUE(answers.Until("\r\n\r\n", &head));
    EXPECT_THAT(head, StartsWith("HTTP/1.1 200 "));
    std::string body;
    ASSERT_TRUE(answers.Take(2, &body));
    EXPECT_EQ(body, "{}");
  }
  for (int i = 0; i < kPublishes; ++i) {
    Frame f;
    ASSERT_TRUE(sub.ReadFrame(&f));
    EXPECT_EQ(f.payload, EventJson("e", "pipelined", std::to_string(i)));
  }
  uint32_t writes = SegmentsIn(sub.fd()) - segments_before;
  EXPECT_GE(writes, 1u);
  EXPECT_LE(writes, 4u) << "the pipelined publishes were not written together";
  close(rest);
  server.Shutdown();
  server.Wait();
  rmdir(cfg.data_dir.c_str());
}

// One signed keep-alive publish request of `data` to `channel`.
std::string PublishRequest(const std::string& channel, const std::string& data) {
  std::string body = R"({"name":"e","channel":")" + channel + R"(","data":")" + data + R"("})";
  std::string path = "/apps/app-id/events";
  std::string query = auth::SignedQuery("POST", path, {}, body, config::kDevAppKey,
                                        config::kDevAppSecret, util::WallSeconds());
  return "POST " + path + "?" + query +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Reads `n` answers "200 {}" in order.
void ExpectOkAnswers(Reader* answers, int n) {
  for (int i = 0; i < n; ++i) {
    std::string head;
    ASSERT_TRUE(answers->Until("\r\n\r\n", &head));
    EXPECT_THAT(head, StartsWith("HTTP/1.1 200 "));
    std::string body;
    ASSERT_TRUE(answers->Take(2, &body));
    EXPECT_EQ(body, "{}");
  }
}

TEST(Server, APipelineThatArrivesInTwoReadsIsWrittenToASubscriberInOneWrite) {
  // Adaptive flush (net/io_loop.h, server/shard.h): a publisher pipelines 8 publishes in one
  // write (a round of 8 calls), then its next 8 in two writes 20 ms apart (1, then 7), as a
  // client that writes what it has while its previous write is in flight does. The shard holds
  // the first frame until the rest of the round has come and been published, so the
  // subscriber gets the second round in one write too; flushing every turn made two. A round
  // that never completes still goes out when the hold ends. flush_hold_us is 1 s here so that
  // the 20 ms gap is inside it however busy the machine is (the default is 1 ms).
  config::ServerConfig cfg = TestConfig(1, "hold_", 100);
  cfg.limits.flush_hold_us = 1000000;
  Server server(cfg);
  ASSERT_EQ(server.Start(), 0);
  const uint16_t port = server.port();

  WsClient sub(port);
  ASSERT_TRUE(sub.Open());
  ASSERT_TRUE(sub.Subscribe("held"));
  int rest = ConnectTo(port);
  Reader answers(rest);
  constexpr int kPipeline = 8;
  auto expect_frames = [&](int first, int n) {
    for (int i = first; i < first + n; ++i) {
      Frame f;
      ASSERT_TRUE(sub.ReadFrame(&f));
      EXPECT_EQ(f.payload, EventJson("e", "held", std::to_string(i)));
    }
  };

  // Round 1: the whole pipeline in one write.
  std::string round1;
  for (int i = 0; i < kPipeline; ++i) round1 += PublishRequest("held", std::to_string(i));
  ASSERT_TRUE(WriteAll(rest, round1));
  ExpectOkAnswers(&answers, kPipeline);
  expect_frames(0, kPipeline);

  // Round 2: one request, then the other seven 20 ms later.
  uint32_t segments_before = SegmentsIn(sub.fd());
  ASSERT_TRUE(WriteAll(rest, PublishRequest("held", std::to_string(kPipeline))));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::string rest_of_round;
  for (int i = kPipeline + 1; i < 2 * kPipeline; ++i) {
    rest_of_round += PublishRequest("held", std::to_string(i));
  }
  ASSERT_TRUE(WriteAll(rest, rest_of_round));
  ExpectOkAnswers(&answers, kPipeline);
  expect_frames(kPipeline, kPipeline);
  EXPECT_EQ(SegmentsIn(sub.fd()) - segments_before, 1u)
      << "the round that arrived in two reads was not written to the subscriber together";

  // Round 3: one request and nothing after it: held at most flush_hold_us, then written.
  ASSERT_TRUE(WriteAll(rest, PublishRequest("held", std::to_string(2 * kPipeline))));
  ExpectOkAnswers(&answers, 1);
  expect_frames(2 * kPipeline, 1);

  close(rest);
  server.Shutdown();
  server.Wait();
  rmdir(cfg.data_dir.c_str());
}

// One GET on a fresh connection (Connection: close); returns the status, *body the body.
int HttpGet(uint16_t port, const std::string& path, std::string* body) {
  int fd = ConnectTo(port);
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (!WriteAll(fd, req)) {
    close(fd);
    return -1;
  }
  std::string all;
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    all.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  size_t end = all.find("\r\n\r\n");
  if (all.size() < 12 || end == std::string::npos) return -1;
  *body = all.substr(end + 4);
  return std::stoi(all.substr(9, 3));
}

// The value of the sample line that starts with `series` ("name{labels}" or "name"), or -1.
double SampleValue(const std::string& exposition, const std::string& series) {
  size_t at = exposition.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(exposition.substr(at + series.size() + 2));
}

class FlagCheck : public metrics::ReadinessCheck {
 public:
  std::string_view name() const override { return "test-dependency"; }
  bool Ready() const override { return ok.load(std::memory_order_relaxed); }
  std::atomic<bool> ok{true};
};

TEST(Server, ReadyFollowsReadinessChecksWhileHealthStaysUp) {
  config::ServerConfig cfg = TestConfig(2, "ready_", 100);
  Server server(cfg);
  FlagCheck check;
  server.AddReadinessCheck(&check);
  ASSERT_EQ(server.Start(), 0);
  std::string body;
  EXPECT_EQ(HttpGet(server.port(), "/ready", &body), 200);
  check.ok = false;  // e.g. the cluster's Redis became unreachable
  EXPECT_EQ(HttpGet(server.port(), "/ready", &body), 503);
  EXPECT_EQ(body, "{\"ok\":false}");
  EXPECT_EQ(HttpGet(server.port(), "/health", &body), 200);
  ASSERT_EQ(HttpGet(server.port(), "/metrics", &body), 200);
  EXPECT_EQ(SampleValue(body, "ringcast_ready"), 0);
  check.ok = true;
  EXPECT_EQ(HttpGet(server.port(), "/ready", &body), 200);
  server.Shutdown();
  server.Wait();
  rmdir(cfg.data_dir.c_str());
}

TEST(Server, ScrapesWhileShardsPublishSeeCountersOnlyGrowAndEndExact) {
  // Under TSan this proves the scrape's cross-thread reads (ShardMetrics, queue stats, control
  // plane counters, channel history, the store's figures) are race-free while both shards and
  // the control plane are busy: the dev app keeps history, and a Datonow writer commits to the
  // store meanwhile.
  config::ServerConfig cfg = TestConfig(2, "scrape_", 100);
  Server server(cfg);
  ASSERT_EQ(server.Start(), 0);
  const uint16_t port = server.port();
  constexpr int kPublishers = 3;
  constexpr int kEach = 60;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::thread scraper([&] {
    double last = 0;
    while (!done.load()) {
      std::string body;
      if (HttpGet(port, "/metrics", &body) != 200) ++failures;
      double v = SampleValue(body, "ringcast_messages_published_total");
      if (v < last) ++failures;
      last = v;
    }
  });
  std::vector<std::thread> publishers;
  for (int t = 0; t < kPublishers; ++t) {
    publishers.emplace_back([&] {
      RestClient rest(port);
      for (int i = 0; i < kEach; ++i) {
        std::string body;
        if (rest.Post("/apps/app-id/events", R"({"name":"e","channel":"c","data":"d"})",
                      &body) != 200) {
          ++failures;
        }
      }
    });
  }
  publishers.emplace_back([&] {
    RestClient rest(port);
    for (int i = 0; i < kEach; ++i) {
      std::string body;
      if (rest.PostDatonow("/api/message", R"({"title":"t"})", &body) != 200) ++failures;
    }
  });
  for (std::thread& th : publishers) th.join();
  done = true;
  scraper.join();
  EXPECT_EQ(failures.load(), 0);
  std::string body;
  ASSERT_EQ(HttpGet(port, "/metrics", &body), 200);
  // A broadcast Datonow message is published once as well (to the token sockets), after its
  // commit.
  EXPECT_EQ(SampleValue(body, "ringcast_messages_published_total"), (kPublishers + 1) * kEach);
  EXPECT_EQ(SampleValue(body, "ringcast_shards"), 2);
  // Each acknowledged write was committed (and, under the default policy, synced) first.
  EXPECT_GE(SampleValue(body, "ringcast_wal_commits_total"), 1);
  EXPECT_GE(SampleValue(body, "ringcast_wal_records_total"), kEach);
  EXPECT_EQ(SampleValue(body, "ringcast_wal_fsync_seconds_count"),
            SampleValue(body, "ringcast_wal_commits_total"));
  EXPECT_EQ(SampleValue(body, "ringcast_store_readonly"), 0);
  EXPECT_EQ(SampleValue(body, "ringcast_history_channels"), 1);  // "c"
  EXPECT_EQ(SampleValue(body, "ringcast_history_events"), 100);  // the dev app's history_size
  server.Shutdown();
  server.Wait();
  rmdir(cfg.data_dir.c_str());
}

}  // namespace
}  // namespace ringcast::server
