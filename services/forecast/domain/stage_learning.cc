#include "services/forecast/domain/stage_learning.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace salesops::forecast {

bool IsOpenStage(Stage stage) { return stage >= Stage::kLead && stage <= Stage::kContract; }

absl::string_view StageName(Stage stage) {
  switch (stage) {
    case Stage::kLead:
      return "LEAD";
    case Stage::kQualified:
      return "QUALIFIED";
    case Stage::kProposal:
      return "PROPOSAL";
    case Stage::kNegotiation:
      return "NEGOTIATION";
    case Stage::kContract:
      return "CONTRACT";
    case Stage::kWon:
      return "WON";
    case Stage::kLost:
      return "LOST";
  }
  return "UNKNOWN";
}

absl::string_view ScopeLevelName(ScopeLevel level) {
  switch (level) {
    case ScopeLevel::kTeamProductLine:
      return "team+product_line";
    case ScopeLevel::kTeam:
      return "team";
    case ScopeLevel::kCompanyProductLine:
      return "company+product_line";
    case ScopeLevel::kCompany:
      return "company";
    case ScopeLevel::kPrior:
      return "prior";
  }
  return "unknown";
}

double TimeToClose::Cdf(int days) const {
  if (sorted_days.empty()) {
    return 0;
  }
  const auto it = std::upper_bound(sorted_days.begin(), sorted_days.end(), days);
  return static_cast<double>(it - sorted_days.begin()) / sorted_days.size();
}

int TimeToClose::Quantile(double p) const {
  if (sorted_days.empty()) {
    return 0;
  }
  // Smallest sample value whose ECDF reaches p: index ceil(p·N) − 1.
  const double n = static_cast<double>(sorted_days.size());
  int64_t index = static_cast<int64_t>(std::ceil(p * n - 1e-9)) - 1;
  index = std::clamp<int64_t>(index, 0, static_cast<int64_t>(sorted_days.size()) - 1);
  return sorted_days[index];
}

TimeToClose TimeToClose::FromDays(std::vector<int> days) {
  TimeToClose t;
  std::sort(days.begin(), days.end());
  t.sorted_days = std::move(days);
  t.median_days = t.Quantile(0.5);
  t.p80_days = t.Quantile(0.8);
  return t;
}

absl::StatusOr<StageStatistics> StageStatistics::Learn(const std::vector<ClosedDeal>& history,
                                                       int64_t min_sample) {
  if (min_sample < 1) {
    return absl::InvalidArgumentError(absl::StrCat("min_sample: must be >= 1, got ", min_sample));
  }
  StageStatistics stats;
  stats.min_sample_ = min_sample;
  for (size_t i = 0; i < history.size(); ++i) {
    const ClosedDeal& deal = history[i];
    if (deal.team.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("history[", i, "].team: must not be empty"));
    }
    // Last entry per stage.
    std::map<int, absl::CivilDay> last_entry;
    for (size_t j = 0; j < deal.stages.size(); ++j) {
      const StageEntry& entry = deal.stages[j];
      if (!IsOpenStage(entry.stage)) {
        return absl::InvalidArgumentError(absl::StrCat("history[", i, "].stages[", j,
                                                       "].stage: must be an open stage, got ",
                                                       StageName(entry.stage)));
      }
      if (entry.entered > deal.close_date) {
        return absl::InvalidArgumentError(
            absl::StrCat("history[", i, "].stages[", j, "].entered: after the close date"));
      }
      auto [it, inserted] = last_entry.emplace(static_cast<int>(entry.stage), entry.entered);
      if (!inserted && entry.entered > it->second) {
        it->second = entry.entered;
      }
    }
    for (const auto& [stage, entered] : last_entry) {
      const int days = static_cast<int>(deal.close_date - entered);
      // Each deal feeds its own scope and the wider ones it belongs to.
      std::vector<Key> keys = {{deal.team, "", stage}, {"", "", stage}};
      if (!deal.product_line.empty()) {
        keys.push_back({deal.team, deal.product_line, stage});
        keys.push_back({"", deal.product_line, stage});
      }
      for (const Key& key : keys) {
        Counts& c = stats.counts_[key];
        ++c.deals;
        if (deal.won) {
          ++c.won;
          c.days_to_close.push_back(days);
        }
      }
    }
  }
  return stats;
}

absl::StatusOr<StageEstimate> StageStatistics::Estimate(absl::string_view team,
                                                        absl::string_view product_line,
                                                        Stage stage) const {
  if (!IsOpenStage(stage)) {
    return absl::InvalidArgumentError(
        absl::StrCat("stage: only open stages have estimates, got ", StageName(stage)));
  }
  struct Scope {
    ScopeLevel level;
    std::string team;
    std::string product_line;
  };
  std::vector<Scope> scopes;
  if (!product_line.empty()) {
    scopes.push_back({ScopeLevel::kTeamProductLine, std::string(team), std::string(product_line)});
  }
  scopes.push_back({ScopeLevel::kTeam, std::string(team), ""});
  if (!product_line.empty()) {
    scopes.push_back({ScopeLevel::kCompanyProductLine, "", std::string(product_line)});
  }
  scopes.push_back({ScopeLevel::kCompany, "", ""});

  static const Counts kEmpty;
  auto counts_of = [&](const Scope& s) -> const Counts& {
    const auto it = counts_.find(Key{s.team, s.product_line, static_cast<int>(stage)});
    return it == counts_.end() ? kEmpty : it->second;
  };
  const Counts& company = counts_of(scopes.back());
  if (company.deals == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("NO_HISTORY: no closed deal ever passed through stage ", StageName(stage)));
  }

  StageEstimate e;
  e.stage = stage;
  // Win probability: the narrowest scope with enough closed deals.
  const Scope* chosen = &scopes.back();
  e.below_minimum = true;
  for (const Scope& s : scopes) {
    if (counts_of(s).deals >= min_sample_) {
      chosen = &s;
      e.below_minimum = false;
      break;
    }
  }
  const Counts& c = counts_of(*chosen);
  e.level = chosen->level;
  e.team = chosen->team;
  e.product_line = chosen->product_line;
  e.sample_size = c.deals;
  e.won = c.won;
  e.win_probability = static_cast<double>(c.won) / c.deals;
  e.win_probability_bp = static_cast<int32_t>((c.won * 10000 + c.deals / 2) / c.deals);

  // Time to close: the narrowest scope with enough won deals.
  const Scope* time_scope = &scopes.back();
  e.time_below_minimum = true;
  for (const Scope& s : scopes) {
    if (static_cast<int64_t>(counts_of(s).days_to_close.size()) >= min_sample_) {
      time_scope = &s;
      e.time_below_minimum = false;
      break;
    }
  }
  e.time_level = time_scope->level;
  e.time_to_close = TimeToClose::FromDays(counts_of(*time_scope).days_to_close);
  return e;
}

}  // namespace salesops::forecast
