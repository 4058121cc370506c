// Small numerical building blocks shared by the time-series models: the
// normal quantile, autocorrelation and the seasonality test, classical
// seasonal decomposition, least-squares lines, sample quantiles, and the
// ForecastPath every model returns. Pure functions over spans of doubles.
//
//   double z = NormalQuantile(0.9);                    // 1.28155...
//   if (IsSeasonal(y, 12)) {
//     Decomposition d = ClassicalDecomposition(y, 12, /*multiplicative=*/true);
//   }
#pragma once

#include <string>
#include <vector>

#include "absl/types/span.h"

namespace salesops::forecast {

// Point forecast and prediction interval, one entry per step ahead.
struct ForecastPath {
  std::vector<double> mean;
  std::vector<double> lo;
  std::vector<double> hi;
};

// Sampling frequency of a bookings series; decides the default seasonal period.
enum class Frequency { kMonthly, kWeekly };

// 12 for monthly, 52 for weekly.
int DefaultSeasonalPeriod(Frequency frequency);

// Inverse of the standard normal CDF (Wichura's AS 241, ~1e-16 relative
// accuracy) for 0 < p < 1. Returns ±infinity at 0 and 1.
double NormalQuantile(double p);

// z such that a central interval mean ± z·sd has the given coverage (0 < c < 1).
double CentralZ(double confidence);

// Sample autocorrelation at lags 1..max_lag (index 0 is lag 1), the usual
// biased estimator (divides by n). Zeros when the series is constant.
std::vector<double> Autocorrelation(absl::Span<const double> y, int max_lag);

// The seasonality test of forecast::thetaf (Assimakopoulos & Nikolopoulos as
// implemented by Hyndman): seasonal when |r_m| exceeds the 90% two-sided
// bound sqrt((1 + 2 Σ_{k<m} r_k²) / n) · 1.645. False when m < 2 or the
// series is shorter than two full seasons (2m) or constant.
bool IsSeasonal(absl::Span<const double> y, int period);

// Classical decomposition (R's decompose): centred 2×m moving average trend,
// seasonal figure = mean detrended value per position, normalised to mean 1
// (multiplicative) or sum 0 (additive). `indices[t % period]` is the index of
// observation t. Needs n >= 2·period.
struct Decomposition {
  bool multiplicative = true;
  std::vector<double> indices;  // one per position in the season
};
Decomposition ClassicalDecomposition(absl::Span<const double> y, int period, bool multiplicative);

// y with the seasonal indices removed (divided or subtracted), and the reverse
// for a value at time t (0-based, may lie beyond the data).
std::vector<double> SeasonallyAdjust(absl::Span<const double> y, const Decomposition& d);
double Reseasonalize(double value, int t, const Decomposition& d);

// Ordinary least squares of y on t = t0, t0+1, … : y ≈ intercept + slope·t.
struct Line {
  double intercept = 0;
  double slope = 0;
};
Line FitLine(absl::Span<const double> y, double t0 = 0);

// Sample quantile with linear interpolation (R type 7) of an unsorted sample.
double SampleQuantile(std::vector<double> sample, double p);

double Mean(absl::Span<const double> y);

// Formats a double with a fixed number of decimals, for detail strings.
std::string Fixed(double value, int decimals);

}  // namespace salesops::forecast
