// The pipeline-weighted forecast of one scope and period: what is already
// closed plus every open deal in the category, weighted by its learned win
// probability and by the chance that it closes inside the period, with a
// prediction interval. Money is int64 minor units throughout.
//
// Categories nest: COMMIT (NEGOTIATION, CONTRACT) ⊆ BEST_CASE (+ PROPOSAL) ⊆
// PIPELINE (every open stage).
//
// P(close in period) for a deal that entered its stage on day E and is still
// open on `as_of` (age a = as_of − E) comes from the stage's time-to-close
// ECDF F, conditioned on not having closed yet:
//   P = (F(last − E) − F(first − E − 1)) / (1 − F(a)),
// with first = max(as_of + 1, period start), last = period end. A deal whose
// expected close date lies after the period end counts 0 (reps rarely pull
// deals in); a deal older in its stage than every won deal of its scope
// (F(a) = 1) counts 0 too: history has no example of it still closing.
//
// Cold start: a stage no closed deal ever passed through has no estimate
// (NO_HISTORY). With a prior for it (PipelineInput::prior_win_probability),
// the deal counts at the prior win probability, and closes in the period
// exactly when its expected close date lies inside [first, last] (a deal
// without one counts as closing; one expected before `first` is overdue and
// counts 0). Without a prior it stays an error.
//
// Interval: each deal is an independent Bernoulli outcome (amount with
// probability p = win × close, else 0). Up to kExactMaxDeals uncertain deals
// the distribution of the total is convolved exactly and the interval is its
// central quantiles; beyond that, the normal approximation mean ± z·sd with
// var = Σ amount² p (1 − p), clipped to the possible range.
//
//   PipelineInput in{.closed_to_date_minor = 1'000'000, .deals = deals,
//                    .period = {absl::CivilDay(2026, 1, 1), absl::CivilDay(2026, 3, 31)},
//                    .as_of = absl::CivilDay(2026, 2, 10), .category = Category::kCommit};
//   absl::StatusOr<PipelineForecast> f = ForecastPipeline(in, stats);
//   // f->amount_minor, f->interval_low_minor, f->interval_high_minor, f->deals[i].probability
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "services/forecast/domain/stage_learning.h"

namespace salesops::forecast {

// Mirrors salesops.forecast.v1.ForecastCategory.
enum class Category { kCommit = 1, kBestCase = 2, kPipeline = 3 };

bool InCategory(Stage stage, Category category);

inline constexpr int kExactMaxDeals = 16;

struct Period {
  absl::CivilDay start;
  absl::CivilDay end;  // inclusive
};

struct OpenDeal {
  std::string id;
  std::string team;
  std::string product_line;  // empty when unknown
  Stage stage = Stage::kLead;
  absl::CivilDay entered_stage;
  std::optional<absl::CivilDay> expected_close;
  int64_t amount_minor = 0;
};

// See the header comment; 0 when the window is empty or the history has no won deal.
double CloseInPeriodProbability(const TimeToClose& time_to_close, absl::CivilDay entered_stage,
                                std::optional<absl::CivilDay> expected_close, absl::CivilDay as_of,
                                const Period& period);

struct PipelineInput {
  int64_t closed_to_date_minor = 0;  // already booked in the period
  std::vector<OpenDeal> deals;       // open deals of the scope (any category)
  Period period;
  absl::CivilDay as_of;  // data up to the end of this day
  Category category = Category::kPipeline;
  double confidence = 0.8;
  // Win probability per open stage used while the stage has no history (see above).
  std::map<Stage, double> prior_win_probability;
};

struct DealContribution {
  std::string id;
  double win_probability = 0;
  double close_probability = 0;  // P(close in period)
  double probability = 0;        // product of the two
  int64_t amount_minor = 0;
  int64_t weighted_minor = 0;               // round(amount × probability)
  ScopeLevel level = ScopeLevel::kCompany;  // where the win probability came from
};

struct PipelineForecast {
  Category category = Category::kPipeline;
  int64_t closed_to_date_minor = 0;
  int64_t open_pipeline_minor = 0;      // unweighted, deals in the category
  int64_t weighted_pipeline_minor = 0;  // Σ weighted_minor (reconciles exactly)
  int64_t amount_minor = 0;             // closed + weighted
  int64_t interval_low_minor = 0;
  int64_t interval_high_minor = 0;
  int64_t std_dev_minor = 0;  // of the total, rounded
  double confidence = 0.8;
  bool exact_interval = false;          // from the exact convolution
  std::vector<DealContribution> deals;  // the deals in the category, input order
};

// Errors: INVALID_ARGUMENT "closed_to_date_minor" (< 0), "confidence" (not in
// (0, 1)), "period" (end before start), "deals[i].amount_minor" (< 0),
// "deals[i].stage" (not open), "deals[i].entered_stage" (after as_of),
// "deals" (total overflows int64); FAILED_PRECONDITION NO_HISTORY from
// StageStatistics::Estimate, prefixed with "deals[i]".
absl::StatusOr<PipelineForecast> ForecastPipeline(const PipelineInput& input,
                                                  const StageStatistics& stats);

}  // namespace salesops::forecast
