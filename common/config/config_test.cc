// Tests for flag/environment configuration: env names, host:port parsing,
// start-up checks that name the flag and its env twin.
#include "common/config/config.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_FLAG(std::string, config_test_addr, "default:1", "Test flag set from env or command line");
ABSL_FLAG(int, config_test_port, 7, "Test flag set from env");

namespace salesops {
namespace {

using ::testing::HasSubstr;

// A flag's env twin is SALESOPS_ plus the upper-cased flag name.
TEST(ConfigTest, EnvNameForFlag) {
  EXPECT_EQ(EnvNameForFlag("redis_addr"), "SALESOPS_REDIS_ADDR");
  EXPECT_EQ(EnvNameForFlag("jwt_hs256_secret"), "SALESOPS_JWT_HS256_SECRET");
  EXPECT_EQ(EnvNameForFlag("port"), "SALESOPS_PORT");
}

// host:port with an IPv4 address or a name splits at the colon.
TEST(SplitHostPortTest, Ipv4AndNames) {
  std::string host;
  int port = -1;
  ASSERT_TRUE(SplitHostPort("127.0.0.1:6380", &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 6380);
  ASSERT_TRUE(SplitHostPort("kafka.local:9092", &host, &port));
  EXPECT_EQ(host, "kafka.local");
  EXPECT_EQ(port, 9092);
  ASSERT_TRUE(SplitHostPort("0.0.0.0:0", &host, &port));
  EXPECT_EQ(port, 0);
  ASSERT_TRUE(SplitHostPort("h:65535", &host, &port));
  EXPECT_EQ(port, 65535);
}

// A bracketed IPv6 address yields the address without brackets.
TEST(SplitHostPortTest, Ipv6) {
  std::string host;
  int port = -1;
  ASSERT_TRUE(SplitHostPort("[::1]:7101", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 7101);
  ASSERT_TRUE(SplitHostPort("[fe80::1:2]:80", &host, &port));
  EXPECT_EQ(host, "fe80::1:2");
  EXPECT_EQ(port, 80);
}

// Missing or out-of-range ports, empty hosts and broken brackets are rejected, outputs untouched.
TEST(SplitHostPortTest, Malformed) {
  for (absl::string_view bad : {"", "127.0.0.1", "127.0.0.1:", ":80", "host:65536",
                                "host:99999999999", "host:-1", "host:http", "host:80x", "[::1]",
                                "[::1]7101", "[::1:7101", "[::1]:", "[]:80", "[::1]:65536"}) {
    SCOPED_TRACE(bad);
    std::string host = "unchanged";
    int port = -42;
    EXPECT_FALSE(SplitHostPort(bad, &host, &port));
    EXPECT_EQ(host, "unchanged");
    EXPECT_EQ(port, -42);
  }
}

// A clean check is OK.
TEST(ConfigCheckTest, NoProblemsIsOk) {
  ConfigCheck check;
  check.HostPort("redis_addr", "127.0.0.1:6380");
  check.Port("metrics_port", 0);
  check.Port("port", 65535);
  check.Positive("timeout_seconds", 0.5);
  check.NonEmpty("kafka_bootstrap", "127.0.0.1:9092");
  EXPECT_TRUE(check.status().ok());
}

// Each problem names the flag and its env twin, and says what is wrong.
TEST(ConfigCheckTest, MessagesNameFlagAndEnvTwin) {
  struct Case {
    std::function<void(ConfigCheck&)> add;
    std::string expected;
  };
  std::vector<Case> cases = {
      {[](ConfigCheck& c) { c.HostPort("redis_addr", "localhost"); },
       "--redis_addr (SALESOPS_REDIS_ADDR): 'localhost' is not host:port"},
      {[](ConfigCheck& c) { c.Port("metrics_port", 70000); },
       "--metrics_port (SALESOPS_METRICS_PORT): 70000 is not a port (0..65535)"},
      {[](ConfigCheck& c) { c.Port("metrics_port", -1); },
       "--metrics_port (SALESOPS_METRICS_PORT): -1 is not a port (0..65535)"},
      {[](ConfigCheck& c) { c.Positive("relay_batch", 0); },
       "--relay_batch (SALESOPS_RELAY_BATCH): 0 must be > 0"},
      {[](ConfigCheck& c) { c.Positive("relay_batch", -2.5); },
       "--relay_batch (SALESOPS_RELAY_BATCH): -2.5 must be > 0"},
      {[](ConfigCheck& c) { c.NonEmpty("jwt_hs256_secret", ""); },
       "--jwt_hs256_secret (SALESOPS_JWT_HS256_SECRET): must be set"},
      {[](ConfigCheck& c) { c.Fail("org_addr", "points at this server"); },
       "--org_addr (SALESOPS_ORG_ADDR): points at this server"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.expected);
    ConfigCheck check;
    c.add(check);
    absl::Status s = check.status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message(), c.expected);
  }
}

// NaN is not a positive number.
TEST(ConfigCheckTest, NanIsNotPositive) {
  ConfigCheck check;
  check.Positive("ratio", std::nan(""));
  EXPECT_FALSE(check.status().ok());
}

// Every problem is reported, in order, in one status.
TEST(ConfigCheckTest, CollectsEveryProblem) {
  ConfigCheck check;
  check.HostPort("redis_addr", "nope");
  check.NonEmpty("kafka_bootstrap", "x");
  check.Port("port", 1 << 20);
  EXPECT_EQ(check.status().message(),
            "--redis_addr (SALESOPS_REDIS_ADDR): 'nope' is not host:port; "
            "--port (SALESOPS_PORT): 1048576 is not a port (0..65535)");
}

// ExitIfInvalid does nothing when the configuration is fine.
TEST(ConfigCheckTest, ExitIfInvalidPassesWhenValid) {
  ConfigCheck check;
  check.Port("port", 80);
  check.ExitIfInvalid();
  SUCCEED();
}

// ExitIfInvalid prints every problem and exits with status 2.
TEST(ConfigCheckDeathTest, ExitIfInvalidExits) {
  ConfigCheck check;
  check.HostPort("redis_addr", "nope");
  check.NonEmpty("kafka_bootstrap", "");
  EXPECT_EXIT(check.ExitIfInvalid(), ::testing::ExitedWithCode(2),
              "configuration error: --redis_addr \\(SALESOPS_REDIS_ADDR\\).*\n"
              "configuration error: --kafka_bootstrap \\(SALESOPS_KAFKA_BOOTSTRAP\\): must be set");
}

// Env twins set flags, and the command line wins over the environment.
TEST(ParseFlagsWithEnvTest, EnvThenCommandLine) {
  ASSERT_EQ(setenv("SALESOPS_CONFIG_TEST_ADDR", "from-env:1", 1), 0);
  ASSERT_EQ(setenv("SALESOPS_CONFIG_TEST_PORT", "9", 1), 0);
  std::vector<std::string> args = {"prog", "--config_test_addr=from-cli:2", "positional"};
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  std::vector<char*> rest = ParseFlagsWithEnv(static_cast<int>(argv.size()), argv.data(), "test");
  unsetenv("SALESOPS_CONFIG_TEST_ADDR");
  unsetenv("SALESOPS_CONFIG_TEST_PORT");
  EXPECT_EQ(absl::GetFlag(FLAGS_config_test_addr), "from-cli:2");
  EXPECT_EQ(absl::GetFlag(FLAGS_config_test_port), 9);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_STREQ(rest[1], "positional");
}

// An env value that does not parse exits with a message naming the variable.
TEST(ParseFlagsWithEnvDeathTest, BadEnvValueExits) {
  EXPECT_EXIT(
      {
        setenv("SALESOPS_CONFIG_TEST_PORT", "seven", 1);
        std::string prog = "prog";
        char* argv[] = {prog.data()};
        ParseFlagsWithEnv(1, argv, "test");
      },
      ::testing::ExitedWithCode(2), "configuration error: SALESOPS_CONFIG_TEST_PORT=seven");
}

// A secret file's content comes back without the trailing newline; a missing or
// empty file is a problem naming the flag.
TEST(ConfigCheckTest, SecretFile) {
  const std::string dir = ::testing::TempDir();
  const std::string good = dir + "/config_test_secret";
  const std::string empty = dir + "/config_test_empty";
  {
    std::ofstream(good) << "s3cret\n";
    std::ofstream(empty) << "\n";
  }
  ConfigCheck ok;
  EXPECT_EQ(ok.SecretFile("redis_password_file", good), "s3cret");
  EXPECT_TRUE(ok.status().ok()) << ok.status();

  ConfigCheck bad;
  bad.SecretFile("redis_password_file", dir + "/config_test_missing");
  bad.SecretFile("kafka_password_file", empty);
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("--redis_password_file (SALESOPS_REDIS_PASSWORD_FILE): cannot read"));
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("--kafka_password_file (SALESOPS_KAFKA_PASSWORD_FILE): "));
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("is empty"));
}

}  // namespace
}  // namespace salesops
