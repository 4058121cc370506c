#include "services/performance/domain/coaching.h"

#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::performance {
namespace {

using ::testing::HasSubstr;

TEST(ScriptLifecycleTest, VersionsMoveDraftReviewPublishedRetired) {
  using S = ScriptState;
  for (auto [from, to] : std::vector<std::pair<S, S>>{{S::kDraft, S::kInReview},
                                                      {S::kInReview, S::kPublished},
                                                      {S::kInReview, S::kDraft},
                                                      {S::kPublished, S::kRetired},
                                                      {S::kDraft, S::kRetired}}) {
    EXPECT_TRUE(CheckScriptTransition(from, to).ok());
  }
  for (auto [from, to] : std::vector<std::pair<S, S>>{{S::kDraft, S::kPublished},
                                                      {S::kRetired, S::kPublished},
                                                      {S::kPublished, S::kDraft},
                                                      {S::kRetired, S::kDraft},
                                                      {S::kPublished, S::kInReview},
                                                      {S::kDraft, S::kDraft}}) {
    absl::Status s = CheckScriptTransition(from, to);
    EXPECT_EQ(ErrorReason(s), "SCRIPT_VERSION_TRANSITION");
  }
  EXPECT_THAT(std::string(CheckScriptTransition(S::kDraft, S::kPublished).message()),
              HasSubstr("DRAFT version cannot become PUBLISHED"));
}

TEST(CompareWinRatesTest, OverlappingIntervalsAreChance) {
  // 12/40 = 30 % [18.1, 45.4] vs 18/45 = 40 % [27.0, 54.5]: overlap.
  VersionComparison c = CompareWinRates({12, 40}, {18, 45});
  EXPECT_EQ(c.difference_bp, 1000);
  EXPECT_FALSE(c.significant);
  EXPECT_THAT(c.verdict, HasSubstr("随机波动"));
}

TEST(CompareWinRatesTest, SeparateIntervalsAreAFinding) {
  // 10/100 = 10 % [5.5, 17.4] vs 40/100 = 40 % [30.9, 49.8].
  VersionComparison c = CompareWinRates({10, 100}, {40, 100});
  EXPECT_EQ(c.difference_bp, 3000);
  EXPECT_TRUE(c.significant);
  EXPECT_THAT(c.verdict, HasSubstr("新版本"));
}

TEST(CompareWinRatesTest, SmallSamplesAskForMoreData) {
  VersionComparison c = CompareWinRates({0, 5}, {5, 5});
  EXPECT_FALSE(c.significant);
  EXPECT_THAT(c.verdict, HasSubstr("样本不足"));
}

TEST(DrillScoreTest, WeightedRubric) {
  const std::vector<Weighted> rubric = {{"需求挖掘", 5000}, {"异议处理", 3000}, {"促成", 2000}};
  ASSERT_TRUE(CheckRubric(rubric, "modules[0].rubric").ok());
  auto s = ScoreDrill(rubric, {{"需求挖掘", 8000}, {"异议处理", 6000}, {"促成", 9000}}, 0);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, 7600);  // 0.5·80 + 0.3·60 + 0.2·90
  // Half up: 0.5·8001 + 0.5·8000 = 8000.5 → 8001.
  EXPECT_EQ(*ScoreDrill({{"a", 5000}, {"b", 5000}}, {{"a", 8001}, {"b", 8000}}, 0), 8001);
}

TEST(DrillScoreTest, RubricMismatchesNameTheField) {
  const std::vector<Weighted> rubric = {{"需求挖掘", 5000}, {"异议处理", 5000}};
  auto missing = ScoreDrill(rubric, {{"需求挖掘", 8000}}, 0);
  EXPECT_EQ(FieldViolations(missing.status())[0].field, "drill.criteria");
  auto extra = ScoreDrill(rubric, {{"需求挖掘", 8000}, {"异议处理", 1}, {"闲聊", 10}}, 0);
  EXPECT_EQ(FieldViolations(extra.status())[0].field, "drill.criteria[2].criterion");
  auto twice = ScoreDrill(rubric, {{"需求挖掘", 8000}, {"需求挖掘", 1}}, 0);
  EXPECT_EQ(FieldViolations(twice.status())[0].field, "drill.criteria[1].criterion");
  auto range = ScoreDrill(rubric, {{"需求挖掘", 10001}}, 0);
  EXPECT_EQ(FieldViolations(range.status())[0].field, "drill.criteria[0].score_basis_points");
}

TEST(DrillScoreTest, WithoutRubricTheMeanOrTheGivenScore) {
  EXPECT_EQ(*ScoreDrill({}, {{"a", 7000}, {"b", 8001}}, 0), 7501);
  EXPECT_EQ(*ScoreDrill({}, {}, 6500), 6500);
  EXPECT_FALSE(ScoreDrill({}, {}, 12000).ok());
}

TEST(RubricTest, WeightsSumToOneHundredPercent) {
  EXPECT_EQ(FieldViolations(CheckRubric({{"a", 5000}, {"b", 4000}}, "r"))[0].field, "r");
  EXPECT_EQ(FieldViolations(CheckRubric({{"a", 5000}, {"a", 5000}}, "r"))[0].field,
            "r[1].criterion");
  EXPECT_EQ(FieldViolations(CheckRubric({{"a", 0}, {"b", 10000}}, "r"))[0].field,
            "r[0].weight_basis_points");
  EXPECT_TRUE(CheckRubric({}, "r").ok());
}

TEST(DrillProgressTest, PerCriterionFirstLatestAverageBest) {
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  Progress p = ProgressOf({
      {t0 + absl::Hours(48), "drills/c", 8000, {{"异议处理", 8000}, {"需求挖掘", 7000}}},
      {t0, "drills/a", 5000, {{"异议处理", 4000}}},
      {t0 + absl::Hours(24), "drills/b", 6000, {{"异议处理", 6500}, {"需求挖掘", 7500}}},
  });
  ASSERT_EQ(p.overall.size(), 3u);
  EXPECT_EQ(p.overall[0].drill, "drills/a");
  EXPECT_EQ(p.overall[2].overall_bp, 8000);
  ASSERT_EQ(p.criteria.size(), 2u);
  const CriterionTrend& o = p.criteria[0].criterion == "异议处理" ? p.criteria[0] : p.criteria[1];
  EXPECT_EQ(o.count, 3);
  EXPECT_EQ(o.first_bp, 4000);
  EXPECT_EQ(o.latest_bp, 8000);
  EXPECT_EQ(o.best_bp, 8000);
  EXPECT_EQ(o.average_bp, 6167);  // 18500 / 3, half up
}

TEST(EnrolmentProgressTest, PassedOfAll) {
  EXPECT_EQ(EnrolmentProgressBp(1, 3), 3333);
  EXPECT_EQ(EnrolmentProgressBp(3, 3), 10000);
  EXPECT_EQ(EnrolmentProgressBp(4, 3), 10000);
  EXPECT_EQ(EnrolmentProgressBp(0, 0), 0);
}

}  // namespace
}  // namespace salesops::performance
