// Learning stage win probabilities and time-to-close distributions from the
// history of closed deals, per (team, product line), with fallback to wider
// scopes when the sample is small. Pure: the service gathers the closed
// deals (from customers events) and asks for estimates.
//
// For a stage S, a closed deal counts if it was ever in S. Its win
// probability is won / counted; its time to close is the whole days from the
// deal's last entry into S to its close date, over the won deals (the last
// entry, because an open deal's age in stage is measured from its current
// entry). Scopes are tried in the order (team, product line) → (team, all) →
// (company, product line) → (company, all); the first whose sample reaches
// `min_sample` (default kMinSampleSize = 30 deals) is used, separately for the
// win probability (deals counted) and the time to close (won deals). When no
// scope reaches it, the company-wide figures are used and flagged.
//
//   absl::StatusOr<StageStatistics> stats = StageStatistics::Learn(closed_deals);
//   absl::StatusOr<StageEstimate> e = stats->Estimate("team-1", "pl-erp", Stage::kProposal);
//   // e->win_probability_bp == 4200, e->level == ScopeLevel::kTeam,
//   // e->time_to_close.median_days == 31, e->time_to_close.Cdf(45) == 0.71
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace salesops::forecast {

// Mirrors salesops.customers.v1.OpportunityStage (same numbers).
enum class Stage {
  kLead = 1,
  kQualified = 2,
  kProposal = 3,
  kNegotiation = 4,
  kContract = 5,
  kWon = 6,
  kLost = 7,
};

bool IsOpenStage(Stage stage);
absl::string_view StageName(Stage stage);  // "LEAD", …

inline constexpr int64_t kMinSampleSize = 30;

struct StageEntry {
  Stage stage = Stage::kLead;
  absl::CivilDay entered;
};

struct ClosedDeal {
  std::string team;          // org unit id; required
  std::string product_line;  // empty when unknown
  bool won = false;
  absl::CivilDay close_date;
  std::vector<StageEntry> stages;  // open stages it passed through, any order
};

// Where an estimate came from, narrowest first; kPrior: no closed deal ever
// passed through the stage, so a configured prior stood in (pipeline_forecast.h).
enum class ScopeLevel { kTeamProductLine, kTeam, kCompanyProductLine, kCompany, kPrior };
absl::string_view ScopeLevelName(ScopeLevel level);

// Empirical distribution of whole days from entering a stage to closing won.
struct TimeToClose {
  std::vector<int> sorted_days;  // ascending
  int median_days = 0;           // smallest d with Cdf(d) >= 0.5; 0 when empty
  int p80_days = 0;              // smallest d with Cdf(d) >= 0.8; 0 when empty

  // Share of the sample closed within `days` (0 when empty).
  double Cdf(int days) const;
  // Smallest d with Cdf(d) >= p (0 < p <= 1); 0 when empty.
  int Quantile(double p) const;
  static TimeToClose FromDays(std::vector<int> days);
};

struct StageEstimate {
  Stage stage = Stage::kLead;
  // Win probability's scope; team / product_line are "" for company / all.
  ScopeLevel level = ScopeLevel::kCompany;
  std::string team;
  std::string product_line;
  int64_t sample_size = 0;  // closed deals that were in the stage
  int64_t won = 0;
  double win_probability = 0;      // won / sample_size
  int32_t win_probability_bp = 0;  // rounded to basis points
  bool below_minimum = false;      // no scope reached the minimum sample
  // Time to close, possibly from a wider scope than the win probability.
  ScopeLevel time_level = ScopeLevel::kCompany;
  TimeToClose time_to_close;
  bool time_below_minimum = false;
};

// Learned counts; immutable after Learn(), so safe to share across threads.
class StageStatistics {
 public:
  // Errors (INVALID_ARGUMENT, field named): "history[i].team" empty;
  // "history[i].stages[j].stage" not an open stage;
  // "history[i].stages[j].entered" after the close date; "min_sample" < 1.
  static absl::StatusOr<StageStatistics> Learn(const std::vector<ClosedDeal>& history,
                                               int64_t min_sample = kMinSampleSize);

  // INVALID_ARGUMENT "stage" for WON/LOST; FAILED_PRECONDITION NO_HISTORY
  // when no closed deal ever passed through the stage. An empty product_line
  // skips the product-line scopes.
  absl::StatusOr<StageEstimate> Estimate(absl::string_view team, absl::string_view product_line,
                                         Stage stage) const;

  int64_t min_sample() const { return min_sample_; }

 private:
  struct Counts {
    int64_t deals = 0;
    int64_t won = 0;
    std::vector<int> days_to_close;  // won deals only
  };
  // Key: (team or "" for company, product line or "" for all, stage).
  using Key = std::tuple<std::string, std::string, int>;

  std::map<Key, Counts> counts_;
  int64_t min_sample_ = kMinSampleSize;
};

}  // namespace salesops::forecast
