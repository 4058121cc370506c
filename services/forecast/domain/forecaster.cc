#include "services/forecast/domain/forecaster.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/forecast/domain/ets.h"
#include "services/forecast/domain/theta.h"

namespace salesops::forecast {
namespace {

// Below these lengths no model is fitted (see the header).
constexpr int kMeanBelow = 3;
constexpr int kNaiveBelow = 5;
// Back-test: at most this many origins.
constexpr int kBacktestOrigins = 3;

constexpr EtsSpec kAnn{ErrorType::kAdditive, TrendType::kNone, SeasonType::kNone};
constexpr EtsSpec kAan{ErrorType::kAdditive, TrendType::kAdditive, SeasonType::kNone};
constexpr EtsSpec kAadn{ErrorType::kAdditive, TrendType::kDamped, SeasonType::kNone};
constexpr EtsSpec kAna{ErrorType::kAdditive, TrendType::kNone, SeasonType::kAdditive};
constexpr EtsSpec kAaa{ErrorType::kAdditive, TrendType::kAdditive, SeasonType::kAdditive};
constexpr EtsSpec kAada{ErrorType::kAdditive, TrendType::kDamped, SeasonType::kAdditive};
constexpr EtsSpec kMnm{ErrorType::kMultiplicative, TrendType::kNone, SeasonType::kMultiplicative};
constexpr EtsSpec kMam{ErrorType::kMultiplicative, TrendType::kAdditive,
                       SeasonType::kMultiplicative};
constexpr EtsSpec kMadm{ErrorType::kMultiplicative, TrendType::kDamped,
                        SeasonType::kMultiplicative};

struct ModelResult {
  Method method = Method::kNaive;
  std::string detail;
  ForecastPath path;
};

Method MethodForSpec(const EtsSpec& spec) {
  if (spec.season == SeasonType::kAdditive) {
    return Method::kHwAdditive;
  }
  if (spec.season == SeasonType::kMultiplicative) {
    return Method::kHwMultiplicative;
  }
  if (spec.trend == TrendType::kDamped) {
    return Method::kDamped;
  }
  return spec.trend == TrendType::kAdditive ? Method::kHolt : Method::kSes;
}

ModelResult NaiveModel(absl::Span<const double> y, int horizon, double confidence) {
  const int n = static_cast<int>(y.size());
  double sum_squares = 0;
  for (int t = 1; t < n; ++t) {
    sum_squares += (y[t] - y[t - 1]) * (y[t] - y[t - 1]);
  }
  const double sigma2 = n > 1 ? sum_squares / (n - 1) : 0.0;
  const double z = CentralZ(confidence);
  ModelResult r{Method::kNaive, absl::StrCat("naive (last value) of ", n, " observations"), {}};
  for (int h = 1; h <= horizon; ++h) {
    const double sd = std::sqrt(sigma2 * h);  // random walk: variance grows with h
    r.path.mean.push_back(y.back());
    r.path.lo.push_back(y.back() - z * sd);
    r.path.hi.push_back(y.back() + z * sd);
  }
  return r;
}

ModelResult MeanModel(absl::Span<const double> y, int horizon, double confidence) {
  const int n = static_cast<int>(y.size());
  const double mean = Mean(y);
  double sum_squares = 0;
  for (double v : y) {
    sum_squares += (v - mean) * (v - mean);
  }
  // Prediction sd of a new observation around a sample mean; none from one point.
  const double sd = n > 1 ? std::sqrt(sum_squares / (n - 1) * (1 + 1.0 / n)) : 0.0;
  const double z = CentralZ(confidence);
  ModelResult r{Method::kMean, absl::StrCat("mean of ", n, " observations"), {}};
  r.path.mean.assign(horizon, mean);
  r.path.lo.assign(horizon, mean - z * sd);
  r.path.hi.assign(horizon, mean + z * sd);
  return r;
}

absl::StatusOr<ModelResult> EtsModel(absl::Span<const double> y, const EtsSpec& spec, int period,
                                     int horizon, double confidence) {
  absl::StatusOr<EtsFit> fit = FitEts(y, spec, period);
  if (!fit.ok()) {
    return fit.status();
  }
  return ModelResult{MethodForSpec(spec), EtsDetail(*fit), ForecastEts(*fit, horizon, confidence)};
}

absl::StatusOr<ModelResult> ThetaModel(absl::Span<const double> y, ThetaVariant variant, int period,
                                       int horizon, double confidence) {
  absl::StatusOr<ThetaFit> fit = FitTheta(y, period, variant);
  if (!fit.ok()) {
    return fit.status();
  }
  return ModelResult{variant == ThetaVariant::kStandard ? Method::kTheta : Method::kOptimizedTheta,
                     ThetaDetail(*fit), ForecastTheta(*fit, horizon, confidence)};
}

// The ETS models the automatic choice considers, in order of simplicity.
std::vector<EtsSpec> AutoSpecs(absl::Span<const double> y, int period) {
  // Multiplicative errors only where they change the point forecast (with
  // multiplicative seasonality); non-seasonal M-error models forecast like
  // their A-error twins and did not improve the back-tested accuracy.
  std::vector<EtsSpec> candidates = {kAnn, kAan, kAadn, kAna, kAaa, kAada, kMnm, kMam, kMadm};
  std::vector<EtsSpec> out;
  for (const EtsSpec& spec : candidates) {
    if (CheckEtsApplicable(y, spec, period).ok()) {
      out.push_back(spec);
    }
  }
  return out;
}

// The lowest-AICc ETS fit among `specs`; nullopt when none fits. A damped
// model starts its search from its undamped twin's estimates when that was
// fitted first (the candidate order ensures it).
std::optional<EtsFit> BestByAicc(absl::Span<const double> y, const std::vector<EtsSpec>& specs,
                                 int period) {
  std::optional<EtsFit> best;
  std::vector<EtsFit> fitted;
  for (const EtsSpec& spec : specs) {
    const EtsParameters* warm = nullptr;
    if (spec.trend == TrendType::kDamped) {
      for (const EtsFit& f : fitted) {
        if (f.spec.error == spec.error && f.spec.season == spec.season &&
            f.spec.trend == TrendType::kAdditive) {
          warm = &f.params;
        }
      }
    }
    absl::StatusOr<EtsFit> fit = FitEts(y, spec, period, warm);
    if (!fit.ok()) {
      continue;
    }
    if (std::isfinite(fit->aicc) && (!best || fit->aicc < best->aicc)) {
      best = *fit;
    }
    fitted.push_back(*std::move(fit));
  }
  return best;
}

// Point forecasts of `spec` refitted on a prefix; the spec loses its
// seasonality, then its trend, when the prefix is too short for it.
std::optional<std::vector<double>> EtsMeans(absl::Span<const double> prefix, EtsSpec spec,
                                            const EtsParameters& warm, int period, int steps) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    // The full-data estimates are a good start for the refit on a prefix.
    absl::StatusOr<EtsFit> fit = FitEts(prefix, spec, period, &warm);
    if (fit.ok()) {
      return EtsPointForecast(*fit, steps);
    }
    if (spec.season != SeasonType::kNone) {
      spec.season = SeasonType::kNone;
    } else {
      spec = kAnn;
    }
  }
  return std::nullopt;
}

std::optional<std::vector<double>> ThetaMeans(absl::Span<const double> prefix, ThetaVariant variant,
                                              int period, int steps) {
  absl::StatusOr<ThetaFit> fit = FitTheta(prefix, period, variant);
  if (!fit.ok()) {
    return std::nullopt;
  }
  return ForecastTheta(*fit, steps, 0.8).mean;
}

// Scale of the back-test errors: in-sample MAE of the seasonal naive forecast
// (naive when the series is shorter than two seasons), as in MASE.
double ErrorScale(absl::Span<const double> y, int period) {
  const int n = static_cast<int>(y.size());
  const int lag = (period > 1 && n > 2 * period) ? period : 1;
  double sum = 0;
  int count = 0;
  for (int t = lag; t < n; ++t) {
    sum += std::fabs(y[t] - y[t - lag]);
    ++count;
  }
  double scale = count > 0 ? sum / count : 0.0;
  if (scale <= 0) {
    scale = std::fabs(Mean(y));
  }
  return scale > 0 ? scale : 1.0;
}

ForecastPath MeanOfPaths(const std::vector<const ForecastPath*>& paths) {
  ForecastPath out;
  const size_t horizon = paths.front()->mean.size();
  out.mean.assign(horizon, 0.0);
  out.lo.assign(horizon, 0.0);
  out.hi.assign(horizon, 0.0);
  for (const ForecastPath* p : paths) {
    for (size_t h = 0; h < horizon; ++h) {
      out.mean[h] += p->mean[h] / paths.size();
      out.lo[h] += p->lo[h] / paths.size();
      out.hi[h] += p->hi[h] / paths.size();
    }
  }
  return out;
}

// An explicitly requested method, falling back while it does not apply.
absl::StatusOr<ModelResult> ExplicitModel(absl::Span<const double> y, Method method, int period,
                                          int horizon, double confidence) {
  std::string why;
  if (method == Method::kTheta || method == Method::kOptimizedTheta) {
    return ThetaModel(y,
                      method == Method::kTheta ? ThetaVariant::kStandard : ThetaVariant::kOptimized,
                      period, horizon, confidence);
  }
  if (method == Method::kEnsemble) {
    std::optional<EtsFit> ets = BestByAicc(y, AutoSpecs(y, period), period);
    absl::StatusOr<ModelResult> theta =
        ThetaModel(y, ThetaVariant::kStandard, period, horizon, confidence);
    absl::StatusOr<ModelResult> otheta =
        ThetaModel(y, ThetaVariant::kOptimized, period, horizon, confidence);
    if (!ets || !theta.ok() || !otheta.ok()) {
      return absl::FailedPreconditionError("values: too short for the ensemble");
    }
    const ForecastPath ets_path = ForecastEts(*ets, horizon, confidence);
    return ModelResult{
        Method::kEnsemble,
        absl::StrCat("mean of ", EtsDetail(*ets), "; ", theta->detail, "; ", otheta->detail),
        MeanOfPaths({&ets_path, &theta->path, &otheta->path})};
  }
  if (method == Method::kNaive) {
    return NaiveModel(y, horizon, confidence);
  }
  if (method == Method::kMean) {
    return MeanModel(y, horizon, confidence);
  }
  std::vector<EtsSpec> chain;
  switch (method) {
    case Method::kHwMultiplicative:
      chain = {kMam, kAaa, kAadn, kAan, kAnn};
      break;
    case Method::kHwAdditive:
      chain = {kAaa, kAadn, kAan, kAnn};
      break;
    case Method::kDamped:
      chain = {kAadn, kAan, kAnn};
      break;
    case Method::kHolt:
      chain = {kAan, kAnn};
      break;
    default:
      chain = {kAnn};
      break;
  }
  for (const EtsSpec& spec : chain) {
    absl::StatusOr<ModelResult> r = EtsModel(y, spec, period, horizon, confidence);
    if (r.ok()) {
      if (!why.empty()) {
        r->detail = absl::StrCat(why, r->detail);
      }
      return r;
    }
    absl::StrAppend(&why, MethodName(MethodForSpec(spec)), " not applicable (",
                    r.status().message(), "); ");
  }
  ModelResult naive = NaiveModel(y, horizon, confidence);
  naive.detail = absl::StrCat(why, naive.detail);
  return naive;
}

// Automatic choice: AICc within ETS, back-test across families.
ModelResult AutoModel(absl::Span<const double> y, int period, int horizon, double confidence,
                      std::vector<std::pair<Method, double>>* backtest) {
  const int n = static_cast<int>(y.size());
  std::optional<EtsFit> ets = BestByAicc(y, AutoSpecs(y, period), period);
  if (!ets) {
    ModelResult r = NaiveModel(y, horizon, confidence);
    r.detail = absl::StrCat("no ETS model applies; ", r.detail);
    return r;
  }
  // The ETS interval may need simulation: computed only if ETS is used.
  ModelResult ets_result{MethodForSpec(ets->spec), EtsDetail(*ets), {}};
  auto with_ets_path = [&]() -> ModelResult& {
    ets_result.path = ForecastEts(*ets, horizon, confidence);
    return ets_result;
  };
  absl::StatusOr<ModelResult> theta =
      ThetaModel(y, ThetaVariant::kStandard, period, horizon, confidence);
  absl::StatusOr<ModelResult> otheta =
      ThetaModel(y, ThetaVariant::kOptimized, period, horizon, confidence);

  const int holdout = std::min(horizon, n / 3);
  const int origins = std::min(kBacktestOrigins, holdout);
  if (!theta.ok() || !otheta.ok() || origins < 1 || n - holdout < kNaiveBelow) {
    ets_result.detail = absl::StrCat(ets_result.detail, "; too short to back-test");
    return with_ets_path();
  }
  const int step = std::max(1, holdout / origins);
  const double scale = ErrorScale(y, period);
  double errors[4] = {0, 0, 0, 0};  // ets, theta, otheta, ensemble
  int count = 0;
  for (int k = 0; k < origins; ++k) {
    const int origin = n - holdout + k * step;
    const int steps = n - origin;
    const absl::Span<const double> prefix = y.subspan(0, origin);
    std::optional<std::vector<double>> f[3] = {
        EtsMeans(prefix, ets->spec, ets->params, period, steps),
        ThetaMeans(prefix, ThetaVariant::kStandard, period, steps),
        ThetaMeans(prefix, ThetaVariant::kOptimized, period, steps)};
    if (!f[0] || !f[1] || !f[2]) {
      continue;
    }
    for (int h = 0; h < steps; ++h) {
      const double actual = y[origin + h];
      const double ensemble = ((*f[0])[h] + (*f[1])[h] + (*f[2])[h]) / 3;
      for (int c = 0; c < 3; ++c) {
        errors[c] += std::fabs(actual - (*f[c])[h]) / scale;
      }
      errors[3] += std::fabs(actual - ensemble) / scale;
      ++count;
    }
  }
  if (count == 0) {
    ets_result.detail = absl::StrCat(ets_result.detail, "; back-test failed");
    return with_ets_path();
  }
  const Method methods[4] = {ets_result.method, Method::kTheta, Method::kOptimizedTheta,
                             Method::kEnsemble};
  const char* labels[4] = {"ets", "theta", "otheta", "ensemble"};
  int best = 0;
  std::vector<std::string> parts;
  for (int c = 0; c < 4; ++c) {
    errors[c] /= count;
    backtest->emplace_back(methods[c], errors[c]);
    parts.push_back(absl::StrCat(labels[c], " ", Fixed(errors[c], 3)));
    if (errors[c] < errors[best]) {
      best = c;
    }
  }
  const std::string why =
      absl::StrCat("; back-test MASE ", absl::StrJoin(parts, ", "), " (", count, " points)");
  switch (best) {
    case 0:
      ets_result.detail += why;
      return with_ets_path();
    case 1:
      theta->detail += why;
      return *std::move(theta);
    case 2:
      otheta->detail += why;
      return *std::move(otheta);
    default:
      with_ets_path();
      return ModelResult{Method::kEnsemble,
                         absl::StrCat("mean of ", ets_result.detail, "; ", theta->detail, "; ",
                                      otheta->detail, why),
                         MeanOfPaths({&ets_result.path, &theta->path, &otheta->path})};
  }
}

}  // namespace

absl::string_view MethodName(Method method) {
  switch (method) {
    case Method::kAuto:
      return "auto";
    case Method::kSes:
      return "ses";
    case Method::kHolt:
      return "holt";
    case Method::kDamped:
      return "damped";
    case Method::kHwAdditive:
      return "hw_add";
    case Method::kHwMultiplicative:
      return "hw_mul";
    case Method::kTheta:
      return "theta";
    case Method::kOptimizedTheta:
      return "otheta";
    case Method::kEnsemble:
      return "ensemble";
    case Method::kNaive:
      return "naive";
    case Method::kMean:
      return "mean";
  }
  return "unknown";
}

std::optional<Method> ParseMethod(absl::string_view name) {
  for (Method m : {Method::kAuto, Method::kSes, Method::kHolt, Method::kDamped, Method::kHwAdditive,
                   Method::kHwMultiplicative, Method::kTheta, Method::kOptimizedTheta,
                   Method::kEnsemble, Method::kNaive, Method::kMean}) {
    if (MethodName(m) == name) {
      return m;
    }
  }
  return std::nullopt;
}

absl::StatusOr<SeriesForecast> ForecastSeries(absl::Span<const double> y,
                                              const ForecastOptions& options) {
  if (options.horizon < 1) {
    return absl::InvalidArgumentError(absl::StrCat("horizon: must be >= 1, got ", options.horizon));
  }
  if (options.seasonal_period < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("seasonal_period: must be >= 1, got ", options.seasonal_period));
  }
  if (!(options.confidence > 0 && options.confidence < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("confidence: must be in (0, 1), got ", options.confidence));
  }
  if (y.empty()) {
    return absl::InvalidArgumentError("values: the series is empty");
  }
  for (size_t i = 0; i < y.size(); ++i) {
    if (!std::isfinite(y[i])) {
      return absl::InvalidArgumentError(absl::StrCat("values[", i, "]: must be finite"));
    }
  }
  const int n = static_cast<int>(y.size());
  const int horizon = options.horizon;
  const double confidence = options.confidence;
  const int period = options.seasonal_period;
  const bool non_negative = std::all_of(y.begin(), y.end(), [](double v) { return v >= 0; });
  const bool constant = std::all_of(y.begin(), y.end(), [&](double v) { return v == y[0]; });

  SeriesForecast out;
  ModelResult result;
  if (n < kMeanBelow) {
    result = MeanModel(y, horizon, confidence);
    result.detail += " (too short for a model)";
  } else if (constant) {
    result = NaiveModel(y, horizon, confidence);
    result.detail = "constant series";
  } else if (n < kNaiveBelow) {
    result = NaiveModel(y, horizon, confidence);
    result.detail += " (too short for a model)";
  } else if (options.method == Method::kAuto) {
    result = AutoModel(y, period, horizon, confidence, &out.backtest);
  } else {
    absl::StatusOr<ModelResult> r = ExplicitModel(y, options.method, period, horizon, confidence);
    if (!r.ok()) {
      result = NaiveModel(y, horizon, confidence);
      result.detail = absl::StrCat(MethodName(options.method), " not applicable (",
                                   r.status().message(), "); ", result.detail);
    } else {
      result = *std::move(r);
    }
  }
  if (non_negative) {
    for (std::vector<double>* v : {&result.path.mean, &result.path.lo, &result.path.hi}) {
      for (double& x : *v) {
        x = std::max(x, 0.0);
      }
    }
  }
  out.method = result.method;
  out.detail = std::move(result.detail);
  out.path = std::move(result.path);
  return out;
}

}  // namespace salesops::forecast
