// Core-talent rules: weights in basis points summing to 10000, the weighted
// score, 9-box placement at the band edges, visibility only upwards in the
// tree, and promotion criteria.
#include "services/org/domain/talent.h"

#include "common/status/errors.h"
#include "gtest/gtest.h"

namespace salesops::org {
namespace {

// Weights must sum to exactly 10000 bp; the violation names the rule.
TEST(TalentTest, WeightsSumTo100Percent) {
  EXPECT_TRUE(CheckWeights({5000, 3000, 2000}, "c").ok());
  EXPECT_TRUE(CheckWeights({10000, 0, 0}, "c").ok());
  absl::Status s = CheckWeights({5000, 3000, 1999}, "c");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(s), "WEIGHTS_MUST_SUM_TO_100_PERCENT");
  EXPECT_EQ(FieldViolations(s)[0].field, "c.performance_weight_bp");
  EXPECT_EQ(FieldViolations(CheckWeights({-1, 10001, 0}, "c"))[0].field, "c.performance_weight_bp");
}

// Thresholds must be ordered and within 1..100.
TEST(TalentTest, Thresholds) {
  EXPECT_TRUE(CheckThresholds({40, 70}, "c").ok());
  EXPECT_FALSE(CheckThresholds({70, 70}, "c").ok());
  EXPECT_FALSE(CheckThresholds({0, 70}, "c").ok());
  EXPECT_FALSE(CheckThresholds({40, 101}, "c").ok());
  EXPECT_EQ(FieldViolations(CheckScores({101, 0, 0}, "a"))[0].field, "a.performance");
}

// The weighted score is exact in basis points of 100.
TEST(TalentTest, WeightedScore) {
  EXPECT_EQ(WeightedScoreBp({80, 70, 90}, {5000, 3000, 2000}), 7900);
  EXPECT_EQ(WeightedScoreBp({100, 100, 100}, {3334, 3333, 3333}), 10000);
  EXPECT_EQ(WeightedScoreBp({0, 0, 0}, {5000, 3000, 2000}), 0);
}

// Band edges: below low is LOW, at high is HIGH; the corners of the grid.
TEST(TalentTest, NineBox) {
  const TalentWeights w{4000, 3000, 3000};
  const NineBoxThresholds t{40, 70};
  EXPECT_EQ(BandOf(39, t), Band::kLow);
  EXPECT_EQ(BandOf(40, t), Band::kMedium);
  EXPECT_EQ(BandOf(69, t), Band::kMedium);
  EXPECT_EQ(BandOf(70, t), Band::kHigh);
  EXPECT_EQ(NineBoxOf({10, 10, 10}, w, t), 1);  // underperformer
  EXPECT_EQ(NineBoxOf({90, 10, 10}, w, t), 3);  // trusted professional
  EXPECT_EQ(NineBoxOf({10, 90, 90}, w, t), 7);  // rough diamond
  EXPECT_EQ(NineBoxOf({50, 50, 50}, w, t), 5);  // core player
  EXPECT_EQ(NineBoxOf({90, 90, 90}, w, t), 9);  // star
  // Potential axis weighs capability and potential by their weights.
  EXPECT_EQ(PotentialAxis({0, 100, 40}, {4000, 3000, 3000}), 70);
  EXPECT_EQ(PotentialAxis({0, 100, 40}, {10000, 0, 0}), 40);
}

// Assessments are visible only upwards: never self, never peers or below.
TEST(TalentTest, VisibleOnlyUpwards) {
  Member rep;
  rep.id = "rep1";
  rep.role = Role::kRep;
  rep.org_unit_id = "team-1";
  const std::vector<std::string> ancestry = {"team-1", "east", "acme"};
  EXPECT_FALSE(CanSeeTalent({"rep1", Role::kRep, "team-1"}, rep, ancestry));        // self
  EXPECT_FALSE(CanSeeTalent({"rep2", Role::kRep, "team-1"}, rep, ancestry));        // peer
  EXPECT_TRUE(CanSeeTalent({"sup1", Role::kSupervisor, "team-1"}, rep, ancestry));  // own team
  EXPECT_FALSE(CanSeeTalent({"sup2", Role::kSupervisor, "team-2"}, rep, ancestry));
  EXPECT_TRUE(CanSeeTalent({"mgr", Role::kManager, "east"}, rep, ancestry));
  EXPECT_FALSE(CanSeeTalent({"mgr", Role::kManager, "west"}, rep, ancestry));
  EXPECT_TRUE(CanSeeTalent({"dir", Role::kDirector, "acme"}, rep, ancestry));
  Member sup = rep;
  sup.id = "sup1";
  sup.role = Role::kSupervisor;
  EXPECT_FALSE(CanSeeTalent({"sup9", Role::kSupervisor, "team-1"}, sup, ancestry));  // peer
  EXPECT_TRUE(CanSeeTalent({"mgr", Role::kManager, "east"}, sup, ancestry));
  // Plans: the member sees their own, peers still not.
  EXPECT_TRUE(CanSeeDevelopmentPlan({"rep1", Role::kRep, "team-1"}, rep, ancestry));
  EXPECT_FALSE(CanSeeDevelopmentPlan({"rep2", Role::kRep, "team-1"}, rep, ancestry));
}

// Promotion criteria list each check and are met only when all are.
TEST(TalentTest, PromotionCriteria) {
  const TalentWeights w{5000, 3000, 2000};
  PromotionCriteria c{Role::kRep, Role::kSupervisor, 7000, 75, 2, true};
  EXPECT_TRUE(CheckCriteria(c, "t").ok());
  EXPECT_EQ(
      FieldViolations(CheckCriteria({Role::kManager, Role::kRep, 0, 0, 0, false}, "t"))[0].field,
      "t.to_role");
  CandidateFacts facts{Role::kRep, {{60, 60, 60}, {80, 70, 90}}, true};
  CriteriaEvaluation e = EvaluatePromotion(c, facts, w);
  EXPECT_TRUE(e.met);
  EXPECT_EQ(e.lines.size(), 5u);
  facts.plan_complete = false;
  EXPECT_FALSE(EvaluatePromotion(c, facts, w).met);
  facts.plan_complete = true;
  facts.assessments = {{80, 70, 90}};
  EXPECT_FALSE(EvaluatePromotion(c, facts, w).met);  // one period only
  facts.assessments = {{80, 70, 90}, {74, 90, 90}};
  EXPECT_FALSE(EvaluatePromotion(c, facts, w).met);  // performance 74 < 75
  facts.role = Role::kSupervisor;
  facts.assessments = {{80, 70, 90}, {80, 70, 90}};
  EXPECT_FALSE(EvaluatePromotion(c, facts, w).met);  // wrong starting role
}

}  // namespace
}  // namespace salesops::org
