// Cost of a statement run: one statement per rep for 1,000 to 100,000 reps,
// each from ~33 facts (deals won across marginal bands and accelerators,
// split deals, in-period refunds, refunds and cancellations of credits carried
// from the previous period) giving about 50 lines, with caps, bonuses, a
// SPIFF and a recoverable draw. Inputs are built once (fixed seed) and held
// in memory, so the timed loop is the engine alone.
//
// The per-rep cost is O(f log f) in a rep's f facts and independent of the
// number of reps, so time per rep ("ns_per_rep") should stay flat and total
// time grow with exponent ~1.0. Benchmark fits the complexity itself
// (BM_StatementRun_BigO); for the log-log slope, pipe
//   build-perf/services/performance/commission_benchmark --benchmark_format=json
//       --benchmark_filter='BM_StatementRun/'
// into services/targets/domain/allocation_benchmark_slope.py (any family works).
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "services/performance/domain/commission.h"

namespace salesops::performance {
namespace {

absl::Time Day(int month, int day) {
  return absl::FromCivil(absl::CivilDay(2025, month, day), absl::UTCTimeZone());
}

CommissionPlan BenchPlan() {
  CommissionPlan p;
  p.plan_id = "plan-bench";
  p.version = 3;
  p.tier_mode = TierMode::kMarginal;
  p.bands = {
      {0, 5'000, 20'000}, {5'000, 10'000, 30'000}, {10'000, 15'000, 40'000}, {15'000, 0, 50'000}};
  p.product_line_bands = {{"pl-2", {{0, 10'000, 25'000}, {10'000, 0, 45'000}}}};
  p.accelerators = {{10'000, 1'500'000}, {15'000, 2'000'000}};
  p.per_deal_cap_minor = 12'000'00;
  p.period_cap_minor = 150'000'00;
  p.clawback_window_days = 90;
  p.bonuses = {{"hit-100", BonusKind::kIndividual, 10'000, 5'000'00},
               {"team-90", BonusKind::kTeam, 9'000, 2'000'00}};
  Spiff spiff;
  spiff.spiff_id = "big-deal";
  spiff.min_deal_amount_minor = 80'000'00;
  spiff.amount_per_deal_minor = 500'00;
  spiff.max_deals_per_period = 2;
  p.spiffs = {spiff};
  p.draw = {DrawKind::kRecoverable, 8'000'00, 3'000'00};
  return p;
}

// One rep's quarter.
StatementInput RepInput(std::mt19937_64& rng, int rep, const CommissionPlan& plan) {
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  StatementInput in;
  in.member_id = absl::StrCat("rep-", rep);
  in.statement_id = absl::StrCat("st-q3-", rep);
  in.period_id = "2025Q3";
  in.period_start = Day(7, 1);
  in.period_end = Day(10, 1);
  in.plan_versions = {plan};
  in.target_minor = 1'000'000'00;
  in.team_attainment_bp = static_cast<int32_t>(uniform(7'000, 12'000));
  in.facts.reserve(34);
  int event = 0;
  for (int d = 0; d < 25; ++d) {
    CreditFact f;
    f.event_id = absl::StrCat("e", rep, "-", event++);
    f.kind = FactKind::kDealWon;
    f.time = Day(7, 1) + absl::Minutes(uniform(0, 88 * 24 * 60));
    f.member_id = in.member_id;
    f.deal_id = absl::StrCat("d", rep, "-", d);
    f.contract_id = f.deal_id;
    f.product_line = d % 4 == 0 ? "pl-2" : "pl-1";
    f.amount_minor = uniform(20'000'00, 110'000'00);
    if (d % 6 == 0) {
      const int64_t mine = uniform(300'000, 900'000);
      f.split = {{in.member_id, mine}, {"partner", 1'000'000 - mine}};
    }
    in.facts.push_back(f);
    if (d % 5 == 0) {
      CreditFact refund = f;
      refund.event_id = absl::StrCat("e", rep, "-", event++);
      refund.kind = FactKind::kPaymentRefunded;
      refund.time = f.time + absl::Hours(uniform(1, 48));
      refund.amount_minor = uniform(1'000'00, f.amount_minor);
      in.facts.push_back(refund);
    }
  }
  // Three credits of the previous quarter, each refunded or cancelled now.
  for (int r = 0; r < 3; ++r) {
    CreditRecord rec;
    rec.credit_key = absl::StrCat("old", rep, "-", r);
    rec.deal_id = rec.credit_key;
    rec.statement_id = absl::StrCat("st-q2-", rep);
    rec.plan_id = plan.plan_id;
    rec.plan_version = 2;
    rec.event_id = absl::StrCat("old-e", rep, "-", r);
    rec.credit_time = Day(6, 10 + r);
    rec.clawback_until = rec.credit_time + absl::Hours(24 * 90);
    rec.credited_minor = uniform(10'000'00, 90'000'00);
    rec.commission_minor = rec.credited_minor * 3 / 100;
    in.carried.credits.push_back(rec);
    CreditFact f;
    f.event_id = absl::StrCat("e", rep, "-", event++);
    f.kind = r == 0 ? FactKind::kContractCancelled : FactKind::kPaymentRefunded;
    f.time = Day(7, 5) + absl::Hours(uniform(0, 24 * 60));
    f.member_id = in.member_id;
    f.deal_id = rec.deal_id;
    f.amount_minor = r == 0 ? 0 : uniform(1'000'00, rec.credited_minor);
    in.facts.push_back(f);
  }
  in.carried.draw_balance_minor = uniform(0, 1) == 1 ? uniform(1'000'00, 9'000'00) : 0;
  // Arrival order is not canonical order: the engine sorts.
  std::shuffle(in.facts.begin(), in.facts.end(), rng);
  return in;
}

std::vector<StatementInput> MakeInputs(int reps) {
  std::mt19937_64 rng(20250913);
  const CommissionPlan plan = BenchPlan();
  std::vector<StatementInput> inputs;
  inputs.reserve(static_cast<size_t>(reps));
  for (int i = 0; i < reps; ++i) {
    inputs.push_back(RepInput(rng, i, plan));
  }
  return inputs;
}

void RunStatements(benchmark::State& state, int reps) {
  const std::vector<StatementInput> inputs = MakeInputs(reps);
  int64_t lines = 0;
  int64_t facts = 0;
  for (const StatementInput& in : inputs) {
    absl::StatusOr<Statement> st = ComputeStatement(in);
    if (!st.ok()) {
      state.SkipWithError(std::string(st.status().message()).c_str());
      return;
    }
    lines += static_cast<int64_t>(st->lines.size());
    facts += static_cast<int64_t>(in.facts.size());
  }
  for (auto _ : state) {
    for (const StatementInput& in : inputs) {
      absl::StatusOr<Statement> st = ComputeStatement(in);
      benchmark::DoNotOptimize(st);
    }
  }
  state.SetComplexityN(reps);
  state.SetItemsProcessed(state.iterations() * reps);
  state.counters["lines_per_rep"] = static_cast<double>(lines) / reps;
  state.counters["facts_per_rep"] = static_cast<double>(facts) / reps;
  // Seconds per rep, shown in ns by the Invert + rate combination.
  state.counters["ns_per_rep"] = benchmark::Counter(
      static_cast<double>(reps) * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_StatementRun(benchmark::State& state) {
  RunStatements(state, static_cast<int>(state.range(0)));
}
BENCHMARK(BM_StatementRun)
    ->Arg(1'000)
    ->Arg(3'000)
    ->Arg(10'000)
    ->Arg(30'000)
    ->Arg(100'000)
    ->Unit(benchmark::kMillisecond)
    ->Complexity(benchmark::oN);

}  // namespace
}  // namespace salesops::performance
