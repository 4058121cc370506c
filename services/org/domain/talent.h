// Core-talent rules as pure functions: criteria weights (basis points that
// must sum to 10000), the weighted score, the 9-box placement, who may see a
// member's assessments (only upwards in the tree), and promotion criteria.
//
//   TalentWeights w{5000, 3000, 2000};
//   int score = WeightedScoreBp({80, 70, 90}, w);       // 7900 (= 79.00 of 100)
//   int box = NineBoxOf({80, 70, 90}, w, {40, 70});      // 9: high perf, high potential
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/auth/principal.h"
#include "services/org/domain/org_model.h"

namespace salesops::org {

inline constexpr int kFullWeightBp = 10000;

struct TalentWeights {
  int performance_bp = 0;
  int capability_bp = 0;
  int potential_bp = 0;
};
struct NineBoxThresholds {
  int low = 40;   // below: LOW
  int high = 70;  // at or above: HIGH
};
// 0..100 each.
struct TalentScores {
  int performance = 0;
  int capability = 0;
  int potential = 0;
};

// INVALID_ARGUMENT naming `prefix`.<x>_weight_bp: each 0..10000 and the sum
// exactly 10000 (reason WEIGHTS_MUST_SUM_TO_100_PERCENT).
absl::Status CheckWeights(const TalentWeights& w, const std::string& prefix);
// 0 < low < high <= 100, naming `prefix`.low_threshold / high_threshold.
absl::Status CheckThresholds(const NineBoxThresholds& t, const std::string& prefix);
// Each score 0..100, naming `prefix`.performance etc.
absl::Status CheckScores(const TalentScores& s, const std::string& prefix);

// Σ weight × score / 100, in basis points of 100 (0..10000), rounded down.
int WeightedScoreBp(const TalentScores& s, const TalentWeights& w);

enum class Band { kLow = 0, kMedium = 1, kHigh = 2 };
Band BandOf(int score, const NineBoxThresholds& t);
// The potential axis: capability and potential weighted by their weights
// (potential alone when both weights are 0).
int PotentialAxis(const TalentScores& s, const TalentWeights& w);
// 1..9 = potential band × 3 + performance band + 1 (1: low/low … 9: high/high),
// the numbering of salesops.org.v1.NineBox.
int NineBoxOf(const TalentScores& s, const TalentWeights& w, const NineBoxThresholds& t);

// Talent data of `member` is visible to `viewer` only upwards in the tree:
// never to the member, never to a peer (same or lower role); supervisors and
// managers for members within their unit's subtree, directors and admins
// everywhere — always for members with a lower role.
bool CanSeeTalent(const Principal& viewer, const Member& member,
                  const std::vector<std::string>& member_unit_ancestry);
// Development plans: the member and everyone who may see the member's talent data.
bool CanSeeDevelopmentPlan(const Principal& viewer, const Member& member,
                           const std::vector<std::string>& member_unit_ancestry);

struct PromotionCriteria {
  Role from_role = Role::kRep;
  Role to_role = Role::kSupervisor;
  int min_weighted_score_bp = 0;
  int min_performance = 0;
  int min_assessed_periods = 0;
  bool require_plan_complete = false;
};
// INVALID_ARGUMENT naming `prefix`.<field>: to_role above from_role, ranges.
absl::Status CheckCriteria(const PromotionCriteria& c, const std::string& prefix);

struct CandidateFacts {
  Role role = Role::kRep;
  // Assessments oldest first (by period start); the last is the latest.
  std::vector<TalentScores> assessments;
  bool plan_complete = false;  // every development item done or cancelled
};
struct CriteriaEvaluation {
  bool met = true;
  std::vector<std::string> lines;  // one per criterion, e.g. "performance 82 >= 75: met"
};
CriteriaEvaluation EvaluatePromotion(const PromotionCriteria& c, const CandidateFacts& facts,
                                     const TalentWeights& w);

}  // namespace salesops::org
