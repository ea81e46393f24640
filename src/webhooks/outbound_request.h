// OutboundRequest: one HTTP/1.1 request to a webhook target, run as a chain of io_uring
// operations on the control plane's ring: connect, send (repeated until every byte is out),
// recv (repeated until http::ResponseReader has the whole response), then close.
//
// Never blocks: the socket is non-blocking and every wait is a ring operation. One operation is
// in flight at a time, so the socket is closed (plain close(2), which does not block for a
// socket without SO_LINGER) only after the completion of the last operation that names it (the
// ordered-descriptor rule, docs/architecture.md). A request past its deadline gets an
// IORING_OP_ASYNC_CANCEL of its operation (CancelIfLate); the operation then completes (with
// -ECANCELED, or its own result if it raced) and the request fails as "timed out".
// user_data: `tag` for the operation, unique per request (the dispatcher puts a generation in
// it, so a late cancel never hits the slot's next request); tag | kCancelBit for the cancel,
// whose completion the owner ignores.
// Thread rules: the thread that owns the ring (the control plane).
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>

#include "http/response_reader.h"
#include "runtime/ring.h"

namespace ringcast::webhooks {

class OutboundRequest {
 public:
  static constexpr uint64_t kCancelBit = 1ull << 62;

  OutboundRequest() = default;
  ~OutboundRequest();
  OutboundRequest(const OutboundRequest&) = delete;
  OutboundRequest& operator=(const OutboundRequest&) = delete;

  // Starts sending `request` (which must stay valid until the request finishes) to `addr`.
  // Returns false (error() says why) when not even the socket could be made.
  [[nodiscard]] bool Start(runtime::Ring* ring, const sockaddr_storage& addr, socklen_t addr_len,
                           const std::string* request, uint64_t deadline_ms, uint64_t tag);

  // The completion of this request's operation. Returns true when the request has finished:
  // then status() is the HTTP status (0 when none came) and error() says what failed.
  bool OnCompletion(runtime::Ring* ring, int res);

  void CancelIfLate(runtime::Ring* ring, uint64_t now_ms);

  bool busy() const { return step_ != Step::kIdle; }
  // A deadline the owner must wake up for: busy and not cancelled yet (after the cancel only
  // a completion can move the request on, and waiting for it lets the kernel deliver it).
  bool awaits_deadline() const { return busy() && !cancel_sent_; }
  uint64_t deadline_ms() const { return deadline_ms_; }
  int status() const { return status_; }
  const std::string& error() const { return error_; }

 private:
  enum class Step : uint8_t { kIdle, kConnect, kSend, kRecv };

  void SubmitSend(runtime::Ring* ring);
  void SubmitRecv(runtime::Ring* ring);
  bool Finish(int status, std::string error);

  Step step_ = Step::kIdle;
  int fd_ = -1;
  bool cancel_sent_ = false;
  int status_ = 0;
  uint64_t tag_ = 0;
  uint64_t deadline_ms_ = 0;
  size_t sent_ = 0;
  const std::string* request_ = nullptr;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  std::string error_;
  http::ResponseReader reader_;
  std::array<char, 4096> buf_{};
};

}  // namespace ringcast::webhooks
