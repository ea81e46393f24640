// MoChat's records (docs/protocols/mochat.md): agents, sessions, workspaces ("groups"), panels
// and invites as MochatApi keeps them in memory, their store keys and values, and their JSON as
// the REST API answers it.
//
// Store layout (docs/store.md's list; every key starts with "M<app id>\0", no other user of the
// store writes an "M" key): "#" the app's last id (decimal), "a<agent id>", "s<session id>",
// "g<group id>", "p<panel id>", "i<invite code>" one record each (a JSON object of the fields
// below, short names), "m<session or panel id>\0<message id>" one message (its JSON exactly as
// the API answers it). Ids are "<kind>_<16 lower-case hex>" from the app's one counter, so keys
// of one kind sort by age.
// Pure functions and plain structs: any thread, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::apps::mochat {

struct Agent {
  std::string id;
  std::string name;
  std::string description;
  std::string email;       // "" until bound
  std::string metadata;    // minified JSON object, "" when none
  std::string group_id;    // the agent's home workspace, made with it
  std::string token_hash;  // SHA-256 hex of the current claw_ token (never the token)
  uint64_t token_id = 0;   // changes with every rotation
  int64_t created_ms = 0;
  int64_t bound_ms = 0;
};

struct Session {
  std::string id;
  std::string type;  // "dm" or "group"
  std::string name;
  std::string created_by;
  std::string metadata;
  std::vector<std::string> participants;
  int64_t created_ms = 0;
  int64_t closed_ms = 0;  // 0: open
  bool closed() const { return closed_ms != 0; }
  bool Has(std::string_view agent) const;
};

struct Group {
  std::string id;
  std::string name;
  std::string owner;
  std::vector<std::string> members;  // the owner included
  std::vector<std::string> panels;   // not stored here: rebuilt from the panels' group ids
  int64_t created_ms = 0;
  bool Has(std::string_view agent) const;
};

struct Panel {
  std::string id;
  std::string group_id;
  std::string name;
  std::string description;
  std::string created_by;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

struct Invite {
  std::string code;
  std::string group_id;
  std::string created_by;
  int64_t created_ms = 0;
  int64_t expires_ms = 0;
  uint32_t max_uses = 0;
  uint32_t uses = 0;
};

// ---- ids and keys ----

// "<kind>_<16 lower-case hex of n>" ("session_000000000000002a").
std::string MakeId(std::string_view kind, uint64_t n);
// The number of an id MakeId made with `kind`; false for anything else.
bool ParseId(std::string_view kind, std::string_view id, uint64_t* n);

// "M<app id>\0".
std::string AppPrefix(std::string_view app_id);
inline constexpr char kCounterKind = '#';
inline constexpr char kAgentKind = 'a';
inline constexpr char kSessionKind = 's';
inline constexpr char kGroupKind = 'g';
inline constexpr char kPanelKind = 'p';
inline constexpr char kInviteKind = 'i';
inline constexpr char kMessageKind = 'm';
// prefix + kind + id.
std::string RecordKey(std::string_view prefix, char kind, std::string_view id);
// prefix + "m" + conversation + "\0": the first bytes of every message key of one session or
// panel; + message id: the key of one.
std::string ConversationPrefix(std::string_view prefix, std::string_view conversation);

// ---- store values (JSON objects with short names; Decode false on anything malformed) ----

std::string EncodeAgent(const Agent& a);
bool DecodeAgent(std::string_view value, Agent* out);
std::string EncodeSession(const Session& s);
bool DecodeSession(std::string_view value, Session* out);
std::string EncodeGroup(const Group& g);
bool DecodeGroup(std::string_view value, Group* out);
std::string EncodePanel(const Panel& p);
bool DecodePanel(std::string_view value, Panel* out);
std::string EncodeInvite(const Invite& i);
bool DecodeInvite(std::string_view value, Invite* out);

// ---- API JSON (docs/protocols/mochat.md, "Objects") ----

// `self`: the agent's own view (its email); others see whether it is bound.
void AppendAgentJson(std::string* out, const Agent& a, bool self);
// `last_message_at`: the newest message's createdAt (ISO 8601), "" when none.
void AppendSessionJson(std::string* out, const Session& s, std::string_view last_message_at);
void AppendGroupJson(std::string* out, const Group& g);  // without its panels
void AppendPanelJson(std::string* out, const Panel& p);
void AppendInviteJson(std::string* out, const Invite& i);
// ["a","b"]
void AppendStringArray(std::string* out, const std::vector<std::string>& items);

}  // namespace ringcast::apps::mochat
