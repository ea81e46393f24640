// Tests for src/config: precedence (defaults < config file < RINGCAST_* environment < flags),
// both flag spellings, the config file named by flag or environment, every limit reachable by
// its name through all three sources, the dev app and its loopback host, --pin-cpus bare and
// with a list, --help/--version, and every error path: kExitError with a message on stderr.
// LoadConfig takes the environment as an argument, so the tests pass their own.
#include "config/config.h"

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace ringcast::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Loaded {
  ParseOutcome outcome;
  ServerConfig cfg;
  std::string err;  // what went to stderr
  std::string out;  // what went to stdout
};

Loaded Load(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  std::vector<const char*> argv = {"ringcast"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  std::vector<const char*> envp;
  for (const std::string& e : env) envp.push_back(e.c_str());
  envp.push_back(nullptr);
  Loaded l;
  ::testing::internal::CaptureStderr();
  ::testing::internal::CaptureStdout();
  l.outcome = LoadConfig(static_cast<int>(argv.size() - 1), argv.data(), envp.data(), &l.cfg);
  std::fflush(stdout);
  l.out = ::testing::internal::GetCapturedStdout();
  l.err = ::testing::internal::GetCapturedStderr();
  return l;
}

// A config file in the test's temporary directory, removed afterwards.
class ConfigFile {
 public:
  explicit ConfigFile(const std::string& json) {
    static int counter = 0;
    path_ = ::testing::TempDir() + "ringcast_config_test_" + std::to_string(getpid()) + "_" +
            std::to_string(counter++) + ".json";
    std::ofstream(path_) << json;
  }
  ~ConfigFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

uint32_t OnlineCpus() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n <= 0 ? 1 : (n > 64 ? 64 : static_cast<uint32_t>(n));
}

const char* kApp = R"({"apps":[{"id":"1","key":"k1","secret":"s1"}]})";

TEST(LoadConfig, DefaultsWithTheDevAppOnLoopback) {
  Loaded l = Load({});
  ASSERT_EQ(l.outcome, ParseOutcome::kRun) << l.err;
  EXPECT_EQ(l.err, "");
  EXPECT_EQ(l.cfg.port, 6001);
  EXPECT_EQ(l.cfg.host, "127.0.0.1");
  EXPECT_TRUE(l.cfg.dev_app);
  EXPECT_FALSE(l.cfg.host_set);
  ASSERT_EQ(l.cfg.apps.size(), 1u);
  EXPECT_EQ(l.cfg.apps[0].id, "app-id");
  EXPECT_EQ(l.cfg.apps[0].key, "app-key");
  EXPECT_EQ(l.cfg.apps[0].secret, "app-secret");
  EXPECT_TRUE(l.cfg.apps[0].enabled);
  EXPECT_TRUE(l.cfg.apps[0].enable_client_events);
  EXPECT_EQ(l.cfg.shards, OnlineCpus());
  EXPECT_EQ(l.cfg.pin_cpus, "");
  EXPECT_EQ(l.cfg.log_level, "info");
  EXPECT_EQ(l.cfg.data_dir, "./ringcast-data");
  EXPECT_EQ(l.cfg.limits.max_outbound_bytes, 4u * 1024 * 1024);
  EXPECT_EQ(l.cfg.limits.max_outbound_total_mib, 1024u);
  EXPECT_EQ(l.cfg.limits.max_channel_name_length, 164u);
  EXPECT_EQ(l.cfg.limits.max_batch_events, 10u);
}

TEST(LoadConfig, ExplicitHostKeepsTheDevAppOffLoopback) {
  Loaded l = Load({"--host", "0.0.0.0"});
  ASSERT_EQ(l.outcome, ParseOutcome::kRun) << l.err;
  EXPECT_TRUE(l.cfg.dev_app);
  EXPECT_EQ(l.cfg.host, "0.0.0.0");
  EXPECT_TRUE(l.cfg.host_set);
  Loaded e = Load({}, {"RINGCAST_HOST=::"});
  EXPECT_EQ(e.cfg.host, "::");
  ConfigFile f(R"({"host":"10.0.0.1"})");
  Loaded c = Load({"--config", f.path()});
  EXPECT_EQ(c.cfg.host, "10.0.0.1");
  EXPECT_TRUE(c.cfg.dev_app);
}

TEST(LoadConfig, ConfiguredAppsReplaceTheDevAppAndBindAllAddresses) {
  ConfigFile f(kApp);
  Loaded l = Load({"--config", f.path()});
  ASSERT_EQ(l.outcome, ParseOutcome::kRun) << l.err;
  EXPECT_FALSE(l.cfg.dev_app);
  EXPECT_EQ(l.cfg.host, "0.0.0.0");
  ASSERT_EQ(l.cfg.apps.size(), 1u);
  EXPECT_EQ(l.cfg.apps[0].key, "k1");
  EXPECT_EQ(l.cfg.config_file, f.path());
}

TEST(LoadConfig, SingleAppFromFlags) {
  Loaded l = Load({"--app-id", "42", "--app-key", "key", "--app-secret", "secret"});
  ASSERT_EQ(l.outcome, ParseOutcome::kRun) << l.err;
  EXPECT_FALSE(l.cfg.dev_app);
  ASSERT_EQ(l.cfg.apps.size(), 1u);
  EXPECT_EQ(l.cfg.apps[0].id, "42");
  EXPECT_EQ(l.cfg.apps[0].key, "key");
  EXPECT_EQ(l.cfg.apps[0].secret, "secret");
  EXPECT_EQ(l.cfg.host, "0.0.0.0");
}

TEST(LoadConfig, PrecedenceDefaultsFileEnvironmentFlags) {
  ConfigFile f(R"({"port": 7000, "shards": 3, "log_level": "warn",
                   "limits": {"max_outbound_bytes": 1000}})");
  const std::string cfg = "--config=" + f.path();
  // File over defaults.
  Loaded a = Load({cfg});
  ASSERT_EQ(a.outcome, ParseOutcome::kRun) << a.err;
  EXPECT_EQ(a.cfg.port, 7000);
  EXPECT_EQ(a.cfg.shards, 3u);
  EXPECT_EQ(a.cfg.log_level, "warn");
  EXPECT_EQ(a.cfg.limits.max_outbound_bytes, 1000u);
  // Environment over the file.
  Loaded b = Load({cfg}, {"RINGCAST_PORT=7001", "RINGCAST_MAX_OUTBOUND_BYTES=2000"});
  ASSERT_EQ(b.outcome, ParseOutcome::kRun) << b.err;
  EXPECT_EQ(b.cfg.port, 7001);
  EXPECT_EQ(b.cfg.shards, 3u);
  EXPECT_EQ(b.cfg.limits.max_outbound_bytes, 2000u);
  // Flags over the environment, in both spellings.
  Loaded c =
      Load({cfg, "--port", "7002", "--max-outbound-bytes=3000", "--log-level", "debug"},
           {"RINGCAST_PORT=7001", "RINGCAST_MAX_OUTBOUND_BYTES=2000", "RINGCAST_LOG_LEVEL=error"});
  ASSERT_EQ(c.outcome, ParseOutcome::kRun) << c.err;
  EXPECT_EQ(c.cfg.port, 7002);
  EXPECT_EQ(c.cfg.limits.max_outbound_bytes, 3000u);
  EXPECT_EQ(c.cfg.log_level, "debug");
  EXPECT_EQ(c.cfg.shards, 3u);
  // Flags over the file with no environment.
  Loaded d = Load({"--shards", "5", cfg});
  EXPECT_EQ(d.cfg.shards, 5u);
  EXPECT_EQ(d.cfg.port, 7000);
}

TEST(LoadConfig, ConfigFileNamedByTheEnvironmentUnlessAFlagNamesOne) {
  ConfigFile from_env(R"({"port": 7100})");
  ConfigFile from_flag(R"({"port": 7200})");
  Loaded a = Load({}, {"RINGCAST_CONFIG=" + from_env.path()});
  ASSERT_EQ(a.outcome, ParseOutcome::kRun) << a.err;
  EXPECT_EQ(a.cfg.port, 7100);
  EXPECT_EQ(a.cfg.config_file, from_env.path());
  Loaded b = Load({"--config", from_flag.path()}, {"RINGCAST_CONFIG=" + from_env.path()});
  ASSERT_EQ(b.outcome, ParseOutcome::kRun) << b.err;
  EXPECT_EQ(b.cfg.port, 7200);
  EXPECT_EQ(b.cfg.config_file, from_flag.path());
}

TEST(LoadConfig, OtherEnvironmentEntriesAreIgnored) {
  Loaded l = Load({}, {"PORT=1", "HOME=/root", "RINGCAST_NO_SUCH_OPTION=5", "RINGCAST_PORT",
                       "ringcast_port=9"});
  ASSERT_EQ(l.outcome, ParseOutcome::kRun) << l.err;
  EXPECT_EQ(l.cfg.port, 6001);
}

TEST(LoadConfig, PinCpusBareMeansAutoAndTakesAList) {
  EXPECT_EQ(Load({"--pin-cpus"}).cfg.pin_cpus, "auto");
  Loaded bare_then_flag = Load({"--pin-cpus", "--port", "7000"});
  ASSERT_EQ(bare_then_flag.outcome, ParseOutcome::kRun) << bare_then_flag.err;
  EXPECT_EQ(bare_then_flag.cfg.pin_cpus, "auto");
  EXPECT_EQ(bare_then_flag.cfg.port, 7000);
  EXPECT_EQ(Load({"--pin-cpus", "0,2,4"}).cfg.pin_cpus, "0,2,4");
  EXPECT_EQ(Load({"--pin-cpus=1,3"}).cfg.pin_cpus, "1,3");
  EXPECT_EQ(Load({}, {"RINGCAST_PIN_CPUS=auto"}).cfg.pin_cpus, "auto");
  ConfigFile yes(R"({"pin_cpus": true})");
  EXPECT_EQ(Load({"--config", yes.path()}).cfg.pin_cpus, "auto");
  ConfigFile no(R"({"pin_cpus": false})");
  EXPECT_EQ(Load(
                {
                    "--config",
                    no.path(),
                },
                {"RINGCAST_PIN_CPUS="})
                .cfg.pin_cpus,
            "");
  ConfigFile list(R"({"pin_cpus": "5,6"})");
  EXPECT_EQ(Load({"--config", list.path()}).cfg.pin_cpus, "5,6");
}

struct LimitName {
  const char* name;
  uint32_t Limits::*field;
};

const LimitName kLimits[] = {
    {"max_connections_per_shard", &Limits::max_connections_per_shard},
    {"max_header_bytes", &Limits::max_header_bytes},
    {"max_request_body_bytes", &Limits::max_request_body_bytes},
    {"max_ws_message_bytes", &Limits::max_ws_message_bytes},
    {"max_ws_fragments", &Limits::max_ws_fragments},
    {"max_outbound_bytes", &Limits::max_outbound_bytes},
    {"max_outbound_total_mib", &Limits::max_outbound_total_mib},
    {"max_event_data_bytes", &Limits::max_event_data_bytes},
    {"max_channels_per_event", &Limits::max_channels_per_event},
    {"max_batch_events", &Limits::max_batch_events},
    {"max_channel_name_length", &Limits::max_channel_name_length},
    {"max_event_name_length", &Limits::max_event_name_length},
    {"max_subscriptions_per_connection", &Limits::max_subscriptions_per_connection},
    {"max_channels_per_app_per_shard", &Limits::max_channels_per_app_per_shard},
    {"subscribes_per_second", &Limits::subscribes_per_second},
    {"client_messages_per_second", &Limits::client_messages_per_second},
    {"client_events_per_second", &Limits::client_events_per_second},
    {"handshake_timeout_ms", &Limits::handshake_timeout_ms},
    {"max_pipelined_requests", &Limits::max_pipelined_requests},
    {"activity_timeout_s", &Limits::activity_timeout_s},
    {"pong_timeout_s", &Limits::pong_timeout_s},
    {"shutdown_grace_ms", &Limits::shutdown_grace_ms},
    {"read_buffers_per_shard", &Limits::read_buffers_per_shard},
    {"read_buffer_bytes", &Limits::read_buffer_bytes},
    {"datonow_api_requests_per_minute", &Limits::datonow_api_requests_per_minute},
    {"datonow_ws_connections_per_second", &Limits::datonow_ws_connections_per_second},
    {"datonow_trigger_request_id_window_s", &Limits::datonow_trigger_request_id_window_s},
};

std::string Dashed(std::string s) {
  for (char& c : s) c = c == '_' ? '-' : c;
  return s;
}
std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

TEST(LoadConfig, EveryLimitIsSetByNameFromFileEnvironmentAndFlag) {
  for (size_t i = 0; i < std::size(kLimits); ++i) {
    const LimitName& lim = kLimits[i];
    SCOPED_TRACE(lim.name);
    // Valid for every limit (read_buffers_per_shard must be a power of two).
    uint32_t file_v = lim.field == &Limits::read_buffers_per_shard ? 1024 : 1000 + i;
    uint32_t env_v = lim.field == &Limits::read_buffers_per_shard ? 2048 : 1100 + i;
    uint32_t flag_v = lim.field == &Limits::read_buffers_per_shard ? 4096 : 1200 + i;
    ConfigFile f(std::string(R"({"limits":{")") + lim.name + "\":" + std::to_string(file_v) + "}}");
    Loaded a = Load({"--config", f.path()});
    ASSERT_EQ(a.outcome, ParseOutcome::kRun) << a.err;
    EXPECT_EQ(a.cfg.limits.*lim.field, file_v);
    // Every other limit keeps its default.
    Limits defaults;
    for (const LimitName& other : kLimits) {
      if (other.field != lim.field) {
        EXPECT_EQ(a.cfg.limits.*other.field, defaults.*other.field);
      }
    }
    std::string env = "RINGCAST_" + Upper(lim.name) + "=" + std::to_string(env_v);
    Loaded b = Load({"--config", f.path()}, {env});
    ASSERT_EQ(b.outcome, ParseOutcome::kRun) << b.err;
    EXPECT_EQ(b.cfg.limits.*lim.field, env_v);
    Loaded c = Load({"--config", f.path(), "--" + Dashed(lim.name), std::to_string(flag_v)}, {env});
    ASSERT_EQ(c.outcome, ParseOutcome::kRun) << c.err;
    EXPECT_EQ(c.cfg.limits.*lim.field, flag_v);
    // The config file also takes limits at the top level, under the flag's name.
    ConfigFile top(std::string("{\"") + lim.name + "\":" + std::to_string(file_v) + "}");
    Loaded d = Load({"--config", top.path()});
    ASSERT_EQ(d.outcome, ParseOutcome::kRun) << d.err;
    EXPECT_EQ(d.cfg.limits.*lim.field, file_v);
  }
}

TEST(LoadConfig, SubscriptionLimitsHaveBoundedDefaults) {
  Loaded l = Load({});
  ASSERT_EQ(l.outcome, ParseOutcome::kRun) << l.err;
  EXPECT_EQ(l.cfg.limits.max_subscriptions_per_connection, 1000u);
  EXPECT_EQ(l.cfg.limits.max_channels_per_app_per_shard, 1000000u);
  // A reconnecting client resubscribes everything at once: the rate allows a full set.
  EXPECT_EQ(l.cfg.limits.subscribes_per_second, l.cfg.limits.max_subscriptions_per_connection);
  Loaded over = Load({"--subscribes-per-second", "1000001"});
  EXPECT_EQ(over.outcome, ParseOutcome::kExitError);
  EXPECT_NE(HelpText().find("--max-channels-per-app-per-shard"), std::string::npos);
  EXPECT_NE(HelpText().find("--subscribes-per-second"), std::string::npos);
}

TEST(LoadConfig, MaximaAndZeroAreAccepted) {
  Loaded l = Load({"--port", "65535", "--shards", "64", "--max-outbound-bytes", "1073741824"});
  ASSERT_EQ(l.outcome, ParseOutcome::kRun) << l.err;
  EXPECT_EQ(l.cfg.port, 65535);
  EXPECT_EQ(l.cfg.shards, 64u);
  EXPECT_EQ(l.cfg.limits.max_outbound_bytes, 1073741824u);
  ConfigFile f(R"({"limits": {"max_batch_events": 10000}})");
  Loaded m = Load({"--config", f.path()});
  ASSERT_EQ(m.outcome, ParseOutcome::kRun) << m.err;
  EXPECT_EQ(m.cfg.limits.max_batch_events, 10000u);
  Loaded z = Load({"--port", "0"});  // port 0: the kernel picks one
  ASSERT_EQ(z.outcome, ParseOutcome::kRun) << z.err;
  EXPECT_EQ(z.cfg.port, 0);
}

TEST(LoadConfig, DatonowRateLimitsPerApp) {
  ConfigFile f(R"({"apps":[
      {"id": "a", "key": "ka", "secret": "sa", "datonow_api_requests_per_minute": 5,
       "datonow_ws_connections_per_second": 0},
      {"id": "b", "key": "kb", "secret": "sb"}],
      "limits": {"datonow_api_requests_per_minute": 900}})");
  Loaded l = Load({"--config", f.path()});
  ASSERT_EQ(l.outcome, ParseOutcome::kRun) << l.err;
  EXPECT_EQ(l.cfg.apps[0].datonow_api_requests_per_minute, 5u);
  EXPECT_EQ(l.cfg.apps[0].datonow_ws_connections_per_second, 0u);
  EXPECT_FALSE(l.cfg.apps[1].datonow_api_requests_per_minute.has_value());  // the limits value
  EXPECT_EQ(l.cfg.limits.datonow_api_requests_per_minute, 900u);
  EXPECT_EQ(l.cfg.limits.datonow_ws_connections_per_second, 10u);  // the guide's default
  EXPECT_EQ(l.cfg.limits.datonow_trigger_request_id_window_s, 600u);
  ConfigFile bad(R"({"apps":[{"id": "a", "datonow_api_requests_per_minute": -1}]})");
  Loaded e = Load({"--config", bad.path()});
  EXPECT_NE(e.outcome, ParseOutcome::kRun);
  EXPECT_NE(e.err.find("datonow_api_requests_per_minute"), std::string::npos) << e.err;
}

TEST(LoadConfig, AppsFromTheFileWithNumericIdsAndFlags) {
  ConfigFile f(R"({"apps":[
      {"id": 123, "key": "k1", "secret": "s1", "name": "one", "enabled": false,
       "max_connections": 50, "enable_client_events": false,
       "enable_user_authentication": true, "max_presence_members_per_channel": 5,
       "max_presence_user_id_length": 16, "max_presence_user_info_bytes": 200},
      {"id": "two", "key": "k2", "secret": "s2"}]})");
  Loaded l = Load({"--config", f.path(), "--app-secret", "override"});
  ASSERT_EQ(l.outcome, ParseOutcome::kRun) << l.err;
  ASSERT_EQ(l.cfg.apps.size(), 2u);
  EXPECT_EQ(l.cfg.apps[0].id, "123");
  EXPECT_EQ(l.cfg.apps[0].name, "one");
  EXPECT_FALSE(l.cfg.apps[0].enabled);
  EXPECT_EQ(l.cfg.apps[0].max_connections, 50u);
  EXPECT_FALSE(l.cfg.apps[0].enable_client_events);
  EXPECT_EQ(l.cfg.apps[0].secret, "override");  // the app flags edit the first app
  EXPECT_TRUE(l.cfg.apps[0].enable_user_authentication);
  EXPECT_EQ(l.cfg.apps[0].max_presence_members_per_channel, 5u);
  EXPECT_EQ(l.cfg.apps[0].max_presence_user_id_length, 16u);
  EXPECT_EQ(l.cfg.apps[0].max_presence_user_info_bytes, 200u);
  EXPECT_EQ(l.cfg.apps[1].id, "two");
  EXPECT_TRUE(l.cfg.apps[1].enabled);
  EXPECT_FALSE(l.cfg.apps[1].enable_user_authentication);  // Pusher's defaults
  EXPECT_EQ(l.cfg.apps[1].max_presence_members_per_channel, 100u);
  EXPECT_EQ(l.cfg.apps[1].max_presence_user_id_length, 128u);
  EXPECT_EQ(l.cfg.apps[1].max_presence_user_info_bytes, 1024u);
}

TEST(LoadConfig, SubscriptionCountIsPerAppAndOffByDefault) {
  ConfigFile f(R"({"apps":[
      {"id": "1", "key": "k1", "secret": "s1", "enable_subscription_count": true},
      {"id": "2", "key": "k2", "secret": "s2"}]})");
  Loaded l = Load({"--config", f.path()});
  ASSERT_EQ(l.outcome, ParseOutcome::kRun) << l.err;
  ASSERT_EQ(l.cfg.apps.size(), 2u);
  EXPECT_TRUE(l.cfg.apps[0].enable_subscription_count);
  EXPECT_FALSE(l.cfg.apps[1].enable_subscription_count);
  ConfigFile bad(R"({"apps":[{"id": "1", "key": "k", "secret": "s",
                              "enable_subscription_count": "yes"}]})");
  Loaded b = Load({"--config", bad.path()});
  EXPECT_EQ(b.outcome, ParseOutcome::kExitError);
  EXPECT_THAT(b.err, HasSubstr("app \"enable_subscription_count\" must be a boolean"));
}

TEST(LoadConfig, HelpAndVersionExitOk) {
  Loaded h = Load({"--port", "1", "--help"});
  EXPECT_EQ(h.outcome, ParseOutcome::kExitOk);
  EXPECT_THAT(h.out, HasSubstr("usage: ringcast [options]"));
  for (const char* flag :
       {"--host ADDR", "--port PORT", "--pin-cpus LIST", "--config FILE", "--max-outbound-bytes N",
        "--read-buffer-bytes N", "--help", "--version"}) {
    EXPECT_THAT(h.out, HasSubstr(flag));
  }
  EXPECT_EQ(Load({"-h"}).outcome, ParseOutcome::kExitOk);
  Loaded v = Load({"--version"});
  EXPECT_EQ(v.outcome, ParseOutcome::kExitOk);
  EXPECT_EQ(v.out, "ringcast 0.1.0\n");
}

// ---- errors --------------------------------------------------------------------------------

void ExpectError(const Loaded& l, const std::string& message) {
  EXPECT_EQ(l.outcome, ParseOutcome::kExitError);
  EXPECT_EQ(l.err, message);
}

TEST(LoadConfigErrors, FlagErrors) {
  ExpectError(Load({"--nope"}), "ringcast: unknown option '--nope' (see --help)\n");
  ExpectError(Load({"--nope=1"}), "ringcast: unknown option '--nope' (see --help)\n");
  ExpectError(Load({"port"}), "ringcast: unexpected argument 'port' (see --help)\n");
  ExpectError(Load({"-p", "1"}), "ringcast: unexpected argument '-p' (see --help)\n");
  ExpectError(Load({"--port"}), "ringcast: option '--port' needs a value\n");
  ExpectError(Load({"--port", "abc"}), "ringcast: --port: not a non-negative integer: 'abc'\n");
  ExpectError(Load({"--port="}), "ringcast: --port: not a non-negative integer: ''\n");
  ExpectError(Load({"--port", "-1"}), "ringcast: --port: not a non-negative integer: '-1'\n");
  ExpectError(Load({"--port", "7000x"}), "ringcast: --port: not a non-negative integer: '7000x'\n");
  ExpectError(Load({"--port", "65536"}),
              "ringcast: --port: value 65536 is above the maximum 65535\n");
  ExpectError(Load({"--shards", "65"}), "ringcast: --shards: value 65 is above the maximum 64\n");
  ExpectError(Load({"--max-outbound-bytes", "1073741825"}),
              "ringcast: --max-outbound-bytes: value 1073741825 is above the maximum "
              "1073741824\n");
  ExpectError(Load({"--log-level", "verbose"}),
              "ringcast: --log-level: unknown log level 'verbose'\n");
  ExpectError(Load({"--echo-path", "echo"}),
              "ringcast: --echo-path: echo path must start with '/'\n");
  ExpectError(Load({"--config"}), "ringcast: option '--config' needs a value\n");
}

TEST(LoadConfigErrors, EnvironmentErrors) {
  ExpectError(Load({}, {"RINGCAST_PORT=x"}),
              "ringcast: RINGCAST_PORT: not a non-negative integer: 'x'\n");
  ExpectError(Load({}, {"RINGCAST_SHARDS=100"}),
              "ringcast: RINGCAST_SHARDS: value 100 is above the maximum 64\n");
  ExpectError(Load({}, {"RINGCAST_LOG_LEVEL=loud"}),
              "ringcast: RINGCAST_LOG_LEVEL: unknown log level 'loud'\n");
  // A bad flag value is not rescued by a good environment value, and vice versa.
  ExpectError(Load({"--port", "1"}, {"RINGCAST_PORT=bad"}),
              "ringcast: RINGCAST_PORT: not a non-negative integer: 'bad'\n");
}

TEST(LoadConfigErrors, ConfigFileErrors) {
  const std::string missing = ::testing::TempDir() + "ringcast_no_such_config.json";
  Loaded m = Load({"--config", missing});
  EXPECT_EQ(m.outcome, ParseOutcome::kExitError);
  EXPECT_EQ(m.err, "ringcast: " + missing + ": cannot read config file '" + missing +
                       "': No such file or directory\n");

  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {"{", "config file is not valid JSON: "},
      {"[1,2]", "config file must hold a JSON object"},
      {R"({"apps": {}})", "\"apps\" must be an array"},
      {R"({"apps": [1]})", "each app must be an object"},
      {R"({"apps": [{"id": true}]})", "app \"id\" must be a string"},
      {R"({"apps": [{"key": 1.5}]})", "app \"key\" must be a string"},
      {R"({"apps": [{"enabled": "yes"}]})", "app \"enabled\" must be a boolean"},
      {R"({"apps": [{"enable_client_events": 1}]})",
       "app \"enable_client_events\" must be a boolean"},
      {R"({"apps": [{"max_connections": -1}]})",
       "app \"max_connections\" must be a non-negative integer"},
      {R"({"apps": [{"max_connections": 100000001}]})",
       "app \"max_connections\" must be a non-negative integer"},
      {R"({"apps": [{"enable_user_authentication": 1}]})",
       "app \"enable_user_authentication\" must be a boolean"},
      {R"({"apps": [{"max_presence_members_per_channel": -1}]})",
       "app \"max_presence_members_per_channel\" must be an integer from 0 to 1000000"},
      {R"({"apps": [{"cluster": "eu"}]})", "unknown app field \"cluster\""},
      {R"({"limits": []})", "\"limits\" must be an object"},
      {R"({"limits": {"max_cats": 1}})", "unknown limit \"max_cats\""},
      {R"({"limits": {"max_batch_events": "10"}})",
       "limit \"max_batch_events\" must be an integer"},
      {R"({"limits": {"max_batch_events": -1}})", "limit \"max_batch_events\" must be an integer"},
      {R"({"limits": {"max_batch_events": 10001}})",
       "limit \"max_batch_events\" is above its maximum"},
      {R"({"colour": "blue"})", "unknown config field \"colour\""},
      {R"({"config": "/etc/other.json"})", "unknown config field \"config\""},
      {R"({"help": 1})", "unknown config field \"help\""},
      {R"({"port": true})", "config field \"port\" cannot be a boolean"},
      {R"({"port": [6001]})", "config field \"port\" must be a string or a number"},
      {R"({"port": -5})", "config field \"port\" must be a string or a number"},
      {R"({"port": 70000})", "config field \"port\": value 70000 is above the maximum 65535"},
      {R"({"port": "x"})", "config field \"port\": not a non-negative integer: 'x'"},
      {R"({"echo_path": "nope"})", "config field \"echo_path\": echo path must start with '/'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.json);
    ConfigFile f(c.json);
    Loaded l = Load({"--config", f.path()});
    EXPECT_EQ(l.outcome, ParseOutcome::kExitError);
    EXPECT_THAT(l.err, HasSubstr("ringcast: " + f.path() + ": " + c.message));
    EXPECT_EQ(l.err.back(), '\n');
    // The same text comes back from ApplyConfigJson itself.
    ServerConfig cfg;
    EXPECT_THAT(ApplyConfigJson(c.json, &cfg), HasSubstr(c.message));
  }
}

TEST(LoadConfigErrors, FinalizeErrors) {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  };
  const Case cases[] = {
      {{"--app-id", "1", "--app-key", "k"}, "app 0 needs an id, a key and a secret"},
      {{"--app-key", "k", "--app-secret", "s"}, "app 0 needs an id, a key and a secret"},
      {{"--read-buffers-per-shard", "1000"}, "read-buffers-per-shard must be a power of two"},
      {{"--read-buffers-per-shard", "0"}, "read-buffers-per-shard must be a power of two"},
      {{"--read-buffer-bytes", "511"}, "read-buffer-bytes must be at least 512"},
      {{"--activity-timeout-s", "0"}, "activity-timeout-s must be at least 1"},
      {{"--pong-timeout-s", "0"}, "pong-timeout-s must be at least 1"},
      {{"--max-outbound-total-mib", "0"}, "max-outbound-total-mib must be at least 1"},
      {{"--max-header-bytes", "255"}, "max-header-bytes must be at least 256"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    ExpectError(Load(c.args), std::string("ringcast: ") + c.message + "\n");
  }
  ConfigFile dup_id(R"({"apps":[{"id":"1","key":"a","secret":"s"},
                                {"id":"1","key":"b","secret":"s"}]})");
  ExpectError(Load({"--config", dup_id.path()}), "ringcast: duplicate app id '1'\n");
  ConfigFile dup_key(R"({"apps":[{"id":"1","key":"a","secret":"s"},
                                 {"id":"2","key":"a","secret":"s"}]})");
  ExpectError(Load({"--config", dup_key.path()}), "ringcast: duplicate app key 'a'\n");
  // The boundary values themselves are fine.
  EXPECT_EQ(Load({"--read-buffer-bytes", "512", "--max-header-bytes", "256",
                  "--read-buffers-per-shard", "1"})
                .outcome,
            ParseOutcome::kRun);
}

TEST(LoadConfig, TlsFromTheFileObjectTheEnvironmentAndFlags) {
  ConfigFile file(R"({"tls": {"cert": "/f/cert.pem", "key": "/f/key.pem", "ciphers": "X"}})");
  Loaded l = Load({"--config", file.path()});
  ASSERT_EQ(l.outcome, ParseOutcome::kRun) << l.err;
  EXPECT_EQ(l.cfg.tls_cert, "/f/cert.pem");
  EXPECT_EQ(l.cfg.tls_key, "/f/key.pem");
  EXPECT_EQ(l.cfg.tls_ciphers, "X");
  l = Load({"--config", file.path(), "--tls-cert", "/flag/cert.pem"},
           {"RINGCAST_TLS_KEY=/env/key.pem"});
  ASSERT_EQ(l.outcome, ParseOutcome::kRun) << l.err;
  EXPECT_EQ(l.cfg.tls_cert, "/flag/cert.pem");
  EXPECT_EQ(l.cfg.tls_key, "/env/key.pem");
  EXPECT_TRUE(Load({}).cfg.tls_cert.empty());
  // Both or neither; the object takes only its three strings.
  ExpectError(Load({"--tls-cert", "/c.pem"}),
              "ringcast: tls-cert and tls-key go together: give both or neither\n");
  ConfigFile bad(R"({"tls": {"cert": "/c.pem", "password": "x"}})");
  EXPECT_THAT(Load({"--config", bad.path()}).err, HasSubstr("unknown tls field \"password\""));
  ConfigFile bad_type(R"({"tls": {"cert": 1}})");
  EXPECT_THAT(Load({"--config", bad_type.path()}).err, HasSubstr("tls \"cert\" must be a string"));
}

TEST(LoadConfig, ClusterFromTheFileObjectTheEnvironmentAndFlags) {
  Loaded l = Load({});
  EXPECT_FALSE(l.cfg.cluster.enabled());  // single node by default
  EXPECT_EQ(l.cfg.cluster.prefix, "ringcast:");
  ConfigFile file(
      R"({"cluster": {"redis_url": "redis://10.0.0.5:6380/2", "node_id": "edge-1", "prefix": "rc:"}})");
  l = Load({"--config", file.path()});
  ASSERT_EQ(l.outcome, ParseOutcome::kRun) << l.err;
  EXPECT_TRUE(l.cfg.cluster.enabled());
  EXPECT_EQ(l.cfg.cluster.redis_url, "redis://10.0.0.5:6380/2");
  EXPECT_EQ(l.cfg.cluster.node_id, "edge-1");
  EXPECT_EQ(l.cfg.cluster.prefix, "rc:");
  l = Load({"--config", file.path(), "--cluster-node-id", "edge-2"},
           {"RINGCAST_REDIS_URL=redis://:pw@redis:6379"});
  ASSERT_EQ(l.outcome, ParseOutcome::kRun) << l.err;
  EXPECT_EQ(l.cfg.cluster.redis_url, "redis://:pw@redis:6379");
  EXPECT_EQ(l.cfg.cluster.node_id, "edge-2");
  EXPECT_THAT(Load({"--redis-url", "rediss://h:6379"}).err, HasSubstr("must start with redis://"));
  EXPECT_THAT(Load({"--cluster-node-id", "a b"}).err, HasSubstr("only letters, digits and ._-"));
  EXPECT_THAT(Load({"--cluster-prefix", ""}).err, HasSubstr("1 to 64 bytes"));
  ConfigFile bad(R"({"cluster": {"redis_url": "redis://h", "sentinel": "x"}})");
  EXPECT_THAT(Load({"--config", bad.path()}).err, HasSubstr("unknown cluster field \"sentinel\""));
  ConfigFile bad_type(R"({"cluster": {"redis_url": 5}})");
  EXPECT_THAT(Load({"--config", bad_type.path()}).err,
              HasSubstr("cluster \"redis_url\" must be a string"));
}

TEST(LoadConfig, WebhookCaFileFromTheEnvironmentAndFlagMustBeReadable) {
  EXPECT_TRUE(Load({}).cfg.webhook_ca_file.empty());  // the system CA store
  ConfigFile ca("-----BEGIN CERTIFICATE-----\n");     // only its readability is checked here
  Loaded l = Load({}, {"RINGCAST_WEBHOOK_CA_FILE=" + ca.path()});
  ASSERT_EQ(l.outcome, ParseOutcome::kRun) << l.err;
  EXPECT_EQ(l.cfg.webhook_ca_file, ca.path());
  l = Load({"--webhook-ca-file", ca.path()});
  ASSERT_EQ(l.outcome, ParseOutcome::kRun) << l.err;
  EXPECT_EQ(l.cfg.webhook_ca_file, ca.path());
  EXPECT_THAT(Load({"--webhook-ca-file", "/nonexistent/ca.pem"}).err,
              HasSubstr("webhook-ca-file '/nonexistent/ca.pem' cannot be read"));
}

TEST(Finalize, FillsTheDevAppOnlyWhenNoAppIsConfigured) {
  ServerConfig a;
  EXPECT_EQ(Finalize(&a), "");
  EXPECT_TRUE(a.dev_app);
  ASSERT_EQ(a.apps.size(), 1u);
  EXPECT_EQ(a.apps[0].id, kDevAppId);
  EXPECT_EQ(a.apps[0].key, kDevAppKey);
  EXPECT_EQ(a.apps[0].secret, kDevAppSecret);
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.shards, OnlineCpus());

  ServerConfig b;
  b.apps.push_back({"x", "y", "z", "", true, 0, true});
  b.shards = 2;
  EXPECT_EQ(Finalize(&b), "");
  EXPECT_FALSE(b.dev_app);
  EXPECT_EQ(b.apps.size(), 1u);
  EXPECT_EQ(b.host, "0.0.0.0");
  EXPECT_EQ(b.shards, 2u);
}

TEST(LoadConfig, MetricsPortLogFormatAndAdminTokenFromEverySource) {
  Loaded d = Load({});
  ASSERT_EQ(d.outcome, ParseOutcome::kRun) << d.err;
  EXPECT_EQ(d.cfg.metrics_port, 0);
  EXPECT_EQ(d.cfg.log_format, "text");
  EXPECT_EQ(d.cfg.admin_token, "");
  ConfigFile f(R"({"metrics_port": 9100, "log_format": "json", "admin_token": "t0"})");
  Loaded c = Load({"--config", f.path()});
  ASSERT_EQ(c.outcome, ParseOutcome::kRun) << c.err;
  EXPECT_EQ(c.cfg.metrics_port, 9100);
  EXPECT_EQ(c.cfg.log_format, "json");
  EXPECT_EQ(c.cfg.admin_token, "t0");
  Loaded e =
      Load({"--config", f.path()}, {"RINGCAST_METRICS_PORT=9200", "RINGCAST_ADMIN_TOKEN=t1"});
  EXPECT_EQ(e.cfg.metrics_port, 9200);
  EXPECT_EQ(e.cfg.admin_token, "t1");
  Loaded g =
      Load({"--metrics-port", "9300", "--log-format", "text"}, {"RINGCAST_METRICS_PORT=9200"});
  EXPECT_EQ(g.cfg.metrics_port, 9300);
  EXPECT_EQ(g.cfg.log_format, "text");
}

TEST(LoadConfig, RefusesABadLogFormatAndAMetricsPortEqualToThePort) {
  Loaded a = Load({"--log-format", "xml"});
  EXPECT_EQ(a.outcome, ParseOutcome::kExitError);
  EXPECT_THAT(a.err, HasSubstr("unknown log format 'xml'"));
  Loaded b = Load({"--port", "7000", "--metrics-port", "7000"});
  EXPECT_EQ(b.outcome, ParseOutcome::kExitError);
  EXPECT_THAT(b.err, HasSubstr("metrics-port must differ from port"));
  Loaded c = Load({"--metrics-port", "70000"});
  EXPECT_EQ(c.outcome, ParseOutcome::kExitError);
}

TEST(Config, ImpulseIsOffUntilASecretAndReadsItsKeys) {
  Loaded off = Load({});
  ASSERT_EQ(off.outcome, ParseOutcome::kRun);
  EXPECT_FALSE(off.cfg.impulse.enabled());
  EXPECT_EQ(off.cfg.impulse.prefix, "/impulse");
  EXPECT_EQ(off.cfg.impulse.cors_origin, "*");

  ConfigFile f(R"({"apps":[{"id":"1","key":"k1","secret":"s1"},{"id":"2","key":"k2","secret":"s2"}],
    "impulse":{"prefix":"/rt","secret":"file","app_id":"2","cors_origin":"https://a.example",
               "cors_credentials":true,"heartbeat_ms":500}})");
  Loaded l = Load({"--config", f.path()});
  ASSERT_EQ(l.outcome, ParseOutcome::kRun) << l.err;
  EXPECT_EQ(l.cfg.impulse.prefix, "/rt");
  EXPECT_EQ(l.cfg.impulse.secret, "file");
  EXPECT_EQ(l.cfg.impulse.app, 1u) << "app_id picks the second app";
  EXPECT_TRUE(l.cfg.impulse.cors_credentials);
  EXPECT_EQ(l.cfg.impulse.heartbeat_ms, 500u);

  // The broker's own variable; like every environment variable it overrides the file.
  Loaded env = Load({"--config", f.path()}, {"REALTIME_SECRET=from-env"});
  ASSERT_EQ(env.outcome, ParseOutcome::kRun);
  EXPECT_EQ(env.cfg.impulse.secret, "from-env");
  Loaded only_env = Load({}, {"REALTIME_SECRET=x"});
  ASSERT_EQ(only_env.outcome, ParseOutcome::kRun) << only_env.err;
  EXPECT_TRUE(only_env.cfg.impulse.enabled()) << "the dev app is the only app";
}

TEST(Config, ImpulseRefusesWhatCannotWork) {
  const char* bad[] = {
      R"({"impulse":{"prefix":"impulse"}})",
      R"({"impulse":{"prefix":"/"}})",
      R"({"impulse":{"prefix":"/a/"}})",
      R"({"impulse":{"prefix":"/sse/x"}})",
      R"({"impulse":{"prefix":"/health"}})",
      R"({"impulse":{"cors_credentials":true}})",
      R"({"impulse":{"heartbeat_ms":"5"}})",
      R"({"impulse":{"nope":1}})",
      R"({"apps":[{"id":"1","key":"k1","secret":"s1"}],"impulse":{"secret":"s","app_id":"9"}})",
      R"({"apps":[{"id":"1","key":"k1","secret":"s1"},{"id":"2","key":"k2","secret":"s2"}],
          "impulse":{"secret":"s"}})",
  };
  for (const char* json : bad) {
    ConfigFile f(json);
    Loaded l = Load({"--config", f.path()});
    EXPECT_EQ(l.outcome, ParseOutcome::kExitError) << json;
    EXPECT_THAT(l.err, HasSubstr("impulse")) << json;
  }
}

TEST(Config, DialogueIsOffWithoutItsSectionAndReadsTheIssueShape) {
  Loaded off = Load({});
  ASSERT_EQ(off.outcome, ParseOutcome::kRun);
  EXPECT_FALSE(off.cfg.dialogue.enabled);

  ConfigFile f(R"({"apps":[{"id":"1","key":"k1","secret":"s1"},{"id":"2","key":"k2","secret":"s2"}],
    "dialogue":{"app_id":"2","path":"/rt/","allow_client_rooms":false,"jwt_secret":"j",
      "cors":{"origins":["https://a.example"],"credentials":true},
      "rooms":[{"id":"chat","name":"Chat Room","description":"d","maxSize":100,
                "defaultSubscriptions":["message"],"syncHistoryOnJoin":50,
                "events":[{"name":"message",
                           "schema":{"type":"object","required":["text"],
                                     "properties":{"text":{"type":"string","maxLength":9}}},
                           "history":{"enabled":true,"limit":100}},
                          {"name":"typing"}, "plain"]},
               {"id":"user:1","name":"Inbox","syncHistoryOnJoin":true,"events":[]}],
      "hooks":{"url":"http://backend/hooks","on":["authenticate","beforeJoin"],
               "timeout_ms":250,"on_failure":"allow"},
      "ping_interval_ms":1000,"ping_timeout_ms":500}})");
  Loaded l = Load({"--config", f.path()});
  ASSERT_EQ(l.outcome, ParseOutcome::kRun) << l.err;
  const DialogueConfig& d = l.cfg.dialogue;
  EXPECT_TRUE(d.enabled);
  EXPECT_EQ(d.app, 1u);
  EXPECT_EQ(d.path, "/rt") << "a trailing '/' is dropped";
  EXPECT_FALSE(d.allow_client_rooms);
  EXPECT_EQ(d.jwt_secret, "j");
  EXPECT_THAT(d.cors_origins, ElementsAre("https://a.example"));
  EXPECT_TRUE(d.cors_credentials);
  ASSERT_EQ(d.rooms.size(), 2u);
  const DialogueRoomConfig& chat = d.rooms[0];
  EXPECT_EQ(chat.id, "chat");
  EXPECT_EQ(chat.name, "Chat Room");
  EXPECT_EQ(chat.max_size, 100u);
  EXPECT_THAT(chat.default_subscriptions, ElementsAre("message"));
  EXPECT_EQ(chat.sync_history_on_join, 50u);
  ASSERT_EQ(chat.events.size(), 3u);
  EXPECT_EQ(chat.events[0].name, "message");
  EXPECT_THAT(chat.events[0].schema_json, HasSubstr(R"("required":["text"])"));
  EXPECT_NE(chat.events[0].schema, nullptr) << "compiled at load";
  EXPECT_EQ(chat.events[1].schema, nullptr);
  EXPECT_TRUE(chat.events[0].history);
  EXPECT_EQ(chat.events[1].schema_json, "");
  EXPECT_EQ(chat.events[2].name, "plain");
  EXPECT_EQ(d.rooms[1].sync_history_on_join, DialogueRoomConfig::kAll);
  EXPECT_TRUE(d.rooms[1].events.empty());
  EXPECT_EQ(d.hooks.url, "http://backend/hooks");
  EXPECT_THAT(d.hooks.on, ElementsAre("authenticate", "beforeJoin"));
  EXPECT_EQ(d.hooks.timeout_ms, 250u);
  EXPECT_FALSE(d.hooks.reject_on_failure);
  EXPECT_EQ(d.ping_interval_ms, 1000u);
  EXPECT_EQ(d.ping_timeout_ms, 500u);

  // Rooms as Dialogue's createDialogue takes them: an object keyed by id.
  ConfigFile keyed(R"({"dialogue":{"rooms":{"lobby":{"name":"Lobby","events":[{"name":"*"}]}}}})");
  Loaded k = Load({"--config", keyed.path()});
  ASSERT_EQ(k.outcome, ParseOutcome::kRun) << k.err;
  ASSERT_EQ(k.cfg.dialogue.rooms.size(), 1u);
  EXPECT_EQ(k.cfg.dialogue.rooms[0].id, "lobby");
  EXPECT_EQ(k.cfg.dialogue.path, "/socket.io");
  EXPECT_EQ(k.cfg.dialogue.app, 0u) << "the dev app";
}

TEST(Config, DialogueRefusesWhatCannotWork) {
  const char* bad[] = {
      R"({"dialogue":[]})",
      R"({"dialogue":{"nope":1}})",
      R"({"dialogue":{"path":"socket.io"}})",
      R"({"dialogue":{"path":"/apps/x"}})",
      R"({"dialogue":{"path":"/health"}})",
      R"({"dialogue":{"rooms":[{"name":"no id"}]}})",
      R"({"dialogue":{"rooms":[{"id":"a"},{"id":"a"}]}})",
      R"({"dialogue":{"rooms":[{"id":"private-x"}]}})",
      R"({"dialogue":{"rooms":[{"id":"presence-x"}]}})",
      R"({"dialogue":{"rooms":[{"id":"has space"}]}})",
      R"({"dialogue":{"rooms":[{"id":"a","maxSize":-1}]}})",
      R"({"dialogue":{"rooms":[{"id":"a","events":[{"name":"m"},{"name":"m"}]}]}})",
      R"({"dialogue":{"rooms":[{"id":"a","events":[{"name":"m","schema":"x"}]}]}})",
      R"({"dialogue":{"rooms":[{"id":"a","events":[{"name":"m","schema":{"type":"nope"}}]}]}})",
      R"({"dialogue":{"rooms":[{"id":"a","events":[{"name":"m","schema":{"pattern":"x"}}]}]}})",
      R"({"dialogue":{"rooms":[{"id":"a","events":[{"nom":"m"}]}]}})",
      R"({"dialogue":{"rooms":[{"id":"a","syncHistoryOnJoin":"yes"}]}})",
      R"({"dialogue":{"hooks":{"url":"ftp://x","on":["authenticate"]}}})",
      R"({"dialogue":{"hooks":{"on":["authenticate"]}}})",
      R"({"dialogue":{"hooks":{"url":"http://x","on":["beforeLunch"]}}})",
      R"({"dialogue":{"hooks":{"url":"http://x","on_failure":"maybe"}}})",
      R"({"dialogue":{"ping_interval_ms":5}})",
      R"({"apps":[{"id":"1","key":"k1","secret":"s1"},{"id":"2","key":"k2","secret":"s2"}],
          "dialogue":{}})",
  };
  for (const char* json : bad) {
    ConfigFile f(json);
    Loaded l = Load({"--config", f.path()});
    EXPECT_EQ(l.outcome, ParseOutcome::kExitError) << json;
    EXPECT_THAT(l.err, HasSubstr("dialogue")) << json;
  }
}

}  // namespace
}  // namespace ringcast::config
