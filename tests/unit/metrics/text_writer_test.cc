#include "metrics/text_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace ringcast::metrics {
namespace {

TEST(TextWriter, WritesHelpTypeAndSamplesWithLabels) {
  std::string out;
  TextWriter w(&out);
  w.Family("ringcast_deliveries_total", MetricType::kCounter, "Messages written.");
  w.Sample("ringcast_deliveries_total", Labels{}, uint64_t{42});
  w.Family("ringcast_connections", MetricType::kGauge, "Open connections.");
  w.Sample("ringcast_connections", Labels{{"protocol", "pusher"}, {"shard", "0"}}, int64_t{7});
  EXPECT_EQ(out,
            "# HELP ringcast_deliveries_total Messages written.\n"
            "# TYPE ringcast_deliveries_total counter\n"
            "ringcast_deliveries_total 42\n"
            "# HELP ringcast_connections Open connections.\n"
            "# TYPE ringcast_connections gauge\n"
            "ringcast_connections{protocol=\"pusher\",shard=\"0\"} 7\n");
}

TEST(TextWriter, EscapesLabelValuesAndHelp) {
  std::string out;
  TextWriter w(&out);
  w.Family("x", MetricType::kGauge, "a \\ back\nslash");
  w.Sample("x", Labels{{"v", "q\"b\\n\nl"}}, uint64_t{1});
  EXPECT_EQ(out,
            "# HELP x a \\\\ back\\nslash\n"
            "# TYPE x gauge\n"
            "x{v=\"q\\\"b\\\\n\\nl\"} 1\n");
}

TEST(TextWriter, WritesNumbersExactly) {
  std::string out;
  TextWriter w(&out);
  w.Family("n", MetricType::kGauge, "h");
  w.Sample("n", Labels{{"k", "a"}}, 0.5);
  w.Sample("n", Labels{{"k", "b"}}, 3.0);
  w.Sample("n", Labels{{"k", "c"}}, std::numeric_limits<double>::infinity());
  w.Sample("n", Labels{{"k", "d"}}, -std::numeric_limits<double>::infinity());
  w.Sample("n", Labels{{"k", "e"}}, std::nan(""));
  w.Sample("n", Labels{{"k", "f"}}, uint64_t{18446744073709551615u});
  w.Sample("n", Labels{{"k", "g"}}, int64_t{-5});
  w.Sample("n", Labels{{"k", "h"}}, 1e-6);
  EXPECT_NE(out.find("n{k=\"a\"} 0.5\n"), std::string::npos);
  EXPECT_NE(out.find("n{k=\"b\"} 3\n"), std::string::npos);
  EXPECT_NE(out.find("n{k=\"c\"} +Inf\n"), std::string::npos);
  EXPECT_NE(out.find("n{k=\"d\"} -Inf\n"), std::string::npos);
  EXPECT_NE(out.find("n{k=\"e\"} NaN\n"), std::string::npos);
  EXPECT_NE(out.find("n{k=\"f\"} 18446744073709551615\n"), std::string::npos);
  EXPECT_NE(out.find("n{k=\"g\"} -5\n"), std::string::npos);
  EXPECT_NE(out.find("n{k=\"h\"} 1e-06\n"), std::string::npos);
}

TEST(TextWriter, WritesHistogramCumulativeWithInfSumAndCount) {
  Histogram h({10, 100}, 0.001);  // recorded in ms, exposed in s
  h.Observe(5);
  h.Observe(10);   // on a bound: counts in that bucket (le is inclusive)
  h.Observe(50);
  h.Observe(1000);
  std::string out;
  TextWriter w(&out);
  w.Family("t_seconds", MetricType::kHistogram, "h");
  w.Histogram(Labels{{"shard", "1"}}, h.Snapshot());
  EXPECT_EQ(out,
            "# HELP t_seconds h\n"
            "# TYPE t_seconds histogram\n"
            "t_seconds_bucket{shard=\"1\",le=\"0.01\"} 2\n"
            "t_seconds_bucket{shard=\"1\",le=\"0.1\"} 3\n"
            "t_seconds_bucket{shard=\"1\",le=\"+Inf\"} 4\n"
            "t_seconds_sum{shard=\"1\"} 1.065\n"
            "t_seconds_count{shard=\"1\"} 4\n");
}

TEST(TextWriter, ValidatesNames) {
  EXPECT_TRUE(TextWriter::ValidMetricName("ringcast_x:y_total"));
  EXPECT_FALSE(TextWriter::ValidMetricName("1abc"));
  EXPECT_FALSE(TextWriter::ValidMetricName("a-b"));
  EXPECT_FALSE(TextWriter::ValidMetricName(""));
  EXPECT_TRUE(TextWriter::ValidLabelName("shard"));
  EXPECT_FALSE(TextWriter::ValidLabelName("__name"));
  EXPECT_FALSE(TextWriter::ValidLabelName("a:b"));
}

TEST(TextWriterDeathTest, RefusesMisuse) {
  std::string out;
  EXPECT_DEATH(
      {
        TextWriter w(&out);
        w.Family("c", MetricType::kCounter, "counter without _total");
      },
      "CHECK failed");
  EXPECT_DEATH(
      {
        TextWriter w(&out);
        w.Family("a", MetricType::kGauge, "h");
        w.Family("a", MetricType::kGauge, "h");
      },
      "CHECK failed");
  EXPECT_DEATH(
      {
        TextWriter w(&out);
        w.Family("a", MetricType::kGauge, "h");
        w.Sample("b", Labels{}, uint64_t{1});
      },
      "CHECK failed");
  EXPECT_DEATH(
      {
        TextWriter w(&out);
        w.Family("a", MetricType::kGauge, "h");
        w.Sample("a", Labels{{"bad-label", "x"}}, uint64_t{1});
      },
      "CHECK failed");
}

}  // namespace
}  // namespace ringcast::metrics
