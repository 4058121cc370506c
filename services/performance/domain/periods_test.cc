// Fiscal quarters: naming, boundaries with a fiscal year that starts in
// January or in April, parsing and the next quarter.
#include "services/performance/domain/periods.h"

#include "gtest/gtest.h"

namespace salesops::performance {
namespace {

TEST(PeriodsTest, CalendarFiscalYear) {
  const FiscalQuarter q = QuarterOf(absl::CivilDay(2026, 11, 27), 1);
  EXPECT_EQ(q.id, "FY2026-Q4");
  EXPECT_EQ(q.first, absl::CivilDay(2026, 10, 1));
  EXPECT_EQ(q.last, absl::CivilDay(2026, 12, 31));
  EXPECT_EQ(QuarterOf(absl::CivilDay(2026, 1, 1), 1).id, "FY2026-Q1");
  EXPECT_EQ(QuarterOf(absl::CivilDay(2026, 3, 31), 1).id, "FY2026-Q1");
}

TEST(PeriodsTest, FiscalYearStartingInApril) {
  EXPECT_EQ(QuarterOf(absl::CivilDay(2026, 4, 1), 4).id, "FY2026-Q1");
  const FiscalQuarter q = QuarterOf(absl::CivilDay(2027, 2, 10), 4);
  EXPECT_EQ(q.id, "FY2026-Q4");
  EXPECT_EQ(q.first, absl::CivilDay(2027, 1, 1));
  EXPECT_EQ(q.last, absl::CivilDay(2027, 3, 31));
}

TEST(PeriodsTest, ParseAndNext) {
  auto q = ParseQuarter("FY2026-Q1", 4);
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->first, absl::CivilDay(2026, 4, 1));
  EXPECT_EQ(q->last, absl::CivilDay(2026, 6, 30));
  EXPECT_EQ(NextQuarter(*ParseQuarter("FY2026-Q4", 1), 1).id, "FY2027-Q1");
  EXPECT_FALSE(ParseQuarter("2026Q4", 1).has_value());
  EXPECT_FALSE(ParseQuarter("FY2026-Q5", 1).has_value());
  EXPECT_FALSE(ParseQuarter("FY20x6-Q1", 1).has_value());
}

}  // namespace
}  // namespace salesops::performance
