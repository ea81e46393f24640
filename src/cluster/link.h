// Link: one long-lived TCP connection to Redis on the control plane's io_uring (docs/cluster.md,
// "The link"): connect (with a linked timeout), then a RECV always armed (replies and pub/sub
// messages may come at any time) and at most one SEND in flight carrying everything appended
// since the last one. Whole replies go to the Handler in order, as RespValue trees.
//
// Never blocks: the socket is non-blocking and every wait is a ring operation. The descriptor is
// closed only after the completions of every operation that names it (connect, its linked
// timeout, recv, send; the ordered-descriptor rule, docs/architecture.md): Close() cancels what is
// in flight and the handler hears OnClosed once the last completion is in. user_data: kTag, the
// link's id (set by the owner, so that two links share a ring), the operation, and a generation
// that changes with every connection (a completion of an old one is recognised and ignored).
// Bounds: a reply over RespReader's bound, or an outbound buffer over `max_outbound` bytes, closes
// the connection ("reply too large", "outbound full"); Append says false at the bound so the owner
// can refuse (503) before anything is queued.
// Thread rules: the thread that owns the ring.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "cluster/resp.h"
#include "runtime/ring.h"

namespace ringcast::cluster {

class Link {
 public:
  // Bit 62 (the webhook dispatcher owns bit 63).
  static constexpr uint64_t kTag = 1ull << 62;
  static bool Owns(uint64_t user_data) { return (user_data & (3ull << 62)) == kTag; }
  static uint32_t IdOf(uint64_t user_data) {
    return static_cast<uint32_t>((user_data >> 56) & 0x3f);
  }

  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void OnOpen(uint32_t link) = 0;
    virtual void OnReply(uint32_t link, RespValue&& reply) = 0;
    // After the last completion; the link is idle again (Connect may be called).
    virtual void OnClosed(uint32_t link, const std::string& why) = 0;
  };

  enum class State : uint8_t { kIdle, kConnecting, kOpen, kClosing };

  // `id` < 64 tells this link's completions apart from others' on the same ring.
  Link(runtime::Ring* ring, uint32_t id, Handler* handler, size_t max_outbound = size_t{64} << 20);
  ~Link();
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // From kIdle. False (nothing started, handler not called) when no socket could be made.
  [[nodiscard]] bool Connect(const sockaddr_storage& addr, socklen_t addr_len, uint32_t timeout_ms,
                             std::string* error);
  // Queues bytes for the next Flush. False (nothing queued) past max_outbound or when not
  // connecting or open.
  [[nodiscard]] bool Append(std::string_view bytes);
  std::string* outbound() { return &out_; }  // for AppendCommand; check room() first
  size_t room() const { return out_.size() >= max_outbound_ ? 0 : max_outbound_ - out_.size(); }
  // Submits a SEND of what is queued, when open and none is in flight.
  void Flush();
  // Closes (from any state but kIdle); OnClosed(why) follows once nothing is in flight.
  void Close(const std::string& why);
  void OnCompletion(const io_uring_cqe& cqe);

  State state() const { return state_; }
  size_t outbound_bytes() const { return out_.size() + sending_.size(); }

 private:
  enum Op : uint64_t { kConnectOp = 1, kTimeoutOp = 2, kRecvOp = 3, kSendOp = 4, kCancelOp = 5 };
  uint64_t UserData(Op op) const;
  void SubmitRecv();
  void Fail(const std::string& why);
  void MaybeFinishClose();

  runtime::Ring* ring_;
  uint32_t id_;
  Handler* handler_;
  size_t max_outbound_;
  State state_ = State::kIdle;
  int fd_ = -1;
  uint64_t generation_ = 0;
  int in_flight_ = 0;  // operations naming fd_ (connect, its timeout, recv, send)
  bool recv_armed_ = false;
  bool send_armed_ = false;
  bool connect_armed_ = false;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  __kernel_timespec timeout_{};
  std::string out_;      // appended, not yet sent
  std::string sending_;  // in the SEND in flight (sent_ of it done)
  size_t sent_ = 0;
  std::string close_reason_;
  std::unique_ptr<RespReader> reader_;  // new for every connection
  char buf_[64 * 1024];
};

}  // namespace ringcast::cluster
