// The librdkafka properties our clients authenticate with, per setting.
#include "common/kafka/sasl.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops {
namespace {

using ::testing::Contains;
using ::testing::Key;
using ::testing::Not;
using ::testing::Pair;

// No mechanism: plaintext and no sasl.* settings at all (a stray password is not sent).
TEST(KafkaSaslTest, NoneIsPlaintext) {
  KafkaSasl sasl;
  sasl.password = "ignored";
  auto props = KafkaSaslProperties(sasl);
  EXPECT_THAT(props, Contains(Pair("security.protocol", "PLAINTEXT")));
  EXPECT_THAT(props, Not(Contains(Key("sasl.password"))));
}

// A mechanism sets SASL_PLAINTEXT with the user and password; a CA file makes it SASL_SSL.
TEST(KafkaSaslTest, MechanismAndTls) {
  KafkaSasl sasl;
  sasl.mechanism = "PLAIN";
  sasl.username = "org";
  sasl.password = "pw";
  auto props = KafkaSaslProperties(sasl);
  EXPECT_THAT(props, Contains(Pair("security.protocol", "SASL_PLAINTEXT")));
  EXPECT_THAT(props, Contains(Pair("sasl.mechanisms", "PLAIN")));
  EXPECT_THAT(props, Contains(Pair("sasl.username", "org")));
  EXPECT_THAT(props, Contains(Pair("sasl.password", "pw")));
  sasl.ca_file = "/etc/ca.pem";
  props = KafkaSaslProperties(sasl);
  EXPECT_THAT(props, Contains(Pair("security.protocol", "SASL_SSL")));
  EXPECT_THAT(props, Contains(Pair("ssl.ca.location", "/etc/ca.pem")));
}

// A client certificate without a mechanism: TLS with client authentication (Strimzi's
// `authentication: tls` users), no sasl.* settings.
TEST(KafkaSaslTest, ClientCertificateIsMutualTls) {
  KafkaSasl sasl;
  sasl.ca_file = "/etc/kafka/ca.crt";
  sasl.cert_file = "/etc/kafka/user.crt";
  sasl.key_file = "/etc/kafka/user.key";
  auto props = KafkaSaslProperties(sasl);
  EXPECT_THAT(props, Contains(Pair("security.protocol", "SSL")));
  EXPECT_THAT(props, Contains(Pair("ssl.ca.location", "/etc/kafka/ca.crt")));
  EXPECT_THAT(props, Contains(Pair("ssl.certificate.location", "/etc/kafka/user.crt")));
  EXPECT_THAT(props, Contains(Pair("ssl.key.location", "/etc/kafka/user.key")));
  EXPECT_THAT(props, Not(Contains(Key("sasl.mechanisms"))));
  // Brokers signed by a public CA: TLS with the system's CAs, still mutual.
  sasl.ca_file.clear();
  props = KafkaSaslProperties(sasl);
  EXPECT_THAT(props, Contains(Pair("security.protocol", "SSL")));
  EXPECT_THAT(props, Not(Contains(Key("ssl.ca.location"))));
}

// Only the mechanisms librdkafka implements without Kerberos or OAuth setup.
TEST(KafkaSaslTest, SupportedMechanisms) {
  EXPECT_TRUE(IsSupportedSaslMechanism("PLAIN"));
  EXPECT_TRUE(IsSupportedSaslMechanism("SCRAM-SHA-512"));
  EXPECT_TRUE(IsSupportedSaslMechanism("SCRAM-SHA-256"));
  EXPECT_FALSE(IsSupportedSaslMechanism("GSSAPI"));
  EXPECT_FALSE(IsSupportedSaslMechanism("scram-sha-512"));
  EXPECT_FALSE(IsSupportedSaslMechanism(""));
}

}  // namespace
}  // namespace salesops
