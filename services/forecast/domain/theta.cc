#include "services/forecast/domain/theta.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/forecast/domain/ets.h"
#include "services/forecast/domain/optimizer.h"

namespace salesops::forecast {
namespace {

constexpr double kAlphaLow = 0.01;
constexpr double kAlphaHigh = 0.99;
constexpr double kThetaLow = 1.0;
constexpr double kThetaHigh = 20.0;

// Runs the OTM recursion; returns the sum of squared one-step errors and the final level.
double OtmSse(absl::Span<const double> y, const Line& line, double level0, double alpha,
              double theta, double* level_out) {
  const double weight = 1 - 1 / theta;
  const double slope_over_alpha = line.slope / alpha;
  double level = level0;
  double decay = 1;  // (1 − α)^{t−1}
  double sse = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    const double next_decay = decay * (1 - alpha);  // (1 − α)^t
    const double mu =
        level + weight * (decay * line.intercept + (1 - next_decay) * slope_over_alpha);
    const double e = y[i] - mu;
    sse += e * e;
    level = alpha * y[i] + (1 - alpha) * level;
    decay = next_decay;
  }
  if (level_out != nullptr) {
    *level_out = level;
  }
  return sse;
}

}  // namespace

absl::StatusOr<ThetaFit> FitTheta(absl::Span<const double> y, int period, ThetaVariant variant) {
  if (period < 1) {
    return absl::InvalidArgumentError(absl::StrCat("period: must be >= 1, got ", period));
  }
  const int n = static_cast<int>(y.size());
  if (n < kThetaMinObservations) {
    return absl::FailedPreconditionError(absl::StrCat(
        "values: Theta needs at least ", kThetaMinObservations, " observations, got ", n));
  }
  ThetaFit fit;
  fit.variant = variant;
  fit.n = n;
  std::vector<double> adjusted(y.begin(), y.end());
  if (IsSeasonal(y, period)) {
    const bool positive = std::all_of(y.begin(), y.end(), [](double v) { return v > 0; });
    fit.seasonal = true;
    fit.decomposition = ClassicalDecomposition(y, period, /*multiplicative=*/positive);
    adjusted = SeasonallyAdjust(y, fit.decomposition);
  }
  fit.line = FitLine(adjusted, 1.0);

  if (variant == ThetaVariant::kStandard) {
    // SES by maximum likelihood; ETS(A,N,N) needs n > 4, which kThetaMinObservations ensures.
    absl::StatusOr<EtsFit> ses =
        FitEts(adjusted, EtsSpec{ErrorType::kAdditive, TrendType::kNone, SeasonType::kNone}, 1);
    if (!ses.ok()) {
      return ses.status();
    }
    fit.alpha = ses->params.alpha;
    fit.theta = 2;
    fit.level0 = ses->initial.level;
    fit.level = ses->final.level;
    fit.sigma2 = ses->sigma2;
    double sse = 0;
    for (int t = 0; t < n; ++t) {
      sse += (adjusted[t] - ses->fitted[t]) * (adjusted[t] - ses->fitted[t]);
    }
    fit.mse = sse / n;
    return fit;
  }

  // ℓ_0 is an offset next to the weighted trend line (μ_1 = ℓ_0 + (1 − 1/θ)(A + B)),
  // so it ranges over ± a few times the data's magnitude; start where μ_1 ≈ y_1
  // for θ = 2, as statsforecast does.
  double magnitude = 0;
  for (double v : adjusted) {
    magnitude = std::max(magnitude, std::fabs(v));
  }
  magnitude = std::max(magnitude, 1e-9);
  const Line line = fit.line;
  auto objective = [&](absl::Span<const double> x) {
    return OtmSse(adjusted, line, x[0], x[1], x[2], nullptr);
  };
  const std::vector<double> lower = {-3 * magnitude, kAlphaLow, kThetaLow};
  const std::vector<double> upper = {3 * magnitude, kAlphaHigh, kThetaHigh};
  NelderMeadOptions options;
  options.max_evaluations = 600;
  options.tolerance = 1e-5;
  // From the classical method (θ = 2, μ_1 ≈ y_1), with one restart.
  const Minimum best =
      MinimizeNelderMead(objective, {adjusted[0] / 2, 0.5, 2.0}, lower, upper, options);
  fit.level0 = best.x[0];
  fit.alpha = best.x[1];
  fit.theta = best.x[2];
  const double sse = OtmSse(adjusted, line, fit.level0, fit.alpha, fit.theta, &fit.level);
  fit.mse = sse / n;
  fit.sigma2 = sse / std::max(1, n - 3);
  return fit;
}

ForecastPath ForecastTheta(const ThetaFit& fit, int horizon, double confidence) {
  ForecastPath path;
  if (horizon < 1) {
    return path;
  }
  path.mean.resize(horizon);
  path.lo.resize(horizon);
  path.hi.resize(horizon);
  const double a = fit.alpha;
  const int n = fit.n;
  const double z = CentralZ(confidence);
  for (int h = 1; h <= horizon; ++h) {
    double mean;
    if (fit.variant == ThetaVariant::kStandard) {
      const double drift = fit.line.slope / 2;
      mean = fit.level + drift * ((h - 1) + (1 - std::pow(1 - a, n)) / a);
    } else {
      mean = fit.level +
             (1 - 1 / fit.theta) * (std::pow(1 - a, n) * fit.line.intercept +
                                    ((h - 1) + (1 - std::pow(1 - a, n + 1)) / a) * fit.line.slope);
    }
    const double sd = std::sqrt(fit.sigma2 * (1 + a * a * (h - 1)));
    double lo = mean - z * sd;
    double hi = mean + z * sd;
    if (fit.seasonal) {
      const int t = n + h - 1;
      mean = Reseasonalize(mean, t, fit.decomposition);
      lo = Reseasonalize(lo, t, fit.decomposition);
      hi = Reseasonalize(hi, t, fit.decomposition);
    }
    path.mean[h - 1] = mean;
    path.lo[h - 1] = std::min(lo, hi);
    path.hi[h - 1] = std::max(lo, hi);
  }
  return path;
}

std::string ThetaDetail(const ThetaFit& fit) {
  std::string out =
      fit.variant == ThetaVariant::kStandard
          ? absl::StrCat("Theta alpha=", Fixed(fit.alpha, 2),
                         " drift=", Fixed(fit.line.slope / 2, 3))
          : absl::StrCat("OTM theta=", Fixed(fit.theta, 2), " alpha=", Fixed(fit.alpha, 2));
  if (fit.seasonal) {
    absl::StrAppend(&out, ", seasonal (",
                    fit.decomposition.multiplicative ? "multiplicative" : "additive", ")");
  }
  return out;
}

}  // namespace salesops::forecast
