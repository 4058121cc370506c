// Cost of request validation helpers on typical (Chinese) input.
#include "benchmark/benchmark.h"
#include "common/validation/validation.h"

namespace salesops {
namespace {

void BM_CheckTextChinese(benchmark::State& state) {
  std::string name;
  for (int i = 0; i < state.range(0); ++i) {
    name += "华";
  }
  for (auto _ : state) {
    Violations v;
    CheckText(v, "org_unit.display_name", name, 1, 100);
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(state.iterations() * name.size());
}
BENCHMARK(BM_CheckTextChinese)->Arg(4)->Arg(100);

void BM_PageTokenRoundTrip(benchmark::State& state) {
  for (auto _ : state) {
    Violations v;
    std::string t = EncodePageToken({"team-east-1", "orgUnits/region-east|3"});
    benchmark::DoNotOptimize(DecodePageToken(v, "page_token", t, "orgUnits/region-east|3"));
  }
}
BENCHMARK(BM_PageTokenRoundTrip);

}  // namespace
}  // namespace salesops
