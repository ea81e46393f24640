// MochatApi: messages (stored, paged, pruned), socket subscriptions and who each new message
// notifies. The rule (docs/protocols/mochat.md, "Notifications"): a new message notifies each
// agent of its audience (the session's participants, the panel's group members) that has a
// socket subscribed to it (by id or "*") or that it mentions (the sender's own mention does not
// count), exactly once per agent; the sender like any other subscriber.
#include <algorithm>

#include "apps/mochat/mentions.h"
#include "apps/mochat/mochat_api.h"
#include "auth/crypto.h"
#include "store/wal.h"
#include "util/ascii.h"
#include "util/clock.h"
#include "util/json_writer.h"

namespace ringcast::apps::mochat {

using Field = RequestBody::Field;

bool MochatApi::AddMessage(Call& c, std::string_view conversation, std::string_view group_id,
                           const std::vector<std::string>& audience, std::string* json) {
  AppState& st = *c.st;
  std::string_view content, reply_to;
  if (body_.StrAny({"content", "text"}, &content) != Field::kOk || content.empty()) {
    return Fail(c, 400, "BAD_REQUEST", "content is required and must be a non-empty string");
  }
  if (content.size() > kMaxContentBytes) {
    return Fail(c, 413, "PAYLOAD_TOO_LARGE",
                "content is larger than " + std::to_string(kMaxContentBytes) + " bytes");
  }
  if (!OptionalText(c, "replyTo", kMaxIdBytes, &reply_to)) return false;
  std::vector<std::string> named;
  if (body_.Ids("mentions", kMaxMentions, &named) == Field::kBad) {
    return Fail(
        c, 400, "BAD_REQUEST",
        "mentions must be an array of at most " + std::to_string(kMaxMentions) + " agent ids");
  }
  // Mentions resolve among the audience only: explicit ids, then @tokens of the text.
  std::vector<std::string> mentions;
  const auto add = [&mentions](const std::string& id) {
    if (mentions.size() < kMaxMentions &&
        std::find(mentions.begin(), mentions.end(), id) == mentions.end()) {
      mentions.push_back(id);
    }
  };
  for (const std::string& id : named) {
    if (std::find(audience.begin(), audience.end(), id) != audience.end()) add(id);
  }
  for (std::string_view token : MentionTokens(content, kMaxMentions)) {
    for (const std::string& who : audience) {
      auto a = st.agents.find(who);
      if (who == token || (a != st.agents.end() && util::EqualsIgnoreCase(a->second.name, token))) {
        add(who);
      }
    }
  }
  uint64_t n = 0;
  if (!TakeNumbers(c, 1, &n)) return false;
  const std::string id = MakeId("msg", n);
  const bool panel = !group_id.empty();
  json->clear();
  {
    util::JsonObject o(json);
    o.Str("id", id).Str("messageId", id);
    if (panel) {
      o.Str("panelId", conversation).Str("groupId", group_id);
    } else {
      o.Str("sessionId", conversation);
    }
    o.Str("senderId", c.me->id).Str("content", content);
    AppendStringArray(o.Key("mentions"), mentions);
    if (!reply_to.empty()) o.Str("replyTo", reply_to);
    o.Str("createdAt", util::IsoTimeMs(c.now_ms));  // last: LastMessageAt relies on it
    o.Close();
  }
  // Past the bounds the oldest goes: this conversation's, then the app's.
  const std::string prefix = ConversationPrefix(st.prefix, conversation);
  auto count = st.conversation_messages.find(std::string(conversation));
  if (count != st.conversation_messages.end() && count->second >= kMaxMessagesPerConversation) {
    auto oldest = wal_->live().lower_bound(prefix);
    if (oldest != wal_->live().end() && oldest->first.compare(0, prefix.size(), prefix) == 0 &&
        !EraseMessage(c, std::string(oldest->first))) {
      return false;
    }
  }
  if (st.messages.size() >= kMaxMessagesPerApp &&
      !EraseMessage(c, std::string(st.messages.begin()->second))) {
    return false;
  }
  const std::string key = prefix + id;
  if (!Put(c, key, *json)) return false;
  ++st.conversation_messages[std::string(conversation)];
  st.messages[n] = key;

  std::string data;
  {
    util::JsonObject o(&data);
    if (panel) {
      o.Str("panelId", conversation).Str("groupId", group_id);
    } else {
      o.Str("sessionId", conversation);
    }
    o.Raw("message", *json);
    util::JsonObject(o.Key("sender")).Str("id", c.me->id).Str("name", c.me->name).Close();
    o.Close();
  }
  for (const std::string& who : audience) {
    const bool mentioned =
        who != c.me->id && std::find(mentions.begin(), mentions.end(), who) != mentions.end();
    if (mentioned || Subscribed(st, who, panel, conversation)) {
      notifications_.push_back({c.app, who, panel ? "notify:panel" : "notify:session", data});
    }
  }
  return true;
}

bool MochatApi::EraseMessage(Call& c, const std::string& key) {
  AppState& st = *c.st;
  // prefix + "m" + conversation + "\0" + message id
  const std::string_view rest = std::string_view(key).substr(st.prefix.size() + 1);
  const size_t nul = rest.find('\0');
  uint64_t n = 0;
  if (nul != std::string_view::npos) (void)ParseId("msg", rest.substr(nul + 1), &n);
  if (!Delete(c, key)) return false;
  st.messages.erase(n);
  auto count = st.conversation_messages.find(std::string(rest.substr(0, nul)));
  if (count != st.conversation_messages.end() && --count->second == 0) {
    st.conversation_messages.erase(count);
  }
  return true;
}

bool MochatApi::Page(Call& c, std::string_view conversation, std::string_view head) {
  int64_t limit = 0;
  if (!PageLimit(c, &limit)) return false;
  std::string_view cursor;
  uint64_t n = 0;
  const Field f = body_.StrAny({"cursor", "beforeMessageId"}, &cursor);
  if (f == Field::kBad || (!cursor.empty() && !ParseId("msg", cursor, &n))) {
    return Fail(c, 400, "BAD_REQUEST", "cursor must be a message id (a page's nextCursor)");
  }
  const std::string prefix = ConversationPrefix(c.st->prefix, conversation);
  const auto& live = wal_->live();
  // Newest first, strictly older than the cursor.
  auto it = live.lower_bound(cursor.empty() ? prefix + "\xff" : prefix + std::string(cursor));
  std::string body = "{";
  body.append(head);
  if (!head.empty()) body.push_back(',');
  body += "\"messages\":[";
  int64_t k = 0;
  std::string_view last;
  bool more = false;
  while (it != live.begin()) {
    --it;
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    if (k == limit) {
      more = true;
      break;
    }
    if (k++ > 0) body.push_back(',');
    body.append(it->second);
    last = std::string_view(it->first).substr(prefix.size());
  }
  body += "],\"nextCursor\":";
  if (more) {
    util::AppendJsonString(&body, last);
  } else {
    body += "null";
  }
  body.push_back('}');
  Reply(c, body);
  return false;
}

std::string MochatApi::LastMessageAt(const AppState& st, std::string_view conversation) const {
  const std::string prefix = ConversationPrefix(st.prefix, conversation);
  auto it = wal_->live().lower_bound(prefix + "\xff");
  if (it == wal_->live().begin() || (--it)->first.compare(0, prefix.size(), prefix) != 0) {
    return "";
  }
  // Our own JSON, createdAt its last member (an escaped quote inside content cannot match).
  const std::string_view v(it->second);
  constexpr std::string_view kKey = "\"createdAt\":\"";
  const size_t at = v.rfind(kKey);
  if (at == std::string_view::npos) return "";
  const size_t from = at + kKey.size();
  return std::string(v.substr(from, v.find('"', from) - from));
}

// ---- sockets ----

uint32_t MochatApi::AppOfToken(std::string_view token, std::string* agent,
                               uint64_t* token_id) const {
  if (token.empty()) return engine::AppRegistry::kNone;
  const std::string hash = auth::Sha256Hex(token);
  for (uint32_t i = 0; i < apps_state_.size(); ++i) {
    auto it = apps_state_[i].by_token.find(hash);
    if (it == apps_state_[i].by_token.end()) continue;
    if (agent != nullptr) *agent = it->second;
    if (token_id != nullptr) *token_id = apps_state_[i].agents.at(it->second).token_id;
    return i;
  }
  return engine::AppRegistry::kNone;
}

std::string MochatApi::AgentOfToken(uint32_t app, std::string_view token,
                                    uint64_t* token_id) const {
  if (app >= apps_state_.size() || token.empty()) return "";
  const AppState& st = apps_state_[app];
  auto it = st.by_token.find(auth::Sha256Hex(token));
  if (it == st.by_token.end()) return "";
  const Agent& a = st.agents.at(it->second);
  *token_id = a.token_id;
  return a.id;
}

bool MochatApi::Subscribed(const AppState& st, std::string_view agent, bool panel,
                           std::string_view id) const {
  auto mine = st.agent_sockets.find(std::string(agent));
  if (mine == st.agent_sockets.end()) return false;
  for (uint64_t socket : mine->second) {
    const SocketSubs& s = st.sockets.at(socket);
    if (panel ? s.all_panels : s.all_sessions) return true;
    const std::vector<std::string>& ids = panel ? s.panels : s.sessions;
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) return true;
  }
  return false;
}

bool MochatApi::Subscribe(uint32_t app, uint64_t socket, std::string_view agent_id, bool panel,
                          std::string_view id) {
  if (app >= apps_state_.size() || id.empty()) return false;
  AppState& st = apps_state_[app];
  if (st.agents.count(std::string(agent_id)) == 0) return false;
  if (id != "*") {
    if (panel) {
      auto p = st.panels.find(std::string(id));
      if (p == st.panels.end()) return false;
      auto g = st.groups.find(p->second.group_id);
      if (g == st.groups.end() || !g->second.Has(agent_id)) return false;
    } else {
      auto s = st.sessions.find(std::string(id));
      if (s == st.sessions.end() || !s->second.Has(agent_id)) return false;
    }
  }
  auto it = st.sockets.find(socket);
  if (it == st.sockets.end()) {
    if (st.sockets.size() >= kMaxSocketsPerApp) return false;
    it = st.sockets.emplace(socket, SocketSubs()).first;
    it->second.agent = std::string(agent_id);
    st.agent_sockets[it->second.agent].push_back(socket);
  } else if (it->second.agent != agent_id) {
    return false;  // a socket is one agent's for its life
  }
  SocketSubs& s = it->second;
  if (id == "*") {
    (panel ? s.all_panels : s.all_sessions) = true;
    return true;
  }
  std::vector<std::string>& ids = panel ? s.panels : s.sessions;
  if (std::find(ids.begin(), ids.end(), id) != ids.end()) return true;
  if (s.sessions.size() + s.panels.size() >= kMaxSubscriptionsPerSocket) return false;
  ids.emplace_back(id);
  return true;
}

void MochatApi::Unsubscribe(uint32_t app, uint64_t socket, bool panel, std::string_view id) {
  if (app >= apps_state_.size()) return;
  auto it = apps_state_[app].sockets.find(socket);
  if (it == apps_state_[app].sockets.end()) return;
  SocketSubs& s = it->second;
  if (id == "*") {
    (panel ? s.all_panels : s.all_sessions) = false;
    return;
  }
  std::vector<std::string>& ids = panel ? s.panels : s.sessions;
  ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
}

void MochatApi::SocketClosed(uint32_t app, uint64_t socket) {
  if (app < apps_state_.size()) Forget(apps_state_[app], socket);
}

void MochatApi::Forget(AppState& st, uint64_t socket) {
  auto it = st.sockets.find(socket);
  if (it == st.sockets.end()) return;
  auto mine = st.agent_sockets.find(it->second.agent);
  if (mine != st.agent_sockets.end()) {
    std::vector<uint64_t>& v = mine->second;
    v.erase(std::remove(v.begin(), v.end(), socket), v.end());
    if (v.empty()) st.agent_sockets.erase(mine);
  }
  st.sockets.erase(it);
}

void MochatApi::DropSubscriptions(AppState& st, std::string_view agent, bool panel,
                                  std::string_view id) {
  const auto drop = [panel, id](SocketSubs& s) {
    std::vector<std::string>& ids = panel ? s.panels : s.sessions;
    ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
  };
  if (agent.empty()) {
    for (auto& [socket, s] : st.sockets) drop(s);
    return;
  }
  auto mine = st.agent_sockets.find(std::string(agent));
  if (mine == st.agent_sockets.end()) return;
  for (uint64_t socket : mine->second) drop(st.sockets.at(socket));
}

size_t MochatApi::subscriptions(uint32_t app, uint64_t socket) const {
  if (app >= apps_state_.size()) return 0;
  auto it = apps_state_[app].sockets.find(socket);
  if (it == apps_state_[app].sockets.end()) return 0;
  const SocketSubs& s = it->second;
  return s.sessions.size() + s.panels.size() + (s.all_sessions ? 1 : 0) + (s.all_panels ? 1 : 0);
}

std::string MochatApi::SocketEvent(uint32_t app, uint64_t socket, std::string_view agent_id,
                                   std::string_view event, std::string_view data_json) {
  bool panel = false;
  bool subscribe = false;
  if (event == "session:subscribe") {
    subscribe = true;
  } else if (event == "panel:subscribe") {
    subscribe = panel = true;
  } else if (event == "panel:unsubscribe") {
    panel = true;
  } else if (event != "session:unsubscribe") {
    return "";
  }
  const std::string_view field = panel ? "panelId" : "sessionId";
  // The payload: {"sessionId": id} ({"panelId"}, {"id"}) or the bare id string.
  const size_t start = data_json.find_first_not_of(" \t\r\n");
  std::string wrapped;
  if (start != std::string_view::npos && data_json[start] == '"') {
    wrapped = "{\"id\":" + std::string(data_json) + "}";
    data_json = wrapped;
  }
  std::string_view id;
  std::string ack;
  util::JsonObject o(&ack);
  if (body_.Parse(data_json) != nullptr || body_.StrAny({field, "id"}, &id) != Field::kOk ||
      id.empty()) {
    o.Bool("success", false);
    util::JsonObject(o.Key("error"))
        .Str("code", "BAD_REQUEST")
        .Str("message", std::string(field) + " is required")
        .Close();
    o.Close();
    return ack;
  }
  bool ok = true;
  if (subscribe) {
    ok = Subscribe(app, socket, agent_id, panel, id);
  } else {
    Unsubscribe(app, socket, panel, id);
  }
  o.Bool("success", ok).Str(field, id);
  if (!ok) {
    util::JsonObject(o.Key("error"))
        .Str("code", "FORBIDDEN")
        .Str("message", panel ? "Not a panel of a group this agent belongs to (or too many "
                                "subscriptions)"
                              : "Not a session this agent takes part in (or too many "
                                "subscriptions)")
        .Close();
  }
  o.Close();
  return ack;
}

}  // namespace ringcast::apps::mochat
