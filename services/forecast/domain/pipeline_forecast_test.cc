// Tests for the pipeline-weighted forecast: categories nest, P(close in
// period) from the conditional ECDF, the expected close date and stale deals,
// exact and normal-approximation intervals, int64 money that reconciles,
// and input errors.
#include "services/forecast/domain/pipeline_forecast.h"

#include <cmath>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::forecast {
namespace {

using ::testing::HasSubstr;

const absl::CivilDay kDay0(2026, 1, 1);
const Period kQ1{absl::CivilDay(2026, 1, 1), absl::CivilDay(2026, 3, 31)};

// History for `stage`: `deals` closed deals of team-1, `won` of them won,
// each won deal closing `days` after entering the stage.
std::vector<ClosedDeal> History(Stage stage, int deals, int won, int days) {
  std::vector<ClosedDeal> h;
  for (int i = 0; i < deals; ++i) {
    ClosedDeal d;
    d.team = "team-1";
    d.won = i < won;
    d.stages = {{stage, absl::CivilDay(2025, 1, 1)}};
    d.close_date = absl::CivilDay(2025, 1, 1) + days;
    h.push_back(d);
  }
  return h;
}

StageStatistics Stats(const std::vector<ClosedDeal>& history) {
  absl::StatusOr<StageStatistics> s = StageStatistics::Learn(history);
  EXPECT_TRUE(s.ok()) << s.status();
  return *std::move(s);
}

// Every open stage: 40 deals, 20 won, each closing 1 day after entering the
// stage — so win = 0.5 and a fresh deal closes within any window that starts tomorrow.
StageStatistics CoinFlips() {
  std::vector<ClosedDeal> h;
  for (Stage s :
       {Stage::kLead, Stage::kQualified, Stage::kProposal, Stage::kNegotiation, Stage::kContract}) {
    for (const ClosedDeal& d : History(s, 40, 20, 1)) {
      h.push_back(d);
    }
  }
  return Stats(h);
}

OpenDeal Open(std::string id, Stage stage, int64_t amount,
              std::optional<absl::CivilDay> expected = std::nullopt) {
  OpenDeal d;
  d.id = std::move(id);
  d.team = "team-1";
  d.stage = stage;
  d.entered_stage = absl::CivilDay(2026, 2, 10);
  d.expected_close = expected;
  d.amount_minor = amount;
  return d;
}

PipelineInput Input(std::vector<OpenDeal> deals, Category category, int64_t closed = 500) {
  PipelineInput in;
  in.closed_to_date_minor = closed;
  in.deals = std::move(deals);
  in.period = kQ1;
  in.as_of = absl::CivilDay(2026, 2, 10);
  in.category = category;
  in.confidence = 0.8;
  return in;
}

TEST(CategoryTest, CommitIsInsideBestCaseIsInsidePipeline) {
  for (Stage s : {Stage::kLead, Stage::kQualified, Stage::kProposal, Stage::kNegotiation,
                  Stage::kContract, Stage::kWon, Stage::kLost}) {
    if (InCategory(s, Category::kCommit)) {
      EXPECT_TRUE(InCategory(s, Category::kBestCase)) << StageName(s);
    }
    if (InCategory(s, Category::kBestCase)) {
      EXPECT_TRUE(InCategory(s, Category::kPipeline)) << StageName(s);
    }
  }
  EXPECT_TRUE(InCategory(Stage::kNegotiation, Category::kCommit));
  EXPECT_TRUE(InCategory(Stage::kContract, Category::kCommit));
  EXPECT_FALSE(InCategory(Stage::kProposal, Category::kCommit));
  EXPECT_TRUE(InCategory(Stage::kProposal, Category::kBestCase));
  EXPECT_FALSE(InCategory(Stage::kQualified, Category::kBestCase));
  EXPECT_TRUE(InCategory(Stage::kLead, Category::kPipeline));
  EXPECT_FALSE(InCategory(Stage::kWon, Category::kPipeline));
  EXPECT_FALSE(InCategory(Stage::kLost, Category::kPipeline));
}

TEST(CategoryTest, ForecastsNestAcrossCategories) {
  const StageStatistics stats = CoinFlips();
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int> stage(1, 5);
  std::uniform_int_distribution<int64_t> amount(1, 1'000'000);
  std::vector<OpenDeal> deals;
  for (int i = 0; i < 60; ++i) {
    deals.push_back(Open(absl::StrCat("d", i), static_cast<Stage>(stage(rng)), amount(rng)));
  }
  absl::StatusOr<PipelineForecast> commit =
      ForecastPipeline(Input(deals, Category::kCommit), stats);
  absl::StatusOr<PipelineForecast> best =
      ForecastPipeline(Input(deals, Category::kBestCase), stats);
  absl::StatusOr<PipelineForecast> all = ForecastPipeline(Input(deals, Category::kPipeline), stats);
  ASSERT_TRUE(commit.ok() && best.ok() && all.ok());
  EXPECT_LE(commit->open_pipeline_minor, best->open_pipeline_minor);
  EXPECT_LE(best->open_pipeline_minor, all->open_pipeline_minor);
  EXPECT_LE(commit->amount_minor, best->amount_minor);
  EXPECT_LE(best->amount_minor, all->amount_minor);
  EXPECT_LE(commit->deals.size(), best->deals.size());
  EXPECT_EQ(all->deals.size(), 60u);
}

TEST(CloseInPeriodProbabilityTest, ConditionsTheEcdfOnTheDealStillBeingOpen) {
  // Won deals took 10, 20, …, 100 days. A deal 15 days in (F = 0.1) closes by
  // day 50 of its stage (F = 0.5) with probability (0.5 − 0.1) / 0.9.
  const TimeToClose t = TimeToClose::FromDays({10, 20, 30, 40, 50, 60, 70, 80, 90, 100});
  const Period period{kDay0, kDay0 + 50};
  EXPECT_NEAR(CloseInPeriodProbability(t, kDay0, std::nullopt, kDay0 + 15, period), 0.4 / 0.9,
              1e-12);
  // An expected close date inside the period changes nothing …
  EXPECT_NEAR(CloseInPeriodProbability(t, kDay0, kDay0 + 40, kDay0 + 15, period), 0.4 / 0.9, 1e-12);
  // … after the period end the deal does not count.
  EXPECT_EQ(CloseInPeriodProbability(t, kDay0, kDay0 + 51, kDay0 + 15, period), 0);
}

TEST(CloseInPeriodProbabilityTest, ThePeriodMayStartLater) {
  const TimeToClose t = TimeToClose::FromDays({10, 20, 30, 40, 50, 60, 70, 80, 90, 100});
  // Next period: days 51..80 of the stage → F(80) − F(50) = 0.3, over survival 0.9.
  const Period next{kDay0 + 51, kDay0 + 80};
  EXPECT_NEAR(CloseInPeriodProbability(t, kDay0, std::nullopt, kDay0 + 15, next), 0.3 / 0.9, 1e-12);
}

TEST(CloseInPeriodProbabilityTest, StaleDealsAndEmptyWindowsCountZero) {
  const TimeToClose t = TimeToClose::FromDays({10, 20, 30});
  const Period period{kDay0, kDay0 + 300};
  EXPECT_EQ(CloseInPeriodProbability(t, kDay0, std::nullopt, kDay0 + 30, period), 0);   // F(30) = 1
  EXPECT_EQ(CloseInPeriodProbability(t, kDay0, std::nullopt, kDay0 + 300, period), 0);  // over
  EXPECT_EQ(CloseInPeriodProbability(TimeToClose{}, kDay0, std::nullopt, kDay0, period), 0);
}

TEST(ForecastPipelineTest, TwoCoinFlipDealsHaveAnExactInterval) {
  // p = 0.5 each: totals 0, 1000, 3000, 4000 with probability 1/4 each.
  absl::StatusOr<PipelineForecast> f = ForecastPipeline(
      Input({Open("a", Stage::kNegotiation, 1000), Open("b", Stage::kContract, 3000)},
            Category::kCommit),
      CoinFlips());
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->deals[0].weighted_minor, 500);
  EXPECT_EQ(f->deals[1].weighted_minor, 1500);
  EXPECT_DOUBLE_EQ(f->deals[0].probability, 0.5);
  EXPECT_EQ(f->open_pipeline_minor, 4000);
  EXPECT_EQ(f->weighted_pipeline_minor, 2000);
  EXPECT_EQ(f->amount_minor, 2500);  // 500 closed + 2000
  EXPECT_TRUE(f->exact_interval);
  EXPECT_EQ(f->interval_low_minor, 500);    // 10% quantile: 0 (cumulative 0.25)
  EXPECT_EQ(f->interval_high_minor, 4500);  // 90% quantile: 4000
  EXPECT_EQ(f->std_dev_minor, 1581);        // sqrt(1000²/4 + 3000²/4)
}

TEST(ForecastPipelineTest, NarrowerConfidenceGivesInnerQuantiles) {
  PipelineInput in = Input(
      {Open("a", Stage::kNegotiation, 1000), Open("b", Stage::kContract, 3000)}, Category::kCommit);
  in.confidence = 0.4;  // 30% and 70% quantiles: 1000 and 3000
  absl::StatusOr<PipelineForecast> f = ForecastPipeline(in, CoinFlips());
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->interval_low_minor, 1500);
  EXPECT_EQ(f->interval_high_minor, 3500);
}

TEST(ForecastPipelineTest, ManyDealsUseTheNormalApproximation) {
  std::vector<OpenDeal> deals;
  for (int i = 0; i < 20; ++i) {
    deals.push_back(Open(absl::StrCat("d", i), Stage::kProposal, 10'000));
  }
  absl::StatusOr<PipelineForecast> f =
      ForecastPipeline(Input(deals, Category::kPipeline, 0), CoinFlips());
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->exact_interval);
  EXPECT_EQ(f->amount_minor, 100'000);
  const double sd = std::sqrt(20 * 10'000.0 * 10'000.0 * 0.25);
  EXPECT_EQ(f->std_dev_minor, std::llround(sd));
  EXPECT_NEAR(f->interval_low_minor, 100'000 - 1.2815515655446004 * sd, 1);
  EXPECT_NEAR(f->interval_high_minor, 100'000 + 1.2815515655446004 * sd, 1);
}

TEST(ForecastPipelineTest, ExactAndNormalIntervalsAgreeAtTheSwitchOver) {
  // 16 equal coin flips (exact) vs the normal approximation of the same.
  std::vector<OpenDeal> deals;
  for (int i = 0; i < 16; ++i) {
    deals.push_back(Open(absl::StrCat("d", i), Stage::kProposal, 10'000));
  }
  absl::StatusOr<PipelineForecast> f =
      ForecastPipeline(Input(deals, Category::kPipeline, 0), CoinFlips());
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->exact_interval);
  const double sd = std::sqrt(16 * 10'000.0 * 10'000.0 * 0.25);
  EXPECT_NEAR(f->interval_low_minor, 80'000 - 1.28155 * sd, 10'000);  // one deal's amount
  EXPECT_NEAR(f->interval_high_minor, 80'000 + 1.28155 * sd, 10'000);
}

TEST(ForecastPipelineTest, DealsExpectedAfterThePeriodAddNothing) {
  absl::StatusOr<PipelineForecast> f = ForecastPipeline(
      Input({Open("late", Stage::kContract, 9000, absl::CivilDay(2026, 4, 15))}, Category::kCommit),
      CoinFlips());
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->open_pipeline_minor, 9000);
  EXPECT_EQ(f->weighted_pipeline_minor, 0);
  EXPECT_EQ(f->amount_minor, 500);
  EXPECT_EQ(f->interval_low_minor, 500);
  EXPECT_EQ(f->interval_high_minor, 500);
}

TEST(ForecastPipelineTest, WeightedPipelineIsTheSumOfRoundedDealAmounts) {
  std::vector<OpenDeal> deals;
  for (int i = 0; i < 7; ++i) {
    deals.push_back(Open(absl::StrCat("d", i), Stage::kLead, 333));  // 166.5 → 167 each
  }
  absl::StatusOr<PipelineForecast> f =
      ForecastPipeline(Input(deals, Category::kPipeline, 0), CoinFlips());
  ASSERT_TRUE(f.ok());
  int64_t sum = 0;
  for (const DealContribution& d : f->deals) {
    sum += d.weighted_minor;
  }
  EXPECT_EQ(f->weighted_pipeline_minor, sum);
  EXPECT_EQ(f->amount_minor, sum);
}

TEST(ForecastPipelineTest, RejectsBadInputNamingTheField) {
  const StageStatistics stats = CoinFlips();
  PipelineInput negative =
      Input({Open("a", Stage::kLead, 1), Open("b", Stage::kLead, -1)}, Category::kPipeline);
  EXPECT_THAT(ForecastPipeline(negative, stats).status().message(),
              HasSubstr("deals[1].amount_minor"));
  PipelineInput won = Input({Open("a", Stage::kWon, 1)}, Category::kPipeline);
  EXPECT_THAT(ForecastPipeline(won, stats).status().message(), HasSubstr("deals[0].stage"));
  PipelineInput future = Input({Open("a", Stage::kLead, 1)}, Category::kPipeline);
  future.deals[0].entered_stage = future.as_of + 1;
  EXPECT_THAT(ForecastPipeline(future, stats).status().message(),
              HasSubstr("deals[0].entered_stage"));
  PipelineInput reversed = Input({}, Category::kPipeline);
  reversed.period = {kQ1.end, kQ1.start};
  EXPECT_THAT(ForecastPipeline(reversed, stats).status().message(), HasSubstr("period"));
  PipelineInput certain = Input({}, Category::kPipeline);
  certain.confidence = 1;
  EXPECT_THAT(ForecastPipeline(certain, stats).status().message(), HasSubstr("confidence"));
  PipelineInput huge =
      Input({Open("a", Stage::kLead, std::numeric_limits<int64_t>::max())}, Category::kPipeline);
  EXPECT_THAT(ForecastPipeline(huge, stats).status().message(), HasSubstr("overflows"));
}

TEST(ForecastPipelineTest, StageWithoutHistoryIsAFailedPreconditionForThatDeal) {
  const StageStatistics stats = Stats(History(Stage::kProposal, 40, 10, 5));
  absl::Status s =
      ForecastPipeline(Input({Open("a", Stage::kContract, 1)}, Category::kCommit), stats).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("deals[0]: NO_HISTORY"));
}

// Cold start: with a prior for the stage, the deal counts at the prior when
// its expected close date falls in the remaining window, and not when it was
// due before or after it; the contribution says it came from the prior.
TEST(ForecastPipelineTest, PriorStandsInForAStageWithoutHistory) {
  const StageStatistics stats = Stats(History(Stage::kProposal, 40, 10, 5));
  PipelineInput in = Input({Open("in", Stage::kContract, 1000, absl::CivilDay(2026, 3, 1)),
                            Open("late", Stage::kContract, 1000, absl::CivilDay(2026, 4, 2)),
                            Open("overdue", Stage::kContract, 1000, absl::CivilDay(2026, 2, 1)),
                            Open("undated", Stage::kContract, 1000)},
                           Category::kCommit, 0);
  in.prior_win_probability = {{Stage::kContract, 0.9}};
  absl::StatusOr<PipelineForecast> f = ForecastPipeline(in, stats);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_EQ(f->deals.size(), 4u);
  EXPECT_EQ(f->deals[0].level, ScopeLevel::kPrior);
  EXPECT_DOUBLE_EQ(f->deals[0].probability, 0.9);
  EXPECT_DOUBLE_EQ(f->deals[1].probability, 0);
  EXPECT_DOUBLE_EQ(f->deals[2].probability, 0);
  EXPECT_DOUBLE_EQ(f->deals[3].probability, 0.9);
  EXPECT_EQ(f->amount_minor, 1800);
}

}  // namespace
}  // namespace salesops::forecast
