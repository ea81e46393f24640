// libFuzzer target for what a shard does with an anonymous REST request head before it reads
// the body: api::CheckRestHead (path split and decode, query decode, Pusher signature, app
// state) and Dialogue's CheckDialogueHead, the refusals they write, plus util's UTF-8-safe
// truncation that every echoed name goes through.
//
// Input: byte 0 picks the method and the clock, then method-less "path\0query\0rest" (missing
// parts are empty). Checks: the status is one CheckRestHead documents (0, 400, 401, 403, 404,
// 405); a passing head names the one configured app and the route its path says; a refusal is
// a complete HTTP answer whose JSON body is valid UTF-8; truncations of the rest are valid UTF-8,
// within their limit, and unchanged when valid and short enough. Any violation traps.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/request_head.h"
#include "engine/app_registry.h"
#include "util/utf8_truncate.h"
#include "ws/utf8.h"

namespace {

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

using ringcast::api::RestHead;
using ringcast::api::RestRoute;

const ringcast::engine::AppRegistry& Apps() {
  static const ringcast::engine::AppRegistry apps([] {
    std::vector<ringcast::config::AppConfig> v(2);
    v[0].id = "app-id";
    v[0].key = "app-key";
    v[0].secret = "app-secret";
    v[1].id = "off";
    v[1].key = "off-key";
    v[1].secret = "off-secret";
    v[1].enabled = false;
    return v;
  }());
  return apps;
}

std::string_view NextPart(std::string_view* in) {
  size_t nul = in->find('\0');
  std::string_view part = in->substr(0, nul);
  in->remove_prefix(nul == std::string_view::npos ? in->size() : nul + 1);
  return part;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char* const kMethods[] = {"POST", "GET", "DELETE", "post"};
  std::string_view method = kMethods[data[0] & 3];
  int64_t now_s = (data[0] & 4) ? 1700000000 : 0;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string_view path = NextPart(&in);
  std::string_view query = NextPart(&in);
  std::string_view rest = in;

  RestHead head = ringcast::api::CheckRestHead(Apps(), method, path, query, now_s);
  const int s = head.status;
  FUZZ_CHECK(s == 0 || s == 400 || s == 401 || s == 403 || s == 404 || s == 405);
  if (head.ok()) {
    FUZZ_CHECK(head.app == 0);  // the disabled app never passes
    FUZZ_CHECK(head.segments.size() >= 3 && head.segments[0] == "apps");
    bool events = head.route == RestRoute::kEvents || head.route == RestRoute::kBatchEvents;
    FUZZ_CHECK(events == (method == "POST"));
  } else {
    std::string out;
    ringcast::api::AppendRestHeadRefusal(&out, head, /*keep_alive=*/true);
    FUZZ_CHECK(out.compare(0, 9, "HTTP/1.1 ") == 0);
    size_t body = out.find("\r\n\r\n");
    FUZZ_CHECK(body != std::string::npos);
    FUZZ_CHECK(ringcast::ws::IsValidUtf8(std::string_view(out).substr(body + 4)));
  }

  // Dialogue's REST head (the enabled app serves Dialogue): the same statuses; a passing head
  // is /dialogue/rooms with a route its length says and a room id when it names one, or a
  // direct send's POST /dialogue/{clients|users}/{id}/events.
  RestHead d = ringcast::api::CheckDialogueHead(Apps(), 0, method, path, query, now_s);
  FUZZ_CHECK(d.status == 0 || d.status == 400 || d.status == 401 || d.status == 404 ||
             d.status == 405);
  if (d.ok()) {
    FUZZ_CHECK(d.app == 0 && d.segments.size() >= 2 && d.segments.size() <= 4);
    FUZZ_CHECK(d.segments[0] == "dialogue");
    if (d.segments[1] != "rooms") {
      FUZZ_CHECK(d.segments.size() == 4 && d.segments[3] == "events" && method == "POST");
      FUZZ_CHECK(d.route == (d.segments[1] == "users" ? RestRoute::kDialogueUserEvents
                                                      : RestRoute::kDialogueClientEvents));
    }
    if (d.segments.size() >= 3) FUZZ_CHECK(!d.segments[2].empty());
  } else {
    std::string out;
    ringcast::api::AppendRestHeadRefusal(&out, d, /*keep_alive=*/false);
    FUZZ_CHECK(out.compare(0, 9, "HTTP/1.1 ") == 0);
  }

  for (size_t limit : {size_t{0}, size_t{1}, size_t{3}, size_t{16}, rest.size()}) {
    std::string cut = ringcast::util::Utf8Truncate(rest, limit);
    FUZZ_CHECK(cut.size() <= limit);
    FUZZ_CHECK(ringcast::ws::IsValidUtf8(cut));
    if (rest.size() <= limit && ringcast::ws::IsValidUtf8(rest)) FUZZ_CHECK(cut == rest);
    std::string_view prefix = ringcast::util::Utf8Prefix(rest, limit);
    FUZZ_CHECK(prefix.size() <= limit && prefix.size() + 3 >= std::min(limit, rest.size()));
  }
  return 0;
}
