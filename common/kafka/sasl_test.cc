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
