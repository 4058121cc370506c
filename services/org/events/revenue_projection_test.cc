// What the revenue projection makes of each record: OpportunityWon becomes a
// change, other types are ignored, wins without team, date or in another
// currency are refused (and so dead-lettered by the consumer).
#include "services/org/events/revenue_projection.h"

#include "common/status/errors.h"
#include "gtest/gtest.h"
#include "salesops/customers/v1/customers_events.pb.h"

namespace salesops::org {
namespace {

CloudEvent Won(const salesops::customers::v1::OpportunityWon& won) {
  return MakeCloudEvent("/salesops/customers", "opp-1", "opportunities/opp-1", won,
                        absl::FromUnixSeconds(1'790'000'000));
}

salesops::customers::v1::OpportunityWon Valid() {
  salesops::customers::v1::OpportunityWon w;
  w.set_team("orgUnits/team-1");
  w.set_region("orgUnits/east");
  w.set_product_line("pl-cloud");
  w.mutable_amount()->set_amount_minor(100);
  w.mutable_amount()->set_currency_code("CNY");
  w.mutable_won_date()->set_year(2026);
  w.mutable_won_date()->set_month(10);
  w.mutable_won_date()->set_day(1);
  return w;
}

// A valid win is a change; the close time stands in for a missing won_date.
TEST(RevenueProjectionTest, WinsBecomeChanges) {
  auto change = RevenueProjection::ChangeFor(Won(Valid()));
  ASSERT_TRUE(change.ok());
  ASSERT_TRUE(change->has_value());
  EXPECT_FALSE((*change)->empty());
  auto w = Valid();
  w.clear_won_date();
  w.mutable_close_time()->set_seconds(1'790'000'000);
  EXPECT_TRUE(RevenueProjection::ChangeFor(Won(w)).ok());
}

// Other event types are acknowledged and ignored.
TEST(RevenueProjectionTest, IgnoresOtherTypes) {
  salesops::customers::v1::OpportunityLost lost;
  CloudEvent e = MakeCloudEvent("/salesops/customers", "o", "opportunities/o", lost, absl::Now());
  auto change = RevenueProjection::ChangeFor(e);
  ASSERT_TRUE(change.ok());
  EXPECT_FALSE(change->has_value());
}

// Wins that cannot be attributed are refused, naming the field.
TEST(RevenueProjectionTest, RefusesUnattributableWins) {
  auto no_team = Valid();
  no_team.clear_team();
  EXPECT_EQ(FieldViolations(RevenueProjection::ChangeFor(Won(no_team)).status())[0].field, "team");
  auto usd = Valid();
  usd.mutable_amount()->set_currency_code("USD");
  EXPECT_EQ(FieldViolations(RevenueProjection::ChangeFor(Won(usd)).status())[0].field,
            "amount.currency_code");
  auto no_date = Valid();
  no_date.clear_won_date();
  EXPECT_EQ(FieldViolations(RevenueProjection::ChangeFor(Won(no_date)).status())[0].field,
            "won_date");
}

}  // namespace
}  // namespace salesops::org
