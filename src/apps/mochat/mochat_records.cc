// MoChat's records; see mochat_records.h for the contract.
#include "apps/mochat/mochat_records.h"

#include <simdjson.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "util/clock.h"
#include "util/json_writer.h"

namespace ringcast::apps::mochat {
namespace {

using simdjson::SUCCESS;

// A record being decoded: one parse, then typed reads that fail on a wrong type.
class Reader {
 public:
  explicit Reader(std::string_view value) {
    simdjson::dom::element root;
    ok_ =
        parser_.parse(value.data(), value.size()).get(root) == SUCCESS && root.get(obj_) == SUCCESS;
  }
  bool ok() const { return ok_; }
  // Missing: "" (optional fields are written only when set).
  Reader& Str(const char* key, std::string* out) {
    simdjson::dom::element el;
    std::string_view sv;
    out->clear();
    if (ok_ && obj_[key].get(el) == SUCCESS) {
      if (el.get_string().get(sv) != SUCCESS) ok_ = false;
      out->assign(sv);
    }
    return *this;
  }
  Reader& Raw(const char* key, std::string* out) {
    simdjson::dom::element el;
    out->clear();
    if (ok_ && obj_[key].get(el) == SUCCESS) *out = simdjson::minify(el);
    return *this;
  }
  template <typename Int>
  Reader& Num(const char* key, Int* out) {
    simdjson::dom::element el;
    int64_t v = 0;
    if (ok_ && obj_[key].get(el) == SUCCESS && el.get_int64().get(v) != SUCCESS) ok_ = false;
    *out = static_cast<Int>(v);
    return *this;
  }
  Reader& List(const char* key, std::vector<std::string>* out) {
    simdjson::dom::array arr;
    out->clear();
    if (!ok_ || obj_[key].get(arr) != SUCCESS) {
      ok_ = false;
      return *this;
    }
    for (simdjson::dom::element el : arr) {
      std::string_view sv;
      if (el.get_string().get(sv) != SUCCESS) {
        ok_ = false;
        break;
      }
      out->emplace_back(sv);
    }
    return *this;
  }

 private:
  simdjson::dom::parser parser_;
  simdjson::dom::object obj_;
  bool ok_ = false;
};

void OptStr(util::JsonObject* o, std::string_view key, std::string_view value) {
  if (!value.empty()) o->Str(key, value);
}

}  // namespace

bool Session::Has(std::string_view agent) const {
  return std::find(participants.begin(), participants.end(), agent) != participants.end();
}

bool Group::Has(std::string_view agent) const {
  return std::find(members.begin(), members.end(), agent) != members.end();
}

std::string MakeId(std::string_view kind, uint64_t n) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, n);
  std::string id(kind);
  id.push_back('_');
  id.append(buf, 16);
  return id;
}

bool ParseId(std::string_view kind, std::string_view id, uint64_t* n) {
  if (id.size() != kind.size() + 17 || id.substr(0, kind.size()) != kind ||
      id[kind.size()] != '_') {
    return false;
  }
  uint64_t v = 0;
  for (char c : id.substr(kind.size() + 1)) {
    if (c >= '0' && c <= '9') {
      v = v * 16 + static_cast<uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v = v * 16 + static_cast<uint64_t>(c - 'a' + 10);
    } else {
      return false;
    }
  }
  *n = v;
  return true;
}

std::string AppPrefix(std::string_view app_id) {
  std::string p = "M";
  p.append(app_id);
  p.push_back('\0');
  return p;
}

std::string RecordKey(std::string_view prefix, char kind, std::string_view id) {
  std::string k(prefix);
  k.push_back(kind);
  k.append(id);
  return k;
}

std::string ConversationPrefix(std::string_view prefix, std::string_view conversation) {
  std::string k = RecordKey(prefix, kMessageKind, conversation);
  k.push_back('\0');
  return k;
}

// ---- store values ----

std::string EncodeAgent(const Agent& a) {
  std::string s;
  util::JsonObject o(&s);
  o.Str("id", a.id).Str("name", a.name);
  OptStr(&o, "desc", a.description);
  OptStr(&o, "email", a.email);
  if (!a.metadata.empty()) o.Raw("meta", a.metadata);
  o.Str("group", a.group_id).Str("hash", a.token_hash);
  o.Int("tokenId", static_cast<int64_t>(a.token_id)).Int("created", a.created_ms);
  o.Int("bound", a.bound_ms);
  o.Close();
  return s;
}

bool DecodeAgent(std::string_view value, Agent* out) {
  Reader r(value);
  r.Str("id", &out->id).Str("name", &out->name).Str("desc", &out->description);
  r.Str("email", &out->email).Raw("meta", &out->metadata).Str("group", &out->group_id);
  r.Str("hash", &out->token_hash).Num("tokenId", &out->token_id);
  r.Num("created", &out->created_ms).Num("bound", &out->bound_ms);
  return r.ok() && !out->id.empty() && out->token_hash.size() == 64;
}

std::string EncodeSession(const Session& s) {
  std::string v;
  util::JsonObject o(&v);
  o.Str("id", s.id).Str("type", s.type);
  OptStr(&o, "name", s.name);
  o.Str("by", s.created_by);
  if (!s.metadata.empty()) o.Raw("meta", s.metadata);
  AppendStringArray(o.Key("parts"), s.participants);
  o.Int("created", s.created_ms).Int("closed", s.closed_ms);
  o.Close();
  return v;
}

bool DecodeSession(std::string_view value, Session* out) {
  Reader r(value);
  r.Str("id", &out->id).Str("type", &out->type).Str("name", &out->name);
  r.Str("by", &out->created_by).Raw("meta", &out->metadata).List("parts", &out->participants);
  r.Num("created", &out->created_ms).Num("closed", &out->closed_ms);
  return r.ok() && !out->id.empty() && (out->type == "dm" || out->type == "group");
}

std::string EncodeGroup(const Group& g) {
  std::string v;
  util::JsonObject o(&v);
  o.Str("id", g.id).Str("name", g.name).Str("owner", g.owner);
  AppendStringArray(o.Key("members"), g.members);
  o.Int("created", g.created_ms);
  o.Close();
  return v;
}

bool DecodeGroup(std::string_view value, Group* out) {
  Reader r(value);
  r.Str("id", &out->id).Str("name", &out->name).Str("owner", &out->owner);
  r.List("members", &out->members).Num("created", &out->created_ms);
  return r.ok() && !out->id.empty();
}

std::string EncodePanel(const Panel& p) {
  std::string v;
  util::JsonObject o(&v);
  o.Str("id", p.id).Str("group", p.group_id).Str("name", p.name);
  OptStr(&o, "desc", p.description);
  o.Str("by", p.created_by).Int("created", p.created_ms).Int("updated", p.updated_ms);
  o.Close();
  return v;
}

bool DecodePanel(std::string_view value, Panel* out) {
  Reader r(value);
  r.Str("id", &out->id).Str("group", &out->group_id).Str("name", &out->name);
  r.Str("desc", &out->description).Str("by", &out->created_by);
  r.Num("created", &out->created_ms).Num("updated", &out->updated_ms);
  return r.ok() && !out->id.empty() && !out->group_id.empty();
}

std::string EncodeInvite(const Invite& i) {
  std::string v;
  util::JsonObject o(&v);
  o.Str("code", i.code).Str("group", i.group_id).Str("by", i.created_by);
  o.Int("created", i.created_ms).Int("expires", i.expires_ms);
  o.Int("max", i.max_uses).Int("uses", i.uses);
  o.Close();
  return v;
}

bool DecodeInvite(std::string_view value, Invite* out) {
  Reader r(value);
  r.Str("code", &out->code).Str("group", &out->group_id).Str("by", &out->created_by);
  r.Num("created", &out->created_ms).Num("expires", &out->expires_ms);
  r.Num("max", &out->max_uses).Num("uses", &out->uses);
  return r.ok() && !out->code.empty() && !out->group_id.empty();
}

// ---- API JSON ----

void AppendStringArray(std::string* out, const std::vector<std::string>& items) {
  out->push_back('[');
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out->push_back(',');
    util::AppendJsonString(out, items[i]);
  }
  out->push_back(']');
}

void AppendAgentJson(std::string* out, const Agent& a, bool self) {
  util::JsonObject o(out);
  o.Str("id", a.id).Str("name", a.name);
  OptStr(&o, "description", a.description);
  if (!a.metadata.empty()) o.Raw("metadata", a.metadata);
  o.Bool("bound", !a.email.empty());
  if (self) {
    if (a.email.empty()) {
      o.Raw("email", "null");
    } else {
      o.Str("email", a.email).Str("boundAt", util::IsoTimeMs(a.bound_ms));
    }
    o.Str("groupId", a.group_id);
  }
  o.Str("createdAt", util::IsoTimeMs(a.created_ms));
  o.Close();
}

void AppendSessionJson(std::string* out, const Session& s, std::string_view last_message_at) {
  util::JsonObject o(out);
  o.Str("id", s.id).Str("sessionId", s.id).Str("type", s.type);
  OptStr(&o, "name", s.name);
  AppendStringArray(o.Key("participants"), s.participants);
  if (!s.metadata.empty()) o.Raw("metadata", s.metadata);
  o.Str("createdBy", s.created_by).Str("createdAt", util::IsoTimeMs(s.created_ms));
  o.Str("status", s.closed() ? "closed" : "open").Bool("closed", s.closed());
  if (s.closed()) o.Str("closedAt", util::IsoTimeMs(s.closed_ms));
  if (last_message_at.empty()) {
    o.Raw("lastMessageAt", "null");
  } else {
    o.Str("lastMessageAt", last_message_at);
  }
  o.Close();
}

void AppendGroupJson(std::string* out, const Group& g) {
  util::JsonObject o(out);
  o.Str("id", g.id).Str("groupId", g.id).Str("name", g.name).Str("ownerId", g.owner);
  AppendStringArray(o.Key("members"), g.members);
  o.Str("createdAt", util::IsoTimeMs(g.created_ms));
  o.Close();
}

void AppendPanelJson(std::string* out, const Panel& p) {
  util::JsonObject o(out);
  o.Str("id", p.id).Str("panelId", p.id).Str("groupId", p.group_id).Str("name", p.name);
  OptStr(&o, "description", p.description);
  o.Str("createdBy", p.created_by).Str("createdAt", util::IsoTimeMs(p.created_ms));
  o.Str("updatedAt", util::IsoTimeMs(p.updated_ms));
  o.Close();
}

void AppendInviteJson(std::string* out, const Invite& i) {
  util::JsonObject o(out);
  o.Str("code", i.code).Str("groupId", i.group_id).Int("maxUses", i.max_uses);
  o.Int("uses", i.uses).Str("expiresAt", util::IsoTimeMs(i.expires_ms));
  o.Str("createdBy", i.created_by).Str("createdAt", util::IsoTimeMs(i.created_ms));
  o.Close();
}

}  // namespace ringcast::apps::mochat
