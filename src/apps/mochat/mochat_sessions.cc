// MochatApi: sessions (DMs and groups of agents) and their messages' routes. Rules
// (docs/protocols/mochat.md, "Sessions"): only participants read, send or change a session; a
// DM has exactly two participants, fixed, and one open DM per pair; any participant adds to a
// group, its creator removes anyone, others only themselves; a closed session refuses new
// messages and new participants but stays readable.
#include <algorithm>

#include "apps/mochat/mochat_api.h"
#include "store/wal.h"
#include "util/json_writer.h"

namespace ringcast::apps::mochat {

using Field = RequestBody::Field;

Session* MochatApi::FindSession(Call& c) {
  std::string_view id;
  if (body_.StrAny({"sessionId", "id"}, &id) != Field::kOk || id.empty()) {
    Fail(c, 400, "BAD_REQUEST", "sessionId is required and must be a string");
    return nullptr;
  }
  auto it = c.st->sessions.find(std::string(id));
  if (it == c.st->sessions.end()) {
    Fail(c, 404, "NOT_FOUND", "No such session");
    return nullptr;
  }
  if (!it->second.Has(c.me->id)) {
    Fail(c, 403, "FORBIDDEN", "Only the session's participants may use it");
    return nullptr;
  }
  return &it->second;
}

bool MochatApi::PageLimit(Call& c, int64_t* limit) {
  *limit = kDefaultPage;
  const Field f = body_.Int("limit", limit);
  if (f == Field::kBad || (f == Field::kOk && *limit < 1)) {
    Fail(c, 400, "BAD_REQUEST", "limit must be a positive integer");
    return false;
  }
  *limit = std::min(*limit, kMaxPage);
  return true;
}

bool MochatApi::CreateSession(Call& c) {
  AppState& st = *c.st;
  std::vector<std::string> ids;
  if (body_.Ids("participants", kMaxParticipants, &ids) == Field::kBad) {
    return Fail(c, 400, "BAD_REQUEST",
                "participants must be an array of at most " + std::to_string(kMaxParticipants) +
                    " agent ids (strings or {\"id\"} objects)");
  }
  std::string_view type, name;
  std::string metadata;
  if (!OptionalText(c, "type", 16, &type) || !OptionalText(c, "name", kMaxNameBytes, &name)) {
    return false;
  }
  if (!type.empty() && type != "dm" && type != "group") {
    return Fail(c, 400, "BAD_REQUEST", "type must be \"dm\" or \"group\"");
  }
  if (body_.Object("metadata", &metadata) == Field::kBad) {
    return Fail(c, 400, "BAD_REQUEST", "metadata must be an object");
  }
  if (metadata.size() > kMaxMetadataBytes) {
    return Fail(c, 413, "PAYLOAD_TOO_LARGE",
                "metadata is larger than " + std::to_string(kMaxMetadataBytes) + " bytes");
  }
  Session s;
  s.participants.push_back(c.me->id);
  for (const std::string& id : ids) {
    if (st.agents.count(id) == 0) return Fail(c, 404, "NOT_FOUND", "No such agent: " + id);
    if (id != c.me->id) s.participants.push_back(id);
  }
  if (type.empty()) type = s.participants.size() == 2 && name.empty() ? "dm" : "group";
  if (type == "dm") {
    if (s.participants.size() != 2) {
      return Fail(c, 400, "BAD_REQUEST", "A DM has exactly one other participant");
    }
    // One open DM per pair: asking again answers the one there is.
    for (const std::string& sid : st.agent_sessions[c.me->id]) {
      const Session& dm = st.sessions.at(sid);
      if (dm.type == "dm" && !dm.closed() && dm.Has(s.participants[1])) {
        std::string body;
        AppendSessionJson(&body, dm, LastMessageAt(st, dm.id));
        Reply(c, body);
        return false;
      }
    }
  }
  if (s.participants.size() > kMaxParticipants) {
    return Fail(c, 409, "LIMIT_REACHED",
                "A session has at most " + std::to_string(kMaxParticipants) + " participants");
  }
  if (st.sessions.size() >= kMaxSessionsPerApp) {
    return Fail(c, 409, "LIMIT_REACHED",
                "The app has " + std::to_string(kMaxSessionsPerApp) + " sessions, the most it may");
  }
  if (!NewId(c, "session", &s.id)) return false;
  s.type = std::string(type);
  s.name = std::string(name);
  s.created_by = c.me->id;
  s.metadata = std::move(metadata);
  s.created_ms = c.now_ms;
  if (!Put(c, RecordKey(st.prefix, kSessionKind, s.id), EncodeSession(s))) return false;
  for (const std::string& who : s.participants) st.agent_sessions[who].insert(s.id);
  std::string body;
  AppendSessionJson(&body, s, "");
  st.sessions[s.id] = std::move(s);
  Reply(c, body);
  return true;
}

bool MochatApi::SendSession(Call& c) {
  Session* s = FindSession(c);
  if (s == nullptr) return false;
  if (s->closed()) return Fail(c, 409, "SESSION_CLOSED", "The session is closed");
  std::string message;
  if (!AddMessage(c, s->id, "", s->participants, &message)) return false;
  std::string body;
  util::JsonObject o(&body);
  o.Str("sessionId", s->id).Str("status", "sent").Raw("message", message).Close();
  Reply(c, body);
  return true;
}

bool MochatApi::GetSession(Call& c, bool detail) {
  const Session* s = FindSession(c);
  if (s == nullptr) return false;
  const AppState& st = *c.st;
  std::string body;
  AppendSessionJson(&body, *s, LastMessageAt(st, s->id));
  if (detail) {
    body.pop_back();  // the object goes on
    body += ",\"participantDetails\":[";
    for (size_t i = 0; i < s->participants.size(); ++i) {
      if (i > 0) body.push_back(',');
      auto a = st.agents.find(s->participants[i]);
      if (a == st.agents.end()) {
        body += "null";
      } else {
        AppendAgentJson(&body, a->second, a->first == c.me->id);
      }
    }
    auto n = st.conversation_messages.find(s->id);
    body += "],\"messageCount\":";
    util::AppendUint(&body, n == st.conversation_messages.end() ? 0 : n->second);
    body += ",\"lastMessage\":";
    const std::string p = ConversationPrefix(st.prefix, s->id);
    auto last = wal_->live().lower_bound(p + "\xff");
    if (last != wal_->live().begin() && (--last)->first.compare(0, p.size(), p) == 0) {
      body.append(last->second);
    } else {
      body += "null";
    }
    body.push_back('}');
  }
  Reply(c, body);
  return false;
}

bool MochatApi::SessionMessages(Call& c) {
  const Session* s = FindSession(c);
  if (s == nullptr) return false;
  std::string head = "\"sessionId\":";
  util::AppendJsonString(&head, s->id);
  return Page(c, s->id, head);
}

bool MochatApi::ListSessions(Call& c) {
  const AppState& st = *c.st;
  int64_t limit = 0;
  if (!PageLimit(c, &limit)) return false;
  std::string_view cursor;
  if (!OptionalText(c, "cursor", kMaxIdBytes, &cursor)) return false;
  std::string body = "{\"sessions\":[";
  std::string next;
  auto mine = st.agent_sessions.find(c.me->id);
  if (mine != st.agent_sessions.end()) {
    const std::set<std::string>& ids = mine->second;
    // Newest first, below the cursor (a session id; ids sort by age).
    auto it = cursor.empty() ? ids.end() : ids.lower_bound(std::string(cursor));
    int64_t n = 0;
    while (it != ids.begin()) {
      --it;
      if (n == limit) {
        next = *std::next(it);
        break;
      }
      if (n++ > 0) body.push_back(',');
      AppendSessionJson(&body, st.sessions.at(*it), LastMessageAt(st, *it));
    }
  }
  body += "],\"nextCursor\":";
  if (next.empty()) {
    body += "null";
  } else {
    util::AppendJsonString(&body, next);
  }
  body.push_back('}');
  Reply(c, body);
  return false;
}

bool MochatApi::ParticipantChange(Call& c, const Session& s, std::vector<std::string>* ids) {
  if (body_.Ids("participants", kMaxParticipants, ids) != Field::kOk || ids->empty()) {
    return Fail(
        c, 400, "BAD_REQUEST",
        "participants is required: at most " + std::to_string(kMaxParticipants) + " agent ids");
  }
  if (s.type == "dm") return Fail(c, 409, "CONFLICT", "A DM's participants are fixed");
  return true;
}

bool MochatApi::AddParticipants(Call& c) {
  AppState& st = *c.st;
  Session* s = FindSession(c);
  if (s == nullptr) return false;
  std::vector<std::string> ids;
  if (!ParticipantChange(c, *s, &ids)) return false;
  if (s->closed()) return Fail(c, 409, "SESSION_CLOSED", "The session is closed");
  std::vector<std::string> added;
  for (const std::string& id : ids) {
    if (st.agents.count(id) == 0) return Fail(c, 404, "NOT_FOUND", "No such agent: " + id);
    if (!s->Has(id)) added.push_back(id);
  }
  if (s->participants.size() + added.size() > kMaxParticipants) {
    return Fail(c, 409, "LIMIT_REACHED",
                "A session has at most " + std::to_string(kMaxParticipants) + " participants");
  }
  if (!added.empty()) {
    Session next = *s;
    next.participants.insert(next.participants.end(), added.begin(), added.end());
    if (!Put(c, RecordKey(st.prefix, kSessionKind, s->id), EncodeSession(next))) return false;
    *s = std::move(next);
    for (const std::string& id : added) st.agent_sessions[id].insert(s->id);
  }
  std::string body;
  AppendSessionJson(&body, *s, LastMessageAt(st, s->id));
  Reply(c, body);
  return !added.empty();
}

bool MochatApi::RemoveParticipants(Call& c) {
  AppState& st = *c.st;
  Session* s = FindSession(c);
  if (s == nullptr) return false;
  std::vector<std::string> ids;
  if (!ParticipantChange(c, *s, &ids)) return false;
  if (s->created_by != c.me->id &&
      std::any_of(ids.begin(), ids.end(), [&c](const std::string& id) { return id != c.me->id; })) {
    return Fail(c, 403, "FORBIDDEN",
                "Only the session's creator removes others; a participant may remove itself");
  }
  Session next = *s;
  std::vector<std::string> removed;
  for (const std::string& id : ids) {
    auto it = std::find(next.participants.begin(), next.participants.end(), id);
    if (it == next.participants.end()) continue;  // not (or no longer) there: nothing to do
    next.participants.erase(it);
    removed.push_back(id);
  }
  if (!removed.empty()) {
    if (!Put(c, RecordKey(st.prefix, kSessionKind, s->id), EncodeSession(next))) return false;
    *s = std::move(next);
    for (const std::string& id : removed) {
      st.agent_sessions[id].erase(s->id);
      DropSubscriptions(st, id, false, s->id);  // access ends now, subscriptions with it
    }
  }
  std::string body;
  AppendSessionJson(&body, *s, LastMessageAt(st, s->id));
  Reply(c, body);
  return !removed.empty();
}

bool MochatApi::CloseSession(Call& c) {
  AppState& st = *c.st;
  Session* s = FindSession(c);
  if (s == nullptr) return false;
  const bool change = !s->closed();
  if (change) {
    Session next = *s;
    next.closed_ms = c.now_ms;
    if (!Put(c, RecordKey(st.prefix, kSessionKind, s->id), EncodeSession(next))) return false;
    *s = std::move(next);
  }
  std::string body;
  AppendSessionJson(&body, *s, LastMessageAt(st, s->id));
  Reply(c, body);
  return change;
}

}  // namespace ringcast::apps::mochat
