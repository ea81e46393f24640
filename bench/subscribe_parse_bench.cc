// ClientMessageParser (protocols/pusher/client_message.h) on the pusher:subscribe messages that
// pusher-js sends, byte for byte: a public channel and a private channel (64-hex auth), with the
// data as an object (pusher-js) and double-encoded as a string (other clients). Parse alone, and
// Parse + ParseSubscribeData (what a shard does per subscribe). The parser is reused, as each
// shard reuses its one parser.
#include <benchmark/benchmark.h>

#include <string>

#include "protocols/pusher/client_message.h"

namespace {

using ringcast::protocols::pusher::ClientMessage;
using ringcast::protocols::pusher::ClientMessageParser;
using ringcast::protocols::pusher::SubscribeData;

const std::string kMessages[] = {
    // 0: pusher-js, public channel, object data
    R"({"event":"pusher:subscribe","data":{"auth":"","channel":"my-channel"}})",
    // 1: pusher-js, private channel, object data
    R"({"event":"pusher:subscribe","data":{"auth":"app-key:)"
    R"(58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4",)"
    R"("channel":"private-my-channel"}})",
    // 2: public channel, string data
    R"({"event":"pusher:subscribe","data":"{\"auth\":\"\",\"channel\":\"my-channel\"}"})",
    // 3: private channel, string data
    R"({"event":"pusher:subscribe","data":"{\"auth\":\"app-key:)"
    R"(58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4\",)"
    R"(\"channel\":\"private-my-channel\"}"})",
};

void Label(benchmark::State& state) {
  static const char* const kNames[] = {"public/object", "private/object", "public/string",
                                       "private/string"};
  state.SetLabel(kNames[state.range(0)]);
}

void BM_Parse(benchmark::State& state) {
  const std::string& text = kMessages[state.range(0)];
  ClientMessageParser parser;
  ClientMessage msg;
  for (auto _ : state) {
    const char* err = parser.Parse(text, &msg);
    benchmark::DoNotOptimize(err);
    benchmark::DoNotOptimize(msg.data.data());
  }
  if (parser.Parse(text, &msg) != nullptr) state.SkipWithError("parse failed");
  Label(state);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_Parse)->DenseRange(0, 3);

void BM_ParseAndSubscribeData(benchmark::State& state) {
  const std::string& text = kMessages[state.range(0)];
  ClientMessageParser parser;
  ClientMessage msg;
  SubscribeData sub;
  for (auto _ : state) {
    const char* err = parser.Parse(text, &msg);
    if (err == nullptr) err = parser.ParseSubscribeData(msg, &sub);
    benchmark::DoNotOptimize(err);
    benchmark::DoNotOptimize(sub.channel.data());
  }
  if (parser.Parse(text, &msg) != nullptr || parser.ParseSubscribeData(msg, &sub) != nullptr ||
      sub.channel.empty()) {
    state.SkipWithError("parse failed");
  }
  Label(state);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ParseAndSubscribeData)->DenseRange(0, 3);

}  // namespace
