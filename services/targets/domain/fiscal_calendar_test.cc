// Tests for the fiscal calendar: validation of the start month, quarters for
// fiscal years starting in January, April and October (naming, boundaries,
// year wrap, leap days), the months of a quarter, and an exhaustive check that
// quarters tile the calendar for every start month.
#include "services/targets/domain/fiscal_calendar.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::targets {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const FieldViolation& v : FieldViolations(s)) {
    out.push_back(v.field);
  }
  return out;
}

void ExpectQuarter(const FiscalQuarter& q, int fiscal_year, int quarter, absl::CivilDay start,
                   absl::CivilDay end) {
  EXPECT_EQ(q.fiscal_year, fiscal_year);
  EXPECT_EQ(q.quarter, quarter);
  EXPECT_EQ(q.start, start);
  EXPECT_EQ(q.end, end);
}

TEST(FiscalCalendarValidateTest, MonthsOneToTwelveAreValid) {
  for (int m = 1; m <= 12; ++m) {
    EXPECT_TRUE(FiscalCalendar::Validate(m).ok()) << m;
  }
}

TEST(FiscalCalendarValidateTest, OutOfRangeStartMonthNamesTheField) {
  for (int m : {0, 13, -1}) {
    const absl::Status s = FiscalCalendar::Validate(m);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << m;
    EXPECT_THAT(Fields(s), ElementsAre("fiscal_year_start_month")) << m;
  }
}

TEST(FiscalCalendarTest, JanuaryStartMatchesCalendarQuarters) {
  const FiscalCalendar cal(1);
  ExpectQuarter(cal.QuarterOf(absl::CivilDay(2026, 1, 1)), 2026, 1, absl::CivilDay(2026, 1, 1),
                absl::CivilDay(2026, 3, 31));
  ExpectQuarter(cal.QuarterOf(absl::CivilDay(2026, 5, 15)), 2026, 2, absl::CivilDay(2026, 4, 1),
                absl::CivilDay(2026, 6, 30));
  ExpectQuarter(cal.QuarterOf(absl::CivilDay(2026, 12, 31)), 2026, 4, absl::CivilDay(2026, 10, 1),
                absl::CivilDay(2026, 12, 31));
}

TEST(FiscalCalendarTest, AprilStartHeaderExampleIsFy2026Q3) {
  const FiscalCalendar cal(4);
  ExpectQuarter(cal.QuarterOf(absl::CivilDay(2026, 11, 27)), 2026, 3, absl::CivilDay(2026, 10, 1),
                absl::CivilDay(2026, 12, 31));
}

TEST(FiscalCalendarTest, AprilStartYearIsNamedAfterTheYearItStartsIn) {
  const FiscalCalendar cal(4);
  ExpectQuarter(cal.QuarterOf(absl::CivilDay(2026, 3, 31)), 2025, 4, absl::CivilDay(2026, 1, 1),
                absl::CivilDay(2026, 3, 31));
  ExpectQuarter(cal.QuarterOf(absl::CivilDay(2026, 4, 1)), 2026, 1, absl::CivilDay(2026, 4, 1),
                absl::CivilDay(2026, 6, 30));
  ExpectQuarter(cal.QuarterOf(absl::CivilDay(2027, 2, 10)), 2026, 4, absl::CivilDay(2027, 1, 1),
                absl::CivilDay(2027, 3, 31));
}

TEST(FiscalCalendarTest, OctoberStartQuartersWrapIntoTheNextCalendarYear) {
  const FiscalCalendar cal(10);
  ExpectQuarter(cal.QuarterOf(absl::CivilDay(2026, 9, 30)), 2025, 4, absl::CivilDay(2026, 7, 1),
                absl::CivilDay(2026, 9, 30));
  ExpectQuarter(cal.QuarterOf(absl::CivilDay(2026, 10, 1)), 2026, 1, absl::CivilDay(2026, 10, 1),
                absl::CivilDay(2026, 12, 31));
  ExpectQuarter(cal.QuarterOf(absl::CivilDay(2027, 1, 15)), 2026, 2, absl::CivilDay(2027, 1, 1),
                absl::CivilDay(2027, 3, 31));
}

TEST(FiscalCalendarTest, QuarterEndingInFebruaryIncludesTheLeapDay) {
  const FiscalCalendar cal(3);
  ExpectQuarter(cal.Quarter(2023, 4), 2023, 4, absl::CivilDay(2023, 12, 1),
                absl::CivilDay(2024, 2, 29));
}

TEST(FiscalCalendarTest, QuarterByNumberMatchesQuarterOfItsStart) {
  for (int start = 1; start <= 12; ++start) {
    const FiscalCalendar cal(start);
    for (int q = 1; q <= 4; ++q) {
      const FiscalQuarter quarter = cal.Quarter(2026, q);
      const FiscalQuarter again = cal.QuarterOf(quarter.start);
      EXPECT_EQ(again.fiscal_year, 2026);
      EXPECT_EQ(again.quarter, q);
      EXPECT_EQ(again.start, quarter.start);
      EXPECT_EQ(again.end, quarter.end);
    }
  }
}

TEST(FiscalCalendarTest, MonthsOfAQuarterAreItsThreeMonthsInOrder) {
  const FiscalCalendar cal(4);
  EXPECT_THAT(
      cal.MonthsOf(cal.Quarter(2026, 4)),
      ElementsAre(absl::CivilMonth(2027, 1), absl::CivilMonth(2027, 2), absl::CivilMonth(2027, 3)));
  EXPECT_THAT(cal.MonthsOf(cal.Quarter(2026, 3)),
              ElementsAre(absl::CivilMonth(2026, 10), absl::CivilMonth(2026, 11),
                          absl::CivilMonth(2026, 12)));
}

TEST(FiscalCalendarTest, QuartersTileEveryDayForEveryStartMonth) {
  for (int start = 1; start <= 12; ++start) {
    const FiscalCalendar cal(start);
    FiscalQuarter prev = cal.QuarterOf(absl::CivilDay(2023, 1, 1));
    for (absl::CivilDay d(2023, 1, 2); d <= absl::CivilDay(2028, 12, 31); ++d) {
      const FiscalQuarter q = cal.QuarterOf(d);
      ASSERT_LE(q.start, d);
      ASSERT_GE(q.end, d);
      ASSERT_EQ(q.start.day(), 1);
      ASSERT_EQ(q.end + 1, absl::CivilDay(absl::CivilMonth(q.start) + 3));
      ASSERT_EQ(q.fiscal_year, q.start.year() - (q.start.month() < start ? 1 : 0));
      if (q.start != prev.start) {
        // The next quarter starts the day after the previous one ends.
        ASSERT_EQ(q.start, prev.end + 1) << start << " " << d;
        const int expected_quarter = prev.quarter % 4 + 1;
        ASSERT_EQ(q.quarter, expected_quarter);
        ASSERT_EQ(q.fiscal_year, prev.fiscal_year + (expected_quarter == 1 ? 1 : 0));
        if (q.quarter == 1) {
          ASSERT_EQ(q.start.month(), start);
        }
      }
      prev = q;
    }
  }
}

TEST(DaysInTest, CountsDaysIncludingLeapFebruaries) {
  EXPECT_EQ(DaysIn(absl::CivilMonth(2024, 2)), 29);
  EXPECT_EQ(DaysIn(absl::CivilMonth(2026, 2)), 28);
  EXPECT_EQ(DaysIn(absl::CivilMonth(2100, 2)), 28);
  EXPECT_EQ(DaysIn(absl::CivilMonth(2000, 2)), 29);
  EXPECT_EQ(DaysIn(absl::CivilMonth(2026, 4)), 30);
  EXPECT_EQ(DaysIn(absl::CivilMonth(2026, 12)), 31);
}

}  // namespace
}  // namespace salesops::targets
