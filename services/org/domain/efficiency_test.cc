// The team-efficiency computation: revenue per head, attainment, coverage
// overlap, and the merge / dissolve flags with the figures behind them, with
// thresholds as parameters.
#include "services/org/domain/efficiency.h"

#include "gtest/gtest.h"

namespace salesops::org {
namespace {

TeamFigures Team(std::string id, int64_t heads, int64_t revenue, int64_t target,
                 std::set<std::string> cells) {
  return {std::move(id),   heads, revenue, target, static_cast<int64_t>(cells.size()),
          std::move(cells)};
}

// Overlap is measured against the smaller team's coverage.
TEST(EfficiencyTest, CoverageOverlap) {
  EXPECT_EQ(CoverageOverlapBp({"e|a", "e|b"}, {"e|a", "e|b", "w|a", "w|b"}), 10000);
  EXPECT_EQ(CoverageOverlapBp({"e|a", "e|b"}, {"e|a", "w|b"}), 5000);
  EXPECT_EQ(CoverageOverlapBp({}, {"e|a"}), 0);
}

// Figures per team: integer revenue per head and attainment in bp.
TEST(EfficiencyTest, Figures) {
  auto r = ComputeEfficiency({Team("t1", 3, 1000, 4000, {"e|a"})}, {});
  ASSERT_EQ(r.teams.size(), 1u);
  EXPECT_EQ(r.teams[0].revenue_per_head_minor, 333);
  EXPECT_EQ(r.teams[0].attainment_bp, 2500);
  // Money-sized values do not overflow.
  auto big = ComputeEfficiency(
      {Team("t1", 1, 900'000'000'000'000'000, 1'000'000'000'000'000'000, {})}, {});
  EXPECT_EQ(big.teams[0].attainment_bp, 9000);
}

// Two teams covering the same cells are flagged as merge candidates with the overlap.
TEST(EfficiencyTest, MergeCandidate) {
  auto r = ComputeEfficiency(
      {Team("t1", 2, 100, 0, {"e|a", "e|b"}), Team("t2", 2, 100, 0, {"e|a", "e|b", "e|c"}),
       Team("t3", 2, 100, 0, {"w|a"})},
      {});
  ASSERT_EQ(r.flags.size(), 1u);
  EXPECT_EQ(r.flags[0].kind, FlagKind::kMergeCandidate);
  EXPECT_EQ(r.flags[0].reason, "COVERAGE_OVERLAP");
  EXPECT_EQ(r.flags[0].team_ids, (std::vector<std::string>{"t1", "t2"}));
  EXPECT_EQ(r.flags[0].figures.at("overlap_bp"), "10000");
  // A stricter threshold than the overlap: no flag.
  EfficiencyThresholds strict;
  strict.merge_overlap_bp = 10001;
  EXPECT_TRUE(
      ComputeEfficiency({Team("t1", 2, 100, 0, {"e|a"}), Team("t2", 2, 100, 0, {"e|a"})}, strict)
          .flags.empty());
}

// Far below the median revenue per head, or low attainment: dissolve candidates.
TEST(EfficiencyTest, DissolveCandidates) {
  auto r = ComputeEfficiency({Team("t1", 2, 20000, 0, {"a"}), Team("t2", 2, 18000, 0, {"b"}),
                              Team("t3", 4, 4000, 20000, {"c"}), Team("t4", 0, 0, 0, {})},
                             {});
  std::vector<std::string> reasons;
  for (const auto& f : r.flags) {
    reasons.push_back(f.team_ids[0] + ":" + f.reason);
  }
  EXPECT_EQ(reasons, (std::vector<std::string>{"t3:LOW_REVENUE_PER_HEAD", "t3:LOW_ATTAINMENT",
                                               "t4:NO_MEMBERS"}));
  const auto& low = r.flags[0];
  EXPECT_EQ(low.figures.at("revenue_per_head_minor"), "1000");
  EXPECT_EQ(low.figures.at("median_revenue_per_head_minor"), "9000");
  EXPECT_EQ(r.flags[1].figures.at("attainment_bp"), "2000");
}

}  // namespace
}  // namespace salesops::org
