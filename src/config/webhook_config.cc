// ParseWebhooks: one object per target: "url" (required), "event_types", "filter" with
// "channel_name_starts_with"/"channel_name_ends_with", "headers" (see webhook_config.h).
#include "config/webhook_config.h"

#include <arpa/inet.h>

#include <string_view>

#include "http/url.h"
#include "util/ascii.h"

namespace ringcast::config {
namespace {

bool TokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Headers the client writes itself; a target may not replace them.
constexpr const char* kReservedHeaders[] = {
    "host",       "content-length", "content-type",       "transfer-encoding",
    "connection", "x-pusher-key",   "x-pusher-signature",
};

std::string ParseOne(simdjson::dom::element value, WebhookConfig* w) {
  simdjson::dom::object obj;
  if (value.get_object().get(obj)) return "each webhook must be an object";
  bool has_url = false;
  for (auto field : obj) {
    std::string_view key = field.key;
    std::string_view sv;
    if (key == "url") {
      if (field.value.get_string().get(sv)) return "webhook \"url\" must be a string";
      w->url = std::string(sv);
      has_url = true;
    } else if (key == "event_types") {
      simdjson::dom::array types;
      if (field.value.get_array().get(types)) return "webhook \"event_types\" must be an array";
      for (simdjson::dom::element t : types) {
        if (t.get_string().get(sv)) return "webhook \"event_types\" must hold strings";
        bool known = false;
        for (const char* k : kWebhookEventTypes) known = known || sv == k;
        if (!known) return "unknown webhook event type \"" + std::string(sv) + "\"";
        w->event_types.emplace_back(sv);
      }
    } else if (key == "filter") {
      simdjson::dom::object fo;
      if (field.value.get_object().get(fo)) return "webhook \"filter\" must be an object";
      for (auto ff : fo) {
        std::string_view fk = ff.key;
        if (ff.value.get_string().get(sv)) {
          return "webhook filter \"" + std::string(fk) + "\" must be a string";
        }
        if (fk == "channel_name_starts_with") {
          w->channel_name_starts_with = std::string(sv);
        } else if (fk == "channel_name_ends_with") {
          w->channel_name_ends_with = std::string(sv);
        } else {
          return "unknown webhook filter \"" + std::string(fk) + "\"";
        }
      }
    } else if (key == "headers") {
      simdjson::dom::object ho;
      if (field.value.get_object().get(ho)) return "webhook \"headers\" must be an object";
      for (auto hf : ho) {
        std::string_view name = hf.key;
        if (hf.value.get_string().get(sv)) {
          return "webhook header \"" + std::string(name) + "\" must be a string";
        }
        if (name.empty()) return "webhook header names must not be empty";
        for (char c : name) {
          if (!TokenChar(c)) return "webhook header name \"" + std::string(name) + "\" is invalid";
        }
        for (const char* r : kReservedHeaders) {
          if (util::EqualsIgnoreCase(name, r)) {
            return "webhook header \"" + std::string(name) + "\" is set by ringcast itself";
          }
        }
        for (char c : sv) {
          if (c == '\r' || c == '\n' || c == '\0') {
            return "webhook header \"" + std::string(name) + "\" has a line break in its value";
          }
        }
        w->headers.emplace_back(std::string(name), std::string(sv));
      }
    } else {
      return "unknown webhook field \"" + std::string(key) + "\"";
    }
  }
  if (!has_url) return "each webhook needs a \"url\"";
  return CheckWebhookUrl(w->url);
}

}  // namespace

std::string CheckWebhookUrl(const std::string& url) {
  http::HttpUrl u;
  std::string err = http::ParseHttpUrl(url, &u);
  if (!err.empty()) return "webhook url '" + url + "': " + err;
  if (u.host == "localhost") return "";
  unsigned char addr[16];
  if (inet_pton(u.ipv6 ? AF_INET6 : AF_INET, u.host.c_str(), addr) != 1) {
    return "webhook url '" + url +
           "': the host must be an IP address or localhost (the control plane does not resolve "
           "names)";
  }
  return "";
}

std::string ParseWebhooks(simdjson::dom::element value, std::vector<WebhookConfig>* out) {
  simdjson::dom::array arr;
  if (value.get_array().get(arr)) return "app \"webhooks\" must be an array";
  out->clear();
  for (simdjson::dom::element e : arr) {
    if (out->size() == kMaxWebhooksPerApp) {
      return "an app may have at most " + std::to_string(kMaxWebhooksPerApp) + " webhooks";
    }
    WebhookConfig w;
    std::string err = ParseOne(e, &w);
    if (!err.empty()) return err;
    out->push_back(std::move(w));
  }
  return "";
}

}  // namespace ringcast::config
