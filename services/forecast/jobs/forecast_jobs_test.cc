// ForecastJobs over the in-memory repository: weekly snapshots exactly once
// per forecast and week (also with two instances), actuals and errors when
// the period closes, and the refresh claim (one instance per round).
#include "services/forecast/jobs/forecast_jobs.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/forecast/testing/forecast_test_world.h"

namespace salesops::forecast {
namespace {

using testing::ForecastTestWorld;

constexpr char kQ4[] = "FY2026-Q4";

class JobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        w_.Apply(w_.Quarter(kQ4, absl::CivilDay(2026, 10, 1), absl::CivilDay(2026, 12, 31))).ok());
    ASSERT_TRUE(w_.Apply(w_.Created("o-1", "r1", "pl-a", 300'00, Stage::kContract)).ok());
    ASSERT_TRUE(w_.Apply(w_.Created("o-2", "r3", "pl-b", 200'00, Stage::kProposal)).ok());
  }
  std::vector<v1::ForecastSnapshot> Snapshots(const ScopeId& scope, Category c) {
    std::vector<v1::ForecastSnapshot> out;
    absl::StatusOr<std::vector<std::string>> ids =
        w_.repo.Range(SnapshotIndex(ScopeKey(scope), c), "", 100);
    EXPECT_TRUE(ids.ok());
    absl::StatusOr<std::vector<std::optional<Doc>>> docs =
        w_.repo.GetDocs(DocKind::kSnapshot, *ids);
    for (const auto& d : *docs) {
      v1::ForecastSnapshot s;
      EXPECT_TRUE(s.ParseFromString(d->data));
      out.push_back(s);
    }
    return out;
  }
  ForecastTestWorld w_;
};

// One snapshot per all-lines forecast and week, whoever runs the job and how often.
TEST_F(JobsTest, SnapshotsOncePerForecastAndWeek) {
  ForecastJobs other(w_.repo, w_.engine, w_.stats, w_.clock, JobOptions{});
  absl::StatusOr<int> first = w_.jobs.TakeSnapshots(w_.clock.Now());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_GT(*first, 0);
  absl::StatusOr<int> again = other.TakeSnapshots(w_.clock.Now() + absl::Hours(1));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
  std::vector<v1::ForecastSnapshot> team = Snapshots({"t1", "", ""}, Category::kPipeline);
  ASSERT_EQ(team.size(), 1u);
  EXPECT_EQ(team[0].week(), "2026-W46");
  EXPECT_EQ(team[0].weeks_before_period_end(), 7);
  EXPECT_FALSE(team[0].has_actual());
  // Per-line forecasts are not snapshotted.
  EXPECT_TRUE(Snapshots({"t1", "r1", "pl-a"}, Category::kPipeline).empty());
  // A week later: one more each.
  w_.clock.Advance(absl::Hours(24 * 7));
  ASSERT_TRUE(other.TakeSnapshots(w_.clock.Now()).ok());
  ASSERT_TRUE(w_.jobs.TakeSnapshots(w_.clock.Now()).ok());
  EXPECT_EQ(Snapshots({"t1", "", ""}, Category::kPipeline).size(), 2u);
}

// When the quarter is over, snapshots get the actual bookings and their errors.
TEST_F(JobsTest, ClosingThePeriodFillsActuals) {
  ASSERT_TRUE(w_.jobs.TakeSnapshots(w_.clock.Now()).ok());
  ASSERT_TRUE(w_.Apply(w_.Won("o-1", absl::CivilDay(2026, 12, 20))).ok());
  w_.clock.Set(testing::At(absl::CivilDay(2027, 1, 2)));
  absl::StatusOr<int> closed = w_.jobs.ClosePeriods(w_.clock.Now());
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_GT(*closed, 0);
  std::vector<v1::ForecastSnapshot> team = Snapshots({"t1", "", ""}, Category::kPipeline);
  ASSERT_EQ(team.size(), 1u);
  EXPECT_EQ(team[0].actual().amount_minor(), 300'00);
  EXPECT_EQ(team[0].error().amount_minor(), team[0].forecast().amount().amount_minor() - 300'00);
  EXPECT_NEAR(team[0].absolute_percentage_error_basis_points(),
              std::abs(team[0].error().amount_minor()) * 10000.0 / 300'00, 1);
  // Done once: a second round changes nothing.
  EXPECT_EQ(*w_.jobs.ClosePeriods(w_.clock.Now()), 0);
}

// The refresh runs once per interval, on the instance whose claim commits.
TEST_F(JobsTest, RefreshIsClaimedByOneInstance) {
  ForecastJobs other(w_.repo, w_.engine, w_.stats, w_.clock, JobOptions{});
  absl::StatusOr<bool> a = w_.jobs.Refresh(w_.clock.Now(), false);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(*a);
  absl::StatusOr<bool> b = other.Refresh(w_.clock.Now() + absl::Minutes(5), false);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(*b);
  absl::StatusOr<bool> c = other.Refresh(w_.clock.Now() + absl::Hours(2), false);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(*c);
  // Every leaf got a model document.
  absl::StatusOr<std::optional<Doc>> m = w_.repo.GetDoc(DocKind::kScopeModel, "t1~r1~pl-a");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->has_value());
}

}  // namespace
}  // namespace salesops::forecast
