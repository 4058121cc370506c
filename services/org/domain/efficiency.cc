#include "services/org/domain/efficiency.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace salesops::org {
namespace {

// a × b / c without overflow for money-sized values.
int64_t MulDiv(int64_t a, int64_t b, int64_t c) {
  return static_cast<int64_t>(static_cast<__int128>(a) * b / c);
}

}  // namespace

int64_t CoverageOverlapBp(const std::set<std::string>& a, const std::set<std::string>& b) {
  if (a.empty() || b.empty()) {
    return 0;
  }
  int64_t shared = 0;
  for (const auto& cell : a) {
    shared += b.count(cell);
  }
  return shared * 10000 / static_cast<int64_t>(std::min(a.size(), b.size()));
}

EfficiencyReport ComputeEfficiency(const std::vector<TeamFigures>& teams,
                                   const EfficiencyThresholds& th) {
  EfficiencyReport report;
  std::vector<int64_t> per_head;
  for (const auto& t : teams) {
    TeamEfficiencyFigures f;
    f.team_id = t.team_id;
    f.headcount = t.headcount;
    f.revenue_minor = t.revenue_minor;
    f.target_minor = t.target_minor;
    f.won_deals = t.won_deals;
    f.coverage = t.coverage;
    if (t.headcount > 0) {
      f.revenue_per_head_minor = t.revenue_minor / t.headcount;
      per_head.push_back(f.revenue_per_head_minor);
    }
    if (t.target_minor > 0) {
      f.attainment_bp = MulDiv(t.revenue_minor, 10000, t.target_minor);
    }
    report.teams.push_back(std::move(f));
  }

  // Merge candidates: pairs covering largely the same cells.
  for (size_t i = 0; i < report.teams.size(); ++i) {
    for (size_t j = i + 1; j < report.teams.size(); ++j) {
      const auto& a = report.teams[i];
      const auto& b = report.teams[j];
      const int64_t overlap = CoverageOverlapBp(a.coverage, b.coverage);
      if (overlap == 0 || overlap < th.merge_overlap_bp) {
        continue;
      }
      std::vector<std::string> shared;
      std::set_intersection(a.coverage.begin(), a.coverage.end(), b.coverage.begin(),
                            b.coverage.end(), std::back_inserter(shared));
      EfficiencyFlagView flag;
      flag.kind = FlagKind::kMergeCandidate;
      flag.team_ids = {a.team_id, b.team_id};
      flag.reason = "COVERAGE_OVERLAP";
      flag.figures = {{"overlap_bp", absl::StrCat(overlap)},
                      {"threshold_bp", absl::StrCat(th.merge_overlap_bp)},
                      {"shared_cells", absl::StrCat(shared.size())},
                      {"cells_a", absl::StrCat(a.coverage.size())},
                      {"cells_b", absl::StrCat(b.coverage.size())}};
      flag.explanation =
          absl::StrCat("orgUnits/", a.team_id, " and orgUnits/", b.team_id, " share ",
                       shared.size(), " region x product line cells (overlap ", overlap,
                       " bp >= ", th.merge_overlap_bp, " bp)");
      report.flags.push_back(std::move(flag));
    }
  }

  // Dissolve candidates: far below the median revenue per head, low attainment, or empty.
  int64_t median = 0;
  if (per_head.size() >= 2) {
    std::sort(per_head.begin(), per_head.end());
    median = per_head[(per_head.size() - 1) / 2];  // the lower median: never flags half the teams
  }
  for (const auto& t : report.teams) {
    if (t.headcount == 0) {
      report.flags.push_back({FlagKind::kDissolveCandidate,
                              {t.team_id},
                              "NO_MEMBERS",
                              {{"headcount", "0"}},
                              absl::StrCat("orgUnits/", t.team_id, " has no members")});
      continue;
    }
    if (median > 0) {
      const int64_t ratio = MulDiv(t.revenue_per_head_minor, 10000, median);
      if (ratio < th.low_revenue_per_head_bp) {
        report.flags.push_back({FlagKind::kDissolveCandidate,
                                {t.team_id},
                                "LOW_REVENUE_PER_HEAD",
                                {{"revenue_per_head_minor", absl::StrCat(t.revenue_per_head_minor)},
                                 {"median_revenue_per_head_minor", absl::StrCat(median)},
                                 {"ratio_bp", absl::StrCat(ratio)},
                                 {"threshold_bp", absl::StrCat(th.low_revenue_per_head_bp)}},
                                absl::StrCat("orgUnits/", t.team_id, " earns ", ratio,
                                             " bp of the median revenue per head (threshold ",
                                             th.low_revenue_per_head_bp, " bp)")});
      }
    }
    if (t.target_minor > 0 && t.attainment_bp < th.low_attainment_bp) {
      report.flags.push_back(
          {FlagKind::kDissolveCandidate,
           {t.team_id},
           "LOW_ATTAINMENT",
           {{"attainment_bp", absl::StrCat(t.attainment_bp)},
            {"revenue_minor", absl::StrCat(t.revenue_minor)},
            {"target_minor", absl::StrCat(t.target_minor)},
            {"threshold_bp", absl::StrCat(th.low_attainment_bp)}},
           absl::StrCat("orgUnits/", t.team_id, " attained ", t.attainment_bp,
                        " bp of its target (threshold ", th.low_attainment_bp, " bp)")});
    }
  }
  return report;
}

}  // namespace salesops::org
