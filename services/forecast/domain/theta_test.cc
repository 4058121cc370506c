// Tests for the Theta method and the Optimised Theta model: forecasts and
// intervals against an independent scipy implementation of the same
// definitions, the seasonality switch, and short-series errors.
//
// Reference numbers: a one-off Python script (numpy 2.4, scipy 1.17). Theta:
// SES fitted by minimising n·log(SSE) over (alpha, l0) with L-BFGS-B, drift =
// numpy.polyfit slope / 2, forecasts by the thetaf formula. OTM: the Fiorucci
// et al. (2016) recursion, MSE minimised over (l0, alpha, theta) from 27 starts
// within alpha ∈ [0.01, 0.99], theta ∈ [1, 20].
#include "services/forecast/domain/theta.h"

#include <cmath>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::forecast {
namespace {

const std::vector<double> kTrending = {20.0, 22.5, 21.8, 24.1, 25.0, 24.3, 26.9, 27.5,
                                       28.2, 27.9, 30.4, 31.0, 30.2, 32.8, 33.5, 34.1};
const std::vector<double> kDrifting = {28.9, 31.9, 28.1, 30.2, 30.9, 34.6, 33.4, 34.1, 35.3,
                                       32.9, 32.2, 32.9, 35.2, 38.0, 39.0, 41.3, 40.0, 44.7};

std::vector<double> SeasonalMonthly(int n, double base) {
  std::vector<double> y;
  for (int t = 0; t < n; ++t) {
    // Year-end and mid-year peaks on a rising level.
    const double factor = t % 12 == 11 ? 1.8 : (t % 12 == 5 ? 1.3 : 1.0);
    y.push_back((base + 0.5 * t) * factor + (t % 3));
  }
  return y;
}

TEST(ThetaTest, StandardThetaMatchesTheThetafFormula) {
  absl::StatusOr<ThetaFit> fit = FitTheta(kTrending, 1, ThetaVariant::kStandard);
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_FALSE(fit->seasonal);
  EXPECT_NEAR(fit->alpha, 0.9687663185006049, 3e-3);
  EXPECT_NEAR(fit->line.slope, 0.892058823529412, 1e-12);
  const ForecastPath path = ForecastTheta(*fit, 3, 0.8);
  EXPECT_NEAR(path.mean[0], 34.54090813257913, 0.02);
  EXPECT_NEAR(path.mean[1], 34.98693754434384, 0.02);
  EXPECT_NEAR(path.mean[2], 35.432966956108544, 0.02);
  // SES interval around the drifted forecast: z·sqrt(σ²(1 + α²(h − 1))).
  EXPECT_NEAR(path.hi[2] - path.mean[2], 3.478047038433918, 0.02);
  EXPECT_NEAR(path.mean[2] - path.lo[2], 3.478047038433918, 0.02);
}

TEST(ThetaTest, OptimisedThetaMatchesTheFiorucciRecursion) {
  absl::StatusOr<ThetaFit> fit = FitTheta(kDrifting, 1, ThetaVariant::kOptimized);
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_NEAR(fit->mse, 4.012271055638785, 4.0123 * 1e-3);
  EXPECT_NEAR(fit->alpha, 0.6231083883008827, 0.02);
  const ForecastPath path = ForecastTheta(*fit, 3, 0.8);
  EXPECT_NEAR(path.mean[0], 44.068430720757554, 0.05);
  EXPECT_NEAR(path.mean[1], 44.770391505071274, 0.05);
  EXPECT_NEAR(path.mean[2], 45.472352289385, 0.05);
}

TEST(ThetaTest, OptimisedThetaFitsNoWorseThanTheClassicalTheta) {
  // θ = 2 is inside the search region, so the optimised MSE cannot be larger
  // than the OTM's at θ = 2 — and the standard method is a θ = 2 model.
  absl::StatusOr<ThetaFit> otm = FitTheta(kDrifting, 1, ThetaVariant::kOptimized);
  absl::StatusOr<ThetaFit> stm = FitTheta(kDrifting, 1, ThetaVariant::kStandard);
  ASSERT_TRUE(otm.ok() && stm.ok());
  EXPECT_LE(otm->mse, stm->mse * 1.0001);
  EXPECT_GE(otm->theta, 1.0);
  EXPECT_LE(otm->theta, 20.0);
}

TEST(ThetaTest, SeasonalSeriesIsDeseasonalisedMultiplicatively) {
  const std::vector<double> y = SeasonalMonthly(48, 100);
  absl::StatusOr<ThetaFit> fit = FitTheta(y, 12, ThetaVariant::kStandard);
  ASSERT_TRUE(fit.ok());
  EXPECT_TRUE(fit->seasonal);
  EXPECT_TRUE(fit->decomposition.multiplicative);
  // Forecasts follow the seasonal shape: December (h = 12) above September (h = 9).
  const ForecastPath path = ForecastTheta(*fit, 12, 0.8);
  EXPECT_GT(path.mean[11], 1.5 * path.mean[8]);
  EXPECT_THAT(ThetaDetail(*fit), ::testing::HasSubstr("seasonal (multiplicative)"));
}

TEST(ThetaTest, SeasonalSeriesWithZerosUsesAnAdditiveDecomposition) {
  std::vector<double> y = SeasonalMonthly(48, 100);
  y[5] = 0;
  absl::StatusOr<ThetaFit> fit = FitTheta(y, 12, ThetaVariant::kOptimized);
  ASSERT_TRUE(fit.ok());
  ASSERT_TRUE(fit->seasonal);
  EXPECT_FALSE(fit->decomposition.multiplicative);
}

TEST(ThetaTest, PeriodOneIsNeverSeasonal) {
  absl::StatusOr<ThetaFit> fit = FitTheta(SeasonalMonthly(48, 100), 1, ThetaVariant::kStandard);
  ASSERT_TRUE(fit.ok());
  EXPECT_FALSE(fit->seasonal);
}

TEST(ThetaTest, TooShortSeriesIsRejected) {
  EXPECT_EQ(FitTheta(std::vector<double>{1, 2, 3, 4}, 1, ThetaVariant::kStandard).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(FitTheta(kTrending, 0, ThetaVariant::kStandard).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ThetaTest, DetailNamesTheVariantAndParameters) {
  absl::StatusOr<ThetaFit> fit = FitTheta(kDrifting, 1, ThetaVariant::kOptimized);
  ASSERT_TRUE(fit.ok());
  EXPECT_THAT(ThetaDetail(*fit), ::testing::StartsWith("OTM theta="));
  absl::StatusOr<ThetaFit> stm = FitTheta(kDrifting, 1, ThetaVariant::kStandard);
  EXPECT_THAT(ThetaDetail(*stm), ::testing::StartsWith("Theta alpha="));
}

}  // namespace
}  // namespace salesops::forecast
