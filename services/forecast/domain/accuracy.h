// Forecast accuracy over closed periods: absolute percentage error, bias
// and interval coverage of a set of (forecast, actual) pairs, e.g. the
// snapshots of one scope taken four weeks before each period's end, for the
// model, for each model compared, or for the people's calls. Pure.
//
//   std::vector<AccuracyPoint> points = {{.forecast_minor = 90, .actual_minor = 100},
//                                        {.forecast_minor = 130, .actual_minor = 100}};
//   AccuracySummary s = Summarize(points);
//   // s.mape_bp == 2000, s.bias_bp == 1000 (over-forecasting on average), s.count == 2
#pragma once

#include <cstdint>
#include <optional>

#include "absl/types/span.h"

namespace salesops::forecast {

struct AccuracyPoint {
  int64_t forecast_minor = 0;
  int64_t actual_minor = 0;
  // The forecast's interval, when it had one.
  std::optional<int64_t> low_minor;
  std::optional<int64_t> high_minor;
};

struct AccuracySummary {
  // Points with an actual > 0 (percentage errors need one).
  int count = 0;
  // Mean |forecast - actual| / actual and mean (forecast - actual) / actual,
  // basis points, rounded; positive bias = over-forecasting.
  int32_t mape_bp = 0;
  int32_t bias_bp = 0;
  // Share of the points with an interval whose actual fell inside it.
  int32_t coverage_bp = 0;
  int with_interval = 0;
};

AccuracySummary Summarize(absl::Span<const AccuracyPoint> points);

// |forecast - actual| / actual in basis points (saturating); 0 when actual <= 0.
int32_t AbsolutePercentageErrorBp(int64_t forecast_minor, int64_t actual_minor);

}  // namespace salesops::forecast
