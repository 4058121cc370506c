// Coaching rules without I/O: the life of a sales-script version, comparing
// two versions' win rates, scoring a drill against a weighted rubric, a rep's
// progress over drills, a training enrolment's progress.
//
//   SALESOPS_RETURN_IF_ERROR(CheckScriptTransition(ScriptState::kDraft, ScriptState::kInReview));
//   VersionComparison c = CompareWinRates({12, 40}, {25, 50});  // won, closed
//   absl::StatusOr<int64_t> s = ScoreDrill(rubric, scores, 0);
//
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace salesops::performance {

// ---- scripts

enum class ScriptState { kDraft = 1, kInReview = 2, kPublished = 3, kRetired = 4 };
// DRAFT → IN_REVIEW → PUBLISHED → RETIRED; IN_REVIEW → DRAFT (sent back);
// DRAFT → RETIRED (abandoned). Anything else: FAILED_PRECONDITION
// SCRIPT_VERSION_TRANSITION naming both states.
absl::Status CheckScriptTransition(ScriptState from, ScriptState to);

struct WinCount {
  int64_t won = 0;
  int64_t closed = 0;
};
struct VersionComparison {
  int64_t difference_bp = 0;  // b − a
  bool significant = false;   // the 95 % Wilson intervals do not overlap
  std::string verdict;        // Chinese, plain words
};
// `min_closed`: below it for either version the verdict asks for more data.
VersionComparison CompareWinRates(WinCount a, WinCount b, int64_t min_closed = 20);

// ---- drills

struct Weighted {
  std::string criterion;
  int64_t weight_bp = 0;
};
struct CriterionScoreIn {
  std::string criterion;
  int64_t score_bp = 0;
};
// A rubric's criteria are distinct and non-empty, weights positive and summing
// to 10000; INVALID_ARGUMENT naming `field` ("…rubric[2].weight_basis_points").
absl::Status CheckRubric(const std::vector<Weighted>& rubric, const std::string& field);
// The drill's overall score (0..10000): with a rubric, every criterion scored
// once and nothing else, Σ weight × score / 10000 (half up); without one, the
// mean of the criterion scores, or `overall` when none is given. Scores are
// 0..10000. INVALID_ARGUMENT naming "drill.criteria[i]…" or
// "drill.score_basis_points".
absl::StatusOr<int64_t> ScoreDrill(const std::vector<Weighted>& rubric,
                                   const std::vector<CriterionScoreIn>& scores, int64_t overall);

struct DrillPoint {
  absl::Time time;
  std::string drill;  // its name
  int64_t overall_bp = 0;
  std::vector<CriterionScoreIn> criteria;
};
struct CriterionTrend {
  std::string criterion;
  int64_t count = 0, first_bp = 0, latest_bp = 0, average_bp = 0, best_bp = 0;
};
struct Progress {
  std::vector<DrillPoint> overall;       // oldest first
  std::vector<CriterionTrend> criteria;  // by criterion name
};
Progress ProgressOf(std::vector<DrillPoint> drills);

// Modules passed of all, in basis points (0 when there are no modules).
int64_t EnrolmentProgressBp(int64_t passed, int64_t modules);

}  // namespace salesops::performance
