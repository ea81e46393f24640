// The "dialogue" object of the config file (DialogueConfig in config/config.h) and its checks.
// The shape is the one docs/protocols/dialogue.md documents (rooms as an array of objects with
// "id", or as an object keyed by room id, as Dialogue's createDialogue takes them); unknown keys
// are errors, as everywhere in the file.
// Main thread, at load.
#pragma once

#include <simdjson.h>

#include <string>

#include "config/config.h"

namespace ringcast::config {

// Reads the section into `out` (and sets out->enabled). Returns "" or an error message.
std::string ApplyDialogueJson(simdjson::dom::element value, DialogueConfig* out);

// With the section present: picks the app (app_id, or the only app) and checks the path, the
// room ids (unique; channel names a Socket.IO client may use: not private-/presence-, which
// need Pusher channel auth), the events and the hooks. Returns "" or an error message.
std::string FinalizeDialogue(ServerConfig* out);

// The "mochat" object: {"enabled": bool, "path": string}. Returns "" or an error message.
std::string ApplyMochatJson(simdjson::dom::element value, MochatConfig* out);

// Checks MoChat's path and decides whether its Socket.IO endpoint is served (not when the
// dialogue section takes the same path). Run after FinalizeDialogue. "" or an error message.
std::string FinalizeMochat(ServerConfig* out);

// "" when `id` may name a room (config or created at run time): a channel name a Socket.IO
// client may use without Pusher channel auth, at most `max_length` bytes; else why not.
std::string DialogueRoomIdError(const std::string& id, uint32_t max_length);

}  // namespace ringcast::config
