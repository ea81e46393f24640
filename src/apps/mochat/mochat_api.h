// MochatApi: MoChat's control-plane logic (docs/protocols/mochat.md): the REST routes under
// /api/claw/, the Socket.IO subscriptions, and which agents each new message notifies.
//
// Owns: per configured app (every app, no config needed), the in-memory indexes of its agents,
// sessions, workspaces ("groups"), panels, invites and message counts, rebuilt at construction
// from the store's live map (so a new MochatApi over a reopened Wal recovers everything), and the
// subscriptions of the sockets the server reports. The records themselves live in the store
// (mochat_records.h has the key layout); every mutation is a Put or Delete queued for the
// turn's group commit, made before the answer is written.
// Thread rules: the control-plane thread only. Pure logic: no sockets, no threads, no clock
// (callers pass wall-clock ms).
// What the server does with the results (the order matters):
//  - Handle true: the store changed; answer only after the commit (a 2xx means durable).
//  - TakeRevokedTokens after each call: close every socket authenticated by those token ids
//    (rotateToken), before delivering this call's notifications.
//  - TakeNotifications after the commit: each is one Socket.IO event for every socket of one
//    agent. Never two for the same agent and message.
//  - SocketClosed for every socket that Subscribe saw, when it closes.
// Invariants: every key written starts with "M<app id>\0"; every collection has a bound (the
// constants below) with a defined answer when full; tokens are kept only as SHA-256 hex.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "apps/mochat/mochat_records.h"
#include "apps/mochat/request_body.h"
#include "engine/app_registry.h"

namespace ringcast::store {
class Wal;
}  // namespace ringcast::store

namespace ringcast::apps::mochat {

// One Socket.IO event for every socket of one agent.
struct Notification {
  uint32_t app = 0;
  std::string agent_id;
  std::string event;  // "notify:session" or "notify:panel"
  std::string data_json;
};

class MochatApi {
 public:
  // Bounds (docs/protocols/mochat.md, "Bounds"). Past a count: 409 LIMIT_REACHED; past a size:
  // 413 PAYLOAD_TOO_LARGE; messages past a count are pruned oldest first instead.
  static constexpr size_t kMaxAgentsPerApp = 10000;
  static constexpr size_t kMaxSessionsPerApp = 10000;
  static constexpr size_t kMaxParticipants = 100;
  static constexpr size_t kMaxMessagesPerConversation = 1000;  // per session or panel
  static constexpr size_t kMaxMessagesPerApp = 100000;
  static constexpr size_t kMaxContentBytes = 4096;
  static constexpr size_t kMaxNameBytes = 100;
  static constexpr size_t kMaxDescriptionBytes = 1000;
  static constexpr size_t kMaxMetadataBytes = 4096;
  static constexpr size_t kMaxIdBytes = 64;
  static constexpr int64_t kDefaultPage = 20;
  static constexpr int64_t kMaxPage = 100;
  static constexpr size_t kMaxMentions = 20;
  static constexpr size_t kMaxResolveIds = 100;
  static constexpr size_t kMaxMembersPerGroup = 1000;
  static constexpr size_t kMaxPanelsPerGroup = 100;
  static constexpr size_t kMaxInvitesPerGroup = 20;
  static constexpr int64_t kDefaultInviteUses = 10;
  static constexpr int64_t kMaxInviteUses = 1000;
  static constexpr int64_t kDefaultInviteTtlS = 7 * 86400;
  static constexpr int64_t kMaxInviteTtlS = 30 * 86400;
  static constexpr size_t kMaxSubscriptionsPerSocket = 200;
  static constexpr size_t kMaxSocketsPerApp = 200000;

  // `wal` may be null (no --data-dir): every call then answers 503.
  MochatApi(const engine::AppRegistry* apps, store::Wal* wal);

  static bool Matches(std::string_view path) { return path.substr(0, 10) == "/api/claw/"; }

  // One REST call for app index `app`: `claw_token` is the X-Claw-Token header ("" if absent),
  // `body` the raw body. Fills *response with complete HTTP bytes. True when it changed the
  // store (answer after the commit).
  bool Handle(uint32_t app, std::string_view method, std::string_view path,
              std::string_view claw_token, std::string_view body, bool keep_alive, int64_t now_ms,
              std::string* response);

  // The app whose agent holds `token` (kNone: none), for a server that cannot tell the app
  // from the request itself.
  // With `agent` (and `token_id`): also the agent and its token's id, from the same lookup.
  uint32_t AppOfToken(std::string_view token, std::string* agent = nullptr,
                      uint64_t* token_id = nullptr) const;
  // Socket handshake ({token: "claw_..."}): the agent `token` authenticates ("" = refuse) and
  // the token's id (*token_id), which TakeRevokedTokens names when it is rotated out.
  std::string AgentOfToken(uint32_t app, std::string_view token, uint64_t* token_id) const;

  // session:subscribe / panel:subscribe of socket `socket` (an opaque key the server gives,
  // unique while the socket lives) of agent `agent_id`: true = allowed and remembered. `id`
  // "*" subscribes to every session (panel) the agent may see, now or later.
  bool Subscribe(uint32_t app, uint64_t socket, std::string_view agent_id, bool panel,
                 std::string_view id);
  void Unsubscribe(uint32_t app, uint64_t socket, bool panel, std::string_view id);
  void SocketClosed(uint32_t app, uint64_t socket);
  // The same four events with their Socket.IO payload ({"sessionId": "..."}, {"panelId":
  // "..."} or the bare id string): the ack's JSON ({"success":true,...} or {"success":false,
  // "error":{...}}), or "" when `event` is not one of them.
  std::string SocketEvent(uint32_t app, uint64_t socket, std::string_view agent_id,
                          std::string_view event, std::string_view data_json);

  // What the calls since the last take produced.
  std::vector<Notification> TakeNotifications() { return std::move(notifications_); }
  std::vector<std::pair<uint32_t, uint64_t>> TakeRevokedTokens() { return std::move(revoked_); }

  // For tests and metrics.
  size_t agents(uint32_t app) const { return apps_state_[app].agents.size(); }
  size_t stored_messages(uint32_t app) const { return apps_state_[app].messages.size(); }
  size_t subscriptions(uint32_t app, uint64_t socket) const;

 private:
  struct SocketSubs {
    std::string agent;
    bool all_sessions = false;
    bool all_panels = false;
    std::vector<std::string> sessions;
    std::vector<std::string> panels;
  };
  struct AppState {
    std::string prefix;  // "M<app id>\0"
    uint64_t last_id = 0;
    std::unordered_map<std::string, Agent> agents;
    std::unordered_map<std::string, std::string> by_token;  // token SHA-256 hex -> agent id
    std::map<std::string, Session> sessions;                // ids sort by age
    std::unordered_map<std::string, std::set<std::string>> agent_sessions;
    std::unordered_map<std::string, Group> groups;
    std::unordered_map<std::string, std::set<std::string>> agent_groups;  // member of
    std::unordered_map<std::string, Panel> panels;
    std::unordered_map<std::string, Invite> invites;
    std::unordered_map<std::string, std::vector<std::string>> group_invites;  // group -> codes
    std::unordered_map<std::string, size_t> conversation_messages;  // session/panel -> stored
    std::map<uint64_t, std::string> messages;  // message number -> key: the app's, by age
    std::unordered_map<uint64_t, SocketSubs> sockets;
    std::unordered_map<std::string, std::vector<uint64_t>> agent_sockets;
  };
  // One REST call being handled.
  struct Call {
    uint32_t app = 0;
    AppState* st = nullptr;
    const Agent* me = nullptr;  // null only for selfRegister
    int64_t now_ms = 0;
    bool keep_alive = true;
    std::string* response = nullptr;
  };

  void Recover(uint32_t app);
  bool Route(Call& c, std::string_view route);

  // Answers. Fail and ReadOnly return false (nothing to wait for) so routes can return them.
  static void Reply(Call& c, std::string_view json);
  static bool Fail(Call& c, int status, std::string_view code, std::string_view message);
  static bool ReadOnly(Call& c);
  bool Put(Call& c, const std::string& key, const std::string& value);
  bool Delete(Call& c, const std::string& key);
  // Reserves `n` numbers from the app's counter (its record queued first): *first .. + n - 1.
  // False: the store is read-only (answered).
  bool TakeNumbers(Call& c, uint64_t n, uint64_t* first);
  // A new id of `kind`; false: the store is read-only (answered).
  bool NewId(Call& c, std::string_view kind, std::string* id);
  // Reads an optional bounded string field; false with the answer written when it is bad.
  bool OptionalText(Call& c, std::string_view key, size_t max, std::string_view* out);

  // The body's "limit" (default kDefaultPage, at most kMaxPage); false with the answer
  // written when it is not a positive integer.
  bool PageLimit(Call& c, int64_t* limit);

  // Agents and users (mochat_api.cc).
  bool SelfRegister(Call& c);
  bool Bind(Call& c);
  bool RotateToken(Call& c);
  bool GetAgent(Call& c);
  bool ResolveUsers(Call& c);
  // Sessions (mochat_sessions.cc).
  bool CreateSession(Call& c);
  bool SendSession(Call& c);
  bool GetSession(Call& c, bool detail);
  bool SessionMessages(Call& c);
  bool ListSessions(Call& c);
  bool AddParticipants(Call& c);
  bool RemoveParticipants(Call& c);
  bool CloseSession(Call& c);
  // The caller's session named by "sessionId"; null with the answer written (400/404/403).
  Session* FindSession(Call& c);
  // add/removeParticipants' common checks: the body's "participants" (1 to kMaxParticipants
  // ids) into *ids, and not a DM; false with the answer written.
  bool ParticipantChange(Call& c, const Session& s, std::vector<std::string>* ids);
  // Workspaces, panels, invites (mochat_groups.cc).
  bool GetGroup(Call& c);
  bool SendPanel(Call& c);
  bool PanelMessages(Call& c);
  bool CreatePanel(Call& c);
  bool ModifyPanel(Call& c);
  bool DeletePanel(Call& c);
  bool CreateInvite(Call& c);
  bool JoinByInvite(Call& c);
  // The group named by "groupId" (default: the caller's home) that the caller belongs to.
  Group* FindGroup(Call& c);
  Panel* FindPanel(Call& c);
  void AppendGroupWithPanels(const AppState& st, const Group& g, std::string* out) const;

  // Messages and notifications (mochat_messages.cc). A new message from the caller in
  // `conversation` (a session id, or a panel id with its `group_id`), seen by `audience`:
  // stored (pruning the oldest past the bounds), appended to *json, and notified.
  bool AddMessage(Call& c, std::string_view conversation, std::string_view group_id,
                  const std::vector<std::string>& audience, std::string* json);
  // One page of `conversation` newest first (body "limit", "cursor"/"beforeMessageId"), as
  // {<head>,"messages":[...],"nextCursor":...}; `head` is the members before it, "" for none.
  bool Page(Call& c, std::string_view conversation, std::string_view head);
  bool EraseMessage(Call& c, const std::string& key);
  std::string LastMessageAt(const AppState& st, std::string_view conversation) const;
  bool Subscribed(const AppState& st, std::string_view agent, bool panel,
                  std::string_view id) const;
  // Forgets every subscription of `agent`'s sockets to one session or panel (agent "": every
  // agent's).
  void DropSubscriptions(AppState& st, std::string_view agent, bool panel, std::string_view id);
  void Forget(AppState& st, uint64_t socket);

  const engine::AppRegistry* apps_;
  store::Wal* wal_;
  std::vector<AppState> apps_state_;  // per app index
  RequestBody body_;
  std::vector<Notification> notifications_;
  std::vector<std::pair<uint32_t, uint64_t>> revoked_;
};

}  // namespace ringcast::apps::mochat
