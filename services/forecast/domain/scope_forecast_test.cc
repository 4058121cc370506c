// Tests for the per-scope model choice: a time-series path turned into a
// period's figure as seen mid-period, the back-test origins, and a back-test
// where the pipeline knows more than the series (and one where it cannot).
#include "services/forecast/domain/scope_forecast.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::forecast {
namespace {

// Completed months count their actual; the current month at least what it
// booked; later months their forecast. Bounds likewise.
TEST(ScopeForecastTest, SeriesForPeriodMidQuarter) {
  MonthlyPath path;
  path.first = absl::CivilMonth(2026, 11);
  path.mean = {100, 100};
  path.low = {80, 70};
  path.high = {120, 130};
  const Period q4{absl::CivilDay(2026, 10, 1), absl::CivilDay(2026, 12, 31)};
  auto booked = [](absl::CivilMonth m) -> int64_t {
    if (m == absl::CivilMonth(2026, 10)) {
      return 90;
    }
    if (m == absl::CivilMonth(2026, 11)) {
      return 110;  // already above its forecast
    }
    return 0;
  };
  std::optional<Figures> f = SeriesForPeriod(path, q4, absl::CivilDay(2026, 11, 20), booked);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->amount_minor, 90 + 110 + 100);
  EXPECT_EQ(f->low_minor, 90 + 110 + 70);
  EXPECT_EQ(f->high_minor, 90 + 120 + 130);
  // A path that starts too late covers nothing.
  path.first = absl::CivilMonth(2026, 12);
  EXPECT_FALSE(SeriesForPeriod(path, q4, absl::CivilDay(2026, 11, 20), booked).has_value());
}

TEST(ScopeForecastTest, OriginsKeepTheOffsetIntoThePeriod) {
  const Period q4{absl::CivilDay(2026, 10, 1), absl::CivilDay(2026, 12, 31)};
  std::vector<BacktestOrigin> o = BacktestOrigins(q4, absl::CivilDay(2026, 10, 28), 2);
  ASSERT_EQ(o.size(), 2u);
  EXPECT_EQ(o[0].period.start, absl::CivilDay(2026, 7, 1));
  EXPECT_EQ(o[0].as_of, absl::CivilDay(2026, 7, 28));
  EXPECT_EQ(o[1].period.end, absl::CivilDay(2026, 6, 30));
  EXPECT_EQ(o[1].as_of, absl::CivilDay(2026, 4, 28));
}

// Deals open at each origin that then close inside the quarter: the pipeline
// (with history saying such deals are won) forecasts the quarter well; the
// back-test reports both errors and prefers the better method.
TEST(ScopeForecastTest, BacktestComparesPipelineAndSeries) {
  std::vector<DealRecord> deals;
  int n = 0;
  // Three years of quarters: each quarter one deal of 1000 that is open on
  // day 10 in NEGOTIATION and won on day 40, plus a small deal some months.
  for (absl::CivilMonth q(2024, 1); q <= absl::CivilMonth(2026, 7); q += 3) {
    const absl::CivilDay start(q);
    DealRecord d;
    d.id = "big-" + std::to_string(n++);
    d.owner = "m-1";
    d.team = "team-1";
    d.product_line = "pl-1";
    d.amount_minor = 1000;
    d.created = start;
    d.stages = {{Stage::kNegotiation, start}};
    d.outcome = Outcome::kWon;
    d.closed = start + 40;
    deals.push_back(d);
    DealRecord small = d;
    small.id = "small-" + std::to_string(n++);
    small.amount_minor = 100 * (n % 3);
    small.closed = start + 70;
    deals.push_back(small);
  }
  std::vector<const DealRecord*> ptrs;
  for (const DealRecord& d : deals) {
    ptrs.push_back(&d);
  }
  const Period q4{absl::CivilDay(2026, 10, 1), absl::CivilDay(2026, 12, 31)};
  std::vector<BacktestOrigin> origins = BacktestOrigins(q4, absl::CivilDay(2026, 10, 10), 4);
  std::vector<StageStatistics> stats;
  for (const BacktestOrigin& o : origins) {
    absl::StatusOr<StageStatistics> s = LearnAsOf(deals, o.as_of, 5);
    ASSERT_TRUE(s.ok()) << s.status();
    stats.push_back(*std::move(s));
  }
  for (size_t i = 0; i < origins.size(); ++i) {
    origins[i].stats = &stats[i];
  }
  absl::StatusOr<Backtest> bt = RunBacktest(ptrs, origins, {});
  ASSERT_TRUE(bt.ok()) << bt.status();
  ASSERT_EQ(bt->points.size(), 4u);
  for (const BacktestPoint& p : bt->points) {
    EXPECT_GE(p.actual_minor, 1000);
    EXPECT_EQ(p.closed_at_as_of_minor, 0);
    ASSERT_TRUE(p.pipeline_minor.has_value());
  }
  ASSERT_TRUE(bt->pipeline_mape.has_value());
  EXPECT_LT(*bt->pipeline_mape, 0.25);
  EXPECT_GT(bt->compared, 0);
  EXPECT_EQ(bt->series_better, *bt->series_mape < *bt->pipeline_mape);
  // Missing statistics is a caller error naming the origin.
  origins[1].stats = nullptr;
  EXPECT_THAT(RunBacktest(ptrs, origins, {}).status().message(),
              ::testing::HasSubstr("origins[1].stats"));
}

}  // namespace
}  // namespace salesops::forecast
