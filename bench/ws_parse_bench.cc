// Parsing a client stream of 1000 masked 128-byte text messages: ws::FrameParser against
// wslay's event API (server context, recv callback serving from memory). Both do the work a
// server needs: unmask, validate UTF-8, deliver each message. The stream arrives in chunks of
// range(0) bytes, as reads from a provided-buffer ring would; a message cut by a chunk boundary
// is buffered by our parser (wslay always copies into its 4 KiB ibuf). Our side includes the
// memcpy of each chunk into scratch, because Consume() unmasks in place.
#include <benchmark/benchmark.h>
#include <wslay/wslay.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "ws/frame_encoder.h"
#include "ws/frame_parser.h"

namespace {

using ringcast::ws::FrameEvents;
using ringcast::ws::FrameLimits;
using ringcast::ws::FrameParser;
using ringcast::ws::Opcode;

constexpr int kMessages = 1000;
constexpr size_t kPayload = 128;

std::string MakeStream() {
  std::string stream;
  std::string payload(kPayload, 'a');
  for (int i = 0; i < kMessages; ++i) {
    for (size_t k = 0; k < kPayload; ++k) payload[k] = static_cast<char>('a' + (i + k) % 26);
    ringcast::ws::AppendMaskedFrame(&stream, Opcode::kText, payload,
                                    0x9e3779b9u * static_cast<uint32_t>(i + 1));
  }
  return stream;
}

struct Counter : FrameEvents {
  bool OnMessage(Opcode, std::string_view payload) override {
    ++messages;
    bytes += payload.size();
    return true;
  }
  bool OnPing(std::string_view) override { return true; }
  bool OnPong(std::string_view) override { return true; }
  bool OnClose(uint16_t, std::string_view) override { return true; }
  int64_t messages = 0;
  int64_t bytes = 0;
};

void SetCounters(benchmark::State& state, size_t stream_size, int64_t messages) {
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(stream_size));
  state.counters["msgs/s"] =
      benchmark::Counter(static_cast<double>(messages), benchmark::Counter::kIsRate);
}

void BM_ParseOurs(benchmark::State& state) {
  const std::string stream = MakeStream();
  const auto chunk = static_cast<size_t>(state.range(0));
  std::vector<char> scratch(chunk);
  FrameParser parser{FrameLimits{}};
  Counter counter;
  for (auto _ : state) {
    for (size_t pos = 0; pos < stream.size(); pos += chunk) {
      const size_t n = std::min(chunk, stream.size() - pos);
      std::memcpy(scratch.data(), stream.data() + pos, n);
      const auto r = parser.Consume(scratch.data(), n, counter);
      if (r.fail_code != 0) state.SkipWithError("parse failed");
    }
  }
  if (counter.messages != state.iterations() * kMessages) state.SkipWithError("lost messages");
  SetCounters(state, stream.size(), counter.messages);
}
BENCHMARK(BM_ParseOurs)->Arg(4096)->Arg(16384)->Arg(65536);

struct WslayFeed {
  const std::string* stream;
  size_t pos = 0;
  size_t chunk = 0;
  int64_t messages = 0;
};

ssize_t WslayRecv(wslay_event_context_ptr ctx, uint8_t* buf, size_t len, int, void* user_data) {
  auto* feed = static_cast<WslayFeed*>(user_data);
  if (feed->pos >= feed->stream->size()) {
    wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    return -1;
  }
  // Stay within the current read chunk, as a socket read of `chunk` bytes would.
  const size_t chunk_end = (feed->pos / feed->chunk + 1) * feed->chunk;
  const size_t n = std::min({len, feed->stream->size() - feed->pos, chunk_end - feed->pos});
  std::memcpy(buf, feed->stream->data() + feed->pos, n);
  feed->pos += n;
  return static_cast<ssize_t>(n);
}

ssize_t WslaySend(wslay_event_context_ptr, const uint8_t*, size_t len, int, void*) {
  return static_cast<ssize_t>(len);
}

void WslayOnMessage(wslay_event_context_ptr, const wslay_event_on_msg_recv_arg* arg,
                    void* user_data) {
  auto* feed = static_cast<WslayFeed*>(user_data);
  ++feed->messages;
  benchmark::DoNotOptimize(arg->msg);
}

void BM_ParseWslay(benchmark::State& state) {
  const std::string stream = MakeStream();
  WslayFeed feed;
  feed.stream = &stream;
  feed.chunk = static_cast<size_t>(state.range(0));
  wslay_event_callbacks callbacks{};
  callbacks.recv_callback = WslayRecv;
  callbacks.send_callback = WslaySend;
  callbacks.on_msg_recv_callback = WslayOnMessage;
  wslay_event_context_ptr ctx = nullptr;
  if (wslay_event_context_server_init(&ctx, &callbacks, &feed) != 0) {
    state.SkipWithError("wslay init failed");
    return;
  }
  wslay_event_config_set_max_recv_msg_length(ctx, 64 * 1024);
  for (auto _ : state) {
    feed.pos = 0;
    // One call per readable event: wslay returns when a chunk ends inside a frame header.
    while (feed.pos < stream.size()) {
      if (wslay_event_recv(ctx) != 0) {
        state.SkipWithError("wslay recv failed");
        break;
      }
    }
  }
  if (feed.messages != state.iterations() * kMessages) state.SkipWithError("lost messages");
  wslay_event_context_free(ctx);
  SetCounters(state, stream.size(), feed.messages);
}
BENCHMARK(BM_ParseWslay)->Arg(4096)->Arg(16384)->Arg(65536);

}  // namespace
