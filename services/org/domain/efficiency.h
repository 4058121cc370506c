// The team-efficiency view as a pure computation: revenue per head,
// attainment, and coverage overlap (two teams winning in the same region ×
// product line cells) from per-team figures, and the merge / dissolve
// candidates it flags, each with the figures behind it. Thresholds are
// parameters, not constants.
//
//   EfficiencyReport r = ComputeEfficiency(figures, EfficiencyThresholds{});
//   for (const auto& f : r.flags) …  // f.reason == "COVERAGE_OVERLAP", f.figures["overlap_bp"]
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace salesops::org {

struct TeamFigures {
  std::string team_id;
  int64_t headcount = 0;
  int64_t revenue_minor = 0;
  int64_t target_minor = 0;  // 0: no target set
  int64_t won_deals = 0;
  std::set<std::string> coverage;  // "region|product_line" cells won
};

struct EfficiencyThresholds {
  // Share of the smaller team's cells also covered by the other team.
  int merge_overlap_bp = 6000;
  // Revenue per head relative to the median of the teams with members.
  int low_revenue_per_head_bp = 4000;
  // Attainment, for teams with a target.
  int low_attainment_bp = 5000;
};

struct TeamEfficiencyFigures {
  std::string team_id;
  int64_t headcount = 0;
  int64_t revenue_minor = 0;
  int64_t revenue_per_head_minor = 0;  // 0 without members
  int64_t target_minor = 0;
  int64_t attainment_bp = 0;  // 0 without a target
  int64_t won_deals = 0;
  std::set<std::string> coverage;
};

enum class FlagKind { kMergeCandidate = 1, kDissolveCandidate = 2 };

struct EfficiencyFlagView {
  FlagKind kind = FlagKind::kMergeCandidate;
  std::vector<std::string> team_ids;
  std::string reason;  // COVERAGE_OVERLAP, LOW_REVENUE_PER_HEAD, LOW_ATTAINMENT, NO_MEMBERS
  std::map<std::string, std::string> figures;
  std::string explanation;
};

struct EfficiencyReport {
  std::vector<TeamEfficiencyFigures> teams;  // input order
  std::vector<EfficiencyFlagView> flags;     // deterministic order
};

// Overlap of two coverage sets: |a ∩ b| × 10000 / min(|a|, |b|); 0 if either is empty.
int64_t CoverageOverlapBp(const std::set<std::string>& a, const std::set<std::string>& b);

EfficiencyReport ComputeEfficiency(const std::vector<TeamFigures>& teams,
                                   const EfficiencyThresholds& thresholds);

}  // namespace salesops::org
