// How a Kafka client of ours authenticates: SASL with a user and a password
// (mechanism PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512), over plaintext or, with a
// CA file, over TLS; or with a client certificate over TLS (mTLS: Strimzi's
// KafkaUser `authentication: tls`); or not at all. One struct shared by the producer, the
// consumer and topic administration, so every client of a process
// authenticates the same way (the broker's ACLs are per user).
//
//   KafkaSasl sasl;  // from --kafka_sasl_mechanism, --kafka_user, --kafka_password_file
//   sasl.mechanism = "PLAIN"; sasl.username = "org"; sasl.password = password;
//   for (const auto& [k, v] : KafkaSaslProperties(sasl)) conf->set(k, v, err);
//
// SCRAM and librdkafka: before 2.6.1 librdkafka sends a client-final-message
// that Kafka 4 brokers reject (the nonce repeated), so with Debian bookworm's
// 2.0.2 SCRAM works only against Kafka 3.x; use PLAIN (over TLS off loopback).
#pragma once

#include <map>
#include <string>

namespace salesops {

struct KafkaSasl {
  // "" = no authentication (security.protocol PLAINTEXT, or SSL with ca_file).
  std::string mechanism;
  std::string username;
  std::string password;
  // PEM CA of the brokers' certificates; set = TLS (SASL_SSL / SSL).
  std::string ca_file;
  // PEM client certificate and its key: TLS with client authentication (the
  // broker takes the user from the certificate's subject). Both or neither.
  std::string cert_file;
  std::string key_file;

  bool enabled() const { return !mechanism.empty(); }
};

// The mechanisms KafkaSaslProperties accepts.
bool IsSupportedSaslMechanism(const std::string& mechanism);

// librdkafka properties for `sasl`: security.protocol always (PLAINTEXT,
// SASL_PLAINTEXT, SSL or SASL_SSL), the sasl.* settings when a mechanism is set,
// ssl.ca.location with a CA file.
std::map<std::string, std::string> KafkaSaslProperties(const KafkaSasl& sasl);

// Whether the linked librdkafka can do SCRAM with Kafka 4 brokers (>= 2.6.1).
bool LibrdkafkaScramWorksWithKafka4();

}  // namespace salesops
