// Tests for the numerical building blocks: normal quantiles, autocorrelation,
// the thetaf seasonality test, classical decomposition (against R's
// decompose / statsmodels seasonal_decompose), lines and quantiles.
#include "services/forecast/domain/series_math.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::forecast {
namespace {

// Series used for the decomposition references: 4 seasons of period 4.
const std::vector<double> kQuarterly = {10, 14, 8,  25, 16, 22, 14, 35,
                                        15, 27, 18, 40, 28, 40, 25, 65};

TEST(NormalQuantileTest, MatchesScipyNormPpf) {
  // Reference: scipy.stats.norm.ppf (scipy 1.17).
  EXPECT_NEAR(NormalQuantile(0.9), 1.2815515655446004, 1e-14);
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963984540054, 1e-14);
  EXPECT_NEAR(NormalQuantile(0.995), 2.5758293035489004, 1e-14);
  EXPECT_NEAR(NormalQuantile(0.02), -2.053748910631823, 1e-14);
  EXPECT_NEAR(NormalQuantile(1e-10), -6.361340902404056, 1e-12);
  EXPECT_DOUBLE_EQ(NormalQuantile(0.5), 0.0);
}

TEST(NormalQuantileTest, IsInfiniteAtTheEnds) {
  EXPECT_TRUE(std::isinf(NormalQuantile(0)) && NormalQuantile(0) < 0);
  EXPECT_TRUE(std::isinf(NormalQuantile(1)) && NormalQuantile(1) > 0);
}

TEST(CentralZTest, GivesTheTwoSidedQuantile) {
  EXPECT_NEAR(CentralZ(0.8), 1.2815515655446004, 1e-14);
  EXPECT_NEAR(CentralZ(0.95), 1.959963984540054, 1e-14);
}

TEST(AutocorrelationTest, MatchesStatsmodelsAcf) {
  // Reference: statsmodels.tsa.stattools.acf(y, nlags=4, fft=False).
  const std::vector<double> r = Autocorrelation(kQuarterly, 4);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_NEAR(r[0], 0.04935773097933655, 1e-12);
  EXPECT_NEAR(r[1], 0.47897039030955585, 1e-12);
  EXPECT_NEAR(r[2], -0.0411042276937693, 1e-12);
  EXPECT_NEAR(r[3], 0.40141318977119783, 1e-12);
}

TEST(AutocorrelationTest, IsZeroForAConstantSeries) {
  EXPECT_THAT(Autocorrelation(std::vector<double>(10, 3.0), 3), ::testing::Each(0.0));
}

TEST(IsSeasonalTest, WeakLagCorrelationIsNotSeasonal) {
  // |r4| / sqrt((1 + 2·Σ r_k²)/16) = 0.4014 / 0.3028 = 1.33 < 1.645.
  EXPECT_FALSE(IsSeasonal(kQuarterly, 4));
}

TEST(IsSeasonalTest, YearEndSpikesAreSeasonal) {
  std::vector<double> y;
  for (int t = 0; t < 36; ++t) {
    y.push_back(100 + (t % 12 == 11 ? 60 : 0) + (t % 5));
  }
  EXPECT_TRUE(IsSeasonal(y, 12));
}

TEST(IsSeasonalTest, ThreeYearsOfASmoothSinusoidAreNotSignificant) {
  // As in thetaf: the bound grows with the squared autocorrelations at lags
  // 1..m−1, which a smooth wave makes large (r_12 = 0.67 < 1.645 × 0.5).
  std::vector<double> y;
  for (int t = 0; t < 36; ++t) {
    y.push_back(100 + 30 * std::sin(2 * M_PI * t / 12));
  }
  EXPECT_FALSE(IsSeasonal(y, 12));
}

TEST(IsSeasonalTest, NeedsTwoFullSeasonsAndAPeriodOfTwo) {
  std::vector<double> y;
  for (int t = 0; t < 23; ++t) {
    y.push_back(100 + 30 * std::sin(2 * M_PI * t / 12));
  }
  EXPECT_FALSE(IsSeasonal(y, 12));
  EXPECT_FALSE(IsSeasonal(y, 1));
}

TEST(ClassicalDecompositionTest, MultiplicativeMatchesRDecompose) {
  // Reference: statsmodels seasonal_decompose(model="multiplicative", period=4),
  // identical to R's decompose().
  const Decomposition d = ClassicalDecomposition(kQuarterly, 4, /*multiplicative=*/true);
  ASSERT_EQ(d.indices.size(), 4u);
  EXPECT_NEAR(d.indices[0], 0.7965711199567946, 1e-12);
  EXPECT_NEAR(d.indices[1], 1.1003313364171967, 1e-12);
  EXPECT_NEAR(d.indices[2], 0.6227924122247066, 1e-12);
  EXPECT_NEAR(d.indices[3], 1.4803051314013018, 1e-12);
}

TEST(ClassicalDecompositionTest, AdditiveMatchesRDecompose) {
  const Decomposition d = ClassicalDecomposition(kQuarterly, 4, /*multiplicative=*/false);
  EXPECT_NEAR(d.indices[0], -5.09375, 1e-12);
  EXPECT_NEAR(d.indices[1], 2.53125, 1e-12);
  EXPECT_NEAR(d.indices[2], -7.802083333333333, 1e-12);
  EXPECT_NEAR(d.indices[3], 10.364583333333332, 1e-12);
}

TEST(ClassicalDecompositionTest, OddPeriodUsesASimpleMovingAverage) {
  // y = level 10 × factors (0.5, 1, 1.5) repeated: the indices come back exactly.
  std::vector<double> y;
  for (int t = 0; t < 9; ++t) {
    y.push_back(10 * (0.5 + 0.5 * (t % 3)));
  }
  const Decomposition d = ClassicalDecomposition(y, 3, true);
  EXPECT_NEAR(d.indices[0], 0.5, 1e-12);
  EXPECT_NEAR(d.indices[1], 1.0, 1e-12);
  EXPECT_NEAR(d.indices[2], 1.5, 1e-12);
}

TEST(SeasonallyAdjustTest, RoundTripsThroughReseasonalize) {
  const Decomposition d = ClassicalDecomposition(kQuarterly, 4, true);
  const std::vector<double> adjusted = SeasonallyAdjust(kQuarterly, d);
  for (size_t t = 0; t < kQuarterly.size(); ++t) {
    EXPECT_NEAR(Reseasonalize(adjusted[t], static_cast<int>(t), d), kQuarterly[t], 1e-9);
  }
}

TEST(FitLineTest, RecoversAnExactLine) {
  const Line line = FitLine(std::vector<double>{5, 7, 9, 11}, 1.0);
  EXPECT_NEAR(line.slope, 2.0, 1e-12);
  EXPECT_NEAR(line.intercept, 3.0, 1e-12);  // y = 3 + 2t at t = 1..4
}

TEST(SampleQuantileTest, InterpolatesLikeRType7) {
  // R: quantile(c(1, 2, 3, 4), 0.1) == 1.3
  EXPECT_NEAR(SampleQuantile({4, 1, 3, 2}, 0.1), 1.3, 1e-12);
  EXPECT_NEAR(SampleQuantile({4, 1, 3, 2}, 0.5), 2.5, 1e-12);
  EXPECT_NEAR(SampleQuantile({4, 1, 3, 2}, 1.0), 4.0, 1e-12);
}

TEST(DefaultSeasonalPeriodTest, MonthlyIs12AndWeeklyIs52) {
  EXPECT_EQ(DefaultSeasonalPeriod(Frequency::kMonthly), 12);
  EXPECT_EQ(DefaultSeasonalPeriod(Frequency::kWeekly), 52);
}

}  // namespace
}  // namespace salesops::forecast
