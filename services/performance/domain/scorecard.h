// KPI scorecards and OKRs as pure computations: how a KPI value becomes a
// score (direction, target, scoring curve), how key results are graded
// 0–1.0 and an objective graded from them, and the fused scorecard of a rep
// or a team for a period — weighted KPI score blended with the OKR grade —
// with a rating band. Every number is an integer in basis points (10'000 =
// 100 % or a perfect score), rounded half-even (rounding.h); each line says
// how it got its contribution, and contributions sum exactly to the scores.
//
//   ScorecardInput in;
//   in.subject = "members/rep-1";
//   in.kpis = {bookings_kpi, visits_kpi};          // weights sum to 10'000
//   in.actuals = {{"bookings", 85'000'00}, {"visits", 48}};
//   in.okrs = {{"okr-1", "打开华南医疗市场", 7'000}};  // grade 0.7
//   in.config.kpi_share_bp = 7'000;                 // KPI 70 %, OKR 30 %
//   in.config.bands = {{0, "C"}, {6'000, "B"}, {8'500, "A"}};
//   SALESOPS_ASSIGN_OR_RETURN(Scorecard card, ComputeScorecard(in));
//   // card.total_score_bp, card.rating, card.kpi_lines[i].explanation
//
// The formula:
//   achievement = actual / target (HIGHER_IS_BETTER) or target / actual
//                 (LOWER_IS_BETTER; an actual of 0 is the maximum achievement)
//   score       = curve(achievement): 0 below the floor; LINEAR = achievement;
//                 PIECEWISE = linear interpolation through the points; STEP =
//                 the score of the highest point reached; never above the cap
//   kpi_score   = Σ score_i × weight_i / 10'000
//   okr_score   = Σ grade_j × weight_j / 10'000
//   total       = (kpi_score × kpi_share + okr_score × (10'000 − kpi_share)) / 10'000
//                 (only the KPI part when there are no OKRs, and vice versa)
//   rating      = the label of the highest band whose min_score_bp <= total
// Same input ⇒ same scorecard, whatever order KPIs, actuals and OKRs are listed in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace salesops::performance {

// ---- KPIs ----

// What a KPI measures; the value's unit follows the metric (money in minor
// units, a count, days, or basis points).
enum class KpiMetric {
  kBookings = 1,               // money
  kCollections = 2,            // money
  kTargetAttainment = 3,       // basis points
  kNewCustomers = 4,           // count
  kVisits = 5,                 // count
  kActivities = 6,             // count
  kPipelineCoverage = 7,       // basis points
  kWinRate = 8,                // basis points
  kAverageDealSize = 9,        // money
  kSalesCycleDays = 10,        // days (usually lower is better)
  kOverdueReceivables = 11,    // money (usually lower is better)
  kTasksOnTime = 12,           // count
  kCustomerSatisfaction = 13,  // basis points of the survey scale (e.g. CSAT 4.5/5 = 9000)
};

// Stable lower_snake name ("bookings", "customer_satisfaction", …).
absl::string_view KpiMetricName(KpiMetric metric);

enum class KpiDirection { kHigherIsBetter = 1, kLowerIsBetter = 2 };

enum class CurveKind { kLinear = 1, kPiecewise = 2, kStep = 3 };

struct CurvePoint {
  int32_t achievement_bp = 0;
  int32_t score_bp = 0;
};

struct ScoringCurve {
  CurveKind kind = CurveKind::kLinear;
  // Below this achievement the score is 0.
  int32_t floor_bp = 0;
  // The highest score the KPI can give (e.g. 12'000 = 120 %).
  int32_t cap_bp = 10'000;
  // PIECEWISE (at least two) and STEP (at least one): strictly ascending by achievement.
  std::vector<CurvePoint> points;
};

struct KpiDefinition {
  std::string kpi_id;  // unique within a scorecard
  std::string display_name;
  KpiMetric metric = KpiMetric::kBookings;
  KpiDirection direction = KpiDirection::kHigherIsBetter;
  // Share of the KPI part; the KPIs of a scorecard sum to 10'000.
  int32_t weight_bp = 0;
  ScoringCurve curve;
  // Default target (> 0); an actual may carry its own.
  int64_t target = 0;
};

struct KpiActual {
  std::string kpi_id;
  int64_t value = 0;
  // Overrides the definition's target for this subject (> 0).
  std::optional<int64_t> target;
};

// Achievement in basis points (see the formula above), within 0..kMaxAchievementBp.
inline constexpr int32_t kMaxAchievementBp = 1'000'000;
int32_t AchievementBp(KpiDirection direction, int64_t value, int64_t target);

// The curve's score for an achievement (curve already validated).
int32_t CurveScoreBp(const ScoringCurve& curve, int32_t achievement_bp);

// OK or INVALID_ARGUMENT naming "<field>.points[i].achievement_bp" etc.
absl::Status ValidateCurve(const ScoringCurve& curve, absl::string_view field);

// ---- OKRs ----

enum class OkrState { kDraft = 1, kActive = 2, kClosed = 3 };

enum class ProgressSource {
  // A grader records the grade (grade_bp).
  kRecorded = 1,
  // Measured: from start_value towards target_value, the current value read
  // from a KPI's actual (kpi_id) or set on the key result.
  kMeasured = 2,
};

struct KeyResult {
  std::string key_result_id;  // unique within the OKR
  std::string description;
  // Share within the OKR; the key results sum to 10'000.
  int32_t weight_bp = 0;
  ProgressSource source = ProgressSource::kRecorded;
  // kRecorded: 0..10'000 (the classic 0.0–1.0 grade).
  int32_t grade_bp = 0;
  // kMeasured: the grade is (current - start) / (target - start) clamped to
  // 0..1, so targets that go down (overdue 100 → 20) work as well.
  int64_t start_value = 0;
  int64_t target_value = 0;
  int64_t current_value = 0;
  // kMeasured: when set, current_value comes from this KPI's actual.
  std::string kpi_id;
};

struct Okr {
  std::string okr_id;
  std::string objective;
  OkrState state = OkrState::kDraft;
  std::vector<KeyResult> key_results;
  // Frozen when the OKR is closed.
  std::optional<int32_t> final_grade_bp;
};

struct KeyResultGrade {
  std::string key_result_id;
  int32_t grade_bp = 0;
  int32_t weight_bp = 0;
  // Its share of the objective grade; the contributions sum to it exactly.
  int32_t contribution_bp = 0;
  std::string explanation;
};

struct OkrGrade {
  std::string okr_id;
  int32_t grade_bp = 0;
  std::vector<KeyResultGrade> key_results;  // in the OKR's order
};

// OK or INVALID_ARGUMENT naming "<field>.key_results[i].<sub>": at least one
// key result, unique non-empty ids, weights 0..10'000 summing to 10'000,
// recorded grades in 0..10'000, measured targets different from the start.
absl::Status ValidateOkr(const Okr& okr, absl::string_view field);

// Grades every key result and the objective. A measured key result tied to a
// KPI reads its value from `actuals` (INVALID_ARGUMENT on
// "<field>.key_results[i].kpi_id" when there is none). A closed OKR returns
// its frozen grade.
absl::StatusOr<OkrGrade> GradeOkr(const Okr& okr, const std::vector<KpiActual>& actuals,
                                  absl::string_view field = "okr");

// DRAFT → ACTIVE (the OKR must validate). FAILED_PRECONDITION
// INVALID_OKR_TRANSITION otherwise.
absl::Status ActivateOkr(Okr& okr);
// Records progress on an ACTIVE OKR: a grade (kRecorded) or a current value
// (kMeasured). FAILED_PRECONDITION OKR_NOT_ACTIVE when DRAFT or CLOSED;
// NOT_FOUND KEY_RESULT_NOT_FOUND; INVALID_ARGUMENT "grade_bp" out of 0..10'000.
absl::Status RecordProgress(Okr& okr, absl::string_view key_result_id,
                            std::optional<int32_t> grade_bp, std::optional<int64_t> current_value);
// ACTIVE → CLOSED: grades it with `actuals` and freezes the grade.
absl::StatusOr<OkrGrade> CloseOkr(Okr& okr, const std::vector<KpiActual>& actuals);

// ---- The fused scorecard ----

struct RatingBand {
  int32_t min_score_bp = 0;
  std::string label;
};

struct ScorecardConfig {
  // How much the KPI part counts (0..10'000); the OKR part gets the rest.
  int32_t kpi_share_bp = 7'000;
  // Strictly ascending from 0; empty = no rating.
  std::vector<RatingBand> bands;
};

// An OKR's part in a scorecard (graded with GradeOkr).
struct OkrInput {
  std::string okr_id;
  std::string objective;
  int32_t grade_bp = 0;
  // Weights sum to 10'000, or are all 0 for equal shares.
  int32_t weight_bp = 0;
};

struct ScorecardInput {
  // "members/{id}" or "orgUnits/{id}"; a team's scorecard is the same
  // computation over the team's actuals.
  std::string subject;
  std::string period;
  std::vector<KpiDefinition> kpis;
  std::vector<KpiActual> actuals;
  std::vector<OkrInput> okrs;
  ScorecardConfig config;
};

struct KpiLine {
  std::string kpi_id;
  std::string display_name;
  KpiMetric metric = KpiMetric::kBookings;
  KpiDirection direction = KpiDirection::kHigherIsBetter;
  int64_t value = 0;
  int64_t target = 0;
  int32_t achievement_bp = 0;
  int32_t score_bp = 0;
  int32_t weight_bp = 0;
  // Points of the KPI score from this line (score × weight / 10'000, the
  // rounding remainder given by largest remainder so they sum exactly).
  int32_t contribution_bp = 0;
  std::string explanation;
};

struct OkrLine {
  std::string okr_id;
  std::string objective;
  int32_t grade_bp = 0;
  int32_t weight_bp = 0;  // effective (equal shares when all were 0)
  int32_t contribution_bp = 0;
};

struct Scorecard {
  std::string subject;
  std::string period;
  std::vector<KpiLine> kpi_lines;  // by kpi_id
  std::vector<OkrLine> okr_lines;  // by okr_id
  int32_t kpi_score_bp = 0;        // == Σ kpi_lines.contribution_bp
  int32_t okr_score_bp = 0;        // == Σ okr_lines.contribution_bp
  // Effective share: 10'000 without OKRs, 0 without KPIs.
  int32_t kpi_share_bp = 0;
  int32_t total_score_bp = 0;
  std::string rating;
  std::string explanation;
};

// Errors: INVALID_ARGUMENT naming the field — "kpis[i].weight_bp",
// "kpis" (WEIGHTS_NOT_100_PERCENT), "kpis[i].curve.points[j].achievement_bp",
// "kpis[i].target", "actuals[i].kpi_id" (unknown or repeated), "kpis[i]"
// without an actual, "okrs[i].grade_bp", "okrs" (weights), "config.kpi_share_bp",
// "config.bands[i].min_score_bp", or "kpis" when there are neither KPIs nor OKRs.
absl::StatusOr<Scorecard> ComputeScorecard(const ScorecardInput& input);

// Ranks in a team (1 = best): by total score descending; equal scores share a
// rank (1, 2, 2, 4). Parallel to `cards`.
std::vector<int32_t> RankScorecards(const std::vector<Scorecard>& cards);

}  // namespace salesops::performance
