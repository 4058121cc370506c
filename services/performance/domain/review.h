// Biweekly reviews: the fiscal calendar's two-week cycles, and the explainable
// rules that turn a rep's figures, their own history and their team's into
// findings and ranked suggestions. Pure (no I/O); the API reads the counters
// the event projection keeps per rep and cycle and calls AnalyseReview.
//
//   BiweeklyCycle c = CycleOf(absl::CivilDay(2026, 11, 27), /*start_month=*/1);
//   // c.id == "FY2026-B24", 2026-11-19 .. 2026-12-02
//   ReviewInput in;  // the rep's counts per cycle, the team's, the target gap
//   ReviewAnalysis a = AnalyseReview(in, DefaultReviewRules());
//   // a.suggestions: highest expected impact on the target gap first, each
//   // citing its figures and sample sizes; none from too few deals.
//
// Rules are data (ReviewRule rows): a kind, its thresholds and the coaching
// text; the service loads them from a file (--review_rules) or uses
// DefaultReviewRules().
// Thread-safe (pure functions).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace salesops::performance {

// ---- the fiscal calendar's two-week cycles

// Cycle n (1..26) of a fiscal year covers days 14(n-1) .. 14n-1 from the
// year's first day; cycle 26 also takes the year's last one or two days.
struct BiweeklyCycle {
  std::string id;  // "FY2026-B07"
  int fiscal_year = 0;
  int number = 0;
  absl::CivilDay first;
  absl::CivilDay last;  // inclusive
};
inline constexpr int kCyclesPerYear = 26;

BiweeklyCycle CycleOf(absl::CivilDay day, int start_month);
BiweeklyCycle PreviousCycle(const BiweeklyCycle& c, int start_month);
BiweeklyCycle NextCycle(const BiweeklyCycle& c, int start_month);
std::optional<BiweeklyCycle> ParseCycle(absl::string_view id, int start_month);

// ---- what a review reads: counters per rep and cycle

using Counts = std::map<std::string, int64_t>;
namespace review_counter {
inline constexpr char kWon[] = "won";
inline constexpr char kLost[] = "lost";
inline constexpr char kBookings[] = "bookings";
inline constexpr char kActivities[] = "activities";
inline constexpr char kVisits[] = "visits";
inline constexpr char kCsatSum[] = "csat_sum";
inline constexpr char kCsatCount[] = "csat_n";
inline constexpr char kCreated[] = "created";
inline constexpr char kCreatedAmount[] = "created_amount";
// Deals lost from a stage ("lost_from:PROPOSAL"), loss reasons
// ("reason:价格"), competitors lost to ("competitor:…").
std::string LostFrom(absl::string_view stage);
std::string Reason(absl::string_view reason);
std::string Competitor(absl::string_view competitor);
}  // namespace review_counter
int64_t Get(const Counts& c, const std::string& key);
void AddCounts(Counts& into, const Counts& from);

// ---- rules

enum class RuleKind {
  kStageLoss,     // share of closed deals lost from `stage`, vs the team's
  kWinRate,       // won / closed, vs the team's
  kVisits,        // visits this cycle, vs the team median and the rep's own average
  kActivities,    // activities this cycle, likewise
  kSatisfaction,  // mean satisfaction score, vs the team's
};
absl::StatusOr<RuleKind> ParseRuleKind(absl::string_view name);

struct ReviewRule {
  std::string id;
  RuleKind kind = RuleKind::kWinRate;
  // kStageLoss: the stage code ("PROPOSAL").
  std::string stage;
  // Least sample of the rep (closed deals, scored activities; for visits and
  // activities the team median this cycle) below which the rule stays silent.
  int64_t min_sample = 10;
  // Least pooled sample of the teammates.
  int64_t min_team_sample = 20;
  // How far (basis points, absolute for rates, relative for counts) the rep
  // must trail the team before the rule speaks.
  int64_t min_gap_bp = 1000;
  // The script scenario to practise ("OBJECTION_HANDLING"), cited as a resource.
  std::string scenario;
  // What to do (shown after the evidence), e.g. "练习异议处理话术，做两次角色扮演".
  std::string advice;
};
std::vector<ReviewRule> DefaultReviewRules();
// Rules from a tab-separated file: one rule per line, "#" comments, columns
//   id  kind  stage  min_sample  min_team_sample  min_gap_bp  scenario  advice
// (kind: stage_loss, win_rate, visits, activities, satisfaction; stage "-"
// when unused). INVALID_ARGUMENT naming the line and column otherwise.
absl::StatusOr<std::vector<ReviewRule>> ParseReviewRules(absl::string_view tsv);

// ---- input and output

struct Peer {
  std::string member;
  Counts current;  // this cycle
  Counts window;   // the window of cycles (rates)
};

struct ReviewInput {
  Counts current;   // the rep, this cycle
  Counts previous;  // the rep, the cycle before
  Counts window;    // the rep, this cycle and the ones before it in the window
  // The rep's earlier cycles in the window (window − current), and how many.
  Counts history;
  int history_cycles = 0;
  std::vector<Peer> team;  // teammates, the rep excluded
  // What is left of the rep's target for the quarter (0 when met or none).
  int64_t gap_minor = 0;
  bool has_target = false;
};

enum class Unit { kCount, kMoney, kBasisPoints };
// One figure a finding stands on.
struct Fact {
  std::string key;    // stable code, "lost_from_proposal"
  std::string label;  // Chinese label
  Unit unit = Unit::kCount;
  int64_t value = 0;
};
// What a metric did over the cycle. `metric` is the KpiMetric number.
struct MetricMove {
  int metric = 0;
  Unit unit = Unit::kCount;
  int64_t previous = 0, current = 0, team_median = 0;
  int64_t change_bp = 0;  // (current - previous) / previous; 0 when previous is 0
};
struct FindingOut {
  std::string rule_id;
  std::string text;
  std::vector<Fact> evidence;
};
struct SuggestionOut {
  std::string rule_id;
  std::string text;
  std::string explanation;
  std::vector<Fact> evidence;
  std::string scenario;
  // Expected effect on the target gap (minor units), capped at the gap.
  int64_t impact_minor = 0;
  // The metric the coaching aims at (KpiMetric number) and its value now,
  // for before/after outcome tracking.
  int metric = 0;
  Unit metric_unit = Unit::kBasisPoints;
  int64_t metric_value = 0;
};
struct ReviewAnalysis {
  std::vector<MetricMove> changes;
  std::vector<FindingOut> strengths;
  std::vector<FindingOut> gaps;
  std::vector<SuggestionOut> suggestions;  // by impact, highest first
};

ReviewAnalysis AnalyseReview(const ReviewInput& in, const std::vector<ReviewRule>& rules);

// A metric's value from counts, as AnalyseReview measures it (for outcomes):
// the KpiMetric number; nullopt when the counts cannot say (no closed deals).
std::optional<int64_t> MetricValue(int metric, const Counts& counts);

// ---- win rates

// The 95 % Wilson score interval of `successes` out of `n`, in basis points
// (rounded outward); {0, 0} when n is 0.
struct Interval {
  int64_t low_bp = 0;
  int64_t high_bp = 0;
};
Interval WilsonInterval(int64_t successes, int64_t n);

}  // namespace salesops::performance
