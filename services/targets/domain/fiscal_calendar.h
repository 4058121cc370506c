// The fiscal calendar: fiscal years starting in a configurable month, their
// quarters and months as civil-date ranges. Pure functions.
//
//   FiscalCalendar cal(4);                         // fiscal year starts in April
//   FiscalQuarter q = cal.QuarterOf(absl::CivilDay(2026, 11, 27));  // FY2026 Q3
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"

namespace salesops::targets {

struct FiscalQuarter {
  int fiscal_year = 0;        // named after the calendar year it starts in
  int quarter = 0;            // 1..4
  absl::CivilDay start, end;  // inclusive
};

class FiscalCalendar {
 public:
  // INVALID_ARGUMENT "fiscal_year_start_month" unless 1..12.
  static absl::Status Validate(int start_month);
  // `start_month` must have passed Validate().
  explicit FiscalCalendar(int start_month) : start_month_(start_month) {}

  FiscalQuarter QuarterOf(absl::CivilDay day) const;
  FiscalQuarter Quarter(int fiscal_year, int quarter) const;  // quarter 1..4
  // The three months of a quarter (first day of each).
  std::vector<absl::CivilMonth> MonthsOf(const FiscalQuarter& q) const;
  int start_month() const { return start_month_; }

 private:
  int start_month_;
};

// Days in a civil month.
int DaysIn(absl::CivilMonth m);

}  // namespace salesops::targets
