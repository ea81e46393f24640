// Head-only checks of a Pusher REST request; see request_head.h.
#include "api/request_head.h"

#include "auth/request_signature.h"
#include "http/query.h"
#include "http/response.h"
#include "util/json_writer.h"
#include "util/utf8_truncate.h"

namespace ringcast::api {

namespace {

bool SplitPath(std::string_view path, std::vector<std::string>* segments) {
  size_t pos = 1;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string seg;
    if (!http::PercentDecode(path.substr(pos, slash - pos), &seg, false)) return false;
    segments->push_back(std::move(seg));
    pos = slash + 1;
  }
  return true;
}

RestHead Refuse(RestHead head, int status, std::string message) {
  head.status = status;
  head.message = std::move(message);
  return head;
}

// A routed head's method (405 with the route's Allow), query (400), signature (401, 400) and
// app state (403), in that order.
RestHead Authenticate(const engine::AppRegistry& apps, RestHead head, bool method_allowed,
                      std::string_view method, std::string_view path, std::string_view query,
                      int64_t now_s) {
  if (!method_allowed) {
    std::string message =
        "Method " + util::Utf8Truncate(method, 32) + " not allowed; use " + std::string(head.allow);
    return Refuse(std::move(head), 405, std::move(message));
  }
  if (!http::ParseQuery(query, &head.params, /*plus_as_space=*/false)) {
    return Refuse(std::move(head), 400, "Malformed query string");
  }
  const config::AppConfig& cfg = apps.app(head.app);
  auth::SignedRequest req{method, path, &head.params, {}};
  auth::VerifyResult v = auth::VerifyPusherSignature(req, cfg.key, cfg.secret, now_s);
  if (!v.ok()) return Refuse(std::move(head), v.status, std::move(v.message));
  if (!cfg.enabled) return Refuse(std::move(head), 403, "Application disabled");
  return head;
}

}  // namespace

RestHead CheckRestHead(const engine::AppRegistry& apps, std::string_view method,
                       std::string_view path, std::string_view query, int64_t now_s) {
  RestHead head;
  std::vector<std::string>& seg = head.segments;
  if (!SplitPath(path, &seg) || seg.size() < 3 || seg[0] != "apps") {
    return Refuse(std::move(head), 404, "Not found");
  }
  head.app = apps.IndexById(seg[1]);
  if (head.app == engine::AppRegistry::kNone) {
    // The message first: the argument that moves `head` (and so `seg`) may be evaluated first.
    std::string message = "Unknown app id '" + util::Utf8Truncate(seg[1], 64) + "'";
    return Refuse(std::move(head), 404, std::move(message));
  }
  // Route first, so that a wrong method or path is a clear 404/405 rather than an auth error.
  if (seg.size() == 3 && (seg[2] == "events" || seg[2] == "batch_events")) {
    head.allow = "POST";
    head.route = seg[2] == "events" ? RestRoute::kEvents : RestRoute::kBatchEvents;
  } else if (seg[2] == "channels" && (seg.size() == 3 || seg.size() == 4)) {
    head.allow = "GET";
    head.route = seg.size() == 3 ? RestRoute::kChannels : RestRoute::kChannel;
  } else if (seg[2] == "channels" && seg.size() == 5 && seg[4] == "users") {
    head.allow = "GET";
    head.route = RestRoute::kChannelUsers;
  } else if (seg[2] == "users" && seg.size() == 5 && seg[4] == "terminate_connections") {
    head.allow = "POST";
    head.route = RestRoute::kTerminateUser;
  } else {
    return Refuse(std::move(head), 404, "Unknown path " + util::Utf8Truncate(path, 200));
  }
  const bool allowed = method == head.allow;  // before `head` moves
  return Authenticate(apps, std::move(head), allowed, method, path, query, now_s);
}

RestHead CheckDialogueHead(const engine::AppRegistry& apps, uint32_t dialogue_app,
                           std::string_view method, std::string_view path, std::string_view query,
                           int64_t now_s) {
  RestHead head;
  std::vector<std::string>& seg = head.segments;
  if (dialogue_app == engine::AppRegistry::kNone || !SplitPath(path, &seg) || seg.size() < 2 ||
      seg.size() > 4 || seg[0] != "dialogue" ||
      (seg[1] != "rooms" && seg[1] != "clients" && seg[1] != "users")) {
    return Refuse(std::move(head), 404, "Not found");
  }
  head.app = dialogue_app;
  bool allowed = false;
  if (seg[1] != "rooms") {
    if (seg.size() != 4 || seg[3] != "events") {
      return Refuse(std::move(head), 404, "Unknown path " + util::Utf8Truncate(path, 200));
    }
    head.route =
        seg[1] == "clients" ? RestRoute::kDialogueClientEvents : RestRoute::kDialogueUserEvents;
    head.allow = "POST";
    allowed = method == "POST";
  } else if (seg.size() == 2) {
    head.route = RestRoute::kDialogueRooms;
    head.allow = "GET, POST";
    allowed = method == "GET" || method == "POST";
  } else if (seg.size() == 3) {
    head.route = RestRoute::kDialogueRoom;
    head.allow = "GET, DELETE";
    allowed = method == "GET" || method == "DELETE";
  } else if (seg[3] == "events") {
    head.route = RestRoute::kDialogueRoomEvents;
    head.allow = "POST";
    allowed = method == "POST";
  } else if (seg[3] == "participants") {
    head.route = RestRoute::kDialogueParticipants;
    head.allow = "GET";
    allowed = method == "GET";
  } else {
    return Refuse(std::move(head), 404, "Unknown path " + util::Utf8Truncate(path, 200));
  }
  if (seg.size() >= 3 && seg[2].empty()) return Refuse(std::move(head), 404, "Id missing");
  return Authenticate(apps, std::move(head), allowed, method, path, query, now_s);
}

void AppendRestHeadRefusal(std::string* out, const RestHead& head, bool keep_alive) {
  if (head.status != 405) {
    http::AppendJsonError(out, head.status, head.message, keep_alive);
    return;
  }
  std::string body;
  util::JsonObject(&body).Str("error", head.message).Int("code", 405).Close();
  http::AppendResponse(out, 405, "application/json", body, keep_alive,
                       "Allow: " + std::string(head.allow) + "\r\n");
}

}  // namespace ringcast::api
