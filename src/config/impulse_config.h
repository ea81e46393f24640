// The "impulse" object of the config file (ImpulseConfig in config/config.h) and its checks.
// The broker's REALTIME_SECRET environment variable is read by LoadConfig (it overrides the
// file's "secret", as every environment variable overrides the file).
// Main thread, at load.
#pragma once

#include <simdjson.h>

#include <string>

#include "config/config.h"

namespace ringcast::config {

// Reads {"prefix", "secret", "app_id", "cors_origin", "cors_credentials", "heartbeat_ms"}.
// Returns "" or an error message.
std::string ApplyImpulseJson(simdjson::dom::element value, ImpulseConfig* out);

// With the endpoints on: picks the app (app_id, or the only app) and checks the prefix and the
// CORS pair. Returns "" or an error message.
std::string FinalizeImpulse(ServerConfig* out);

}  // namespace ringcast::config
