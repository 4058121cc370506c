#include "services/forecast/domain/pipeline_forecast.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/forecast/domain/series_math.h"

namespace salesops::forecast {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

int64_t ClampToInt64(long double value) {
  if (value >= static_cast<long double>(kInt64Max)) {
    return kInt64Max;
  }
  if (value <= 0) {
    return value <= static_cast<long double>(-kInt64Max) ? -kInt64Max : std::llround(value);
  }
  return std::llround(value);
}

}  // namespace

bool InCategory(Stage stage, Category category) {
  switch (category) {
    case Category::kCommit:
      return stage == Stage::kNegotiation || stage == Stage::kContract;
    case Category::kBestCase:
      return stage == Stage::kProposal || stage == Stage::kNegotiation || stage == Stage::kContract;
    case Category::kPipeline:
      return IsOpenStage(stage);
  }
  return false;
}

double CloseInPeriodProbability(const TimeToClose& time_to_close, absl::CivilDay entered_stage,
                                std::optional<absl::CivilDay> expected_close, absl::CivilDay as_of,
                                const Period& period) {
  const absl::CivilDay first = std::max(as_of + 1, period.start);
  const absl::CivilDay last = period.end;
  if (first > last || time_to_close.sorted_days.empty()) {
    return 0;
  }
  if (expected_close.has_value() && *expected_close > last) {
    return 0;
  }
  const int age = static_cast<int>(as_of - entered_stage);
  const double survival = 1 - time_to_close.Cdf(age);
  if (survival <= 0) {
    return 0;
  }
  const int from = static_cast<int>(first - entered_stage);
  const int to = static_cast<int>(last - entered_stage);
  const double p = (time_to_close.Cdf(to) - time_to_close.Cdf(from - 1)) / survival;
  return std::clamp(p, 0.0, 1.0);
}

absl::StatusOr<PipelineForecast> ForecastPipeline(const PipelineInput& input,
                                                  const StageStatistics& stats) {
  if (input.closed_to_date_minor < 0) {
    return absl::InvalidArgumentError("closed_to_date_minor: must be >= 0");
  }
  if (!(input.confidence > 0 && input.confidence < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("confidence: must be in (0, 1), got ", input.confidence));
  }
  if (input.period.end < input.period.start) {
    return absl::InvalidArgumentError("period: end is before start");
  }
  PipelineForecast out;
  out.category = input.category;
  out.confidence = input.confidence;
  out.closed_to_date_minor = input.closed_to_date_minor;

  // Estimates are shared by deals of the same team, product line and stage.
  std::map<std::tuple<std::string, std::string, Stage>, StageEstimate> estimates;
  __int128 open_total = 0;
  __int128 weighted_total = 0;
  __int128 certain_total = 0;  // deals with probability 1
  long double variance = 0;
  long double exact_mean = 0;
  std::vector<std::pair<int64_t, double>> uncertain;  // amount, probability
  for (size_t i = 0; i < input.deals.size(); ++i) {
    const OpenDeal& deal = input.deals[i];
    if (deal.amount_minor < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("deals[", i, "].amount_minor: must be >= 0, got ", deal.amount_minor));
    }
    if (!IsOpenStage(deal.stage)) {
      return absl::InvalidArgumentError(
          absl::StrCat("deals[", i, "].stage: ", StageName(deal.stage), " is not open"));
    }
    if (deal.entered_stage > input.as_of) {
      return absl::InvalidArgumentError(absl::StrCat("deals[", i, "].entered_stage: after as_of"));
    }
    if (!InCategory(deal.stage, input.category)) {
      continue;
    }
    const auto key = std::make_tuple(deal.team, deal.product_line, deal.stage);
    auto it = estimates.find(key);
    if (it == estimates.end()) {
      absl::StatusOr<StageEstimate> e = stats.Estimate(deal.team, deal.product_line, deal.stage);
      const auto prior = input.prior_win_probability.find(deal.stage);
      if (!e.ok() && e.status().code() == absl::StatusCode::kFailedPrecondition &&
          prior != input.prior_win_probability.end()) {
        StageEstimate p;
        p.stage = deal.stage;
        p.level = ScopeLevel::kPrior;
        p.time_level = ScopeLevel::kPrior;
        p.win_probability = std::clamp(prior->second, 0.0, 1.0);
        p.win_probability_bp = static_cast<int32_t>(std::llround(p.win_probability * 10000));
        p.below_minimum = true;
        p.time_below_minimum = true;
        e = std::move(p);
      }
      if (!e.ok()) {
        return absl::Status(e.status().code(),
                            absl::StrCat("deals[", i, "]: ", e.status().message()));
      }
      it = estimates.emplace(key, *std::move(e)).first;
    }
    const StageEstimate& e = it->second;
    DealContribution c;
    c.id = deal.id;
    c.win_probability = e.win_probability;
    if (e.level == ScopeLevel::kPrior) {
      const absl::CivilDay first = std::max(input.as_of + 1, input.period.start);
      const bool in_window =
          !deal.expected_close.has_value() ||
          (*deal.expected_close >= first && *deal.expected_close <= input.period.end);
      c.close_probability = first <= input.period.end && in_window ? 1.0 : 0.0;
    } else {
      c.close_probability = CloseInPeriodProbability(
          e.time_to_close, deal.entered_stage, deal.expected_close, input.as_of, input.period);
    }
    c.probability = c.win_probability * c.close_probability;
    c.amount_minor = deal.amount_minor;
    c.weighted_minor = std::llround(static_cast<long double>(deal.amount_minor) * c.probability);
    c.level = e.level;
    open_total += deal.amount_minor;
    weighted_total += c.weighted_minor;
    const long double a = deal.amount_minor;
    exact_mean += a * c.probability;
    variance += a * a * c.probability * (1 - c.probability);
    if (c.probability >= 1) {
      certain_total += deal.amount_minor;
    } else if (c.probability > 0 && deal.amount_minor > 0) {
      uncertain.emplace_back(deal.amount_minor, c.probability);
    }
    out.deals.push_back(std::move(c));
  }
  const __int128 max_total = static_cast<__int128>(input.closed_to_date_minor) + open_total;
  if (max_total > kInt64Max) {
    return absl::InvalidArgumentError("deals: the total amount overflows int64 minor units");
  }
  out.open_pipeline_minor = static_cast<int64_t>(open_total);
  out.weighted_pipeline_minor = static_cast<int64_t>(weighted_total);
  out.amount_minor = input.closed_to_date_minor + out.weighted_pipeline_minor;
  out.std_dev_minor = ClampToInt64(std::sqrt(variance));

  const int64_t floor = input.closed_to_date_minor + static_cast<int64_t>(certain_total);
  __int128 uncertain_total = 0;
  for (const auto& [amount, p] : uncertain) {
    uncertain_total += amount;
  }
  const int64_t ceiling = floor + static_cast<int64_t>(uncertain_total);
  const double tail = (1 - input.confidence) / 2;
  if (static_cast<int>(uncertain.size()) <= kExactMaxDeals) {
    // Exact distribution of the sum of the uncertain deals.
    std::map<int64_t, double> distribution = {{0, 1.0}};
    for (const auto& [amount, p] : uncertain) {
      std::map<int64_t, double> next;
      for (const auto& [value, q] : distribution) {
        next[value] += q * (1 - p);
        next[value + amount] += q * p;
      }
      distribution = std::move(next);
    }
    double cumulative = 0;
    bool low_set = false;
    int64_t low = 0;
    int64_t high = static_cast<int64_t>(uncertain_total);
    for (const auto& [value, q] : distribution) {
      cumulative += q;
      if (!low_set && cumulative >= tail - 1e-12) {
        low = value;
        low_set = true;
      }
      if (cumulative >= 1 - tail - 1e-12) {
        high = value;
        break;
      }
    }
    out.interval_low_minor = floor + low;
    out.interval_high_minor = floor + high;
    out.exact_interval = true;
  } else {
    const long double z = CentralZ(input.confidence);
    const long double mean = input.closed_to_date_minor + exact_mean;
    const long double sd = std::sqrt(variance);
    out.interval_low_minor = std::max(floor, ClampToInt64(mean - z * sd));
    out.interval_high_minor = std::min(ceiling, ClampToInt64(mean + z * sd));
  }
  return out;
}

}  // namespace salesops::forecast
