// Tests for the bottom-up roll-up: every parent equals the exact sum of its
// children at every level, intervals combine in quadrature (independence),
// top-down forecasts of inner nodes are replaced and the difference reported,
// and malformed trees are rejected naming the node.
#include "services/forecast/domain/roll_up.h"

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::forecast {
namespace {

using ::testing::HasSubstr;

TEST(RollUpTest, HeaderExampleAddsRepsIntoTeamAndCompany) {
  absl::StatusOr<std::map<std::string, RolledUp>> r =
      RollUp({{"company", "", std::nullopt},
              {"team-a", "company", std::nullopt},
              {"rep-1", "team-a", Figures{100'00, 80'00, 130'00}},
              {"rep-2", "team-a", Figures{50'00, 40'00, 65'00}}});
  ASSERT_TRUE(r.ok()) << r.status();
  const Figures& team = r->at("team-a").figures;
  EXPECT_EQ(team.amount_minor, 150'00);
  // sqrt(2000² + 1000²) = 2236.07 below, sqrt(3000² + 1500²) = 3354.10 above.
  EXPECT_EQ(team.low_minor, 150'00 - 2236);
  EXPECT_EQ(team.high_minor, 150'00 + 3354);
  EXPECT_THAT(r->at("team-a").children, ::testing::ElementsAre("rep-1", "rep-2"));
  EXPECT_EQ(r->at("company").figures.amount_minor, 150'00);
  EXPECT_EQ(r->at("company").figures.low_minor, team.low_minor);
}

TEST(RollUpTest, EveryParentEqualsTheSumOfItsChildrenInARandomTree) {
  // company → 4 regions → 3 teams each → 5 reps each, random figures (fixed seed).
  std::mt19937_64 rng(21);
  std::uniform_int_distribution<int64_t> amount(0, 5'000'000'00);
  std::uniform_int_distribution<int64_t> width(0, 1'000'000'00);
  std::vector<RollUpNode> nodes = {{"company", "", std::nullopt}};
  for (int g = 0; g < 4; ++g) {
    const std::string region = absl::StrCat("region-", g);
    nodes.push_back({region, "company", std::nullopt});
    for (int t = 0; t < 3; ++t) {
      const std::string team = absl::StrCat(region, "-team-", t);
      nodes.push_back({team, region, std::nullopt});
      for (int p = 0; p < 5; ++p) {
        const int64_t a = amount(rng);
        nodes.push_back({absl::StrCat(team, "-rep-", p), team,
                         Figures{a, a - std::min(a, width(rng)), a + width(rng)}});
      }
    }
  }
  absl::StatusOr<std::map<std::string, RolledUp>> r = RollUp(nodes);
  ASSERT_TRUE(r.ok()) << r.status();
  for (const auto& [id, node] : *r) {
    if (node.children.empty()) {
      continue;
    }
    int64_t sum = 0;
    double low_sq = 0, high_sq = 0, widest_down = 0, total_down = 0;
    for (const std::string& child : node.children) {
      const Figures& c = r->at(child).figures;
      sum += c.amount_minor;
      low_sq += std::pow(static_cast<double>(c.amount_minor - c.low_minor), 2);
      high_sq += std::pow(static_cast<double>(c.high_minor - c.amount_minor), 2);
      widest_down = std::max(widest_down, static_cast<double>(c.amount_minor - c.low_minor));
      total_down += c.amount_minor - c.low_minor;
    }
    EXPECT_EQ(node.figures.amount_minor, sum) << id;
    EXPECT_NEAR(node.figures.amount_minor - node.figures.low_minor, std::sqrt(low_sq), 1) << id;
    EXPECT_NEAR(node.figures.high_minor - node.figures.amount_minor, std::sqrt(high_sq), 1) << id;
    // Independence: narrower than adding the intervals, wider than the widest child.
    EXPECT_LE(node.figures.amount_minor - node.figures.low_minor, total_down + 1) << id;
    EXPECT_GE(node.figures.amount_minor - node.figures.low_minor, widest_down - 1) << id;
  }
  EXPECT_EQ(r->size(), nodes.size());
}

TEST(RollUpTest, TopDownForecastOfAnInnerNodeIsReplacedAndTheDifferenceReported) {
  absl::StatusOr<std::map<std::string, RolledUp>> r =
      RollUp({{"team", "", Figures{1000, 900, 1100}},
              {"rep-1", "team", Figures{700, 600, 800}},
              {"rep-2", "team", Figures{400, 350, 450}}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->at("team").figures.amount_minor, 1100);
  EXPECT_EQ(r->at("team").reconciliation_minor, 100);
}

TEST(RollUpTest, SeveralRootsRollUpIndependently) {
  absl::StatusOr<std::map<std::string, RolledUp>> r =
      RollUp({{"a", "", std::nullopt}, {"a1", "a", Figures{5, 5, 5}}, {"b", "", Figures{7, 6, 9}}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->at("a").figures.amount_minor, 5);
  EXPECT_EQ(r->at("b").figures.amount_minor, 7);
}

TEST(RollUpTest, RejectsMalformedTreesNamingTheNode) {
  EXPECT_THAT(RollUp({{"", "", Figures{}}}).status().message(), HasSubstr("nodes[0].id"));
  EXPECT_THAT(RollUp({{"a", "", Figures{}}, {"a", "", Figures{}}}).status().message(),
              HasSubstr("nodes[1].id: duplicate"));
  EXPECT_THAT(RollUp({{"a", "zzz", Figures{}}}).status().message(),
              HasSubstr("nodes[0].parent_id: unknown parent"));
  EXPECT_THAT(RollUp({{"a", "b", std::nullopt}, {"b", "a", std::nullopt}, {"c", "a", Figures{}}})
                  .status()
                  .message(),
              HasSubstr("cycle"));
  EXPECT_THAT(RollUp({{"leaf", "", std::nullopt}}).status().message(),
              HasSubstr("nodes[0].own: a leaf needs its forecast"));
  EXPECT_THAT(RollUp({{"a", "", Figures{10, 11, 12}}}).status().message(),
              HasSubstr("low <= amount <= high"));
}

}  // namespace
}  // namespace salesops::forecast
