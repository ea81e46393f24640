// RestHead: the checks of a Pusher HTTP API request (/apps/{app_id}/...) that need only its
// head: the route (404 unknown app or path, 405 wrong method), the query syntax (400), the
// signature (401, 400; auth/request_signature.h, HMAC included) and the app's state (403).
//
// Both sides run it. The shard runs it on the request head before reading the body, so that a
// forged, expired or misrouted request is refused without its body being buffered, copied to
// the control plane or hashed (the HTTP front answers at once and skips the body as it arrives,
// or closes the connection when it cannot skip it). PusherApi runs it again on the control
// plane, where it is authoritative (one more HMAC, about a microsecond per request), and then
// checks body_md5 against the body.
// Pure: reads the AppRegistry, which is read-only after start-up; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/app_registry.h"
#include "util/query_param.h"

namespace ringcast::api {

enum class RestRoute {
  kEvents,
  kBatchEvents,
  kChannels,
  kChannel,
  kChannelUsers,
  kTerminateUser,
  // Dialogue's REST API (docs/protocols/dialogue.md, "REST API"): /dialogue/rooms...
  kDialogueRooms,         // GET (list), POST (create)
  kDialogueRoom,          // GET (info and size), DELETE
  kDialogueRoomEvents,    // POST (trigger)
  kDialogueParticipants,  // GET
  kDialogueClientEvents,  // POST /dialogue/clients/{clientId}/events (a direct send)
  kDialogueUserEvents,    // POST /dialogue/users/{userId}/events
};

struct [[nodiscard]] RestHead {
  int status = 0;          // 0: the head passes; else the HTTP status of the refusal
  std::string message;     // the refusal's error text
  std::string_view allow;  // with 405: the method the path takes
  uint32_t app = engine::AppRegistry::kNone;
  RestRoute route = RestRoute::kEvents;
  std::vector<std::string> segments;     // the path's percent-decoded segments ("apps", id, ...)
  std::vector<util::QueryParam> params;  // the query, percent-decoded
  bool ok() const { return status == 0; }
};

// Routes and authenticates a request head. `path` is raw (not decoded), `query` the raw text
// after '?', `now_s` the wall clock (util::WallSeconds()).
RestHead CheckRestHead(const engine::AppRegistry& apps, std::string_view method,
                       std::string_view path, std::string_view query, int64_t now_s);

// Dialogue's REST API: /dialogue/rooms[/{roomId}[/events|/participants]] and
// /dialogue/{clients|users}/{id}/events (the id percent-decoded, segments[2]), signed like the
// Pusher API with the key and secret of the app Dialogue serves (`dialogue_app`; kNone: Dialogue is
// off, every path 404). The same statuses as CheckRestHead.
RestHead CheckDialogueHead(const engine::AppRegistry& apps, uint32_t dialogue_app,
                           std::string_view method, std::string_view path, std::string_view query,
                           int64_t now_s);
inline bool IsDialoguePath(std::string_view path) {
  return path == "/dialogue" || path.starts_with("/dialogue/");
}

// Appends the complete HTTP answer for a refused head: the JSON error {"error","code"}, plus
// an Allow header with 405.
void AppendRestHeadRefusal(std::string* out, const RestHead& head, bool keep_alive);

}  // namespace ringcast::api
