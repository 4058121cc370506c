#include "services/forecast/domain/ets.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/forecast/domain/optimizer.h"

namespace salesops::forecast {
namespace {

constexpr double kPenalty = 1e100;
constexpr double kParamLow = 1e-4;
constexpr double kParamHigh = 0.9999;
constexpr double kPhiLow = 0.8;
constexpr double kPhiHigh = 0.98;
constexpr int kSimulatedPaths = 1000;
constexpr int kInitialSeasons = 3;
constexpr uint64_t kSimulationSeed = 20240615;

// Standard normal draws for the simulated intervals: splitmix64 uniforms
// through the polar method. Deterministic for a seed on every platform (unlike
// std::normal_distribution) and a few times cheaper.
class NormalStream {
 public:
  explicit NormalStream(uint64_t seed) : state_(seed) {}

  double Next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    // Marsaglia's polar method: no trigonometry, one log per pair.
    double u, v, s;
    do {
      u = 2 * Uniform() - 1;
      v = 2 * Uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    const double factor = std::sqrt(-2 * std::log(s) / s);
    spare_ = v * factor;
    has_spare_ = true;
    return u * factor;
  }

 private:
  // Uniform on (0, 1].
  double Uniform() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return static_cast<double>((z >> 11) + 1) * 0x1.0p-53;
  }

  uint64_t state_;
  double spare_ = 0;
  bool has_spare_ = false;
};

bool HasTrend(const EtsSpec& s) { return s.trend != TrendType::kNone; }
bool HasSeason(const EtsSpec& s) { return s.season != SeasonType::kNone; }
bool NeedsPositive(const EtsSpec& s) {
  return s.error == ErrorType::kMultiplicative || s.season == SeasonType::kMultiplicative;
}

struct FilterResult {
  bool ok = false;
  double sse = 0;         // Σ e² (additive error) or Σ ε² (multiplicative error)
  double sum_log_mu = 0;  // Σ log μ_t, multiplicative error only
};

// The model's shape is a template so the inner loop has no per-step
// branches on it: a fit evaluates the recursion a few hundred times.
template <bool kMultError, TrendType kTrend, SeasonType kSeason>
FilterResult FilterImpl(absl::Span<const double> y, int period, const EtsParameters& p,
                        double* level, double* trend, double* season, double* fitted) {
  FilterResult r;
  constexpr bool kHasTrend = kTrend != TrendType::kNone;
  const double phi = kTrend == TrendType::kDamped ? p.phi : 1.0;
  const double alpha = p.alpha;
  const double beta = p.beta;
  const double gamma = p.gamma;
  double l = *level;
  double b = kHasTrend ? *trend : 0.0;
  // Σ log μ_t as the log of running products, renormalised every few steps
  // (one log per block instead of one per observation).
  double product = 1;
  int in_product = 0;
  int j = 0;  // position in the season
  const size_t n = y.size();
  for (size_t t = 0; t < n; ++t) {
    const double phib = kHasTrend ? phi * b : 0.0;
    const double total = l + phib;
    double mu = total;
    double s = 0;
    if constexpr (kSeason == SeasonType::kAdditive) {
      s = season[j];
      mu = total + s;
    } else if constexpr (kSeason == SeasonType::kMultiplicative) {
      s = season[j];
      if (!(total > 0 && s > 0)) {
        return r;
      }
      mu = total * s;
    }
    if (fitted != nullptr) {
      fitted[t] = mu;
    }
    const double e = y[t] - mu;
    if constexpr (kMultError) {
      if (!(mu > 0)) {
        return r;
      }
      const double eps = e / mu;
      r.sse += eps * eps;
      product *= mu;
      if (++in_product == 16) {
        r.sum_log_mu += std::log(product);
        product = 1;
        in_product = 0;
      }
    } else {
      r.sse += e * e;
    }
    if constexpr (kSeason == SeasonType::kMultiplicative) {
      const double e_s = e / s;
      l = total + alpha * e_s;
      if constexpr (kHasTrend) {
        b = phib + beta * e_s;
      }
      season[j] = s + gamma * e / total;
    } else {
      l = total + alpha * e;
      if constexpr (kHasTrend) {
        b = phib + beta * e;
      }
      if constexpr (kSeason == SeasonType::kAdditive) {
        season[j] = s + gamma * e;
      }
    }
    if (++j == period) {
      j = 0;
    }
  }
  if (kMultError) {
    r.sum_log_mu += std::log(product);
  }
  if (!std::isfinite(l) || !std::isfinite(b) || !std::isfinite(r.sse)) {
    return r;
  }
  *level = l;
  *trend = kHasTrend ? b : 0.0;
  r.ok = true;
  return r;
}

template <bool kMultError, TrendType kTrend>
FilterResult FilterSeason(absl::Span<const double> y, const EtsSpec& spec, int period,
                          const EtsParameters& p, double* level, double* trend, double* season,
                          double* fitted) {
  switch (spec.season) {
    case SeasonType::kNone:
      return FilterImpl<kMultError, kTrend, SeasonType::kNone>(y, period, p, level, trend, season,
                                                               fitted);
    case SeasonType::kAdditive:
      return FilterImpl<kMultError, kTrend, SeasonType::kAdditive>(y, period, p, level, trend,
                                                                   season, fitted);
    case SeasonType::kMultiplicative:
      return FilterImpl<kMultError, kTrend, SeasonType::kMultiplicative>(y, period, p, level, trend,
                                                                         season, fitted);
  }
  return FilterResult{};
}

template <bool kMultError>
FilterResult FilterTrend(absl::Span<const double> y, const EtsSpec& spec, int period,
                         const EtsParameters& p, double* level, double* trend, double* season,
                         double* fitted) {
  switch (spec.trend) {
    case TrendType::kNone:
      return FilterSeason<kMultError, TrendType::kNone>(y, spec, period, p, level, trend, season,
                                                        fitted);
    case TrendType::kAdditive:
      return FilterSeason<kMultError, TrendType::kAdditive>(y, spec, period, p, level, trend,
                                                            season, fitted);
    case TrendType::kDamped:
      return FilterSeason<kMultError, TrendType::kDamped>(y, spec, period, p, level, trend, season,
                                                          fitted);
  }
  return FilterResult{};
}

// The ETS recursions with e = y - μ written in their "error correction" form,
// which is the same for additive and multiplicative errors (only the
// likelihood differs). `season` holds one state per position and is updated
// in place; `fitted` may be null. A multiplicative model that reaches a
// non-positive prediction, or any non-finite state, returns ok = false.
FilterResult Filter(absl::Span<const double> y, const EtsSpec& spec, int period,
                    const EtsParameters& p, double* level, double* trend, double* season,
                    double* fitted) {
  return spec.error == ErrorType::kMultiplicative
             ? FilterTrend<true>(y, spec, period, p, level, trend, season, fitted)
             : FilterTrend<false>(y, spec, period, p, level, trend, season, fitted);
}

// -2 log L without the constant n(log 2π + 1), as a function of the filter output.
double Objective(const FilterResult& r, size_t n) {
  if (!r.ok) {
    return kPenalty;
  }
  const double sse = std::max(r.sse, 1e-300);
  return n * std::log(sse / n) + 2 * r.sum_log_mu;
}

// Season index at time t (0-based) for a state vector that was rotated by n
// observations: positions are absolute, so it is simply t % period.
int Position(int t, int period) { return period > 0 ? t % period : 0; }

}  // namespace

std::string EtsSpec::Name() const {
  const char* e = error == ErrorType::kAdditive ? "A" : "M";
  const char* t = trend == TrendType::kNone ? "N" : (trend == TrendType::kAdditive ? "A" : "Ad");
  const char* s = season == SeasonType::kNone ? "N" : (season == SeasonType::kAdditive ? "A" : "M");
  return absl::StrCat("ETS(", e, ",", t, ",", s, ")");
}

int EtsParameterCount(const EtsSpec& spec, int period) {
  int k = 1 + 1 + 1;  // alpha, initial level, innovation variance
  if (HasTrend(spec)) {
    k += 2;  // beta, initial trend
  }
  if (spec.trend == TrendType::kDamped) {
    k += 1;  // phi
  }
  if (HasSeason(spec)) {
    // gamma only: the initial seasonal states come from a classical
    // decomposition, not from maximising the likelihood, so they are not
    // counted (as statsmodels does for heuristic initialisation).
    k += 1;
  }
  return k;
}

absl::Status CheckEtsApplicable(absl::Span<const double> y, const EtsSpec& spec, int period) {
  const int n = static_cast<int>(y.size());
  if (spec.error == ErrorType::kAdditive && spec.season == SeasonType::kMultiplicative) {
    return absl::FailedPreconditionError(
        "spec: additive errors with multiplicative seasonality are not supported (unstable)");
  }
  if (HasSeason(spec)) {
    if (period < 2) {
      return absl::FailedPreconditionError(
          absl::StrCat("period: seasonal models need a period of at least 2, got ", period));
    }
    if (n < 2 * period) {
      return absl::FailedPreconditionError(
          absl::StrCat("values: ", spec.Name(), " needs ", 2 * period, " observations, got ", n));
    }
  }
  if (NeedsPositive(spec)) {
    for (double v : y) {
      if (!(v > 0)) {
        return absl::FailedPreconditionError(
            absl::StrCat("values: ", spec.Name(), " needs strictly positive values"));
      }
    }
  }
  const int k = EtsParameterCount(spec, period);
  if (n <= k + 1) {
    return absl::FailedPreconditionError(absl::StrCat("values: ", spec.Name(), " needs more than ",
                                                      k + 1, " observations, got ", n));
  }
  return absl::OkStatus();
}

absl::StatusOr<EtsFit> EvaluateEts(absl::Span<const double> y, const EtsSpec& spec, int period,
                                   const EtsParameters& params, const EtsStates& initial) {
  const int m = HasSeason(spec) ? period : 1;
  EtsFit fit;
  fit.spec = spec;
  fit.period = period;
  fit.params = params;
  if (!HasTrend(spec)) {
    fit.params.beta = 0;
  }
  if (!HasSeason(spec)) {
    fit.params.gamma = 0;
  }
  if (spec.trend != TrendType::kDamped) {
    fit.params.phi = 1;
  }
  fit.initial = initial;
  if (!HasTrend(spec)) {
    fit.initial.trend = 0;
  }
  if (HasSeason(spec)) {
    if (static_cast<int>(initial.season.size()) != m) {
      return absl::InvalidArgumentError("initial.season: needs one state per position");
    }
  } else {
    fit.initial.season.clear();
  }
  fit.n = static_cast<int>(y.size());
  fit.fitted.assign(y.size(), 0.0);
  fit.final = fit.initial;
  const FilterResult r =
      Filter(y, spec, m, fit.params, &fit.final.level, &fit.final.trend,
             HasSeason(spec) ? fit.final.season.data() : nullptr, fit.fitted.data());
  if (!r.ok) {
    return absl::FailedPreconditionError(
        absl::StrCat("values: ", spec.Name(), " reached a non-positive or non-finite state"));
  }
  const int n = fit.n;
  fit.num_parameters = EtsParameterCount(spec, period);
  const int k = fit.num_parameters;
  const double sigma2_mle = std::max(r.sse, 1e-300) / n;
  const int seasonal_states = HasSeason(spec) ? m - 1 : 0;
  fit.sigma2 = r.sse / std::max(1, n - (k - 1) - seasonal_states);
  fit.log_likelihood = -0.5 * n * (std::log(2 * std::numbers::pi * sigma2_mle) + 1) - r.sum_log_mu;
  fit.aic = -2 * fit.log_likelihood + 2 * k;
  fit.aicc = n - k - 1 > 0 ? fit.aic + 2.0 * k * (k + 1) / (n - k - 1) : fit.aic + 1e10;
  fit.bic = fit.aic + k * (std::log(static_cast<double>(n)) - 2);
  return fit;
}

absl::StatusOr<EtsFit> FitEts(absl::Span<const double> y, const EtsSpec& spec, int period,
                              const EtsParameters* warm_start) {
  if (period < 1) {
    return absl::InvalidArgumentError(absl::StrCat("period: must be >= 1, got ", period));
  }
  if (absl::Status s = CheckEtsApplicable(y, spec, period); !s.ok()) {
    return s;
  }
  const int n = static_cast<int>(y.size());
  const bool seasonal = HasSeason(spec);
  const int m = seasonal ? period : 1;

  // Heuristic initial states (Hyndman et al. 2008, §2.6.1): seasonal indices
  // from a classical decomposition, level and trend from a line through the
  // first seasonally adjusted values.
  EtsStates initial;
  std::vector<double> adjusted(y.begin(), y.end());
  if (seasonal) {
    // The first few seasons only: a decomposition of the whole series would
    // hand the initial states the later seasons' pattern, shrink gamma to
    // zero and the residuals with it (intervals then cover too little).
    const size_t head_length = std::min<size_t>(y.size(), kInitialSeasons * m);
    const Decomposition d = ClassicalDecomposition(y.subspan(0, head_length), m,
                                                   spec.season == SeasonType::kMultiplicative);
    initial.season = d.indices;
    adjusted = SeasonallyAdjust(y, d);
  }
  const int head = std::min(n, std::max(10, seasonal ? 2 * m : 0));
  const absl::Span<const double> first(adjusted.data(), head);
  if (HasTrend(spec)) {
    const Line line = FitLine(first, 1.0);
    initial.level = line.intercept;
    initial.trend = line.slope;
  } else {
    initial.level = Mean(first);
  }
  double y_min = y[0];
  double y_max = y[0];
  for (double v : y) {
    y_min = std::min(y_min, v);
    y_max = std::max(y_max, v);
  }
  double range = y_max - y_min;
  if (range <= 0) {
    range = std::max(1.0, std::fabs(y_max));
  }

  // Parameter vector: alpha, beta* (beta = beta*·alpha), gamma* (gamma =
  // gamma*·(1 - alpha)), phi, initial level, initial trend — present ones only.
  // The starred forms turn the "usual" region into a box.
  std::vector<double> start, lower, upper;
  auto add = [&](double s, double lo, double hi) {
    start.push_back(s);
    lower.push_back(lo);
    upper.push_back(hi);
  };
  const int i_alpha = 0;
  const double alpha0 = warm_start != nullptr ? warm_start->alpha : (seasonal ? 0.2 : 0.3);
  add(alpha0, kParamLow, kParamHigh);
  int i_beta = -1, i_gamma = -1, i_phi = -1, i_level = -1, i_trend = -1;
  if (HasTrend(spec)) {
    i_beta = static_cast<int>(start.size());
    add(warm_start != nullptr && warm_start->beta > 0 ? warm_start->beta / alpha0 : 0.1, kParamLow,
        kParamHigh);
  }
  if (seasonal) {
    i_gamma = static_cast<int>(start.size());
    add(warm_start != nullptr && warm_start->gamma > 0 ? warm_start->gamma / (1 - alpha0) : 0.1,
        kParamLow, kParamHigh);
  }
  if (spec.trend == TrendType::kDamped) {
    i_phi = static_cast<int>(start.size());
    add(warm_start != nullptr && warm_start->phi < 1 ? warm_start->phi : 0.95, kPhiLow, kPhiHigh);
  }
  i_level = static_cast<int>(start.size());
  double level_low = initial.level - 0.5 * range;
  if (NeedsPositive(spec)) {
    level_low = std::max(level_low, 1e-3 * y_min);
  }
  add(initial.level, level_low, std::max(level_low, initial.level + 0.5 * range));
  if (HasTrend(spec)) {
    i_trend = static_cast<int>(start.size());
    add(initial.trend, initial.trend - 0.25 * range, initial.trend + 0.25 * range);
  }

  auto unpack = [&](absl::Span<const double> x, EtsParameters* p, double* level, double* trend) {
    p->alpha = x[i_alpha];
    p->beta = i_beta >= 0 ? x[i_beta] * p->alpha : 0.0;
    p->gamma = i_gamma >= 0 ? x[i_gamma] * (1 - p->alpha) : 0.0;
    p->phi = i_phi >= 0 ? x[i_phi] : 1.0;
    *level = x[i_level];
    *trend = i_trend >= 0 ? x[i_trend] : 0.0;
  };
  std::vector<double> season_work(seasonal ? m : 0);
  auto objective = [&](absl::Span<const double> x) {
    EtsParameters p;
    double level, trend;
    unpack(x, &p, &level, &trend);
    if (seasonal) {
      std::copy(initial.season.begin(), initial.season.end(), season_work.begin());
    }
    return Objective(
        Filter(y, spec, m, p, &level, &trend, seasonal ? season_work.data() : nullptr, nullptr),
        y.size());
  };
  NelderMeadOptions options;
  // Differences below 1e-5 (relative) in -2 log L — a few thousandths of an
  // AICc point — change neither a forecast nor a model choice measurably; a
  // looser stop keeps a fit well under a millisecond.
  options.max_evaluations = 200 + 150 * static_cast<int>(start.size());
  options.tolerance = 1e-5;
  if (warm_start != nullptr) {
    options.step_fraction = 0.05;  // already near the optimum
  }
  options.restarts = 0;
  const Minimum best = MinimizeNelderMead(objective, start, lower, upper, options);
  EtsParameters params;
  unpack(best.x, &params, &initial.level, &initial.trend);
  return EvaluateEts(y, spec, period, params, initial);
}

std::vector<double> EtsForecastVariance(const EtsFit& fit, int horizon) {
  if (fit.spec.season == SeasonType::kMultiplicative || horizon < 1) {
    return {};
  }
  const EtsParameters& p = fit.params;
  const int m = fit.period;
  const bool seasonal = HasSeason(fit.spec);
  // c_j = alpha + beta·(phi + … + phi^j) + gamma·[j ≡ 0 mod m]: the weight of
  // one innovation j steps later (Hyndman et al. 2008, ch. 6).
  std::vector<double> c(horizon, 0.0);
  double phi_sum = 0;
  double phi_power = 1;
  for (int j = 1; j < horizon; ++j) {
    phi_power *= p.phi;
    phi_sum += phi_power;
    c[j] = p.alpha + p.beta * phi_sum + ((seasonal && j % m == 0) ? p.gamma : 0.0);
  }
  std::vector<double> v(horizon, 0.0);
  if (fit.spec.error == ErrorType::kAdditive) {
    double sum = 0;
    for (int h = 1; h <= horizon; ++h) {
      if (h > 1) {
        sum += c[h - 1] * c[h - 1];
      }
      v[h - 1] = fit.sigma2 * (1 + sum);
    }
    return v;
  }
  // Class 2: v_h = (1 + σ²)θ_h − μ_h², θ_h = μ_h² + σ² Σ_{j<h} c_j² θ_{h−j}.
  const std::vector<double> point = EtsPointForecast(fit, horizon);
  std::vector<double> theta(horizon, 0.0);
  for (int h = 1; h <= horizon; ++h) {
    const double mu = point[h - 1];
    double sum = 0;
    for (int j = 1; j < h; ++j) {
      sum += c[j] * c[j] * theta[h - j - 1];
    }
    theta[h - 1] = mu * mu + fit.sigma2 * sum;
    v[h - 1] = (1 + fit.sigma2) * theta[h - 1] - mu * mu;
  }
  return v;
}

std::vector<double> EtsPointForecast(const EtsFit& fit, int horizon) {
  std::vector<double> mean(std::max(horizon, 0));
  const bool seasonal = HasSeason(fit.spec);
  const bool mult_season = fit.spec.season == SeasonType::kMultiplicative;
  const double phi = fit.spec.trend == TrendType::kDamped ? fit.params.phi : 1.0;
  double phi_h = 0;
  double power = 1;
  for (int h = 1; h <= horizon; ++h) {
    power *= phi;
    phi_h += HasTrend(fit.spec) ? power : 0.0;
    const double total = fit.final.level + phi_h * fit.final.trend;
    double mu = total;
    if (seasonal) {
      const double s = fit.final.season[Position(fit.n + h - 1, fit.period)];
      mu = mult_season ? total * s : total + s;
    }
    mean[h - 1] = mu;
  }
  return mean;
}

ForecastPath ForecastEts(const EtsFit& fit, int horizon, double confidence) {
  ForecastPath path;
  if (horizon < 1) {
    return path;
  }
  const EtsParameters& p = fit.params;
  const bool seasonal = HasSeason(fit.spec);
  const bool mult_season = fit.spec.season == SeasonType::kMultiplicative;
  const int m = fit.period;
  const double phi = fit.spec.trend == TrendType::kDamped ? p.phi : 1.0;
  path.mean = EtsPointForecast(fit, horizon);
  path.lo.resize(horizon);
  path.hi.resize(horizon);
  const std::vector<double> variance = EtsForecastVariance(fit, horizon);
  if (!variance.empty()) {
    const double z = CentralZ(confidence);
    for (int h = 0; h < horizon; ++h) {
      const double sd = std::sqrt(std::max(variance[h], 0.0));
      path.lo[h] = path.mean[h] - z * sd;
      path.hi[h] = path.mean[h] + z * sd;
    }
    return path;
  }
  // Class 3: simulate sample paths from the final states with a fixed seed.
  NormalStream normal(kSimulationSeed);
  const double sigma = std::sqrt(std::max(fit.sigma2, 0.0));
  std::vector<std::vector<double>> draws(horizon, std::vector<double>(kSimulatedPaths));
  std::vector<double> season(fit.final.season);
  const bool mult_error = fit.spec.error == ErrorType::kMultiplicative;
  for (int path_index = 0; path_index < kSimulatedPaths; ++path_index) {
    double l = fit.final.level;
    double b = fit.final.trend;
    std::copy(fit.final.season.begin(), fit.final.season.end(), season.begin());
    for (int h = 1; h <= horizon; ++h) {
      const double phib = phi * b;
      const double total = l + phib;
      const int j = Position(fit.n + h - 1, m);
      const double s = seasonal ? season[j] : (mult_season ? 1.0 : 0.0);
      const double mu = mult_season ? total * s : total + s;
      const double eps = sigma * normal.Next();
      const double value = mult_error ? mu * (1 + eps) : mu + eps;
      draws[h - 1][path_index] = value;
      const double e = value - mu;
      if (mult_season && total > 0 && s > 0) {
        l = total + p.alpha * e / s;
        b = phib + p.beta * e / s;
        season[j] = s + p.gamma * e / total;
      } else {
        l = total + p.alpha * e;
        b = phib + p.beta * e;
        if (seasonal) {
          season[j] = s + p.gamma * e;
        }
      }
    }
  }
  const double tail = (1 - confidence) / 2;
  for (int h = 0; h < horizon; ++h) {
    path.lo[h] = SampleQuantile(draws[h], tail);
    path.hi[h] = SampleQuantile(std::move(draws[h]), 1 - tail);
  }
  return path;
}

std::string EtsDetail(const EtsFit& fit) {
  std::string out = absl::StrCat(fit.spec.Name(), " alpha=", Fixed(fit.params.alpha, 2));
  if (HasTrend(fit.spec)) {
    absl::StrAppend(&out, " beta=", Fixed(fit.params.beta, 2));
  }
  if (HasSeason(fit.spec)) {
    absl::StrAppend(&out, " gamma=", Fixed(fit.params.gamma, 2));
  }
  if (fit.spec.trend == TrendType::kDamped) {
    absl::StrAppend(&out, " phi=", Fixed(fit.params.phi, 2));
  }
  absl::StrAppend(&out, " (AICc ", Fixed(fit.aicc, 1), ")");
  return out;
}

}  // namespace salesops::forecast
