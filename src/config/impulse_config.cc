#include "config/impulse_config.h"

namespace ringcast::config {

std::string ApplyImpulseJson(simdjson::dom::element value, ImpulseConfig* out) {
  simdjson::dom::object obj;
  if (value.get_object().get(obj)) return "\"impulse\" must be an object";
  for (auto field : obj) {
    std::string key(field.key);
    std::string_view sv;
    uint64_t n;
    bool b;
    if (key == "prefix" || key == "secret" || key == "app_id" || key == "cors_origin") {
      if (field.value.get_string().get(sv)) return "impulse \"" + key + "\" must be a string";
      std::string text(sv);
      if (key == "prefix") out->prefix = text;
      if (key == "secret") out->secret = text;
      if (key == "app_id") out->app_id = text;
      if (key == "cors_origin") out->cors_origin = text;
    } else if (key == "cors_credentials") {
      if (field.value.get_bool().get(b)) return "impulse \"cors_credentials\" must be a boolean";
      out->cors_credentials = b;
    } else if (key == "heartbeat_ms") {
      if (field.value.get_uint64().get(n) || n > 3600000) {
        return "impulse \"heartbeat_ms\" must be an integer from 0 to 3600000";
      }
      out->heartbeat_ms = static_cast<uint32_t>(n);
    } else {
      return "unknown impulse field \"" + key + "\"";
    }
  }
  return "";
}

std::string FinalizeImpulse(ServerConfig* out) {
  ImpulseConfig& im = out->impulse;
  const std::string& p = im.prefix;
  // Routed by exact match: "/x" (and "/x/"); no query, no trailing '/', printable ASCII.
  if (p.size() < 2 || p[0] != '/' || p.back() == '/' || p.size() > 200) {
    return "impulse \"prefix\" must start with '/', not end with '/' and not be '/' alone";
  }
  for (char c : p) {
    if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#') {
      return "impulse \"prefix\" must be printable ASCII without spaces, '?' or '#'";
    }
  }
  // Routed before the other endpoints: it must not shadow them.
  for (const char* taken : {"/apps", "/app", "/sse", "/api", "/dashboard", "/dialogue"}) {
    std::string t(taken);
    if (p == t || p.compare(0, t.size() + 1, t + "/") == 0) {
      return "impulse \"prefix\" '" + p + "' would shadow ringcast's " + t + " endpoints";
    }
  }
  if (p == "/health" || p == "/ready" || p == "/metrics") {
    return "impulse \"prefix\" '" + p + "' would shadow ringcast's " + p;
  }
  if (im.cors_origin.find_first_of("\r\n") != std::string::npos) {
    return "impulse \"cors_origin\" must be one line";
  }
  if (im.cors_credentials && (im.cors_origin.empty() || im.cors_origin == "*")) {
    return "impulse \"cors_credentials\" needs a specific \"cors_origin\" (browsers refuse "
           "credentials with '*')";
  }
  if (!im.enabled()) return "";
  if (im.app_id.empty()) {
    if (out->apps.size() != 1) {
      return "impulse: several apps are configured; \"app_id\" must name the one it serves";
    }
    im.app = 0;
    return "";
  }
  for (size_t i = 0; i < out->apps.size(); ++i) {
    if (out->apps[i].id == im.app_id) {
      im.app = static_cast<uint32_t>(i);
      return "";
    }
  }
  return "impulse \"app_id\" '" + im.app_id + "' is not a configured app";
}

}  // namespace ringcast::config
