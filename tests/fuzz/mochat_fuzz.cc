// libFuzzer target: MoChat's JSON handlers (apps/mochat/mochat_api.h), which the control plane
// runs on every /api/claw/ body and every Socket.IO subscription event from any client.
//
// World: a MochatApi over a real store::Wal in a temp directory made once (fdatasync skipped).
// Start-up makes three agents, a group session of agents 1 and 2, a panel of agent 1's workspace
// that agent 2 joins by invite, and a spare invite to agent 3's workspace. A fresh store numbers
// them the same way, so the seeds name them: agent_..01/04/07, session_..0a, panel_..0b.
//
// Input: the first byte picks the mode. Bits 0-4: a route (0-21, kRoutes), an unknown route
// (22), a GET of agents/get (23), or a subscription event (24-31: kEvents[bits 0-1] on socket
// key bit 2). Bits 5-6: the X-Claw-Token (none, agent 1's, agent 2's, a dead one: garbage, then
// agent 1's last rotated-out token), or for an event the agent (3, 1, 2, 3). Bit 7: Connection:
// close, or for an event a SocketClosed first. The rest is the body (each "$I" replaced by the
// spare invite's code) or the event's data.
//
// State: each changed call is committed, as the server's group commit would. Every 512 inputs
// the store and MochatApi are reopened over the same files (a restart); every 4096 the directory
// is wiped and the start-up state made again, so memory and the log stay bounded.
//
// Checks (std::abort, naming the line): every answer is complete HTTP ("HTTP/1.1 <3 digits> ", a
// header end, a Content-Length that matches, a JSON object body); an error has
// {"error":{"code","message"}} and a documented status; a change answers 200, and an answer
// without one queued nothing; auth: no token or a dead one answers 401 (selfRegister aside), a
// live agent's token never does; a rotation revokes exactly the old token id and its new token
// authenticates; a call notifies each agent at most once, with a JSON object; a restart keeps
// the agents, messages and tokens; an event's ack is a JSON object with a boolean "success" and
// an error code when false (an unsubscribe fails only on a bad payload).
#include <simdjson.h>
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "apps/mochat/mochat_api.h"
#include "store/wal.h"
#include "util/log.h"

using namespace ringcast;
using apps::mochat::MochatApi;

namespace {

constexpr std::string_view kRoutes[] = {
    "agents/selfRegister",
    "agents/bind",
    "agents/rotateToken",
    "agents/get",
    "users/resolve",
    "sessions/create",
    "sessions/send",
    "sessions/get",
    "sessions/detail",
    "sessions/messages",
    "sessions/list",
    "sessions/addParticipants",
    "sessions/removeParticipants",
    "sessions/close",
    "groups/get",
    "groups/panels/create",
    "groups/panels/modify",
    "groups/panels/delete",
    "groups/panels/send",
    "groups/panels/messages",
    "groups/createInvite",
    "groups/joinByInvite",
};
constexpr size_t kRouteCount = sizeof kRoutes / sizeof kRoutes[0];
static_assert(kRouteCount == 22);
constexpr std::string_view kEvents[] = {"session:subscribe", "session:unsubscribe",
                                        "panel:subscribe", "panel:unsubscribe"};
constexpr int64_t kT0 = 1'800'000'000'000;
constexpr uint64_t kReopenEvery = 512;
constexpr uint64_t kWipeEvery = 4096;

// std::abort with the failed condition and its line, so a finding says which check it broke.
#define MOCHAT_CHECK(cond)                                                            \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "mochat_fuzz.cc:%d: check failed: %s\n", __LINE__, #cond); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (false)

// The disk is not what is fuzzed: no fdatasync.
class NoSyncOps : public store::FileOps {
 public:
  int Fdatasync(int) override { return 0; }
};

struct Answer {
  int status = 0;
  std::string body;
  bool changed = false;
};

// One parser for the whole run (parse(..., true) copies the input into its padded buffer).
simdjson::dom::parser& Parser() {
  static simdjson::dom::parser parser;
  return parser;
}

bool ParseObject(std::string_view json, simdjson::dom::object* out) {
  return Parser().parse(json.data(), json.size(), true).get_object().get(*out) == simdjson::SUCCESS;
}

// Complete HTTP bytes with a JSON object body; *a gets the status and the body.
void CheckHttp(const std::string& response, Answer* a) {
  MOCHAT_CHECK(response.starts_with("HTTP/1.1 ") && response.size() > 13 && response[12] == ' ');
  for (size_t i = 9; i < 12; ++i) MOCHAT_CHECK(response[i] >= '0' && response[i] <= '9');
  a->status = std::atoi(response.c_str() + 9);
  const size_t end = response.find("\r\n\r\n");
  MOCHAT_CHECK(end != std::string::npos);
  a->body = response.substr(end + 4);
  const std::string head = response.substr(0, end + 2);
  const size_t cl = head.find("\r\nContent-Length: ");
  MOCHAT_CHECK(cl != std::string::npos);
  MOCHAT_CHECK(std::strtoull(head.c_str() + cl + 18, nullptr, 10) == a->body.size());
  simdjson::dom::object o;
  MOCHAT_CHECK(ParseObject(a->body, &o));
  if (a->status == 200) return;
  static const std::set<int> kDocumented = {400, 401, 403, 404, 405, 409, 410, 413};
  MOCHAT_CHECK(kDocumented.count(a->status) == 1);
  std::string_view code, message;
  MOCHAT_CHECK(o.at_pointer("/error/code").get_string().get(code) == simdjson::SUCCESS &&
               !code.empty());
  MOCHAT_CHECK(o.at_pointer("/error/message").get_string().get(message) == simdjson::SUCCESS);
}

// A string member of a 200 answer's body ("" when absent).
std::string Member(const std::string& body, std::string_view pointer) {
  simdjson::dom::object o;
  std::string_view s;
  if (!ParseObject(body, &o) || o.at_pointer(pointer).get_string().get(s) != simdjson::SUCCESS) {
    return "";
  }
  return std::string(s);
}

class World {
 public:
  World() {
    util::SetLogLevel(util::LogLevel::kWarn);  // not a line per reopened store
    std::vector<config::AppConfig> a(1);
    a[0].id = "7";
    a[0].key = "key7";
    a[0].secret = "secret7";
    apps_ = std::make_unique<engine::AppRegistry>(std::move(a));
    char tmpl[] = "/tmp/rc_mochat_fuzz_XXXXXX";
    MOCHAT_CHECK(::mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    Fresh();
  }
  ~World() {
    api_.reset();
    wal_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void Run(const uint8_t* data, size_t size) {
    ++inputs_;
    if (inputs_ % kWipeEvery == 0) {
      Fresh();
    } else if (inputs_ % kReopenEvery == 0) {
      Restart();
    }
    now_ms_ += 1000;
    const uint8_t mode = data[0] & 31;
    const uint8_t who = (data[0] >> 5) & 3;
    const bool bit7 = (data[0] & 128) != 0;
    const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (mode >= 24) {
      Event(mode, who, bit7, rest);
      return;
    }
    std::string body(rest);
    for (size_t at = body.find("$I"); at != std::string::npos; at = body.find("$I", at)) {
      body.replace(at, 2, invite_);
      at += invite_.size();
    }
    const std::string_view route = mode < kRouteCount ? kRoutes[mode]
                                   : mode == 22       ? "agents/unknown"
                                                      : "agents/get";
    constexpr int kByChoice[] = {kNoToken, 0, 1, kDeadToken};  // none, agent 1, agent 2, dead
    Rest(route, mode == 23 ? "GET" : "POST", kByChoice[who], !bit7, body);
  }

 private:
  static constexpr int kNoToken = -1;
  static constexpr int kDeadToken = -2;

  // A REST call with the token of agent index `agent` (0-2), none or a dead one; checked.
  Answer Rest(std::string_view route, std::string_view method, int agent, bool keep_alive,
              std::string_view body) {
    const std::string token = agent >= 0            ? tokens_[agent]
                              : agent == kDeadToken ? dead_token_
                                                    : std::string();
    const uint64_t old_token_id = agent >= 0 ? TokenId(agent) : 0;
    std::string response;
    Answer a;
    a.changed = api_->Handle(0, method, "/api/claw/" + std::string(route), token, body, keep_alive,
                             now_ms_, &response);
    CheckHttp(response, &a);
    // The store: a change answers 200 and is committed; anything else queued nothing.
    if (a.changed) {
      MOCHAT_CHECK(a.status == 200);
      MOCHAT_CHECK(wal_->Commit());
    } else {
      MOCHAT_CHECK(wal_->durable());
    }
    // Auth comes before everything else.
    if (route == "agents/selfRegister") {
      MOCHAT_CHECK(a.status != 401);
    } else if (agent >= 0) {
      MOCHAT_CHECK(a.status != 401);
      if (method != "POST") MOCHAT_CHECK(a.status == 405);
      // The body is parsed before the route is looked up.
      if (route == "agents/unknown") MOCHAT_CHECK(a.status == 404 || a.status == 400);
    } else {
      MOCHAT_CHECK(a.status == 401);
    }
    // Revocations: exactly the old token of a rotation that answered 200.
    const std::vector<std::pair<uint32_t, uint64_t>> revoked = api_->TakeRevokedTokens();
    if (route == "agents/rotateToken" && a.status == 200) {
      MOCHAT_CHECK(agent >= 0 && revoked.size() == 1 && revoked[0].first == 0 &&
                   revoked[0].second == old_token_id);
      const std::string fresh = Member(a.body, "/token");
      MOCHAT_CHECK(fresh.size() == 69 && fresh.starts_with("claw_"));
      uint64_t id = 0;
      MOCHAT_CHECK(api_->AgentOfToken(0, fresh, &id) == agents_[agent] && id != old_token_id);
      MOCHAT_CHECK(api_->AgentOfToken(0, tokens_[agent], &id).empty());
      if (agent == 0) dead_token_ = tokens_[0];
      tokens_[agent] = fresh;
    } else {
      MOCHAT_CHECK(revoked.empty());
    }
    // Notifications: only for a change, each agent at most once, a JSON object each.
    const std::vector<apps::mochat::Notification> notes = api_->TakeNotifications();
    MOCHAT_CHECK(notes.empty() || a.changed);
    std::set<std::string> notified;
    for (const apps::mochat::Notification& n : notes) {
      MOCHAT_CHECK(n.app == 0 && (n.event == "notify:session" || n.event == "notify:panel"));
      MOCHAT_CHECK(notified.insert(n.agent_id).second);
      simdjson::dom::object o;
      MOCHAT_CHECK(ParseObject(n.data_json, &o));
    }
    return a;
  }

  // A subscription event on socket key 1 or 2 (mode bit 2) of agent `who` (0 is agent 3).
  void Event(uint8_t mode, uint8_t who, bool close_first, std::string_view data) {
    const std::string_view event = kEvents[mode & 3];
    const uint64_t socket = 1 + ((mode >> 2) & 1) + 2 * who;  // a socket is one agent's
    const std::string& agent = agents_[who == 0 ? 2 : (who - 1) % 3];
    if (close_first) api_->SocketClosed(0, socket);
    const std::string ack = api_->SocketEvent(0, socket, agent, event, data);
    simdjson::dom::object o;
    MOCHAT_CHECK(ParseObject(ack, &o));
    bool success = false;
    MOCHAT_CHECK(o["success"].get_bool().get(success) == simdjson::SUCCESS);
    if (!success) {
      std::string_view code;
      MOCHAT_CHECK(o.at_pointer("/error/code").get_string().get(code) == simdjson::SUCCESS);
      if (event.ends_with(":unsubscribe")) MOCHAT_CHECK(code == "BAD_REQUEST");
    }
    MOCHAT_CHECK(api_->subscriptions(0, socket) <= MochatApi::kMaxSubscriptionsPerSocket + 2);
    MOCHAT_CHECK(api_->TakeNotifications().empty() && api_->TakeRevokedTokens().empty());
    MOCHAT_CHECK(wal_->durable());
  }

  uint64_t TokenId(int agent) const {
    uint64_t id = 0;
    MOCHAT_CHECK(api_->AgentOfToken(0, tokens_[agent], &id) == agents_[agent]);
    return id;
  }

  void Open() {
    api_.reset();
    wal_.reset();
    store::WalOptions o;
    o.dir = dir_;
    o.ops = &ops_;
    std::string error;
    wal_ = store::Wal::Open(o, &error);
    MOCHAT_CHECK(wal_ != nullptr);
    api_ = std::make_unique<MochatApi>(apps_.get(), wal_.get());
  }

  // A restart over the same files: nothing committed is lost.
  void Restart() {
    const size_t agents = api_->agents(0);
    const size_t messages = api_->stored_messages(0);
    Open();
    MOCHAT_CHECK(api_->agents(0) == agents && api_->stored_messages(0) == messages);
    for (int i = 0; i < 3; ++i) (void)TokenId(i);
  }

  // A wiped directory and the start-up state.
  void Fresh() {
    api_.reset();
    wal_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    std::filesystem::create_directories(dir_);
    Open();
    now_ms_ = kT0;
    dead_token_ = "claw_" + std::string(64, '0');
    for (int i = 0; i < 3; ++i) {
      const Answer a = Setup("agents/selfRegister", kNoToken,
                             R"({"name":"agent)" + std::to_string(i + 1) + R"("})");
      agents_[i] = Member(a.body, "/agent/id");
      tokens_[i] = Member(a.body, "/token");
    }
    Setup("sessions/create", 0,
          R"({"type":"group","name":"team","participants":[")" + agents_[1] + R"("]})");
    Setup("groups/panels/create", 0, R"({"name":"general"})");
    const std::string code = Member(Setup("groups/createInvite", 0, "{}").body, "/code");
    MOCHAT_CHECK(!code.empty());
    Setup("groups/joinByInvite", 1, R"({"code":")" + code + R"("})");
    // The spare invite: to agent 3's workspace, which agents 1 and 2 may join.
    invite_ = Member(Setup("groups/createInvite", 2, R"({"maxUses":1000})").body, "/code");
    MOCHAT_CHECK(!invite_.empty());
  }

  // A start-up call by agent index `agent` (or kNoToken) that must succeed.
  Answer Setup(std::string_view route, int agent, const std::string& body) {
    const Answer a = Rest(route, "POST", agent, true, body);
    MOCHAT_CHECK(a.status == 200);
    return a;
  }

  std::string dir_;
  NoSyncOps ops_;
  std::unique_ptr<engine::AppRegistry> apps_;
  std::unique_ptr<store::Wal> wal_;
  std::unique_ptr<MochatApi> api_;
  std::string agents_[3];
  std::string tokens_[3];
  std::string dead_token_;  // garbage, then agent 1's last rotated-out token
  std::string invite_;
  uint64_t inputs_ = 0;
  int64_t now_ms_ = kT0;
};

World& TheWorld() {
  static World* world = [] {
    auto* w = new World();
    std::atexit([] { delete &TheWorld(); });
    return w;
  }();
  return *world;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  TheWorld().Run(data, size);
  return 0;
}
