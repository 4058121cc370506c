#include "services/performance/domain/scorecard.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status/errors.h"
#include "services/performance/domain/rounding.h"
#include "services/performance/domain/split.h"

namespace salesops::performance {
namespace {

constexpr int32_t kMaxScoreBp = 100'000;  // a cap of 1000 % is already absurd

int32_t Clamp32(int128 v, int32_t lo, int32_t hi) {
  return static_cast<int32_t>(std::clamp<int128>(v, lo, hi));
}

std::string Percent(int64_t bp) {
  const bool negative = bp < 0;
  const int64_t m = negative ? -bp : bp;
  return absl::StrFormat("%s%d.%02d%%", negative ? "-" : "", m / 100, m % 100);
}

absl::string_view CurveName(CurveKind kind) {
  switch (kind) {
    case CurveKind::kLinear:
      return "linear";
    case CurveKind::kPiecewise:
      return "piecewise";
    case CurveKind::kStep:
      return "step";
  }
  return "unknown";
}

// Splits `total` (the rounded score) over lines whose exact products are
// `exact` (score × weight, in 1/10'000 bp): floors, then the leftover points
// to the largest remainders, so the parts sum exactly to `total`.
std::vector<int32_t> Contributions(int32_t total, const std::vector<int64_t>& exact) {
  std::vector<int32_t> parts(exact.size(), 0);
  int64_t floor_sum = 0;
  for (size_t i = 0; i < exact.size(); ++i) {
    parts[i] = static_cast<int32_t>(exact[i] / kBasisPointsOne);
    floor_sum += parts[i];
  }
  // total = round(Σ exact / 10'000) exceeds Σ floors by at most the number of
  // lines with a remainder, so each gets at most one point.
  std::vector<size_t> order(exact.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const int64_t ra = exact[a] % kBasisPointsOne;
    const int64_t rb = exact[b] % kBasisPointsOne;
    if (ra != rb) {
      return ra > rb;
    }
    if (exact[a] != exact[b]) {
      return exact[a] > exact[b];
    }
    return a < b;
  });
  for (int64_t k = 0; k < total - floor_sum && k < static_cast<int64_t>(order.size()); ++k) {
    ++parts[order[static_cast<size_t>(k)]];
  }
  return parts;
}

std::string OkrTransitionError(OkrState from, absl::string_view to) {
  const char* name = from == OkrState::kDraft    ? "DRAFT"
                     : from == OkrState::kActive ? "ACTIVE"
                                                 : "CLOSED";
  return absl::StrCat("an OKR in state ", name, " cannot become ", to);
}

}  // namespace

absl::string_view KpiMetricName(KpiMetric metric) {
  switch (metric) {
    case KpiMetric::kBookings:
      return "bookings";
    case KpiMetric::kCollections:
      return "collections";
    case KpiMetric::kTargetAttainment:
      return "target_attainment";
    case KpiMetric::kNewCustomers:
      return "new_customers";
    case KpiMetric::kVisits:
      return "visits";
    case KpiMetric::kActivities:
      return "activities";
    case KpiMetric::kPipelineCoverage:
      return "pipeline_coverage";
    case KpiMetric::kWinRate:
      return "win_rate";
    case KpiMetric::kAverageDealSize:
      return "average_deal_size";
    case KpiMetric::kSalesCycleDays:
      return "sales_cycle_days";
    case KpiMetric::kOverdueReceivables:
      return "overdue_receivables";
    case KpiMetric::kTasksOnTime:
      return "tasks_on_time";
    case KpiMetric::kCustomerSatisfaction:
      return "customer_satisfaction";
  }
  return "unknown";
}

int32_t AchievementBp(KpiDirection direction, int64_t value, int64_t target) {
  if (target <= 0) {
    return 0;
  }
  if (direction == KpiDirection::kLowerIsBetter) {
    if (value <= 0) {
      return kMaxAchievementBp;  // nothing overdue, zero days: as good as it gets
    }
    return Clamp32(DivRoundHalfEven(static_cast<int128>(target) * kBasisPointsOne, value), 0,
                   kMaxAchievementBp);
  }
  if (value <= 0) {
    return 0;
  }
  return Clamp32(DivRoundHalfEven(static_cast<int128>(value) * kBasisPointsOne, target), 0,
                 kMaxAchievementBp);
}

int32_t CurveScoreBp(const ScoringCurve& curve, int32_t achievement_bp) {
  if (achievement_bp < curve.floor_bp) {
    return 0;
  }
  int128 score = 0;
  const std::vector<CurvePoint>& p = curve.points;
  switch (curve.kind) {
    case CurveKind::kLinear:
      score = achievement_bp;
      break;
    case CurveKind::kPiecewise: {
      if (achievement_bp <= p.front().achievement_bp) {
        score = p.front().score_bp;
      } else if (achievement_bp >= p.back().achievement_bp) {
        score = p.back().score_bp;
      } else {
        const auto hi =
            std::upper_bound(p.begin(), p.end(), achievement_bp,
                             [](int32_t a, const CurvePoint& q) { return a < q.achievement_bp; });
        const CurvePoint& b = *hi;
        const CurvePoint& a = *(hi - 1);
        score =
            a.score_bp + DivRoundHalfEven(static_cast<int128>(achievement_bp - a.achievement_bp) *
                                              (b.score_bp - a.score_bp),
                                          b.achievement_bp - a.achievement_bp);
      }
      break;
    }
    case CurveKind::kStep: {
      const auto hi =
          std::upper_bound(p.begin(), p.end(), achievement_bp,
                           [](int32_t a, const CurvePoint& q) { return a < q.achievement_bp; });
      score = hi == p.begin() ? 0 : (hi - 1)->score_bp;
      break;
    }
  }
  return Clamp32(score, 0, curve.cap_bp);
}

absl::Status ValidateCurve(const ScoringCurve& curve, absl::string_view field) {
  Violations v;
  if (curve.kind != CurveKind::kLinear && curve.kind != CurveKind::kPiecewise &&
      curve.kind != CurveKind::kStep) {
    v.Add(absl::StrCat(field, ".kind"), "must be LINEAR, PIECEWISE or STEP");
  }
  if (curve.floor_bp < 0 || curve.floor_bp > kMaxAchievementBp) {
    v.Add(absl::StrCat(field, ".floor_bp"), absl::StrCat("must be in 0..", kMaxAchievementBp));
  }
  if (curve.cap_bp <= 0 || curve.cap_bp > kMaxScoreBp) {
    v.Add(absl::StrCat(field, ".cap_bp"), absl::StrCat("must be in 1..", kMaxScoreBp));
  }
  const size_t min_points = curve.kind == CurveKind::kPiecewise ? 2
                            : curve.kind == CurveKind::kStep    ? 1
                                                                : 0;
  if (curve.kind == CurveKind::kLinear && !curve.points.empty()) {
    v.Add(absl::StrCat(field, ".points"), "a LINEAR curve takes no points");
  } else if (curve.points.size() < min_points) {
    v.Add(absl::StrCat(field, ".points"),
          absl::StrCat("a ", CurveName(curve.kind), " curve needs at least ", min_points,
                       " point(s)"));
  }
  for (size_t i = 0; i < curve.points.size(); ++i) {
    const CurvePoint& p = curve.points[i];
    const std::string at = absl::StrCat(field, ".points[", i, "]");
    if (p.achievement_bp < 0 || p.achievement_bp > kMaxAchievementBp) {
      v.Add(absl::StrCat(at, ".achievement_bp"), absl::StrCat("must be in 0..", kMaxAchievementBp));
    } else if (i > 0 && p.achievement_bp <= curve.points[i - 1].achievement_bp) {
      v.Add(absl::StrCat(at, ".achievement_bp"),
            absl::StrCat("points must be strictly ascending by achievement, got ", p.achievement_bp,
                         " after ", curve.points[i - 1].achievement_bp));
    }
    if (p.score_bp < 0 || p.score_bp > kMaxScoreBp) {
      v.Add(absl::StrCat(at, ".score_bp"), absl::StrCat("must be in 0..", kMaxScoreBp));
    }
  }
  return v.Finish();
}

// ---- OKRs ----

absl::Status ValidateOkr(const Okr& okr, absl::string_view field) {
  Violations v;
  if (okr.key_results.empty()) {
    v.Add(absl::StrCat(field, ".key_results"), "must have at least one key result");
  }
  absl::flat_hash_set<absl::string_view> ids;
  int64_t weights = 0;
  for (size_t i = 0; i < okr.key_results.size(); ++i) {
    const KeyResult& kr = okr.key_results[i];
    const std::string at = absl::StrCat(field, ".key_results[", i, "]");
    if (kr.key_result_id.empty()) {
      v.Add(absl::StrCat(at, ".key_result_id"), "must not be empty");
    } else if (!ids.insert(kr.key_result_id).second) {
      v.Add(absl::StrCat(at, ".key_result_id"), "duplicates another key result");
    }
    if (kr.weight_bp < 0 || kr.weight_bp > kBasisPointsOne) {
      v.Add(absl::StrCat(at, ".weight_bp"), "must be in 0..10000");
    } else {
      weights += kr.weight_bp;
    }
    if (kr.source == ProgressSource::kRecorded) {
      if (kr.grade_bp < 0 || kr.grade_bp > kBasisPointsOne) {
        v.Add(absl::StrCat(at, ".grade_bp"), "must be in 0..10000");
      }
    } else if (kr.source == ProgressSource::kMeasured) {
      if (kr.target_value == kr.start_value) {
        v.Add(absl::StrCat(at, ".target_value"), "must differ from start_value");
      }
    } else {
      v.Add(absl::StrCat(at, ".source"), "must be RECORDED or MEASURED");
    }
  }
  if (!okr.key_results.empty() && weights != kBasisPointsOne) {
    v.Add(absl::StrCat(field, ".key_results"),
          absl::StrCat("weights sum to ", weights, ", must be exactly 10000"));
  }
  return v.Finish();
}

absl::StatusOr<OkrGrade> GradeOkr(const Okr& okr, const std::vector<KpiActual>& actuals,
                                  absl::string_view field) {
  if (absl::Status st = ValidateOkr(okr, field); !st.ok()) {
    return st;
  }
  absl::flat_hash_map<absl::string_view, int64_t> values;
  for (const KpiActual& a : actuals) {
    values.emplace(a.kpi_id, a.value);
  }
  OkrGrade out;
  out.okr_id = okr.okr_id;
  std::vector<int64_t> exact;
  int64_t exact_sum = 0;
  for (size_t i = 0; i < okr.key_results.size(); ++i) {
    const KeyResult& kr = okr.key_results[i];
    KeyResultGrade g;
    g.key_result_id = kr.key_result_id;
    g.weight_bp = kr.weight_bp;
    if (kr.source == ProgressSource::kRecorded) {
      g.grade_bp = kr.grade_bp;
      g.explanation = absl::StrCat("recorded grade ", Percent(kr.grade_bp));
    } else {
      int64_t current = kr.current_value;
      if (!kr.kpi_id.empty()) {
        const auto it = values.find(kr.kpi_id);
        if (it == values.end()) {
          return InvalidField(absl::StrCat(field, ".key_results[", i, "].kpi_id"),
                              absl::StrCat("no actual for KPI ", QuoteUntrusted(kr.kpi_id)));
        }
        current = it->second;
      }
      g.grade_bp =
          Clamp32(DivRoundHalfEven(static_cast<int128>(current - kr.start_value) * kBasisPointsOne,
                                   static_cast<int128>(kr.target_value) - kr.start_value),
                  0, kBasisPointsOne);
      g.explanation =
          absl::StrCat("(", current, " - ", kr.start_value, ") / (", kr.target_value, " - ",
                       kr.start_value, ") = ", Percent(g.grade_bp),
                       kr.kpi_id.empty() ? "" : absl::StrCat(" (from KPI ", kr.kpi_id, ")"));
    }
    exact.push_back(static_cast<int64_t>(g.grade_bp) * g.weight_bp);
    exact_sum += exact.back();
    out.key_results.push_back(std::move(g));
  }
  out.grade_bp = static_cast<int32_t>(DivRoundHalfEven(exact_sum, kBasisPointsOne));
  const std::vector<int32_t> parts = Contributions(out.grade_bp, exact);
  for (size_t i = 0; i < parts.size(); ++i) {
    out.key_results[i].contribution_bp = parts[i];
  }
  if (okr.state == OkrState::kClosed && okr.final_grade_bp.has_value()) {
    out.grade_bp = *okr.final_grade_bp;
  }
  return out;
}

absl::Status ActivateOkr(Okr& okr) {
  if (okr.state != OkrState::kDraft) {
    return FailedPrecondition("INVALID_OKR_TRANSITION", OkrTransitionError(okr.state, "ACTIVE"));
  }
  if (absl::Status st = ValidateOkr(okr, "okr"); !st.ok()) {
    return st;
  }
  okr.state = OkrState::kActive;
  return absl::OkStatus();
}

absl::Status RecordProgress(Okr& okr, absl::string_view key_result_id,
                            std::optional<int32_t> grade_bp, std::optional<int64_t> current_value) {
  if (okr.state != OkrState::kActive) {
    return FailedPrecondition("OKR_NOT_ACTIVE", "progress is recorded only on an ACTIVE OKR");
  }
  const auto it =
      std::find_if(okr.key_results.begin(), okr.key_results.end(),
                   [&](const KeyResult& kr) { return kr.key_result_id == key_result_id; });
  if (it == okr.key_results.end()) {
    return NotFound("KEY_RESULT_NOT_FOUND",
                    absl::StrCat("no key result ", QuoteUntrusted(key_result_id)));
  }
  if (grade_bp.has_value() && (*grade_bp < 0 || *grade_bp > kBasisPointsOne)) {
    return InvalidField("grade_bp", "must be in 0..10000");
  }
  if (it->source == ProgressSource::kRecorded) {
    if (!grade_bp.has_value()) {
      return InvalidField("grade_bp", "a recorded key result takes a grade");
    }
    it->grade_bp = *grade_bp;
  } else {
    if (!current_value.has_value()) {
      return InvalidField("current_value", "a measured key result takes a current value");
    }
    it->current_value = *current_value;
  }
  return absl::OkStatus();
}

absl::StatusOr<OkrGrade> CloseOkr(Okr& okr, const std::vector<KpiActual>& actuals) {
  if (okr.state != OkrState::kActive) {
    return FailedPrecondition("INVALID_OKR_TRANSITION", OkrTransitionError(okr.state, "CLOSED"));
  }
  absl::StatusOr<OkrGrade> grade = GradeOkr(okr, actuals);
  if (!grade.ok()) {
    return grade.status();
  }
  okr.state = OkrState::kClosed;
  okr.final_grade_bp = grade->grade_bp;
  return grade;
}

// ---- Scorecard ----

absl::StatusOr<Scorecard> ComputeScorecard(const ScorecardInput& in) {
  Violations v;
  const ScorecardConfig& cfg = in.config;
  if (cfg.kpi_share_bp < 0 || cfg.kpi_share_bp > kBasisPointsOne) {
    v.Add("config.kpi_share_bp", "must be in 0..10000");
  }
  for (size_t i = 0; i < cfg.bands.size(); ++i) {
    const std::string at = absl::StrCat("config.bands[", i, "]");
    if (i == 0 && cfg.bands[i].min_score_bp != 0) {
      v.Add(absl::StrCat(at, ".min_score_bp"), "the first band must start at 0");
    } else if (i > 0 && cfg.bands[i].min_score_bp <= cfg.bands[i - 1].min_score_bp) {
      v.Add(absl::StrCat(at, ".min_score_bp"), "bands must be strictly ascending");
    }
    if (cfg.bands[i].label.empty()) {
      v.Add(absl::StrCat(at, ".label"), "must not be empty");
    }
  }
  if (in.kpis.empty() && in.okrs.empty()) {
    v.Add("kpis", "a scorecard needs at least one KPI or OKR");
  }
  absl::flat_hash_map<absl::string_view, size_t> kpi_by_id;
  int64_t kpi_weights = 0;
  for (size_t i = 0; i < in.kpis.size(); ++i) {
    const KpiDefinition& k = in.kpis[i];
    const std::string at = absl::StrCat("kpis[", i, "]");
    if (k.kpi_id.empty()) {
      v.Add(absl::StrCat(at, ".kpi_id"), "must not be empty");
    } else if (!kpi_by_id.emplace(k.kpi_id, i).second) {
      v.Add(absl::StrCat(at, ".kpi_id"), "duplicates another KPI");
    }
    if (KpiMetricName(k.metric) == "unknown") {
      v.Add(absl::StrCat(at, ".metric"), "must be a known metric");
    }
    if (k.direction != KpiDirection::kHigherIsBetter &&
        k.direction != KpiDirection::kLowerIsBetter) {
      v.Add(absl::StrCat(at, ".direction"), "must be HIGHER_IS_BETTER or LOWER_IS_BETTER");
    }
    if (k.weight_bp < 0 || k.weight_bp > kBasisPointsOne) {
      v.Add(absl::StrCat(at, ".weight_bp"), "must be in 0..10000");
    } else {
      kpi_weights += k.weight_bp;
    }
    if (k.target <= 0) {
      v.Add(absl::StrCat(at, ".target"), "must be greater than 0");
    }
    if (absl::Status st = ValidateCurve(k.curve, absl::StrCat(at, ".curve")); !st.ok()) {
      for (FieldViolation& fv : FieldViolations(st)) {
        v.Add(std::move(fv.field), std::move(fv.description));
      }
    }
  }
  if (!in.kpis.empty() && kpi_weights != kBasisPointsOne) {
    return InvalidArgument(
        {{"kpis", absl::StrCat("weights sum to ", kpi_weights, ", must be exactly 10000")}},
        "WEIGHTS_NOT_100_PERCENT");
  }
  std::vector<const KpiActual*> actual_of(in.kpis.size(), nullptr);
  for (size_t i = 0; i < in.actuals.size(); ++i) {
    const KpiActual& a = in.actuals[i];
    const auto it = kpi_by_id.find(a.kpi_id);
    const std::string at = absl::StrCat("actuals[", i, "]");
    if (it == kpi_by_id.end()) {
      v.Add(absl::StrCat(at, ".kpi_id"), absl::StrCat("no KPI ", QuoteUntrusted(a.kpi_id)));
    } else if (actual_of[it->second] != nullptr) {
      v.Add(absl::StrCat(at, ".kpi_id"), "a second actual for the same KPI");
    } else {
      actual_of[it->second] = &a;
    }
    if (a.target.has_value() && *a.target <= 0) {
      v.Add(absl::StrCat(at, ".target"), "must be greater than 0");
    }
  }
  for (size_t i = 0; i < in.kpis.size(); ++i) {
    if (actual_of[i] == nullptr && kpi_by_id.contains(in.kpis[i].kpi_id)) {
      v.Add(absl::StrCat("kpis[", i, "]"), "has no actual");
    }
  }
  int64_t okr_weights = 0;
  absl::flat_hash_set<absl::string_view> okr_ids;
  for (size_t i = 0; i < in.okrs.size(); ++i) {
    const OkrInput& o = in.okrs[i];
    const std::string at = absl::StrCat("okrs[", i, "]");
    if (o.okr_id.empty() || !okr_ids.insert(o.okr_id).second) {
      v.Add(absl::StrCat(at, ".okr_id"), "must be non-empty and unique");
    }
    if (o.grade_bp < 0 || o.grade_bp > kBasisPointsOne) {
      v.Add(absl::StrCat(at, ".grade_bp"), "must be in 0..10000");
    }
    if (o.weight_bp < 0 || o.weight_bp > kBasisPointsOne) {
      v.Add(absl::StrCat(at, ".weight_bp"), "must be in 0..10000");
    } else {
      okr_weights += o.weight_bp;
    }
  }
  if (!in.okrs.empty() && okr_weights != 0 && okr_weights != kBasisPointsOne) {
    v.Add("okrs", absl::StrCat("weights sum to ", okr_weights,
                               ", must be exactly 10000 (or all 0 for equal shares)"));
  }
  if (absl::Status st = v.Finish(); !st.ok()) {
    return st;
  }

  Scorecard card;
  card.subject = in.subject;
  card.period = in.period;
  // Lines in id order, so the card does not depend on input order.
  std::vector<size_t> kpi_order(in.kpis.size());
  std::iota(kpi_order.begin(), kpi_order.end(), size_t{0});
  std::sort(kpi_order.begin(), kpi_order.end(),
            [&](size_t a, size_t b) { return in.kpis[a].kpi_id < in.kpis[b].kpi_id; });
  std::vector<int64_t> kpi_exact;
  int64_t kpi_exact_sum = 0;
  for (size_t i : kpi_order) {
    const KpiDefinition& k = in.kpis[i];
    const KpiActual& a = *actual_of[i];
    KpiLine line;
    line.kpi_id = k.kpi_id;
    line.display_name = k.display_name;
    line.metric = k.metric;
    line.direction = k.direction;
    line.value = a.value;
    line.target = a.target.value_or(k.target);
    line.achievement_bp = AchievementBp(k.direction, line.value, line.target);
    line.score_bp = CurveScoreBp(k.curve, line.achievement_bp);
    line.weight_bp = k.weight_bp;
    kpi_exact.push_back(static_cast<int64_t>(line.score_bp) * line.weight_bp);
    kpi_exact_sum += kpi_exact.back();
    card.kpi_lines.push_back(std::move(line));
  }
  card.kpi_score_bp = static_cast<int32_t>(DivRoundHalfEven(kpi_exact_sum, kBasisPointsOne));
  const std::vector<int32_t> kpi_parts = Contributions(card.kpi_score_bp, kpi_exact);
  for (size_t i = 0; i < card.kpi_lines.size(); ++i) {
    KpiLine& l = card.kpi_lines[i];
    l.contribution_bp = kpi_parts[i];
    l.explanation =
        absl::StrCat(KpiMetricName(l.metric), ": actual ", l.value, " vs target ", l.target,
                     l.direction == KpiDirection::kLowerIsBetter ? " (lower is better)" : "",
                     " → achievement ", Percent(l.achievement_bp), " → score ", Percent(l.score_bp),
                     " (", CurveName(in.kpis[kpi_order[i]].curve.kind), ") × weight ",
                     Percent(l.weight_bp), " = ", Percent(l.contribution_bp));
  }

  std::vector<size_t> okr_order(in.okrs.size());
  std::iota(okr_order.begin(), okr_order.end(), size_t{0});
  std::sort(okr_order.begin(), okr_order.end(),
            [&](size_t a, size_t b) { return in.okrs[a].okr_id < in.okrs[b].okr_id; });
  std::vector<int64_t> weights;
  for (size_t i : okr_order) {
    weights.push_back(in.okrs[i].weight_bp);
  }
  if (okr_weights == 0 && !weights.empty()) {
    // Equal shares of 10'000, the leftover to the first OKRs in id order.
    weights = AllocateByWeight(kBasisPointsOne, std::vector<int64_t>(weights.size(), 1));
  }
  std::vector<int64_t> okr_exact;
  int64_t okr_exact_sum = 0;
  for (size_t j = 0; j < okr_order.size(); ++j) {
    const OkrInput& o = in.okrs[okr_order[j]];
    OkrLine line{o.okr_id, o.objective, o.grade_bp, static_cast<int32_t>(weights[j]), 0};
    okr_exact.push_back(static_cast<int64_t>(line.grade_bp) * line.weight_bp);
    okr_exact_sum += okr_exact.back();
    card.okr_lines.push_back(std::move(line));
  }
  card.okr_score_bp = static_cast<int32_t>(DivRoundHalfEven(okr_exact_sum, kBasisPointsOne));
  const std::vector<int32_t> okr_parts = Contributions(card.okr_score_bp, okr_exact);
  for (size_t j = 0; j < card.okr_lines.size(); ++j) {
    card.okr_lines[j].contribution_bp = okr_parts[j];
  }

  card.kpi_share_bp = in.okrs.empty()   ? static_cast<int32_t>(kBasisPointsOne)
                      : in.kpis.empty() ? 0
                                        : cfg.kpi_share_bp;
  card.total_score_bp = static_cast<int32_t>(DivRoundHalfEven(
      static_cast<int64_t>(card.kpi_score_bp) * card.kpi_share_bp +
          static_cast<int64_t>(card.okr_score_bp) * (kBasisPointsOne - card.kpi_share_bp),
      kBasisPointsOne));
  for (const RatingBand& b : cfg.bands) {
    if (b.min_score_bp <= card.total_score_bp) {
      card.rating = b.label;
    }
  }
  card.explanation = absl::StrCat(
      "KPI ", Percent(card.kpi_score_bp), " × ", Percent(card.kpi_share_bp), " + OKR ",
      Percent(card.okr_score_bp), " × ", Percent(kBasisPointsOne - card.kpi_share_bp), " = ",
      Percent(card.total_score_bp), card.rating.empty() ? "" : absl::StrCat(" → ", card.rating));
  return card;
}

std::vector<int32_t> RankScorecards(const std::vector<Scorecard>& cards) {
  std::vector<size_t> order(cards.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (cards[a].total_score_bp != cards[b].total_score_bp) {
      return cards[a].total_score_bp > cards[b].total_score_bp;
    }
    return cards[a].subject < cards[b].subject;
  });
  std::vector<int32_t> ranks(cards.size(), 0);
  for (size_t pos = 0; pos < order.size(); ++pos) {
    const bool tie =
        pos > 0 && cards[order[pos]].total_score_bp == cards[order[pos - 1]].total_score_bp;
    ranks[order[pos]] = tie ? ranks[order[pos - 1]] : static_cast<int32_t>(pos + 1);
  }
  return ranks;
}

}  // namespace salesops::performance
