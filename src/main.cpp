// ringcast: realtime fan-out server. See README.md and docs/operations.md.
#include <unistd.h>

#include "config/config.h"
#include "server/server.h"

int main(int argc, char** argv) {
  ringcast::config::ServerConfig config;
  switch (ringcast::config::LoadConfig(argc, argv, environ, &config)) {
    case ringcast::config::ParseOutcome::kExitOk:
      return 0;
    case ringcast::config::ParseOutcome::kExitError:
      return 2;
    case ringcast::config::ParseOutcome::kRun:
      break;
  }
  return ringcast::server::RunServer(config);
}
