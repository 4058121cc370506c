#include "common/service/service_flags.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/config/config.h"
#include "common/kafka/sasl.h"
#include "common/log/log.h"
#include "common/service/test_hooks.h"
#include "common/status/errors.h"

ABSL_FLAG(std::string, redis_addr, "127.0.0.1:6380", "Redis host:port (system of record)");
ABSL_FLAG(int, redis_pool_size, 40, "Redis connections per process (>= rpc_workers + 4)");
ABSL_FLAG(std::string, redis_user, "",
          "Redis ACL user (AUTH on every connection); empty = the default user");
ABSL_FLAG(std::string, redis_password_file, "",
          "File holding the Redis password (of --redis_user, or of the default user)");
ABSL_FLAG(std::string, redis_sentinels, "",
          "Redis Sentinel addresses (host:port,...): when set, the primary of "
          "--redis_master_name is found through them and followed across failovers, and "
          "--redis_addr is not used");
ABSL_FLAG(std::string, redis_master_name, "salesops", "The Sentinel name of the Redis primary");
ABSL_FLAG(std::string, redis_sentinel_password_file, "",
          "File holding the sentinels' password (their requirepass); empty = none");
ABSL_FLAG(int, redis_wait_replicas, 0,
          "Acknowledge a write only when this many Redis replicas have it (WAIT, same round "
          "trip); 1 with a Sentinel-managed primary and replica makes acknowledged writes "
          "survive the primary's loss");
ABSL_FLAG(absl::Duration, redis_wait_timeout, absl::Seconds(1),
          "How long a write waits for --redis_wait_replicas before it fails with UNAVAILABLE");
ABSL_FLAG(std::string, kafka_bootstrap, "127.0.0.1:9092", "Kafka bootstrap servers");
ABSL_FLAG(std::string, kafka_sasl_mechanism, "",
          "SASL mechanism for Kafka: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; empty = no "
          "authentication (PLAINTEXT). SCRAM with Kafka 4 brokers needs librdkafka >= 2.6.1");
ABSL_FLAG(std::string, kafka_user, "", "Kafka SASL user (the broker's ACLs are per user)");
ABSL_FLAG(std::string, kafka_password_file, "", "File holding the Kafka SASL password");
ABSL_FLAG(std::string, kafka_ca_file, "",
          "PEM CA of the Kafka brokers' certificates; set = TLS to Kafka (SASL_SSL)");
ABSL_FLAG(std::string, kafka_client_cert_file, "",
          "PEM client certificate for Kafka over TLS with client authentication (e.g. "
          "Strimzi's KafkaUser with authentication tls: user.crt); with "
          "--kafka_client_key_file");
ABSL_FLAG(std::string, kafka_client_key_file, "",
          "PEM key of --kafka_client_cert_file (Strimzi: user.key)");
ABSL_FLAG(std::string, jwt_hs256_secret, "", "Shared secret for HS256 bearer tokens (>= 32 bytes)");
ABSL_FLAG(std::string, jwt_public_key_file, "",
          "PEM public key (RSA → RS256, EC P-256 → ES256) for bearer tokens");
ABSL_FLAG(std::string, jwt_issuer, "salesops", "Required JWT iss ('' to skip the check)");
ABSL_FLAG(std::string, jwt_audience, "",
          "Required JWT aud; empty = this service's own, salesops.<service>");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error");
ABSL_FLAG(int, metrics_port, -2,
          "Prometheus /metrics port; default gRPC port + 1000; 0 = any free port; -1 = off");
ABSL_FLAG(std::string, metrics_addr, "127.0.0.1",
          "Host/IP the /metrics endpoint binds to (its port is --metrics_port), independent of "
          "the gRPC address; 0.0.0.0 where a scraper must reach it");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM server certificate (enables TLS)");
ABSL_FLAG(std::string, tls_key_file, "", "PEM server private key");
ABSL_FLAG(std::string, tls_client_ca_file, "", "PEM CA for client certificates (enables mTLS)");
ABSL_FLAG(bool, allow_plaintext, false,
          "Serve plaintext gRPC on a non-loopback address (without it the service refuses to "
          "start there without --tls_cert_file/--tls_key_file)");
ABSL_FLAG(bool, grpc_reflection, true,
          "Serve grpc.reflection (grpcurl); switch off in production (the Helm chart does)");
ABSL_FLAG(absl::Duration, outbox_claim_min_idle, absl::Seconds(90),
          "Outbox entries pending this long without delivery are re-claimed by any relay "
          "(keep it above the producer's 60 s message timeout to avoid double sends)");
ABSL_FLAG(absl::Duration, outbox_relay_linger, absl::Milliseconds(3),
          "How long the outbox relay waits for more entries before it hands a round that is "
          "not full to Kafka (0..100ms): fewer, larger produce requests for up to this much "
          "more latency per event");
ABSL_FLAG(
    absl::Duration, projection_fetch_wait, absl::Milliseconds(50),
    "How long the broker may hold a fetch of a consumer nobody waits on live (the org "
    "directory projections, headcount, org changes) to gather 64 KiB (0 or 1ms..1s; 0 = answer "
    "as soon as anything is there): under load a few large fetches and batches rather "
    "than one per produce, for at most this much more delay per event");
ABSL_FLAG(absl::Duration, lease_ttl, absl::Seconds(10),
          "Replicas share one outbox relay and one scheduler through leases in Redis: how long "
          "a replica that died keeps them before another takes over (1s..5m)");
ABSL_FLAG(std::string, lease_namespace, "",
          "The set of replicas that share the relay and job leases (default: the service's "
          "name); only an independent deployment on the same Redis needs its own");
ABSL_FLAG(absl::Duration, shutdown_drain, absl::Seconds(10),
          "How long in-flight RPCs may finish on SIGTERM");
ABSL_FLAG(int, rpc_workers, 12,
          "Threads running RPC handlers (they block on Redis); 0 = on gRPC's threads");
ABSL_FLAG(int, redis_read_connections, 2,
          "Connections shared by the reads that wait without a thread (RedisMux); 0 = none, "
          "those reads then block a worker like the rest");
ABSL_FLAG(int, rpc_queue, 10000, "RPCs waiting for a worker before RESOURCE_EXHAUSTED");
ABSL_FLAG(std::string, clock_offset_file, "",
          "TESTS ONLY: a file holding seconds added to the business clock (deadlines, stalls, "
          "due dates), so an end-to-end test can move time; empty = the wall clock. Refused by "
          "builds without SALESOPS_TEST_HOOKS (the production image)");

namespace salesops {

ServiceSettings LoadServiceSettings(const std::string& service, const std::string& addr_flag,
                                    const std::string& listen_addr) {
  // Debian's Abseil is built with mutex deadlock detection on: a graph update
  // on every lock, measurable on the RPC hot path (see README, Performance).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  ConfigCheck check;
  ServiceSettings s;
  LogLevel level = LogLevel::kInfo;
  if (!ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    check.Fail("log_level", "must be debug, info, warning or error");
  }
  InitLogging(service, level);

  std::string host;
  int port = 0;
  const std::string redis_addr = absl::GetFlag(FLAGS_redis_addr);
  if (!SplitHostPort(redis_addr, &host, &port) || port == 0) {
    check.Fail("redis_addr", "'" + redis_addr + "' is not host:port");
  }
  s.redis.host = host;
  s.redis.port = port;
  s.redis.pool_size = absl::GetFlag(FLAGS_redis_pool_size);
  if (s.redis.pool_size < 1 || s.redis.pool_size > 1024) {
    check.Fail("redis_pool_size", "must be 1..1024");
  }
  s.redis.user = absl::GetFlag(FLAGS_redis_user);
  const std::string redis_password_file = absl::GetFlag(FLAGS_redis_password_file);
  if (!redis_password_file.empty()) {
    s.redis.password = check.SecretFile("redis_password_file", redis_password_file);
  } else if (!s.redis.user.empty()) {
    check.Fail("redis_password_file", "must be set with --redis_user");
  }
  for (absl::string_view sentinel :
       absl::StrSplit(absl::GetFlag(FLAGS_redis_sentinels), ',', absl::SkipWhitespace())) {
    std::string shost;
    int sport = 0;
    if (!SplitHostPort(std::string(sentinel), &shost, &sport) || sport == 0) {
      check.Fail("redis_sentinels", "'" + std::string(sentinel) + "' is not host:port");
    }
    s.redis.sentinels.emplace_back(sentinel);
  }
  s.redis.master_name = absl::GetFlag(FLAGS_redis_master_name);
  if (!s.redis.sentinels.empty()) {
    check.NonEmpty("redis_master_name", s.redis.master_name);
  }
  if (const std::string f = absl::GetFlag(FLAGS_redis_sentinel_password_file); !f.empty()) {
    s.redis.sentinel_password = check.SecretFile("redis_sentinel_password_file", f);
  }
  s.redis.wait_replicas = absl::GetFlag(FLAGS_redis_wait_replicas);
  if (s.redis.wait_replicas < 0 || s.redis.wait_replicas > 16) {
    check.Fail("redis_wait_replicas", "must be 0..16");
  }
  s.redis.wait_timeout = absl::GetFlag(FLAGS_redis_wait_timeout);
  if (s.redis.wait_timeout < absl::Milliseconds(1)) {
    check.Fail("redis_wait_timeout", "must be at least 1ms");
  }

  s.kafka_bootstrap = absl::GetFlag(FLAGS_kafka_bootstrap);
  check.NonEmpty("kafka_bootstrap", s.kafka_bootstrap);
  s.kafka_sasl.mechanism = absl::GetFlag(FLAGS_kafka_sasl_mechanism);
  s.kafka_sasl.username = absl::GetFlag(FLAGS_kafka_user);
  const std::string kafka_password_file = absl::GetFlag(FLAGS_kafka_password_file);
  if (s.kafka_sasl.mechanism.empty()) {
    if (!s.kafka_sasl.username.empty() || !kafka_password_file.empty()) {
      check.Fail("kafka_sasl_mechanism",
                 "must be set (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512) to authenticate as "
                 "--kafka_user");
    }
  } else {
    if (!IsSupportedSaslMechanism(s.kafka_sasl.mechanism)) {
      check.Fail("kafka_sasl_mechanism",
                 "'" + s.kafka_sasl.mechanism + "' is not PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512");
    }
    check.NonEmpty("kafka_user", s.kafka_sasl.username);
    if (kafka_password_file.empty()) {
      check.Fail("kafka_password_file", "must be set with --kafka_sasl_mechanism");
    } else {
      s.kafka_sasl.password = check.SecretFile("kafka_password_file", kafka_password_file);
    }
    if (s.kafka_sasl.mechanism != "PLAIN" && !LibrdkafkaScramWorksWithKafka4()) {
      LogWarning(
          "this librdkafka cannot do SCRAM with Kafka 4 brokers (fixed in 2.6.1); use "
          "PLAIN there",
          {{"kafka_sasl_mechanism", s.kafka_sasl.mechanism}});
    }
  }
  s.kafka_sasl.ca_file = absl::GetFlag(FLAGS_kafka_ca_file);
  s.kafka_sasl.cert_file = absl::GetFlag(FLAGS_kafka_client_cert_file);
  s.kafka_sasl.key_file = absl::GetFlag(FLAGS_kafka_client_key_file);
  if (s.kafka_sasl.cert_file.empty() != s.kafka_sasl.key_file.empty()) {
    check.Fail(s.kafka_sasl.cert_file.empty() ? "kafka_client_cert_file" : "kafka_client_key_file",
               "must be set with the other of --kafka_client_cert_file and "
               "--kafka_client_key_file");
  }
  s.producer.bootstrap = s.kafka_bootstrap;
  s.producer.sasl = s.kafka_sasl;
  s.producer.client_id = "salesops-" + service;

  s.jwt.hs256_secret = absl::GetFlag(FLAGS_jwt_hs256_secret);
  s.jwt.issuer = absl::GetFlag(FLAGS_jwt_issuer);
  s.jwt.audience = absl::GetFlag(FLAGS_jwt_audience);
  const std::string key_file = absl::GetFlag(FLAGS_jwt_public_key_file);
  if (!key_file.empty()) {
    std::ifstream in(key_file);
    if (!in) {
      check.Fail("jwt_public_key_file", "cannot read " + key_file);
    } else {
      std::stringstream ss;
      ss << in.rdbuf();
      s.jwt.public_key_pem = ss.str();
    }
  }
  SystemClock clock;
  if (absl::Status st = JwtVerifier(s.jwt, clock).CheckConfig(); !st.ok()) {
    check.Fail(s.jwt.hs256_secret.empty() && key_file.empty() ? "jwt_hs256_secret"
               : !s.jwt.hs256_secret.empty() && s.jwt.hs256_secret.size() < 32
                   ? "jwt_hs256_secret"
                   : "jwt_public_key_file",
               st.message());
  }

  int grpc_port = 0;
  if (!SplitHostPort(listen_addr, &host, &grpc_port)) {
    check.Fail(addr_flag, "'" + listen_addr + "' is not host:port");
  }
  s.server.listen_addr = listen_addr;
  int metrics_port = absl::GetFlag(FLAGS_metrics_port);
  if (metrics_port == -2) {
    metrics_port = grpc_port == 0 ? 0 : grpc_port + 1000;
  }
  if (metrics_port < -1 || metrics_port > 65535) {
    check.Fail("metrics_port", "must be -1..65535");
  } else if (metrics_port > 0 && metrics_port == grpc_port) {
    check.Fail("metrics_port",
               absl::StrCat("must differ from the gRPC port (both ", grpc_port, ")"));
  }
  // Its own host, not the gRPC one: a service serving gRPC on 0.0.0.0 does not
  // expose its metrics to the network unless told to.
  s.server.metrics_host = absl::GetFlag(FLAGS_metrics_addr);
  std::string metrics_host_part;
  int metrics_port_part = 0;
  if (s.server.metrics_host.empty() || s.server.metrics_host.front() == '[' ||
      (SplitHostPort(s.server.metrics_host, &metrics_host_part, &metrics_port_part) &&
       metrics_host_part.find(':') == std::string::npos)) {
    check.Fail("metrics_addr", "'" + s.server.metrics_host +
                                   "' is not a host or IP without brackets (the port is "
                                   "--metrics_port)");
  }
  s.server.metrics_port = metrics_port;
  s.server.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  s.server.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  s.server.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  if (s.server.tls_cert_file.empty() != s.server.tls_key_file.empty()) {
    check.Fail("tls_cert_file", "tls_cert_file and tls_key_file go together");
  }
  if (!s.server.tls_client_ca_file.empty() && s.server.tls_cert_file.empty()) {
    check.Fail("tls_client_ca_file", "mTLS needs tls_cert_file and tls_key_file too");
  }
  s.server.allow_plaintext = absl::GetFlag(FLAGS_allow_plaintext);
  s.server.reflection = absl::GetFlag(FLAGS_grpc_reflection);
  if (absl::Status st = CheckTransportSecurity(s.server); !st.ok()) {
    std::vector<FieldViolation> v = FieldViolations(st);
    check.Fail("allow_plaintext", v.empty() ? std::string(st.message()) : v.front().description);
  }
  CheckTestHooks(absl::GetFlag(FLAGS_clock_offset_file), check);
  s.server.drain_timeout = absl::GetFlag(FLAGS_shutdown_drain);
  s.outbox_claim_min_idle = absl::GetFlag(FLAGS_outbox_claim_min_idle);
  if (s.outbox_claim_min_idle < absl::Seconds(1)) {
    check.Fail("outbox_claim_min_idle", "must be at least 1s");
  }
  s.outbox_relay_linger = absl::GetFlag(FLAGS_outbox_relay_linger);
  if (s.outbox_relay_linger < absl::ZeroDuration() ||
      s.outbox_relay_linger > absl::Milliseconds(100)) {
    check.Fail("outbox_relay_linger", "must be between 0 and 100ms");
  }
  s.projection_fetch_wait = absl::GetFlag(FLAGS_projection_fetch_wait);
  if (s.projection_fetch_wait < absl::ZeroDuration() ||
      s.projection_fetch_wait > absl::Seconds(1) ||
      (s.projection_fetch_wait > absl::ZeroDuration() &&
       s.projection_fetch_wait < absl::Milliseconds(1))) {
    check.Fail("projection_fetch_wait", "must be 0 or between 1ms and 1s");
  }
  s.lease_ttl = absl::GetFlag(FLAGS_lease_ttl);
  if (s.lease_ttl < absl::Seconds(1) || s.lease_ttl > absl::Minutes(5)) {
    check.Fail("lease_ttl", "must be between 1s and 5m");
  }
  s.lease_namespace = absl::GetFlag(FLAGS_lease_namespace);
  if (s.lease_namespace.empty()) {
    s.lease_namespace = service;
  }
  if (s.lease_namespace.size() > 64 ||
      !std::all_of(s.lease_namespace.begin(), s.lease_namespace.end(), [](char c) {
        return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.';
      })) {
    check.Fail("lease_namespace", "at most 64 letters, digits, '-', '_' or '.'");
  }
  s.rpc_workers = absl::GetFlag(FLAGS_rpc_workers);
  s.rpc_queue = absl::GetFlag(FLAGS_rpc_queue);
  s.redis_read_connections = absl::GetFlag(FLAGS_redis_read_connections);
  if (s.redis_read_connections < 0 || s.redis_read_connections > 64) {
    check.Fail("redis_read_connections", "must be 0..64");
  }
  if (s.rpc_workers < 0 || s.rpc_workers > 1024) {
    check.Fail("rpc_workers", "must be 0..1024 (0 runs handlers on gRPC's threads)");
  }
  if (s.rpc_queue < 1) {
    check.Fail("rpc_queue", "must be >= 1");
  }
  check.ExitIfInvalid();
  return s;
}

std::unique_ptr<Clock> MakeBusinessClock() {
  return MakeBusinessClockFrom(absl::GetFlag(FLAGS_clock_offset_file));
}

}  // namespace salesops
