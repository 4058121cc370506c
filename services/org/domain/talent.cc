#include "services/org/domain/talent.h"

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "services/org/domain/org_rules.h"

namespace salesops::org {

absl::Status CheckWeights(const TalentWeights& w, const std::string& prefix) {
  Violations v;
  const std::pair<int, const char*> parts[] = {{w.performance_bp, "performance_weight_bp"},
                                               {w.capability_bp, "capability_weight_bp"},
                                               {w.potential_bp, "potential_weight_bp"}};
  long long sum = 0;
  for (const auto& [bp, name] : parts) {
    if (bp < 0 || bp > kFullWeightBp) {
      v.Add(absl::StrCat(prefix, ".", name), "must be 0..10000");
    }
    sum += bp;
  }
  if (!v.empty()) {
    return v.Finish();
  }
  if (sum != kFullWeightBp) {
    v.Add(prefix + ".performance_weight_bp",
          absl::StrCat("the three weights must sum to 10000 (100 %), not ", sum));
    return v.Finish("WEIGHTS_MUST_SUM_TO_100_PERCENT");
  }
  return absl::OkStatus();
}

absl::Status CheckThresholds(const NineBoxThresholds& t, const std::string& prefix) {
  Violations v;
  if (t.low <= 0 || t.low > 100) {
    v.Add(prefix + ".low_threshold", "must be 1..100");
  }
  if (t.high <= 0 || t.high > 100) {
    v.Add(prefix + ".high_threshold", "must be 1..100");
  }
  if (v.empty() && t.low >= t.high) {
    v.Add(prefix + ".high_threshold", "must be above low_threshold");
  }
  return v.Finish();
}

absl::Status CheckScores(const TalentScores& s, const std::string& prefix) {
  Violations v;
  if (s.performance < 0 || s.performance > 100) {
    v.Add(prefix + ".performance", "must be 0..100");
  }
  if (s.capability < 0 || s.capability > 100) {
    v.Add(prefix + ".capability", "must be 0..100");
  }
  if (s.potential < 0 || s.potential > 100) {
    v.Add(prefix + ".potential", "must be 0..100");
  }
  return v.Finish();
}

int WeightedScoreBp(const TalentScores& s, const TalentWeights& w) {
  const long long sum = 1LL * s.performance * w.performance_bp +
                        1LL * s.capability * w.capability_bp + 1LL * s.potential * w.potential_bp;
  return static_cast<int>(sum / 100);
}

Band BandOf(int score, const NineBoxThresholds& t) {
  if (score < t.low) {
    return Band::kLow;
  }
  if (score >= t.high) {
    return Band::kHigh;
  }
  return Band::kMedium;
}

int PotentialAxis(const TalentScores& s, const TalentWeights& w) {
  const long long wsum = 1LL * w.capability_bp + w.potential_bp;
  if (wsum == 0) {
    return s.potential;
  }
  return static_cast<int>(
      (1LL * s.capability * w.capability_bp + 1LL * s.potential * w.potential_bp) / wsum);
}

int NineBoxOf(const TalentScores& s, const TalentWeights& w, const NineBoxThresholds& t) {
  const int x = static_cast<int>(BandOf(s.performance, t));
  const int y = static_cast<int>(BandOf(PotentialAxis(s, w), t));
  return y * 3 + x + 1;
}

bool CanSeeTalent(const Principal& viewer, const Member& member,
                  const std::vector<std::string>& member_unit_ancestry) {
  if (viewer.member_id == member.id) {
    return false;
  }
  if (viewer.role <= member.role) {
    return false;  // peers and those below never
  }
  if (viewer.role >= Role::kDirector) {
    return true;
  }
  if (viewer.role == Role::kRep) {
    return false;
  }
  return !viewer.org_unit_id.empty() && IsWithin(member_unit_ancestry, viewer.org_unit_id);
}

bool CanSeeDevelopmentPlan(const Principal& viewer, const Member& member,
                           const std::vector<std::string>& member_unit_ancestry) {
  return viewer.member_id == member.id || CanSeeTalent(viewer, member, member_unit_ancestry);
}

absl::Status CheckCriteria(const PromotionCriteria& c, const std::string& prefix) {
  Violations v;
  if (c.to_role <= c.from_role) {
    v.Add(prefix + ".to_role", "must be above from_role");
  }
  if (c.min_weighted_score_bp < 0 || c.min_weighted_score_bp > kFullWeightBp) {
    v.Add(prefix + ".min_weighted_score_bp", "must be 0..10000");
  }
  if (c.min_performance < 0 || c.min_performance > 100) {
    v.Add(prefix + ".min_performance", "must be 0..100");
  }
  if (c.min_assessed_periods < 0 || c.min_assessed_periods > 20) {
    v.Add(prefix + ".min_assessed_periods", "must be 0..20");
  }
  return v.Finish();
}

CriteriaEvaluation EvaluatePromotion(const PromotionCriteria& c, const CandidateFacts& facts,
                                     const TalentWeights& w) {
  CriteriaEvaluation out;
  auto line = [&out](bool ok, std::string text) {
    out.lines.push_back(absl::StrCat(text, ok ? ": met" : ": not met"));
    out.met = out.met && ok;
  };
  line(facts.role == c.from_role,
       absl::StrCat("role ", RoleName(facts.role), " == ", RoleName(c.from_role)));
  const int periods = static_cast<int>(facts.assessments.size());
  line(periods >= c.min_assessed_periods,
       absl::StrCat("assessed_periods ", periods, " >= ", c.min_assessed_periods));
  if (facts.assessments.empty()) {
    line(c.min_weighted_score_bp == 0 && c.min_performance == 0, "latest assessment exists");
  } else {
    const TalentScores& latest = facts.assessments.back();
    const int score = WeightedScoreBp(latest, w);
    line(score >= c.min_weighted_score_bp,
         absl::StrCat("weighted_score_bp ", score, " >= ", c.min_weighted_score_bp));
    line(latest.performance >= c.min_performance,
         absl::StrCat("performance ", latest.performance, " >= ", c.min_performance));
  }
  if (c.require_plan_complete) {
    line(facts.plan_complete, "development plan complete");
  }
  return out;
}

}  // namespace salesops::org
