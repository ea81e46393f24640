// Mention syntax of MoChat message text (docs/protocols/mochat.md, "Mentions"): which @tokens a
// message holds. Resolving them to agents (ids exactly, names ignoring ASCII case, among the
// agents that may see the message) is MochatApi's.
// Pure function, any thread.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace ringcast::apps::mochat {

// The mention tokens of `text`, distinct, in order of appearance, at most `max`: an '@' at the
// start or after a byte that cannot be in a token (so "bob@example.com" mentions nobody),
// followed by one or more of [A-Za-z0-9_.-], the trailing '.' and '-' dropped ("@bob." is bob).
std::vector<std::string_view> MentionTokens(std::string_view text, size_t max);

}  // namespace ringcast::apps::mochat
