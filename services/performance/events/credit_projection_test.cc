// The credit projection over the in-memory repository: which events move
// which inputs, that a bad event fails alone while the rest of its batch is
// applied, that a redelivered batch changes nothing, that targets'
// AttainmentUpdated sets the statement's target and the attainment KPI, and
// that a deal's facts and a credit split being set meet on the deal's revision.
#include "services/performance/events/credit_projection.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/performance/api/test_support.h"

namespace salesops::performance {
namespace {

using testing::Won;

class CreditProjectionTest : public testing::PerformanceTest {};

// A poison event fails on its own; the good ones of the batch are applied,
// and delivering the batch again applies nothing twice.
TEST_F(CreditProjectionTest, BadEventFailsAlone) {
  SetUpPlan();
  CloudEvent good =
      Won("w-1", "opp-1", "rep-1", "team-east-1", 10'000'00, absl::CivilDay(2026, 11, 1));
  CloudEvent bad = good;
  bad.id = "w-bad";
  bad.data = "not a protobuf \xff";
  CloudEvent no_date = good;
  no_date.id = "w-nodate";
  {
    salesops::customers::v1::OpportunityWon w;
    ASSERT_TRUE(w.ParseFromString(good.data));
    w.clear_won_date();
    no_date.data = w.SerializeAsString();
  }
  CloudEvent other = good;
  other.id = "x-1";
  other.type = "salesops.customers.v1.CustomerCreated";
  std::vector<absl::Status> s = projection_.HandleBatch({&good, &bad, &no_date, &other});
  EXPECT_TRUE(s[0].ok());
  EXPECT_EQ(s[1].code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s[2].code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolations(s[2])[0].field, "won_date");
  EXPECT_TRUE(s[3].ok());  // not ours: nothing to do
  ASSERT_TRUE(recomputer_.RunPending(absl::Seconds(10)).ok());
  EXPECT_EQ(Statement("FY2026-Q4", "rep-1").net_payable().amount_minor(), 200'00);
  const size_t events = repo_.events().size();
  for (const absl::Status& again : projection_.HandleBatch({&good})) {
    EXPECT_TRUE(again.ok());
  }
  ASSERT_TRUE(recomputer_.RunPending(absl::Seconds(10)).ok());
  EXPECT_EQ(repo_.events().size(), events);
  EXPECT_EQ(Statement("FY2026-Q4", "rep-1").net_payable().amount_minor(), 200'00);
}

// The published target plan's REP figure is the statement's target and the
// attainment KPI's value; an older figure never replaces a newer one.
TEST_F(CreditProjectionTest, TargetsFromAttainmentUpdated) {
  SetUpPlan();
  auto attainment = [](const std::string& id, int64_t target, int32_t bp, absl::Time as_of) {
    salesops::targets::v1::AttainmentUpdated a;
    a.set_plan("plans/p-1");
    a.set_period("fiscalPeriods/FY2026-Q4");
    a.set_level(salesops::targets::v1::ATTAINMENT_LEVEL_REP);
    a.set_subject("members/rep-1");
    *a.mutable_target() = Money(target, "CNY");
    *a.mutable_actual() = Money(0, "CNY");
    a.set_attainment_basis_points(bp);
    *a.mutable_as_of() = ToTs(as_of);
    *a.mutable_period_start_date() = testing::D(2026, 10, 1);
    *a.mutable_period_end_date() = testing::D(2026, 12, 31);
    CloudEvent e = MakeCloudEvent("/salesops/targets", "p-1", "members/rep-1", a, as_of);
    e.id = id;
    return e;
  };
  const absl::Time t0 = testing::ChinaNoon(2026, 11, 1);
  Deliver({attainment("t-2", 20'000'00, 5'000, t0 + absl::Hours(1)),
           Won("w-1", "opp-1", "rep-1", "team-east-1", 30'000'00, absl::CivilDay(2026, 11, 1))});
  Deliver({attainment("t-1", 50'000'00, 1'000, t0)});  // older: ignored
  const v1::CommissionStatement st = Statement("FY2026-Q4", "rep-1");
  EXPECT_EQ(st.target().amount_minor(), 20'000'00);
  // 20,000 at 2 %, 10,000 above target at 3 %.
  EXPECT_EQ(st.net_payable().amount_minor(), 400'00 + 300'00);
}

// Activities count visits and customer satisfaction (1..5 → basis points);
// a won and a lost deal give the win rate.
TEST_F(CreditProjectionTest, KpiCounters) {
  Deliver({testing::Activity("a-1", "rep-1", "team-east-1", absl::CivilDay(2026, 11, 2), true, 5),
           testing::Activity("a-2", "rep-1", "team-east-1", absl::CivilDay(2026, 11, 3), false, 4),
           Won("w-1", "opp-1", "rep-1", "team-east-1", 30'000'00, absl::CivilDay(2026, 11, 1))});
  std::vector<v1::KpiDefinition> kpis(4);
  const v1::KpiMetric metrics[] = {v1::KPI_METRIC_VISITS, v1::KPI_METRIC_ACTIVITIES,
                                   v1::KPI_METRIC_CUSTOMER_SATISFACTION, v1::KPI_METRIC_BOOKINGS};
  for (int i = 0; i < 4; ++i) {
    kpis[i].set_name(absl::StrCat("kpis/k", i));
    kpis[i].set_metric(metrics[i]);
  }
  auto values = recomputer_.Actuals("FY2026-Q4", "members/rep-1", kpis);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ((*values)[0].value, 1);
  EXPECT_EQ((*values)[1].value, 2);
  EXPECT_EQ((*values)[2].value, 9'000);  // (5 + 4) / 2 of 5
  EXPECT_EQ((*values)[3].value, 30'000'00);
  auto team = recomputer_.Actuals("FY2026-Q4", "orgUnits/team-east-1", kpis);
  ASSERT_TRUE(team.ok());
  EXPECT_EQ((*team)[3].value, 30'000'00);
}

// Every fact applied moves its deal's revision in the commit that applies it,
// one step per fact, batched or not, so a credit split being set (which guards
// the revision) learns of it; a redelivered fact is not applied and moves nothing.
TEST_F(CreditProjectionTest, ApplyingADealFactMovesTheDealsRevision) {
  const CloudEvent won =
      Won("w-1", "opp-1", "rep-1", "team-east-1", 10'000'00, absl::CivilDay(2026, 11, 1));
  const CloudEvent refund = testing::Refund("r-1", "opp-1", "rep-1", "team-east-1", 1'000'00,
                                            absl::CivilDay(2026, 11, 5));
  ASSERT_TRUE(projection_.Handle(won).ok());
  EXPECT_EQ(DealRevision("opp-1"), "1");
  Project(
      {refund,
       testing::Refund("r-2", "opp-1", "rep-1", "team-east-1", 500'00, absl::CivilDay(2026, 11, 6)),
       Won("w-2", "opp-2", "rep-2", "team-east-1", 3'000'00, absl::CivilDay(2026, 11, 2), "cust-2"),
       testing::Activity("a-1", "rep-1", "team-east-1", absl::CivilDay(2026, 11, 2), true, 5)});
  EXPECT_EQ(DealRevision("opp-1"), "3");
  EXPECT_EQ(DealRevision("opp-2"), "1");
  ASSERT_TRUE(projection_.Handle(won).ok());
  Project({refund, testing::Refund("r-3", "opp-1", "rep-1", "team-east-1", 200'00,
                                   absl::CivilDay(2026, 11, 7))});
  EXPECT_EQ(DealRevision("opp-1"), "4") << "r-3 only: w-1 and r-1 were applied before";
}

// A credit split set between the projection's read of a deal and its commit
// fails the commit's guard: the batch is decided again and the refund credited
// under the new split, like the win the split moved.
TEST_F(CreditProjectionTest, ASplitSetWhileARefundIsAppliedSplitsTheRefund) {
  WinOpp1();
  BeforeNextCommit([&] { ASSERT_TRUE(SetSplit("opp-1", kEvenly).ok()); });
  Project({RefundOfOpp1()});
  StopCounting();
  EXPECT_EQ(commits_after_, 1) << "the batch once more, under the split";
  ExpectCredited(4'000'01, 4'000'00);
}

// The same with the split set after the projection read the deal's split but
// before it read the deal's revision: the revision is read first, so the
// guard still catches it (not 3,000.01 and 5,000.00: the refund rep-1's alone).
TEST_F(CreditProjectionTest, ASplitSetWhileTheProjectionReadsTheDealSplitsTheRefund) {
  WinOpp1();
  testing::LandBeforeRevisionRead racy(repo_);
  CreditProjection projection(racy, options_);
  racy.Before("d|opp-1", [&] { ASSERT_TRUE(SetSplit("opp-1", kEvenly).ok()); });
  ASSERT_TRUE(projection.Handle(RefundOfOpp1()).ok());
  ExpectCredited(4'000'01, 4'000'00);
}

}  // namespace
}  // namespace salesops::performance
