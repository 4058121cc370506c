// Flags every service shares (each with its SALESOPS_* environment twin, see
// config.h), and the validated settings built from them.
//
//   ServiceSettings s = LoadServiceSettings("org", absl::GetFlag(FLAGS_org_addr), 8101);
//   RedisClient redis(s.redis);
#pragma once

#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/time/time.h"
#include "common/auth/jwt.h"
#include "common/kafka/producer.h"
#include "common/redis/redis_client.h"
#include "common/server/server.h"
#include "common/time/clock.h"

ABSL_DECLARE_FLAG(std::string, redis_addr);
ABSL_DECLARE_FLAG(int, redis_pool_size);
ABSL_DECLARE_FLAG(int, redis_read_connections);
ABSL_DECLARE_FLAG(std::string, redis_user);
ABSL_DECLARE_FLAG(std::string, redis_password_file);
ABSL_DECLARE_FLAG(std::string, redis_sentinels);
ABSL_DECLARE_FLAG(std::string, redis_master_name);
ABSL_DECLARE_FLAG(std::string, redis_sentinel_password_file);
ABSL_DECLARE_FLAG(int, redis_wait_replicas);
ABSL_DECLARE_FLAG(absl::Duration, redis_wait_timeout);
ABSL_DECLARE_FLAG(std::string, kafka_bootstrap);
ABSL_DECLARE_FLAG(std::string, kafka_user);
ABSL_DECLARE_FLAG(std::string, kafka_password_file);
ABSL_DECLARE_FLAG(std::string, kafka_sasl_mechanism);
ABSL_DECLARE_FLAG(std::string, kafka_ca_file);
ABSL_DECLARE_FLAG(std::string, kafka_client_cert_file);
ABSL_DECLARE_FLAG(std::string, kafka_client_key_file);
ABSL_DECLARE_FLAG(std::string, jwt_hs256_secret);
ABSL_DECLARE_FLAG(std::string, jwt_public_key_file);
ABSL_DECLARE_FLAG(std::string, jwt_issuer);
ABSL_DECLARE_FLAG(std::string, jwt_audience);
ABSL_DECLARE_FLAG(std::string, log_level);
ABSL_DECLARE_FLAG(int, metrics_port);
ABSL_DECLARE_FLAG(std::string, metrics_addr);
ABSL_DECLARE_FLAG(std::string, tls_cert_file);
ABSL_DECLARE_FLAG(std::string, tls_key_file);
ABSL_DECLARE_FLAG(std::string, tls_client_ca_file);
ABSL_DECLARE_FLAG(bool, allow_plaintext);
ABSL_DECLARE_FLAG(bool, grpc_reflection);
ABSL_DECLARE_FLAG(absl::Duration, outbox_claim_min_idle);
ABSL_DECLARE_FLAG(absl::Duration, outbox_relay_linger);
ABSL_DECLARE_FLAG(absl::Duration, projection_fetch_wait);
ABSL_DECLARE_FLAG(absl::Duration, lease_ttl);
ABSL_DECLARE_FLAG(std::string, lease_namespace);
ABSL_DECLARE_FLAG(absl::Duration, shutdown_drain);
ABSL_DECLARE_FLAG(int, rpc_workers);
ABSL_DECLARE_FLAG(int, rpc_queue);
ABSL_DECLARE_FLAG(std::string, clock_offset_file);

namespace salesops {

struct ServiceSettings {
  RedisOptions redis;
  ProducerOptions producer;
  std::string kafka_bootstrap;
  // How every Kafka client of the service authenticates (producer, consumers, topics).
  KafkaSasl kafka_sasl;
  JwtVerifierOptions jwt;
  ServerOptions server;
  absl::Duration outbox_claim_min_idle;
  absl::Duration outbox_relay_linger;
  // Consumers nobody waits on live (PatientFetch in consumer.h) let the broker
  // hold a fetch this long to fill it; zero answers at once.
  absl::Duration projection_fetch_wait;
  // The replicas' leases for the outbox relay and the scheduled jobs
  // (service_runtime.h): how long a dead holder keeps them, and the name of
  // the set of replicas that share them (the service's name by default).
  absl::Duration lease_ttl;
  std::string lease_namespace;
  int rpc_workers = 12;
  int redis_read_connections = 2;
  int rpc_queue = 10000;
};

// Reads and validates the shared flags plus the service's listen address
// (flag `addr_flag`); prints every problem naming its flag/env and exits(2)
// on bad configuration. Also initialises logging.
ServiceSettings LoadServiceSettings(const std::string& service, const std::string& addr_flag,
                                    const std::string& listen_addr);

// The clock of business logic (not of token expiry): the wall clock, or an
// OffsetFileClock when --clock_offset_file is set (end-to-end tests; builds
// with SALESOPS_TEST_HOOKS only, see test_hooks.h).
std::unique_ptr<Clock> MakeBusinessClock();

}  // namespace salesops
