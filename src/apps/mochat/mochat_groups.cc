// MochatApi: workspaces ("groups"), their panels and invites. Rules (docs/protocols/mochat.md,
// "Workspaces and panels"): every agent owns one workspace, made with it; the members of a
// workspace (its owner and whoever joined by invite) see, create, modify and write in its
// panels; a panel is deleted by its creator or the workspace's owner, with its messages; an
// invite admits `maxUses` agents until `expiresAt`, and joining again is a no-op.
#include <algorithm>

#include "apps/mochat/mochat_api.h"
#include "auth/crypto.h"
#include "store/wal.h"
#include "util/json_writer.h"

namespace ringcast::apps::mochat {

using Field = RequestBody::Field;

Group* MochatApi::FindGroup(Call& c) {
  std::string_view id;
  if (body_.Str("groupId", &id) == Field::kBad) {
    Fail(c, 400, "BAD_REQUEST", "groupId must be a string");
    return nullptr;
  }
  auto it = c.st->groups.find(std::string(id.empty() ? std::string_view(c.me->group_id) : id));
  if (it == c.st->groups.end()) {
    Fail(c, 404, "NOT_FOUND", "No such group");
    return nullptr;
  }
  if (!it->second.Has(c.me->id)) {
    Fail(c, 403, "FORBIDDEN", "Only the group's members may use it");
    return nullptr;
  }
  return &it->second;
}

Panel* MochatApi::FindPanel(Call& c) {
  std::string_view id;
  if (body_.StrAny({"panelId", "id"}, &id) != Field::kOk || id.empty()) {
    Fail(c, 400, "BAD_REQUEST", "panelId is required and must be a string");
    return nullptr;
  }
  auto it = c.st->panels.find(std::string(id));
  if (it == c.st->panels.end()) {
    Fail(c, 404, "NOT_FOUND", "No such panel");
    return nullptr;
  }
  auto g = c.st->groups.find(it->second.group_id);
  if (g == c.st->groups.end() || !g->second.Has(c.me->id)) {
    Fail(c, 403, "FORBIDDEN", "Only the members of the panel's group may use it");
    return nullptr;
  }
  return &it->second;
}

void MochatApi::AppendGroupWithPanels(const AppState& st, const Group& g, std::string* out) const {
  AppendGroupJson(out, g);
  out->pop_back();  // the object goes on
  *out += ",\"panels\":[";
  for (size_t i = 0; i < g.panels.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendPanelJson(out, st.panels.at(g.panels[i]));
  }
  *out += "]}";
}

bool MochatApi::GetGroup(Call& c) {
  const Group* g = FindGroup(c);
  if (g == nullptr) return false;
  std::string body;
  AppendGroupWithPanels(*c.st, *g, &body);
  Reply(c, body);
  return false;
}

bool MochatApi::SendPanel(Call& c) {
  const Panel* p = FindPanel(c);
  if (p == nullptr) return false;
  const Group& g = c.st->groups.at(p->group_id);
  std::string message;
  if (!AddMessage(c, p->id, g.id, g.members, &message)) return false;
  std::string body;
  util::JsonObject o(&body);
  o.Str("panelId", p->id).Str("groupId", g.id).Str("status", "sent").Raw("message", message);
  o.Close();
  Reply(c, body);
  return true;
}

bool MochatApi::PanelMessages(Call& c) {
  const Panel* p = FindPanel(c);
  if (p == nullptr) return false;
  std::string head = "\"groupId\":";
  util::AppendJsonString(&head, p->group_id);
  head += ",\"panelId\":";
  util::AppendJsonString(&head, p->id);
  return Page(c, p->id, head);
}

bool MochatApi::CreatePanel(Call& c) {
  AppState& st = *c.st;
  Group* g = FindGroup(c);
  if (g == nullptr) return false;
  std::string_view name, description;
  if (body_.Str("name", &name) != Field::kOk || name.empty()) {
    return Fail(c, 400, "BAD_REQUEST", "name is required and must be a non-empty string");
  }
  if (name.size() > kMaxNameBytes) {
    return Fail(c, 400, "BAD_REQUEST",
                "name is longer than " + std::to_string(kMaxNameBytes) + " bytes");
  }
  if (!OptionalText(c, "description", kMaxDescriptionBytes, &description)) return false;
  if (g->panels.size() >= kMaxPanelsPerGroup) {
    return Fail(c, 409, "LIMIT_REACHED",
                "A group has at most " + std::to_string(kMaxPanelsPerGroup) + " panels");
  }
  Panel p;
  if (!NewId(c, "panel", &p.id)) return false;
  p.group_id = g->id;
  p.name = std::string(name);
  p.description = std::string(description);
  p.created_by = c.me->id;
  p.created_ms = p.updated_ms = c.now_ms;
  if (!Put(c, RecordKey(st.prefix, kPanelKind, p.id), EncodePanel(p))) return false;
  g->panels.push_back(p.id);
  std::string body;
  AppendPanelJson(&body, p);
  st.panels[p.id] = std::move(p);
  Reply(c, body);
  return true;
}

bool MochatApi::ModifyPanel(Call& c) {
  Panel* p = FindPanel(c);
  if (p == nullptr) return false;
  std::string_view name, description;
  const Field has_name = body_.Str("name", &name);
  const Field has_description = body_.Str("description", &description);
  if (has_name == Field::kBad || (has_name == Field::kOk && name.empty()) ||
      name.size() > kMaxNameBytes) {
    return Fail(
        c, 400, "BAD_REQUEST",
        "name must be a non-empty string of at most " + std::to_string(kMaxNameBytes) + " bytes");
  }
  if (has_description == Field::kBad || description.size() > kMaxDescriptionBytes) {
    return Fail(c, 400, "BAD_REQUEST",
                "description must be a string of at most " + std::to_string(kMaxDescriptionBytes) +
                    " bytes");
  }
  if (has_name == Field::kMissing && has_description == Field::kMissing) {
    return Fail(c, 400, "BAD_REQUEST", "Give name or description (or both)");
  }
  Panel next = *p;
  if (has_name == Field::kOk) next.name = std::string(name);
  if (has_description == Field::kOk) next.description = std::string(description);
  next.updated_ms = c.now_ms;
  if (!Put(c, RecordKey(c.st->prefix, kPanelKind, p->id), EncodePanel(next))) return false;
  *p = std::move(next);
  std::string body;
  AppendPanelJson(&body, *p);
  Reply(c, body);
  return true;
}

bool MochatApi::DeletePanel(Call& c) {
  AppState& st = *c.st;
  const Panel* p = FindPanel(c);
  if (p == nullptr) return false;
  Group& g = st.groups.at(p->group_id);
  if (p->created_by != c.me->id && g.owner != c.me->id) {
    return Fail(c, 403, "FORBIDDEN", "Only the panel's creator or the group's owner deletes it");
  }
  const std::string id = p->id;
  // Its messages first (at most kMaxMessagesPerConversation), then the panel.
  const std::string prefix = ConversationPrefix(st.prefix, id);
  std::vector<std::string> keys;
  for (auto it = wal_->live().lower_bound(prefix);
       it != wal_->live().end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    keys.emplace_back(it->first);
  }
  for (const std::string& k : keys) {
    if (!EraseMessage(c, k)) return false;
  }
  if (!Delete(c, RecordKey(st.prefix, kPanelKind, id))) return false;
  g.panels.erase(std::remove(g.panels.begin(), g.panels.end(), id), g.panels.end());
  st.panels.erase(id);
  st.conversation_messages.erase(id);
  DropSubscriptions(st, "", true, id);
  std::string body;
  util::JsonObject(&body).Str("panelId", id).Str("groupId", g.id).Bool("deleted", true).Close();
  Reply(c, body);
  return true;
}

bool MochatApi::CreateInvite(Call& c) {
  AppState& st = *c.st;
  const Group* g = FindGroup(c);
  if (g == nullptr) return false;
  int64_t max_uses = kDefaultInviteUses;
  int64_t ttl_s = kDefaultInviteTtlS;
  Field f = body_.Int("maxUses", &max_uses);
  if (f == Field::kBad || max_uses < 1 || max_uses > kMaxInviteUses) {
    return Fail(c, 400, "BAD_REQUEST",
                "maxUses must be an integer from 1 to " + std::to_string(kMaxInviteUses));
  }
  f = body_.Int("expiresInSeconds", &ttl_s);
  if (f == Field::kBad || ttl_s < 60 || ttl_s > kMaxInviteTtlS) {
    return Fail(c, 400, "BAD_REQUEST",
                "expiresInSeconds must be an integer from 60 to " + std::to_string(kMaxInviteTtlS));
  }
  // Expired and used-up invites of the group make room (they are deleted here, not before).
  std::vector<std::string>& codes = st.group_invites[g->id];
  if (codes.size() >= kMaxInvitesPerGroup) {
    std::vector<std::string> keep, dead;
    for (const std::string& code : codes) {
      const Invite& inv = st.invites.at(code);
      const bool live = inv.expires_ms > c.now_ms && inv.uses < inv.max_uses;
      (live ? keep : dead).push_back(code);
    }
    if (keep.size() >= kMaxInvitesPerGroup) {  // refused before anything is deleted
      return Fail(c, 409, "LIMIT_REACHED",
                  "A group has at most " + std::to_string(kMaxInvitesPerGroup) + " live invites");
    }
    for (const std::string& code : dead) {
      if (!Delete(c, RecordKey(st.prefix, kInviteKind, code))) return false;
      st.invites.erase(code);
    }
    codes = std::move(keep);
  }
  uint8_t raw[12];
  auth::RandomBytes(raw, sizeof raw);
  Invite inv;
  inv.code = auth::HexLower(raw, sizeof raw);
  inv.group_id = g->id;
  inv.created_by = c.me->id;
  inv.created_ms = c.now_ms;
  inv.expires_ms = c.now_ms + ttl_s * 1000;
  inv.max_uses = static_cast<uint32_t>(max_uses);
  if (!Put(c, RecordKey(st.prefix, kInviteKind, inv.code), EncodeInvite(inv))) return false;
  codes.push_back(inv.code);
  std::string body;
  AppendInviteJson(&body, inv);
  st.invites[inv.code] = std::move(inv);
  Reply(c, body);
  return true;
}

bool MochatApi::JoinByInvite(Call& c) {
  AppState& st = *c.st;
  std::string_view code;
  if (body_.StrAny({"code", "inviteCode"}, &code) != Field::kOk || code.empty()) {
    return Fail(c, 400, "BAD_REQUEST", "code is required and must be a string");
  }
  auto it = st.invites.find(std::string(code));
  if (it == st.invites.end()) return Fail(c, 404, "NOT_FOUND", "No such invite");
  Invite& inv = it->second;
  auto g = st.groups.find(inv.group_id);
  if (g == st.groups.end()) return Fail(c, 404, "NOT_FOUND", "The invite's group is gone");
  const bool join = !g->second.Has(c.me->id);
  if (join) {
    if (inv.expires_ms <= c.now_ms) return Fail(c, 410, "INVITE_EXPIRED", "The invite expired");
    if (inv.uses >= inv.max_uses) {
      return Fail(c, 410, "INVITE_USED_UP", "The invite was used as often as it may");
    }
    if (g->second.members.size() >= kMaxMembersPerGroup) {
      return Fail(c, 409, "LIMIT_REACHED",
                  "A group has at most " + std::to_string(kMaxMembersPerGroup) + " members");
    }
    Invite next_inv = inv;
    ++next_inv.uses;
    Group next = g->second;
    next.members.push_back(c.me->id);
    if (!Put(c, RecordKey(st.prefix, kInviteKind, inv.code), EncodeInvite(next_inv)) ||
        !Put(c, RecordKey(st.prefix, kGroupKind, next.id), EncodeGroup(next))) {
      return false;
    }
    inv = std::move(next_inv);
    g->second = std::move(next);
    st.agent_groups[c.me->id].insert(g->first);
  }
  std::string body;
  AppendGroupWithPanels(st, g->second, &body);
  body.pop_back();
  body += join ? ",\"joined\":true}" : ",\"joined\":false}";
  Reply(c, body);
  return join;
}

}  // namespace ringcast::apps::mochat
