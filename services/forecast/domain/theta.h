// The Theta method and the Optimised Theta model, for the bookings series.
//
// Standard Theta (Assimakopoulos & Nikolopoulos 2000, in the formulation of
// Hyndman & Billah 2003 as used by R's forecast::thetaf): simple exponential
// smoothing (ETS(A,N,N) by maximum likelihood) with a drift of half the
// least-squares slope,
//   ŷ_{n+h} = ℓ_n + b/2 · (h − 1 + (1 − (1−α)^n)/α).
//
// Optimised Theta (Fiorucci et al. 2016, "OTM"): the weight of the long-run
// trend line is a parameter θ ≥ 1 (θ = 1 is SES, θ = 2 the classical method),
// estimated with α and ℓ_0 by minimising the in-sample one-step MSE:
//   μ_t = ℓ_{t−1} + (1 − 1/θ)·((1−α)^{t−1}·A_n + (1 − (1−α)^t)/α · B_n),
//   ℓ_t = α·y_t + (1−α)·ℓ_{t−1},
//   ŷ_{n+h} = ℓ_n + (1 − 1/θ)·((1−α)^n·A_n + (h − 1 + (1 − (1−α)^{n+1})/α)·B_n),
// with A_n, B_n the intercept and slope of y on t = 1..n.
//
// Both first remove seasonality with a classical multiplicative decomposition
// when the thetaf seasonality test says so (additive when the series has
// zeros or negatives) and reseasonalise the forecasts. Intervals are those
// of the underlying SES-with-drift state-space model, σ²(1 + α²(h − 1)),
// reseasonalised.
//
//   absl::StatusOr<ThetaFit> fit = FitTheta(y, /*period=*/12, ThetaVariant::kOptimized);
//   ForecastPath path = ForecastTheta(*fit, /*horizon=*/12, /*confidence=*/0.8);
//   ThetaDetail(*fit);  // "OTM theta=2.61 alpha=0.35, seasonal (multiplicative)"
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "services/forecast/domain/series_math.h"

namespace salesops::forecast {

enum class ThetaVariant { kStandard, kOptimized };

inline constexpr int kThetaMinObservations = 5;

struct ThetaFit {
  ThetaVariant variant = ThetaVariant::kStandard;
  int n = 0;
  bool seasonal = false;
  Decomposition decomposition;  // meaningful when seasonal
  double alpha = 0;
  double theta = 2;
  double level0 = 0;  // ℓ_0
  double level = 0;   // ℓ_n
  Line line;          // A_n, B_n on t = 1..n of the seasonally adjusted series
  double sigma2 = 0;  // one-step error variance of the adjusted series
  double mse = 0;     // in-sample one-step MSE (adjusted series)
};

// Errors: INVALID_ARGUMENT "period" (< 1); FAILED_PRECONDITION "values" with
// fewer than kThetaMinObservations points.
absl::StatusOr<ThetaFit> FitTheta(absl::Span<const double> y, int period, ThetaVariant variant);

ForecastPath ForecastTheta(const ThetaFit& fit, int horizon, double confidence);

// "Theta alpha=0.42 drift=1.3" or "OTM theta=2.61 alpha=0.35", plus ", seasonal
// (multiplicative)" when deseasonalised.
std::string ThetaDetail(const ThetaFit& fit);

}  // namespace salesops::forecast
