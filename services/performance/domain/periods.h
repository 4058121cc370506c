// Fiscal quarters as the performance service names them: statements and
// scorecards are per quarter, "FY2026-Q4", the fiscal year named after the
// calendar year it starts in (as the targets service names its periods), so a
// statement's period and the targets plan's period line up by name and dates.
//
//   FiscalQuarter q = QuarterOf(absl::CivilDay(2026, 11, 27), /*start_month=*/1);
//   // q.id == "FY2026-Q4", q.first == 2026-10-01, q.last == 2026-12-31
//   std::optional<FiscalQuarter> p = ParseQuarter("FY2026-Q1", 4);  // 2026-04-01..06-30
//
// Pure; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace salesops::performance {

struct FiscalQuarter {
  std::string id;
  int fiscal_year = 0;
  int number = 0;  // 1..4
  absl::CivilDay first;
  absl::CivilDay last;  // inclusive
};

// The quarter containing `day`; `start_month` (1..12) begins the fiscal year.
FiscalQuarter QuarterOf(absl::CivilDay day, int start_month);
// "FY<yyyy>-Q<n>" → the quarter; nullopt when malformed.
std::optional<FiscalQuarter> ParseQuarter(absl::string_view id, int start_month);
FiscalQuarter NextQuarter(const FiscalQuarter& q, int start_month);

}  // namespace salesops::performance
