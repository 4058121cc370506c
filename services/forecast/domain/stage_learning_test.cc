// Tests for learning stage win probabilities and time to close: probabilities
// equal the counts of a constructed history, the ECDF and its quantiles, the
// scope fallbacks when samples are below the minimum, re-entered stages, and
// the input errors.
#include "services/forecast/domain/stage_learning.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::forecast {
namespace {

using ::testing::HasSubstr;

const absl::CivilDay kStart(2025, 1, 1);

// A deal that went LEAD → QUALIFIED → PROPOSAL (as far as `reached`), then closed
// `days_after_last` days after entering its last stage.
ClosedDeal Deal(std::string team, std::string product_line, Stage reached, bool won,
                int days_after_last) {
  ClosedDeal d;
  d.team = std::move(team);
  d.product_line = std::move(product_line);
  d.won = won;
  absl::CivilDay day = kStart;
  for (int s = static_cast<int>(Stage::kLead); s <= static_cast<int>(reached); ++s) {
    d.stages.push_back({static_cast<Stage>(s), day});
    day += 3;
  }
  d.close_date = d.stages.back().entered + days_after_last;
  return d;
}

void Add(std::vector<ClosedDeal>* history, int count, const ClosedDeal& deal) {
  for (int i = 0; i < count; ++i) {
    history->push_back(deal);
  }
}

// team-1 / erp: 50 leads, 40 qualified, 30 proposals, 12 won from PROPOSAL
// after 5, 10, …, 60 days.
std::vector<ClosedDeal> Funnel() {
  std::vector<ClosedDeal> h;
  Add(&h, 10, Deal("team-1", "erp", Stage::kLead, false, 5));
  Add(&h, 10, Deal("team-1", "erp", Stage::kQualified, false, 5));
  Add(&h, 18, Deal("team-1", "erp", Stage::kProposal, false, 5));
  for (int i = 1; i <= 12; ++i) {
    h.push_back(Deal("team-1", "erp", Stage::kProposal, true, 5 * i));
  }
  return h;
}

TEST(StageStatisticsTest, WinProbabilitiesMatchTheCounts) {
  absl::StatusOr<StageStatistics> stats = StageStatistics::Learn(Funnel(), 30);
  ASSERT_TRUE(stats.ok()) << stats.status();
  absl::StatusOr<StageEstimate> lead = stats->Estimate("team-1", "erp", Stage::kLead);
  absl::StatusOr<StageEstimate> qualified = stats->Estimate("team-1", "erp", Stage::kQualified);
  absl::StatusOr<StageEstimate> proposal = stats->Estimate("team-1", "erp", Stage::kProposal);
  ASSERT_TRUE(lead.ok() && qualified.ok() && proposal.ok());
  EXPECT_EQ(lead->sample_size, 50);
  EXPECT_EQ(lead->won, 12);
  EXPECT_EQ(lead->win_probability_bp, 2400);  // 12 / 50
  EXPECT_EQ(qualified->sample_size, 40);
  EXPECT_EQ(qualified->win_probability_bp, 3000);  // 12 / 40
  EXPECT_EQ(proposal->sample_size, 30);
  EXPECT_EQ(proposal->win_probability_bp, 4000);  // 12 / 30
  EXPECT_DOUBLE_EQ(proposal->win_probability, 0.4);
  EXPECT_EQ(proposal->level, ScopeLevel::kTeamProductLine);
  EXPECT_FALSE(proposal->below_minimum);
}

TEST(StageStatisticsTest, TimeToCloseIsTheEmpiricalDistributionOfWonDeals) {
  absl::StatusOr<StageStatistics> stats = StageStatistics::Learn(Funnel(), 10);
  ASSERT_TRUE(stats.ok());
  absl::StatusOr<StageEstimate> e = stats->Estimate("team-1", "erp", Stage::kProposal);
  ASSERT_TRUE(e.ok());
  const TimeToClose& t = e->time_to_close;
  EXPECT_THAT(t.sorted_days, ::testing::ElementsAre(5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60));
  EXPECT_EQ(t.median_days, 30);  // smallest d with F(d) >= 0.5: 6 of 12
  EXPECT_EQ(t.p80_days, 50);     // 9.6 of 12 → the 10th value
  EXPECT_DOUBLE_EQ(t.Cdf(30), 0.5);
  EXPECT_DOUBLE_EQ(t.Cdf(29), 5.0 / 12);
  EXPECT_DOUBLE_EQ(t.Cdf(4), 0.0);
  EXPECT_DOUBLE_EQ(t.Cdf(60), 1.0);
  // From QUALIFIED, the same deals took 3 more days.
  absl::StatusOr<StageEstimate> q = stats->Estimate("team-1", "erp", Stage::kQualified);
  EXPECT_EQ(q->time_to_close.median_days, 33);
}

TEST(StageStatisticsTest, TimeToCloseFallsBackSeparatelyWhenWonDealsAreFew) {
  absl::StatusOr<StageStatistics> stats = StageStatistics::Learn(Funnel(), 30);
  absl::StatusOr<StageEstimate> e = stats->Estimate("team-1", "erp", Stage::kProposal);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->level, ScopeLevel::kTeamProductLine);  // 30 deals: enough
  EXPECT_EQ(e->time_level, ScopeLevel::kCompany);     // 12 won everywhere: not enough
  EXPECT_TRUE(e->time_below_minimum);
  EXPECT_EQ(e->time_to_close.sorted_days.size(), 12u);
}

// team-1/erp 30, team-2/erp 5, team-2/crm 30, team-3/crm 3 deals at PROPOSAL
// with distinct win rates so the scope used is visible in the probability.
std::vector<ClosedDeal> Scopes() {
  std::vector<ClosedDeal> h;
  auto add = [&](const char* team, const char* pl, int deals, int won) {
    Add(&h, won, Deal(team, pl, Stage::kProposal, true, 20));
    Add(&h, deals - won, Deal(team, pl, Stage::kProposal, false, 20));
  };
  add("team-1", "erp", 30, 15);
  add("team-2", "erp", 5, 5);
  add("team-2", "crm", 30, 3);
  add("team-3", "crm", 3, 0);
  return h;
}

TEST(StageStatisticsTest, SmallTeamProductLineFallsBackToTheTeam) {
  absl::StatusOr<StageStatistics> stats = StageStatistics::Learn(Scopes());
  absl::StatusOr<StageEstimate> e = stats->Estimate("team-2", "erp", Stage::kProposal);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->level, ScopeLevel::kTeam);
  EXPECT_EQ(e->team, "team-2");
  EXPECT_EQ(e->product_line, "");
  EXPECT_EQ(e->sample_size, 35);
  EXPECT_EQ(e->won, 8);
}

TEST(StageStatisticsTest, SmallTeamFallsBackToTheCompanyProductLine) {
  absl::StatusOr<StageStatistics> stats = StageStatistics::Learn(Scopes());
  absl::StatusOr<StageEstimate> e = stats->Estimate("team-3", "crm", Stage::kProposal);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->level, ScopeLevel::kCompanyProductLine);
  EXPECT_EQ(e->team, "");
  EXPECT_EQ(e->product_line, "crm");
  EXPECT_EQ(e->sample_size, 33);
  EXPECT_EQ(e->won, 3);
}

TEST(StageStatisticsTest, UnknownProductLineAndTeamFallBackToTheCompany) {
  absl::StatusOr<StageStatistics> stats = StageStatistics::Learn(Scopes());
  absl::StatusOr<StageEstimate> e = stats->Estimate("team-3", "hardware", Stage::kProposal);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->level, ScopeLevel::kCompany);
  EXPECT_EQ(e->sample_size, 68);
  EXPECT_EQ(e->won, 23);
  absl::StatusOr<StageEstimate> f = stats->Estimate("team-9", "", Stage::kProposal);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->level, ScopeLevel::kCompany);
}

TEST(StageStatisticsTest, EnoughDataStaysAtTheNarrowestScope) {
  absl::StatusOr<StageStatistics> stats = StageStatistics::Learn(Scopes());
  absl::StatusOr<StageEstimate> e = stats->Estimate("team-1", "erp", Stage::kProposal);
  EXPECT_EQ(e->level, ScopeLevel::kTeamProductLine);
  EXPECT_EQ(e->win_probability_bp, 5000);
}

TEST(StageStatisticsTest, BelowTheMinimumEverywhereUsesTheCompanyAndSaysSo) {
  absl::StatusOr<StageStatistics> stats = StageStatistics::Learn(Scopes(), 1000);
  absl::StatusOr<StageEstimate> e = stats->Estimate("team-1", "erp", Stage::kProposal);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->level, ScopeLevel::kCompany);
  EXPECT_TRUE(e->below_minimum);
  EXPECT_EQ(e->sample_size, 68);
}

TEST(StageStatisticsTest, ReenteredStageCountsOnceFromTheLastEntry) {
  ClosedDeal d;
  d.team = "team-1";
  d.won = true;
  d.stages = {{Stage::kProposal, kStart},
              {Stage::kNegotiation, kStart + 10},
              {Stage::kProposal, kStart + 20}};
  d.close_date = kStart + 30;
  absl::StatusOr<StageStatistics> stats = StageStatistics::Learn({d}, 1);
  absl::StatusOr<StageEstimate> e = stats->Estimate("team-1", "", Stage::kProposal);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->sample_size, 1);
  EXPECT_THAT(e->time_to_close.sorted_days, ::testing::ElementsAre(10));
}

TEST(StageStatisticsTest, RejectsBadHistoryNamingTheField) {
  ClosedDeal no_team = Deal("", "erp", Stage::kLead, false, 1);
  EXPECT_THAT(StageStatistics::Learn({no_team}).status().message(), HasSubstr("history[0].team"));
  ClosedDeal terminal = Deal("t", "", Stage::kLead, true, 1);
  terminal.stages.push_back({Stage::kWon, terminal.close_date});
  EXPECT_THAT(StageStatistics::Learn({terminal}).status().message(),
              HasSubstr("history[0].stages[1].stage"));
  ClosedDeal late = Deal("t", "", Stage::kLead, true, 1);
  late.stages[0].entered = late.close_date + 1;
  EXPECT_THAT(StageStatistics::Learn({late}).status().message(),
              HasSubstr("history[0].stages[0].entered"));
  EXPECT_EQ(StageStatistics::Learn({}, 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(StageStatisticsTest, EstimatesOnlyOpenStagesWithHistory) {
  absl::StatusOr<StageStatistics> stats = StageStatistics::Learn(Funnel());
  EXPECT_EQ(stats->Estimate("team-1", "erp", Stage::kWon).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status none = stats->Estimate("team-1", "erp", Stage::kContract).status();
  EXPECT_EQ(none.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(none.message(), HasSubstr("NO_HISTORY"));
}

TEST(TimeToCloseTest, EmptyDistributionIsAllZeros) {
  const TimeToClose t = TimeToClose::FromDays({});
  EXPECT_EQ(t.median_days, 0);
  EXPECT_EQ(t.p80_days, 0);
  EXPECT_EQ(t.Cdf(100), 0);
}

}  // namespace
}  // namespace salesops::forecast
