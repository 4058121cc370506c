// Transport and infrastructure security against the real Redis, Kafka and
// org_server that `make test` runs: each service's Redis and Kafka users can
// reach only what is theirs, and the gRPC transport refuses plaintext,
// clients without a certificate, and plaintext off loopback at start-up.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>
#include <sys/wait.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/kafka/admin.h"
#include "common/redis/redis_client.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "salesops/org/v1/org_service.grpc.pb.h"
#include "tests/integration/test_env.h"

namespace salesops::testing {
namespace {

using ::testing::HasSubstr;

// Every service user and its keyspace (deploy/local/redis.sh).
const std::vector<std::pair<std::string, std::string>>& Keyspaces() {
  static const auto* k = new std::vector<std::pair<std::string, std::string>>{
      {"org", "org:{org}:"},       {"customers", "cust:{cust}:"},   {"targets", "tgt:{tgt}:"},
      {"warning", "warn:{warn}:"}, {"performance", "perf:{perf}:"}, {"forecast", "fcst:{fcst}:"},
      {"sync", "sync:{sync}:"},    {"gateway", "gw:{gw}:"},
  };
  return *k;
}

std::string ReasonOf(const absl::StatusOr<RedisValue>& r) {
  return r.ok() ? "OK" : ErrorReason(r.status());
}

// A service's Redis user reads and writes its own keys, and gets NOPERM for
// every other service's keys: by command, and from inside a script whether the
// key is declared (KEYS) or smuggled in as an argument.
TEST(RedisAclTest, ServiceCannotReadOrWriteAnotherServicesKeys) {
  static const LuaScript kGetKey("return redis.call('GET', KEYS[1])");
  static const LuaScript kGetArg("return redis.call('GET', ARGV[1])");
  for (const auto& [user, own] : Keyspaces()) {
    SCOPED_TRACE("user " + user);
    RedisClient redis(RedisAs(user));
    const std::string mine = own + "acl-probe:" + UniqueSuffix();
    EXPECT_EQ(ReasonOf(redis.Command({"SET", mine, "1"})), "OK");
    EXPECT_EQ(ReasonOf(redis.Eval(kGetKey, {mine}, {})), "OK");
    EXPECT_EQ(ReasonOf(redis.Command({"DEL", mine})), "OK");
    for (const auto& [other, theirs] : Keyspaces()) {
      if (other == user) {
        continue;
      }
      SCOPED_TRACE("keys of " + other);
      const std::string key = theirs + "acl-probe";
      EXPECT_EQ(ReasonOf(redis.Command({"GET", key})), "REDIS_NOPERM");
      EXPECT_EQ(ReasonOf(redis.Command({"SET", key, "x"})), "REDIS_NOPERM");
      EXPECT_EQ(ReasonOf(redis.Command({"HGETALL", key})), "REDIS_NOPERM");
      EXPECT_EQ(ReasonOf(redis.Command({"DEL", key})), "REDIS_NOPERM");
      EXPECT_EQ(ReasonOf(redis.Command({"XADD", theirs + "outbox", "*", "f", "v"})),
                "REDIS_NOPERM");
      EXPECT_EQ(ReasonOf(redis.Eval(kGetKey, {key}, {})), "REDIS_NOPERM");
      EXPECT_EQ(ReasonOf(redis.Eval(kGetArg, {mine}, {key})), "REDIS_NOPERM");
    }
    // Nothing beyond the commands the services use: no key listing, no wiping,
    // no server or ACL administration.
    for (const std::vector<std::string>& cmd :
         std::vector<std::vector<std::string>>{{"KEYS", "*"},
                                               {"SCAN", "0"},
                                               {"FLUSHALL"},
                                               {"CONFIG", "GET", "*"},
                                               {"ACL", "LIST"},
                                               {"SCRIPT", "FLUSH"}}) {
      EXPECT_EQ(ReasonOf(redis.Command(cmd)), "REDIS_NOPERM") << cmd[0];
    }
  }
}

// Without credentials, or with a wrong or another user's password, Redis does
// nothing at all.
TEST(RedisAclTest, MissingOrWrongCredentialsAreRefused) {
  RedisOptions anonymous = RedisAs("admin");
  anonymous.user.clear();
  anonymous.password.clear();
  EXPECT_EQ(ReasonOf(RedisClient(anonymous).Command({"PING"})), "REDIS_AUTH_FAILED");

  RedisOptions wrong = RedisAs("org");
  wrong.password = "not-the-password";
  EXPECT_EQ(ReasonOf(RedisClient(wrong).Command({"PING"})), "REDIS_AUTH_FAILED");

  RedisOptions swapped = RedisAs("org");
  swapped.user = "customers";
  EXPECT_EQ(ReasonOf(RedisClient(swapped).Command({"PING"})), "REDIS_AUTH_FAILED");
}

// A valid-looking event, so that a record that did land would be visible as such.
std::vector<std::pair<std::string, std::string>> ProbeHeaders(const std::string& service) {
  return {{"ce_specversion", "1.0"},
          {"ce_id", "acl-probe-" + UniqueSuffix()},
          {"ce_source", "/salesops/" + service},
          {"ce_type", "salesops." + service + ".v1.AclProbe"},
          {"ce_time", "2026-01-01T00:00:00Z"},
          {"content-type", "application/protobuf"}};
}

// A service's Kafka user may produce only to its own topics: another service's
// events or dead-letter topic answers TOPIC_AUTHORIZATION_FAILED (so no
// service can publish events in another's name), and the read-only gateway
// may produce nowhere. Creating topics is limited the same way.
TEST(KafkaAclTest, ServiceCannotProduceToAnotherServicesTopic) {
  const TestEnv& env = TestEnv::Get();
  struct Case {
    std::string user, topic;
  };
  for (const Case& c : std::vector<Case>{
           {"org", "salesops.customers.events.v1"},
           {"customers", "salesops.org.events.v1"},
           {"customers", "salesops.org-headcount.dlq.v1"},
           {"targets", "salesops.warning.events.v1"},
           {"warning", "salesops.targets.events.v1"},
           {"warning", "salesops.org.events.v1"},
       }) {
    SCOPED_TRACE(c.user + " -> " + c.topic);
    absl::Status s =
        ProduceRawAs(KafkaAs(c.user), env.kafka_bootstrap, c.topic, "k", "v", ProbeHeaders(c.user));
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("TOPIC_AUTHORIZATION_FAILED"));
  }
  // The gateway may write no topic at all: its idempotent producer does not
  // even get a producer id.
  for (const std::string topic : {"salesops.org.events.v1", "salesops.warning-engine.dlq.v1"}) {
    absl::Status s = ProduceRawAs(KafkaAs("gateway"), env.kafka_bootstrap, topic, "k", "v",
                                  ProbeHeaders("gateway"));
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << topic << ": " << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("AUTHORIZATION_FAILED")) << topic;
  }

  // Its own (dead-letter) topics a service may create and write; another's it may not create.
  const std::string own = "salesops.org-acl-probe-" + UniqueSuffix() + ".dlq.v1";
  ASSERT_TRUE(
      EnsureTopics(env.kafka_bootstrap, {{own, 1}}, absl::Seconds(10), KafkaAs("org")).ok());
  EXPECT_TRUE(
      ProduceRawAs(KafkaAs("org"), env.kafka_bootstrap, own, "k", "v", ProbeHeaders("org")).ok());
  absl::Status foreign = EnsureTopics(
      env.kafka_bootstrap, {{"salesops.customers-acl-probe-" + UniqueSuffix() + ".dlq.v1", 1}},
      absl::Seconds(10), KafkaAs("org"));
  EXPECT_FALSE(foreign.ok());
  EXPECT_THAT(std::string(foreign.message()), HasSubstr("authoriz"));
}

// The first error a consumer of `topic` in `group` as `user` sees, or
// "ASSIGNED" once it got partitions (bounded wait).
std::string ConsumeAs(const std::string& user, const std::string& topic, const std::string& group) {
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", TestEnv::Get().kafka_bootstrap, err);
  for (const auto& [k, v] : KafkaSaslProperties(KafkaAs(user))) {
    conf->set(k, v, err);
  }
  conf->set("group.id", group, err);
  conf->set("log_level", "0", err);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer) {
    return "CREATE_FAILED: " + err;
  }
  consumer->subscribe({topic});
  std::string result = "TIMEOUT";
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(200));
    if (m->err() != RdKafka::ERR_NO_ERROR && m->err() != RdKafka::ERR__TIMED_OUT &&
        m->err() != RdKafka::ERR__PARTITION_EOF) {
      result = rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(m->err()));
      break;
    }
    std::vector<RdKafka::TopicPartition*> parts;
    consumer->assignment(parts);
    const bool assigned = !parts.empty();
    RdKafka::TopicPartition::destroy(parts);
    if (assigned) {
      result = "ASSIGNED";
      break;
    }
  }
  consumer->close();
  return result;
}

// A service reads the topics it consumes, in its own groups only; another
// service's topic or group is refused.
TEST(KafkaAclTest, ServiceReadsOnlyWhatItConsumes) {
  const std::string sfx = UniqueSuffix();
  EXPECT_EQ(ConsumeAs("customers", "salesops.org.events.v1", "customers-acl-" + sfx), "ASSIGNED");
  EXPECT_EQ(ConsumeAs("customers", "salesops.warning.events.v1", "customers-acl-" + sfx),
            "TOPIC_AUTHORIZATION_FAILED");
  EXPECT_EQ(ConsumeAs("org", "salesops.org.events.v1", "warning-engine"),
            "GROUP_AUTHORIZATION_FAILED");
}

// Kafka with client certificates instead of SASL (the Helm chart's default: Strimzi
// KafkaUsers with `authentication: tls`): the broker takes the user from the
// certificate's CN, so the same ACLs hold — org may write its own topic, customers may
// not — and a client without a certificate is not let in at all.
TEST(KafkaMutualTlsTest, CertificateNamesTheUserAndItsAclsApply) {
  const TestEnv& env = TestEnv::Get();
  ASSERT_FALSE(env.kafka_mtls_bootstrap.empty()) << "run under tests/run_tests.sh";
  EXPECT_TRUE(ProduceRawAs(KafkaCertAs("org"), env.kafka_mtls_bootstrap, "salesops.org.events.v1",
                           "k", "v", ProbeHeaders("org"))
                  .ok());
  absl::Status s = ProduceRawAs(KafkaCertAs("customers"), env.kafka_mtls_bootstrap,
                                "salesops.org.events.v1", "k", "v", ProbeHeaders("customers"));
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("TOPIC_AUTHORIZATION_FAILED"));
  // The CA alone (TLS without a client certificate): the handshake fails, nothing is made.
  const std::string topic = "salesops.org-mtls-probe-" + UniqueSuffix() + ".dlq.v1";
  EXPECT_FALSE(
      EnsureTopics(env.kafka_mtls_bootstrap, {{topic, 1}}, absl::Seconds(5), KafkaCertAs("")).ok());
  EXPECT_TRUE(
      EnsureTopics(env.kafka_mtls_bootstrap, {{topic, 1}}, absl::Seconds(10), KafkaCertAs("org"))
          .ok());
}

// A service started with --kafka_client_cert_file / --kafka_client_key_file (and no
// SASL) consumes and publishes through the certificate listener: its write's event
// arrives on its topic.
TEST(KafkaMutualTlsTest, ServiceWithClientCertificatePublishesItsEvents) {
  const TestEnv& env = TestEnv::Get();
  ASSERT_FALSE(env.kafka_mtls_bootstrap.empty()) << "run under tests/run_tests.sh";
  const std::string sfx = UniqueSuffix();
  // Later flags win: the SASL settings of the harness are cleared.
  OrgServer org(
      "org-mtls-" + sfx,
      {"--kafka_bootstrap=" + env.kafka_mtls_bootstrap, "--kafka_sasl_mechanism=", "--kafka_user=",
       "--kafka_password_file=", "--kafka_ca_file=" + env.tls_dir + "/ca.pem",
       "--kafka_client_cert_file=" + env.tls_dir + "/client-org.pem",
       "--kafka_client_key_file=" + env.tls_dir + "/client-org.key"});
  TopicReader reader(env.kafka_bootstrap, "salesops.org.events.v1");
  org.Start();
  CreateOrgUnit(org, "mtls-co-" + sfx, org::v1::ORG_UNIT_KIND_COMPANY, "");
  std::vector<Record> records = reader.ReadUntil(
      [&](const Record& r) {
        auto it = r.headers.find("ce_subject");
        return it != r.headers.end() && it->second.find("mtls-co-" + sfx) != std::string::npos;
      },
      1, absl::Seconds(30));
  ASSERT_EQ(records.size(), 1u) << org.Logs();
  EXPECT_EQ(records[0].headers["ce_type"], "salesops.org.v1.OrgUnitCreated");
}

// Starts an org_server with `args` that must refuse to start: exit code 2 within 20 s.
// Returns what it logged (a test failure when it kept running or exited otherwise).
std::string StartupRefusal(const std::string& name, std::vector<std::string> args) {
  const std::string log =
      absl::StrCat(TestEnv::Get().tmp, "/org_server-", name, "-", UniqueSuffix(), ".log");
  Process org(SALESOPS_ORG_SERVER, std::move(args), log);
  org.Start();
  const int status = org.WaitForExit(absl::Seconds(20));
  EXPECT_NE(status, -1) << "org_server did not stop";
  EXPECT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 2) << status;
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A client certificate without its key (or the other way round) stops start-up with
// exit code 2, naming the missing flag.
TEST(KafkaMutualTlsTest, CertificateWithoutKeyFailsFastNamingTheFlag) {
  const TestEnv& env = TestEnv::Get();
  const std::string log = StartupRefusal(
      "certnokey", {absl::StrCat("--org_addr=127.0.0.1:", FreePort()), "--metrics_port=-1",
                    "--redis_addr=" + env.redis_addr, "--kafka_bootstrap=" + env.kafka_bootstrap,
                    std::string("--jwt_hs256_secret=") + kTestJwtSecret,
                    "--kafka_client_cert_file=" + env.tls_dir + "/client-org.pem"});
  EXPECT_THAT(log, HasSubstr("--kafka_client_key_file (SALESOPS_KAFKA_CLIENT_KEY_FILE)"));
}

// /metrics on the gRPC port stops start-up naming the flag: gRPC listens with
// SO_REUSEPORT, so both would listen and split the connections.
TEST(MetricsPortStartupTest, TheGrpcPortIsRefused) {
  const TestEnv& env = TestEnv::Get();
  const int port = FreePort();
  const std::string log = StartupRefusal(
      "metricsport",
      {absl::StrCat("--org_addr=127.0.0.1:", port), absl::StrCat("--metrics_port=", port),
       "--redis_addr=" + env.redis_addr, "--kafka_bootstrap=" + env.kafka_bootstrap,
       std::string("--jwt_hs256_secret=") + kTestJwtSecret});
  EXPECT_THAT(log, HasSubstr("--metrics_port (SALESOPS_METRICS_PORT)"));
  EXPECT_THAT(log, HasSubstr("must differ from the gRPC port"));
}

// A relay linger (0..100ms) or a projection fetch wait (0 or 1ms..1s) out of its
// range stops start-up naming the flag.
TEST(LatencyFlagsStartupTest, OutOfRangeFailsFastNamingTheFlag) {
  const TestEnv& env = TestEnv::Get();
  const std::pair<const char*, const char*> cases[] = {
      {"--outbox_relay_linger=150ms", "--outbox_relay_linger (SALESOPS_OUTBOX_RELAY_LINGER)"},
      {"--outbox_relay_linger=-1ms", "--outbox_relay_linger (SALESOPS_OUTBOX_RELAY_LINGER)"},
      {"--projection_fetch_wait=2s", "--projection_fetch_wait (SALESOPS_PROJECTION_FETCH_WAIT)"},
      {"--projection_fetch_wait=-1ms", "--projection_fetch_wait (SALESOPS_PROJECTION_FETCH_WAIT)"},
      {"--projection_fetch_wait=500us", "--projection_fetch_wait (SALESOPS_PROJECTION_FETCH_WAIT)"},
  };
  for (const auto& [flag, named] : cases) {
    const std::string log = StartupRefusal(
        "linger", {absl::StrCat("--org_addr=127.0.0.1:", FreePort()), "--metrics_port=-1",
                   "--redis_addr=" + env.redis_addr, "--kafka_bootstrap=" + env.kafka_bootstrap,
                   std::string("--jwt_hs256_secret=") + kTestJwtSecret, std::string(flag)});
    EXPECT_THAT(log, HasSubstr(named)) << flag;
  }
}

// An org_server with TLS and mTLS on, started once for the transport tests.
class TransportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    org_ = new OrgServer();
    org_->Start();
  }
  static void TearDownTestSuite() {
    delete org_;
    org_ = nullptr;
  }

  // GetOrgUnit of a missing unit over a channel with `creds`, as an admin.
  static grpc::StatusCode Probe(std::shared_ptr<grpc::ChannelCredentials> creds) {
    auto stub = org::v1::OrgService::NewStub(grpc::CreateChannel(org_->addr(), std::move(creds)));
    grpc::ClientContext ctx;
    Authorize(ctx, Token(Role::kAdmin, "transport-test", ""));
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    org::v1::GetOrgUnitRequest req;
    req.set_name("orgUnits/transport-probe");
    org::v1::GetOrgUnitResponse resp;
    return stub->GetOrgUnit(&ctx, req, &resp).error_code();
  }

  static OrgServer* org_;
};
OrgServer* TransportTest::org_ = nullptr;

// With the CA and the tools' client certificate the service answers.
TEST_F(TransportTest, MutualTlsClientIsServed) {
  EXPECT_EQ(Probe(ToolCredentials()), grpc::StatusCode::NOT_FOUND);
}

// A plaintext client gets no answer at all (the bearer token never leaves the client).
TEST_F(TransportTest, PlaintextClientIsRefused) {
  EXPECT_EQ(Probe(grpc::InsecureChannelCredentials()), grpc::StatusCode::UNAVAILABLE);
}

// TLS without a client certificate is refused: the services require mTLS.
TEST_F(TransportTest, ClientWithoutCertificateIsRefused) {
  ClientTlsOptions no_cert = ToolTls();
  no_cert.cert_file.clear();
  no_cert.key_file.clear();
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds = MakeChannelCredentials(no_cert);
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ(Probe(*creds), grpc::StatusCode::UNAVAILABLE);
}

// Plaintext on a non-loopback address stops start-up with exit code 2 and a
// message naming --allow_plaintext.
TEST(TransportStartupTest, PlaintextOffLoopbackFailsFastNamingTheFlag) {
  const std::string log = StartupRefusal(
      "plaintext", {absl::StrCat("--org_addr=0.0.0.0:", FreePort()), "--metrics_port=-1",
                    std::string("--jwt_hs256_secret=") + kTestJwtSecret});
  EXPECT_THAT(log, HasSubstr("--allow_plaintext (SALESOPS_ALLOW_PLAINTEXT)"));
  EXPECT_THAT(log, HasSubstr("0.0.0.0"));
}

// The local addresses (hex, as in /proc/net/tcp{,6}) listening on TCP `port`.
std::vector<std::string> ListeningAddresses(int port) {
  std::vector<std::string> out;
  const std::string hex_port = absl::StrFormat("%04X", port);
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::vector<std::string> cols = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (cols.size() < 4 || cols[3] != "0A") {
        continue;  // LISTEN
      }
      std::vector<std::string> local = absl::StrSplit(cols[1], ':');
      if (local.size() == 2 && local[1] == hex_port) {
        out.push_back(local[0]);
      }
    }
  }
  return out;
}

// Serving gRPC on every interface does not expose the metrics: they stay on
// --metrics_addr (127.0.0.1 by default).
TEST(TransportStartupTest, MetricsStayOnTheirOwnHost) {
  OrgServer org;
  org.set_listen_host("0.0.0.0");
  org.Start();
  const int grpc_port = org.port();
  std::vector<std::string> metrics = ListeningAddresses(org.metrics_port());
  EXPECT_THAT(metrics, ::testing::ElementsAre("0100007F")) << org.Logs();  // 127.0.0.1
  std::vector<std::string> grpc = ListeningAddresses(grpc_port);
  ASSERT_FALSE(grpc.empty()) << org.Logs();
  for (const std::string& a : grpc) {
    EXPECT_EQ(a.find_first_not_of('0'), std::string::npos) << "gRPC on the wildcard, got " << a;
  }
}

}  // namespace
}  // namespace salesops::testing
