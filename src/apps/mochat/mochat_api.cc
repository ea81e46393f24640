// MochatApi: construction and recovery, the call's frame (auth, routing, answers, store
// writes), agents and users. Sessions, groups and messages are in mochat_sessions.cc,
// mochat_groups.cc and mochat_messages.cc. See mochat_api.h for the contract.
#include "apps/mochat/mochat_api.h"

#include <algorithm>
#include <charconv>

#include "auth/crypto.h"
#include "http/response.h"
#include "store/wal.h"
#include "util/json_writer.h"
#include "util/log.h"

namespace ringcast::apps::mochat {
namespace {

using Field = RequestBody::Field;

constexpr std::string_view kRoutePrefix = "/api/claw/";

// "claw_" + 32 random bytes as hex.
std::string NewToken() {
  uint8_t raw[32];
  auth::RandomBytes(raw, sizeof raw);
  return "claw_" + auth::HexLower(raw, sizeof raw);
}

}  // namespace

MochatApi::MochatApi(const engine::AppRegistry* apps, store::Wal* wal)
    : apps_(apps), wal_(wal), apps_state_(apps->size()) {
  for (uint32_t i = 0; i < apps->size(); ++i) {
    apps_state_[i].prefix = AppPrefix(apps->app(i).id);
    if (wal_ != nullptr) Recover(i);
  }
}

void MochatApi::Recover(uint32_t app) {
  AppState& st = apps_state_[app];
  const std::string& p = st.prefix;
  size_t bad = 0;
  const auto max_id = [&st](std::string_view kind, std::string_view id) {
    uint64_t n = 0;
    if (ParseId(kind, id, &n)) st.last_id = std::max(st.last_id, n);
  };
  for (auto it = wal_->live().lower_bound(p);
       it != wal_->live().end() && it->first.compare(0, p.size(), p) == 0; ++it) {
    const std::string_view key(it->first);
    if (key.size() <= p.size()) continue;
    const char kind = key[p.size()];
    const std::string_view rest = key.substr(p.size() + 1);
    const std::string_view value(it->second);
    if (kind == kCounterKind) {
      uint64_t n = 0;
      (void)std::from_chars(value.data(), value.data() + value.size(), n);
      st.last_id = std::max(st.last_id, n);
    } else if (kind == kAgentKind) {
      Agent a;
      if (!DecodeAgent(value, &a)) {
        ++bad;
        continue;
      }
      max_id("agent", a.id);
      st.last_id = std::max(st.last_id, a.token_id);
      st.by_token[a.token_hash] = a.id;
      st.agents[a.id] = std::move(a);
    } else if (kind == kSessionKind) {
      Session s;
      if (!DecodeSession(value, &s)) {
        ++bad;
        continue;
      }
      max_id("session", s.id);
      for (const std::string& who : s.participants) st.agent_sessions[who].insert(s.id);
      st.sessions[s.id] = std::move(s);
    } else if (kind == kGroupKind) {
      Group g;
      if (!DecodeGroup(value, &g)) {
        ++bad;
        continue;
      }
      max_id("group", g.id);
      for (const std::string& who : g.members) st.agent_groups[who].insert(g.id);
      st.groups[g.id] = std::move(g);
    } else if (kind == kPanelKind) {
      Panel pn;
      if (!DecodePanel(value, &pn)) {
        ++bad;
        continue;
      }
      max_id("panel", pn.id);
      st.panels[pn.id] = std::move(pn);
    } else if (kind == kInviteKind) {
      Invite inv;
      if (!DecodeInvite(value, &inv)) {
        ++bad;
        continue;
      }
      st.group_invites[inv.group_id].push_back(inv.code);
      st.invites[inv.code] = std::move(inv);
    } else if (kind == kMessageKind) {
      const size_t nul = rest.find('\0');
      uint64_t n = 0;
      if (nul == std::string_view::npos || !ParseId("msg", rest.substr(nul + 1), &n)) {
        ++bad;
        continue;
      }
      st.last_id = std::max(st.last_id, n);
      ++st.conversation_messages[std::string(rest.substr(0, nul))];
      st.messages[n] = std::string(key);
    }
  }
  // Panels join their groups in id order (the map above is unordered).
  std::vector<const Panel*> panels;
  for (const auto& [id, pn] : st.panels) panels.push_back(&pn);
  std::sort(panels.begin(), panels.end(),
            [](const Panel* a, const Panel* b) { return a->id < b->id; });
  for (const Panel* pn : panels) {
    auto g = st.groups.find(pn->group_id);
    if (g != st.groups.end()) g->second.panels.push_back(pn->id);
  }
  if (bad > 0) {
    RC_WARN("mochat: app %s: %zu malformed store records skipped", apps_->app(app).id.c_str(), bad);
  }
}

// ---- the call's frame ----

bool MochatApi::Handle(uint32_t app, std::string_view method, std::string_view path,
                       std::string_view claw_token, std::string_view body, bool keep_alive,
                       int64_t now_ms, std::string* response) {
  response->clear();
  Call c;
  c.app = app;
  c.now_ms = now_ms;
  c.keep_alive = keep_alive;
  c.response = response;
  if (app >= apps_state_.size()) return Fail(c, 404, "NOT_FOUND", "No such app");
  c.st = &apps_state_[app];
  if (wal_ == nullptr) {
    return Fail(c, 503, "STORE_UNAVAILABLE", "MoChat needs the store (--data-dir)");
  }
  if (wal_->poisoned()) return ReadOnly(c);
  std::string_view route = path.substr(0, path.find('?'));
  if (!Matches(route)) return Fail(c, 404, "NOT_FOUND", "Not a MoChat route");
  route.remove_prefix(kRoutePrefix.size());
  // Auth first (an unauthenticated client learns nothing about routes); only selfRegister is
  // open.
  if (route != "agents/selfRegister") {
    if (claw_token.empty()) return Fail(c, 401, "UNAUTHORIZED", "Missing X-Claw-Token header");
    auto it = c.st->by_token.find(auth::Sha256Hex(claw_token));
    if (it == c.st->by_token.end()) {
      return Fail(c, 401, "UNAUTHORIZED", "Unknown or rotated X-Claw-Token");
    }
    c.me = &c.st->agents.at(it->second);
  }
  if (method != "POST") {
    return Fail(c, 405, "METHOD_NOT_ALLOWED", "MoChat routes take POST with a JSON body");
  }
  if (const char* error = body_.Parse(body)) return Fail(c, 400, "BAD_REQUEST", error);
  return Route(c, route);
}

bool MochatApi::Route(Call& c, std::string_view r) {
  if (r == "agents/selfRegister") return SelfRegister(c);
  if (r == "agents/bind") return Bind(c);
  if (r == "agents/rotateToken") return RotateToken(c);
  if (r == "agents/get") return GetAgent(c);
  if (r == "sessions/create") return CreateSession(c);
  if (r == "sessions/send") return SendSession(c);
  if (r == "sessions/get") return GetSession(c, false);
  if (r == "sessions/detail") return GetSession(c, true);
  if (r == "sessions/messages") return SessionMessages(c);
  if (r == "sessions/list") return ListSessions(c);
  if (r == "sessions/addParticipants") return AddParticipants(c);
  if (r == "sessions/removeParticipants") return RemoveParticipants(c);
  if (r == "sessions/close") return CloseSession(c);
  if (r == "groups/get") return GetGroup(c);
  if (r == "groups/panels/send") return SendPanel(c);
  if (r == "groups/panels/messages") return PanelMessages(c);
  if (r == "groups/panels/create") return CreatePanel(c);
  if (r == "groups/panels/modify") return ModifyPanel(c);
  if (r == "groups/panels/delete") return DeletePanel(c);
  if (r == "groups/createInvite") return CreateInvite(c);
  if (r == "groups/joinByInvite") return JoinByInvite(c);
  if (r == "users/resolve") return ResolveUsers(c);
  return Fail(c, 404, "NOT_FOUND", "No such MoChat route");
}

void MochatApi::Reply(Call& c, std::string_view json) {
  c.response->clear();
  http::AppendResponse(c.response, 200, "application/json", json, c.keep_alive);
}

bool MochatApi::Fail(Call& c, int status, std::string_view code, std::string_view message) {
  std::string body = "{\"error\":";
  util::JsonObject(&body).Str("code", code).Str("message", message).Close();
  body.push_back('}');
  c.response->clear();
  http::AppendResponse(c.response, status, "application/json", body, c.keep_alive);
  return false;
}

bool MochatApi::ReadOnly(Call& c) {
  return Fail(c, 503, "STORE_READ_ONLY",
              "The store is read-only after a failed write or sync; restart the server");
}

bool MochatApi::Put(Call& c, const std::string& key, const std::string& value) {
  if (wal_->Put(key, value)) return true;
  ReadOnly(c);
  return false;
}

bool MochatApi::Delete(Call& c, const std::string& key) {
  if (wal_->Delete(key)) return true;
  ReadOnly(c);
  return false;
}

bool MochatApi::TakeNumbers(Call& c, uint64_t n, uint64_t* first) {
  // The counter first: a torn tail that keeps the record keeps the counter too (and recovery
  // never goes below the newest id present either).
  *first = c.st->last_id + 1;
  c.st->last_id += n;
  return Put(c, RecordKey(c.st->prefix, kCounterKind, ""), std::to_string(c.st->last_id));
}

bool MochatApi::NewId(Call& c, std::string_view kind, std::string* id) {
  uint64_t n = 0;
  if (!TakeNumbers(c, 1, &n)) return false;
  *id = MakeId(kind, n);
  return true;
}

bool MochatApi::OptionalText(Call& c, std::string_view key, size_t max, std::string_view* out) {
  const Field f = body_.Str(key, out);
  if (f == Field::kBad) {
    Fail(c, 400, "BAD_REQUEST", std::string(key) + " must be a string");
    return false;
  }
  if (out->size() > max) {
    Fail(c, 400, "BAD_REQUEST",
         std::string(key) + " is longer than " + std::to_string(max) + " bytes");
    return false;
  }
  return true;
}

// ---- agents ----

bool MochatApi::SelfRegister(Call& c) {
  AppState& st = *c.st;
  std::string_view name, description, email;
  std::string metadata;
  const Field f = body_.StrAny({"name", "username", "displayName"}, &name);
  if (f != Field::kOk || name.empty()) {
    return Fail(c, 400, "BAD_REQUEST", "name is required and must be a non-empty string");
  }
  if (name.size() > kMaxNameBytes) {
    return Fail(c, 400, "BAD_REQUEST",
                "name is longer than " + std::to_string(kMaxNameBytes) + " bytes");
  }
  if (!OptionalText(c, "description", kMaxDescriptionBytes, &description)) return false;
  if (!OptionalText(c, "email", 254, &email)) return false;
  if (!email.empty() && !ValidEmail(email)) {
    return Fail(c, 400, "BAD_REQUEST", "email is not an email address");
  }
  if (body_.Object("metadata", &metadata) == Field::kBad) {
    return Fail(c, 400, "BAD_REQUEST", "metadata must be an object");
  }
  if (metadata.size() > kMaxMetadataBytes) {
    return Fail(c, 413, "PAYLOAD_TOO_LARGE",
                "metadata is larger than " + std::to_string(kMaxMetadataBytes) + " bytes");
  }
  if (st.agents.size() >= kMaxAgentsPerApp) {
    return Fail(c, 409, "LIMIT_REACHED",
                "The app has " + std::to_string(kMaxAgentsPerApp) + " agents, the most it may");
  }
  Agent a;
  Group g;
  uint64_t n = 0;
  if (!TakeNumbers(c, 3, &n)) return false;
  a.id = MakeId("agent", n);
  g.id = MakeId("group", n + 1);
  a.token_id = n + 2;
  const std::string token = NewToken();
  a.name = std::string(name);
  a.description = std::string(description);
  a.email = std::string(email);
  a.bound_ms = email.empty() ? 0 : c.now_ms;
  a.metadata = std::move(metadata);
  a.group_id = g.id;
  a.token_hash = auth::Sha256Hex(token);
  a.created_ms = c.now_ms;
  g.name = a.name + "'s workspace";
  g.owner = a.id;
  g.members.push_back(a.id);
  g.created_ms = c.now_ms;
  if (!Put(c, RecordKey(st.prefix, kGroupKind, g.id), EncodeGroup(g)) ||
      !Put(c, RecordKey(st.prefix, kAgentKind, a.id), EncodeAgent(a))) {
    return false;
  }
  st.by_token[a.token_hash] = a.id;
  st.agent_groups[a.id].insert(g.id);
  std::string body = "{\"agent\":";
  AppendAgentJson(&body, a, true);
  body += ",\"token\":";
  util::AppendJsonString(&body, token);
  body.push_back('}');
  st.groups[g.id] = std::move(g);
  st.agents[a.id] = std::move(a);
  Reply(c, body);
  return true;
}

bool MochatApi::Bind(Call& c) {
  std::string_view email;
  if (body_.Str("email", &email) != Field::kOk || !ValidEmail(email)) {
    return Fail(c, 400, "BAD_REQUEST", "email is required and must be an email address");
  }
  Agent& a = c.st->agents.at(c.me->id);
  a.email = std::string(email);
  a.bound_ms = c.now_ms;
  if (!Put(c, RecordKey(c.st->prefix, kAgentKind, a.id), EncodeAgent(a))) return false;
  std::string body = "{\"agent\":";
  AppendAgentJson(&body, a, true);
  body.push_back('}');
  Reply(c, body);
  return true;
}

bool MochatApi::RotateToken(Call& c) {
  AppState& st = *c.st;
  Agent& a = st.agents.at(c.me->id);
  const std::string token = NewToken();
  const uint64_t old_id = a.token_id;
  const std::string old_hash = a.token_hash;
  uint64_t token_id = 0;
  if (!TakeNumbers(c, 1, &token_id)) return false;
  a.token_hash = auth::Sha256Hex(token);
  a.token_id = token_id;
  if (!Put(c, RecordKey(st.prefix, kAgentKind, a.id), EncodeAgent(a))) {
    return false;
  }
  // The old token dies at once: REST now, its sockets once the server closes them.
  st.by_token.erase(old_hash);
  st.by_token[a.token_hash] = a.id;
  revoked_.emplace_back(c.app, old_id);
  std::string body = "{\"agent\":";
  AppendAgentJson(&body, a, true);
  body += ",\"token\":";
  util::AppendJsonString(&body, token);
  body.push_back('}');
  Reply(c, body);
  return true;
}

bool MochatApi::GetAgent(Call& c) {
  std::string_view id;
  if (body_.StrAny({"agentId", "id"}, &id) == Field::kBad) {
    return Fail(c, 400, "BAD_REQUEST", "agentId must be a string");
  }
  std::string body = "{\"agent\":";
  if (id.empty() || id == c.me->id) {
    AppendAgentJson(&body, *c.me, true);
    body += ",\"groups\":[";
    bool first = true;
    auto groups = c.st->agent_groups.find(c.me->id);
    if (groups != c.st->agent_groups.end()) {
      for (const std::string& g : groups->second) {
        if (!first) body.push_back(',');
        first = false;
        util::AppendJsonString(&body, g);
      }
    }
    body.push_back(']');
  } else {
    auto it = c.st->agents.find(std::string(id));
    if (it == c.st->agents.end()) return Fail(c, 404, "NOT_FOUND", "No such agent");
    AppendAgentJson(&body, it->second, false);
  }
  body.push_back('}');
  Reply(c, body);
  return false;
}

bool MochatApi::ResolveUsers(Call& c) {
  std::vector<std::string> ids;
  Field f = body_.Ids("ids", kMaxResolveIds, &ids);
  if (f == Field::kMissing) f = body_.Ids("userIds", kMaxResolveIds, &ids);
  if (f == Field::kMissing) f = body_.Ids("agentIds", kMaxResolveIds, &ids);
  if (f != Field::kOk) {
    return Fail(
        c, 400, "BAD_REQUEST",
        "ids is required: an array of at most " + std::to_string(kMaxResolveIds) + " agent ids");
  }
  std::string body = "{\"users\":[";
  std::vector<std::string> missing;
  bool first = true;
  for (const std::string& id : ids) {
    auto it = c.st->agents.find(id);
    if (it == c.st->agents.end()) {
      missing.push_back(id);
      continue;
    }
    if (!first) body.push_back(',');
    first = false;
    AppendAgentJson(&body, it->second, it->first == c.me->id);
  }
  body += "],\"missing\":";
  AppendStringArray(&body, missing);
  body.push_back('}');
  Reply(c, body);
  return false;
}

}  // namespace ringcast::apps::mochat
