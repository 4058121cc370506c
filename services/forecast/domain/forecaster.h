// Forecasting one bookings series: the entry point the service and the
// `salesops-forecast` tool call. Picks a model (or uses the one asked for),
// falls back sanely on short, constant or intermittent histories, and returns
// the point forecast with a prediction interval and a short explanation.
//
// Automatic choice (Method::kAuto):
//   1. within the ETS family, the model with the lowest AICc among those that
//      apply (seasonal ones need two full seasons; multiplicative ones need
//      strictly positive data, so never on series with zeros);
//   2. across families — best ETS, Theta, Optimised Theta and their mean (the
//      ensemble) — the lowest mean absolute scaled error in a rolling-origin
//      back-test on the series itself (up to 3 origins inside the last
//      min(horizon, n/3) observations, each refitted on the data before it).
//      Ties go to the earlier candidate in that order.
// The ETS candidates are ETS(A,N,N), (A,A,N), (A,Ad,N), (A,N,A), (A,A,A),
// (A,Ad,A), (M,N,M), (M,A,M) and (M,Ad,M); non-seasonal multiplicative-error
// models are left out because their point forecasts equal their
// additive-error twins' and they did not improve the back-tested accuracy.
// Fallbacks: 1–2 observations → mean; 3–4 → naive (random walk); a constant
// series → naive with a zero-width interval. Explicit methods that do not
// apply fall back along hw_mul → hw_add → damped → holt → ses → naive and say
// so in the detail. When the history has no negative value, forecasts and
// interval bounds are clipped at zero (bookings are not negative).
//
//   ForecastOptions options{.horizon = 12, .seasonal_period = 12, .confidence = 0.8};
//   absl::StatusOr<SeriesForecast> f = ForecastSeries(monthly_bookings, options);
//   // f->method == Method::kHolt, f->detail == "ETS(A,A,N) alpha=0.42 beta=0.08 (AICc 312.4); …"
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "services/forecast/domain/series_math.h"

namespace salesops::forecast {

// The methods by name; the ETS ones correspond to ForecastModel in
// protos/salesops/forecast/v1/forecast_resources.proto.
enum class Method {
  kAuto,
  kSes,
  kHolt,
  kDamped,
  kHwAdditive,
  kHwMultiplicative,
  kTheta,
  kOptimizedTheta,
  kEnsemble,
  kNaive,
  kMean,
};

// "auto", "ses", "holt", "damped", "hw_add", "hw_mul", "theta", "otheta",
// "ensemble", "naive", "mean".
absl::string_view MethodName(Method method);
std::optional<Method> ParseMethod(absl::string_view name);

struct ForecastOptions {
  int horizon = 12;          // steps ahead, >= 1
  int seasonal_period = 12;  // >= 1; 1 = no seasonality
  double confidence = 0.8;   // of the central interval, in (0, 1)
  Method method = Method::kAuto;
};

struct SeriesForecast {
  Method method = Method::kNaive;  // what produced the numbers (never kAuto)
  std::string detail;              // parameters and why this method
  ForecastPath path;
  // Back-test score (mean absolute scaled error) per candidate when the
  // choice was made by back-test; empty otherwise.
  std::vector<std::pair<Method, double>> backtest;
};

// Errors: INVALID_ARGUMENT naming "horizon", "seasonal_period", "confidence",
// "values" (empty) or "values[i]" (not finite). A method that does not apply
// is not an error: it falls back (see above).
absl::StatusOr<SeriesForecast> ForecastSeries(absl::Span<const double> y,
                                              const ForecastOptions& options);

}  // namespace salesops::forecast
