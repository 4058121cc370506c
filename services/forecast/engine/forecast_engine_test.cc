// ForecastEngine over the in-memory repository: the active periods (targets'
// quarters, calendar fallbacks, a targets quarter replacing the fallback, the
// cap on how many), a
// concurrent recompute failing its revision guard instead of overwriting,
// and the scope model's choice of the time series for a leaf.
#include "services/forecast/engine/forecast_engine.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/forecast/testing/forecast_test_world.h"

namespace salesops::forecast {
namespace {

using testing::ForecastTestWorld;

TEST(EngineTest, ActivePeriodsPreferTargetsQuarters) {
  ForecastTestWorld w;
  const absl::CivilDay today(2026, 11, 10);
  ForecastChange change;
  absl::StatusOr<std::vector<ActivePeriod>> p = w.engine.ActivePeriods(today, &change);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[0].id, "FY2026-Q4");
  EXPECT_EQ((*p)[1].id, "FY2027-Q1");
  EXPECT_EQ(change.puts().size(), 2u);  // both fallbacks are stored with the change
  ASSERT_TRUE(
      w.Apply(w.Quarter("q-4", absl::CivilDay(2026, 10, 1), absl::CivilDay(2026, 12, 31))).ok());
  p = w.engine.ActivePeriods(today, nullptr);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[0].id, "q-4");
  EXPECT_EQ((*p)[1].id, "FY2027-Q1");
}

// More overlapping periods than --forecast_max_periods: only the first ones
// (earliest start, then id) are forecast; a larger cap takes them all.
TEST(EngineTest, ActivePeriodsAreCappedByMaxPeriods) {
  ForecastTestWorld w;
  const absl::CivilDay today(2026, 11, 10);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(w.Apply(w.Quarter(absl::StrCat("q-", i), absl::CivilDay(2026, 10, 1),
                                  absl::CivilDay(2026, 12, 31)))
                    .ok());
  }
  w.options.max_periods = 8;
  absl::StatusOr<std::vector<ActivePeriod>> p = w.engine.ActivePeriods(today, nullptr);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->size(), 8u);
  EXPECT_EQ(p->front().id, "q-0");
  EXPECT_EQ(p->back().id, "q-7");
  w.options.max_periods = 16;
  p = w.engine.ActivePeriods(today, nullptr);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->size(), 11u) << "ten quarters and the next (calendar) one";
  EXPECT_EQ(p->back().id, "FY2027-Q1");
}

// Two recomputes decided on the same revisions: the second commit fails its
// guard ("rev") and writes nothing.
TEST(EngineTest, ConcurrentRecomputeFailsTheRevisionGuard) {
  ForecastTestWorld w;
  ASSERT_TRUE(w.Apply(w.Created("o-1", "r1", "pl-a", 100'00, Stage::kProposal)).ok());
  const Leaf leaf{"t1", "r1", "pl-a"};
  ForecastChange a, b;
  ASSERT_TRUE(w.engine.Recompute({leaf}, {}, {}, w.clock.Now(), a).ok());
  ASSERT_TRUE(w.engine.Recompute({leaf}, {}, {}, w.clock.Now(), b).ok());
  absl::StatusOr<CommitOutcome> ra = w.repo.Commit(a, nullptr);
  absl::StatusOr<CommitOutcome> rb = w.repo.Commit(b, nullptr);
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_TRUE(ra->committed);
  EXPECT_FALSE(rb->committed);
  EXPECT_EQ(rb->failed_tag, "rev");
}

// A leaf whose stored model prefers the time series uses it for PIPELINE and
// shows both candidates; COMMIT stays pipeline-weighted.
TEST(EngineTest, ScopeModelChoosesTheSeries) {
  ForecastTestWorld w;
  ASSERT_TRUE(w.Apply(w.Created("o-1", "r1", "pl-a", 100'00, Stage::kContract)).ok());
  v1::ScopeModel m;
  m.set_scope("t1~r1~pl-a");
  m.set_first_month("2026-11");
  for (int i = 0; i < 5; ++i) {
    m.add_mean_minor(300'00);
    m.add_low_minor(200'00);
    m.add_high_minor(400'00);
  }
  m.set_series_model(v1::FORECAST_MODEL_THETA);
  m.set_series_detail("theta test");
  m.set_chosen(v1::FORECAST_MODEL_THETA);
  m.set_pipeline_mape_bp(3000);
  m.set_series_mape_bp(1000);
  m.set_backtest_periods(4);
  ForecastChange put;
  put.PutDoc(DocKind::kScopeModel, "t1~r1~pl-a", m.SerializeAsString(), 0);
  ASSERT_TRUE(w.repo.Commit(put, nullptr)->committed);
  ASSERT_TRUE(w.Apply(w.Moved("o-1", Stage::kNegotiation)).ok());
  std::optional<v1::Forecast> f =
      w.Forecast("FY2026-Q4", {"t1", "r1", "pl-a"}, Category::kPipeline);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->model(), v1::FORECAST_MODEL_THETA);
  EXPECT_EQ(f->amount().amount_minor(), 2 * 300'00);  // November and December
  ASSERT_EQ(f->candidates_size(), 2);
  EXPECT_FALSE(f->candidates(0).chosen());
  EXPECT_TRUE(f->candidates(1).chosen());
  EXPECT_EQ(f->candidates(1).backtest_mape_basis_points(), 1000);
  EXPECT_EQ(w.Forecast("FY2026-Q4", {"t1", "r1", "pl-a"}, Category::kCommit)->model(),
            v1::FORECAST_MODEL_PIPELINE_WEIGHTED);
  // The team above rolls it up and keeps the comparison.
  std::optional<v1::Forecast> team = w.Forecast("FY2026-Q4", {"t1", "", ""}, Category::kPipeline);
  EXPECT_EQ(team->amount().amount_minor(), 2 * 300'00);
  EXPECT_EQ(team->model(), v1::FORECAST_MODEL_ROLL_UP);
}

TEST(EngineTest, ParsePriorsNamesTheFlag) {
  EXPECT_TRUE(ParsePriors("lead:1000,qualified:2500,proposal:5000,negotiation:7000,contract:9000",
                          "forecast_priors")
                  .ok());
  absl::Status s = ParsePriors("lead:1000", "forecast_priors").status();
  EXPECT_THAT(s.message(), ::testing::HasSubstr("every open stage"));
  EXPECT_FALSE(ParsePriors("lead:20000,qualified:1,proposal:1,negotiation:1,contract:1", "x").ok());
}

}  // namespace
}  // namespace salesops::forecast
