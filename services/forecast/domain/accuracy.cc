#include "services/forecast/domain/accuracy.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace salesops::forecast {
namespace {

int32_t ToBp(double ratio) {
  const double bp = std::round(ratio * 10000);
  return static_cast<int32_t>(std::clamp(bp, -2e9, 2e9));
}

}  // namespace

int32_t AbsolutePercentageErrorBp(int64_t forecast_minor, int64_t actual_minor) {
  if (actual_minor <= 0) {
    return 0;
  }
  return ToBp(std::abs(static_cast<double>(forecast_minor) - static_cast<double>(actual_minor)) /
              static_cast<double>(actual_minor));
}

AccuracySummary Summarize(absl::Span<const AccuracyPoint> points) {
  AccuracySummary s;
  double ape = 0, bias = 0;
  int inside = 0;
  for (const AccuracyPoint& p : points) {
    if (p.actual_minor <= 0) {
      continue;
    }
    const double actual = static_cast<double>(p.actual_minor);
    const double error = static_cast<double>(p.forecast_minor) - actual;
    ape += std::abs(error) / actual;
    bias += error / actual;
    ++s.count;
    if (p.low_minor && p.high_minor) {
      ++s.with_interval;
      if (p.actual_minor >= *p.low_minor && p.actual_minor <= *p.high_minor) {
        ++inside;
      }
    }
  }
  if (s.count > 0) {
    s.mape_bp = ToBp(ape / s.count);
    s.bias_bp = ToBp(bias / s.count);
  }
  if (s.with_interval > 0) {
    s.coverage_bp = ToBp(static_cast<double>(inside) / s.with_interval);
  }
  return s;
}

}  // namespace salesops::forecast
