// How many events the pure engine could sustain: one event = one subject's
// facts evaluated against 50 rules (the shipped rules plus variants with
// per-unit overrides), each through EffectiveRule → Evaluate → Reconcile,
// as the consumer does. items_per_second is events per second on one core.
//
// BM_EvaluateOnly isolates Evaluate on pre-computed effective rules;
// BM_Reconcile* show the idempotent steady state (an open warning, same facts).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "services/warning/domain/evaluate.h"
#include "services/warning/domain/rules.h"

namespace salesops::warning {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'790'000'000);
const std::vector<std::string> kChain = {"orgUnits/team-1", "orgUnits/east", "orgUnits/hq"};

// 50 rules: the 11 shipped ones, then variants with overrides at each level.
std::vector<v1::Rule> FiftyRules() {
  const std::vector<v1::Rule> shipped = *DefaultRules();
  std::vector<v1::Rule> rules;
  for (int i = 0; rules.size() < 50; ++i) {
    v1::Rule r = shipped[static_cast<size_t>(i) % shipped.size()];
    r.set_enabled(true);
    if (i >= static_cast<int>(shipped.size())) {
      r.set_name(absl::StrCat(r.name(), "-v", i));
      for (const char* unit : {"orgUnits/hq", "orgUnits/east", "orgUnits/team-9"}) {
        v1::RuleOverride* o = r.add_overrides();
        o->set_org_unit(unit);
        o->set_severity(v1::SEVERITY_CRITICAL);
      }
    }
    rules.push_back(std::move(r));
  }
  return rules;
}

// A subject with every fact set, so every rule does its full work; most
// conditions hold (the expensive path: facts and both messages rendered).
SubjectFacts AllFacts() {
  SubjectFacts f;
  f.subject = "members/7";
  f.subject_display_name = "李雷";
  f.org_unit = "orgUnits/team-1";
  f.responsible_supervisor = "members/1";
  f.rep = "members/7";
  f.period = "fiscalPeriods/2026-Q4";
  f.pace_bp = 7000;
  f.period_elapsed_days = 40;
  f.target_remaining_minor = 100'000'000;
  f.weighted_pipeline_minor = 150'000'000;
  f.forecast_minor = 70'000'000;
  f.target_minor = 100'000'000;
  f.stage = customers::v1::OPPORTUNITY_STAGE_PROPOSAL;
  f.stage_entered = kNow - absl::Hours(24 * 20);
  f.amount_minor = 5'000'000;
  f.tier = customers::v1::CUSTOMER_TIER_A;
  f.previous_tier = customers::v1::CUSTOMER_TIER_S;
  f.last_activity = kNow - absl::Hours(24 * 40);
  f.payment_due = kNow - absl::Hours(24 * 5);
  f.overdue_amount_minor = 1'000'000;
  return f;
}

void BM_EventAgainst50Rules_NoOpenWarnings(benchmark::State& state) {
  const std::vector<v1::Rule> rules = FiftyRules();
  const SubjectFacts facts = AllFacts();
  int raised = 0;
  for (auto _ : state) {
    raised = 0;
    for (const v1::Rule& rule : rules) {
      const v1::Rule eff = EffectiveRule(rule, kChain);
      absl::StatusOr<Evaluation> ev = Evaluate(eff, facts, kNow);
      absl::StatusOr<Reconciliation> r = Reconcile(nullptr, *ev, kNow);
      raised += r->action == Action::kRaise;
      benchmark::DoNotOptimize(r);
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["raised_per_event"] = raised;
}
BENCHMARK(BM_EventAgainst50Rules_NoOpenWarnings);

// Steady state: every holding condition already has its warning (NONE).
void BM_EventAgainst50Rules_OpenWarnings(benchmark::State& state) {
  const std::vector<v1::Rule> rules = FiftyRules();
  const SubjectFacts facts = AllFacts();
  std::vector<v1::Warning> open(rules.size());
  std::vector<bool> has(rules.size(), false);
  for (size_t i = 0; i < rules.size(); ++i) {
    Evaluation ev = *Evaluate(EffectiveRule(rules[i], kChain), facts, kNow);
    Reconciliation r = *Reconcile(nullptr, ev, kNow);
    if (r.action == Action::kRaise) {
      open[i] = r.warning;
      has[i] = true;
    }
  }
  int none = 0;
  for (auto _ : state) {
    none = 0;
    for (size_t i = 0; i < rules.size(); ++i) {
      const v1::Rule eff = EffectiveRule(rules[i], kChain);
      absl::StatusOr<Evaluation> ev = Evaluate(eff, facts, kNow);
      absl::StatusOr<Reconciliation> r = Reconcile(has[i] ? &open[i] : nullptr, *ev, kNow);
      none += r->action == Action::kNone;
      benchmark::DoNotOptimize(r);
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["none_per_event"] = none;
}
BENCHMARK(BM_EventAgainst50Rules_OpenWarnings);

void BM_EvaluateOnly50EffectiveRules(benchmark::State& state) {
  std::vector<v1::Rule> effective;
  for (const v1::Rule& r : FiftyRules()) {
    effective.push_back(EffectiveRule(r, kChain));
  }
  const SubjectFacts facts = AllFacts();
  for (auto _ : state) {
    for (const v1::Rule& rule : effective) {
      absl::StatusOr<Evaluation> ev = Evaluate(rule, facts, kNow);
      benchmark::DoNotOptimize(ev);
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvaluateOnly50EffectiveRules);

}  // namespace
}  // namespace salesops::warning
