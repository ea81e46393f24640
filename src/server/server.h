// Server: start-up and shutdown of the whole process.
//
// Start-up (main thread): create one SO_REUSEPORT listening socket per shard (the first one
// picks the port when 0 is asked for), the queue mesh, the control plane and the shards; wait
// until every shard's io_uring is set up; print "listening on HOST:PORT". Then wait for
// SIGTERM/SIGINT (blocked in every thread, taken with sigwait here) and ask the control plane
// to shut down: shards stop accepting, close their clients spread over the grace window, and
// report done. If that takes longer than the grace window plus a margin, exit anyway.
// Thread rules: the main thread only.
#pragma once

#include "config/config.h"

namespace ringcast::server {

// Runs the server until a termination signal; returns the process exit code.
int RunServer(const config::ServerConfig& config);

}  // namespace ringcast::server
