// KPI scoring curves, OKR grading and its state machine, and the fused
// scorecard: a worked example computed by hand, the rounding of
// contributions, validation with field paths, and a property test (fixed
// seed) that contributions sum exactly and the card does not depend on the
// order of its inputs.
#include "services/performance/domain/scorecard.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::performance {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const FieldViolation& v : FieldViolations(s)) {
    out.push_back(v.field);
  }
  return out;
}

KpiDefinition Kpi(std::string id, KpiMetric metric, KpiDirection direction, int32_t weight,
                  ScoringCurve curve, int64_t target) {
  KpiDefinition k;
  k.kpi_id = id;
  k.display_name = id;
  k.metric = metric;
  k.direction = direction;
  k.weight_bp = weight;
  k.curve = std::move(curve);
  k.target = target;
  return k;
}

ScoringCurve Linear(int32_t floor = 0, int32_t cap = 10'000) {
  return {CurveKind::kLinear, floor, cap, {}};
}

// The worked example used in README.md.
ScorecardInput Example() {
  ScorecardInput in;
  in.subject = "members/rep-1";
  in.period = "fiscalPeriods/2025Q3";
  in.kpis = {
      Kpi("bookings", KpiMetric::kBookings, KpiDirection::kHigherIsBetter, 4'000,
          Linear(5'000, 12'000), 100'000'00),
      Kpi("visits", KpiMetric::kVisits, KpiDirection::kHigherIsBetter, 3'000,
          {CurveKind::kPiecewise, 0, 12'000, {{5'000, 0}, {10'000, 10'000}, {15'000, 12'000}}}, 60),
      Kpi("overdue", KpiMetric::kOverdueReceivables, KpiDirection::kLowerIsBetter, 2'000,
          {CurveKind::kStep, 0, 10'000, {{0, 0}, {5'000, 5'000}, {10'000, 10'000}}}, 10'000'00),
      Kpi("csat", KpiMetric::kCustomerSatisfaction, KpiDirection::kHigherIsBetter, 1'000, Linear(),
          9'000),
  };
  in.actuals = {{"bookings", 85'000'00, {}},
                {"visits", 48, {}},
                {"overdue", 12'500'00, {}},
                {"csat", 9'450, {}}};
  in.okrs = {{"okr-1", "打开华南医疗行业市场", 7'000, 0}, {"okr-2", "key accounts", 4'000, 0}};
  in.config.kpi_share_bp = 7'000;
  in.config.bands = {{0, "C"}, {6'000, "B"}, {8'500, "A"}};
  return in;
}

// The fused scorecard, every number computed by hand.
TEST(ScorecardTest, WorkedExample) {
  absl::StatusOr<Scorecard> card = ComputeScorecard(Example());
  ASSERT_TRUE(card.ok()) << card.status();
  // Lines are in kpi_id order: bookings, csat, overdue, visits.
  ASSERT_EQ(card->kpi_lines.size(), 4u);
  // bookings: 85,000.00 / 100,000.00 = 85.00 % → linear score 8500 × 40 % = 3400.
  const KpiLine& bookings = card->kpi_lines[0];
  EXPECT_EQ(bookings.achievement_bp, 8'500);
  EXPECT_EQ(bookings.score_bp, 8'500);
  EXPECT_EQ(bookings.contribution_bp, 3'400);
  // csat: 9450 / 9000 = 105.00 % → linear, capped at 100 % → 10000 × 10 % = 1000.
  EXPECT_EQ(card->kpi_lines[1].achievement_bp, 10'500);
  EXPECT_EQ(card->kpi_lines[1].score_bp, 10'000);
  EXPECT_EQ(card->kpi_lines[1].contribution_bp, 1'000);
  // overdue (lower is better): 10,000.00 / 12,500.00 = 80.00 % → step: highest point
  // reached is (50 %, 5000) → 5000 × 20 % = 1000.
  EXPECT_EQ(card->kpi_lines[2].achievement_bp, 8'000);
  EXPECT_EQ(card->kpi_lines[2].score_bp, 5'000);
  EXPECT_EQ(card->kpi_lines[2].contribution_bp, 1'000);
  // visits: 48 / 60 = 80.00 % → piecewise between (50 %, 0) and (100 %, 10000):
  // (8000 − 5000) × 10000 / 5000 = 6000 × 30 % = 1800.
  EXPECT_EQ(card->kpi_lines[3].score_bp, 6'000);
  EXPECT_EQ(card->kpi_lines[3].contribution_bp, 1'800);
  // KPI score 3400 + 1000 + 1000 + 1800 = 7200.
  EXPECT_EQ(card->kpi_score_bp, 7'200);
  // OKRs without weights share equally: (7000 + 4000) / 2 = 5500.
  EXPECT_EQ(card->okr_lines[0].weight_bp, 5'000);
  EXPECT_EQ(card->okr_score_bp, 5'500);
  // Total: (7200 × 70 % + 5500 × 30 %) = 5040 + 1650 = 6690 → band B (≥ 6000).
  EXPECT_EQ(card->total_score_bp, 6'690);
  EXPECT_EQ(card->rating, "B");
  EXPECT_THAT(card->kpi_lines[3].explanation, testing::HasSubstr("80.00%"));
}

// Contributions are rounded so they sum exactly to the KPI score (largest remainder).
TEST(ScorecardTest, ContributionsSumExactlyToTheScore) {
  ScorecardInput in;
  in.subject = "members/rep-1";
  in.kpis = {Kpi("a", KpiMetric::kVisits, KpiDirection::kHigherIsBetter, 3'333, Linear(), 100),
             Kpi("b", KpiMetric::kVisits, KpiDirection::kHigherIsBetter, 3'333, Linear(), 10'000),
             Kpi("c", KpiMetric::kVisits, KpiDirection::kHigherIsBetter, 3'334, Linear(), 10'000)};
  in.actuals = {{"a", 100, {}}, {"b", 5'001, {}}, {"c", 7'777, {}}};
  auto card = ComputeScorecard(in);
  ASSERT_TRUE(card.ok()) << card.status();
  // Exact: 10000 × 3333 = 33,330,000; 5001 × 3333 = 16,668,333; 7777 × 3334 = 25,928,518.
  // Sum / 10000 = 7592.6851 → 7593. Floors 3333 + 1666 + 2592 = 7591; the two points left go
  // to the largest remainders (.8518 for c, .8333 for b).
  EXPECT_EQ(card->kpi_score_bp, 7'593);
  EXPECT_EQ(card->kpi_lines[0].contribution_bp, 3'333);
  EXPECT_EQ(card->kpi_lines[1].contribution_bp, 1'667);
  EXPECT_EQ(card->kpi_lines[2].contribution_bp, 2'593);
  // Without OKRs the total is the KPI score.
  EXPECT_EQ(card->kpi_share_bp, 10'000);
  EXPECT_EQ(card->total_score_bp, 7'593);
}

// The three curve kinds, the floor and the cap.
TEST(ScorecardCurveTest, CurvesFloorAndCap) {
  const ScoringCurve linear = Linear(5'000, 12'000);
  EXPECT_EQ(CurveScoreBp(linear, 4'999), 0);  // below the floor
  EXPECT_EQ(CurveScoreBp(linear, 5'000), 5'000);
  EXPECT_EQ(CurveScoreBp(linear, 15'000), 12'000);  // capped
  const ScoringCurve piecewise{
      CurveKind::kPiecewise, 0, 20'000, {{8'000, 6'000}, {12'000, 14'000}}};
  EXPECT_EQ(CurveScoreBp(piecewise, 5'000), 6'000);    // below the first point: its score
  EXPECT_EQ(CurveScoreBp(piecewise, 9'000), 8'000);    // 6000 + 1000 × 8000 / 4000
  EXPECT_EQ(CurveScoreBp(piecewise, 20'000), 14'000);  // after the last point: its score
  // 8001: 6000 + 1 × 8000 / 4000 = 6002.
  EXPECT_EQ(CurveScoreBp(piecewise, 8'001), 6'002);
  // Interpolation rounds half-even: slope 1/2 from (0, 0): 1 → 0.5 → 0; 3 → 1.5 → 2.
  const ScoringCurve halves{CurveKind::kPiecewise, 0, 10'000, {{0, 0}, {10'000, 5'000}}};
  EXPECT_EQ(CurveScoreBp(halves, 1), 0);
  EXPECT_EQ(CurveScoreBp(halves, 3), 2);
  const ScoringCurve step{CurveKind::kStep, 0, 10'000, {{9'000, 5'000}, {10'000, 10'000}}};
  EXPECT_EQ(CurveScoreBp(step, 8'999), 0);
  EXPECT_EQ(CurveScoreBp(step, 9'999), 5'000);
  EXPECT_EQ(CurveScoreBp(step, 10'000), 10'000);
}

// Achievement: ratio in basis points, inverted for lower-is-better, zero actual is the best.
TEST(ScorecardCurveTest, Achievement) {
  EXPECT_EQ(AchievementBp(KpiDirection::kHigherIsBetter, 2, 3), 6'667);  // 6666.67 → 6667
  EXPECT_EQ(AchievementBp(KpiDirection::kHigherIsBetter, -5, 3), 0);
  EXPECT_EQ(AchievementBp(KpiDirection::kLowerIsBetter, 40, 30), 7'500);  // 30 / 40
  EXPECT_EQ(AchievementBp(KpiDirection::kLowerIsBetter, 0, 30), kMaxAchievementBp);
  EXPECT_EQ(AchievementBp(KpiDirection::kHigherIsBetter, 1'000'000'000'000, 1), kMaxAchievementBp);
}

// Bad definitions name their field; weights not summing to 100 % have a stable reason.
TEST(ScorecardValidationTest, BadInputNamesTheField) {
  ScorecardInput in = Example();
  in.kpis[1].curve.points[2].achievement_bp = 9'000;
  EXPECT_THAT(Fields(ComputeScorecard(in).status()),
              ElementsAre("kpis[1].curve.points[2].achievement_bp"));
  in = Example();
  in.kpis[0].weight_bp = 3'000;
  auto st = ComputeScorecard(in);
  EXPECT_EQ(ErrorReason(st.status()), "WEIGHTS_NOT_100_PERCENT");
  EXPECT_THAT(Fields(st.status()), ElementsAre("kpis"));
  in = Example();
  in.actuals[0].kpi_id = "nope";
  EXPECT_THAT(Fields(ComputeScorecard(in).status()), ElementsAre("actuals[0].kpi_id", "kpis[0]"));
  in = Example();
  in.okrs[0].weight_bp = 3'000;
  in.config.bands[2].min_score_bp = 5'000;
  EXPECT_THAT(Fields(ComputeScorecard(in).status()),
              ElementsAre("config.bands[2].min_score_bp", "okrs"));
  in = ScorecardInput{};
  EXPECT_THAT(Fields(ComputeScorecard(in).status()), ElementsAre("kpis"));
}

// Ranks: best first, equal scores share a rank.
TEST(ScorecardTest, RankScorecards) {
  std::vector<Scorecard> cards(4);
  const int32_t scores[] = {8'000, 9'000, 8'000, 7'000};
  for (int i = 0; i < 4; ++i) {
    cards[i].subject = absl::StrCat("members/rep-", i);
    cards[i].total_score_bp = scores[i];
  }
  EXPECT_THAT(RankScorecards(cards), ElementsAre(2, 1, 2, 4));
}

// Random scorecards (fixed seed): contributions sum exactly, each within one point of its
// exact share, the total lies between its parts, and input order does not matter.
TEST(ScorecardPropertyTest, ContributionsSumExactlyAndOrderDoesNotMatter) {
  std::mt19937_64 rng(2025);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  for (int round = 0; round < 2'000; ++round) {
    ScorecardInput in;
    in.subject = "orgUnits/team-1";
    const int n = static_cast<int>(uniform(1, 8));
    std::vector<int64_t> weights = {0, 10'000};
    while (static_cast<int>(weights.size()) < n + 1) {
      weights.push_back(uniform(0, 10'000));
    }
    std::sort(weights.begin(), weights.end());
    for (int i = 0; i < n; ++i) {
      const auto direction =
          uniform(0, 1) == 0 ? KpiDirection::kHigherIsBetter : KpiDirection::kLowerIsBetter;
      in.kpis.push_back(Kpi(
          absl::StrCat("k", i), KpiMetric::kActivities, direction,
          static_cast<int32_t>(weights[i + 1] - weights[i]),
          Linear(static_cast<int32_t>(uniform(0, 5'000)), static_cast<int32_t>(uniform(1, 15'000))),
          uniform(1, 1'000'000)));
      in.actuals.push_back({absl::StrCat("k", i), uniform(0, 2'000'000), {}});
    }
    const int okrs = static_cast<int>(uniform(0, 3));
    for (int j = 0; j < okrs; ++j) {
      in.okrs.push_back(
          {absl::StrCat("o", j), "objective", static_cast<int32_t>(uniform(0, 10'000)), 0});
    }
    in.config.kpi_share_bp = static_cast<int32_t>(uniform(0, 10'000));
    auto card = ComputeScorecard(in);
    ASSERT_TRUE(card.ok()) << card.status();
    int64_t sum = 0;
    for (const KpiLine& l : card->kpi_lines) {
      sum += l.contribution_bp;
      const int64_t exact_times = static_cast<int64_t>(l.score_bp) * l.weight_bp;
      ASSERT_LE(std::abs(static_cast<int64_t>(l.contribution_bp) * 10'000 - exact_times), 10'000);
    }
    ASSERT_EQ(sum, card->kpi_score_bp);
    int64_t okr_sum = 0;
    for (const OkrLine& l : card->okr_lines) {
      okr_sum += l.contribution_bp;
    }
    ASSERT_EQ(okr_sum, card->okr_score_bp);
    ASSERT_GE(card->total_score_bp,
              std::min(card->kpi_score_bp,
                       card->okr_lines.empty() ? card->kpi_score_bp : card->okr_score_bp));
    ScorecardInput shuffled = in;
    std::shuffle(shuffled.kpis.begin(), shuffled.kpis.end(), rng);
    std::shuffle(shuffled.actuals.begin(), shuffled.actuals.end(), rng);
    std::shuffle(shuffled.okrs.begin(), shuffled.okrs.end(), rng);
    auto again = ComputeScorecard(shuffled);
    ASSERT_TRUE(again.ok());
    ASSERT_EQ(again->total_score_bp, card->total_score_bp);
    ASSERT_EQ(again->kpi_lines.size(), card->kpi_lines.size());
    for (size_t i = 0; i < card->kpi_lines.size(); ++i) {
      ASSERT_EQ(again->kpi_lines[i].kpi_id, card->kpi_lines[i].kpi_id);
      ASSERT_EQ(again->kpi_lines[i].contribution_bp, card->kpi_lines[i].contribution_bp);
    }
  }
}

// ---------------------------------------------------------------------------
// OKRs

Okr ExampleOkr() {
  Okr okr;
  okr.okr_id = "okr-1";
  okr.objective = "收回逾期并打开新客户";
  KeyResult overdue;
  overdue.key_result_id = "kr-overdue";
  overdue.weight_bp = 6'000;
  overdue.source = ProgressSource::kMeasured;
  overdue.start_value = 100;
  overdue.target_value = 20;
  overdue.current_value = 60;
  KeyResult recorded;
  recorded.key_result_id = "kr-recorded";
  recorded.weight_bp = 4'000;
  recorded.grade_bp = 8'000;
  okr.key_results = {overdue, recorded};
  return okr;
}

// Measured (a target going down) and recorded key results, weighted into the objective grade.
TEST(OkrTest, GradesKeyResultsAndTheObjective) {
  auto grade = GradeOkr(ExampleOkr(), {});
  ASSERT_TRUE(grade.ok()) << grade.status();
  // Measured: (60 − 100) / (20 − 100) = 0.5 → 5000. Recorded: 8000.
  // Objective: 5000 × 60 % + 8000 × 40 % = 3000 + 3200 = 6200.
  EXPECT_EQ(grade->key_results[0].grade_bp, 5'000);
  EXPECT_EQ(grade->key_results[1].grade_bp, 8'000);
  EXPECT_EQ(grade->grade_bp, 6'200);
  EXPECT_EQ(grade->key_results[0].contribution_bp + grade->key_results[1].contribution_bp, 6'200);
}

// A key result measured from a KPI reads the KPI's actual; beyond the target it stays at 1.0.
TEST(OkrTest, KeyResultMeasuredFromAKpi) {
  Okr okr = ExampleOkr();
  okr.key_results[0].kpi_id = "overdue";
  auto grade = GradeOkr(okr, {{"overdue", 40, {}}});
  ASSERT_TRUE(grade.ok());
  // (40 − 100) / (20 − 100) = 0.75 → 7500.
  EXPECT_EQ(grade->key_results[0].grade_bp, 7'500);
  grade = GradeOkr(okr, {{"overdue", 0, {}}});
  EXPECT_EQ(grade->key_results[0].grade_bp, 10'000);  // clamped to 1.0
  EXPECT_THAT(Fields(GradeOkr(okr, {}).status()), ElementsAre("okr.key_results[0].kpi_id"));
}

// DRAFT → ACTIVE → CLOSED; progress only while ACTIVE; a closed OKR keeps its grade.
TEST(OkrTest, StateMachine) {
  Okr okr = ExampleOkr();
  EXPECT_EQ(ErrorReason(RecordProgress(okr, "kr-recorded", 9'000, {})), "OKR_NOT_ACTIVE");
  ASSERT_TRUE(ActivateOkr(okr).ok());
  EXPECT_EQ(okr.state, OkrState::kActive);
  EXPECT_EQ(ErrorReason(ActivateOkr(okr)), "INVALID_OKR_TRANSITION");
  ASSERT_TRUE(RecordProgress(okr, "kr-recorded", 9'000, {}).ok());
  ASSERT_TRUE(RecordProgress(okr, "kr-overdue", {}, 20).ok());
  EXPECT_EQ(RecordProgress(okr, "kr-x", 1, {}).code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Fields(RecordProgress(okr, "kr-recorded", 10'001, {})), ElementsAre("grade_bp"));
  auto closed = CloseOkr(okr, {});
  ASSERT_TRUE(closed.ok());
  // 10000 × 60 % + 9000 × 40 % = 9600.
  EXPECT_EQ(closed->grade_bp, 9'600);
  EXPECT_EQ(okr.state, OkrState::kClosed);
  EXPECT_EQ(okr.final_grade_bp, 9'600);
  EXPECT_EQ(ErrorReason(RecordProgress(okr, "kr-recorded", 1, {})), "OKR_NOT_ACTIVE");
  EXPECT_EQ(ErrorReason(CloseOkr(okr, {}).status()), "INVALID_OKR_TRANSITION");
  // A closed OKR's grade is frozen even if the KPI moves later.
  okr.key_results[0].kpi_id = "overdue";
  EXPECT_EQ(GradeOkr(okr, {{"overdue", 100, {}}})->grade_bp, 9'600);
}

// An OKR that does not validate cannot be activated; the fields are named.
TEST(OkrTest, ValidationNamesTheField) {
  Okr okr = ExampleOkr();
  okr.key_results[1].weight_bp = 3'000;
  okr.key_results[0].target_value = 100;
  absl::Status st = ActivateOkr(okr);
  EXPECT_THAT(Fields(st), ElementsAre("okr.key_results[0].target_value", "okr.key_results"));
  EXPECT_EQ(okr.state, OkrState::kDraft);
}

}  // namespace
}  // namespace salesops::performance
