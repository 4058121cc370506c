// Per-scope model choice for the PIPELINE category: the time-series forecast
// of a period from a scope's monthly bookings, and the back-test that decides
// between it and the pipeline-weighted forecast — earlier periods forecast
// from the same point inside them as today is inside the current one, each
// method seeing only what was known then. Pure; the service's scheduled job
// and the benchmark (tests/bench/forecast) both call it.
//
//   std::vector<BacktestOrigin> origins = BacktestOrigins(current, today, 4);
//   for (BacktestOrigin& o : origins) o.stats = &stats_learned_as_of[o.as_of];
//   absl::StatusOr<Backtest> bt = RunBacktest(deals_of_scope, origins, options);
//   // bt->pipeline_mape == 0.18, bt->series_mape == 0.24, bt->series_better == false
//
// The time series of a period, seen at the end of day `as_of`: months before
// as_of's month are over and count what they booked; from as_of's month on,
// each month counts its forecast, but at least what it has booked so far.
// Interval bounds are summed month by month (as if the months' errors were
// perfectly correlated: wider, never narrower, than the truth).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/types/span.h"
#include "services/forecast/domain/deal_history.h"
#include "services/forecast/domain/forecaster.h"
#include "services/forecast/domain/pipeline_forecast.h"
#include "services/forecast/domain/roll_up.h"

namespace salesops::forecast {

// A time-series model's monthly forecast in minor units, from `first` on.
struct MonthlyPath {
  absl::CivilMonth first;
  std::vector<int64_t> mean, low, high;
};

struct SeriesModel {
  MonthlyPath path;
  Method method = Method::kNaive;
  std::string detail;
};

struct SeriesFitOptions {
  int history_months = 36;  // at most this many complete months are fitted
  double confidence = 0.8;
  Method method = Method::kAuto;
};

// Fits the deals' monthly bookings (months before as_of's month, from the
// month of the earliest deal, at most history_months) and forecasts through
// `until`. nullopt when no complete month has passed since the first deal.
// Errors: those of ForecastSeries.
absl::StatusOr<std::optional<SeriesModel>> FitMonthlySeries(
    absl::Span<const DealRecord* const> deals, absl::CivilDay as_of, absl::CivilMonth until,
    const SeriesFitOptions& options);

// See the header comment. `booked_in_month(m)` is what month m booked (for
// as_of's month: up to as_of). nullopt when the path does not cover the
// months from as_of's month to the period's end.
std::optional<Figures> SeriesForPeriod(
    const MonthlyPath& path, const Period& period, absl::CivilDay as_of,
    absl::FunctionRef<int64_t(absl::CivilMonth)> booked_in_month);

// One earlier period and the day inside it a back-test forecasts from.
struct BacktestOrigin {
  Period period;
  absl::CivilDay as_of;
  // Learned from the deals closed by as_of; required by RunBacktest.
  const StageStatistics* stats = nullptr;
};

// The `count` periods before `current` (same shape, most recent first), each
// with as_of at the same offset from its start as `today` from current's
// (clamped inside the period).
std::vector<BacktestOrigin> BacktestOrigins(const Period& current, absl::CivilDay today, int count);

struct BacktestOptions {
  SeriesFitOptions series;
  bool with_series = true;
  std::map<Stage, double> prior_win_probability;
};

struct BacktestPoint {
  Period period;
  absl::CivilDay as_of;
  int64_t actual_minor = 0;               // booked in the whole period
  int64_t closed_at_as_of_minor = 0;      // booked from its start to as_of
  std::optional<int64_t> pipeline_minor;  // PIPELINE category, pipeline-weighted
  std::optional<int64_t> series_minor;
  std::string series_detail;
};

struct Backtest {
  std::vector<BacktestPoint> points;
  // Mean absolute percentage errors over the points with an actual > 0 where
  // both methods had a number (`compared` of them); the pipeline's alone over
  // all its points when the series never had one.
  std::optional<double> pipeline_mape;
  std::optional<double> series_mape;
  int compared = 0;
  // The time series was strictly more accurate on the compared points.
  bool series_better = false;
};

// Errors: INVALID_ARGUMENT "origins[i].stats" when missing. A point whose
// pipeline forecast cannot be made (a stage without history and without a
// prior) has no pipeline number; the back-test goes on.
absl::StatusOr<Backtest> RunBacktest(absl::Span<const DealRecord* const> deals,
                                     absl::Span<const BacktestOrigin> origins,
                                     const BacktestOptions& options);

// |forecast - actual| / actual; nullopt when actual <= 0.
std::optional<double> AbsolutePercentageError(int64_t forecast_minor, int64_t actual_minor);

}  // namespace salesops::forecast
