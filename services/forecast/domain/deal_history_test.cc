// Tests for the deal history helpers: the open state of a past day, the
// closed deals stage learning counts (and only those closed by a day),
// bookings by date range and month, and the period arithmetic (calendar
// quarters named as targets names them, shifted periods, ISO weeks).
#include "services/forecast/domain/deal_history.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::forecast {
namespace {

using ::testing::ElementsAre;

DealRecord Deal(std::string id, Outcome outcome, absl::CivilDay closed, int64_t amount = 100) {
  DealRecord d;
  d.id = std::move(id);
  d.owner = "m-1";
  d.team = "team-1";
  d.product_line = "pl-1";
  d.amount_minor = amount;
  d.created = absl::CivilDay(2026, 1, 5);
  d.stages = {{Stage::kLead, absl::CivilDay(2026, 1, 5)},
              {Stage::kProposal, absl::CivilDay(2026, 2, 1)},
              {Stage::kNegotiation, absl::CivilDay(2026, 2, 20)}};
  d.outcome = outcome;
  d.closed = closed;
  d.expected_close = absl::CivilDay(2026, 3, 15);
  return d;
}

// The stage of a past day is the last one entered by then; before creation
// or after closing there is no open deal; the expected close is left out on request.
TEST(DealHistoryTest, OpenAsOfReplaysTheStages) {
  const DealRecord d = Deal("o-1", Outcome::kWon, absl::CivilDay(2026, 3, 10));
  EXPECT_FALSE(OpenAsOf(d, absl::CivilDay(2026, 1, 4), true).has_value());
  std::optional<OpenDeal> jan = OpenAsOf(d, absl::CivilDay(2026, 1, 20), true);
  ASSERT_TRUE(jan.has_value());
  EXPECT_EQ(jan->stage, Stage::kLead);
  EXPECT_EQ(jan->entered_stage, absl::CivilDay(2026, 1, 5));
  EXPECT_EQ(jan->expected_close, absl::CivilDay(2026, 3, 15));
  std::optional<OpenDeal> feb = OpenAsOf(d, absl::CivilDay(2026, 2, 20), false);
  ASSERT_TRUE(feb.has_value());
  EXPECT_EQ(feb->stage, Stage::kNegotiation);
  EXPECT_FALSE(feb->expected_close.has_value());
  EXPECT_FALSE(OpenAsOf(d, absl::CivilDay(2026, 3, 10), true).has_value());
}

// Learning counts the deals closed by the day, each in every stage it
// passed, and open deals older in their stage than any won deal as lost.
TEST(DealHistoryTest, LearnAsOfCountsDealsClosedByTheDay) {
  DealRecord later = Deal("later", Outcome::kWon, absl::CivilDay(2026, 4, 1));
  later.created = absl::CivilDay(2026, 3, 20);
  later.stages = {{Stage::kLead, absl::CivilDay(2026, 3, 20)},
                  {Stage::kProposal, absl::CivilDay(2026, 3, 25)}};
  std::vector<DealRecord> deals = {Deal("w", Outcome::kWon, absl::CivilDay(2026, 3, 1)),
                                   Deal("l", Outcome::kLost, absl::CivilDay(2026, 3, 2)), later,
                                   Deal("open", Outcome::kOpen, absl::CivilDay())};
  absl::StatusOr<StageStatistics> s = LearnAsOf(deals, absl::CivilDay(2026, 3, 31), 1);
  ASSERT_TRUE(s.ok()) << s.status();
  absl::StatusOr<StageEstimate> e = s->Estimate("team-1", "pl-1", Stage::kProposal);
  ASSERT_TRUE(e.ok()) << e.status();
  // "open" sits in NEGOTIATION since Feb 20 (39 days on Mar 31) while the won
  // deal took 9 days from there: aged out, a loss in every stage it passed.
  // "later" is open too but only 6 days into PROPOSAL: not counted.
  EXPECT_EQ(e->sample_size, 3);
  EXPECT_EQ(e->won, 1);
  EXPECT_EQ(e->time_to_close.sorted_days, std::vector<int>({28}));  // Feb 1 → Mar 1
  // On Mar 1 "open" was 9 days in: no older than the won deal, not counted.
  s = LearnAsOf(deals, absl::CivilDay(2026, 3, 1), 1);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->Estimate("team-1", "pl-1", Stage::kProposal)->sample_size, 1);
}

// Bookings: won deals only, by booking date, and per month.
TEST(DealHistoryTest, BookingsByRangeAndMonth) {
  const DealRecord a = Deal("a", Outcome::kWon, absl::CivilDay(2026, 1, 31), 100);
  const DealRecord b = Deal("b", Outcome::kWon, absl::CivilDay(2026, 3, 1), 50);
  const DealRecord c = Deal("c", Outcome::kLost, absl::CivilDay(2026, 2, 1), 999);
  const std::vector<const DealRecord*> all = {&a, &b, &c};
  EXPECT_EQ(BookedBetween(all, absl::CivilDay(2026, 1, 1), absl::CivilDay(2026, 3, 31)), 150);
  EXPECT_EQ(BookedBetween(all, absl::CivilDay(2026, 2, 1), absl::CivilDay(2026, 3, 31)), 50);
  EXPECT_THAT(MonthlyBookings(all, absl::CivilMonth(2026, 1), absl::CivilMonth(2026, 3)),
              ElementsAre(100.0, 0.0, 50.0));
}

// Calendar quarters carry targets' names; shifting keeps whole months whole.
TEST(DealHistoryTest, PeriodArithmetic) {
  const Period q4 = CalendarQuarterOf(absl::CivilDay(2026, 12, 2));
  EXPECT_EQ(q4.start, absl::CivilDay(2026, 10, 1));
  EXPECT_EQ(q4.end, absl::CivilDay(2026, 12, 31));
  EXPECT_EQ(CalendarQuarterId(absl::CivilDay(2026, 12, 2)), "FY2026-Q4");
  EXPECT_EQ(CalendarQuarterId(absl::CivilDay(2027, 1, 1)), "FY2027-Q1");
  const Period q1 = ShiftMonths(q4, 3);
  EXPECT_EQ(q1.start, absl::CivilDay(2027, 1, 1));
  EXPECT_EQ(q1.end, absl::CivilDay(2027, 3, 31));
  const Period q2_earlier = ShiftMonths(q4, -6);
  EXPECT_EQ(q2_earlier.start, absl::CivilDay(2026, 4, 1));
  EXPECT_EQ(q2_earlier.end, absl::CivilDay(2026, 6, 30));
  EXPECT_EQ(MonthCount(q4), 3);
  EXPECT_THAT(MonthsOf(q4), ElementsAre(absl::CivilMonth(2026, 10), absl::CivilMonth(2026, 11),
                                        absl::CivilMonth(2026, 12)));
  EXPECT_EQ(IsoWeek(absl::CivilDay(2026, 12, 2)), "2026-W49");
  EXPECT_EQ(IsoWeek(absl::CivilDay(2027, 1, 1)), "2026-W53");  // a Friday: week of Thursday Dec 31
  EXPECT_EQ(IsoWeek(absl::CivilDay(2024, 12, 30)), "2025-W01");
  EXPECT_EQ(WeeksBefore(absl::CivilDay(2026, 12, 2), absl::CivilDay(2026, 12, 31)), 4);
  EXPECT_EQ(WeeksBefore(absl::CivilDay(2026, 12, 30), absl::CivilDay(2026, 12, 31)), 0);
}

}  // namespace
}  // namespace salesops::forecast
