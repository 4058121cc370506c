// Tests for the tiering model: policy validation, exact component scores for
// hand-computed facts, the weighted total, tier thresholds, aggregation of won
// deals into facts, and a property check over many random inputs.
#include "services/customers/domain/tiering.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::customers {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2026, 11, 15, 10, 0, 0), absl::UTCTimeZone());

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const FieldViolation& v : FieldViolations(s)) {
    out.push_back(v.field);
  }
  return out;
}

// Facts with nothing but the one fact under test.
PurchaseFacts Nothing() { return PurchaseFacts{}; }

TEST(TieringPolicyTest, DefaultTierPolicyValidates) {
  const absl::Status s = ValidateTierPolicy(DefaultTierPolicy());
  EXPECT_TRUE(s.ok()) << s;
}

TEST(TieringPolicyTest, DefaultTierPolicyHasTheDocumentedWeightsAndThresholds) {
  const v1::TierPolicy p = DefaultTierPolicy();
  EXPECT_EQ(p.value_weight_basis_points(), 3000);
  EXPECT_EQ(p.recency_weight_basis_points(), 1500);
  EXPECT_EQ(p.frequency_weight_basis_points(), 1500);
  EXPECT_EQ(p.monetary_weight_basis_points(), 1500);
  EXPECT_EQ(p.potential_weight_basis_points(), 2500);
  EXPECT_EQ(p.currency_code(), "CNY");
  ASSERT_EQ(p.service_plans_size(), 4);
  EXPECT_EQ(p.service_plans(0).min_total_score(), 7500);
  EXPECT_EQ(p.service_plans(1).min_total_score(), 5000);
  EXPECT_EQ(p.service_plans(2).min_total_score(), 2500);
  EXPECT_EQ(p.service_plans(3).min_total_score(), 0);
  EXPECT_EQ(p.service_plans(0).visit_cadence_days(), 14);
  EXPECT_EQ(p.service_plans(1).visit_cadence_days(), 30);
  EXPECT_EQ(p.service_plans(2).visit_cadence_days(), 60);
  EXPECT_EQ(p.service_plans(3).visit_cadence_days(), 90);
}

TEST(TieringPolicyTest, WeightsNotSummingTo10000NameValueWeight) {
  v1::TierPolicy p = DefaultTierPolicy();
  p.set_potential_weight_basis_points(2499);  // sum 9999
  const absl::Status s = ValidateTierPolicy(p);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(s), "INVALID_ARGUMENT");
  EXPECT_THAT(Fields(s), ElementsAre("tier_policy.value_weight_basis_points"));
  EXPECT_THAT(std::string(s.message()), testing::HasSubstr("9999"));
}

TEST(TieringPolicyTest, WeightsOverSumAreRejectedToo) {
  v1::TierPolicy p = DefaultTierPolicy();
  p.set_recency_weight_basis_points(1501);
  EXPECT_THAT(Fields(ValidateTierPolicy(p)), ElementsAre("tier_policy.value_weight_basis_points"));
}

TEST(TieringPolicyTest, WeightOutOfRangeNamesThatWeightOnly) {
  v1::TierPolicy p = DefaultTierPolicy();
  p.set_monetary_weight_basis_points(-1);
  EXPECT_THAT(Fields(ValidateTierPolicy(p)),
              ElementsAre("tier_policy.monetary_weight_basis_points"));
  p = DefaultTierPolicy();
  p.set_frequency_weight_basis_points(10001);
  EXPECT_THAT(Fields(ValidateTierPolicy(p)),
              ElementsAre("tier_policy.frequency_weight_basis_points"));
}

TEST(TieringPolicyTest, AllWeightOnOneComponentIsValid) {
  v1::TierPolicy p = DefaultTierPolicy();
  p.set_value_weight_basis_points(0);
  p.set_recency_weight_basis_points(0);
  p.set_frequency_weight_basis_points(0);
  p.set_monetary_weight_basis_points(0);
  p.set_potential_weight_basis_points(10000);
  EXPECT_TRUE(ValidateTierPolicy(p).ok());
}

TEST(TieringPolicyTest, ThresholdsNotStrictlyDescendingNameTheLowerPlan) {
  v1::TierPolicy p = DefaultTierPolicy();
  p.mutable_service_plans(1)->set_min_total_score(7500);  // A equal to S
  EXPECT_THAT(Fields(ValidateTierPolicy(p)),
              ElementsAre("tier_policy.service_plans[1].min_total_score"));
  p = DefaultTierPolicy();
  p.mutable_service_plans(2)->set_min_total_score(6000);  // B above A
  EXPECT_THAT(Fields(ValidateTierPolicy(p)),
              ElementsAre("tier_policy.service_plans[2].min_total_score"));
}

TEST(TieringPolicyTest, TierCThresholdNotZeroNamesPlanThree) {
  v1::TierPolicy p = DefaultTierPolicy();
  p.mutable_service_plans(3)->set_min_total_score(100);
  const absl::Status s = ValidateTierPolicy(p);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(s), ElementsAre("tier_policy.service_plans[3].min_total_score"));
}

TEST(TieringPolicyTest, ThresholdOutOfRangeNamesThePlan) {
  v1::TierPolicy p = DefaultTierPolicy();
  p.mutable_service_plans(0)->set_min_total_score(10001);
  EXPECT_THAT(Fields(ValidateTierPolicy(p)),
              ElementsAre("tier_policy.service_plans[0].min_total_score"));
}

TEST(TieringPolicyTest, PlansOutOfOrderNameTheTier) {
  v1::TierPolicy p = DefaultTierPolicy();
  p.mutable_service_plans(0)->set_tier(v1::CUSTOMER_TIER_A);
  p.mutable_service_plans(1)->set_tier(v1::CUSTOMER_TIER_S);
  const std::vector<std::string> f = Fields(ValidateTierPolicy(p));
  EXPECT_THAT(f, Contains("tier_policy.service_plans[0].tier"));
  EXPECT_THAT(f, Contains("tier_policy.service_plans[1].tier"));
}

TEST(TieringPolicyTest, NotExactlyFourPlansNamesServicePlans) {
  v1::TierPolicy p = DefaultTierPolicy();
  p.mutable_service_plans()->RemoveLast();
  EXPECT_THAT(Fields(ValidateTierPolicy(p)), ElementsAre("tier_policy.service_plans"));
  p = DefaultTierPolicy();
  *p.add_service_plans() = p.service_plans(3);
  EXPECT_THAT(Fields(ValidateTierPolicy(p)), ElementsAre("tier_policy.service_plans"));
}

TEST(TieringPolicyTest, CadenceAndSlaOutOfRangeNameThePlanField) {
  v1::TierPolicy p = DefaultTierPolicy();
  p.mutable_service_plans(0)->set_visit_cadence_days(3651);
  p.mutable_service_plans(2)->set_response_sla_hours(-1);
  const std::vector<std::string> f = Fields(ValidateTierPolicy(p));
  EXPECT_THAT(f, ElementsAre("tier_policy.service_plans[0].visit_cadence_days",
                             "tier_policy.service_plans[2].response_sla_hours"));
}

TEST(TieringPolicyTest, ReevaluateEveryDaysOutOfRangeIsNamed) {
  for (int days : {0, 366}) {
    v1::TierPolicy p = DefaultTierPolicy();
    p.set_reevaluate_every_days(days);
    EXPECT_THAT(Fields(ValidateTierPolicy(p)), ElementsAre("tier_policy.reevaluate_every_days"))
        << days;
  }
}

TEST(TieringPolicyTest, UnknownCurrencyIsNamed) {
  v1::TierPolicy p = DefaultTierPolicy();
  p.set_currency_code("RMB");
  EXPECT_THAT(Fields(ValidateTierPolicy(p)), ElementsAre("tier_policy.currency_code"));
}

TEST(TieringPolicyTest, NonPositiveScalesAreEachNamed) {
  v1::TierPolicy p = DefaultTierPolicy();
  p.set_value_full_score_minor(0);
  p.set_monetary_full_score_minor(-1);
  p.set_potential_full_score_minor(0);
  p.set_frequency_full_score_count(0);
  const std::vector<std::string> f = Fields(ValidateTierPolicy(p));
  EXPECT_THAT(f, Contains("tier_policy.value_full_score_minor"));
  EXPECT_THAT(f, Contains("tier_policy.monetary_full_score_minor"));
  EXPECT_THAT(f, Contains("tier_policy.potential_full_score_minor"));
  EXPECT_THAT(f, Contains("tier_policy.frequency_full_score_count"));
  EXPECT_EQ(f.size(), 4u);
}

TEST(TieringPolicyTest, RecencyZeroNotAfterRecencyFullIsNamed) {
  v1::TierPolicy p = DefaultTierPolicy();
  p.set_recency_zero_score_days(30);  // equal to recency_full_score_days
  EXPECT_THAT(Fields(ValidateTierPolicy(p)), ElementsAre("tier_policy.recency_zero_score_days"));
  p.set_recency_full_score_days(0);
  EXPECT_THAT(Fields(ValidateTierPolicy(p)), ElementsAre("tier_policy.recency_full_score_days"));
}

TEST(TieringScoreTest, RevenueHalfOfFullGivesValue5000) {
  PurchaseFacts f = Nothing();
  f.revenue_last_12_months_minor = 250'000'000;  // half of ¥5,000,000
  EXPECT_EQ(Score(DefaultTierPolicy(), f, kNow).value_score(), 5000);
}

TEST(TieringScoreTest, ValueIsCappedAtFullAndZeroForNoRevenue) {
  PurchaseFacts f = Nothing();
  f.revenue_last_12_months_minor = 500'000'000;
  EXPECT_EQ(Score(DefaultTierPolicy(), f, kNow).value_score(), 10000);
  f.revenue_last_12_months_minor = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(Score(DefaultTierPolicy(), f, kNow).value_score(), 10000);
  f.revenue_last_12_months_minor = 0;
  EXPECT_EQ(Score(DefaultTierPolicy(), f, kNow).value_score(), 0);
  f.revenue_last_12_months_minor = -100;
  EXPECT_EQ(Score(DefaultTierPolicy(), f, kNow).value_score(), 0);
}

TEST(TieringScoreTest, ValueRatioIsFlooredAndExactForHugeScales) {
  v1::TierPolicy p = DefaultTierPolicy();
  PurchaseFacts f = Nothing();
  f.revenue_last_12_months_minor = 1;
  p.set_value_full_score_minor(3);
  EXPECT_EQ(Score(p, f, kNow).value_score(), 3333);  // 10000 / 3 floored
  // fact * 10000 overflows int64 here; the result must still be exact.
  p.set_value_full_score_minor(std::numeric_limits<int64_t>::max());
  f.revenue_last_12_months_minor = std::numeric_limits<int64_t>::max() - 1;
  EXPECT_EQ(Score(p, f, kNow).value_score(), 9999);
  f.revenue_last_12_months_minor = std::numeric_limits<int64_t>::max() / 2;
  EXPECT_EQ(Score(p, f, kNow).value_score(), 4999);
}

TEST(TieringScoreTest, RecencyIsFullUpToFullDaysThenLinearToZero) {
  const v1::TierPolicy p = DefaultTierPolicy();  // full 30 days, zero 365 days: span 335
  struct Case {
    int days;
    int score;
  };
  for (const Case& c :
       {Case{-1, 0}, Case{0, 10000}, Case{30, 10000}, Case{31, 9970}, Case{100, 7910},
        Case{197, 5014}, Case{364, 29}, Case{365, 0}, Case{5000, 0}}) {
    PurchaseFacts f = Nothing();
    f.days_since_last_purchase = c.days;
    EXPECT_EQ(Score(p, f, kNow).recency_score(), c.score) << "days " << c.days;
  }
}

TEST(TieringScoreTest, FrequencyIsPurchasesOverFullCount) {
  const v1::TierPolicy p = DefaultTierPolicy();  // full at 6 purchases
  struct Case {
    int purchases;
    int score;
  };
  for (const Case& c :
       {Case{0, 0}, Case{1, 1666}, Case{3, 5000}, Case{5, 8333}, Case{6, 10000}, Case{12, 10000}}) {
    PurchaseFacts f = Nothing();
    f.purchases_last_12_months = c.purchases;
    EXPECT_EQ(Score(p, f, kNow).frequency_score(), c.score) << "purchases " << c.purchases;
  }
}

TEST(TieringScoreTest, MonetaryIsTheAverageDealOverFullAverage) {
  PurchaseFacts f = Nothing();
  f.revenue_last_12_months_minor = 300'000'000;
  f.purchases_last_12_months = 6;  // average ¥500,000 of ¥1,000,000
  EXPECT_EQ(Score(DefaultTierPolicy(), f, kNow).monetary_score(), 5000);
  f.purchases_last_12_months = 2;  // average ¥1,500,000: capped
  EXPECT_EQ(Score(DefaultTierPolicy(), f, kNow).monetary_score(), 10000);
  f.purchases_last_12_months = 0;  // no purchases: no average
  EXPECT_EQ(Score(DefaultTierPolicy(), f, kNow).monetary_score(), 0);
}

TEST(TieringScoreTest, PotentialIsOpenPipelineOverFullPipeline) {
  PurchaseFacts f = Nothing();
  f.open_pipeline_minor = 100'000'000;  // a third of ¥3,000,000
  EXPECT_EQ(Score(DefaultTierPolicy(), f, kNow).potential_score(), 3333);
  f.open_pipeline_minor = 300'000'000;
  EXPECT_EQ(Score(DefaultTierPolicy(), f, kNow).potential_score(), 10000);
}

TEST(TieringScoreTest, TotalIsTheFlooredWeightedSumOfHandComputedScores) {
  PurchaseFacts f;
  f.revenue_last_12_months_minor = 250'000'000;  // value 5000
  f.purchases_last_12_months = 3;                // frequency 5000; average 83,333,333 -> 8333
  f.days_since_last_purchase = 100;              // recency 265 * 10000 / 335 = 7910
  f.open_pipeline_minor = 100'000'000;           // potential 3333
  const v1::ScoreBreakdown s = Score(DefaultTierPolicy(), f, kNow);
  EXPECT_EQ(s.value_score(), 5000);
  EXPECT_EQ(s.recency_score(), 7910);
  EXPECT_EQ(s.frequency_score(), 5000);
  EXPECT_EQ(s.monetary_score(), 8333);
  EXPECT_EQ(s.potential_score(), 3333);
  // (5000*3000 + 7910*1500 + 5000*1500 + 8333*1500 + 3333*2500) / 10000 = 5519.7 -> 5519
  EXPECT_EQ(s.total_score(), 5519);
}

TEST(TieringScoreTest, FullFactsScore10000AndNoFactsScore0) {
  PurchaseFacts full;
  full.revenue_last_12_months_minor = 600'000'000;
  full.purchases_last_12_months = 6;
  full.days_since_last_purchase = 1;
  full.open_pipeline_minor = 300'000'000;
  EXPECT_EQ(Score(DefaultTierPolicy(), full, kNow).total_score(), 10000);
  const PurchaseFacts none = Nothing();
  EXPECT_EQ(none.days_since_last_purchase, -1);
  EXPECT_EQ(Score(DefaultTierPolicy(), none, kNow).total_score(), 0);
}

TEST(TieringScoreTest, BreakdownRecordsTheFactsPolicyVersionAndTime) {
  v1::TierPolicy p = DefaultTierPolicy();
  p.set_etag("etag-7");
  PurchaseFacts f;
  f.revenue_last_12_months_minor = 123;
  f.purchases_last_12_months = 2;
  f.days_since_last_purchase = 40;
  f.open_pipeline_minor = 456;
  const v1::ScoreBreakdown s = Score(p, f, kNow);
  EXPECT_EQ(s.revenue_last_12_months().amount_minor(), 123);
  EXPECT_EQ(s.revenue_last_12_months().currency_code(), "CNY");
  EXPECT_EQ(s.purchases_last_12_months(), 2);
  EXPECT_EQ(s.days_since_last_purchase(), 40);
  EXPECT_EQ(s.open_pipeline().amount_minor(), 456);
  EXPECT_EQ(s.open_pipeline().currency_code(), "CNY");
  EXPECT_EQ(s.policy_version(), "etag-7");
  EXPECT_EQ(s.evaluate_time().seconds(), absl::ToUnixSeconds(kNow));
}

TEST(TieringTierTest, TierForAtAndJustBelowEachThreshold) {
  const v1::TierPolicy p = DefaultTierPolicy();
  EXPECT_EQ(TierFor(p, 10000), v1::CUSTOMER_TIER_S);
  EXPECT_EQ(TierFor(p, 7500), v1::CUSTOMER_TIER_S);
  EXPECT_EQ(TierFor(p, 7499), v1::CUSTOMER_TIER_A);
  EXPECT_EQ(TierFor(p, 5000), v1::CUSTOMER_TIER_A);
  EXPECT_EQ(TierFor(p, 4999), v1::CUSTOMER_TIER_B);
  EXPECT_EQ(TierFor(p, 2500), v1::CUSTOMER_TIER_B);
  EXPECT_EQ(TierFor(p, 2499), v1::CUSTOMER_TIER_C);
  EXPECT_EQ(TierFor(p, 0), v1::CUSTOMER_TIER_C);
}

TEST(TieringTierTest, TierForFallsBackToCBelowEveryThreshold) {
  EXPECT_EQ(TierFor(DefaultTierPolicy(), -1), v1::CUSTOMER_TIER_C);
  EXPECT_EQ(TierFor(v1::TierPolicy(), 9000), v1::CUSTOMER_TIER_C);  // no plans at all
}

TEST(TieringTierTest, PlanForFindsEachTierAndNothingForUnspecified) {
  const v1::TierPolicy p = DefaultTierPolicy();
  ASSERT_NE(PlanFor(p, v1::CUSTOMER_TIER_S), nullptr);
  EXPECT_EQ(PlanFor(p, v1::CUSTOMER_TIER_S)->visit_cadence_days(), 14);
  ASSERT_NE(PlanFor(p, v1::CUSTOMER_TIER_C), nullptr);
  EXPECT_EQ(PlanFor(p, v1::CUSTOMER_TIER_C)->response_sla_hours(), 48);
  EXPECT_EQ(PlanFor(p, v1::CUSTOMER_TIER_UNSPECIFIED), nullptr);
}

TEST(TieringTierTest, IsDowngradeOnlyWhenMovingToALowerTier) {
  EXPECT_TRUE(IsDowngrade(v1::CUSTOMER_TIER_S, v1::CUSTOMER_TIER_A));
  EXPECT_TRUE(IsDowngrade(v1::CUSTOMER_TIER_S, v1::CUSTOMER_TIER_C));
  EXPECT_TRUE(IsDowngrade(v1::CUSTOMER_TIER_B, v1::CUSTOMER_TIER_C));
  EXPECT_FALSE(IsDowngrade(v1::CUSTOMER_TIER_C, v1::CUSTOMER_TIER_B));
  EXPECT_FALSE(IsDowngrade(v1::CUSTOMER_TIER_A, v1::CUSTOMER_TIER_S));
  EXPECT_FALSE(IsDowngrade(v1::CUSTOMER_TIER_A, v1::CUSTOMER_TIER_A));
  EXPECT_FALSE(IsDowngrade(v1::CUSTOMER_TIER_UNSPECIFIED, v1::CUSTOMER_TIER_C));
  EXPECT_FALSE(IsDowngrade(v1::CUSTOMER_TIER_S, v1::CUSTOMER_TIER_UNSPECIFIED));
}

TEST(TieringFactsTest, RevenueCountsDealsWithin365DaysAndIgnoresFutureDeals) {
  const std::vector<WonDeal> won = {
      {kNow - absl::Hours(24 * 10), 100},
      {kNow - absl::Hours(24 * 200), 300},
      {kNow - absl::Hours(24 * 365), 50},                       // exactly a year: counts
      {kNow - absl::Hours(24 * 365) - absl::Seconds(1), 1000},  // just older: does not
      {kNow + absl::Hours(1), 9999},                            // in the future: ignored
  };
  const PurchaseFacts f = FactsFromDeals(won, 777, kNow);
  EXPECT_EQ(f.revenue_last_12_months_minor, 450);
  EXPECT_EQ(f.purchases_last_12_months, 3);
  EXPECT_EQ(f.days_since_last_purchase, 10);
  EXPECT_EQ(f.open_pipeline_minor, 777);
}

TEST(TieringFactsTest, OldDealsStillSetRecency) {
  const PurchaseFacts f = FactsFromDeals(
      {{kNow - absl::Hours(24 * 400), 5000}, {kNow - absl::Hours(24 * 500), 1}}, 0, kNow);
  EXPECT_EQ(f.revenue_last_12_months_minor, 0);
  EXPECT_EQ(f.purchases_last_12_months, 0);
  EXPECT_EQ(f.days_since_last_purchase, 400);
}

TEST(TieringFactsTest, FutureDealsDoNotSetRecency) {
  const PurchaseFacts f = FactsFromDeals({{kNow + absl::Hours(24 * 3), 5000}}, 0, kNow);
  EXPECT_EQ(f.days_since_last_purchase, -1);
  EXPECT_EQ(f.revenue_last_12_months_minor, 0);
  EXPECT_EQ(f.purchases_last_12_months, 0);
}

TEST(TieringFactsTest, NoDealsMeansNeverBoughtAndNegativePipelineIsZero) {
  const PurchaseFacts f = FactsFromDeals({}, -500, kNow);
  EXPECT_EQ(f.days_since_last_purchase, -1);
  EXPECT_EQ(f.revenue_last_12_months_minor, 0);
  EXPECT_EQ(f.purchases_last_12_months, 0);
  EXPECT_EQ(f.open_pipeline_minor, 0);
}

TEST(TieringFactsTest, DaysSinceLastPurchaseIsFlooredAndUsesTheLatestDeal) {
  const PurchaseFacts f = FactsFromDeals(
      {{kNow - absl::Hours(24 * 20), 1}, {kNow - absl::Hours(24 * 10 + 23), 1}}, 0, kNow);
  EXPECT_EQ(f.days_since_last_purchase, 10);
  EXPECT_EQ(FactsFromDeals({{kNow, 1}}, 0, kNow).days_since_last_purchase, 0);
}

TEST(TieringFactsTest, NegativeDealAmountsAddNoRevenue) {
  const PurchaseFacts f =
      FactsFromDeals({{kNow - absl::Hours(24), -300}, {kNow - absl::Hours(48), 200}}, 0, kNow);
  EXPECT_EQ(f.revenue_last_12_months_minor, 200);
}

TEST(TieringFactsTest, RevenueSaturatesInsteadOfOverflowing) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  const PurchaseFacts f =
      FactsFromDeals({{kNow - absl::Hours(24), max}, {kNow - absl::Hours(48), max}}, 0, kNow);
  EXPECT_EQ(f.revenue_last_12_months_minor, max);
  EXPECT_EQ(f.purchases_last_12_months, 2);
}

// A random valid weighting: four cut points in 0..10000.
v1::TierPolicy RandomPolicy(std::mt19937_64& rng) {
  v1::TierPolicy p = DefaultTierPolicy();
  std::uniform_int_distribution<int> cut(0, kFullScore);
  std::vector<int> cuts = {0, cut(rng), cut(rng), cut(rng), cut(rng), kFullScore};
  std::sort(cuts.begin(), cuts.end());
  p.set_value_weight_basis_points(cuts[1] - cuts[0]);
  p.set_recency_weight_basis_points(cuts[2] - cuts[1]);
  p.set_frequency_weight_basis_points(cuts[3] - cuts[2]);
  p.set_monetary_weight_basis_points(cuts[4] - cuts[3]);
  p.set_potential_weight_basis_points(cuts[5] - cuts[4]);
  std::uniform_int_distribution<int64_t> scale(1, 1'000'000'000'000LL);
  p.set_value_full_score_minor(scale(rng));
  p.set_monetary_full_score_minor(scale(rng));
  p.set_potential_full_score_minor(scale(rng));
  std::uniform_int_distribution<int> small(1, 400);
  p.set_frequency_full_score_count(small(rng));
  p.set_recency_full_score_days(small(rng));
  p.set_recency_zero_score_days(p.recency_full_score_days() + small(rng));
  return p;
}

int64_t RandomAmount(std::mt19937_64& rng) {
  switch (rng() % 5) {
    case 0:
      return 0;
    case 1:
      return std::numeric_limits<int64_t>::max();
    case 2:
      return -static_cast<int64_t>(rng() % 1'000'000);
    default:
      return static_cast<int64_t>(rng() % 10'000'000'000'000ULL);
  }
}

TEST(TieringPropertyTest, EveryScoreIsWithin0And10000AndDeterministic) {
  std::mt19937_64 rng(20260101);
  for (int i = 0; i < 20000; ++i) {
    const v1::TierPolicy p = i % 2 == 0 ? DefaultTierPolicy() : RandomPolicy(rng);
    ASSERT_TRUE(ValidateTierPolicy(p).ok()) << p.DebugString();
    PurchaseFacts f;
    f.revenue_last_12_months_minor = RandomAmount(rng);
    f.open_pipeline_minor = RandomAmount(rng);
    f.purchases_last_12_months = static_cast<int>(rng() % 50) - 5;
    f.days_since_last_purchase = static_cast<int>(rng() % 1000) - 2;
    const v1::ScoreBreakdown s = Score(p, f, kNow);
    SCOPED_TRACE(s.DebugString());
    for (int score : {s.value_score(), s.recency_score(), s.frequency_score(), s.monetary_score(),
                      s.potential_score(), s.total_score()}) {
      ASSERT_GE(score, 0);
      ASSERT_LE(score, kFullScore);
    }
    const int64_t weighted = int64_t{s.value_score()} * p.value_weight_basis_points() +
                             int64_t{s.recency_score()} * p.recency_weight_basis_points() +
                             int64_t{s.frequency_score()} * p.frequency_weight_basis_points() +
                             int64_t{s.monetary_score()} * p.monetary_weight_basis_points() +
                             int64_t{s.potential_score()} * p.potential_weight_basis_points();
    ASSERT_EQ(s.total_score(), weighted / kFullScore);
    ASSERT_EQ(Score(p, f, kNow).SerializeAsString(), s.SerializeAsString());
  }
}

TEST(TieringPropertyTest, MoreRevenueNeverLowersTheTotal) {
  std::mt19937_64 rng(7);
  const v1::TierPolicy p = DefaultTierPolicy();
  for (int i = 0; i < 5000; ++i) {
    PurchaseFacts f;
    f.revenue_last_12_months_minor = static_cast<int64_t>(rng() % 1'000'000'000);
    f.purchases_last_12_months = 1 + static_cast<int>(rng() % 10);
    f.days_since_last_purchase = static_cast<int>(rng() % 400);
    f.open_pipeline_minor = static_cast<int64_t>(rng() % 400'000'000);
    PurchaseFacts more = f;
    more.revenue_last_12_months_minor += static_cast<int64_t>(rng() % 100'000'000);
    ASSERT_LE(Score(p, f, kNow).total_score(), Score(p, more, kNow).total_score());
  }
}

}  // namespace
}  // namespace salesops::customers
