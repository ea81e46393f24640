// TextWriter: writes the Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
//
// A scrape is a sequence of families; each family opens with Family() (its # HELP and # TYPE
// lines, once per exposition) and is followed by its samples, all named after it (a histogram's
// _bucket, _sum and _count lines come from Histogram()). Label values are escaped (\\, \", \n);
// numbers are written exactly (integers as integers, other values in the shortest form that
// reads back the same; +Inf, -Inf, NaN). Misuse (a bad name, a sample outside its family, a
// family opened twice) is a broken invariant of the caller and aborts (RC_CHECK): metric names
// are fixed in the code, never taken from input.
// Thread rules: one writer object per exposition, used by one thread.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/histogram.h"

namespace ringcast::metrics {

enum class MetricType { kCounter, kGauge, kHistogram };

struct Label {
  std::string_view name;
  std::string_view value;  // any bytes; escaped on output
};

// Up to kMax labels, by value (views: the strings must outlive the call).
class Labels {
 public:
  static constexpr size_t kMax = 6;
  Labels() = default;
  Labels(std::initializer_list<Label> list);
  void Add(Label l);
  size_t size() const { return n_; }
  const Label& operator[](size_t i) const { return items_[i]; }

 private:
  Label items_[kMax];
  size_t n_ = 0;
};

class TextWriter {
 public:
  explicit TextWriter(std::string* out) : out_(out) {}

  void Family(std::string_view name, MetricType type, std::string_view help);
  void Sample(std::string_view name, const Labels& labels, double value);
  void Sample(std::string_view name, const Labels& labels, uint64_t value);
  void Sample(std::string_view name, const Labels& labels, int64_t value);
  // The family's _bucket (one per bound and +Inf), _sum and _count lines.
  void Histogram(const Labels& labels, const HistogramSnapshot& h);

  static bool ValidMetricName(std::string_view name);
  static bool ValidLabelName(std::string_view name);
  // The exposition's Content-Type.
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  void SampleHead(std::string_view name, const Labels& labels, const Label* extra);
  void AppendNumber(double v);
  void AppendNumber(uint64_t v);
  void AppendNumber(int64_t v);

  std::string* out_;
  std::string family_;
  MetricType type_ = MetricType::kGauge;
  std::vector<std::string> seen_;
};

}  // namespace ringcast::metrics
