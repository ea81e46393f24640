// Listener: creates the TCP listening socket for one shard. Every shard binds its own socket to
// the same host:port with SO_REUSEPORT, so the kernel spreads incoming connections over shards.
// Called once per shard at start-up, from any thread.
#pragma once

#include <cstdint>
#include <string>

namespace ringcast::net {

// Returns the listening fd, or -errno. `host` is an IPv4 or IPv6 literal ("0.0.0.0", "::",
// "127.0.0.1"); port 0 picks a free port (read it back with BoundPort).
[[nodiscard]] int CreateListener(const std::string& host, uint16_t port, int backlog);

// The port a socket is bound to, or -1.
int BoundPort(int fd);

}  // namespace ringcast::net
