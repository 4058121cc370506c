// How the benchmark binaries (pipeline_bench, warning_bench, retier_bench,
// attainment_bench) authenticate to the benchmark's own Redis and Kafka, which
// run with ACLs like every local server: flags, each with its SALESOPS_* twin,
//   --redis_user, --redis_password_file      Redis ACL user (run_bench.sh: admin)
//   --kafka_sasl_mechanism, --kafka_user, --kafka_password_file
// The raw librdkafka baselines authenticate the same way, so ratios stay fair.
//
//   salesops::ParseFlagsWithEnv(argc, argv, "pipeline bench");
//   RedisOptions o = ...;  bench::ApplyRedisAuth(&o);
//   ProducerOptions p;  p.sasl = bench::KafkaAuth();
//   bench::ApplyKafkaAuth(*rdkafka_conf);   // raw librdkafka clients
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include "common/kafka/sasl.h"
#include "common/redis/redis_client.h"

namespace salesops::bench {

// Sets user and password from the flags; exits(2) naming the flag when the
// password file cannot be read.
void ApplyRedisAuth(RedisOptions* options);

KafkaSasl KafkaAuth();

// Sets the SASL properties of KafkaAuth() on a raw librdkafka configuration.
void ApplyKafkaAuth(RdKafka::Conf& conf);

}  // namespace salesops::bench
