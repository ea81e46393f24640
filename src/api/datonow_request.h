// Datonow request parsing: the JSON bodies and query parameters a client sends to /api/...
// (docs/protocols/datonow.md), checked before DatonowApi touches the store.
//
// Owns: nothing; pure functions. Each returns nullptr on success, else the 400 message.
// Thread rules: any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::api {

// POST /api/message's body, validated.
struct DatonowMessageFields {
  std::string title;  // non-empty
  bool has_message = false;
  std::string message;
  int64_t priority = 5;          // 1..10
  int64_t ttl = 0;               // seconds, 0 = never, at most kMaxTtlSeconds
  std::string extras = "{}";     // a minified JSON object
  std::string payload = "null";  // any minified JSON value
};
constexpr int64_t kMaxTtlSeconds = 315360000;  // 10 years

const char* ParseDatonowMessage(std::string_view body, DatonowMessageFields* out);

// POST /api/apps/{appId}/tokens's optional body: {"name": "<at most 200 bytes>"}.
const char* ParseDatonowTokenName(std::string_view body, std::string* name);

// GET /api/messages?cursor=&limit=: cursor 0 = from the newest; limit 1..100, default 20.
struct DatonowListQuery {
  uint64_t cursor = 0;
  uint32_t limit = 20;
};
const char* ParseDatonowListQuery(std::string_view query, DatonowListQuery* out);

// A decimal id of 1 to 19 digits (so no overflow).
bool ParseDatonowId(std::string_view text, uint64_t* id);

}  // namespace ringcast::api
