// Tests for accuracy summaries: MAPE and signed bias in basis points,
// interval coverage, and points without an actual left out.
#include "services/forecast/domain/accuracy.h"

#include "gtest/gtest.h"

namespace salesops::forecast {
namespace {

TEST(AccuracyTest, MapeBiasAndCoverage) {
  const std::vector<AccuracyPoint> points = {
      {90, 100, 80, 110},                       // -10%, inside
      {130, 100, 120, 140},                     // +30%, outside
      {500, 0, 0, 1000},                        // no actual: not counted
      {100, 100, std::nullopt, std::nullopt}};  // 0%, no interval
  const AccuracySummary s = Summarize(points);
  EXPECT_EQ(s.count, 3);
  EXPECT_EQ(s.mape_bp, 1333);  // (10 + 30 + 0) / 3 %
  EXPECT_EQ(s.bias_bp, 667);   // (-10 + 30 + 0) / 3 %
  EXPECT_EQ(s.with_interval, 2);
  EXPECT_EQ(s.coverage_bp, 5000);
  EXPECT_EQ(AbsolutePercentageErrorBp(75, 100), 2500);
  EXPECT_EQ(AbsolutePercentageErrorBp(75, 0), 0);
}

TEST(AccuracyTest, NothingToCompare) {
  const AccuracySummary s = Summarize({});
  EXPECT_EQ(s.count, 0);
  EXPECT_EQ(s.mape_bp, 0);
}

}  // namespace
}  // namespace salesops::forecast
