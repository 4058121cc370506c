#include "common/auth/jwt.h"

#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cctype>
#include <limits>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/status/errors.h"
#include "nlohmann/json.hpp"

namespace salesops {
namespace {

struct JwtDeleter {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

absl::Status Reject(absl::string_view reason, absl::string_view message) {
  return Unauthenticated(reason, message);
}

// "RS256" for an RSA key, "ES256" for an EC key, "" otherwise.
std::string AlgorithmForPublicKey(const std::string& pem) {
  if (pem.empty()) {
    return "";
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), pem.size()), &BIO_free);
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) {
    return "";
  }
  int type = EVP_PKEY_base_id(key);
  EVP_PKEY_free(key);
  if (type == EVP_PKEY_RSA) {
    return "RS256";
  }
  if (type == EVP_PKEY_EC) {
    return "ES256";
  }
  return "";
}

// A NumericDate claim as whole seconds; false when absent, not a number, or
// outside what int64 seconds and absl::Time hold (so the casts below are defined).
bool NumericDate(const nlohmann::json& claims, const char* name, int64_t* out) {
  if (!claims.contains(name) || !claims[name].is_number()) {
    return false;
  }
  const double v = claims[name].get<double>();
  constexpr double kLimit = 253402300799.0;  // 9999-12-31T23:59:59Z
  if (!(v >= 0 && v <= kLimit)) {
    return false;  // also rejects NaN
  }
  *out = static_cast<int64_t>(v);
  return true;
}

}  // namespace

std::string ServiceAudience(absl::string_view service) {
  return absl::StrCat("salesops.", service);
}

const std::vector<std::string>& AllServiceAudiences() {
  static const auto* all = new std::vector<std::string>{
      "salesops.org",      "salesops.targets", "salesops.customers", "salesops.performance",
      "salesops.forecast", "salesops.warning", "salesops.sync",      "salesops.gateway"};
  return *all;
}

JwtVerifier::JwtVerifier(JwtVerifierOptions options, const Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      public_alg_(AlgorithmForPublicKey(options_.public_key_pem)) {}

absl::Status JwtVerifier::CheckConfig() const {
  if (options_.hs256_secret.empty() && options_.public_key_pem.empty()) {
    return InvalidField("jwt_hs256_secret",
                        "set it or jwt_public_key_file: no key to verify tokens");
  }
  if (!options_.hs256_secret.empty() && options_.hs256_secret.size() < 32) {
    return InvalidField("jwt_hs256_secret", "must be at least 32 bytes");
  }
  if (!options_.public_key_pem.empty() && public_alg_.empty()) {
    return InvalidField("jwt_public_key_file", "not a PEM RSA or EC public key");
  }
  return absl::OkStatus();
}

absl::StatusOr<Principal> JwtVerifier::Verify(absl::string_view token) const {
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  const int64_t leeway = absl::ToInt64Seconds(options_.leeway);
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(token);
    if (it != cache_.end()) {
      if (it->second.exp + leeway > now && it->second.nbf - leeway <= now) {
        return it->second.principal;
      }
      cache_.erase(it);  // expired (or not yet valid): verify afresh for the exact error
    }
  }
  Cached cached;
  absl::StatusOr<Principal> p = VerifyUncached(token, &cached);
  if (p.ok()) {
    absl::MutexLock lock(&mu_);
    if (cache_.size() >= kCacheSize) {
      cache_.clear();  // simple bound; refills from live traffic
    }
    cache_.emplace(std::string(token), cached);
  }
  return p;
}

absl::StatusOr<Principal> JwtVerifier::VerifyUncached(absl::string_view token,
                                                      Cached* cached) const {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty()) {
    return Reject("TOKEN_MALFORMED", "bearer token is not a JWS compact serialization");
  }
  std::string header_json;
  if (!absl::WebSafeBase64Unescape(parts[0], &header_json)) {
    return Reject("TOKEN_MALFORMED", "token header is not base64url");
  }
  nlohmann::json header = nlohmann::json::parse(header_json, nullptr, false);
  if (!header.is_object() || !header.contains("alg") || !header["alg"].is_string()) {
    return Reject("TOKEN_MALFORMED", "token header has no alg");
  }
  const std::string alg = header["alg"];
  std::string key;
  jwt_alg_t expected;
  if (alg == "HS256" && !options_.hs256_secret.empty()) {
    key = options_.hs256_secret;
    expected = JWT_ALG_HS256;
  } else if (!public_alg_.empty() && alg == public_alg_) {
    key = options_.public_key_pem;
    expected = public_alg_ == "RS256" ? JWT_ALG_RS256 : JWT_ALG_ES256;
  } else {
    return Reject("TOKEN_ALGORITHM_REJECTED", absl::StrCat("algorithm '", alg, "' not accepted"));
  }
  if (!header.contains("typ") || !header["typ"].is_string()) {
    return Reject("TOKEN_TYPE_REJECTED", "token header has no typ");
  }
  {
    std::string typ = header["typ"];
    for (char& c : typ) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (typ != "jwt") {
      return Reject("TOKEN_TYPE_REJECTED", "token typ is not JWT");
    }
  }
  if (parts[2].empty()) {
    return Reject("TOKEN_SIGNATURE_INVALID", "token has no signature");
  }
  jwt_t* raw = nullptr;
  std::string token_str(token);
  if (jwt_decode(&raw, token_str.c_str(), reinterpret_cast<const unsigned char*>(key.data()),
                 static_cast<int>(key.size())) != 0 ||
      raw == nullptr) {
    return Reject("TOKEN_SIGNATURE_INVALID", "token signature does not verify");
  }
  JwtPtr jwt(raw);
  if (jwt_get_alg(jwt.get()) != expected) {
    return Reject("TOKEN_ALGORITHM_REJECTED", "token algorithm changed during decoding");
  }
  char* grants = jwt_get_grants_json(jwt.get(), nullptr);
  if (grants == nullptr) {
    return Reject("TOKEN_MALFORMED", "token has no claims");
  }
  nlohmann::json claims = nlohmann::json::parse(grants, nullptr, false);
  free(grants);
  if (!claims.is_object()) {
    return Reject("TOKEN_MALFORMED", "token claims are not an object");
  }
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  const int64_t leeway = absl::ToInt64Seconds(options_.leeway);
  int64_t exp = 0, iat = 0, nbf = std::numeric_limits<int64_t>::min() / 2;
  if (!claims.contains("exp")) {
    return Reject("TOKEN_EXPIRY_MISSING", "token has no exp claim");
  }
  if (!NumericDate(claims, "exp", &exp)) {
    return Reject("TOKEN_MALFORMED", "token exp is not a valid NumericDate");
  }
  if (exp + leeway <= now) {
    return Reject("TOKEN_EXPIRED", "token has expired");
  }
  if (!NumericDate(claims, "iat", &iat)) {
    return Reject("TOKEN_ISSUED_AT_MISSING", "token has no valid iat claim");
  }
  if (iat - leeway > now) {
    return Reject("TOKEN_NOT_YET_VALID", "token is issued in the future (iat)");
  }
  if (exp - iat > absl::ToInt64Seconds(options_.max_ttl)) {
    return Reject("TOKEN_LIFETIME_TOO_LONG",
                  absl::StrCat("token lives longer than the accepted maximum of ",
                               absl::FormatDuration(options_.max_ttl)));
  }
  if (claims.contains("nbf") && (!NumericDate(claims, "nbf", &nbf) || nbf - leeway > now)) {
    return Reject("TOKEN_NOT_YET_VALID", "token is not valid yet (nbf)");
  }
  if (!options_.issuer.empty() && (!claims.contains("iss") || claims["iss"] != options_.issuer)) {
    return Reject("TOKEN_ISSUER_REJECTED", "token issuer not accepted");
  }
  if (!options_.audience.empty()) {
    bool ok = false;
    if (claims.contains("aud")) {
      const auto& aud = claims["aud"];
      if (aud.is_string()) {
        ok = aud == options_.audience;
      } else if (aud.is_array()) {
        for (const auto& a : aud) {
          ok = ok || (a.is_string() && a == options_.audience);
        }
      }
    }
    if (!ok) {
      return Reject("TOKEN_AUDIENCE_REJECTED", "token audience not accepted");
    }
  }
  Principal p;
  if (!claims.contains("sub") || !claims["sub"].is_string() ||
      claims["sub"].get<std::string>().empty()) {
    return Reject("TOKEN_SUBJECT_MISSING", "token has no sub claim");
  }
  p.member_id = claims["sub"];
  if (!claims.contains("role") || !claims["role"].is_string() ||
      !ParseRole(claims["role"].get<std::string>(), &p.role)) {
    return Reject("TOKEN_ROLE_INVALID", "token has no valid role claim");
  }
  if (claims.contains("org_unit") && claims["org_unit"].is_string()) {
    p.org_unit_id = claims["org_unit"];
  }
  if (p.org_unit_id.empty() && p.role != Role::kAdmin) {
    return Reject("TOKEN_ORG_UNIT_MISSING", "only an admin token may omit org_unit");
  }
  cached->principal = p;
  cached->exp = exp;
  cached->nbf = nbf;
  return p;
}

absl::StatusOr<std::string> MintJwt(const JwtMintOptions& options, const Principal& principal,
                                    absl::Duration ttl, absl::Time now) {
  jwt_alg_t alg;
  if (options.algorithm == "HS256") {
    alg = JWT_ALG_HS256;
  } else if (options.algorithm == "RS256") {
    alg = JWT_ALG_RS256;
  } else if (options.algorithm == "ES256") {
    alg = JWT_ALG_ES256;
  } else {
    return InvalidField("algorithm", "must be HS256, RS256 or ES256");
  }
  if (options.key.empty()) {
    return InvalidField("key", "must be set");
  }
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) {
    return Internal("JWT_ALLOC", "jwt_new failed");
  }
  JwtPtr jwt(raw);
  const int64_t iat = absl::ToUnixSeconds(now);
  jwt_add_grant(jwt.get(), "sub", principal.member_id.c_str());
  jwt_add_grant(jwt.get(), "role", std::string(RoleName(principal.role)).c_str());
  if (!principal.org_unit_id.empty()) {
    jwt_add_grant(jwt.get(), "org_unit", principal.org_unit_id.c_str());
  }
  if (!options.issuer.empty()) {
    jwt_add_grant(jwt.get(), "iss", options.issuer.c_str());
  }
  {
    const std::vector<std::string>& auds =
        options.audiences.empty() ? AllServiceAudiences() : options.audiences;
    nlohmann::json aud = auds.size() == 1 ? nlohmann::json(auds[0]) : nlohmann::json(auds);
    const std::string grants = nlohmann::json{{"aud", aud}}.dump();
    if (jwt_add_grants_json(jwt.get(), grants.c_str()) != 0) {
      return Internal("JWT_GRANTS", "could not add aud");
    }
  }
  jwt_add_grant_int(jwt.get(), "iat", iat);
  jwt_add_grant_int(jwt.get(), "nbf", iat);
  jwt_add_grant_int(jwt.get(), "exp", iat + absl::ToInt64Seconds(ttl));
  if (jwt_set_alg(jwt.get(), alg, reinterpret_cast<const unsigned char*>(options.key.data()),
                  static_cast<int>(options.key.size())) != 0) {
    return InvalidField("key", "not usable for " + options.algorithm);
  }
  char* out = jwt_encode_str(jwt.get());
  if (out == nullptr) {
    return InvalidField("key",
                        "signing failed; is it a private key for " + options.algorithm + "?");
  }
  std::string token(out);
  free(out);
  return token;
}

}  // namespace salesops
