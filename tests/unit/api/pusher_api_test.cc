// Tests for src/api/pusher_api: requests signed as the Pusher SDKs sign them (auth::SignedQuery)
// go through PusherApi::Handle; a fake control plane runs the returned {publications, count
// request} and records every publication with the Pusher event JSON its subscribers would get
// (protocols/pusher/wire.h). A valid trigger publishes exactly the expected event on each
// channel, in order; batches keep
// their order; a socket_id made by the same SocketIdCodec excludes its connection; and every
// error answer (401, 403, 404, 405, 413, 400) publishes nothing at all.
#include "api/pusher_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "auth/request_signature.h"
#include "engine/publication.h"
#include "protocols/pusher/wire.h"

namespace ringcast::api {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kNow = 1700000000;
constexpr uint64_t kIdSeed = 987654321;

struct Published {
  uint32_t app;
  std::string channel;
  std::string json;
  uint32_t exclude_shard;
  uint64_t exclude_serial;
  bool operator==(const Published&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Published& p) {
  return os << "{app " << p.app << ", " << p.channel << ", " << p.json << ", excl "
            << p.exclude_shard << "/" << p.exclude_serial << "}";
}

// What the control plane does with an ApiResult, recorded: every publication (with the Pusher
// JSON its subscribers would receive), every count request (answered from `counts`).
class FakeControl {
 public:
  explicit FakeControl(size_t apps) : occupancy(apps), presence(apps) {}

  void Occupy(uint32_t app, const std::string& channel) { occupancy.Apply(app, 0, channel, true); }

  // Runs `result` as the control plane would; returns whether the answer was deferred.
  bool Run(HttpCall* call, ApiResult result) {
    for (const engine::PublishRequest& p : result.publications) {
      for (const std::string& ch : p.channels) {
        std::string json;
        protocols::pusher::wire::AppendEvent(&json, p.event, ch, p.data);
        published.push_back({p.app, ch, json, p.exclude_shard, p.exclude_serial});
      }
    }
    if (!result.count) return false;
    EXPECT_TRUE(call->response.empty()) << "a deferred answer is written by finish()";
    std::vector<uint64_t> totals;
    for (const std::string& c : result.count->channels) {
      auto it = counts.find({result.count->app, c});
      totals.push_back(it == counts.end() ? 0 : it->second);
    }
    count_calls.push_back(result.count->channels);
    result.count->finish(totals);
    answered.push_back(call);
    return true;
  }

  engine::Occupancy occupancy;
  engine::PresenceTable presence;
  std::vector<Published> published;
  std::map<std::pair<uint32_t, std::string>, uint64_t> counts;
  std::vector<std::vector<std::string>> count_calls;
  std::vector<HttpCall*> answered;
};

struct Response {
  int status = 0;
  std::string head;
  std::string body;
};

Response ParseResponse(const std::string& raw) {
  Response r;
  size_t end = raw.find("\r\n\r\n");
  EXPECT_NE(end, std::string::npos) << raw;
  r.head = raw.substr(0, end + 2);
  r.body = raw.substr(end + 4);
  EXPECT_THAT(raw, StartsWith("HTTP/1.1 "));
  r.status = std::stoi(raw.substr(9, 3));
  EXPECT_THAT(r.head, HasSubstr("Content-Length: " + std::to_string(r.body.size()) + "\r\n"));
  return r;
}

// The tests write expected data as it appears inside the JSON string; the API now returns it raw.
std::string Unescape(const std::string& escaped) {
  std::string out;
  for (size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] == '\\' && i + 1 < escaped.size()) {
      char c = escaped[++i];
      out.push_back(c == 'n' ? '\n' : c);
    } else {
      out.push_back(escaped[i]);
    }
  }
  return out;
}

std::string ErrorBody(int status, const std::string& message) {
  return "{\"error\":\"" + message + "\",\"code\":" + std::to_string(status) + "}";
}

class PusherApiTest : public ::testing::Test {
 protected:
  PusherApiTest() : ids_(kIdSeed), registry_(MakeApps()), control_(2) {
    config_.limits = config::Limits();  // max_batch_events 10, data 10 KiB, 100 channels
    api_ = std::make_unique<PusherApi>(&registry_, &config_, &ids_, &control_.occupancy,
                                       &control_.presence);
  }

  static std::vector<config::AppConfig> MakeApps() {
    std::vector<config::AppConfig> apps(2);
    apps[0].id = "1";
    apps[0].key = "key1";
    apps[0].secret = "secret1";
    apps[1].id = "2";
    apps[1].key = "key2";
    apps[1].secret = "secret2";
    apps[1].enabled = false;
    return apps;
  }

  // Sends a request signed with `key`/`secret` at `signed_at`; the server's clock is kNow.
  Response Send(const std::string& method, const std::string& path, const std::string& body,
                std::vector<auth::QueryParam> params = {}, const std::string& key = "key1",
                const std::string& secret = "secret1", int64_t signed_at = kNow,
                bool keep_alive = true) {
    HttpCall call;
    call.method = method;
    call.path = path;
    call.body = body;
    call.keep_alive = keep_alive;
    call.query = auth::SignedQuery(method, path, std::move(params), body, key, secret, signed_at);
    return Handle(&call);
  }
  Response SendRaw(const std::string& method, const std::string& path, const std::string& query,
                   const std::string& body) {
    HttpCall call;
    call.method = method;
    call.path = path;
    call.query = query;
    call.body = body;
    return Handle(&call);
  }
  Response Handle(HttpCall* call) {
    ApiResult result = api_->Handle(call, kNow);
    bool is_error = !call->response.empty() && call->response.substr(9, 1) != "2";
    if (is_error) {
      EXPECT_TRUE(result.publications.empty()) << "an error publishes nothing";
    }
    (void)control_.Run(call, std::move(result));
    return ParseResponse(call->response);
  }
  Response Trigger(const std::string& body) { return Send("POST", "/apps/1/events", body); }
  Response Batch(const std::string& body) { return Send("POST", "/apps/1/batch_events", body); }

  static std::string EventJson(const std::string& event, const std::string& channel,
                               const std::string& escaped_data) {
    std::string s;
    protocols::pusher::wire::AppendEvent(&s, event, channel, Unescape(escaped_data));
    return s;
  }

  config::ServerConfig config_;
  engine::SocketIdCodec ids_;
  engine::AppRegistry registry_;
  FakeControl control_;
  std::unique_ptr<PusherApi> api_;
};

// ---- publishing ----------------------------------------------------------------------------

TEST_F(PusherApiTest, TriggerPublishesTheEventOnEachChannelInOrder) {
  Response r = Trigger(R"({"name":"my-event","channels":["a","b","c"],"data":"{\"x\":1}"})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{}");
  EXPECT_THAT(r.head, HasSubstr("Content-Type: application/json\r\n"));
  EXPECT_THAT(r.head, HasSubstr("Connection: keep-alive\r\n"));
  const uint32_t none = engine::kNoShard;
  EXPECT_EQ(control_.published,
            (std::vector<Published>{
                {0, "a", R"({"event":"my-event","channel":"a","data":"{\"x\":1}"})", none, 0},
                {0, "b", R"({"event":"my-event","channel":"b","data":"{\"x\":1}"})", none, 0},
                {0, "c", R"({"event":"my-event","channel":"c","data":"{\"x\":1}"})", none, 0},
            }));
}

TEST_F(PusherApiTest, SingleChannelField) {
  Response r = Trigger(R"({"name":"e","channel":"news","data":"hello"})");
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(control_.published.size(), 1u);
  EXPECT_EQ(control_.published[0].channel, "news");
  EXPECT_EQ(control_.published[0].json, R"({"event":"e","channel":"news","data":"hello"})");
}

TEST_F(PusherApiTest, DataIsEscapedIntoTheEventJson) {
  Response r = Trigger(R"({"name":"e","channel":"c","data":"line\nquote\" back\\ \u00e9"})");
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(control_.published.size(), 1u);
  EXPECT_EQ(control_.published[0].json,
            "{\"event\":\"e\",\"channel\":\"c\",\"data\":\"line\\nquote\\\" back\\\\ \xC3\xA9\"}");
}

TEST_F(PusherApiTest, NonStringDataIsRelayedAsItsMinifiedJsonText) {
  Response r = Trigger(R"({"name":"e","channel":"c","data": {"a" : [1, 2], "b": null}})");
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(control_.published.size(), 1u);
  EXPECT_EQ(control_.published[0].json,
            R"({"event":"e","channel":"c","data":"{\"a\":[1,2],\"b\":null}"})");
}

TEST_F(PusherApiTest, ServerToUserChannelIsAllowedOnTheRestSide) {
  Response r = Trigger(R"({"name":"e","channel":"#server-to-user-42","data":"x"})");
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(control_.published.size(), 1u);
  EXPECT_EQ(control_.published[0].channel, "#server-to-user-42");
}

TEST_F(PusherApiTest, SocketIdExcludesTheConnectionItNames) {
  std::string sid = ids_.Format(1, 42);
  Response r =
      Trigger(R"({"name":"e","channels":["a","b"],"data":"d","socket_id":")" + sid + "\"}");
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(control_.published.size(), 2u);
  for (const Published& p : control_.published) {
    EXPECT_EQ(p.exclude_shard, 1u);
    EXPECT_EQ(p.exclude_serial, 42u);
  }
}

TEST_F(PusherApiTest, SocketIdFromAnotherProcessExcludesNobody) {
  engine::SocketIdCodec other(kIdSeed + 1);
  Response r = Trigger(R"({"name":"e","channel":"a","data":"d","socket_id":")" +
                       other.Format(1, 42) + "\"}");
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(control_.published.size(), 1u);
  EXPECT_EQ(control_.published[0].exclude_shard, engine::kNoShard);
  EXPECT_EQ(control_.published[0].exclude_serial, 0u);
  Response n = Trigger(R"({"name":"e","channel":"a","data":"d","socket_id":null})");
  EXPECT_EQ(n.status, 200);
  EXPECT_EQ(control_.published.size(), 2u);
}

TEST_F(PusherApiTest, BatchPublishesEveryEventInRequestOrder) {
  std::string sid = ids_.Format(0, 7);
  Response r = Batch(R"({"batch":[
      {"name":"first","channel":"x","data":"1"},
      {"name":"second","channel":"y","data":"2","socket_id":")" +
                     sid + R"("},
      {"name":"third","channel":"x","data":{"n":3}}]})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{}");
  const uint32_t none = engine::kNoShard;
  EXPECT_EQ(control_.published, (std::vector<Published>{
                                    {0, "x", EventJson("first", "x", "1"), none, 0},
                                    {0, "y", EventJson("second", "y", "2"), 0, 7},
                                    {0, "x", EventJson("third", "x", R"({\"n\":3})"), none, 0},
                                }));
}

TEST_F(PusherApiTest, BatchOfExactlyTheLimitIsAccepted) {
  std::string body = R"({"batch":[)";
  for (int i = 0; i < 10; ++i) {
    body += (i ? "," : "") + std::string(R"({"name":"e","channel":"c)") + std::to_string(i) +
            R"(","data":"d"})";
  }
  body += "]}";
  EXPECT_EQ(Batch(body).status, 200);
  ASSERT_EQ(control_.published.size(), 10u);
  EXPECT_EQ(control_.published[9].channel, "c9");
}

TEST_F(PusherApiTest, InfoSubscriptionCountIsCountedAfterThePublish) {
  control_.counts = {{{0, "a"}, 3}, {{0, "b"}, 0}};
  Response r =
      Trigger(R"({"name":"e","channels":["a","b"],"data":"d","info":"subscription_count"})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"channels":{"a":{"subscription_count":3},"b":{"subscription_count":0}}})");
  EXPECT_EQ(control_.published.size(), 2u);
  ASSERT_EQ(control_.count_calls.size(), 1u);
  EXPECT_EQ(control_.count_calls[0], (std::vector<std::string>{"a", "b"}));
  Response b = Batch(R"({"batch":[{"name":"e","channel":"a","data":"d","info":"subscription_count"},)"
                     R"({"name":"e","channel":"b","data":"d"}]})");
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(b.body, R"({"batch":[{"subscription_count":3},{}]})");
  Response unknown = Trigger(R"({"name":"e","channel":"a","data":"d","info":"x"})");
  EXPECT_EQ(unknown.body, "{}") << "no known attribute asked: no count needed";
  EXPECT_EQ(control_.count_calls.size(), 2u);
}

TEST_F(PusherApiTest, ConnectionCloseWhenTheClientAsksForIt) {
  Response r = Send("POST", "/apps/1/events", R"({"name":"e","channel":"c","data":"d"})", {},
                    "key1", "secret1", kNow, /*keep_alive=*/false);
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.head, HasSubstr("Connection: close\r\n"));
}

TEST_F(PusherApiTest, DataAtTheLimitIsAccepted) {
  std::string data(10 * 1024, 'd');
  Response r = Trigger(R"({"name":"e","channel":"c","data":")" + data + "\"}");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(control_.published.size(), 1u);
}

TEST_F(PusherApiTest, TimestampWithinTheSkewIsAccepted) {
  Response r = Send("POST", "/apps/1/events", R"({"name":"e","channel":"c","data":"d"})", {},
                    "key1", "secret1", kNow - 600);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(control_.published.size(), 1u);
}

// ---- errors: each publishes nothing ---------------------------------------------------------

class PusherApiErrorTest : public PusherApiTest {
 protected:
  void TearDown() override { EXPECT_TRUE(control_.published.empty()); }
  void Expect(const Response& r, int status, const std::string& message) {
    EXPECT_EQ(r.status, status);
    EXPECT_EQ(r.body, ErrorBody(status, message));
  }
};

const char* kBody = R"({"name":"e","channel":"c","data":"d"})";

TEST_F(PusherApiErrorTest, UnsignedRequestIs401) {
  Expect(SendRaw("POST", "/apps/1/events", "", kBody), 401,
         "Missing required query parameter: auth_key");
}

TEST_F(PusherApiErrorTest, UnknownKeyIs401) {
  Expect(Send("POST", "/apps/1/events", kBody, {}, "key2", "secret2"), 401, "Unknown auth_key");
}

TEST_F(PusherApiErrorTest, WrongSecretIs401) {
  Response r = Send("POST", "/apps/1/events", kBody, {}, "key1", "not-the-secret");
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.body, HasSubstr("Invalid signature: you should have sent HmacSHA256Hex("));
}

TEST_F(PusherApiErrorTest, BodyChangedAfterSigningIs401) {
  HttpCall call;
  call.method = "POST";
  call.path = "/apps/1/events";
  call.query = auth::SignedQuery("POST", call.path, {}, kBody, "key1", "secret1", kNow);
  call.body = R"({"name":"e","channel":"other","data":"d"})";
  Expect(Handle(&call), 401, "body_md5 does not match the MD5 of the request body");
}

TEST_F(PusherApiErrorTest, PathChangedAfterSigningIs401) {
  HttpCall call;
  call.method = "POST";
  call.path = "/apps/1/batch_events";
  call.query =
      auth::SignedQuery("POST", "/apps/1/events", {}, R"({"batch":[]})", "key1", "secret1", kNow);
  call.body = R"({"batch":[]})";
  Response r = Handle(&call);
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.body, HasSubstr("Invalid signature"));
}

TEST_F(PusherApiErrorTest, ExpiredTimestampIs401) {
  Response r = Send("POST", "/apps/1/events", kBody, {}, "key1", "secret1", kNow - 601);
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.body, HasSubstr("Timestamp expired"));
  Response f = Send("POST", "/apps/1/events", kBody, {}, "key1", "secret1", kNow + 601);
  EXPECT_EQ(f.status, 401);
}

TEST_F(PusherApiErrorTest, MalformedQueryIs400) {
  Expect(SendRaw("POST", "/apps/1/events", "auth_key=%zz", kBody), 400, "Malformed query string");
}

TEST_F(PusherApiErrorTest, UnknownAppIs404) {
  Expect(Send("POST", "/apps/999/events", kBody), 404, "Unknown app id '999'");
}

TEST_F(PusherApiErrorTest, UnknownPathIs404) {
  Expect(Send("POST", "/apps/1/nope", kBody), 404, "Unknown path /apps/1/nope");
  Expect(Send("POST", "/apps/1/events/extra", kBody), 404, "Unknown path /apps/1/events/extra");
  Expect(Send("GET", "/apps/1/channels/a/members", ""), 404,
         "Unknown path /apps/1/channels/a/members");
  Expect(Send("GET", "/apps/1/channels/a/users", ""), 400,
         "Users are only available for presence channels");
  Expect(Send("POST", "/apps/1", kBody), 404, "Not found");
  Expect(Send("POST", "/other/1/events", kBody), 404, "Not found");
}

TEST_F(PusherApiErrorTest, WrongMethodIs405WithAllow) {
  Response r = Send("GET", "/apps/1/events", "");
  EXPECT_EQ(r.status, 405);
  EXPECT_THAT(r.head, HasSubstr("\r\nAllow: POST\r\n"));
  EXPECT_EQ(r.body, ErrorBody(405, "Method GET not allowed; use POST"));
  Response c = Send("POST", "/apps/1/channels", "");
  EXPECT_EQ(c.status, 405);
  EXPECT_THAT(c.head, HasSubstr("\r\nAllow: GET\r\n"));
  EXPECT_EQ(c.body, ErrorBody(405, "Method POST not allowed; use GET"));
  Response d = Send("DELETE", "/apps/1/batch_events", "");
  EXPECT_EQ(d.status, 405);
  EXPECT_THAT(d.head, HasSubstr("\r\nAllow: POST\r\n"));
}

TEST_F(PusherApiErrorTest, DisabledAppIs403) {
  Expect(Send("POST", "/apps/2/events", kBody, {}, "key2", "secret2"), 403, "Application disabled");
}

TEST_F(PusherApiErrorTest, DataOverTheLimitIs413) {
  std::string data(10 * 1024 + 1, 'd');
  Expect(Trigger(R"({"name":"e","channel":"c","data":")" + data + "\"}"), 413,
         "Event data too large: 10241 bytes, limit 10240");
  Expect(Batch(R"({"batch":[{"name":"e","channel":"c","data":"ok"},)"
               R"({"name":"e","channel":"c","data":")" +
               data + "\"}]}"),
         413, "batch[1]: Event data too large: 10241 bytes, limit 10240");
}

TEST_F(PusherApiErrorTest, TooManyChannelsIs400) {
  std::string channels;
  for (int i = 0; i < 101; ++i) channels += (i ? ",\"c" : "\"c") + std::to_string(i) + "\"";
  Expect(Trigger(R"({"name":"e","channels":[)" + channels + R"(],"data":"d"})"), 400,
         "Too many channels: 101, limit 100");
}

TEST_F(PusherApiErrorTest, BadChannelNameIs400) {
  Expect(Trigger(R"({"name":"e","channels":["good","bad channel"],"data":"d"})"), 400,
         "Invalid channel name 'bad channel': channel name may only contain letters, digits and "
         "_ - = @ , . ;");
  Expect(Trigger(R"({"name":"e","channel":")" + std::string(165, 'a') + R"(","data":"d"})"), 400,
         "Invalid channel name '" + std::string(165, 'a') + "': channel name is too long");
  Expect(Trigger(R"({"name":"e","channel":"#news","data":"d"})"), 400,
         "Invalid channel name '#news': channel names starting with '#' are reserved");
}

TEST_F(PusherApiErrorTest, BadJsonIs400) {
  Expect(Trigger("{not json"), 400, "Request body is not valid JSON");
  Expect(Trigger(""), 400, "Request body is not valid JSON");
  Expect(Trigger("[1]"), 400, "Event must be a JSON object");
  Expect(Trigger(R"({"channel":"c","data":"d"})"), 400, "Missing or non-string \\\"name\\\"");
  Expect(Trigger(R"({"name":5,"channel":"c","data":"d"})"), 400,
         "Missing or non-string \\\"name\\\"");
  Expect(Trigger(R"({"name":"e","channel":"c"})"), 400, "Missing \\\"data\\\"");
  Expect(Trigger(R"({"name":"e","data":"d"})"), 400, "No channels given");
  Expect(Trigger(R"({"name":"e","channels":[],"data":"d"})"), 400, "No channels given");
  Expect(Trigger(R"({"name":"e","channels":"c","data":"d"})"), 400,
         "\\\"channels\\\" must be an array");
  Expect(Trigger(R"({"name":"e","channels":["c",1],"data":"d"})"), 400,
         "Channel names must be strings");
  Expect(Trigger(R"({"name":"e","channel":1,"data":"d"})"), 400,
         "\\\"channel\\\" must be a string");
  Expect(Trigger(R"({"name":"","channel":"c","data":"d"})"), 400,
         "Invalid event name: event name is empty");
  Expect(Trigger(R"({"name":"e\u0001","channel":"c","data":"d"})"), 400,
         "Invalid event name: event name contains control characters");
  Expect(Trigger(R"({"name":")" + std::string(201, 'n') + R"(","channel":"c","data":"d"})"), 400,
         "Invalid event name: event name is too long");
  Expect(Trigger(R"({"name":"e","channel":"c","data":"d","socket_id":"abc"})"), 400,
         "Invalid socket_id 'abc'");
  Expect(Trigger(R"({"name":"e","channel":"c","data":"d","socket_id":"1.2.3"})"), 400,
         "Invalid socket_id '1.2.3'");
  Expect(Trigger(R"({"name":"e","channel":"c","data":"d","socket_id":5})"), 400,
         "\\\"socket_id\\\" must be a string");
}

TEST_F(PusherApiErrorTest, BatchOverTheLimitIs400) {
  std::string body = R"({"batch":[)";
  for (int i = 0; i < 11; ++i) body += (i ? "," : "") + std::string(kBody);
  body += "]}";
  Expect(Batch(body), 400, "Batch too large: 11 events, limit 10");
}

TEST_F(PusherApiErrorTest, OneBadEventFailsTheWholeBatch) {
  Expect(Batch(R"({"batch":[{"name":"a","channel":"c","data":"1"},)"
               R"({"name":"b","channel":"c","data":"2"},)"
               R"({"name":"c","channel":"bad name","data":"3"}]})"),
         400,
         "batch[2]: Invalid channel name 'bad name': channel name may only contain letters, "
         "digits and _ - = @ , . ;");
  Expect(Batch(R"({"events":[]})"), 400, "Body must be {\\\"batch\\\": [events]}");
  Expect(Batch(R"({"batch":{}})"), 400, "Body must be {\\\"batch\\\": [events]}");
  // In a batch each event names one "channel"; a "channels" list is not read.
  Expect(Batch(R"({"batch":[{"name":"a","channels":["c"],"data":"1"}]})"), 400,
         "batch[0]: No channels given");
}

// ---- channel queries ------------------------------------------------------------------------

TEST_F(PusherApiTest, ChannelsListsOccupiedChannelsSorted) {
  for (const char* c : {"zeta", "alpha", "presence-room"}) control_.Occupy(0, c);
  control_.Occupy(1, "other-app");
  Response r = Send("GET", "/apps/1/channels", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"channels":{"alpha":{},"presence-room":{},"zeta":{}}})");
  EXPECT_TRUE(control_.published.empty());
}

TEST_F(PusherApiTest, ChannelsFilterByPrefix) {
  for (const char* c : {"presence-a", "presence-b", "public"}) control_.Occupy(0, c);
  Response r = Send("GET", "/apps/1/channels", "", {{"filter_by_prefix", "presence-"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"channels":{"presence-a":{},"presence-b":{}}})");
  Response u = Send("GET", "/apps/1/channels", "",
                    {{"filter_by_prefix", "presence-"}, {"info", "user_count"}});
  EXPECT_EQ(u.status, 200);
}

TEST_F(PusherApiTest, ChannelsUserCountNeedsThePresencePrefix) {
  Response r = Send("GET", "/apps/1/channels", "", {{"info", "user_count"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, ErrorBody(400, "user_count requires filter_by_prefix=presence-"));
}

TEST_F(PusherApiTest, OneChannelSaysWhetherItIsOccupied) {
  control_.Occupy(0, "busy");
  Response busy = Send("GET", "/apps/1/channels/busy", "");
  EXPECT_EQ(busy.status, 200);
  EXPECT_EQ(busy.body, R"({"occupied":true})");
  Response idle = Send("GET", "/apps/1/channels/idle", "");
  EXPECT_EQ(idle.status, 200);
  EXPECT_EQ(idle.body, R"({"occupied":false})");
  Response bad = Send("GET", "/apps/1/channels/bad%20name", "");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body, ErrorBody(400, "Invalid channel name"));
  Response uc = Send("GET", "/apps/1/channels/busy", "", {{"info", "user_count"}});
  EXPECT_EQ(uc.status, 400);
  EXPECT_EQ(uc.body, ErrorBody(400, "user_count is only available for presence channels"));
  Response pc =
      Send("GET", "/apps/1/channels/presence-x", "", {{"info", "subscription_count,user_count"}});
  EXPECT_EQ(pc.status, 200);
  EXPECT_EQ(pc.body, R"({"occupied":false,"user_count":0,"subscription_count":0})");
}

TEST_F(PusherApiTest, OneChannelSubscriptionCountComesFromTheShards) {
  control_.Occupy(0, "busy");
  control_.counts = {{{0, "busy"}, 42}};
  Response r = Send("GET", "/apps/1/channels/busy", "", {{"info", "subscription_count"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"occupied":true,"subscription_count":42})");
  ASSERT_EQ(control_.count_calls.size(), 1u);
  Response idle = Send("GET", "/apps/1/channels/idle", "", {{"info", "subscription_count"}});
  EXPECT_EQ(idle.body, R"({"occupied":false,"subscription_count":0})");
  EXPECT_EQ(control_.count_calls.size(), 1u) << "an unoccupied channel needs no shard query";
}

}  // namespace
}  // namespace ringcast::api
