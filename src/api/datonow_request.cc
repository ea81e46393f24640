// Datonow request parsing; see datonow_request.h for the contract.
#include "api/datonow_request.h"

#include <simdjson.h>

#include <vector>

#include "http/query.h"

namespace ringcast::api {

constexpr uint32_t kMaxLimit = 100;
constexpr size_t kMaxTokenName = 200;

const char* ParseDatonowMessage(std::string_view body, DatonowMessageFields* out) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::object obj;
  if (parser.parse(body).get(root) != simdjson::SUCCESS || root.get(obj) != simdjson::SUCCESS) {
    return "The body must be a JSON object";
  }
  std::string_view sv;
  simdjson::dom::element el;
  if (obj["title"].get(el) != simdjson::SUCCESS || el.get_string().get(sv) != simdjson::SUCCESS ||
      sv.empty()) {
    return "title is required and must be a non-empty string";
  }
  out->title = std::string(sv);
  if (obj["message"].get(el) == simdjson::SUCCESS && !el.is_null()) {
    if (el.get_string().get(sv) != simdjson::SUCCESS) return "message must be a string";
    out->message = std::string(sv);
    out->has_message = true;
  }
  if (obj["priority"].get(el) == simdjson::SUCCESS && !el.is_null()) {
    if (el.get_int64().get(out->priority) != simdjson::SUCCESS || out->priority < 1 ||
        out->priority > 10) {
      return "priority must be an integer from 1 to 10";
    }
  }
  if (obj["ttl"].get(el) == simdjson::SUCCESS && !el.is_null()) {
    if (el.get_int64().get(out->ttl) != simdjson::SUCCESS || out->ttl < 0 ||
        out->ttl > kMaxTtlSeconds) {
      return "ttl must be an integer number of seconds from 0 (never) to 315360000";
    }
  }
  if (obj["extras"].get(el) == simdjson::SUCCESS && !el.is_null()) {
    if (!el.is_object()) return "extras must be an object";
    out->extras = simdjson::minify(el);
  }
  if (obj["payload"].get(el) == simdjson::SUCCESS) out->payload = simdjson::minify(el);
  return nullptr;
}

const char* ParseDatonowTokenName(std::string_view body, std::string* name) {
  name->clear();
  if (body.empty()) return nullptr;
  simdjson::dom::parser parser;
  simdjson::dom::element root, el;
  simdjson::dom::object obj;
  if (parser.parse(body).get(root) != simdjson::SUCCESS || root.get(obj) != simdjson::SUCCESS) {
    return "The body must be a JSON object";
  }
  if (obj["name"].get(el) == simdjson::SUCCESS && !el.is_null()) {
    std::string_view sv;
    if (el.get_string().get(sv) != simdjson::SUCCESS || sv.size() > kMaxTokenName) {
      return "name must be a string of at most 200 bytes";
    }
    *name = std::string(sv);
  }
  return nullptr;
}

const char* ParseDatonowListQuery(std::string_view query, DatonowListQuery* out) {
  std::vector<http::QueryParam> params;
  if (!http::ParseQuery(query, &params, /*plus_as_space=*/true)) {
    return "Bad percent-escape in the query string";
  }
  std::string cursor_text, limit_text;
  for (const auto& p : params) {
    if (p.key == "cursor") cursor_text = p.value;
    if (p.key == "limit") limit_text = p.value;
  }
  if (!cursor_text.empty() && !ParseDatonowId(cursor_text, &out->cursor)) {
    return "cursor must be a message id (or 0 for the newest)";
  }
  if (!limit_text.empty()) {
    uint64_t l = 0;
    if (!ParseDatonowId(limit_text, &l) || l < 1 || l > kMaxLimit) {
      return "limit must be an integer from 1 to 100";
    }
    out->limit = static_cast<uint32_t>(l);
  }
  return nullptr;
}

bool ParseDatonowId(std::string_view text, uint64_t* id) {
  if (text.empty() || text.size() > 19) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *id = v;
  return true;
}

}  // namespace ringcast::api
