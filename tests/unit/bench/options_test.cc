// Tests for ParseOptions and HelpText (tools/ringcast-bench/options.h): value syntaxes
// (durations, "max" rates, distributions with parameters), "--name value" and "--name=value",
// errors for bad input, the measurement options (--protocol, --server-pid,
// --count-server-writes, --connect-only, --pipeline, --batch-due), and a --help that lists every
// option within 100 columns.
#include "ringcast-bench/options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringcast::bench {
namespace {

ParseOutcome Parse(std::vector<const char*> args, BenchOptions* o, std::string* err) {
  args.insert(args.begin(), "ringcast-bench");
  return ParseOptions(static_cast<int>(args.size()), args.data(), o, err);
}

TEST(Options, DefaultsMatchTheDevServer) {
  BenchOptions o;
  std::string err;
  ASSERT_EQ(Parse({}, &o, &err), ParseOutcome::kRun);
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 6001);
  EXPECT_EQ(o.app_id, "app-id");
  EXPECT_EQ(o.app_key, "app-key");
  EXPECT_EQ(o.app_secret, "app-secret");
}

// A cluster's nodes: publishers on one port, subscribers spread over a list.
TEST(Options, PublishAndSubscribePorts) {
  BenchOptions o;
  std::string err;
  ASSERT_EQ(Parse({"--publish-port", "7001", "--subscribe-ports=7001,7002"}, &o, &err),
            ParseOutcome::kRun)
      << err;
  EXPECT_EQ(o.publish_port, 7001);
  ASSERT_EQ(Parse({"--server-pid", "11,12"}, &o, &err), ParseOutcome::kRun) << err;
  EXPECT_EQ(o.server_pid, 11u);
  EXPECT_EQ(o.server_pids, (std::vector<uint32_t>{11, 12}));
  EXPECT_EQ(o.subscribe_ports, (std::vector<uint16_t>{7001, 7002}));
  BenchOptions d;
  ASSERT_EQ(Parse({}, &d, &err), ParseOutcome::kRun);
  EXPECT_EQ(d.publish_port, 0);
  EXPECT_TRUE(d.subscribe_ports.empty());
  for (const char* bad : {"7001,", ",7001", "7001,0", "70000", "a", ""}) {
    BenchOptions b;
    EXPECT_EQ(Parse({"--subscribe-ports", bad}, &b, &err), ParseOutcome::kExitError) << bad;
  }
}

TEST(Options, ParsesEveryValueKind) {
  BenchOptions o;
  std::string err;
  ASSERT_EQ(
      Parse({"--connections", "100000",  "--duration=1500ms", "--warmup", "0",
             "--rate",        "max",     "--distribution",    "zipf:1.2", "--mode=client-events",
             "--batch",       "4",       "--source-ips",      "4",        "--connect-rate",
             "2500.5",        "--quiet", "--allow-loss",      "--json",   "/tmp/x.json"},
            &o, &err),
      ParseOutcome::kRun)
      << err;
  EXPECT_EQ(o.connections, 100000u);
  EXPECT_DOUBLE_EQ(o.duration_s, 1.5);
  EXPECT_DOUBLE_EQ(o.warmup_s, 0);
  EXPECT_DOUBLE_EQ(o.rate, 0);
  EXPECT_EQ(o.distribution, Distribution::kZipf);
  EXPECT_DOUBLE_EQ(o.zipf_s, 1.2);
  EXPECT_EQ(o.mode, PublishMode::kClientEvents);
  EXPECT_EQ(o.batch, 4u);
  EXPECT_EQ(o.source_ips, 4u);
  EXPECT_DOUBLE_EQ(o.connect_rate, 2500.5);
  EXPECT_TRUE(o.quiet);
  EXPECT_TRUE(o.allow_loss);
  EXPECT_EQ(o.json_path, "/tmp/x.json");
}

TEST(Options, ParsesTheMeasurementOptions) {
  BenchOptions o;
  std::string err;
  ASSERT_EQ(Parse({"--protocol", "socketio", "--server-pid=1234", "--count-server-writes",
                   "--connect-only", "--pipeline", "8", "--batch-due"},
                  &o, &err),
            ParseOutcome::kRun)
      << err;
  EXPECT_EQ(o.pipeline, 8u);
  EXPECT_TRUE(o.batch_due);
  EXPECT_EQ(o.protocol, WireProtocol::kSocketIo);
  EXPECT_EQ(o.server_pid, 1234u);
  EXPECT_EQ(o.server_pids, (std::vector<uint32_t>{1234}));
  EXPECT_TRUE(o.count_server_writes);
  EXPECT_TRUE(o.connect_only);
  EXPECT_EQ(ActivePublishers(o), 0u);
  BenchOptions d;
  EXPECT_EQ(d.protocol, WireProtocol::kPusher);
  EXPECT_EQ(ActivePublishers(d), 1u);
  EXPECT_EQ(d.pipeline, 1u);
  EXPECT_FALSE(d.batch_due);
}

TEST(Options, SocketIoPublishesThroughRestOnly) {
  BenchOptions o;
  std::string err;
  EXPECT_EQ(Parse({"--protocol", "socketio", "--mode", "client-events"}, &o, &err),
            ParseOutcome::kExitError);
  EXPECT_NE(err.find("rest"), std::string::npos) << err;
  BenchOptions p;
  EXPECT_EQ(Parse({"--protocol", "mqtt"}, &p, &err), ParseOutcome::kExitError);
  EXPECT_NE(err.find("unknown protocol"), std::string::npos) << err;
}

TEST(Options, SseSubscribersTakeEitherPublishingMode) {
  BenchOptions o;
  std::string err;
  ASSERT_EQ(Parse({"--protocol", "sse", "--mode", "client-events", "--tls"}, &o, &err),
            ParseOutcome::kRun)
      << err;
  EXPECT_EQ(o.protocol, WireProtocol::kSse);
  EXPECT_STREQ(ProtocolName(o.protocol), "sse");
}

TEST(Options, HotTakesAnOptionalShare) {
  BenchOptions o;
  std::string err;
  ASSERT_EQ(Parse({"--distribution", "hot"}, &o, &err), ParseOutcome::kRun);
  EXPECT_DOUBLE_EQ(o.hot_fraction, 0.5);
  ASSERT_EQ(Parse({"--distribution", "hot:0.9"}, &o, &err), ParseOutcome::kRun);
  EXPECT_DOUBLE_EQ(o.hot_fraction, 0.9);
  EXPECT_EQ(Parse({"--distribution", "hot:2"}, &o, &err), ParseOutcome::kExitError);
}

TEST(Options, ReportsBadInput) {
  struct Case {
    std::vector<const char*> args;
    const char* needle;
  } cases[] = {
      {{"--bogus"}, "unknown option --bogus"},
      {{"--port"}, "needs a value"},
      {{"--port", "70000"}, "outside 1..65535"},
      {{"--connections", "-1"}, "not a non-negative integer"},
      {{"--rate", "fast"}, "not a non-negative number"},
      {{"--duration", "10 min"}, "not a duration"},
      {{"--duration", "0"}, "--duration must be positive"},
      {{"--distribution", "pareto"}, "unknown distribution"},
      {{"--mode", "sse"}, "unknown mode"},
      {{"--quiet=yes"}, "takes no value"},
      {{"--read-buffers", "1000"}, "power of two"},
      {{"positional"}, "unexpected argument"},
  };
  for (const Case& c : cases) {
    BenchOptions o;
    std::string err;
    EXPECT_EQ(Parse(c.args, &o, &err), ParseOutcome::kExitError) << c.needle;
    EXPECT_NE(err.find(c.needle), std::string::npos) << err;
  }
}

TEST(Options, HelpDocumentsEveryOptionWithinOneHundredColumns) {
  std::string help = HelpText();
  for (const char* name :
       {"--host",          "--port",       "--app-id",       "--app-key",    "--app-secret",
        "--connections",   "--channels",   "--distribution", "--publishers", "--rate",
        "--payload-bytes", "--duration",   "--warmup",       "--threads",    "--source-ips",
        "--connect-rate",  "--mode",       "--batch",        "--json",       "--quiet",
        "--help",          "--allow-loss", "--drain"}) {
    EXPECT_NE(help.find(std::string("\n  ") + name + " "), std::string::npos) << name;
  }
  size_t start = 0;
  while (start < help.size()) {
    size_t end = help.find('\n', start);
    if (end == std::string::npos) end = help.size();
    EXPECT_LE(end - start, 100u) << help.substr(start, end - start);
    start = end + 1;
  }
}

}  // namespace
}  // namespace ringcast::bench
