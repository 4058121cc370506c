// The one rounding rule (half-even, once per line) and the money × rate
// helpers built on it, including their overflow behaviour.
#include "services/performance/domain/rounding.h"

#include <cstdint>
#include <limits>

#include "gtest/gtest.h"

namespace salesops::performance {
namespace {

// Ties go to the even neighbour, symmetrically for negative numbers.
TEST(RoundingTest, TiesGoToTheEvenNeighbour) {
  EXPECT_EQ(DivRoundHalfEven(1, 2), 0);    // 0.5 → 0
  EXPECT_EQ(DivRoundHalfEven(3, 2), 2);    // 1.5 → 2
  EXPECT_EQ(DivRoundHalfEven(5, 2), 2);    // 2.5 → 2
  EXPECT_EQ(DivRoundHalfEven(-5, 2), -2);  // -2.5 → -2
  EXPECT_EQ(DivRoundHalfEven(-7, 2), -4);  // -3.5 → -4
  EXPECT_EQ(DivRoundHalfEven(7, -2), -4);  // negative divisor: same as -7 / 2
}

// Non-ties round to the nearest integer in either direction.
TEST(RoundingTest, NonTiesRoundToNearest) {
  EXPECT_EQ(DivRoundHalfEven(10, 3), 3);    // 3.33 → 3
  EXPECT_EQ(DivRoundHalfEven(20, 3), 7);    // 6.67 → 7
  EXPECT_EQ(DivRoundHalfEven(-20, 3), -7);  // -6.67 → -7
}

// Worked examples of a commission line: amount (minor units) × rate (millionths).
TEST(RoundingTest, ApplyRateRoundsEachLineHalfEven) {
  // 123.45 × 2.5 % = 3.08625 → 3.09.
  EXPECT_EQ(ApplyRate(123'45, 25'000), 309);
  // 0.10 × 5 % = 0.005 → 0.00 (tie, 0 is even); 0.30 × 5 % = 0.015 → 0.02; 0.50 × 5 % = 0.025 →
  // 0.02.
  EXPECT_EQ(ApplyRate(10, 50'000), 0);
  EXPECT_EQ(ApplyRate(30, 50'000), 2);
  EXPECT_EQ(ApplyRate(50, 50'000), 2);
  // A reversal rounds to the exact mirror image.
  EXPECT_EQ(ApplyRate(-30, 50'000), -2);
}

// Rate × multiplier is rounded once, not twice.
TEST(RoundingTest, ApplyRatesRoundsOnce) {
  // 100.00 × 2 % × 1.5 = 3.00.
  EXPECT_EQ(ApplyRates(100'00, 20'000, 1'500'000), 300);
  // 0.90 × 3 % × 0.5 = 0.0135 → 0.01; rounding twice would give 0.90 × 3 % = 0.027 → 0.03,
  // then 0.03 × 0.5 = 0.015 → 0.02.
  EXPECT_EQ(ApplyRates(90, 30'000, 500'000), 1);
}

// Results that do not fit int64 are reported, not wrapped.
TEST(RoundingTest, OverflowIsReported) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_FALSE(MulDivHalfEven(kMax, 3, 2).has_value());
  EXPECT_FALSE(MulDivHalfEven(1, 1, 0).has_value());
  EXPECT_EQ(MulDivHalfEven(kMax, 2, 2), kMax);  // the 128-bit product does not overflow
  EXPECT_FALSE(ApplyRates(kMax, 1'000'000, 2'000'000).has_value());
}

// Attainment thresholds become money: 100,000.00 × 33.33 % = 33,330.00; odd targets round
// half-even.
TEST(RoundingTest, ThresholdAmount) {
  EXPECT_EQ(ThresholdAmount(100'000'00, 3'333), 33'330'00);
  EXPECT_EQ(ThresholdAmount(1, 5'000), 0);  // 0.5 → 0
  EXPECT_EQ(ThresholdAmount(3, 5'000), 2);  // 1.5 → 2
}

}  // namespace
}  // namespace salesops::performance
