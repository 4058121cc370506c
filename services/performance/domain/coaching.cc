#include "services/performance/domain/coaching.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "services/performance/domain/review.h"

namespace salesops::performance {
namespace {

const char* Name(ScriptState s) {
  switch (s) {
    case ScriptState::kDraft:
      return "DRAFT";
    case ScriptState::kInReview:
      return "IN_REVIEW";
    case ScriptState::kPublished:
      return "PUBLISHED";
    case ScriptState::kRetired:
      return "RETIRED";
  }
  return "?";
}

std::string Pct(int64_t bp) { return absl::StrCat((bp + 50) / 100, "%"); }

}  // namespace

absl::Status CheckScriptTransition(ScriptState from, ScriptState to) {
  const bool ok = (from == ScriptState::kDraft && to == ScriptState::kInReview) ||
                  (from == ScriptState::kInReview && to == ScriptState::kPublished) ||
                  (from == ScriptState::kInReview && to == ScriptState::kDraft) ||
                  (from == ScriptState::kPublished && to == ScriptState::kRetired) ||
                  (from == ScriptState::kDraft && to == ScriptState::kRetired);
  if (ok) {
    return absl::OkStatus();
  }
  return FailedPrecondition("SCRIPT_VERSION_TRANSITION",
                            absl::StrCat("a ", Name(from), " version cannot become ", Name(to)));
}

VersionComparison CompareWinRates(WinCount a, WinCount b, int64_t min_closed) {
  VersionComparison c;
  const int64_t ra = a.closed == 0 ? 0 : a.won * 10'000 / a.closed;
  const int64_t rb = b.closed == 0 ? 0 : b.won * 10'000 / b.closed;
  c.difference_bp = rb - ra;
  if (a.closed < min_closed || b.closed < min_closed) {
    c.verdict = absl::StrCat("样本不足：每个版本至少需要 ", min_closed, " 个结案商机（现为 ",
                             a.closed, " 和 ", b.closed, "）");
    return c;
  }
  const Interval ia = WilsonInterval(a.won, a.closed), ib = WilsonInterval(b.won, b.closed);
  c.significant = ia.high_bp < ib.low_bp || ib.high_bp < ia.low_bp;
  if (!c.significant) {
    c.verdict = absl::StrCat("差异 ", c.difference_bp >= 0 ? "+" : "-",
                             Pct(std::abs(c.difference_bp)), " 在随机波动范围内（95% 区间重叠）");
  } else {
    c.verdict = absl::StrCat(c.difference_bp > 0 ? "新版本" : "旧版本", "赢单率明显更高（",
                             Pct(std::max(ra, rb)), " 对 ", Pct(std::min(ra, rb)), "）");
  }
  return c;
}

absl::Status CheckRubric(const std::vector<Weighted>& rubric, const std::string& field) {
  if (rubric.empty()) {
    return absl::OkStatus();
  }
  std::set<std::string> seen;
  int64_t sum = 0;
  for (size_t i = 0; i < rubric.size(); ++i) {
    const std::string at = absl::StrCat(field, "[", i, "]");
    if (rubric[i].criterion.empty() || rubric[i].criterion.size() > 100) {
      return InvalidField(absl::StrCat(at, ".criterion"), "required, at most 100 bytes");
    }
    if (!seen.insert(rubric[i].criterion).second) {
      return InvalidField(absl::StrCat(at, ".criterion"), "named twice");
    }
    if (rubric[i].weight_bp <= 0 || rubric[i].weight_bp > 10'000) {
      return InvalidField(absl::StrCat(at, ".weight_basis_points"), "1..10000");
    }
    sum += rubric[i].weight_bp;
  }
  if (sum != 10'000) {
    return InvalidField(field, absl::StrCat("weights must sum to 10000, not ", sum));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ScoreDrill(const std::vector<Weighted>& rubric,
                                   const std::vector<CriterionScoreIn>& scores, int64_t overall) {
  std::map<std::string, int64_t> given;
  for (size_t i = 0; i < scores.size(); ++i) {
    const std::string at = absl::StrCat("drill.criteria[", i, "]");
    if (scores[i].criterion.empty()) {
      return InvalidField(absl::StrCat(at, ".criterion"), "required");
    }
    if (scores[i].score_bp < 0 || scores[i].score_bp > 10'000) {
      return InvalidField(absl::StrCat(at, ".score_basis_points"), "0..10000");
    }
    if (!given.emplace(scores[i].criterion, scores[i].score_bp).second) {
      return InvalidField(absl::StrCat(at, ".criterion"), "scored twice");
    }
    if (!rubric.empty() && std::none_of(rubric.begin(), rubric.end(), [&](const Weighted& w) {
          return w.criterion == scores[i].criterion;
        })) {
      return InvalidField(absl::StrCat(at, ".criterion"), "not a criterion of the module's rubric");
    }
  }
  if (rubric.empty()) {
    if (scores.empty()) {
      if (overall < 0 || overall > 10'000) {
        return InvalidField("drill.score_basis_points", "0..10000");
      }
      return overall;
    }
    int64_t sum = 0;
    for (const auto& [c, s] : given) {
      sum += s;
    }
    return (sum + static_cast<int64_t>(given.size()) / 2) / static_cast<int64_t>(given.size());
  }
  int64_t total = 0;
  for (const Weighted& w : rubric) {
    auto it = given.find(w.criterion);
    if (it == given.end()) {
      return InvalidField("drill.criteria",
                          absl::StrCat("the rubric's \"", w.criterion, "\" is not scored"));
    }
    total += w.weight_bp * it->second;
  }
  return (total + 5'000) / 10'000;
}

Progress ProgressOf(std::vector<DrillPoint> drills) {
  std::stable_sort(drills.begin(), drills.end(),
                   [](const DrillPoint& a, const DrillPoint& b) { return a.time < b.time; });
  Progress p;
  std::map<std::string, CriterionTrend> by;
  std::map<std::string, int64_t> sums;
  for (const DrillPoint& d : drills) {
    for (const CriterionScoreIn& c : d.criteria) {
      CriterionTrend& t = by[c.criterion];
      t.criterion = c.criterion;
      if (t.count == 0) {
        t.first_bp = c.score_bp;
      }
      ++t.count;
      t.latest_bp = c.score_bp;
      t.best_bp = std::max(t.best_bp, c.score_bp);
      sums[c.criterion] += c.score_bp;
    }
  }
  for (auto& [name, t] : by) {
    t.average_bp = (sums[name] + t.count / 2) / t.count;
    p.criteria.push_back(t);
  }
  p.overall = std::move(drills);
  return p;
}

int64_t EnrolmentProgressBp(int64_t passed, int64_t modules) {
  if (modules <= 0) {
    return 0;
  }
  return std::min<int64_t>(passed, modules) * 10'000 / modules;
}

}  // namespace salesops::performance
