#include "common/kafka/sasl.h"

#include <librdkafka/rdkafka.h>

namespace salesops {

bool IsSupportedSaslMechanism(const std::string& mechanism) {
  return mechanism == "PLAIN" || mechanism == "SCRAM-SHA-256" || mechanism == "SCRAM-SHA-512";
}

std::map<std::string, std::string> KafkaSaslProperties(const KafkaSasl& sasl) {
  std::map<std::string, std::string> props;
  const bool tls = !sasl.ca_file.empty() || !sasl.cert_file.empty();
  if (sasl.enabled()) {
    props["security.protocol"] = tls ? "SASL_SSL" : "SASL_PLAINTEXT";
    props["sasl.mechanisms"] = sasl.mechanism;
    props["sasl.username"] = sasl.username;
    props["sasl.password"] = sasl.password;
  } else {
    props["security.protocol"] = tls ? "SSL" : "PLAINTEXT";
  }
  if (!sasl.ca_file.empty()) {
    props["ssl.ca.location"] = sasl.ca_file;
  }
  if (!sasl.cert_file.empty()) {
    props["ssl.certificate.location"] = sasl.cert_file;
    props["ssl.key.location"] = sasl.key_file;
  }
  return props;
}

bool LibrdkafkaScramWorksWithKafka4() {
  // rd_kafka_version() is 0xMMmmrrxx; 2.6.1 fixed the SCRAM client nonce.
  return rd_kafka_version() >= 0x02060100;
}

}  // namespace salesops
