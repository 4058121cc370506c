// Cost of verifying a bearer token: paid by every RPC.
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "common/auth/jwt.h"

namespace salesops {
namespace {

constexpr char kSecret[] = "benchmark-secret-0123456789abcdefghijkl";

JwtVerifierOptions Hs256Options() {
  JwtVerifierOptions o;
  o.hs256_secret = kSecret;
  o.audience = ServiceAudience("org");  // as the org service verifies a sign-in token
  return o;
}

// A client's repeated token: served from the verifier's cache.
void BM_VerifyHs256Cached(benchmark::State& state) {
  SystemClock clock;
  JwtVerifier verifier(Hs256Options(), clock);
  auto token = MintJwt({.key = kSecret}, {"m-1", Role::kSupervisor, "team-east-1"}, absl::Hours(1),
                       absl::Now());
  if (auto first = verifier.Verify(*token); !first.ok()) {
    state.SkipWithError(first.status().ToString().c_str());  // a refusal is never cached
    return;
  }
  for (auto _ : state) {
    auto p = verifier.Verify(*token);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_VerifyHs256Cached);

// First sight of a token: signature check and claims parsing.
void BM_VerifyHs256Uncached(benchmark::State& state) {
  SystemClock clock;
  auto token = MintJwt({.key = kSecret}, {"m-1", Role::kSupervisor, "team-east-1"}, absl::Hours(1),
                       absl::Now());
  if (auto first = JwtVerifier(Hs256Options(), clock).Verify(*token); !first.ok()) {
    state.SkipWithError(first.status().ToString().c_str());  // measure acceptance, not refusal
    return;
  }
  for (auto _ : state) {
    JwtVerifier verifier(Hs256Options(), clock);
    auto p = verifier.Verify(*token);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_VerifyHs256Uncached);

void BM_RejectTampered(benchmark::State& state) {
  SystemClock clock;
  JwtVerifier verifier(Hs256Options(), clock);
  std::string token =
      *MintJwt({.key = kSecret}, {"m-1", Role::kRep, "t"}, absl::Hours(1), absl::Now());
  token[token.size() - 3] = token[token.size() - 3] == 'A' ? 'B' : 'A';
  for (auto _ : state) {
    auto p = verifier.Verify(token);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_RejectTampered);

}  // namespace
}  // namespace salesops
