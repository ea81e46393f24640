#include "metrics/registry.h"

#include <gtest/gtest.h>

#include "metrics/counter.h"

namespace ringcast::metrics {
namespace {

class OneCounter : public Collector {
 public:
  OneCounter(const char* name, const Counter* c) : name_(name), c_(c) {}
  void Collect(TextWriter& w) const override {
    w.Family(name_, MetricType::kCounter, "test");
    w.Sample(name_, Labels{}, c_->Get());
  }

 private:
  const char* name_;
  const Counter* c_;
};

TEST(Registry, RendersEveryCollectorInOrderWithCurrentValues) {
  Counter a, b;
  OneCounter ca("a_total", &a), cb("b_total", &b);
  Registry r;
  r.Add(&ca);
  r.Add(&cb);
  a.Add(3);
  b.Add();
  std::string out = r.Render();
  EXPECT_EQ(out,
            "# HELP a_total test\n# TYPE a_total counter\na_total 3\n"
            "# HELP b_total test\n# TYPE b_total counter\nb_total 1\n");
  a.Add(2);
  EXPECT_NE(r.Render().find("a_total 5\n"), std::string::npos);
}

TEST(Gauge, GoesUpAndDown) {
  Gauge g;
  g.Add(5);
  g.Sub(7);
  EXPECT_EQ(g.Get(), -2);
  g.Set(4);
  EXPECT_EQ(g.Get(), 4);
}

}  // namespace
}  // namespace ringcast::metrics
