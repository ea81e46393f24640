// Registry: the set of metric sources a scrape reads, and the scrape itself.
//
// A Collector writes one or more whole families (TextWriter::Family, then its samples) from
// numbers its owner keeps in single-writer atomics (Counter, Gauge, Histogram): Collect never
// takes a lock on, or sends a message to, the message path. Extension point: a subsystem with
// figures of its own (the write-ahead log's append/fsync latency, webhook deliveries and
// retries, TLS handshakes) owns a Collector and adds it with Add() before the server serves;
// it then appears in every scrape. Family names must be unique across collectors.
// Thread rules: Add() before any thread calls Render() (start-up, main thread); Render() from
// any thread, concurrently with the owners' writes; the collectors outlive the registry's use.
#pragma once

#include <string>
#include <vector>

#include "metrics/text_writer.h"

namespace ringcast::metrics {

class Collector {
 public:
  virtual ~Collector() = default;
  virtual void Collect(TextWriter& w) const = 0;
};

class Registry {
 public:
  void Add(const Collector* c) { collectors_.push_back(c); }
  // The whole exposition (TextWriter::kContentType).
  std::string Render() const;

 private:
  std::vector<const Collector*> collectors_;
};

}  // namespace ringcast::metrics
