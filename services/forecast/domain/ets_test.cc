// Tests for the ETS models: the state recursions against an independent
// component-form Holt-Winters implementation, maximum-likelihood fits against
// scipy, the analytic forecast variances against the closed forms of Hyndman
// et al. (2008, ch. 6), the simulated intervals of multiplicative seasonality,
// the information criteria, and which data each model accepts.
//
// Reference numbers come from a one-off Python script (numpy 2.4, scipy 1.17):
// it runs fpp2's component-form Holt-Winters equations with the same
// parameters, and minimises n·log(SSE) with scipy.optimize L-BFGS-B from
// several starts within the same bounds.
#include "services/forecast/domain/ets.h"

#include <cmath>
#include <random>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::forecast {
namespace {

constexpr EtsSpec kAnn{ErrorType::kAdditive, TrendType::kNone, SeasonType::kNone};
constexpr EtsSpec kAan{ErrorType::kAdditive, TrendType::kAdditive, SeasonType::kNone};
constexpr EtsSpec kAadn{ErrorType::kAdditive, TrendType::kDamped, SeasonType::kNone};
constexpr EtsSpec kAaa{ErrorType::kAdditive, TrendType::kAdditive, SeasonType::kAdditive};
constexpr EtsSpec kAada{ErrorType::kAdditive, TrendType::kDamped, SeasonType::kAdditive};
constexpr EtsSpec kMnn{ErrorType::kMultiplicative, TrendType::kNone, SeasonType::kNone};
constexpr EtsSpec kMam{ErrorType::kMultiplicative, TrendType::kAdditive,
                       SeasonType::kMultiplicative};
constexpr EtsSpec kMadm{ErrorType::kMultiplicative, TrendType::kDamped,
                        SeasonType::kMultiplicative};

// Six years of a quarterly series with trend and seasonality.
const std::vector<double> kQuarterly = {30, 21, 29, 31, 40, 48, 53, 47, 37, 39, 31, 28,
                                        34, 25, 33, 35, 44, 52, 57, 51, 41, 43, 34, 31};

TEST(EtsSpecTest, NamesFollowTheTaxonomy) {
  EXPECT_EQ(kAadn.Name(), "ETS(A,Ad,N)");
  EXPECT_EQ(kMam.Name(), "ETS(M,A,M)");
}

TEST(EvaluateEtsTest, AdditiveHoltWintersMatchesTheComponentForm) {
  EtsParameters p{.alpha = 0.3, .beta = 0.06, .gamma = 0.2, .phi = 1.0};
  EtsStates initial{.level = 30, .trend = 1, .season = {2, -6, 1, 3}};
  absl::StatusOr<EtsFit> fit = EvaluateEts(kQuarterly, kAaa, 4, p, initial);
  ASSERT_TRUE(fit.ok()) << fit.status();
  // First, fifth and last one-step predictions of the component form.
  EXPECT_NEAR(fit->fitted[0], 33.0, 1e-9);
  EXPECT_NEAR(fit->fitted[1], 24.92, 1e-9);
  EXPECT_NEAR(fit->fitted[4], 31.17322048, 1e-9);
  EXPECT_NEAR(fit->fitted[23], 43.869178185513, 1e-9);
  EXPECT_NEAR(fit->final.level, 39.87736698684746, 1e-9);
  EXPECT_NEAR(fit->final.trend, -0.7688019019773744, 1e-9);
  EXPECT_THAT(fit->final.season,
              ::testing::ElementsAre(::testing::DoubleNear(-0.593983516076511, 1e-9),
                                     ::testing::DoubleNear(-1.7584862619607327, 1e-9),
                                     ::testing::DoubleNear(-1.100758667796205, 1e-9),
                                     ::testing::DoubleNear(-2.442777894091108, 1e-9)));
  EXPECT_NEAR(fit->log_likelihood, -92.20742795140733, 1e-8);
}

TEST(EvaluateEtsTest, DampedMultiplicativeHoltWintersMatchesTheComponentForm) {
  EtsParameters p{.alpha = 0.3, .beta = 0.06, .gamma = 0.2, .phi = 0.9};
  EtsStates initial{.level = 30, .trend = 1, .season = {1.05, 0.8, 1.0, 1.15}};
  absl::StatusOr<EtsFit> fit = EvaluateEts(kQuarterly, kMadm, 4, p, initial);
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_NEAR(fit->fitted[0], 32.445, 1e-9);
  EXPECT_NEAR(fit->fitted[1], 24.708548571429, 1e-9);
  EXPECT_NEAR(fit->fitted[23], 43.785047992817, 1e-9);
  EXPECT_NEAR(fit->final.level, 38.47878160588452, 1e-9);
  EXPECT_NEAR(fit->final.trend, -1.0893879580883306, 1e-9);
  EXPECT_NEAR(fit->final.season[3], 0.9775911088735771, 1e-12);
  // Multiplicative errors: the likelihood includes −Σ log μ_t.
  EXPECT_NEAR(fit->log_likelihood, -93.96481784609925, 1e-8);
}

TEST(EvaluateEtsTest, CriteriaFollowTheirDefinitions) {
  EtsParameters p{.alpha = 0.3, .beta = 0.06, .gamma = 0.2, .phi = 1.0};
  EtsStates initial{.level = 30, .trend = 1, .season = {2, -6, 1, 3}};
  absl::StatusOr<EtsFit> fit = EvaluateEts(kQuarterly, kAaa, 4, p, initial);
  ASSERT_TRUE(fit.ok());
  const double k = fit->num_parameters;  // alpha, beta, gamma, l0, b0, sigma²
  EXPECT_EQ(fit->num_parameters, 6);
  EXPECT_NEAR(fit->aic, -2 * fit->log_likelihood + 2 * k, 1e-9);
  EXPECT_NEAR(fit->aicc, fit->aic + 2 * k * (k + 1) / (24 - k - 1), 1e-9);
  EXPECT_NEAR(fit->bic, -2 * fit->log_likelihood + k * std::log(24.0), 1e-9);
}

TEST(EvaluateEtsTest, MultiplicativeModelRejectsANonPositivePrediction) {
  EtsParameters p{.alpha = 0.9};
  EtsStates initial{.level = -5, .trend = 0, .season = {}};
  EXPECT_EQ(EvaluateEts(std::vector<double>{1, 2, 3, 4, 5, 6}, kMnn, 1, p, initial).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(FitEtsTest, SesMaximumLikelihoodMatchesScipy) {
  const std::vector<double> y = {446.7, 454.5, 455.7, 423.6, 456.3, 440.6, 425.3, 485.1, 506.0,
                                 526.8, 514.3, 494.2, 482.2, 521.1, 447.2, 469.4, 508.3, 520.0};
  absl::StatusOr<EtsFit> fit = FitEts(y, kAnn, 1);
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_NEAR(fit->params.alpha, 0.6060514966018516, 2e-3);
  EXPECT_NEAR(fit->initial.level, 448.68065136439077, 0.5);
  const ForecastPath path = ForecastEts(*fit, 3, 0.8);
  EXPECT_NEAR(path.mean[0], 509.4804445690937, 0.05);
  EXPECT_NEAR(path.mean[2], 509.4804445690937, 0.05);  // SES forecasts are flat
  EXPECT_NEAR(fit->sigma2, 962.3705673838073, 962.37 * 1e-3);
}

TEST(FitEtsTest, HoltMaximumLikelihoodMatchesScipy) {
  const std::vector<double> y = {49.4, 47.7, 48.3, 50.1, 53.4, 54.6, 54.5, 53.9, 56.4, 60.7,
                                 62.2, 60.8, 59.8, 64.0, 65.4, 63.0, 63.8, 62.5, 62.2, 62.3};
  absl::StatusOr<EtsFit> fit = FitEts(y, kAan, 1);
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_NEAR(fit->params.alpha, 0.9999, 1e-3);  // the optimum is on the bound
  const ForecastPath path = ForecastEts(*fit, 5, 0.8);
  EXPECT_NEAR(path.mean[0], 62.97902054932459, 0.02);
  EXPECT_NEAR(path.mean[4], 65.69487109923288, 0.05);
}

TEST(FitEtsTest, EstimatesStayInTheUsualRegion) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0, 5);
  std::vector<double> y;
  for (int t = 0; t < 48; ++t) {
    y.push_back(200 + 2 * t + 30 * std::sin(2 * M_PI * t / 12) + noise(rng));
  }
  for (const EtsSpec& spec : {kAnn, kAan, kAadn, kAaa, kAada, kMam, kMadm}) {
    absl::StatusOr<EtsFit> fit = FitEts(y, spec, 12);
    ASSERT_TRUE(fit.ok()) << spec.Name() << ": " << fit.status();
    const EtsParameters& p = fit->params;
    EXPECT_GE(p.alpha, 1e-4) << spec.Name();
    EXPECT_LE(p.alpha, 0.9999) << spec.Name();
    EXPECT_LE(p.beta, p.alpha + 1e-12) << spec.Name();
    EXPECT_LE(p.gamma, 1 - p.alpha + 1e-12) << spec.Name();
    EXPECT_GE(p.phi, 0.8) << spec.Name();
    EXPECT_LE(p.phi, 1.0) << spec.Name();
  }
}

TEST(FitEtsTest, TheFitIsAtLeastAsLikelyAsTheStartingPoint) {
  const std::vector<double> y = kQuarterly;
  absl::StatusOr<EtsFit> fit = FitEts(y, kAaa, 4);
  ASSERT_TRUE(fit.ok());
  // The default start: alpha 0.2, beta* 0.1, gamma* 0.1 with the same initial states.
  EtsParameters start{.alpha = 0.2, .beta = 0.02, .gamma = 0.08, .phi = 1};
  absl::StatusOr<EtsFit> at_start = EvaluateEts(y, kAaa, 4, start, fit->initial);
  ASSERT_TRUE(at_start.ok());
  EXPECT_GE(fit->log_likelihood, at_start->log_likelihood);
}

TEST(FitEtsTest, SeasonalFitRepeatsAnExactPattern) {
  std::vector<double> y;
  const double pattern[4] = {10, -5, 3, -8};
  for (int t = 0; t < 16; ++t) {
    y.push_back(100 + pattern[t % 4] + 0.01 * (t % 3));  // tiny noise keeps SSE > 0
  }
  absl::StatusOr<EtsFit> fit =
      FitEts(y, EtsSpec{ErrorType::kAdditive, TrendType::kNone, SeasonType::kAdditive}, 4);
  ASSERT_TRUE(fit.ok()) << fit.status();
  const ForecastPath path = ForecastEts(*fit, 8, 0.8);
  for (int h = 0; h < 8; ++h) {
    EXPECT_NEAR(path.mean[h], 100 + pattern[(16 + h) % 4], 0.1) << "h=" << h + 1;
  }
}

TEST(CheckEtsApplicableTest, SeasonalModelsNeedTwoFullSeasons) {
  const std::vector<double> y(23, 5.0);
  absl::Status s = CheckEtsApplicable(y, kAaa, 12);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), ::testing::HasSubstr("needs 24 observations"));
}

TEST(CheckEtsApplicableTest, MultiplicativeModelsNeedStrictlyPositiveData) {
  std::vector<double> y(30, 5.0);
  y[7] = 0;
  EXPECT_THAT(CheckEtsApplicable(y, kMnn, 1).message(), ::testing::HasSubstr("strictly positive"));
  EXPECT_THAT(CheckEtsApplicable(y, kMam, 12).message(), ::testing::HasSubstr("strictly positive"));
  EXPECT_TRUE(CheckEtsApplicable(y, kAnn, 1).ok());
}

TEST(CheckEtsApplicableTest, TooFewObservationsForTheCriteria) {
  // ETS(A,A,N): k = 5, AICc needs n > 6.
  EXPECT_FALSE(CheckEtsApplicable(std::vector<double>{1, 2, 3, 4, 5, 6}, kAan, 1).ok());
  EXPECT_TRUE(CheckEtsApplicable(std::vector<double>{1, 2, 3, 4, 5, 6, 8}, kAan, 1).ok());
}

TEST(CheckEtsApplicableTest, AdditiveErrorWithMultiplicativeSeasonIsRejected) {
  const std::vector<double> y(30, 5.0);
  EXPECT_FALSE(
      CheckEtsApplicable(
          y, EtsSpec{ErrorType::kAdditive, TrendType::kNone, SeasonType::kMultiplicative}, 4)
          .ok());
}

EtsFit FitWith(const EtsSpec& spec, EtsParameters p, double sigma2, int period) {
  EtsFit fit;
  fit.spec = spec;
  fit.period = period;
  fit.params = p;
  fit.sigma2 = sigma2;
  fit.n = 20;
  fit.final.level = 100;
  fit.final.trend = 2;
  if (spec.season != SeasonType::kNone) {
    fit.final.season.assign(period, spec.season == SeasonType::kMultiplicative ? 1.0 : 0.0);
  }
  return fit;
}

TEST(EtsForecastVarianceTest, SesMatchesTheClosedForm) {
  const EtsFit fit = FitWith(kAnn, {.alpha = 0.4}, 3.0, 1);
  const std::vector<double> v = EtsForecastVariance(fit, 6);
  for (int h = 1; h <= 6; ++h) {
    EXPECT_NEAR(v[h - 1], 3.0 * (1 + 0.16 * (h - 1)), 1e-12) << "h=" << h;
  }
}

TEST(EtsForecastVarianceTest, HoltMatchesTheClosedForm) {
  const double a = 0.5, b = 0.2, s2 = 1.5;
  const EtsFit fit = FitWith(kAan, {.alpha = a, .beta = b}, s2, 1);
  const std::vector<double> v = EtsForecastVariance(fit, 8);
  for (int h = 1; h <= 8; ++h) {
    const double closed = s2 * (1 + (h - 1) * (a * a + a * b * h + b * b * h * (2 * h - 1) / 6.0));
    EXPECT_NEAR(v[h - 1], closed, 1e-10) << "h=" << h;
  }
}

TEST(EtsForecastVarianceTest, DampedAdditiveHoltWintersMatchesTheClosedForm) {
  // Hyndman et al. (2008) Table 6.1, ETS(A,Ad,A).
  const double a = 0.3, b = 0.1, g = 0.2, phi = 0.9, s2 = 2.0;
  const int m = 4;
  const EtsFit fit = FitWith(kAada, {.alpha = a, .beta = b, .gamma = g, .phi = phi}, s2, m);
  const std::vector<double> v = EtsForecastVariance(fit, 10);
  for (int h = 1; h <= 10; ++h) {
    const int k = (h - 1) / m;
    const double closed =
        1 + a * a * (h - 1) + g * k * (2 * a + g) +
        b * phi * h / std::pow(1 - phi, 2) * (2 * a * (1 - phi) + b * phi) -
        b * phi * (1 - std::pow(phi, h)) / (std::pow(1 - phi, 2) * (1 - phi * phi)) *
            (2 * a * (1 - phi * phi) + b * phi * (1 + 2 * phi - std::pow(phi, h))) +
        2 * b * g * phi / ((1 - phi) * (1 - std::pow(phi, m))) *
            (k * (1 - std::pow(phi, m)) - std::pow(phi, m) * (1 - std::pow(phi, m * k)));
    EXPECT_NEAR(v[h - 1], s2 * closed, 1e-9) << "h=" << h;
  }
}

TEST(EtsForecastVarianceTest, MultiplicativeErrorSesMatchesTheClosedForm) {
  // ETS(M,N,N): v_h = ℓ²[(1 + σ²)(1 + α²σ²)^{h−1} − 1].
  const double a = 0.6, s2 = 0.01;
  const EtsFit fit = FitWith(kMnn, {.alpha = a}, s2, 1);
  const std::vector<double> v = EtsForecastVariance(fit, 6);
  for (int h = 1; h <= 6; ++h) {
    const double closed = 100.0 * 100.0 * ((1 + s2) * std::pow(1 + a * a * s2, h - 1) - 1);
    EXPECT_NEAR(v[h - 1], closed, 1e-9) << "h=" << h;
  }
}

TEST(EtsForecastVarianceTest, MultiplicativeSeasonalityHasNoClosedForm) {
  const EtsFit fit = FitWith(kMam, {.alpha = 0.3, .beta = 0.1, .gamma = 0.1}, 0.01, 4);
  EXPECT_TRUE(EtsForecastVariance(fit, 4).empty());
}

TEST(ForecastEtsTest, AnalyticIntervalIsMeanPlusMinusZSigma) {
  const EtsFit fit = FitWith(kAnn, {.alpha = 0.4}, 3.0, 1);
  const ForecastPath path = ForecastEts(fit, 3, 0.8);
  const double z = 1.2815515655446004;
  EXPECT_NEAR(path.mean[2], 100, 1e-12);
  EXPECT_NEAR(path.hi[2] - path.mean[2], z * std::sqrt(3.0 * (1 + 0.16 * 2)), 1e-9);
  EXPECT_NEAR(path.mean[2] - path.lo[2], z * std::sqrt(3.0 * (1 + 0.16 * 2)), 1e-9);
}

TEST(ForecastEtsTest, DampedTrendFlattensOut) {
  const EtsFit fit = FitWith(kAadn, {.alpha = 0.4, .beta = 0.1, .phi = 0.8}, 1.0, 1);
  const ForecastPath path = ForecastEts(fit, 60, 0.8);
  // ℓ + b·(φ + φ² + …) → 100 + 2·φ/(1−φ) = 108.
  EXPECT_NEAR(path.mean[0], 101.6, 1e-9);
  EXPECT_NEAR(path.mean[59], 108.0, 1e-4);
}

TEST(ForecastEtsTest, SimulatedIntervalsAreDeterministicAndWiden) {
  EtsFit fit = FitWith(kMam, {.alpha = 0.3, .beta = 0.05, .gamma = 0.1}, 0.01, 4);
  fit.final.season = {0.8, 1.2, 0.9, 1.1};
  const ForecastPath a = ForecastEts(fit, 8, 0.8);
  const ForecastPath b = ForecastEts(fit, 8, 0.8);
  EXPECT_EQ(a.lo, b.lo);
  EXPECT_EQ(a.hi, b.hi);
  for (int h = 0; h < 8; ++h) {
    EXPECT_LT(a.lo[h], a.mean[h]) << h;
    EXPECT_GT(a.hi[h], a.mean[h]) << h;
  }
  // Relative width grows with the horizon (same season position, one year apart).
  EXPECT_GT((a.hi[4] - a.lo[4]) / a.mean[4], (a.hi[0] - a.lo[0]) / a.mean[0]);
  // At h = 1 the width is close to the analytic one for a multiplicative error:
  // μ·z·σ·2 = (102·0.8)·1.2816·0.1·2.
  EXPECT_NEAR(a.hi[0] - a.lo[0], 102 * 0.8 * 1.2816 * 0.1 * 2, 0.1 * 102 * 0.8 * 0.256);
}

}  // namespace
}  // namespace salesops::forecast
