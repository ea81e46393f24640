// Listener: creates the TCP listening socket for one shard. Every shard binds its own socket to
// the same host:port with SO_REUSEPORT, so the kernel spreads incoming connections over shards.
// The first shard's socket is bound kFirst: without SO_REUSEPORT, so that bind() fails with
// EADDRINUSE when any other socket holds the port (another ringcast, any server; a listener on
// the IPv4 or IPv6 wildcard overlaps a specific address and the other way round); SO_REUSEPORT is
// turned on after the bind and before listen(), so the other shards' sockets (kJoin) can join it.
// There is no window between the check and the bind: the first bind is the check. A process
// that binds later with SO_REUSEPORT could still join; ringcast never does, as it binds kFirst.
// Called once per shard at start-up, from any thread.
#pragma once

#include <cstdint>
#include <string>

namespace ringcast::net {

enum class ListenerRole {
  kFirst,  // must be alone on the port (EADDRINUSE otherwise); others may join it afterwards
  kJoin,   // joins a kFirst socket of this process on the same host:port
};

// Returns the listening fd, or -errno. `host` is an IPv4 or IPv6 literal ("0.0.0.0", "::",
// "127.0.0.1"); port 0 picks a free port (read it back with BoundPort).
[[nodiscard]] int CreateListener(const std::string& host, uint16_t port, int backlog,
                                 ListenerRole role = ListenerRole::kJoin);

// The port a socket is bound to, or -1.
int BoundPort(int fd);

}  // namespace ringcast::net
