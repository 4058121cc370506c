#include "services/forecast/domain/series_math.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "absl/strings/str_format.h"

namespace salesops::forecast {

int DefaultSeasonalPeriod(Frequency frequency) { return frequency == Frequency::kWeekly ? 52 : 12; }

double NormalQuantile(double p) {
  if (p <= 0) {
    return -std::numeric_limits<double>::infinity();
  }
  if (p >= 1) {
    return std::numeric_limits<double>::infinity();
  }
  // Wichura (1988), Algorithm AS 241 (PPND16).
  const double q = p - 0.5;
  if (std::fabs(q) <= 0.425) {
    const double r = 0.180625 - q * q;
    return q *
           (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) *
                    r +
                45921.953931549871457) *
                   r +
               13731.693765509461125) *
                  r +
              1971.5909503065514427) *
                 r +
             133.14166789178437745) *
                r +
            3.387132872796366608) /
           (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) *
                    r +
                21213.794301586595867) *
                   r +
               5394.1960214247511077) *
                  r +
              687.1870074920579083) *
                 r +
             42.313330701600911252) *
                r +
            1.0);
  }
  double r = q < 0 ? p : 1 - p;
  r = std::sqrt(-std::log(r));
  double value;
  if (r <= 5) {
    r -= 1.6;
    value = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r +
                  0.24178072517745061177) *
                     r +
                 1.27045825245236838258) *
                    r +
                3.64784832476320460504) *
                   r +
               5.7694972214606914055) *
                  r +
              4.6303378461565452959) *
                 r +
             1.42343711074968357734) /
            (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r +
                  0.0151986665636164571966) *
                     r +
                 0.14810397642748007459) *
                    r +
                0.68976733498510000455) *
                   r +
               1.6763848301838038494) *
                  r +
              2.05319162663775882187) *
                 r +
             1.0);
  } else {
    r -= 5;
    value = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r +
                  0.0012426609473880784386) *
                     r +
                 0.026532189526576123093) *
                    r +
                0.29656057182850489123) *
                   r +
               1.7848265399172913358) *
                  r +
              5.4637849111641143699) *
                 r +
             6.6579046435011037772) /
            (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r +
                  1.8463183175100546818e-5) *
                     r +
                 7.868691311456132591e-4) *
                    r +
                0.0148753612908506148525) *
                   r +
               0.13692988092273580531) *
                  r +
              0.59983220655588793769) *
                 r +
             1.0);
  }
  return q < 0 ? -value : value;
}

double CentralZ(double confidence) { return NormalQuantile(0.5 + confidence / 2); }

double Mean(absl::Span<const double> y) {
  if (y.empty()) {
    return 0;
  }
  double sum = 0;
  for (double v : y) {
    sum += v;
  }
  return sum / static_cast<double>(y.size());
}

std::vector<double> Autocorrelation(absl::Span<const double> y, int max_lag) {
  std::vector<double> r(std::max(max_lag, 0), 0.0);
  const int n = static_cast<int>(y.size());
  const double mean = Mean(y);
  double denominator = 0;
  for (double v : y) {
    denominator += (v - mean) * (v - mean);
  }
  if (denominator <= 0) {
    return r;
  }
  for (int k = 1; k <= max_lag && k < n; ++k) {
    double sum = 0;
    for (int t = k; t < n; ++t) {
      sum += (y[t] - mean) * (y[t - k] - mean);
    }
    r[k - 1] = sum / denominator;
  }
  return r;
}

bool IsSeasonal(absl::Span<const double> y, int period) {
  const int n = static_cast<int>(y.size());
  if (period < 2 || n < 2 * period) {
    return false;
  }
  const std::vector<double> r = Autocorrelation(y, period);
  double sum_squares = 0;
  for (int k = 0; k < period - 1; ++k) {
    sum_squares += r[k] * r[k];
  }
  const double bound = std::sqrt((1 + 2 * sum_squares) / n);
  // 1.645 = NormalQuantile(0.95), as in thetaf.
  return std::fabs(r[period - 1]) / bound > NormalQuantile(0.95);
}

Decomposition ClassicalDecomposition(absl::Span<const double> y, int period, bool multiplicative) {
  const int n = static_cast<int>(y.size());
  const int m = period;
  Decomposition d;
  d.multiplicative = multiplicative;
  d.indices.assign(m, multiplicative ? 1.0 : 0.0);
  if (m < 2 || n < 2 * m) {
    return d;
  }
  // Centred moving average: a 2×m MA for even m, an m MA for odd m.
  std::vector<double> sums(m, 0.0);
  std::vector<int> counts(m, 0);
  const int half = m / 2;
  for (int t = half; t + half < n; ++t) {
    double trend = 0;
    if (m % 2 == 0) {
      trend = 0.5 * (y[t - half] + y[t + half]);
      for (int j = t - half + 1; j < t + half; ++j) {
        trend += y[j];
      }
      trend /= m;
    } else {
      for (int j = t - half; j <= t + half; ++j) {
        trend += y[j];
      }
      trend /= m;
    }
    double detrended;
    if (multiplicative) {
      if (trend == 0) {
        continue;
      }
      detrended = y[t] / trend;
    } else {
      detrended = y[t] - trend;
    }
    sums[t % m] += detrended;
    counts[t % m] += 1;
  }
  double total = 0;
  for (int i = 0; i < m; ++i) {
    d.indices[i] = counts[i] > 0 ? sums[i] / counts[i] : (multiplicative ? 1.0 : 0.0);
    total += d.indices[i];
  }
  const double average = total / m;
  for (double& index : d.indices) {
    if (multiplicative) {
      index = average > 0 ? index / average : 1.0;
    } else {
      index -= average;
    }
  }
  return d;
}

std::vector<double> SeasonallyAdjust(absl::Span<const double> y, const Decomposition& d) {
  std::vector<double> out(y.begin(), y.end());
  const int m = static_cast<int>(d.indices.size());
  for (size_t t = 0; t < out.size(); ++t) {
    const double index = d.indices[t % m];
    if (d.multiplicative) {
      out[t] = index != 0 ? out[t] / index : out[t];
    } else {
      out[t] -= index;
    }
  }
  return out;
}

double Reseasonalize(double value, int t, const Decomposition& d) {
  const double index = d.indices[t % static_cast<int>(d.indices.size())];
  return d.multiplicative ? value * index : value + index;
}

Line FitLine(absl::Span<const double> y, double t0) {
  const int n = static_cast<int>(y.size());
  Line line;
  if (n == 0) {
    return line;
  }
  const double t_mean = t0 + (n - 1) / 2.0;
  const double y_mean = Mean(y);
  double sxy = 0;
  double sxx = 0;
  for (int i = 0; i < n; ++i) {
    const double dt = t0 + i - t_mean;
    sxy += dt * (y[i] - y_mean);
    sxx += dt * dt;
  }
  line.slope = sxx > 0 ? sxy / sxx : 0;
  line.intercept = y_mean - line.slope * t_mean;
  return line;
}

double SampleQuantile(std::vector<double> sample, double p) {
  if (sample.empty()) {
    return 0;
  }
  // Two order statistics by selection, not a full sort: intervals from
  // simulated paths ask for two quantiles of 1,000 draws per step.
  const double position = p * (sample.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(position));
  const double fraction = position - below;
  std::nth_element(sample.begin(), sample.begin() + below, sample.end());
  const double low = sample[below];
  if (fraction == 0 || below + 1 >= sample.size()) {
    return low;
  }
  const double high = *std::min_element(sample.begin() + below + 1, sample.end());
  return low + fraction * (high - low);
}

std::string Fixed(double value, int decimals) { return absl::StrFormat("%.*f", decimals, value); }

}  // namespace salesops::forecast
