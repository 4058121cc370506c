// Tests for bearer JWT minting and verification: the happy paths for HS256,
// RS256 and ES256, time checks against a FakeClock, and the attacks the
// verifier must refuse (alg none, other algorithms, algorithm confusion,
// tampering). Tokens for the attacks are built by hand with OpenSSL so they
// do not depend on the code under test.
#include "common/auth/jwt.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/status/errors.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace salesops {
namespace {

using json = nlohmann::json;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);
const std::string kSecret = "0123456789abcdef0123456789abcdef";  // exactly 32 bytes

// ---- OpenSSL helpers -------------------------------------------------------

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

PkeyPtr GenerateKey(int type) {
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_id(type, nullptr), &EVP_PKEY_CTX_free);
  EVP_PKEY* key = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) <= 0) {
    return nullptr;
  }
  if (type == EVP_PKEY_RSA && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 2048) <= 0) {
    return nullptr;
  }
  if (type == EVP_PKEY_EC &&
      EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), NID_X9_62_prime256v1) <= 0) {
    return nullptr;
  }
  if (EVP_PKEY_keygen(ctx.get(), &key) <= 0) {
    return nullptr;
  }
  return PkeyPtr(key);
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string PrivatePem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  EXPECT_EQ(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr), 1);
  return BioContents(bio.get());
}

std::string PublicPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  EXPECT_EQ(PEM_write_bio_PUBKEY(bio.get(), key), 1);
  return BioContents(bio.get());
}

std::string B64(const std::string& s) { return absl::WebSafeBase64Escape(s); }

std::string Hmac(const EVP_MD* md, const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

// A compact JWS of `header` and `claims` signed with HMAC under `md` (by hand).
std::string HandMadeHmacToken(const json& header, const json& claims, const EVP_MD* md,
                              const std::string& key) {
  std::string signing_input = absl::StrCat(B64(header.dump()), ".", B64(claims.dump()));
  return absl::StrCat(signing_input, ".", B64(Hmac(md, key, signing_input)));
}

// An ES256 JWS signed by hand: SHA-256 ECDSA, signature as raw R||S (RFC 7518 §3.4).
std::string HandMadeEs256Token(const json& claims, EVP_PKEY* key) {
  std::string signing_input =
      absl::StrCat(B64(json{{"alg", "ES256"}, {"typ", "JWT"}}.dump()), ".", B64(claims.dump()));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EXPECT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key), 1);
  size_t der_len = 0;
  EXPECT_EQ(EVP_DigestSign(ctx.get(), nullptr, &der_len,
                           reinterpret_cast<const unsigned char*>(signing_input.data()),
                           signing_input.size()),
            1);
  std::string der(der_len, '\0');
  EXPECT_EQ(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &der_len,
                           reinterpret_cast<const unsigned char*>(signing_input.data()),
                           signing_input.size()),
            1);
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len));
  EXPECT_NE(sig, nullptr);
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  std::string raw(64, '\0');
  BN_bn2binpad(r, reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(s, reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return absl::StrCat(signing_input, ".", B64(raw));
}

// ---- Fixture ---------------------------------------------------------------

// Claims a valid token for a manager of region-east would carry at kNow.
json ValidClaims() {
  return json{{"sub", "m-1"},
              {"role", "manager"},
              {"org_unit", "region-east"},
              {"iss", "salesops"},
              {"aud", "salesops.org"},
              {"iat", absl::ToUnixSeconds(kNow)},
              {"nbf", absl::ToUnixSeconds(kNow)},
              {"exp", absl::ToUnixSeconds(kNow + absl::Hours(1))}};
}

json Hs256Header() { return json{{"alg", "HS256"}, {"typ", "JWT"}}; }

std::string Hs256(const json& claims) {
  return HandMadeHmacToken(Hs256Header(), claims, EVP_sha256(), kSecret);
}

Principal Manager() { return {"m-1", Role::kManager, "region-east"}; }

// The org service's verifier: it accepts only tokens naming "salesops.org" in aud.
JwtVerifierOptions SecretOptions(std::string secret) {
  JwtVerifierOptions o;
  o.hs256_secret = std::move(secret);
  o.audience = ServiceAudience("org");
  return o;
}

JwtVerifierOptions PemOptions(std::string public_key_pem) {
  JwtVerifierOptions o;
  o.public_key_pem = std::move(public_key_pem);
  o.audience = ServiceAudience("org");
  return o;
}

class JwtTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Key generation (RSA especially) is slow; do it once.
    rsa_ = GenerateKey(EVP_PKEY_RSA).release();
    ec_ = GenerateKey(EVP_PKEY_EC).release();
    other_ec_ = GenerateKey(EVP_PKEY_EC).release();
    ASSERT_NE(rsa_, nullptr);
    ASSERT_NE(ec_, nullptr);
    ASSERT_NE(other_ec_, nullptr);
  }
  static void TearDownTestSuite() {
    EVP_PKEY_free(rsa_);
    EVP_PKEY_free(ec_);
    EVP_PKEY_free(other_ec_);
  }

  JwtVerifier Hs256Verifier() { return JwtVerifier(SecretOptions(kSecret), clock_); }

  std::string MintHs256(const Principal& p, absl::Duration ttl = absl::Hours(1)) {
    absl::StatusOr<std::string> token =
        MintJwt({.algorithm = "HS256", .key = kSecret}, p, ttl, clock_.Now());
    EXPECT_TRUE(token.ok()) << token.status();
    return token.value_or("");
  }

  // Expects UNAUTHENTICATED with `reason`.
  static void ExpectRejected(const absl::StatusOr<Principal>& result, const std::string& reason) {
    ASSERT_FALSE(result.ok()) << "accepted a token that should fail with " << reason;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated) << result.status();
    EXPECT_EQ(ErrorReason(result.status()), reason) << result.status();
  }

  static EVP_PKEY* rsa_;
  static EVP_PKEY* ec_;
  static EVP_PKEY* other_ec_;
  FakeClock clock_{kNow};
};

EVP_PKEY* JwtTest::rsa_ = nullptr;
EVP_PKEY* JwtTest::ec_ = nullptr;
EVP_PKEY* JwtTest::other_ec_ = nullptr;

// ---- Happy paths -----------------------------------------------------------

// An HS256 token minted by MintJwt verifies back to the same principal.
TEST_F(JwtTest, Hs256RoundTrip) {
  absl::StatusOr<Principal> p = Hs256Verifier().Verify(MintHs256(Manager()));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->member_id, "m-1");
  EXPECT_EQ(p->role, Role::kManager);
  EXPECT_EQ(p->org_unit_id, "region-east");
}

// MintJwt writes the documented claims: sub, role, org_unit, iss, aud, iat, nbf, exp.
TEST_F(JwtTest, MintWritesClaims) {
  std::vector<std::string> parts = absl::StrSplit(MintHs256(Manager(), absl::Minutes(5)), '.');
  ASSERT_EQ(parts.size(), 3u);
  std::string header_json, payload_json;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[0], &header_json));
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[1], &payload_json));
  EXPECT_EQ(json::parse(header_json)["alg"], "HS256");
  EXPECT_EQ(json::parse(header_json)["typ"], "JWT");
  json claims = json::parse(payload_json);
  EXPECT_EQ(claims["sub"], "m-1");
  EXPECT_EQ(claims["role"], "manager");
  EXPECT_EQ(claims["org_unit"], "region-east");
  EXPECT_EQ(claims["iss"], "salesops");
  EXPECT_EQ(claims["aud"], json(AllServiceAudiences()));
  EXPECT_EQ(claims["iat"], absl::ToUnixSeconds(kNow));
  EXPECT_EQ(claims["nbf"], absl::ToUnixSeconds(kNow));
  EXPECT_EQ(claims["exp"], absl::ToUnixSeconds(kNow + absl::Minutes(5)));
}

// A hand-made HS256 token with valid claims is accepted (the baseline for the attack tests).
TEST_F(JwtTest, HandMadeHs256Accepted) {
  absl::StatusOr<Principal> p = Hs256Verifier().Verify(Hs256(ValidClaims()));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->member_id, "m-1");
}

// An admin token may omit org_unit.
TEST_F(JwtTest, AdminWithoutOrgUnit) {
  absl::StatusOr<Principal> p = Hs256Verifier().Verify(MintHs256({"root", Role::kAdmin, ""}));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->role, Role::kAdmin);
  EXPECT_EQ(p->org_unit_id, "");
}

// Every role name round-trips through a token.
TEST_F(JwtTest, EveryRoleRoundTrips) {
  for (Role r : {Role::kRep, Role::kSupervisor, Role::kManager, Role::kDirector, Role::kAdmin}) {
    SCOPED_TRACE(std::string(RoleName(r)));
    absl::StatusOr<Principal> p = Hs256Verifier().Verify(MintHs256({"m-2", r, "team-1"}));
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->role, r);
  }
}

// An audience list containing ours is accepted.
TEST_F(JwtTest, AudienceArrayAccepted) {
  json claims = ValidClaims();
  claims["aud"] = json::array({"billing", "salesops.org"});
  EXPECT_TRUE(Hs256Verifier().Verify(Hs256(claims)).ok());
}

// RS256: a token signed with a generated RSA private key verifies with its public key.
TEST_F(JwtTest, Rs256RoundTrip) {
  absl::StatusOr<std::string> token =
      MintJwt({.algorithm = "RS256", .key = PrivatePem(rsa_)}, Manager(), absl::Hours(1), kNow);
  ASSERT_TRUE(token.ok()) << token.status();
  JwtVerifier verifier(PemOptions(PublicPem(rsa_)), clock_);
  EXPECT_TRUE(verifier.CheckConfig().ok());
  absl::StatusOr<Principal> p = verifier.Verify(*token);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->member_id, "m-1");
  EXPECT_EQ(p->role, Role::kManager);
}

// ES256: a token signed with a generated P-256 private key verifies with its public key.
TEST_F(JwtTest, Es256RoundTrip) {
  absl::StatusOr<std::string> token =
      MintJwt({.algorithm = "ES256", .key = PrivatePem(ec_)}, Manager(), absl::Hours(1), kNow);
  ASSERT_TRUE(token.ok()) << token.status();
  JwtVerifier verifier(PemOptions(PublicPem(ec_)), clock_);
  EXPECT_TRUE(verifier.CheckConfig().ok());
  absl::StatusOr<Principal> p = verifier.Verify(*token);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->org_unit_id, "region-east");
}

// ES256 interop: a token signed by another implementation (raw R||S signature) verifies.
TEST_F(JwtTest, Es256InteropWithStandardSignature) {
  JwtVerifier verifier(PemOptions(PublicPem(ec_)), clock_);
  absl::StatusOr<Principal> p = verifier.Verify(HandMadeEs256Token(ValidClaims(), ec_));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->member_id, "m-1");
}

// ES256 tokens signed with a different key fail the signature check.
TEST_F(JwtTest, Es256WrongKeyRejected) {
  absl::StatusOr<std::string> token = MintJwt({.algorithm = "ES256", .key = PrivatePem(other_ec_)},
                                              Manager(), absl::Hours(1), kNow);
  ASSERT_TRUE(token.ok()) << token.status();
  JwtVerifier verifier(PemOptions(PublicPem(ec_)), clock_);
  ExpectRejected(verifier.Verify(*token), "TOKEN_SIGNATURE_INVALID");
}

// A verifier with an EC key refuses RS256 tokens even if they are validly signed.
TEST_F(JwtTest, Rs256RejectedByEcVerifier) {
  absl::StatusOr<std::string> token =
      MintJwt({.algorithm = "RS256", .key = PrivatePem(rsa_)}, Manager(), absl::Hours(1), kNow);
  ASSERT_TRUE(token.ok()) << token.status();
  JwtVerifier verifier(PemOptions(PublicPem(ec_)), clock_);
  ExpectRejected(verifier.Verify(*token), "TOKEN_ALGORITHM_REJECTED");
}

// ---- Time ------------------------------------------------------------------

// Expiry is honoured with the leeway: accepted just inside it, rejected beyond it.
TEST_F(JwtTest, ExpiredBeyondLeeway) {
  std::string token = MintHs256(Manager(), absl::Minutes(10));
  JwtVerifier verifier = Hs256Verifier();  // leeway 30 s
  clock_.Advance(absl::Minutes(10) + absl::Seconds(29));
  EXPECT_TRUE(verifier.Verify(token).ok());
  clock_.Advance(absl::Seconds(1));
  ExpectRejected(verifier.Verify(token), "TOKEN_EXPIRED");
  clock_.Advance(absl::Hours(24));
  ExpectRejected(verifier.Verify(token), "TOKEN_EXPIRED");
}

// A token whose nbf lies in the future (beyond leeway) is not valid yet.
TEST_F(JwtTest, NotBeforeInFuture) {
  absl::StatusOr<std::string> token = MintJwt({.algorithm = "HS256", .key = kSecret}, Manager(),
                                              absl::Hours(2), kNow + absl::Hours(1));
  ASSERT_TRUE(token.ok());
  ExpectRejected(Hs256Verifier().Verify(*token), "TOKEN_NOT_YET_VALID");
  clock_.Advance(absl::Hours(1) - absl::Seconds(30));  // now within the leeway
  EXPECT_TRUE(Hs256Verifier().Verify(*token).ok());
}

// A token without exp is refused: exp is required.
TEST_F(JwtTest, MissingExpRejected) {
  json claims = ValidClaims();
  claims.erase("exp");
  ExpectRejected(Hs256Verifier().Verify(Hs256(claims)), "TOKEN_EXPIRY_MISSING");
}

// ---- Issuer, audience, claims ----------------------------------------------

// A token from another issuer, or without one, is refused.
TEST_F(JwtTest, WrongIssuerRejected) {
  absl::StatusOr<std::string> token = MintJwt(
      {.algorithm = "HS256", .key = kSecret, .issuer = "evil"}, Manager(), absl::Hours(1), kNow);
  ASSERT_TRUE(token.ok());
  ExpectRejected(Hs256Verifier().Verify(*token), "TOKEN_ISSUER_REJECTED");

  json claims = ValidClaims();
  claims.erase("iss");
  ExpectRejected(Hs256Verifier().Verify(Hs256(claims)), "TOKEN_ISSUER_REJECTED");
}

// A token for another audience, or without one, is refused.
TEST_F(JwtTest, WrongAudienceRejected) {
  absl::StatusOr<std::string> token =
      MintJwt({.algorithm = "HS256", .key = kSecret, .audiences = {"billing"}}, Manager(),
              absl::Hours(1), kNow);
  ASSERT_TRUE(token.ok());
  ExpectRejected(Hs256Verifier().Verify(*token), "TOKEN_AUDIENCE_REJECTED");
  // A token minted for another service of ours does not open this one.
  token = MintJwt({.algorithm = "HS256", .key = kSecret, .audiences = {"salesops.customers"}},
                  Manager(), absl::Hours(1), kNow);
  ASSERT_TRUE(token.ok());
  ExpectRejected(Hs256Verifier().Verify(*token), "TOKEN_AUDIENCE_REJECTED");
  // The old shared audience is not enough either.
  json shared = ValidClaims();
  shared["aud"] = "salesops";
  ExpectRejected(Hs256Verifier().Verify(Hs256(shared)), "TOKEN_AUDIENCE_REJECTED");

  json claims = ValidClaims();
  claims["aud"] = json::array({"billing", "crm"});
  ExpectRejected(Hs256Verifier().Verify(Hs256(claims)), "TOKEN_AUDIENCE_REJECTED");
  claims.erase("aud");
  ExpectRejected(Hs256Verifier().Verify(Hs256(claims)), "TOKEN_AUDIENCE_REJECTED");
}

// A token without a role, or with an unknown one, is refused.
TEST_F(JwtTest, MissingOrBadRoleRejected) {
  json claims = ValidClaims();
  claims.erase("role");
  ExpectRejected(Hs256Verifier().Verify(Hs256(claims)), "TOKEN_ROLE_INVALID");
  claims["role"] = "superuser";
  ExpectRejected(Hs256Verifier().Verify(Hs256(claims)), "TOKEN_ROLE_INVALID");
  claims["role"] = "ADMIN";
  ExpectRejected(Hs256Verifier().Verify(Hs256(claims)), "TOKEN_ROLE_INVALID");
  claims["role"] = 5;
  ExpectRejected(Hs256Verifier().Verify(Hs256(claims)), "TOKEN_ROLE_INVALID");
}

// A token without a subject is refused.
TEST_F(JwtTest, MissingSubjectRejected) {
  json claims = ValidClaims();
  claims["sub"] = "";
  ExpectRejected(Hs256Verifier().Verify(Hs256(claims)), "TOKEN_SUBJECT_MISSING");
  claims.erase("sub");
  ExpectRejected(Hs256Verifier().Verify(Hs256(claims)), "TOKEN_SUBJECT_MISSING");
}

// Only an admin token may omit org_unit.
TEST_F(JwtTest, NonAdminWithoutOrgUnitRejected) {
  for (Role r : {Role::kRep, Role::kSupervisor, Role::kManager, Role::kDirector}) {
    SCOPED_TRACE(std::string(RoleName(r)));
    ExpectRejected(Hs256Verifier().Verify(MintHs256({"m-3", r, ""})), "TOKEN_ORG_UNIT_MISSING");
  }
}

// ---- Attacks ---------------------------------------------------------------

// Changing one character of the payload breaks the signature.
TEST_F(JwtTest, TamperedPayloadRejected) {
  std::string token = MintHs256(Manager());
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  ASSERT_EQ(parts.size(), 3u);
  std::string& payload = parts[1];
  char& c = payload[payload.size() / 2];
  c = c == 'A' ? 'B' : 'A';
  ExpectRejected(Hs256Verifier().Verify(absl::StrJoin(parts, ".")), "TOKEN_SIGNATURE_INVALID");
}

// Swapping in a well-formed payload that promotes the caller to admin breaks the signature.
TEST_F(JwtTest, PrivilegeEscalationPayloadRejected) {
  std::vector<std::string> parts = absl::StrSplit(MintHs256(Manager()), '.');
  ASSERT_EQ(parts.size(), 3u);
  json claims = ValidClaims();
  claims["role"] = "admin";
  parts[1] = B64(claims.dump());
  ExpectRejected(Hs256Verifier().Verify(absl::StrJoin(parts, ".")), "TOKEN_SIGNATURE_INVALID");
}

// An unsigned token (alg "none", empty signature) is refused whatever key is configured.
TEST_F(JwtTest, AlgNoneRejected) {
  std::string token =
      absl::StrCat(B64(R"({"alg":"none","typ":"JWT"})"), ".", B64(ValidClaims().dump()), ".");
  ExpectRejected(Hs256Verifier().Verify(token), "TOKEN_ALGORITHM_REJECTED");
  JwtVerifier rsa_verifier(PemOptions(PublicPem(rsa_)), clock_);
  ExpectRejected(rsa_verifier.Verify(token), "TOKEN_ALGORITHM_REJECTED");
  // Case games on "none" do not help either.
  std::string token2 =
      absl::StrCat(B64(R"({"alg":"None","typ":"JWT"})"), ".", B64(ValidClaims().dump()), ".");
  ExpectRejected(Hs256Verifier().Verify(token2), "TOKEN_ALGORITHM_REJECTED");
}

// An HS256 header with an empty signature is refused.
TEST_F(JwtTest, EmptySignatureRejected) {
  std::string token = absl::StrCat(B64(Hs256Header().dump()), ".", B64(ValidClaims().dump()), ".");
  ExpectRejected(Hs256Verifier().Verify(token), "TOKEN_SIGNATURE_INVALID");
}

// A correctly signed HS384 token is refused: only HS256, RS256 and ES256 are accepted.
TEST_F(JwtTest, Hs384Rejected) {
  std::string token = HandMadeHmacToken(json{{"alg", "HS384"}, {"typ", "JWT"}}, ValidClaims(),
                                        EVP_sha384(), kSecret);
  ExpectRejected(Hs256Verifier().Verify(token), "TOKEN_ALGORITHM_REJECTED");
  // Lower-case "hs256" is not HS256.
  std::string lower =
      HandMadeHmacToken(json{{"alg", "hs256"}}, ValidClaims(), EVP_sha256(), kSecret);
  ExpectRejected(Hs256Verifier().Verify(lower), "TOKEN_ALGORITHM_REJECTED");
}

// Algorithm confusion: HS256 keyed with the RSA public key PEM is refused by a public-key verifier.
TEST_F(JwtTest, AlgorithmConfusionRejected) {
  const std::string public_pem = PublicPem(rsa_);
  std::string token = HandMadeHmacToken(Hs256Header(), ValidClaims(), EVP_sha256(), public_pem);
  // Baseline: the token is otherwise perfect (a verifier using that PEM as its secret accepts it).
  JwtVerifier naive(SecretOptions(public_pem), clock_);
  ASSERT_TRUE(naive.Verify(token).ok());

  JwtVerifier verifier(PemOptions(public_pem), clock_);
  ExpectRejected(verifier.Verify(token), "TOKEN_ALGORITHM_REJECTED");
  JwtVerifier ec_verifier(PemOptions(PublicPem(ec_)), clock_);
  ExpectRejected(ec_verifier.Verify(
                     HandMadeHmacToken(Hs256Header(), ValidClaims(), EVP_sha256(), PublicPem(ec_))),
                 "TOKEN_ALGORITHM_REJECTED");
}

// A token signed with another secret fails the signature check.
TEST_F(JwtTest, WrongSecretRejected) {
  std::string token = HandMadeHmacToken(Hs256Header(), ValidClaims(), EVP_sha256(),
                                        "another-secret-another-secret-xx");
  ExpectRejected(Hs256Verifier().Verify(token), "TOKEN_SIGNATURE_INVALID");
}

// Strings that are not a three-part JWS, or whose header is not JSON with alg, are malformed.
TEST_F(JwtTest, MalformedTokensRejected) {
  std::string good = MintHs256(Manager());
  for (const std::string& bad :
       {std::string(""), std::string("abc"), std::string("a.b"), good + ".extra",
        std::string(".") + B64(ValidClaims().dump()) + ".sig",
        std::string("!!!.") + B64(ValidClaims().dump()) + ".sig",
        B64("not json") + "." + B64(ValidClaims().dump()) + ".sig",
        B64(R"({"typ":"JWT"})") + "." + B64(ValidClaims().dump()) + ".sig",
        B64(R"({"alg":256})") + "." + B64(ValidClaims().dump()) + ".sig"}) {
    SCOPED_TRACE(bad);
    ExpectRejected(Hs256Verifier().Verify(bad), "TOKEN_MALFORMED");
  }
}

// ---- Configuration ---------------------------------------------------------

// Expects INVALID_ARGUMENT naming `field`.
void ExpectConfigError(const absl::Status& s, const std::string& field) {
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  std::vector<FieldViolation> v = FieldViolations(s);
  ASSERT_EQ(v.size(), 1u) << s;
  EXPECT_EQ(v[0].field, field);
}

// No key at all, a secret under 32 bytes, or a PEM that is not a public key are config errors.
TEST_F(JwtTest, CheckConfig) {
  ExpectConfigError(JwtVerifier(JwtVerifierOptions(), clock_).CheckConfig(), "jwt_hs256_secret");
  ExpectConfigError(JwtVerifier(SecretOptions(kSecret.substr(0, 31)), clock_).CheckConfig(),
                    "jwt_hs256_secret");
  EXPECT_TRUE(JwtVerifier(SecretOptions(kSecret), clock_).CheckConfig().ok());
  ExpectConfigError(
      JwtVerifier(PemOptions("-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----\n"),
                  clock_)
          .CheckConfig(),
      "jwt_public_key_file");
  ExpectConfigError(JwtVerifier(PemOptions("not a pem"), clock_).CheckConfig(),
                    "jwt_public_key_file");
  // A private key where the public key belongs is refused too.
  ExpectConfigError(JwtVerifier(PemOptions(PrivatePem(ec_)), clock_).CheckConfig(),
                    "jwt_public_key_file");
  EXPECT_TRUE(JwtVerifier(PemOptions(PublicPem(rsa_)), clock_).CheckConfig().ok());
  EXPECT_TRUE(JwtVerifier(PemOptions(PublicPem(ec_)), clock_).CheckConfig().ok());
}

// A verifier with a garbage PEM accepts no public-key token.
TEST_F(JwtTest, GarbagePemVerifiesNothing) {
  absl::StatusOr<std::string> token =
      MintJwt({.algorithm = "RS256", .key = PrivatePem(rsa_)}, Manager(), absl::Hours(1), kNow);
  ASSERT_TRUE(token.ok());
  JwtVerifier verifier(PemOptions("garbage"), clock_);
  ExpectRejected(verifier.Verify(*token), "TOKEN_ALGORITHM_REJECTED");
}

// MintJwt refuses unknown algorithms, an empty key and a key unusable for the algorithm.
TEST_F(JwtTest, MintErrors) {
  EXPECT_EQ(MintJwt({.algorithm = "HS384", .key = kSecret}, Manager(), absl::Hours(1), kNow)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MintJwt({.algorithm = "none", .key = kSecret}, Manager(), absl::Hours(1), kNow)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      MintJwt({.algorithm = "HS256", .key = ""}, Manager(), absl::Hours(1), kNow).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MintJwt({.algorithm = "RS256", .key = "not a pem"}, Manager(), absl::Hours(1), kNow)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace salesops

namespace salesops {
namespace {

// A token verified once (and so cached) is still rejected once it expires.
TEST_F(JwtTest, CachedTokenStillExpires) {
  JwtVerifier verifier = Hs256Verifier();
  const std::string token = MintHs256({"m-1", Role::kRep, "team-1"}, absl::Minutes(5));
  ASSERT_TRUE(verifier.Verify(token).ok());
  ASSERT_TRUE(verifier.Verify(token).ok());  // served from the cache
  clock_.Advance(absl::Minutes(10));
  ExpectRejected(verifier.Verify(token), "TOKEN_EXPIRED");
}

// A tampered copy of a cached token is not served from the cache.
TEST_F(JwtTest, CacheIsKeyedByTheWholeToken) {
  JwtVerifier verifier = Hs256Verifier();
  std::string token = MintHs256({"m-1", Role::kRep, "team-1"});
  ASSERT_TRUE(verifier.Verify(token).ok());
  token[token.size() - 2] = token[token.size() - 2] == 'A' ? 'B' : 'A';
  ExpectRejected(verifier.Verify(token), "TOKEN_SIGNATURE_INVALID");
}

// ---- Token type, lifetime and date claims ----------------------------------

// A header without typ, or with a typ other than JWT, is refused.
TEST_F(JwtTest, TypMustSayJwt) {
  const json claims = ValidClaims();
  ExpectRejected(Hs256Verifier().Verify(
                     HandMadeHmacToken(json{{"alg", "HS256"}}, claims, EVP_sha256(), kSecret)),
                 "TOKEN_TYPE_REJECTED");
  ExpectRejected(Hs256Verifier().Verify(HandMadeHmacToken(json{{"alg", "HS256"}, {"typ", "JOSE"}},
                                                          claims, EVP_sha256(), kSecret)),
                 "TOKEN_TYPE_REJECTED");
  ExpectRejected(Hs256Verifier().Verify(HandMadeHmacToken(json{{"alg", "HS256"}, {"typ", 7}},
                                                          claims, EVP_sha256(), kSecret)),
                 "TOKEN_TYPE_REJECTED");
  EXPECT_TRUE(Hs256Verifier().Verify(Hs256(claims)).ok());  // typ "JWT"
}

// exp values that would overflow a conversion to seconds are refused, not cast.
TEST_F(JwtTest, ExpOutOfRangeRejected) {
  for (double exp : {1e300, 9.3e18, -1.0, 253402300800.0}) {
    json claims = ValidClaims();
    claims["exp"] = exp;
    ExpectRejected(Hs256Verifier().Verify(Hs256(claims)), "TOKEN_MALFORMED");
  }
  json claims = ValidClaims();
  claims["exp"] = "tomorrow";
  ExpectRejected(Hs256Verifier().Verify(Hs256(claims)), "TOKEN_MALFORMED");
}

// iat is required: without it the lifetime cannot be bounded.
TEST_F(JwtTest, IatRequired) {
  json claims = ValidClaims();
  claims.erase("iat");
  ExpectRejected(Hs256Verifier().Verify(Hs256(claims)), "TOKEN_ISSUED_AT_MISSING");
  claims["iat"] = absl::ToUnixSeconds(kNow + absl::Hours(2));  // issued in the future
  ExpectRejected(Hs256Verifier().Verify(Hs256(claims)), "TOKEN_NOT_YET_VALID");
}

// A token living longer than max_ttl (default 8 h) is refused even while unexpired.
TEST_F(JwtTest, LifetimeIsBounded) {
  ExpectRejected(Hs256Verifier().Verify(MintHs256(Manager(), absl::Hours(8) + absl::Minutes(1))),
                 "TOKEN_LIFETIME_TOO_LONG");
  EXPECT_TRUE(Hs256Verifier().Verify(MintHs256(Manager(), absl::Hours(8))).ok());
  JwtVerifierOptions strict = SecretOptions(kSecret);
  strict.max_ttl = absl::Minutes(30);
  ExpectRejected(JwtVerifier(strict, clock_).Verify(MintHs256(Manager(), absl::Hours(1))),
                 "TOKEN_LIFETIME_TOO_LONG");
}

}  // namespace
}  // namespace salesops
