// Bearer JWT verification and minting (libjwt).
//
// Accepted algorithms: HS256 (shared secret) and RS256 / ES256 (public key).
// The algorithm in a token's header must match the kind of key configured for
// it, so an HS256 token can never be checked against a public key (algorithm
// confusion); "none" and every other algorithm are rejected. exp is required;
// nbf, iss and aud are checked (with `leeway` for clock skew). Claims: sub =
// member id, role, org_unit.
//
//   JwtVerifier verifier({.hs256_secret = secret, .issuer = "salesops",
//                         .audience = "salesops"}, clock);
//   absl::StatusOr<Principal> p = verifier.Verify(token);   // UNAUTHENTICATED on failure
//
//   std::string token = *MintJwt({.algorithm = "HS256", .key = secret, …}, principal, ttl, now);
#pragma once

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/time/clock.h"

namespace salesops {

struct JwtVerifierOptions {
  std::string hs256_secret;    // enables HS256 when non-empty
  std::string public_key_pem;  // enables RS256 (RSA key) / ES256 (EC P-256 key)
  std::string issuer = "salesops";
  std::string audience = "salesops";
  absl::Duration leeway = absl::Seconds(30);
};

// Immutable after construction; thread-safe.
class JwtVerifier {
 public:
  JwtVerifier(JwtVerifierOptions options, const Clock& clock);
  // INVALID_ARGUMENT naming the setting when no usable key is configured.
  absl::Status CheckConfig() const;
  absl::StatusOr<Principal> Verify(absl::string_view token) const;

 private:
  JwtVerifierOptions options_;
  const Clock& clock_;
  std::string public_alg_;  // "RS256" or "ES256", from the key type
};

struct JwtMintOptions {
  std::string algorithm = "HS256";  // HS256, RS256 or ES256
  std::string key;                  // secret (HS256) or private key PEM
  std::string issuer = "salesops";
  std::string audience = "salesops";
};

absl::StatusOr<std::string> MintJwt(const JwtMintOptions& options, const Principal& principal,
                                    absl::Duration ttl, absl::Time now);

}  // namespace salesops
