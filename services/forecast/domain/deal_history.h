// One opportunity's history as the forecast service keeps it (folded from
// the customers service's deal events by the service; built directly from
// the demo dataset by the benchmark), and what the forecasts need from it:
// the closed deals stage learning counts, the open deals of a day with their
// stage then, the bookings of a date range, and periods (fiscal quarters,
// calendar fallback, ISO weeks of snapshots). Pure.
//
//   DealRecord d{.id = "o-1", .owner = "m-7", .team = "team-1", .product_line = "pl-erp",
//                .amount_minor = 50'000'00, .created = absl::CivilDay(2026, 1, 5),
//                .stages = {{Stage::kLead, absl::CivilDay(2026, 1, 5)},
//                           {Stage::kProposal, absl::CivilDay(2026, 2, 1)}}};
//   std::optional<OpenDeal> then = OpenAsOf(d, absl::CivilDay(2026, 1, 20), false);
//   // then->stage == Stage::kLead, then->entered_stage == 2026-01-05
//   absl::StatusOr<StageStatistics> stats = LearnAsOf(deals, absl::CivilDay(2026, 3, 31));
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/types/span.h"
#include "services/forecast/domain/pipeline_forecast.h"
#include "services/forecast/domain/stage_learning.h"

namespace salesops::forecast {

enum class Outcome { kOpen, kWon, kLost };

struct DealRecord {
  std::string id;
  std::string owner;  // member id
  std::string team;   // org unit id
  std::string product_line;
  int64_t amount_minor = 0;  // the latest amount (booked amount when won)
  absl::CivilDay created;
  std::vector<StageEntry> stages;  // open stages entered, in order
  Outcome outcome = Outcome::kOpen;
  absl::CivilDay closed;  // won (booking) date or lost date; meaningful when closed
  std::optional<absl::CivilDay> expected_close;
};

// The deal as stage learning counts it; nullopt while open (or without any
// stage entry, which a folded history never has). Entries after the close
// date (bad clocks) are moved onto it rather than failing the whole history.
std::optional<ClosedDeal> AsClosedDeal(const DealRecord& deal);

// The deal as it stood at the end of `day`: open, in the last stage entered
// on or before `day`; nullopt if created later or closed by then. Amounts are
// not versioned: the latest amount stands in for the amount of the day.
// `with_expected_close` = false leaves the expected close date out (a
// back-test must not see the date a deal was later closed on).
std::optional<OpenDeal> OpenAsOf(const DealRecord& deal, absl::CivilDay day,
                                 bool with_expected_close);

// Stage statistics learned as they could have been on `day`: from the deals
// closed by then, and — counted as lost — the deals still open then that had
// sat in their stage longer than any won deal took from that stage (aged
// out). Closed deals alone leave out every deal that stalls without ever
// being closed and overstate the win probability of the ones that move.
absl::StatusOr<StageStatistics> LearnAsOf(absl::Span<const DealRecord> deals, absl::CivilDay day,
                                          int64_t min_sample = kMinSampleSize);

// Won amounts with a booking date in [first, last].
int64_t BookedBetween(absl::Span<const DealRecord* const> deals, absl::CivilDay first,
                      absl::CivilDay last);

// Won amounts per month from `first` to `last` (inclusive), as doubles for
// ForecastSeries.
std::vector<double> MonthlyBookings(absl::Span<const DealRecord* const> deals,
                                    absl::CivilMonth first, absl::CivilMonth last);

// ---- periods

// The calendar quarter of `day` and its id as the targets service names a
// calendar fiscal year's quarter ("FY2026-Q4"), so that a fallback period and
// the one targets later defines for the same dates are the same period.
Period CalendarQuarterOf(absl::CivilDay day);
std::string CalendarQuarterId(absl::CivilDay day);

// Months a period touches, first to last.
std::vector<absl::CivilMonth> MonthsOf(const Period& period);
// The same-shaped period `months` months earlier (negative) or later: whole
// months when the period is whole months; otherwise its days shifted.
Period ShiftMonths(const Period& period, int months);
// Whole calendar months the period spans (at least 1).
int MonthCount(const Period& period);

// ISO 8601 week label of a day, "2026-W49".
std::string IsoWeek(absl::CivilDay day);
// Whole weeks from `day` to the end of `end` (0 in the last week).
int WeeksBefore(absl::CivilDay day, absl::CivilDay end);

}  // namespace salesops::forecast
