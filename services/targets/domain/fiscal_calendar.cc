#include "services/targets/domain/fiscal_calendar.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"

namespace salesops::targets {

absl::Status FiscalCalendar::Validate(int start_month) {
  if (start_month < 1 || start_month > 12) {
    return InvalidField("fiscal_year_start_month",
                        absl::StrCat("must be a month 1..12, got ", start_month));
  }
  return absl::OkStatus();
}

FiscalQuarter FiscalCalendar::QuarterOf(absl::CivilDay day) const {
  const int month = day.month();
  const int fiscal_year = static_cast<int>(day.year()) - (month < start_month_ ? 1 : 0);
  const int months_into_year = (month - start_month_ + 12) % 12;
  return Quarter(fiscal_year, months_into_year / 3 + 1);
}

FiscalQuarter FiscalCalendar::Quarter(int fiscal_year, int quarter) const {
  // Civil-time fields normalise, so month 13 is January of the next year.
  const absl::CivilMonth first(fiscal_year, start_month_ + 3 * (quarter - 1));
  FiscalQuarter q;
  q.fiscal_year = fiscal_year;
  q.quarter = quarter;
  q.start = absl::CivilDay(first);
  q.end = absl::CivilDay(first + 3) - 1;
  return q;
}

std::vector<absl::CivilMonth> FiscalCalendar::MonthsOf(const FiscalQuarter& q) const {
  const absl::CivilMonth first(q.start);
  return {first, first + 1, first + 2};
}

int DaysIn(absl::CivilMonth m) {
  return static_cast<int>(absl::CivilDay(m + 1) - absl::CivilDay(m));
}

}  // namespace salesops::targets
