#include "tests/bench/bench_backends.h"

#include <string>

#include "absl/flags/flag.h"
#include "common/config/config.h"

ABSL_FLAG(std::string, redis_user, "", "Redis ACL user; empty = no AUTH");
ABSL_FLAG(std::string, redis_password_file, "", "File holding the Redis password");
ABSL_FLAG(std::string, kafka_sasl_mechanism, "", "PLAIN, SCRAM-SHA-256/512; empty = none");
ABSL_FLAG(std::string, kafka_user, "", "Kafka SASL user");
ABSL_FLAG(std::string, kafka_password_file, "", "File holding the Kafka SASL password");

namespace salesops::bench {

void ApplyRedisAuth(RedisOptions* options) {
  ConfigCheck check;
  options->user = absl::GetFlag(FLAGS_redis_user);
  if (const std::string file = absl::GetFlag(FLAGS_redis_password_file); !file.empty()) {
    options->password = check.SecretFile("redis_password_file", file);
  }
  check.ExitIfInvalid();
}

KafkaSasl KafkaAuth() {
  static const KafkaSasl* sasl = [] {
    auto* s = new KafkaSasl;
    ConfigCheck check;
    s->mechanism = absl::GetFlag(FLAGS_kafka_sasl_mechanism);
    s->username = absl::GetFlag(FLAGS_kafka_user);
    if (const std::string file = absl::GetFlag(FLAGS_kafka_password_file); !file.empty()) {
      s->password = check.SecretFile("kafka_password_file", file);
    }
    check.ExitIfInvalid();
    return s;
  }();
  return *sasl;
}

void ApplyKafkaAuth(RdKafka::Conf& conf) {
  std::string err;
  for (const auto& [k, v] : KafkaSaslProperties(KafkaAuth())) conf.set(k, v, err);
}

}  // namespace salesops::bench
