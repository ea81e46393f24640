// BenchConn: what the worker's io_uring loop knows about one of its TCP connections (a
// subscriber, a client-event publisher or a REST publisher), and the callbacks it delivers.
//
// Owns: the socket, the bytes being written (`sending`, kept alive until the kernel is done
// with them) and those waiting behind them (`queued`). The Worker owns every BenchConn and
// drives these fields; subclasses only read them and call Worker::Connect/Send/Close.
// Single-threaded: the owning worker. A connection is closed in two steps: Worker::Close
// shuts the socket down, and once no connect, recv or send is in flight the worker closes
// the descriptor, bumps `gen` (completions of the old socket are then ignored) and calls
// OnClosed(), where a subclass may connect again. Callbacks may call Send and Close.
// A direct connection (--descriptors direct) names slot `fd` of the worker's registered file
// table in every operation; its socket, bind, connect, shutdown and close all go through the
// ring, and the close waits for its shutdowns too (a late one must not reach the slot's next
// socket).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ringcast::tls {
class TlsStream;
}  // namespace ringcast::tls

namespace ringcast::bench {

class BenchConn {
 public:
  virtual ~BenchConn() = default;

  // connect() finished: res 0 or -errno.
  virtual void OnConnect(int res, uint64_t now_ns) = 0;
  // Bytes read; `data` has at least 64 readable bytes after `len` (provided buffer slack).
  virtual void OnData(const char* data, size_t len, uint64_t now_ns) = 0;
  // The read side ended: res 0 (peer closed) or -errno. The connection should Close.
  virtual void OnReadEnd(int res) = 0;
  // A write failed with -errno. The connection should Close.
  virtual void OnSendError(int res) = 0;
  // Everything handed to Send so far has been written (the socket is writable again).
  virtual void OnWriteComplete() {}
  // The descriptor is closed and no operation is in flight.
  virtual void OnClosed() = 0;

  int fd = -1;      // with `direct`: the index in the worker's direct descriptor table
  bool direct = false;  // the socket is an io_uring direct descriptor (--descriptors direct)
  uint8_t shutdowns = 0;  // direct: shutdown operations in flight (the close waits for them)
  int setup_error = 0;    // direct: a failed socket or bind before the connect (-errno)
  uint32_t slot = 0;
  uint32_t target = 0;  // which of Endpoint::targets it connects to
  uint32_t gen = 0;  // 24 bits are used in completion tags
  uint32_t send_offset = 0;
  bool connecting = false;
  bool recv_armed = false;
  bool send_inflight = false;
  bool closing = false;
  std::string sending;
  std::string queued;
  // --tls: the connection's record layer, between the socket and the callbacks (worker.cc).
  // OnConnect is called once its handshake is done; OnData gets plaintext; Send takes it.
  tls::TlsStream* tls = nullptr;
};

}  // namespace ringcast::bench
