#include "metrics/text_writer.h"

#include <charconv>
#include <cmath>

#include "util/log.h"

namespace ringcast::metrics {

namespace {
bool NameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool NameChar(char c) { return NameStart(c) || (c >= '0' && c <= '9'); }

const char* TypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
}  // namespace

Labels::Labels(std::initializer_list<Label> list) {
  for (const Label& l : list) Add(l);
}

void Labels::Add(Label l) {
  RC_CHECK(n_ < kMax);
  items_[n_++] = l;
}

bool TextWriter::ValidMetricName(std::string_view name) {
  if (name.empty() || !(NameStart(name[0]) || name[0] == ':')) return false;
  for (char c : name) {
    if (!NameChar(c) && c != ':') return false;
  }
  return true;
}

bool TextWriter::ValidLabelName(std::string_view name) {
  if (name.empty() || !NameStart(name[0])) return false;
  if (name.substr(0, 2) == "__") return false;  // reserved
  for (char c : name) {
    if (!NameChar(c)) return false;
  }
  return true;
}

void TextWriter::Family(std::string_view name, MetricType type, std::string_view help) {
  RC_CHECK(ValidMetricName(name));
  for (const std::string& s : seen_) RC_CHECK(s != name);
  // Prometheus convention: a counter's name ends in _total.
  RC_CHECK(type != MetricType::kCounter || EndsWith(name, "_total"));
  seen_.emplace_back(name);
  family_ = std::string(name);
  type_ = type;
  out_->append("# HELP ").append(name).push_back(' ');
  for (char c : help) {
    if (c == '\\') {
      out_->append("\\\\");
    } else if (c == '\n') {
      out_->append("\\n");
    } else {
      out_->push_back(c);
    }
  }
  out_->append("\n# TYPE ").append(name).push_back(' ');
  out_->append(TypeName(type)).push_back('\n');
}

void TextWriter::SampleHead(std::string_view name, const Labels& labels, const Label* extra) {
  RC_CHECK(!family_.empty() && name.substr(0, family_.size()) == family_);
  out_->append(name);
  size_t n = labels.size() + (extra != nullptr ? 1 : 0);
  if (n == 0) {
    out_->push_back(' ');
    return;
  }
  out_->push_back('{');
  for (size_t i = 0; i < n; ++i) {
    const Label& l = i < labels.size() ? labels[i] : *extra;
    RC_CHECK(ValidLabelName(l.name));
    if (i > 0) out_->push_back(',');
    out_->append(l.name).append("=\"");
    for (char c : l.value) {
      if (c == '\\') {
        out_->append("\\\\");
      } else if (c == '"') {
        out_->append("\\\"");
      } else if (c == '\n') {
        out_->append("\\n");
      } else {
        out_->push_back(c);
      }
    }
    out_->push_back('"');
  }
  out_->append("} ");
}

void TextWriter::Sample(std::string_view name, const Labels& labels, double value) {
  RC_CHECK(type_ != MetricType::kHistogram && name == family_);
  SampleHead(name, labels, nullptr);
  AppendNumber(value);
  out_->push_back('\n');
}

void TextWriter::Sample(std::string_view name, const Labels& labels, uint64_t value) {
  RC_CHECK(type_ != MetricType::kHistogram && name == family_);
  SampleHead(name, labels, nullptr);
  AppendNumber(value);
  out_->push_back('\n');
}

void TextWriter::Sample(std::string_view name, const Labels& labels, int64_t value) {
  RC_CHECK(type_ != MetricType::kHistogram && name == family_);
  SampleHead(name, labels, nullptr);
  AppendNumber(value);
  out_->push_back('\n');
}

void TextWriter::Histogram(const Labels& labels, const HistogramSnapshot& h) {
  RC_CHECK(type_ == MetricType::kHistogram);
  RC_CHECK(h.cumulative.size() == h.bounds.size() + 1);
  std::string bucket = family_ + "_bucket";
  char buf[64];
  for (size_t i = 0; i <= h.bounds.size(); ++i) {
    std::string_view le = "+Inf";
    if (i < h.bounds.size()) {
      auto r = std::to_chars(buf, buf + sizeof buf, h.bounds[i]);
      le = std::string_view(buf, static_cast<size_t>(r.ptr - buf));
    }
    Label extra{"le", le};
    SampleHead(bucket, labels, &extra);
    AppendNumber(h.cumulative[i]);
    out_->push_back('\n');
  }
  SampleHead(family_ + "_sum", labels, nullptr);
  AppendNumber(h.sum);
  out_->push_back('\n');
  SampleHead(family_ + "_count", labels, nullptr);
  AppendNumber(h.cumulative.back());
  out_->push_back('\n');
}

void TextWriter::AppendNumber(double v) {
  if (std::isnan(v)) {
    out_->append("NaN");
  } else if (std::isinf(v)) {
    out_->append(v > 0 ? "+Inf" : "-Inf");
  } else {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_->append(buf, static_cast<size_t>(r.ptr - buf));
  }
}

void TextWriter::AppendNumber(uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_->append(buf, static_cast<size_t>(r.ptr - buf));
}

void TextWriter::AppendNumber(int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_->append(buf, static_cast<size_t>(r.ptr - buf));
}

}  // namespace ringcast::metrics
