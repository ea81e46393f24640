// RestPublisher: publishes through the Pusher HTTP API on one keep-alive HTTP/1.1
// connection: POST /apps/{id}/events (one event) or /batch_events (--batch N > 1), signed
// as in the Pusher REST API (auth_key, auth_timestamp, auth_version, body_md5,
// auth_signature over METHOD\nPATH\nQUERY, via auth::SignedQuery).
//
// Up to --pipeline requests in flight (HTTP/1.1 pipelining; default 1, no pipelining): at a
// fixed rate the next request leaves when its events are due and fewer than --pipeline are
// unanswered; at max rate, as soon as fewer than --pipeline are unanswered. Answers come back
// in request order. A 200 answer makes each event of its request count as published
// (expected deliveries); any other status counts its events as refused, by status. If the
// connection is lost, the requests in flight have an unknown outcome (counted) and the
// publisher reconnects after 100 ms. Single-threaded: the owning worker.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "http/response_reader.h"
#include "ringcast-bench/bench_conn.h"
#include "ringcast-bench/publisher.h"

namespace ringcast::bench {

class RestPublisher final : public BenchConn, public Publisher {
 public:
  RestPublisher(Worker* worker, uint32_t index) : Publisher(worker, index) {}

  void Start() override;
  bool ready() const override { return ever_connected_; }
  bool failed() const override { return failed_; }
  void GiveUp() override;
  void Tick(uint64_t now_ns) override;
  uint64_t next_wake_ns() const override;

 private:
  void OnConnect(int res, uint64_t now_ns) override;
  void OnData(const char* data, size_t len, uint64_t now_ns) override;
  void OnReadEnd(int res) override;
  void OnSendError(int res) override;
  void OnClosed() override;

  void Connect();
  // Fills request_ with the signed request for `events`.
  void BuildRequest(const std::vector<PlannedEvent>& events);
  void OnResponse(uint64_t now_ns);
  void Error(const std::string& kind);
  void MaybeDone(uint64_t now_ns);

  struct InFlight {
    std::vector<PlannedEvent> events;
    uint64_t sent_at_ns = 0;
  };

  http::ResponseReader reader_;
  std::deque<InFlight> inflight_;  // oldest first, answered in this order
  std::string body_;
  std::string request_;
  uint64_t reconnect_at_ns_ = 0;
  bool open_ = false;
  bool ever_connected_ = false;
  bool failed_ = false;
};

}  // namespace ringcast::bench
