#include "services/performance/domain/periods.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"

namespace salesops::performance {
namespace {

FiscalQuarter Make(int fiscal_year, int number, int start_month) {
  FiscalQuarter q;
  q.fiscal_year = fiscal_year;
  q.number = number;
  q.id = absl::StrFormat("FY%04d-Q%d", fiscal_year, number);
  const absl::CivilMonth first(fiscal_year, start_month);
  q.first = absl::CivilDay(first + 3 * (number - 1));
  q.last = absl::CivilDay(first + 3 * number) - 1;
  return q;
}

}  // namespace

FiscalQuarter QuarterOf(absl::CivilDay day, int start_month) {
  const absl::CivilMonth m(day);
  // Months since the start of the fiscal year that began in the calendar year.
  int fiscal_year = static_cast<int>(m.year());
  int offset = m.month() - start_month;
  if (offset < 0) {
    --fiscal_year;
    offset += 12;
  }
  return Make(fiscal_year, offset / 3 + 1, start_month);
}

std::optional<FiscalQuarter> ParseQuarter(absl::string_view id, int start_month) {
  // "FY2026-Q4"
  if (id.size() != 9 || !absl::StartsWith(id, "FY") || id[6] != '-' || id[7] != 'Q') {
    return std::nullopt;
  }
  int year = 0;
  int number = 0;
  if (!absl::SimpleAtoi(id.substr(2, 4), &year) || !absl::SimpleAtoi(id.substr(8, 1), &number) ||
      year < 1970 || year > 9998 || number < 1 || number > 4) {
    return std::nullopt;
  }
  return Make(year, number, start_month);
}

FiscalQuarter NextQuarter(const FiscalQuarter& q, int start_month) {
  return q.number == 4 ? Make(q.fiscal_year + 1, 1, start_month)
                       : Make(q.fiscal_year, q.number + 1, start_month);
}

}  // namespace salesops::performance
