// Exponential smoothing as innovations state-space models (ETS, Hyndman et
// al. 2008 "Forecasting with Exponential Smoothing"): simple exponential
// smoothing ETS(A,N,N), Holt ETS(A,A,N), damped Holt ETS(A,Ad,N), additive
// Holt-Winters ETS(A,A,A) / ETS(A,N,A) / ETS(A,Ad,A) and multiplicative
// Holt-Winters ETS(M,A,M) / ETS(M,N,M) / ETS(M,Ad,M), plus the multiplicative
// error versions of the non-seasonal ones.
//
// Smoothing parameters, the initial level and the initial trend are estimated
// by maximum likelihood (Gaussian innovations, bounded Nelder–Mead); the
// initial seasonal states come from a classical decomposition of the first
// three seasons
// (Hyndman et al. 2008, §2.6.1) and stay fixed, which keeps the optimiser in
// ≤ 6 dimensions and a fit well under a millisecond. The information criteria
// count what the likelihood is maximised over (as statsmodels does for
// heuristic initialisation); the interval variance still charges the m − 1
// seasonal states as used degrees of freedom. Bounds ("usual" region):
// 1e-4 ≤ alpha ≤ 0.9999, 1e-4·alpha ≤ beta ≤ alpha, 1e-4·(1-alpha) ≤ gamma ≤
// 1-alpha, 0.8 ≤ phi ≤ 0.98.
//
// Prediction intervals use the analytic forecast variances of model classes 1
// and 2 (Hyndman et al. 2008, ch. 6); multiplicative-seasonal models (class 3)
// have none, so their intervals come from 1,000 simulated sample paths with a
// fixed seed.
//
//   EtsSpec spec{ErrorType::kAdditive, TrendType::kDamped, SeasonType::kNone};
//   absl::StatusOr<EtsFit> fit = FitEts(y, spec, /*period=*/12);
//   if (fit.ok()) {
//     ForecastPath path = ForecastEts(*fit, /*horizon=*/6, /*confidence=*/0.8);
//     // fit->aicc, fit->params.alpha, EtsDetail(*fit) == "ETS(A,Ad,N) alpha=... (AICc ...)"
//   }
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "services/forecast/domain/series_math.h"

namespace salesops::forecast {

enum class ErrorType { kAdditive, kMultiplicative };
enum class TrendType { kNone, kAdditive, kDamped };
enum class SeasonType { kNone, kAdditive, kMultiplicative };

struct EtsSpec {
  ErrorType error = ErrorType::kAdditive;
  TrendType trend = TrendType::kNone;
  SeasonType season = SeasonType::kNone;

  // "ETS(A,Ad,N)".
  std::string Name() const;
  bool operator==(const EtsSpec&) const = default;
};

struct EtsParameters {
  double alpha = 0;
  double beta = 0;   // 0 without trend
  double gamma = 0;  // 0 without seasonality
  double phi = 1;    // 1 unless damped
};

struct EtsStates {
  double level = 0;
  double trend = 0;
  // season[i] is the seasonal state for observations t with t % period == i.
  std::vector<double> season;
};

struct EtsFit {
  EtsSpec spec;
  int period = 1;
  EtsParameters params;
  EtsStates initial;  // before the first observation
  EtsStates final;    // after the last observation
  int n = 0;
  // Quantities counted in the criteria: smoothing parameters, initial
  // level/trend and the innovation variance.
  int num_parameters = 0;
  // Innovation variance (relative for multiplicative errors): the sum of
  // squared errors over n minus every estimated quantity but the variance,
  // the m − 1 free seasonal states included (as R's forecast::ets).
  double sigma2 = 0;
  double log_likelihood = 0;
  double aic = 0;
  double aicc = 0;
  double bic = 0;
  std::vector<double> fitted;  // one-step-ahead predictions, one per observation
};

// Number of estimated quantities (see EtsFit::num_parameters) for a model.
int EtsParameterCount(const EtsSpec& spec, int period);

// Whether a model can be fitted: seasonal models need period >= 2 and two
// full seasons; multiplicative error or seasonality needs strictly positive
// data; AICc needs n > num_parameters + 1. Returns OK or FAILED_PRECONDITION
// ("values: ..." saying why).
absl::Status CheckEtsApplicable(absl::Span<const double> y, const EtsSpec& spec, int period);

// Maximum-likelihood fit. `warm_start`, when given, is where the search for
// the smoothing parameters starts (clamped into the bounds) — e.g. a related
// model's estimates — which saves evaluations; it does not restrict the
// result. Errors: INVALID_ARGUMENT "period" (< 1), FAILED_PRECONDITION from
// CheckEtsApplicable.
absl::StatusOr<EtsFit> FitEts(absl::Span<const double> y, const EtsSpec& spec, int period,
                              const EtsParameters* warm_start = nullptr);

// Runs the state recursions with the given parameters and initial states
// (no estimation) and fills fitted values, final states, sigma2 and the
// criteria. Used by FitEts and by tests that check the recursions by hand.
// FAILED_PRECONDITION when a multiplicative model reaches a non-positive
// prediction or level.
absl::StatusOr<EtsFit> EvaluateEts(absl::Span<const double> y, const EtsSpec& spec, int period,
                                   const EtsParameters& params, const EtsStates& initial);

// Point forecasts only: the state-space conditional mean for classes 1-2, the
// usual point forecast for class 3 (cheap; what back-tests need).
std::vector<double> EtsPointForecast(const EtsFit& fit, int horizon);

// Point forecasts with a central interval at `confidence`.
ForecastPath ForecastEts(const EtsFit& fit, int horizon, double confidence);

// Analytic h-step forecast variances v_1..v_horizon for classes 1 and 2;
// empty for multiplicative seasonality (class 3).
std::vector<double> EtsForecastVariance(const EtsFit& fit, int horizon);

// "ETS(A,Ad,N) alpha=0.42 beta=0.08 phi=0.95 (AICc 312.4)".
std::string EtsDetail(const EtsFit& fit);

}  // namespace salesops::forecast
