// libFuzzer target: the DontCode realtime parsers (apps/dontcode/): the socket's client frames
// (realtime_wire.h ParseClientMessage), which every shard runs on every frame; the token check
// (realtime_token.h VerifyToken), which every upgrade to /realtime runs on an anonymous query;
// and the REST bodies (realtime_api.h) of POST /realtime/tokens, /realtime/publish and the
// presence path. Input: the first byte picks the mode, the rest is the frame, token, body or
// path. Checks: no crash or sanitizer report; a parsed frame has a valid channel (ping aside), a
// ref that is one JSON string or number, and a publish has its data; a token that verifies has
// valid channels and its app; a 200 token answer holds a token that verifies into the grant the
// body asked for; every answer is a complete HTTP response with a JSON body.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "apps/dontcode/realtime_api.h"
#include "apps/dontcode/realtime_token.h"
#include "apps/dontcode/realtime_wire.h"

using namespace ringcast;
using namespace ringcast::apps::dontcode;

namespace {

const engine::AppRegistry& Apps() {
  static engine::AppRegistry apps = [] {
    std::vector<config::AppConfig> a(1);
    a[0].id = "1";
    a[0].key = "app-key";
    a[0].secret = "app-secret";
    return engine::AppRegistry(std::move(a));
  }();
  return apps;
}

constexpr int64_t kNow = 1800000000;

void CheckFrame(std::string_view text) {
  static simdjson::dom::parser parser;
  static std::string padded;
  wire::ClientMessage m;
  if (wire::ParseClientMessage(text, &parser, &padded, &m) != nullptr) return;
  if (!m.ref.empty()) {
    simdjson::dom::parser p;
    simdjson::dom::element e;
    if (p.parse(m.ref).get(e) || !(e.is_string() || e.is_number())) std::abort();
  }
  if (m.type == wire::ClientMessage::Type::kPing) return;
  if (RealtimeChannelError(m.channel) != nullptr) std::abort();
}

void CheckToken(std::string_view token) {
  RealtimeGrant g;
  TokenCheck c = VerifyToken(Apps(), token, kNow, &g);
  if (c != TokenCheck::kOk && c != TokenCheck::kExpired) return;
  if (g.app != 0 || g.channels.size() > kMaxTokenChannels) std::abort();
  for (const std::string& ch : g.channels) {
    if (RealtimeChannelError(ch) != nullptr) std::abort();
  }
  if ((c == TokenCheck::kOk) != (kNow < g.exp_s)) std::abort();
}

void CheckResponse(const std::string& response) {
  if (!response.starts_with("HTTP/1.1 ")) std::abort();
  const size_t head = response.find("\r\n\r\n");
  if (head == std::string::npos) std::abort();
  simdjson::dom::parser p;
  simdjson::dom::element e;
  if (p.parse(response.substr(head + 4)).get(e)) std::abort();
}

void CheckRest(std::string path, std::string method, std::string_view body) {
  static RealtimeApi api(&Apps(), 10240);
  api::HttpCall call;
  call.method = std::move(method);
  call.path = std::move(path);
  call.body = std::string(body);
  call.host = "example.test";
  call.bearer_app = 0;
  RealtimeApi::Result r = api.Handle(&call, kNow, false);
  if (r.kind == RealtimeApi::Result::Kind::kAnswered) {
    CheckResponse(call.response);
    if (call.path == "/realtime/tokens" && call.response.starts_with("HTTP/1.1 200")) {
      simdjson::dom::parser p;
      simdjson::dom::object o;
      std::string_view token;
      const std::string json = call.response.substr(call.response.find("\r\n\r\n") + 4);
      if (p.parse(json).get_object().get(o) || o["token"].get_string().get(token)) std::abort();
      RealtimeGrant g;
      if (VerifyToken(Apps(), token, kNow, &g) != TokenCheck::kOk || g.channels.empty()) {
        std::abort();
      }
    }
    return;
  }
  if (r.kind == RealtimeApi::Result::Kind::kPublish) {
    if (r.publish.channels.size() != 1 || RealtimeChannelError(r.publish.channels[0]) != nullptr ||
        r.publish.data.size() > 10240 || r.publish.event.empty()) {
      std::abort();
    }
    RealtimeApi::AnswerDelivered(&call, 3);
    CheckResponse(call.response);
    return;
  }
  if (RealtimeChannelError(r.channel) != nullptr) std::abort();
  RealtimeApi::AnswerPresence(&call, {{"1.2", std::string(body.substr(0, 10))}, {"1.3", ""}});
  CheckResponse(call.response);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
      CheckFrame(rest);
      break;
    case 1:
      CheckToken(rest);
      break;
    case 2:
      CheckRest("/realtime/tokens", "POST", rest);
      break;
    case 3:
      CheckRest("/realtime/publish", "POST", rest);
      break;
    default:
      CheckRest("/realtime/presence/" + std::string(rest.substr(0, 300)), "GET", rest);
      break;
  }
  return 0;
}
