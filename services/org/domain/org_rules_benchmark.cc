// Cost of the org tree rules on a deep tree (cycle check, scope checks).
#include "benchmark/benchmark.h"
#include "services/org/domain/org_rules.h"

namespace salesops::org {
namespace {

std::vector<std::string> Ancestry(int depth) {
  std::vector<std::string> a;
  for (int i = 0; i < depth; ++i) {
    a.push_back("unit-" + std::to_string(i));
  }
  return a;
}

void BM_CheckNoCycle(benchmark::State& state) {
  auto a = Ancestry(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(CheckNoCycle("other", a, "org_unit.parent"));
  }
}
BENCHMARK(BM_CheckNoCycle)->Arg(4)->Arg(16);

void BM_CanSeeMember(benchmark::State& state) {
  auto a = Ancestry(static_cast<int>(state.range(0)));
  Principal sup{"sup", Role::kSupervisor, a.back()};
  Member m;
  m.id = "rep";
  for (auto _ : state) {
    benchmark::DoNotOptimize(CanSeeMember(sup, m, a));
  }
}
BENCHMARK(BM_CanSeeMember)->Arg(4)->Arg(16);

}  // namespace
}  // namespace salesops::org
