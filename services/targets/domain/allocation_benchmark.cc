// Cost of allocating a whole plan: a company total over 108 cells in four
// dimensions (4 product lines × 3 regions × 3 channels × 3 customer types),
// then each cell over its reps, for 1,000 to 100,000 reps. Allocate is
// O(n log n), so time per rep should stay nearly flat.
//
// Growth exponent: benchmark fits the complexity itself (the
// BM_AllocatePlan_BigO / _RMS rows); allocation_benchmark_slope.py next to
// this file prints the log-log slope from --benchmark_format=json output.
//
// A slope of 1.0 is linear; n log n over 1k..100k reads as about 1.1.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "services/targets/domain/allocation.h"

namespace salesops::targets {
namespace {

struct Plan {
  int64_t company_total = 0;
  std::vector<Share> cells;              // 108 cells
  std::vector<std::vector<Share>> reps;  // reps of each cell
};

// A plan with `reps` reps spread evenly over the cells; realistic weights
// (historical bookings in minor units), a few zero weights and locked reps.
Plan MakePlan(int reps) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> weight(0, 50'000'000'00);
  Plan plan;
  plan.company_total = 1'200'000'000'000'00;  // 1.2 billion in minor units
  for (int p = 0; p < 4; ++p) {
    for (int r = 0; r < 3; ++r) {
      for (int ch = 0; ch < 3; ++ch) {
        for (int ct = 0; ct < 3; ++ct) {
          plan.cells.push_back(
              Share{absl::StrCat("pl", p, "/r", r, "/ch", ch, "/ct", ct), weight(rng) + 1, {}});
        }
      }
    }
  }
  plan.reps.resize(plan.cells.size());
  for (int i = 0; i < reps; ++i) {
    Share s{absl::StrCat("rep-", i), weight(rng), {}};
    if (i % 50 == 7) {
      s.weight = 0;
    }
    if (i % 97 == 3) {
      s.locked = 1000;  // small enough to fit any cell's amount
    }
    plan.reps[static_cast<size_t>(i) % plan.cells.size()].push_back(std::move(s));
  }
  // Every cell needs a positive unlocked weight to take its amount.
  for (size_t c = 0; c < plan.reps.size(); ++c) {
    plan.reps[c].push_back(Share{absl::StrCat("rep-anchor-", c), 1, {}});
  }
  return plan;
}

// Allocates the plan level by level; returns the sum of all rep parts.
int64_t AllocatePlan(const Plan& plan) {
  auto cell_parts = Allocate(plan.company_total, plan.cells, "cells");
  if (!cell_parts.ok()) {
    return -1;
  }
  int64_t sum = 0;
  for (size_t i = 0; i < plan.cells.size(); ++i) {
    auto rep_parts = Allocate((*cell_parts)[i], plan.reps[i], "reps");
    if (!rep_parts.ok()) {
      return -1;
    }
    for (int64_t part : *rep_parts) {
      sum += part;
    }
  }
  return sum;
}

void RunPlan(benchmark::State& state, int reps) {
  const Plan plan = MakePlan(reps);
  if (AllocatePlan(plan) != plan.company_total) {
    state.SkipWithError("plan does not allocate exactly");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(AllocatePlan(plan));
  }
  state.SetComplexityN(reps);
  state.SetItemsProcessed(state.iterations() * reps);
}

void BM_AllocatePlan(benchmark::State& state) { RunPlan(state, static_cast<int>(state.range(0))); }
BENCHMARK(BM_AllocatePlan)
    ->Arg(1'000)
    ->Arg(3'000)
    ->Arg(10'000)
    ->Arg(30'000)
    ->Arg(100'000)
    ->Unit(benchmark::kMillisecond)
    ->Complexity();

// The size issue #5 quotes: a 10,000-rep organisation.
void BM_AllocatePlan10000Reps(benchmark::State& state) { RunPlan(state, 10'000); }
BENCHMARK(BM_AllocatePlan10000Reps)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace salesops::targets
