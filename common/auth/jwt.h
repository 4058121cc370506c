// Bearer JWT verification and minting (libjwt).
//
// Accepted algorithms: HS256 (shared secret) and RS256 / ES256 (public key).
// The algorithm in a token's header must match the kind of key configured for
// it, so an HS256 token can never be checked against a public key (algorithm
// confusion); "none" and every other algorithm are rejected. The header's typ
// must say JWT, so another kind of signed object from the same
// issuer is not taken for an access token. exp and iat are required and a
// token may live at most `max_ttl` (a stolen token is useful for hours, not
// days); nbf, iss and aud are checked (with `leeway` for clock skew). Each
// service accepts only tokens naming it in aud ("salesops.<service>"), so a
// token minted for one service does not open the others. Claims: sub = member
// id, role, org_unit.
//
//   JwtVerifier verifier({.hs256_secret = secret, .issuer = "salesops",
//                         .audience = "salesops.org"}, clock);
//   absl::StatusOr<Principal> p = verifier.Verify(token);   // UNAUTHENTICATED on failure
//
//   std::string token = *MintJwt({.algorithm = "HS256", .key = secret, …}, principal, ttl, now);
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/time/clock.h"

namespace salesops {

struct JwtVerifierOptions {
  std::string hs256_secret;    // enables HS256 when non-empty
  std::string public_key_pem;  // enables RS256 (RSA key) / ES256 (EC P-256 key)
  std::string issuer = "salesops";
  // Required in aud; every service sets its own ("salesops.<service>").
  std::string audience = "salesops";
  absl::Duration leeway = absl::Seconds(30);
  // Longest accepted lifetime (exp - iat).
  absl::Duration max_ttl = absl::Hours(8);
};

// The audience of a service's tokens: "salesops.<service>".
std::string ServiceAudience(absl::string_view service);
// Every service's audience: what a user's sign-in token carries by default.
const std::vector<std::string>& AllServiceAudiences();
inline constexpr absl::Duration kDefaultTokenTtl = absl::Hours(1);

// Thread-safe. Verified tokens are remembered (up to kCacheSize, until they
// expire) so a client's repeated calls pay for the signature check once.
class JwtVerifier {
 public:
  JwtVerifier(JwtVerifierOptions options, const Clock& clock);
  // INVALID_ARGUMENT naming the setting when no usable key is configured.
  absl::Status CheckConfig() const;
  absl::StatusOr<Principal> Verify(absl::string_view token) const;

  static constexpr size_t kCacheSize = 4096;

 private:
  struct Cached {
    Principal principal;
    int64_t exp = 0;
    int64_t nbf = 0;
  };
  absl::StatusOr<Principal> VerifyUncached(absl::string_view token, Cached* cached) const;

  JwtVerifierOptions options_;
  const Clock& clock_;
  std::string public_alg_;  // "RS256" or "ES256", from the key type
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, Cached> cache_ ABSL_GUARDED_BY(mu_);
};

struct JwtMintOptions {
  std::string algorithm = "HS256";  // HS256, RS256 or ES256
  std::string key;                  // secret (HS256) or private key PEM
  std::string issuer = "salesops";
  // aud; empty = every service (AllServiceAudiences()).
  std::vector<std::string> audiences = {};
};

absl::StatusOr<std::string> MintJwt(const JwtMintOptions& options, const Principal& principal,
                                    absl::Duration ttl, absl::Time now);

}  // namespace salesops
