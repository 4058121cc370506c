// Tests for the evaluator and reconciliation: every shipped rule below, at
// and above its threshold, the reasons a condition clears, and that
// evaluation is idempotent (one warning per condition, resolved once).
#include "services/warning/domain/evaluate.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/warning/domain/rules.h"

namespace salesops::warning {
namespace {

using customers::v1::CustomerTier;
using customers::v1::OpportunityStage;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'790'000'000);

v1::Rule Shipped(absl::string_view name) {
  static const std::vector<v1::Rule>* const rules_ptr =
      new std::vector<v1::Rule>(DefaultRules().value());
  const std::vector<v1::Rule>& rules = *rules_ptr;
  for (const v1::Rule& r : rules) {
    if (r.name() == name) {
      return r;
    }
  }
  ADD_FAILURE() << "no shipped rule " << name;
  return {};
}

Evaluation Eval(const v1::Rule& rule, const SubjectFacts& f, absl::Time now = kNow) {
  absl::StatusOr<Evaluation> ev = Evaluate(rule, f, now);
  EXPECT_TRUE(ev.ok()) << ev.status();
  return ev.ok() ? *ev : Evaluation{};
}

Verdict VerdictOf(const v1::Rule& rule, const SubjectFacts& f, absl::Time now = kNow) {
  return Eval(rule, f, now).verdict;
}

const v1::Fact* FindFact(const v1::Warning& w, absl::string_view key) {
  for (const v1::Fact& f : w.facts()) {
    if (f.key() == key) {
      return &f;
    }
  }
  return nullptr;
}

SubjectFacts Rep(int64_t pace_bp, int32_t elapsed = 30) {
  SubjectFacts f;
  f.subject = "members/7";
  f.subject_display_name = "李雷";
  f.org_unit = "orgUnits/team-1";
  f.responsible_supervisor = "members/1";
  f.rep = "members/7";
  f.period = "fiscalPeriods/2026-Q4";
  f.pace_bp = pace_bp;
  f.period_elapsed_days = elapsed;
  return f;
}

SubjectFacts Coverage(int64_t pipeline, int64_t remaining, int32_t elapsed = 30) {
  SubjectFacts f = Rep(0, elapsed);
  f.pace_bp.reset();
  f.weighted_pipeline_minor = pipeline;
  f.target_remaining_minor = remaining;
  return f;
}

SubjectFacts Opportunity(OpportunityStage stage, int days_in_stage, int64_t amount = 50'000'00) {
  SubjectFacts f;
  f.subject = "opportunities/9";
  f.subject_display_name = "华东医院二期";
  f.org_unit = "orgUnits/team-1";
  f.stage = stage;
  f.stage_entered = kNow - absl::Hours(24) * days_in_stage;
  f.amount_minor = amount;
  return f;
}

SubjectFacts Customer(CustomerTier tier, int days_since_activity) {
  SubjectFacts f;
  f.subject = "customers/3";
  f.subject_display_name = "上海某集团";
  f.tier = tier;
  f.last_activity = kNow - absl::Hours(24) * days_since_activity;
  return f;
}

SubjectFacts Contract(absl::Duration overdue_for, int64_t outstanding = 10'000'00) {
  SubjectFacts f;
  f.subject = "contracts/5";
  f.payment_due = kNow - overdue_for;
  f.overdue_amount_minor = outstanding;
  return f;
}

SubjectFacts TierChange(CustomerTier from, CustomerTier to) {
  SubjectFacts f;
  f.subject = "customers/3";
  f.previous_tier = from;
  f.tier = to;
  return f;
}

SubjectFacts Forecast(int64_t forecast, int64_t target, int32_t elapsed = 30) {
  SubjectFacts f = Rep(0, elapsed);
  f.pace_bp.reset();
  f.forecast_minor = forecast;
  f.target_minor = target;
  return f;
}

v1::Rule EnabledForecastGap() {
  v1::Rule r = Shipped("rules/forecast-gap");
  r.set_enabled(true);
  return r;
}

// ---- Pace below plan (8000 bp, grace 14 days) ----

TEST(PaceBelowPlanTest, FiresBelowNotAtOrAboveThreshold) {
  const v1::Rule r = Shipped("rules/pace-below-plan");
  EXPECT_EQ(VerdictOf(r, Rep(7999)), Verdict::kHolds);
  EXPECT_EQ(VerdictOf(r, Rep(8000)), Verdict::kClear);
  EXPECT_EQ(VerdictOf(r, Rep(8001)), Verdict::kClear);
}

TEST(PaceBelowPlanTest, GracePeriodSuppressesUntilItsLastDay) {
  const v1::Rule r = Shipped("rules/pace-below-plan");
  EXPECT_EQ(VerdictOf(r, Rep(5000, 13)), Verdict::kClear);
  EXPECT_EQ(VerdictOf(r, Rep(5000, 14)), Verdict::kHolds);
  EXPECT_EQ(VerdictOf(r, Rep(5000, 15)), Verdict::kHolds);
}

TEST(PaceBelowPlanTest, MissingFactsAreUnknownNotClear) {
  const v1::Rule r = Shipped("rules/pace-below-plan");
  SubjectFacts f = Rep(5000);
  f.period_elapsed_days.reset();
  Evaluation ev = Eval(r, f);
  EXPECT_EQ(ev.verdict, Verdict::kUnknown);
  EXPECT_EQ(ev.missing, "facts.period_elapsed_days");
  f = Rep(5000);
  f.pace_bp.reset();
  EXPECT_EQ(Eval(r, f).missing, "facts.pace_bp");
}

TEST(PaceBelowPlanTest, WarningCarriesRoutingFactsAndBothMessages) {
  Evaluation ev = Eval(Shipped("rules/pace-below-plan"), Rep(7250, 40));
  ASSERT_EQ(ev.verdict, Verdict::kHolds);
  const v1::Warning& w = ev.warning;
  EXPECT_EQ(w.rule(), "rules/pace-below-plan");
  EXPECT_EQ(w.condition(), v1::CONDITION_KIND_PACE_BELOW_PLAN);
  EXPECT_EQ(w.severity(), v1::SEVERITY_WARNING);
  EXPECT_EQ(w.dedup_key(), "rules/pace-below-plan|members/7|fiscalPeriods/2026-Q4");
  EXPECT_EQ(w.org_unit(), "orgUnits/team-1");
  EXPECT_EQ(w.responsible_supervisor(), "members/1");
  EXPECT_EQ(w.rep(), "members/7");
  EXPECT_EQ(w.period(), "fiscalPeriods/2026-Q4");
  EXPECT_EQ(w.message().zh(), "李雷 本期达成进度为计划的 72.5%，低于 80%（已过 40 天）");
  EXPECT_EQ(w.message().en(), "李雷 is at 72.5% of plan pace, below 80% (40 days into the period)");
  ASSERT_NE(FindFact(w, "pace_pct"), nullptr);
  EXPECT_EQ(FindFact(w, "pace_pct")->basis_points(), 7250);
  EXPECT_EQ(FindFact(w, "pace_pct")->label().zh(), "进度");
  EXPECT_EQ(FindFact(w, "threshold_pct")->basis_points(), 8000);
  EXPECT_EQ(FindFact(w, "elapsed_days")->count(), 40);
}

TEST(PaceBelowPlanTest, SubjectFallsBackToResourceNameInMessages) {
  SubjectFacts f = Rep(1000);
  f.subject_display_name.clear();
  EXPECT_THAT(Eval(Shipped("rules/pace-below-plan"), f).warning.message().en(),
              HasSubstr("members/7 is at 10%"));
}

// ---- Pipeline coverage (3×, grace 7 days) ----

TEST(PipelineCoverageTest, FiresBelowNotAtOrAboveThreeTimes) {
  const v1::Rule r = Shipped("rules/pipeline-coverage-low");
  EXPECT_EQ(VerdictOf(r, Coverage(2'999'999, 1'000'000)), Verdict::kHolds);
  EXPECT_EQ(VerdictOf(r, Coverage(3'000'000, 1'000'000)), Verdict::kClear);
  EXPECT_EQ(VerdictOf(r, Coverage(3'000'001, 1'000'000)), Verdict::kClear);
}

TEST(PipelineCoverageTest, HugeAmountsCompareWithoutOverflow) {
  const v1::Rule r = Shipped("rules/pipeline-coverage-low");
  // pipeline × 10000 overflows int64 here; the comparison must still be exact.
  EXPECT_EQ(VerdictOf(r, Coverage(9'000'000'000'000'000'000, 3'000'000'000'000'000'000)),
            Verdict::kClear);
  EXPECT_EQ(VerdictOf(r, Coverage(8'999'999'999'999'999'999, 3'000'000'000'000'000'000)),
            Verdict::kHolds);
}

TEST(PipelineCoverageTest, NothingRemainingClearsAndGraceApplies) {
  const v1::Rule r = Shipped("rules/pipeline-coverage-low");
  EXPECT_EQ(VerdictOf(r, Coverage(0, 0)), Verdict::kClear);
  EXPECT_EQ(VerdictOf(r, Coverage(0, -5)), Verdict::kClear);
  EXPECT_EQ(VerdictOf(r, Coverage(0, 100, 6)), Verdict::kClear);
  EXPECT_EQ(VerdictOf(r, Coverage(0, 100, 7)), Verdict::kHolds);
}

TEST(PipelineCoverageTest, MissingPipelineOrTargetIsUnknown) {
  const v1::Rule r = Shipped("rules/pipeline-coverage-low");
  SubjectFacts f = Coverage(1, 100);
  f.weighted_pipeline_minor.reset();
  EXPECT_EQ(Eval(r, f).missing, "facts.weighted_pipeline_minor");
  f = Coverage(1, 100);
  f.target_remaining_minor.reset();
  EXPECT_EQ(Eval(r, f).missing, "facts.target_remaining_minor");
}

TEST(PipelineCoverageTest, MessageShowsMultiplesAndMoney) {
  Evaluation ev = Eval(Shipped("rules/pipeline-coverage-low"), Coverage(250'000'000, 100'000'000));
  EXPECT_EQ(ev.warning.message().en(),
            "李雷 has weighted pipeline 2,500,000.00 CNY, 2.5× of the remaining target "
            "1,000,000.00 CNY, below 3×");
  EXPECT_EQ(FindFact(ev.warning, "coverage_x")->basis_points(), 25000);
  EXPECT_EQ(FindFact(ev.warning, "weighted_pipeline")->money().amount_minor(), 250'000'000);
}

// ---- Opportunity stalled, per stage ----

struct StallCase {
  const char* rule;
  OpportunityStage stage;
  int days;
};

class StalledTest : public ::testing::TestWithParam<StallCase> {};

TEST_P(StalledTest, FiresFromExactlyTheStageLimit) {
  const StallCase& c = GetParam();
  const v1::Rule r = Shipped(c.rule);
  EXPECT_EQ(VerdictOf(r, Opportunity(c.stage, c.days - 1)), Verdict::kClear);
  EXPECT_EQ(VerdictOf(r, Opportunity(c.stage, c.days)), Verdict::kHolds);
  EXPECT_EQ(VerdictOf(r, Opportunity(c.stage, c.days + 1)), Verdict::kHolds);
}

TEST_P(StalledTest, IgnoresOtherStagesAndClosedDeals) {
  const StallCase& c = GetParam();
  const v1::Rule r = Shipped(c.rule);
  for (int s = customers::v1::OPPORTUNITY_STAGE_LEAD;
       s <= customers::v1::OPPORTUNITY_STAGE_CONTRACT; ++s) {
    if (s != c.stage) {
      EXPECT_EQ(VerdictOf(r, Opportunity(static_cast<OpportunityStage>(s), 365)), Verdict::kClear);
    }
  }
  for (OpportunityStage closed :
       {customers::v1::OPPORTUNITY_STAGE_WON, customers::v1::OPPORTUNITY_STAGE_LOST}) {
    Evaluation ev = Eval(r, Opportunity(closed, 365));
    EXPECT_EQ(ev.verdict, Verdict::kClear);
    EXPECT_EQ(ev.resolution, v1::WARNING_RESOLUTION_SUBJECT_CLOSED);
  }
}

INSTANTIATE_TEST_SUITE_P(
    ShippedStages, StalledTest,
    ::testing::Values(StallCase{"rules/opportunity-stalled-lead",
                                customers::v1::OPPORTUNITY_STAGE_LEAD, 30},
                      StallCase{"rules/opportunity-stalled-qualified",
                                customers::v1::OPPORTUNITY_STAGE_QUALIFIED, 21},
                      StallCase{"rules/opportunity-stalled-proposal",
                                customers::v1::OPPORTUNITY_STAGE_PROPOSAL, 14},
                      StallCase{"rules/opportunity-stalled-negotiation",
                                customers::v1::OPPORTUNITY_STAGE_NEGOTIATION, 14},
                      StallCase{"rules/opportunity-stalled-contract",
                                customers::v1::OPPORTUNITY_STAGE_CONTRACT, 7}));

TEST(StalledRuleTest, DaysAreWholeDaysFloored) {
  const v1::Rule r = Shipped("rules/opportunity-stalled-contract");
  SubjectFacts f = Opportunity(customers::v1::OPPORTUNITY_STAGE_CONTRACT, 0);
  f.stage_entered = kNow - absl::Hours(24 * 7) + absl::Seconds(1);
  EXPECT_EQ(VerdictOf(r, f), Verdict::kClear);
  f.stage_entered = kNow - absl::Hours(24 * 7);
  EXPECT_EQ(VerdictOf(r, f), Verdict::kHolds);
  f.stage_entered = kNow + absl::Hours(24);  // clock skew: never negative
  EXPECT_EQ(VerdictOf(r, f), Verdict::kClear);
}

TEST(StalledRuleTest, MessageNamesStagePerLanguage) {
  Evaluation ev = Eval(Shipped("rules/opportunity-stalled-proposal"),
                       Opportunity(customers::v1::OPPORTUNITY_STAGE_PROPOSAL, 20));
  EXPECT_EQ(ev.warning.message().zh(),
            "商机 华东医院二期（50,000.00 CNY）在「方案」阶段已停留 20 天（预警线 14 天）");
  EXPECT_EQ(
      ev.warning.message().en(),
      "Opportunity 华东医院二期 (50,000.00 CNY) has been in proposal for 20 days (warns at 14)");
  EXPECT_EQ(FindFact(ev.warning, "stage")->text(), "proposal");
  EXPECT_EQ(ev.warning.dedup_key(), "rules/opportunity-stalled-proposal|opportunities/9");
}

TEST(StalledRuleTest, RuleWithoutStageSuffixWatchesEveryOpenStage) {
  v1::Rule r = Shipped("rules/opportunity-stalled-lead");
  r.set_name("rules/any-stage-stalled");
  EXPECT_EQ(VerdictOf(r, Opportunity(customers::v1::OPPORTUNITY_STAGE_NEGOTIATION, 30)),
            Verdict::kHolds);
}

TEST(StalledRuleTest, MinAmountFiltersSmallDealsAtTheBoundary) {
  v1::Rule r = Shipped("rules/opportunity-stalled-proposal");
  r.mutable_threshold()->mutable_min_amount()->set_amount_minor(50'000'00);
  r.mutable_threshold()->mutable_min_amount()->set_currency_code("CNY");
  const OpportunityStage s = customers::v1::OPPORTUNITY_STAGE_PROPOSAL;
  EXPECT_EQ(VerdictOf(r, Opportunity(s, 20, 50'000'00 - 1)), Verdict::kClear);
  EXPECT_EQ(VerdictOf(r, Opportunity(s, 20, 50'000'00)), Verdict::kHolds);
  SubjectFacts f = Opportunity(s, 20);
  f.amount_minor.reset();
  EXPECT_EQ(Eval(r, f).missing, "facts.amount_minor");
  f = Opportunity(s, 20);
  f.currency_code = "USD";
  EXPECT_EQ(Eval(r, f).missing, "facts.currency_code");
}

TEST(StalledRuleTest, MissingStageOrStageTimeIsUnknown) {
  const v1::Rule r = Shipped("rules/opportunity-stalled-lead");
  SubjectFacts f = Opportunity(customers::v1::OPPORTUNITY_STAGE_UNSPECIFIED, 40);
  EXPECT_EQ(Eval(r, f).missing, "facts.stage");
  f = Opportunity(customers::v1::OPPORTUNITY_STAGE_LEAD, 40);
  f.stage_entered.reset();
  EXPECT_EQ(Eval(r, f).missing, "facts.stage_entered");
}

// ---- Key customer neglected (S/A, 30 days) ----

TEST(KeyCustomerNeglectedTest, FiresFromExactlyThirtyDaysForKeyTiers) {
  const v1::Rule r = Shipped("rules/key-customer-neglected");
  for (CustomerTier t : {customers::v1::CUSTOMER_TIER_S, customers::v1::CUSTOMER_TIER_A}) {
    EXPECT_EQ(VerdictOf(r, Customer(t, 29)), Verdict::kClear);
    EXPECT_EQ(VerdictOf(r, Customer(t, 30)), Verdict::kHolds);
    EXPECT_EQ(VerdictOf(r, Customer(t, 31)), Verdict::kHolds);
  }
}

TEST(KeyCustomerNeglectedTest, OtherTiersNeverFire) {
  const v1::Rule r = Shipped("rules/key-customer-neglected");
  EXPECT_EQ(VerdictOf(r, Customer(customers::v1::CUSTOMER_TIER_B, 400)), Verdict::kClear);
  EXPECT_EQ(VerdictOf(r, Customer(customers::v1::CUSTOMER_TIER_C, 400)), Verdict::kClear);
  EXPECT_EQ(Eval(r, Customer(customers::v1::CUSTOMER_TIER_UNSPECIFIED, 400)).missing, "facts.tier");
}

TEST(KeyCustomerNeglectedTest, ZeroDaysUsesTheTierVisitCadence) {
  v1::Rule r = Shipped("rules/key-customer-neglected");
  r.mutable_threshold()->set_days(0);
  SubjectFacts f = Customer(customers::v1::CUSTOMER_TIER_S, 14);
  EXPECT_EQ(Eval(r, f).missing, "facts.visit_cadence_days");
  f.visit_cadence_days = 15;
  EXPECT_EQ(VerdictOf(r, f), Verdict::kClear);
  f.visit_cadence_days = 14;
  EXPECT_EQ(VerdictOf(r, f), Verdict::kHolds);
}

TEST(KeyCustomerNeglectedTest, MessageAndMissingActivity) {
  const v1::Rule r = Shipped("rules/key-customer-neglected");
  EXPECT_EQ(Eval(r, Customer(customers::v1::CUSTOMER_TIER_S, 45)).warning.message().zh(),
            "S 级客户 上海某集团 已 45 天无跟进记录（预警线 30 天）");
  SubjectFacts f = Customer(customers::v1::CUSTOMER_TIER_S, 45);
  f.last_activity.reset();
  EXPECT_EQ(Eval(r, f).missing, "facts.last_activity");
}

// ---- Payment overdue (1 day) ----

TEST(PaymentOverdueTest, FiresFromOneFullDayOverdue) {
  const v1::Rule r = Shipped("rules/payment-overdue");
  EXPECT_EQ(VerdictOf(r, Contract(absl::Hours(23))), Verdict::kClear);
  EXPECT_EQ(VerdictOf(r, Contract(absl::Hours(24))), Verdict::kHolds);
  EXPECT_EQ(VerdictOf(r, Contract(absl::Hours(48))), Verdict::kHolds);
  EXPECT_EQ(VerdictOf(r, Contract(-absl::Hours(48))), Verdict::kClear);  // not due yet
}

TEST(PaymentOverdueTest, ZeroDaysFiresOnceThePaymentIsLate) {
  v1::Rule r = Shipped("rules/payment-overdue");
  r.mutable_threshold()->set_days(0);
  EXPECT_EQ(VerdictOf(r, Contract(absl::ZeroDuration())), Verdict::kClear);
  EXPECT_EQ(VerdictOf(r, Contract(absl::Seconds(1))), Verdict::kHolds);
}

TEST(PaymentOverdueTest, PaidContractResolvesAsSubjectClosed) {
  Evaluation ev = Eval(Shipped("rules/payment-overdue"), Contract(absl::Hours(100), 0));
  EXPECT_EQ(ev.verdict, Verdict::kClear);
  EXPECT_EQ(ev.resolution, v1::WARNING_RESOLUTION_SUBJECT_CLOSED);
}

TEST(PaymentOverdueTest, MinAmountAtTheBoundaryAndMissingFacts) {
  v1::Rule r = Shipped("rules/payment-overdue");
  r.mutable_threshold()->mutable_min_amount()->set_amount_minor(1000);
  EXPECT_EQ(VerdictOf(r, Contract(absl::Hours(48), 999)), Verdict::kClear);
  EXPECT_EQ(VerdictOf(r, Contract(absl::Hours(48), 1000)), Verdict::kHolds);
  SubjectFacts f = Contract(absl::Hours(48));
  f.payment_due.reset();
  EXPECT_EQ(Eval(r, f).missing, "facts.payment_due");
  f.overdue_amount_minor.reset();
  EXPECT_EQ(Eval(r, f).missing, "facts.overdue_amount_minor");
}

TEST(PaymentOverdueTest, MessageShowsAmountAndDays) {
  EXPECT_EQ(Eval(Shipped("rules/payment-overdue"), Contract(absl::Hours(24 * 10) + absl::Hours(3)))
                .warning.message()
                .en(),
            "Contract contracts/5 has 10,000.00 CNY overdue by 10 days");
}

// ---- Key-account tier downgrade (from S or A) ----

TEST(TierDowngradeTest, FiresOnlyForADropFromAKeyTier) {
  const v1::Rule r = Shipped("rules/key-account-tier-downgrade");
  using customers::v1::CUSTOMER_TIER_A;
  using customers::v1::CUSTOMER_TIER_B;
  using customers::v1::CUSTOMER_TIER_C;
  using customers::v1::CUSTOMER_TIER_S;
  EXPECT_EQ(VerdictOf(r, TierChange(CUSTOMER_TIER_S, CUSTOMER_TIER_A)), Verdict::kHolds);
  EXPECT_EQ(VerdictOf(r, TierChange(CUSTOMER_TIER_S, CUSTOMER_TIER_C)), Verdict::kHolds);
  EXPECT_EQ(VerdictOf(r, TierChange(CUSTOMER_TIER_A, CUSTOMER_TIER_B)), Verdict::kHolds);
  EXPECT_EQ(VerdictOf(r, TierChange(CUSTOMER_TIER_B, CUSTOMER_TIER_C)), Verdict::kClear);
  EXPECT_EQ(VerdictOf(r, TierChange(CUSTOMER_TIER_A, CUSTOMER_TIER_S)), Verdict::kClear);
  EXPECT_EQ(VerdictOf(r, TierChange(CUSTOMER_TIER_A, CUSTOMER_TIER_A)), Verdict::kClear);
  EXPECT_EQ(VerdictOf(r, TierChange(customers::v1::CUSTOMER_TIER_UNSPECIFIED, CUSTOMER_TIER_C)),
            Verdict::kClear);
  EXPECT_EQ(Eval(r, TierChange(CUSTOMER_TIER_S, customers::v1::CUSTOMER_TIER_UNSPECIFIED)).missing,
            "facts.tier");
}

TEST(TierDowngradeTest, MessageNamesBothTiers) {
  EXPECT_EQ(Eval(Shipped("rules/key-account-tier-downgrade"),
                 TierChange(customers::v1::CUSTOMER_TIER_S, customers::v1::CUSTOMER_TIER_B))
                .warning.message()
                .zh(),
            "重点客户 customers/3 由 S 级降为 B 级");
}

// ---- Forecast gap (shipped enabled; 10% of target, grace 14) ----

TEST(ForecastGapTest, ShippedEnabledAndSwitchedOffClears) {
  EXPECT_EQ(VerdictOf(Shipped("rules/forecast-gap"), Forecast(0, 1'000'000)), Verdict::kHolds);
  v1::Rule off = Shipped("rules/forecast-gap");
  off.set_enabled(false);
  Evaluation ev = Eval(off, Forecast(0, 1'000'000));
  EXPECT_EQ(ev.verdict, Verdict::kClear);
  EXPECT_EQ(ev.resolution, v1::WARNING_RESOLUTION_RULE_CHANGED);
}

TEST(ForecastGapTest, FiresAboveNotAtTheGapThreshold) {
  const v1::Rule r = EnabledForecastGap();
  EXPECT_EQ(VerdictOf(r, Forecast(899'999, 1'000'000)), Verdict::kHolds);
  EXPECT_EQ(VerdictOf(r, Forecast(900'000, 1'000'000)), Verdict::kClear);
  EXPECT_EQ(VerdictOf(r, Forecast(900'001, 1'000'000)), Verdict::kClear);
  EXPECT_EQ(VerdictOf(r, Forecast(2'000'000, 1'000'000)), Verdict::kClear);
}

TEST(ForecastGapTest, GraceZeroTargetAndMissingFacts) {
  const v1::Rule r = EnabledForecastGap();
  EXPECT_EQ(VerdictOf(r, Forecast(0, 1'000'000, 13)), Verdict::kClear);
  EXPECT_EQ(VerdictOf(r, Forecast(0, 1'000'000, 14)), Verdict::kHolds);
  EXPECT_EQ(VerdictOf(r, Forecast(0, 0)), Verdict::kClear);
  SubjectFacts f = Forecast(0, 1);
  f.forecast_minor.reset();
  EXPECT_EQ(Eval(r, f).missing, "facts.forecast_minor");
  f = Forecast(0, 1);
  f.target_minor.reset();
  EXPECT_EQ(Eval(r, f).missing, "facts.target_minor");
}

TEST(ForecastGapTest, MessageShowsGapPercent) {
  EXPECT_EQ(Eval(EnabledForecastGap(), Forecast(750'000'00, 1'000'000'00)).warning.message().en(),
            "李雷 forecasts 750,000.00 CNY, 25% short of the target 1,000,000.00 CNY (limit 10%)");
}

// ---- General ----

TEST(EvaluateTest, DisabledRuleClearsAsRuleChanged) {
  v1::Rule r = Shipped("rules/pace-below-plan");
  r.set_enabled(false);
  Evaluation ev = Eval(r, Rep(1000));
  EXPECT_EQ(ev.verdict, Verdict::kClear);
  EXPECT_EQ(ev.resolution, v1::WARNING_RESOLUTION_RULE_CHANGED);
  EXPECT_EQ(ev.warning.dedup_key(), "rules/pace-below-plan|members/7|fiscalPeriods/2026-Q4");
}

TEST(EvaluateTest, ClosedSubjectClearsAsSubjectClosed) {
  SubjectFacts f = Rep(1000);
  f.subject_closed = true;
  Evaluation ev = Eval(Shipped("rules/pace-below-plan"), f);
  EXPECT_EQ(ev.verdict, Verdict::kClear);
  EXPECT_EQ(ev.resolution, v1::WARNING_RESOLUTION_SUBJECT_CLOSED);
}

TEST(EvaluateTest, OverriddenEffectiveRuleDecidesThresholdAndSeverity) {
  v1::Rule r = Shipped("rules/pace-below-plan");
  v1::RuleOverride* o = r.add_overrides();
  o->set_org_unit("orgUnits/east");
  o->mutable_threshold()->set_ratio_basis_points(6000);
  o->set_severity(v1::SEVERITY_CRITICAL);
  const v1::Rule e = EffectiveRule(r, {"orgUnits/team-1", "orgUnits/east"});
  EXPECT_EQ(VerdictOf(e, Rep(6500)), Verdict::kClear);
  Evaluation ev = Eval(e, Rep(5999));
  EXPECT_EQ(ev.verdict, Verdict::kHolds);
  EXPECT_EQ(ev.warning.severity(), v1::SEVERITY_CRITICAL);
}

TEST(EvaluateTest, RejectsUnusableRuleOrSubject) {
  v1::Rule r = Shipped("rules/pace-below-plan");
  SubjectFacts f = Rep(1000);
  f.subject.clear();
  EXPECT_EQ(FieldViolations(Evaluate(r, f, kNow).status())[0].field, "facts.subject");
  r.set_condition(v1::CONDITION_KIND_UNSPECIFIED);
  EXPECT_EQ(FieldViolations(Evaluate(r, Rep(1), kNow).status())[0].field, "rule.condition");
  r.clear_name();
  EXPECT_EQ(FieldViolations(Evaluate(r, Rep(1), kNow).status())[0].field, "rule.name");
}

TEST(DedupKeyTest, PeriodOnlyForPeriodConditions) {
  EXPECT_EQ(DedupKey("rules/a", "members/1", ""), "rules/a|members/1");
  EXPECT_EQ(DedupKey("rules/a", "members/1", "fiscalPeriods/q"),
            "rules/a|members/1|fiscalPeriods/q");
  SubjectFacts f = Opportunity(customers::v1::OPPORTUNITY_STAGE_LEAD, 40);
  f.period = "fiscalPeriods/ignored";
  EXPECT_EQ(Eval(Shipped("rules/opportunity-stalled-lead"), f).warning.dedup_key(),
            "rules/opportunity-stalled-lead|opportunities/9");
}

// ---- Facts: in a fixed order when the condition holds, none otherwise ----

std::vector<std::string> FactKeys(const Evaluation& ev) {
  std::vector<std::string> keys;
  for (const v1::Fact& f : ev.warning.facts()) {
    keys.push_back(f.key());
  }
  return keys;
}

// Facts are part of what Reconcile compares (a changed fact is an update), so
// their order is fixed; a cleared or unknown verdict carries none.
TEST(FactsTest, EveryConditionListsItsFactsInOrderOnlyWhenItHolds) {
  using Keys = std::vector<std::string>;
  struct Case {
    const char* name;
    v1::Rule rule;
    SubjectFacts holds, clears;
    Keys keys;
  };
  const std::vector<Case> cases = {
      {"pace", Shipped("rules/pace-below-plan"), Rep(5'000), Rep(9'000),
       Keys{"elapsed_days", "pace_pct", "threshold_pct"}},
      {"coverage", Shipped("rules/pipeline-coverage-low"), Coverage(1'000'000, 1'000'000),
       Coverage(4'000'000, 1'000'000),
       Keys{"elapsed_days", "coverage_x", "threshold_x", "weighted_pipeline", "target_remaining"}},
      {"stalled", Shipped("rules/opportunity-stalled-lead"),
       Opportunity(customers::v1::OPPORTUNITY_STAGE_LEAD, 400),
       Opportunity(customers::v1::OPPORTUNITY_STAGE_LEAD, 1),
       Keys{"stage", "days", "threshold_days", "amount"}},
      {"neglected", Shipped("rules/key-customer-neglected"),
       Customer(customers::v1::CUSTOMER_TIER_S, 45), Customer(customers::v1::CUSTOMER_TIER_S, 1),
       Keys{"tier", "days", "threshold_days"}},
      {"payment", Shipped("rules/payment-overdue"), Contract(absl::Hours(24 * 40)),
       Contract(-absl::Hours(48)), Keys{"days", "threshold_days", "amount"}},
      {"tier", Shipped("rules/key-account-tier-downgrade"),
       TierChange(customers::v1::CUSTOMER_TIER_S, customers::v1::CUSTOMER_TIER_B),
       TierChange(customers::v1::CUSTOMER_TIER_B, customers::v1::CUSTOMER_TIER_S),
       Keys{"from_tier", "to_tier"}},
      {"forecast", EnabledForecastGap(), Forecast(500'000, 1'000'000),
       Forecast(1'000'000, 1'000'000),
       Keys{"elapsed_days", "gap_pct", "threshold_pct", "forecast", "target"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Evaluation held = Eval(c.rule, c.holds);
    EXPECT_EQ(held.verdict, Verdict::kHolds);
    EXPECT_EQ(FactKeys(held), c.keys);
    EXPECT_FALSE(held.warning.message().zh().empty());
    const Evaluation cleared = Eval(c.rule, c.clears);
    EXPECT_EQ(cleared.verdict, Verdict::kClear);
    EXPECT_TRUE(cleared.warning.facts().empty());
    EXPECT_EQ(cleared.warning.dedup_key(), held.warning.dedup_key());
  }
  // Inside the grace period (pace: 14 days): cleared, no facts; unknown, no facts.
  const Evaluation grace = Eval(Shipped("rules/pace-below-plan"), Rep(5'000, 3));
  EXPECT_EQ(grace.verdict, Verdict::kClear);
  EXPECT_TRUE(grace.warning.facts().empty());
  SubjectFacts no_days = Rep(5'000);
  no_days.period_elapsed_days.reset();
  const Evaluation unknown = Eval(Shipped("rules/pace-below-plan"), no_days);
  EXPECT_EQ(unknown.verdict, Verdict::kUnknown);
  EXPECT_TRUE(unknown.warning.facts().empty());
}

// ---- Detail::kVerdictOnly ----

// The shipped rules, an enabled forecast-gap rule and a disabled one.
std::vector<v1::Rule> EveryKindOfRule() {
  std::vector<v1::Rule> out = DefaultRules().value();
  out.push_back(EnabledForecastGap());
  v1::Rule disabled = Shipped("rules/pace-below-plan");
  disabled.set_enabled(false);
  out.push_back(disabled);
  return out;
}

// Facts for every condition: holding, clear, unknown, in grace, closed.
std::vector<SubjectFacts> EveryVerdictFacts() {
  SubjectFacts closed = Opportunity(customers::v1::OPPORTUNITY_STAGE_PROPOSAL, 90);
  closed.subject_closed = true;
  SubjectFacts bare;
  bare.subject = "customers/3";
  return {Rep(7250, 40),
          Rep(9000),
          Rep(7000, 3),
          Coverage(1'000'00, 1'000'00),
          Coverage(9'000'00, 1'000'00),
          Coverage(0, 0),
          Opportunity(customers::v1::OPPORTUNITY_STAGE_PROPOSAL, 90),
          Opportunity(customers::v1::OPPORTUNITY_STAGE_LEAD, 1),
          closed,
          Customer(customers::v1::CUSTOMER_TIER_S, 60),
          Customer(customers::v1::CUSTOMER_TIER_C, 60),
          Contract(absl::Hours(24 * 40)),
          Contract(-absl::Hours(24)),
          TierChange(customers::v1::CUSTOMER_TIER_S, customers::v1::CUSTOMER_TIER_B),
          Forecast(100, 1'000),
          Forecast(1'000, 1'000),
          bare};
}

// Every shipped rule (and the disabled one enabled, and one disabled) on facts that
// hold, clear, are unknown, in grace and closed: the light evaluation gives the same
// verdict, resolution and missing fact; a verdict that holds carries the same
// warning, any other an empty one.
TEST(VerdictOnlyTest, AgreesWithTheFullEvaluationAndBuildsOnlyWhatHolds) {
  const std::vector<v1::Rule> rules = EveryKindOfRule();
  const std::vector<SubjectFacts> facts = EveryVerdictFacts();
  int holds = 0, others = 0;
  for (const v1::Rule& rule : rules) {
    for (const SubjectFacts& f : facts) {
      absl::StatusOr<Evaluation> full = Evaluate(rule, f, kNow, Detail::kFull);
      absl::StatusOr<Evaluation> light = Evaluate(rule, f, kNow, Detail::kVerdictOnly);
      ASSERT_EQ(full.ok(), light.ok()) << rule.name() << " " << f.subject;
      if (!full.ok()) {
        continue;
      }
      SCOPED_TRACE(rule.name() + " on " + f.subject);
      EXPECT_EQ(light->verdict, full->verdict);
      EXPECT_EQ(light->resolution, full->resolution);
      EXPECT_EQ(light->missing, full->missing);
      if (full->verdict == Verdict::kHolds) {
        EXPECT_EQ(light->warning.SerializeAsString(), full->warning.SerializeAsString());
        ++holds;
      } else {
        EXPECT_EQ(light->warning.ByteSizeLong(), 0u);
        EXPECT_FALSE(full->warning.dedup_key().empty());
        EXPECT_EQ(Reconcile(nullptr, *light, kNow)->action, Action::kNone);
        ++others;
      }
    }
  }
  EXPECT_GT(holds, 5);
  EXPECT_GT(others, 20);
}

// The engine keeps one Evaluation for all its rules: whatever the one before
// left in it (a holding warning's facts, a missing fact, an error), the next
// evaluation reads exactly as a fresh one.
TEST(EvaluateIntoTest, AReusedEvaluationReadsAsAFreshOne) {
  std::vector<v1::Rule> rules = EveryKindOfRule();
  v1::Rule unnamed = rules[0];
  unnamed.clear_name();
  rules.insert(rules.begin() + 2, unnamed);  // an error between the others
  const std::vector<SubjectFacts> facts = EveryVerdictFacts();
  Evaluation reused;
  int compared = 0, failed = 0;
  for (const Detail detail : {Detail::kFull, Detail::kVerdictOnly}) {
    for (const SubjectFacts& f : facts) {
      for (const v1::Rule& rule : rules) {
        SCOPED_TRACE(rule.name() + " on " + f.subject);
        absl::StatusOr<Evaluation> fresh = Evaluate(rule, f, kNow, detail);
        absl::Status got = EvaluateInto(rule, f, kNow, detail, reused);
        ASSERT_EQ(got, fresh.status());
        if (!got.ok()) {
          ++failed;
          continue;
        }
        EXPECT_EQ(reused.verdict, fresh->verdict);
        EXPECT_EQ(reused.resolution, fresh->resolution);
        EXPECT_EQ(reused.missing, fresh->missing);
        EXPECT_EQ(reused.warning.SerializeAsString(), fresh->warning.SerializeAsString());
        ++compared;
      }
    }
  }
  EXPECT_EQ(failed, 2 * static_cast<int>(facts.size()));
  EXPECT_EQ(compared, 2 * static_cast<int>(facts.size() * (rules.size() - 1)));
}

// ---- Reconcile: idempotency ----

Reconciliation Rec(const v1::Warning* active, const Evaluation& ev, absl::Time now = kNow) {
  absl::StatusOr<Reconciliation> r = Reconcile(active, ev, now);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : Reconciliation{};
}

TEST(ReconcileTest, HoldingWithoutWarningRaisesAnOpenWarning) {
  Reconciliation r = Rec(nullptr, Eval(Shipped("rules/pace-below-plan"), Rep(5000)));
  EXPECT_EQ(r.action, Action::kRaise);
  EXPECT_EQ(r.warning.state(), v1::WARNING_STATE_OPEN);
  EXPECT_EQ(r.warning.raise_time().seconds(), absl::ToUnixSeconds(kNow));
  EXPECT_EQ(r.warning.last_evaluate_time().seconds(), absl::ToUnixSeconds(kNow));
  EXPECT_FALSE(r.warning.message().en().empty());
}

TEST(ReconcileTest, SameFactsTwiceIsNoneTheSecondTime) {
  const v1::Rule rule = Shipped("rules/pace-below-plan");
  Reconciliation first = Rec(nullptr, Eval(rule, Rep(5000)));
  ASSERT_EQ(first.action, Action::kRaise);
  Reconciliation second =
      Rec(&first.warning, Eval(rule, Rep(5000), kNow + absl::Hours(1)), kNow + absl::Hours(1));
  EXPECT_EQ(second.action, Action::kNone);
}

TEST(ReconcileTest, ChangedFactsUpdateTheSameWarningKeepingItsHistory) {
  const v1::Rule rule = Shipped("rules/pace-below-plan");
  v1::Warning stored = Rec(nullptr, Eval(rule, Rep(5000))).warning;
  stored.set_name("warnings/1");
  stored.set_state(v1::WARNING_STATE_ACKNOWLEDGED);
  stored.set_acknowledged_by("members/1");
  const absl::Time later = kNow + absl::Hours(5);
  Reconciliation r = Rec(&stored, Eval(rule, Rep(4000), later), later);
  EXPECT_EQ(r.action, Action::kUpdate);
  EXPECT_EQ(r.warning.name(), "warnings/1");
  EXPECT_EQ(r.warning.state(), v1::WARNING_STATE_ACKNOWLEDGED);
  EXPECT_EQ(r.warning.acknowledged_by(), "members/1");
  EXPECT_EQ(r.warning.raise_time().seconds(), absl::ToUnixSeconds(kNow));
  EXPECT_EQ(r.warning.last_evaluate_time().seconds(), absl::ToUnixSeconds(later));
  EXPECT_EQ(FindFact(r.warning, "pace_pct")->basis_points(), 4000);
  EXPECT_THAT(r.warning.message().en(), HasSubstr("40%"));
  // And re-evaluating the updated state is quiet.
  EXPECT_EQ(Rec(&r.warning, Eval(rule, Rep(4000), later), later).action, Action::kNone);
}

TEST(ReconcileTest, SeverityChangeFromAnOverrideIsAnUpdate) {
  v1::Rule rule = Shipped("rules/pace-below-plan");
  v1::Warning stored = Rec(nullptr, Eval(rule, Rep(5000))).warning;
  rule.set_severity(v1::SEVERITY_CRITICAL);
  Reconciliation r = Rec(&stored, Eval(rule, Rep(5000)));
  EXPECT_EQ(r.action, Action::kUpdate);
  EXPECT_EQ(r.warning.severity(), v1::SEVERITY_CRITICAL);
}

TEST(ReconcileTest, ClearingResolvesExactlyOnce) {
  const v1::Rule rule = Shipped("rules/pace-below-plan");
  v1::Warning stored = Rec(nullptr, Eval(rule, Rep(5000))).warning;
  const absl::Time later = kNow + absl::Hours(24);
  Reconciliation resolved = Rec(&stored, Eval(rule, Rep(8500), later), later);
  EXPECT_EQ(resolved.action, Action::kResolve);
  EXPECT_EQ(resolved.warning.state(), v1::WARNING_STATE_RESOLVED);
  EXPECT_EQ(resolved.warning.resolution(), v1::WARNING_RESOLUTION_CONDITION_CLEARED);
  EXPECT_EQ(resolved.warning.resolve_time().seconds(), absl::ToUnixSeconds(later));
  EXPECT_EQ(Rec(&resolved.warning, Eval(rule, Rep(8500), later), later).action, Action::kNone);
  EXPECT_EQ(Rec(nullptr, Eval(rule, Rep(8500), later), later).action, Action::kNone);
}

TEST(ReconcileTest, ResolutionCarriesWhyTheConditionCleared) {
  v1::Rule rule = Shipped("rules/pace-below-plan");
  v1::Warning stored = Rec(nullptr, Eval(rule, Rep(5000))).warning;
  SubjectFacts closed = Rep(5000);
  closed.subject_closed = true;
  EXPECT_EQ(Rec(&stored, Eval(rule, closed)).warning.resolution(),
            v1::WARNING_RESOLUTION_SUBJECT_CLOSED);
  rule.set_enabled(false);
  EXPECT_EQ(Rec(&stored, Eval(rule, Rep(5000))).warning.resolution(),
            v1::WARNING_RESOLUTION_RULE_CHANGED);
}

TEST(ReconcileTest, RecurrenceAfterResolutionRaisesANewWarning) {
  const v1::Rule rule = Shipped("rules/pace-below-plan");
  v1::Warning stored = Rec(nullptr, Eval(rule, Rep(5000))).warning;
  v1::Warning resolved = Rec(&stored, Eval(rule, Rep(9000))).warning;
  const absl::Time later = kNow + absl::Hours(48);
  Reconciliation again = Rec(&resolved, Eval(rule, Rep(5000), later), later);
  EXPECT_EQ(again.action, Action::kRaise);
  EXPECT_EQ(again.warning.raise_time().seconds(), absl::ToUnixSeconds(later));
  EXPECT_FALSE(again.warning.has_resolve_time());
}

TEST(ReconcileTest, UnknownNeverResolvesOrRaises) {
  const v1::Rule rule = Shipped("rules/pace-below-plan");
  v1::Warning stored = Rec(nullptr, Eval(rule, Rep(5000))).warning;
  SubjectFacts missing = Rep(5000);
  missing.pace_bp.reset();
  Reconciliation r = Rec(&stored, Eval(rule, missing));
  EXPECT_EQ(r.action, Action::kNone);
  EXPECT_EQ(r.warning.state(), v1::WARNING_STATE_OPEN);
  EXPECT_EQ(Rec(nullptr, Eval(rule, missing)).action, Action::kNone);
}

TEST(ReconcileTest, ScheduledEvaluationRaisesWhenTimeAloneCrossesTheLimit) {
  const v1::Rule rule = Shipped("rules/opportunity-stalled-contract");
  const SubjectFacts f = Opportunity(customers::v1::OPPORTUNITY_STAGE_CONTRACT, 6);
  EXPECT_EQ(Rec(nullptr, Eval(rule, f)).action, Action::kNone);
  const absl::Time tomorrow = kNow + absl::Hours(24);
  Reconciliation raised = Rec(nullptr, Eval(rule, f, tomorrow), tomorrow);
  EXPECT_EQ(raised.action, Action::kRaise);
  // The day count moves once a day: one update per day, never a second warning.
  const absl::Time next_day = tomorrow + absl::Hours(24);
  EXPECT_EQ(Rec(&raised.warning, Eval(rule, f, tomorrow + absl::Hours(1))).action, Action::kNone);
  EXPECT_EQ(Rec(&raised.warning, Eval(rule, f, next_day), next_day).action, Action::kUpdate);
}

TEST(ReconcileTest, WarningOfAnotherKeyIsRejected) {
  const v1::Rule rule = Shipped("rules/pace-below-plan");
  v1::Warning other = Rec(nullptr, Eval(rule, Rep(5000))).warning;
  other.set_dedup_key("rules/x|members/8");
  absl::StatusOr<Reconciliation> r = Reconcile(&other, Eval(rule, Rep(5000)), kNow);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolations(r.status())[0].field, "warning.dedup_key");
}

TEST(ActionNameTest, NamesEveryAction) {
  EXPECT_EQ(ActionName(Action::kNone), "NONE");
  EXPECT_EQ(ActionName(Action::kRaise), "RAISE");
  EXPECT_EQ(ActionName(Action::kUpdate), "UPDATE");
  EXPECT_EQ(ActionName(Action::kResolve), "RESOLVE");
}

}  // namespace
}  // namespace salesops::warning
