// Tests for the warning engine's subject projections: stage weights, which
// conditions watch which subjects, each event folded into a SubjectState
// (including what does not change it), the SubjectFacts a state yields, and
// the scheduler's due times, checked against Evaluate itself at and just
// before each due instant.
#include "services/warning/domain/subjects.h"

#include <cctype>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/status/errors.h"
#include "common/time/proto_time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "services/warning/domain/evaluate.h"
#include "services/warning/domain/rules.h"

namespace salesops::warning {
namespace {

using customers::v1::CustomerTier;
using customers::v1::OpportunityStage;
using google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

constexpr OpportunityStage kLead = customers::v1::OPPORTUNITY_STAGE_LEAD;
constexpr OpportunityStage kQualified = customers::v1::OPPORTUNITY_STAGE_QUALIFIED;
constexpr OpportunityStage kProposal = customers::v1::OPPORTUNITY_STAGE_PROPOSAL;
constexpr OpportunityStage kNegotiation = customers::v1::OPPORTUNITY_STAGE_NEGOTIATION;
constexpr OpportunityStage kContract = customers::v1::OPPORTUNITY_STAGE_CONTRACT;
constexpr OpportunityStage kWon = customers::v1::OPPORTUNITY_STAGE_WON;
constexpr OpportunityStage kLost = customers::v1::OPPORTUNITY_STAGE_LOST;
constexpr OpportunityStage kNoStage = customers::v1::OPPORTUNITY_STAGE_UNSPECIFIED;

constexpr absl::string_view kDefaultSpec =
    "lead:1000,qualified:2500,proposal:5000,negotiation:7000,contract:9000";

absl::TimeZone Shanghai() {
  absl::TimeZone tz;
  if (!absl::LoadTimeZone("Asia/Shanghai", &tz)) {
    ADD_FAILURE() << "Asia/Shanghai time zone not available";
  }
  return tz;
}

absl::TimeZone NewYork() {
  absl::TimeZone tz;
  if (!absl::LoadTimeZone("America/New_York", &tz)) {
    ADD_FAILURE() << "America/New_York time zone not available";
  }
  return tz;
}

// A wall-clock instant in `tz`.
absl::Time Local(int y, int m, int d, int hh, int mm, int ss, absl::TimeZone tz) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), tz);
}

// An arbitrary fixed instant: 2026-06-01 10:00 in Shanghai.
const absl::Time kT0 = absl::FromUnixSeconds(1'780'279'200);

constexpr absl::Duration kDay = absl::Hours(24);

common::v1::Date Date(int y, int m, int d) {
  common::v1::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

bool Same(const v1::SubjectState& a, const v1::SubjectState& b) {
  return MessageDifferencer::Equals(a, b);
}

v1::Rule Shipped(absl::string_view name) {
  static const std::vector<v1::Rule>* const rules =
      new std::vector<v1::Rule>(DefaultRules().value());
  for (const v1::Rule& r : *rules) {
    if (r.name() == name) {
      return EffectiveRule(r, {});
    }
  }
  ADD_FAILURE() << "no shipped rule " << name;
  return {};
}

// The verdict by name, so that a failure reads "HOLDS" / "CLEAR" / "UNKNOWN".
std::string VerdictAt(const v1::Rule& rule, const SubjectFacts& f, absl::Time now) {
  absl::StatusOr<Evaluation> ev = Evaluate(rule, f, now);
  EXPECT_TRUE(ev.ok()) << ev.status();
  if (!ev.ok()) {
    return "ERROR";
  }
  switch (ev->verdict) {
    case Verdict::kHolds:
      return "HOLDS";
    case Verdict::kClear:
      return "CLEAR";
    case Verdict::kUnknown:
      return "UNKNOWN (" + ev->missing + ")";
  }
  return "?";
}

// ---- Builders of events ----

customers::v1::OpportunityCreated Created(OpportunityStage stage, int64_t amount = 50'000'00) {
  customers::v1::OpportunityCreated e;
  e.set_opportunity("opportunities/9");
  e.set_customer("customers/3");
  e.set_display_name("华东医院二期");
  e.set_stage(stage);
  e.set_owner("members/7");
  e.set_team("orgUnits/team-1");
  e.mutable_amount()->set_amount_minor(amount);
  e.mutable_amount()->set_currency_code("CNY");
  return e;
}

customers::v1::OpportunityStageChanged StageChange(OpportunityStage from, OpportunityStage to) {
  customers::v1::OpportunityStageChanged e;
  e.set_opportunity("opportunities/9");
  e.set_customer("customers/3");
  e.set_from_stage(from);
  e.set_to_stage(to);
  e.set_owner("members/7");
  e.set_team("orgUnits/team-1");
  return e;
}

customers::v1::Customer CustomerRes(CustomerTier tier, absl::string_view owner = "members/7") {
  customers::v1::Customer c;
  c.set_name("customers/3");
  c.set_display_name("上海某集团");
  c.set_tier(tier);
  c.set_owner(std::string(owner));
  c.set_team(owner.empty() ? "" : "orgUnits/team-1");
  return c;
}

customers::v1::PaymentOverdue Overdue(absl::string_view instalment, common::v1::Date due,
                                      int64_t outstanding) {
  customers::v1::PaymentOverdue e;
  e.set_contract("contracts/5");
  e.set_customer("customers/3");
  e.set_instalment_id(std::string(instalment));
  *e.mutable_due_date() = due;
  e.mutable_outstanding()->set_amount_minor(outstanding);
  e.mutable_outstanding()->set_currency_code("CNY");
  e.set_owner("members/7");
  e.set_team("orgUnits/team-1");
  return e;
}

customers::v1::PaymentReceived Received(absl::string_view instalment, int64_t amount,
                                        customers::v1::InstalmentState after) {
  customers::v1::PaymentReceived e;
  e.set_contract("contracts/5");
  e.set_instalment_id(std::string(instalment));
  e.mutable_amount()->set_amount_minor(amount);
  e.mutable_amount()->set_currency_code("CNY");
  e.set_instalment_state(after);
  return e;
}

targets::v1::AttainmentUpdated Attainment(targets::v1::AttainmentLevel level,
                                          int64_t target = 1'000'000'00,
                                          int64_t actual = 300'000'00, int32_t pace_bp = 7000) {
  targets::v1::AttainmentUpdated e;
  e.set_plan("plans/p1");
  e.set_period("fiscalPeriods/2026-Q4");
  e.set_level(level);
  // The figures are one allocation cell's (as the targets service sends them).
  e.set_subject(level == targets::v1::ATTAINMENT_LEVEL_TEAM ? "plans/p1/cells/team-1"
                                                            : "plans/p1/cells/team-1.rep-7");
  e.set_rep(level == targets::v1::ATTAINMENT_LEVEL_TEAM ? "" : "members/7");
  e.set_team("orgUnits/team-1");
  e.mutable_target()->set_amount_minor(target);
  e.mutable_target()->set_currency_code("CNY");
  e.mutable_actual()->set_amount_minor(actual);
  e.mutable_actual()->set_currency_code("CNY");
  e.set_pace_basis_points(pace_bp);
  e.mutable_expected_to_date()->set_amount_minor(pace_bp > 0 ? actual * 10000 / pace_bp : 0);
  e.mutable_expected_to_date()->set_currency_code("CNY");
  *e.mutable_period_start_date() = Date(2026, 10, 1);
  *e.mutable_period_end_date() = Date(2026, 12, 31);
  return e;
}

// A rep-period state for Q4 2026 (Oct 1 .. Dec 31).
v1::SubjectState RepPeriod(int64_t target = 1'000'000'00, int64_t actual = 300'000'00,
                           int32_t pace_bp = 7000) {
  v1::SubjectState s;
  EXPECT_TRUE(
      ApplyAttainment(Attainment(targets::v1::ATTAINMENT_LEVEL_REP, target, actual, pace_bp), &s));
  return s;
}

// ---- Stage weights ----

TEST(SubjectsStageWeightsTest, DefaultsAreTheDocumentedPercentages) {
  const StageWeights w = DefaultStageWeights();
  EXPECT_EQ(w.size(), 5u);
  EXPECT_EQ(w.at(kLead), 1000);
  EXPECT_EQ(w.at(kQualified), 2500);
  EXPECT_EQ(w.at(kProposal), 5000);
  EXPECT_EQ(w.at(kNegotiation), 7000);
  EXPECT_EQ(w.at(kContract), 9000);
  EXPECT_FALSE(w.contains(kWon));
  EXPECT_FALSE(w.contains(kLost));
}

TEST(SubjectsStageWeightsTest, ParsesTheDocumentedSpecToTheDefaults) {
  absl::StatusOr<StageWeights> w = ParseStageWeights(kDefaultSpec, "stage_weights");
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(*w, DefaultStageWeights());
}

TEST(SubjectsStageWeightsTest, ParsesAnyOrderAndTheBoundsZeroAndTenThousand) {
  absl::StatusOr<StageWeights> w = ParseStageWeights(
      "contract:10000,negotiation:6000,proposal:4000,qualified:1,lead:0", "stage_weights");
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->size(), 5u);
  EXPECT_EQ(w->at(kLead), 0);
  EXPECT_EQ(w->at(kQualified), 1);
  EXPECT_EQ(w->at(kProposal), 4000);
  EXPECT_EQ(w->at(kNegotiation), 6000);
  EXPECT_EQ(w->at(kContract), 10000);
}

struct BadSpec {
  const char* what;
  const char* spec;
  const char* description_part;  // expected in the violation's description
};

class SubjectsBadStageWeightsTest : public ::testing::TestWithParam<BadSpec> {};

TEST_P(SubjectsBadStageWeightsTest, IsInvalidArgumentNamingTheGivenField) {
  const BadSpec& c = GetParam();
  absl::StatusOr<StageWeights> w = ParseStageWeights(c.spec, "engine.stage_weights");
  ASSERT_FALSE(w.ok()) << c.what;
  EXPECT_EQ(w.status().code(), absl::StatusCode::kInvalidArgument) << c.what;
  std::vector<FieldViolation> v = FieldViolations(w.status());
  ASSERT_EQ(v.size(), 1u) << c.what << ": " << w.status();
  EXPECT_EQ(v[0].field, "engine.stage_weights") << c.what;
  EXPECT_THAT(v[0].description, HasSubstr(c.description_part)) << c.what;
}

INSTANTIATE_TEST_SUITE_P(
    Subjects, SubjectsBadStageWeightsTest,
    ::testing::Values(
        BadSpec{"unknown stage",
                "lead:1000,qualified:2500,proposal:5000,negotiation:7000,"
                "contract:9000,pilot:100",
                "pilot"},
        BadSpec{"closed stage", "lead:1000,qualified:2500,proposal:5000,negotiation:7000,won:9000",
                "won"},
        BadSpec{"missing stage", "lead:1000,qualified:2500,proposal:5000,negotiation:7000",
                "contract"},
        BadSpec{"empty spec", "", "each of"},
        BadSpec{"duplicate stage",
                "lead:1000,lead:1000,qualified:2500,proposal:5000,"
                "negotiation:7000,contract:9000",
                "twice"},
        BadSpec{"above 10000",
                "lead:1000,qualified:2500,proposal:5000,negotiation:7000,"
                "contract:10001",
                "0..10000"},
        BadSpec{"negative", "lead:-1,qualified:2500,proposal:5000,negotiation:7000,contract:9000",
                "0..10000"},
        BadSpec{"not a number",
                "lead:ten,qualified:2500,proposal:5000,negotiation:7000,"
                "contract:9000",
                "0..10000"},
        BadSpec{"a fraction",
                "lead:10.5,qualified:2500,proposal:5000,negotiation:7000,"
                "contract:9000",
                "0..10000"},
        BadSpec{"no weight", "lead,qualified:2500,proposal:5000,negotiation:7000,contract:9000",
                "<stage>:<basis points>"},
        BadSpec{"two colons",
                "lead:10:00,qualified:2500,proposal:5000,negotiation:7000,"
                "contract:9000",
                "<stage>:<basis points>"},
        BadSpec{"empty weight",
                "lead:,qualified:2500,proposal:5000,negotiation:7000,"
                "contract:9000",
                "0..10000"}),
    [](const ::testing::TestParamInfo<BadSpec>& info) {
      std::string name = info.param.what;
      for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) {
          ch = '_';
        }
      }
      return name;
    });

TEST(SubjectsWeightedAmountTest, AppliesTheStageWeightTruncated) {
  const StageWeights w = DefaultStageWeights();
  EXPECT_EQ(WeightedAmount(w, kLead, 50'000'00), 5'000'00);
  EXPECT_EQ(WeightedAmount(w, kContract, 50'000'00), 45'000'00);
  EXPECT_EQ(WeightedAmount(w, kLead, 12345), 1234);      // 1234.5
  EXPECT_EQ(WeightedAmount(w, kLead, 9), 0);             // 0.9
  EXPECT_EQ(WeightedAmount(w, kQualified, 3), 0);        // 0.75
  EXPECT_EQ(WeightedAmount(w, kQualified, 4), 1);        // exactly 1
  EXPECT_EQ(WeightedAmount(w, kNegotiation, 999), 699);  // 699.3
}

TEST(SubjectsWeightedAmountTest, ClosedUnknownAndNonPositiveAreZero) {
  const StageWeights w = DefaultStageWeights();
  EXPECT_EQ(WeightedAmount(w, kWon, 50'000'00), 0);
  EXPECT_EQ(WeightedAmount(w, kLost, 50'000'00), 0);
  EXPECT_EQ(WeightedAmount(w, kNoStage, 50'000'00), 0);
  EXPECT_EQ(WeightedAmount(w, kProposal, 0), 0);
  EXPECT_EQ(WeightedAmount(w, kProposal, -50'000'00), 0);
  // A closed stage stays at zero even if a weight is configured for it.
  StageWeights odd = w;
  odd[kWon] = 10000;
  EXPECT_EQ(WeightedAmount(odd, kWon, 50'000'00), 0);
  // A stage without a weight counts nothing.
  StageWeights partial = w;
  partial.erase(kProposal);
  EXPECT_EQ(WeightedAmount(partial, kProposal, 50'000'00), 0);
}

TEST(SubjectsWeightedAmountTest, LargeAmountsDoNotOverflow) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  const StageWeights w = DefaultStageWeights();
  EXPECT_EQ(WeightedAmount(w, kContract, max), 8301034833169298226);   // max × 0.9
  EXPECT_EQ(WeightedAmount(w, kQualified, max), 2305843009213693951);  // max × 0.25
  StageWeights full = w;
  full[kLead] = 10000;
  EXPECT_EQ(WeightedAmount(full, kLead, max), max);
}

// ---- Conditions per subject kind ----

TEST(SubjectsAppliesToTest, EveryConditionAgainstEveryKind) {
  using C = v1::ConditionKind;
  using K = v1::SubjectKind;
  const std::vector<C> conditions = {v1::CONDITION_KIND_UNSPECIFIED,
                                     v1::CONDITION_KIND_PACE_BELOW_PLAN,
                                     v1::CONDITION_KIND_PIPELINE_COVERAGE_LOW,
                                     v1::CONDITION_KIND_OPPORTUNITY_STALLED,
                                     v1::CONDITION_KIND_KEY_CUSTOMER_NEGLECTED,
                                     v1::CONDITION_KIND_PAYMENT_OVERDUE,
                                     v1::CONDITION_KIND_TIER_DOWNGRADE,
                                     v1::CONDITION_KIND_FORECAST_GAP};
  const std::vector<K> kinds = {v1::SUBJECT_KIND_UNSPECIFIED, v1::SUBJECT_KIND_OPPORTUNITY,
                                v1::SUBJECT_KIND_CUSTOMER,    v1::SUBJECT_KIND_CONTRACT,
                                v1::SUBJECT_KIND_REP_PERIOD,  v1::SUBJECT_KIND_TEAM_PERIOD};
  auto expected = [](C c, K k) {
    switch (c) {
      case v1::CONDITION_KIND_PACE_BELOW_PLAN:
      case v1::CONDITION_KIND_PIPELINE_COVERAGE_LOW:
      case v1::CONDITION_KIND_FORECAST_GAP:
        return k == v1::SUBJECT_KIND_REP_PERIOD || k == v1::SUBJECT_KIND_TEAM_PERIOD;
      case v1::CONDITION_KIND_OPPORTUNITY_STALLED:
        return k == v1::SUBJECT_KIND_OPPORTUNITY;
      case v1::CONDITION_KIND_KEY_CUSTOMER_NEGLECTED:
      case v1::CONDITION_KIND_TIER_DOWNGRADE:
        return k == v1::SUBJECT_KIND_CUSTOMER;
      case v1::CONDITION_KIND_PAYMENT_OVERDUE:
        return k == v1::SUBJECT_KIND_CONTRACT;
      default:
        return false;
    }
  };
  int applicable = 0;
  for (C c : conditions) {
    for (K k : kinds) {
      EXPECT_EQ(AppliesTo(c, k), expected(c, k))
          << v1::ConditionKind_Name(c) << " × " << v1::SubjectKind_Name(k);
      applicable += AppliesTo(c, k) ? 1 : 0;
    }
  }
  EXPECT_EQ(applicable, 10);  // 3 period conditions × 2 + stalled + 2 customer + overdue
  // Spot checks written out, independent of the table above.
  EXPECT_TRUE(AppliesTo(v1::CONDITION_KIND_PACE_BELOW_PLAN, v1::SUBJECT_KIND_TEAM_PERIOD));
  EXPECT_FALSE(AppliesTo(v1::CONDITION_KIND_PACE_BELOW_PLAN, v1::SUBJECT_KIND_OPPORTUNITY));
  EXPECT_TRUE(AppliesTo(v1::CONDITION_KIND_TIER_DOWNGRADE, v1::SUBJECT_KIND_CUSTOMER));
  EXPECT_FALSE(AppliesTo(v1::CONDITION_KIND_PAYMENT_OVERDUE, v1::SUBJECT_KIND_CUSTOMER));
  EXPECT_FALSE(AppliesTo(static_cast<C>(99), v1::SUBJECT_KIND_CUSTOMER));
}

TEST(SubjectsKeyTest, SubjectAloneOrWithPeriod) {
  EXPECT_EQ(SubjectKey("opportunities/9", ""), "opportunities/9");
  EXPECT_EQ(SubjectKey("members/7", "fiscalPeriods/2026-Q4"), "members/7|fiscalPeriods/2026-Q4");
}

// ---- Opportunities ----

TEST(SubjectsOpportunityTest, ALateCreatedDoesNotRewindAKnownDeal) {
  v1::SubjectState s;
  ASSERT_TRUE(ApplyOpportunityCreated(Created(kLead), kT0, DefaultStageWeights(), &s));
  s.set_stage(kProposal);
  *s.mutable_stage_entered() = ToTs(kT0 + absl::Hours(48));
  const std::string before = s.SerializeAsString();
  EXPECT_FALSE(ApplyOpportunityCreated(Created(kLead), kT0, DefaultStageWeights(), &s));
  EXPECT_EQ(s.SerializeAsString(), before);
}

TEST(SubjectsOpportunityTest, AClosedDealIsNotReopenedByALateStageChange) {
  v1::SubjectState s;
  ASSERT_TRUE(ApplyOpportunityCreated(Created(kLead), kT0, DefaultStageWeights(), &s));
  ASSERT_TRUE(ApplyOpportunityClosed("opportunities/9", customers::v1::OPPORTUNITY_STAGE_WON, &s));
  customers::v1::OpportunityStageChanged late;
  late.set_opportunity("opportunities/9");
  late.set_from_stage(kLead);
  late.set_to_stage(kProposal);
  EXPECT_FALSE(ApplyStageChanged(late, kT0 + absl::Hours(1), DefaultStageWeights(), &s));
  EXPECT_TRUE(s.closed());
  EXPECT_EQ(s.stage(), customers::v1::OPPORTUNITY_STAGE_WON);
}

TEST(SubjectsOpportunityTest, CreatedFillsTheState) {
  v1::SubjectState s;
  EXPECT_TRUE(ApplyOpportunityCreated(Created(kProposal), kT0, DefaultStageWeights(), &s));
  EXPECT_EQ(s.kind(), v1::SUBJECT_KIND_OPPORTUNITY);
  EXPECT_EQ(s.subject(), "opportunities/9");
  EXPECT_EQ(s.display_name(), "华东医院二期");
  EXPECT_EQ(s.org_unit(), "orgUnits/team-1");
  EXPECT_EQ(s.rep(), "members/7");
  EXPECT_EQ(s.currency_code(), "CNY");
  ASSERT_TRUE(s.has_amount_minor());
  EXPECT_EQ(s.amount_minor(), 50'000'00);
  EXPECT_EQ(s.stage(), kProposal);
  EXPECT_EQ(FromTs(s.stage_entered()), kT0);
  EXPECT_FALSE(s.closed());
  EXPECT_EQ(s.weighted_minor(), 25'000'00);
}

TEST(SubjectsOpportunityTest, CreatedKeepsSubSecondTime) {
  v1::SubjectState s;
  const absl::Time at = kT0 + absl::Milliseconds(250);
  ApplyOpportunityCreated(Created(kLead), at, DefaultStageWeights(), &s);
  EXPECT_EQ(s.stage_entered().seconds(), absl::ToUnixSeconds(kT0));
  EXPECT_EQ(s.stage_entered().nanos(), 250'000'000);
}

TEST(SubjectsOpportunityTest, CreatedInATerminalStageIsClosedAndUnweighted) {
  v1::SubjectState s;
  EXPECT_TRUE(ApplyOpportunityCreated(Created(kWon), kT0, DefaultStageWeights(), &s));
  EXPECT_TRUE(s.closed());
  EXPECT_EQ(s.weighted_minor(), 0);
}

TEST(SubjectsOpportunityTest, CreatedUsesTheGivenWeights) {
  StageWeights w = DefaultStageWeights();
  w[kLead] = 2000;
  v1::SubjectState s;
  ApplyOpportunityCreated(Created(kLead, 1'000), kT0, w, &s);
  EXPECT_EQ(s.weighted_minor(), 200);
}

TEST(SubjectsOpportunityTest, StageChangeMovesStageTimeAndWeight) {
  const StageWeights w = DefaultStageWeights();
  v1::SubjectState s;
  ApplyOpportunityCreated(Created(kLead), kT0, w, &s);
  EXPECT_EQ(s.weighted_minor(), 5'000'00);
  customers::v1::OpportunityStageChanged e = StageChange(kLead, kNegotiation);
  e.mutable_amount()->set_amount_minor(80'000'00);
  const absl::Time t1 = kT0 + 3 * kDay;
  EXPECT_TRUE(ApplyStageChanged(e, t1, w, &s));
  EXPECT_EQ(s.stage(), kNegotiation);
  EXPECT_EQ(FromTs(s.stage_entered()), t1);
  EXPECT_EQ(s.amount_minor(), 80'000'00);
  EXPECT_EQ(s.weighted_minor(), 56'000'00);
  EXPECT_FALSE(s.closed());
  // The event carried no display name: the known one stays.
  EXPECT_EQ(s.display_name(), "华东医院二期");
}

TEST(SubjectsOpportunityTest, StageChangeWithoutAmountKeepsTheAmount) {
  const StageWeights w = DefaultStageWeights();
  v1::SubjectState s;
  ApplyOpportunityCreated(Created(kLead, 40'000'00), kT0, w, &s);
  EXPECT_TRUE(ApplyStageChanged(StageChange(kLead, kContract), kT0 + kDay, w, &s));
  EXPECT_EQ(s.amount_minor(), 40'000'00);
  EXPECT_EQ(s.weighted_minor(), 36'000'00);
}

TEST(SubjectsOpportunityTest, OlderStageChangeAfterANewerOneDoesNotRewind) {
  const StageWeights w = DefaultStageWeights();
  v1::SubjectState s;
  ApplyOpportunityCreated(Created(kLead), kT0, w, &s);
  const absl::Time t2 = kT0 + 10 * kDay;
  ASSERT_TRUE(ApplyStageChanged(StageChange(kQualified, kProposal), t2, w, &s));
  const v1::SubjectState before = s;
  EXPECT_FALSE(ApplyStageChanged(StageChange(kLead, kQualified), t2 - kDay, w, &s));
  EXPECT_TRUE(Same(s, before)) << s.DebugString();
  EXPECT_EQ(s.stage(), kProposal);
  EXPECT_EQ(FromTs(s.stage_entered()), t2);
}

TEST(SubjectsOpportunityTest, StageChangeOnAnUnknownDealStartsItsState) {
  v1::SubjectState s;
  customers::v1::OpportunityStageChanged e = StageChange(kLead, kQualified);
  e.set_display_name("新项目");
  EXPECT_TRUE(ApplyStageChanged(e, kT0, DefaultStageWeights(), &s));
  EXPECT_EQ(s.kind(), v1::SUBJECT_KIND_OPPORTUNITY);
  EXPECT_EQ(s.subject(), "opportunities/9");
  EXPECT_EQ(s.display_name(), "新项目");
  EXPECT_EQ(s.stage(), kQualified);
  EXPECT_EQ(FromTs(s.stage_entered()), kT0);
}

TEST(SubjectsOpportunityTest, StageChangeToATerminalStageCloses) {
  const StageWeights w = DefaultStageWeights();
  v1::SubjectState s;
  ApplyOpportunityCreated(Created(kContract), kT0, w, &s);
  EXPECT_TRUE(ApplyStageChanged(StageChange(kContract, kLost), kT0 + kDay, w, &s));
  EXPECT_TRUE(s.closed());
  EXPECT_EQ(s.weighted_minor(), 0);
}

TEST(SubjectsOpportunityTest, UpdatedBeforeCreatedIsIgnored) {
  v1::SubjectState s;
  customers::v1::Opportunity o;
  o.set_name("opportunities/9");
  o.set_display_name("x");
  o.mutable_amount()->set_amount_minor(1);
  EXPECT_FALSE(ApplyOpportunityUpdated(o, DefaultStageWeights(), &s));
  EXPECT_TRUE(Same(s, v1::SubjectState())) << s.DebugString();
}

TEST(SubjectsOpportunityTest, UpdatedAmountReweighsAndOwnerMoves) {
  const StageWeights w = DefaultStageWeights();
  v1::SubjectState s;
  ApplyOpportunityCreated(Created(kProposal), kT0, w, &s);
  customers::v1::Opportunity o;
  o.set_name("opportunities/9");
  o.set_display_name("华东医院二期");
  o.set_owner("members/7");
  o.set_team("orgUnits/team-1");
  o.mutable_amount()->set_amount_minor(50'000'00);
  o.mutable_amount()->set_currency_code("CNY");
  // Same values: nothing changed.
  EXPECT_FALSE(ApplyOpportunityUpdated(o, w, &s));
  // New amount.
  o.mutable_amount()->set_amount_minor(70'000'00);
  EXPECT_TRUE(ApplyOpportunityUpdated(o, w, &s));
  EXPECT_EQ(s.amount_minor(), 70'000'00);
  EXPECT_EQ(s.weighted_minor(), 35'000'00);
  // New owner and team.
  o.set_owner("members/8");
  o.set_team("orgUnits/team-2");
  EXPECT_TRUE(ApplyOpportunityUpdated(o, w, &s));
  EXPECT_EQ(s.rep(), "members/8");
  EXPECT_EQ(s.org_unit(), "orgUnits/team-2");
  // No amount in the update: the amount stays.
  o.clear_amount();
  EXPECT_FALSE(ApplyOpportunityUpdated(o, w, &s));
  EXPECT_EQ(s.amount_minor(), 70'000'00);
  // The stage is not the update's business.
  EXPECT_EQ(s.stage(), kProposal);
  EXPECT_EQ(FromTs(s.stage_entered()), kT0);
}

TEST(SubjectsOpportunityTest, UpdatedClosedDealStaysUnweighted) {
  const StageWeights w = DefaultStageWeights();
  v1::SubjectState s;
  ApplyOpportunityCreated(Created(kProposal), kT0, w, &s);
  ASSERT_TRUE(ApplyOpportunityClosed("opportunities/9", kWon, &s));
  customers::v1::Opportunity o;
  o.set_display_name("华东医院二期");
  o.set_owner("members/7");
  o.set_team("orgUnits/team-1");
  o.mutable_amount()->set_amount_minor(90'000'00);
  EXPECT_TRUE(ApplyOpportunityUpdated(o, w, &s));
  EXPECT_EQ(s.amount_minor(), 90'000'00);
  EXPECT_EQ(s.weighted_minor(), 0);
}

TEST(SubjectsOpportunityTest, ClosedLeavesThePipelineOnce) {
  const StageWeights w = DefaultStageWeights();
  v1::SubjectState s;
  ApplyOpportunityCreated(Created(kNegotiation), kT0, w, &s);
  ASSERT_GT(s.weighted_minor(), 0);
  EXPECT_TRUE(ApplyOpportunityClosed("opportunities/9", kWon, &s));
  EXPECT_TRUE(s.closed());
  EXPECT_EQ(s.stage(), kWon);
  EXPECT_EQ(s.weighted_minor(), 0);
  EXPECT_EQ(s.kind(), v1::SUBJECT_KIND_OPPORTUNITY);
  const v1::SubjectState before = s;
  EXPECT_FALSE(ApplyOpportunityClosed("opportunities/9", kWon, &s));
  EXPECT_TRUE(Same(s, before));
  // A different terminal stage is a change.
  EXPECT_TRUE(ApplyOpportunityClosed("opportunities/9", kLost, &s));
  EXPECT_EQ(s.stage(), kLost);
}

TEST(SubjectsOpportunityTest, ClosedOnAnUnknownDealRecordsIt) {
  v1::SubjectState s;
  EXPECT_TRUE(ApplyOpportunityClosed("opportunities/4", kLost, &s));
  EXPECT_EQ(s.kind(), v1::SUBJECT_KIND_OPPORTUNITY);
  EXPECT_EQ(s.subject(), "opportunities/4");
  EXPECT_TRUE(s.closed());
}

// ---- Customers ----

TEST(SubjectsCustomerTest, CreatedFillsTheStateAndStartsTheClockAtCreation) {
  v1::SubjectState s;
  EXPECT_TRUE(ApplyCustomerCreated(CustomerRes(customers::v1::CUSTOMER_TIER_A), kT0, &s));
  EXPECT_EQ(s.kind(), v1::SUBJECT_KIND_CUSTOMER);
  EXPECT_EQ(s.subject(), "customers/3");
  EXPECT_EQ(s.display_name(), "上海某集团");
  EXPECT_EQ(s.org_unit(), "orgUnits/team-1");
  EXPECT_EQ(s.rep(), "members/7");
  EXPECT_EQ(s.tier(), customers::v1::CUSTOMER_TIER_A);
  EXPECT_FALSE(s.closed());
  EXPECT_EQ(FromTs(s.last_activity()), kT0);
}

TEST(SubjectsCustomerTest, CreatedUsesItsLastActivityTimeWhenSet) {
  customers::v1::Customer c = CustomerRes(customers::v1::CUSTOMER_TIER_S);
  c.mutable_last_activity_time()->set_seconds(absl::ToUnixSeconds(kT0 - 5 * kDay));
  v1::SubjectState s;
  ApplyCustomerCreated(c, kT0, &s);
  EXPECT_EQ(FromTs(s.last_activity()), kT0 - 5 * kDay);
}

TEST(SubjectsCustomerTest, CreatedDoesNotOverwriteAKnownActivity) {
  v1::SubjectState s;
  ASSERT_TRUE(ApplyActivity("customers/3", kT0 + kDay, &s));
  ApplyCustomerCreated(CustomerRes(customers::v1::CUSTOMER_TIER_S), kT0, &s);
  EXPECT_EQ(FromTs(s.last_activity()), kT0 + kDay);
}

TEST(SubjectsCustomerTest, PoolCustomerIsClosed) {
  v1::SubjectState s;
  ApplyCustomerCreated(CustomerRes(customers::v1::CUSTOMER_TIER_B, ""), kT0, &s);
  EXPECT_TRUE(s.closed());
  EXPECT_TRUE(s.rep().empty());
}

TEST(SubjectsCustomerTest, TierChangeRemembersThePreviousTier) {
  v1::SubjectState s;
  ApplyCustomerCreated(CustomerRes(customers::v1::CUSTOMER_TIER_S), kT0, &s);
  customers::v1::CustomerTierChanged e;
  e.set_customer("customers/3");
  e.set_old_tier(customers::v1::CUSTOMER_TIER_S);
  e.set_new_tier(customers::v1::CUSTOMER_TIER_B);
  e.set_owner("members/7");
  e.set_team("orgUnits/team-1");
  EXPECT_TRUE(ApplyTierChanged(e, &s));
  EXPECT_EQ(s.tier(), customers::v1::CUSTOMER_TIER_B);
  EXPECT_EQ(s.previous_tier(), customers::v1::CUSTOMER_TIER_S);
  EXPECT_EQ(s.display_name(), "上海某集团");  // empty in the event: kept
  // The same tier again changes nothing.
  const v1::SubjectState before = s;
  EXPECT_FALSE(ApplyTierChanged(e, &s));
  EXPECT_TRUE(Same(s, before));
}

TEST(SubjectsCustomerTest, TierChangeOnAnUnknownCustomerStartsItsState) {
  v1::SubjectState s;
  customers::v1::CustomerTierChanged e;
  e.set_customer("customers/3");
  e.set_display_name("上海某集团");
  e.set_old_tier(customers::v1::CUSTOMER_TIER_A);
  e.set_new_tier(customers::v1::CUSTOMER_TIER_C);
  e.set_owner("members/7");
  e.set_team("orgUnits/team-1");
  EXPECT_TRUE(ApplyTierChanged(e, &s));
  EXPECT_EQ(s.kind(), v1::SUBJECT_KIND_CUSTOMER);
  EXPECT_EQ(s.subject(), "customers/3");
  EXPECT_EQ(s.display_name(), "上海某集团");
  EXPECT_EQ(s.rep(), "members/7");
  EXPECT_EQ(s.org_unit(), "orgUnits/team-1");
  EXPECT_EQ(s.previous_tier(), customers::v1::CUSTOMER_TIER_A);
  EXPECT_EQ(s.tier(), customers::v1::CUSTOMER_TIER_C);
}

TEST(SubjectsCustomerTest, LaterActivityWinsOlderDoesNotRewind) {
  v1::SubjectState s;
  ApplyCustomerCreated(CustomerRes(customers::v1::CUSTOMER_TIER_A), kT0, &s);
  EXPECT_TRUE(ApplyActivity("customers/3", kT0 + 2 * kDay, &s));
  EXPECT_EQ(FromTs(s.last_activity()), kT0 + 2 * kDay);
  const v1::SubjectState before = s;
  EXPECT_FALSE(ApplyActivity("customers/3", kT0 + kDay, &s));      // backfilled, older
  EXPECT_FALSE(ApplyActivity("customers/3", kT0 + 2 * kDay, &s));  // same instant
  EXPECT_TRUE(Same(s, before));
  EXPECT_TRUE(ApplyActivity("customers/3", kT0 + 2 * kDay + absl::Seconds(1), &s));
  EXPECT_EQ(FromTs(s.last_activity()), kT0 + 2 * kDay + absl::Seconds(1));
}

TEST(SubjectsCustomerTest, ActivityOnAnUnknownCustomerStartsItsState) {
  v1::SubjectState s;
  EXPECT_TRUE(ApplyActivity("customers/3", kT0, &s));
  EXPECT_EQ(s.kind(), v1::SUBJECT_KIND_CUSTOMER);
  EXPECT_EQ(s.subject(), "customers/3");
  EXPECT_EQ(FromTs(s.last_activity()), kT0);
}

TEST(SubjectsCustomerTest, ReleasedIsClosedOnceAndAClaimReopens) {
  v1::SubjectState s;
  ApplyCustomerCreated(CustomerRes(customers::v1::CUSTOMER_TIER_A), kT0, &s);
  EXPECT_TRUE(ApplyCustomerReleased("customers/3", &s));
  EXPECT_TRUE(s.closed());
  EXPECT_TRUE(s.rep().empty());
  const v1::SubjectState released = s;
  EXPECT_FALSE(ApplyCustomerReleased("customers/3", &s));
  EXPECT_TRUE(Same(s, released));

  const absl::Time claimed = kT0 + 40 * kDay;
  EXPECT_TRUE(ApplyCustomerOwner("customers/3", "", "members/8", "orgUnits/team-2", claimed, &s));
  EXPECT_FALSE(s.closed());
  EXPECT_EQ(s.rep(), "members/8");
  EXPECT_EQ(s.org_unit(), "orgUnits/team-2");
  EXPECT_EQ(s.display_name(), "上海某集团");  // empty name given: kept
  // A new owner starts the neglect clock afresh.
  EXPECT_EQ(FromTs(s.last_activity()), claimed);
}

TEST(SubjectsCustomerTest, HandOverDoesNotMoveTheClockBack) {
  v1::SubjectState s;
  ApplyCustomerCreated(CustomerRes(customers::v1::CUSTOMER_TIER_A), kT0, &s);
  ApplyActivity("customers/3", kT0 + 5 * kDay, &s);
  EXPECT_TRUE(ApplyCustomerOwner("customers/3", "上海某集团(新)", "members/9", "orgUnits/team-3",
                                 kT0 + 2 * kDay, &s));
  EXPECT_EQ(s.rep(), "members/9");
  EXPECT_EQ(s.display_name(), "上海某集团(新)");
  EXPECT_EQ(FromTs(s.last_activity()), kT0 + 5 * kDay);
}

TEST(SubjectsCustomerTest, OwnerEventWithoutOwnerLeavesItClosed) {
  v1::SubjectState s;
  ApplyCustomerCreated(CustomerRes(customers::v1::CUSTOMER_TIER_A), kT0, &s);
  ApplyCustomerOwner("customers/3", "", "", "", kT0 + kDay, &s);
  EXPECT_TRUE(s.closed());
}

TEST(SubjectsCustomerTest, ReleaseOfAnUnknownCustomerRecordsIt) {
  v1::SubjectState s;
  EXPECT_TRUE(ApplyCustomerReleased("customers/3", &s));
  EXPECT_EQ(s.kind(), v1::SUBJECT_KIND_CUSTOMER);
  EXPECT_EQ(s.subject(), "customers/3");
  EXPECT_TRUE(s.closed());
}

// ---- Contracts ----

TEST(SubjectsContractTest, OverdueRecordsTheInstalmentDueAtTheEndOfItsDay) {
  const absl::TimeZone sh = Shanghai();
  v1::SubjectState s;
  EXPECT_TRUE(ApplyPaymentOverdue(Overdue("i1", Date(2026, 3, 31), 12'000'00), sh, &s));
  EXPECT_EQ(s.kind(), v1::SUBJECT_KIND_CONTRACT);
  EXPECT_EQ(s.subject(), "contracts/5");
  EXPECT_EQ(s.display_name(), "contracts/5");
  EXPECT_EQ(s.org_unit(), "orgUnits/team-1");
  EXPECT_EQ(s.rep(), "members/7");
  EXPECT_EQ(s.currency_code(), "CNY");
  ASSERT_EQ(s.overdue_size(), 1);
  EXPECT_EQ(s.overdue(0).instalment_id(), "i1");
  EXPECT_EQ(s.overdue(0).outstanding_minor(), 12'000'00);
  // Due until the end of Mar 31 in Shanghai = Apr 1 00:00 +08:00 = Mar 31 16:00 UTC.
  EXPECT_EQ(FromTs(s.overdue(0).due_time()), Local(2026, 4, 1, 0, 0, 0, sh));
  EXPECT_EQ(FromTs(s.overdue(0).due_time()),
            absl::FromCivil(absl::CivilSecond(2026, 3, 31, 16, 0, 0), absl::UTCTimeZone()));
}

TEST(SubjectsContractTest, OverdueKeepsAKnownDisplayName) {
  v1::SubjectState s;
  s.set_display_name("合同 A");
  ApplyPaymentOverdue(Overdue("i1", Date(2026, 3, 31), 1), Shanghai(), &s);
  EXPECT_EQ(s.display_name(), "合同 A");
}

TEST(SubjectsContractTest, DuplicateOverdueForTheSameInstalmentChangesNothing) {
  const absl::TimeZone sh = Shanghai();
  v1::SubjectState s;
  ASSERT_TRUE(ApplyPaymentOverdue(Overdue("i1", Date(2026, 3, 31), 12'000'00), sh, &s));
  const v1::SubjectState before = s;
  EXPECT_FALSE(ApplyPaymentOverdue(Overdue("i1", Date(2026, 3, 31), 12'000'00), sh, &s));
  EXPECT_TRUE(Same(s, before)) << s.DebugString();
  // Even with another amount or date: raised once per instalment.
  EXPECT_FALSE(ApplyPaymentOverdue(Overdue("i1", Date(2026, 4, 30), 1'00), sh, &s));
  ASSERT_EQ(s.overdue_size(), 1);
  EXPECT_EQ(s.overdue(0).outstanding_minor(), 12'000'00);
}

TEST(SubjectsContractTest, OverdueListIsSortedByDueTime) {
  const absl::TimeZone sh = Shanghai();
  v1::SubjectState s;
  ASSERT_TRUE(ApplyPaymentOverdue(Overdue("i3", Date(2026, 5, 31), 300), sh, &s));
  ASSERT_TRUE(ApplyPaymentOverdue(Overdue("i1", Date(2026, 1, 31), 100), sh, &s));
  ASSERT_TRUE(ApplyPaymentOverdue(Overdue("i2", Date(2026, 3, 31), 200), sh, &s));
  ASSERT_EQ(s.overdue_size(), 3);
  EXPECT_EQ(s.overdue(0).instalment_id(), "i1");
  EXPECT_EQ(s.overdue(1).instalment_id(), "i2");
  EXPECT_EQ(s.overdue(2).instalment_id(), "i3");
  EXPECT_EQ(s.overdue(0).outstanding_minor(), 100);
  EXPECT_EQ(s.overdue(2).outstanding_minor(), 300);
  EXPECT_LT(FromTs(s.overdue(0).due_time()), FromTs(s.overdue(1).due_time()));
  EXPECT_LT(FromTs(s.overdue(1).due_time()), FromTs(s.overdue(2).due_time()));
}

TEST(SubjectsContractTest, PartialPaymentReducesFullPaymentRemoves) {
  const absl::TimeZone sh = Shanghai();
  v1::SubjectState s;
  ApplyPaymentOverdue(Overdue("i1", Date(2026, 1, 31), 10'000'00), sh, &s);
  ApplyPaymentOverdue(Overdue("i2", Date(2026, 2, 28), 5'000'00), sh, &s);

  EXPECT_TRUE(
      ApplyPaymentReceived(Received("i1", 4'000'00, customers::v1::INSTALMENT_STATE_OVERDUE), &s));
  ASSERT_EQ(s.overdue_size(), 2);
  EXPECT_EQ(s.overdue(0).instalment_id(), "i1");
  EXPECT_EQ(s.overdue(0).outstanding_minor(), 6'000'00);

  // The rest of i1, state still reported OVERDUE: nothing left, removed.
  EXPECT_TRUE(
      ApplyPaymentReceived(Received("i1", 6'000'00, customers::v1::INSTALMENT_STATE_OVERDUE), &s));
  ASSERT_EQ(s.overdue_size(), 1);
  EXPECT_EQ(s.overdue(0).instalment_id(), "i2");

  // RECEIVED removes it whatever the amount (e.g. a write-off of the rest).
  EXPECT_TRUE(
      ApplyPaymentReceived(Received("i2", 1'00, customers::v1::INSTALMENT_STATE_RECEIVED), &s));
  EXPECT_EQ(s.overdue_size(), 0);
}

// Found while fuzzing the warning domain (UBSan): outstanding - amount
// overflowed int64 for a malformed PaymentReceived with a huge negative amount.
TEST(SubjectsContractTest, ExtremePaymentAmountDoesNotOverflow) {
  v1::SubjectState s;
  ApplyPaymentOverdue(Overdue("i1", Date(2026, 1, 31), 10'000'00), Shanghai(), &s);
  EXPECT_TRUE(ApplyPaymentReceived(
      Received("i1", std::numeric_limits<int64_t>::min(), customers::v1::INSTALMENT_STATE_OVERDUE),
      &s));
  ASSERT_EQ(s.overdue_size(), 1);
  EXPECT_EQ(s.overdue(0).outstanding_minor(), std::numeric_limits<int64_t>::max());
}

TEST(SubjectsContractTest, OverpaymentRemovesTheInstalment) {
  v1::SubjectState s;
  ApplyPaymentOverdue(Overdue("i1", Date(2026, 1, 31), 10'000'00), Shanghai(), &s);
  EXPECT_TRUE(
      ApplyPaymentReceived(Received("i1", 11'000'00, customers::v1::INSTALMENT_STATE_OVERDUE), &s));
  EXPECT_EQ(s.overdue_size(), 0);
}

TEST(SubjectsContractTest, PaymentForAnotherInstalmentChangesNothing) {
  v1::SubjectState s;
  ApplyPaymentOverdue(Overdue("i1", Date(2026, 1, 31), 10'000'00), Shanghai(), &s);
  const v1::SubjectState before = s;
  EXPECT_FALSE(ApplyPaymentReceived(
      Received("i9", 10'000'00, customers::v1::INSTALMENT_STATE_RECEIVED), &s));
  EXPECT_TRUE(Same(s, before));
  v1::SubjectState empty;
  EXPECT_FALSE(
      ApplyPaymentReceived(Received("i1", 1, customers::v1::INSTALMENT_STATE_RECEIVED), &empty));
}

TEST(SubjectsContractTest, EndedClosesOnce) {
  v1::SubjectState s;
  ApplyPaymentOverdue(Overdue("i1", Date(2026, 1, 31), 10'000'00), Shanghai(), &s);
  EXPECT_TRUE(ApplyContractEnded("contracts/5", &s));
  EXPECT_TRUE(s.closed());
  EXPECT_EQ(s.kind(), v1::SUBJECT_KIND_CONTRACT);
  EXPECT_EQ(s.subject(), "contracts/5");
  const v1::SubjectState before = s;
  EXPECT_FALSE(ApplyContractEnded("contracts/5", &s));
  EXPECT_TRUE(Same(s, before));
}

// ---- Periods ----

TEST(SubjectsAttainmentTest, RepLevelFillsAPeriodState) {
  v1::SubjectState s;
  EXPECT_TRUE(ApplyAttainment(Attainment(targets::v1::ATTAINMENT_LEVEL_REP), &s));
  EXPECT_EQ(s.kind(), v1::SUBJECT_KIND_REP_PERIOD);
  EXPECT_EQ(s.subject(), "members/7");
  EXPECT_EQ(s.display_name(), "members/7");
  EXPECT_EQ(s.rep(), "members/7");
  EXPECT_EQ(s.org_unit(), "orgUnits/team-1");
  EXPECT_EQ(s.period(), "fiscalPeriods/2026-Q4");
  EXPECT_EQ(s.currency_code(), "CNY");
  ASSERT_TRUE(s.has_pace_bp());
  EXPECT_EQ(s.pace_bp(), 7000);
  ASSERT_TRUE(s.has_target_minor());
  EXPECT_EQ(s.target_minor(), 1'000'000'00);
  ASSERT_TRUE(s.has_actual_minor());
  EXPECT_EQ(s.actual_minor(), 300'000'00);
  EXPECT_EQ(s.period_start().year(), 2026);
  EXPECT_EQ(s.period_start().month(), 10);
  EXPECT_EQ(s.period_start().day(), 1);
  EXPECT_EQ(s.period_end().month(), 12);
  EXPECT_EQ(s.period_end().day(), 31);
}

TEST(SubjectsAttainmentTest, TeamLevelIsATeamPeriod) {
  v1::SubjectState s;
  EXPECT_TRUE(ApplyAttainment(Attainment(targets::v1::ATTAINMENT_LEVEL_TEAM), &s));
  EXPECT_EQ(s.kind(), v1::SUBJECT_KIND_TEAM_PERIOD);
  EXPECT_EQ(s.subject(), "orgUnits/team-1");
  EXPECT_TRUE(s.rep().empty());
}

TEST(SubjectsAttainmentTest, LaterFiguresReplaceEarlierOnes) {
  v1::SubjectState s = RepPeriod(1'000'000'00, 300'000'00, 7000);
  EXPECT_TRUE(ApplyAttainment(
      Attainment(targets::v1::ATTAINMENT_LEVEL_REP, 1'000'000'00, 500'000'00, 9000), &s));
  EXPECT_EQ(s.actual_minor(), 500'000'00);
  EXPECT_EQ(s.pace_bp(), 9000);
}

TEST(SubjectsAttainmentTest, OtherLevelsAreIgnoredAndLeaveTheStateUntouched) {
  const v1::SubjectState base = RepPeriod();
  for (targets::v1::AttainmentLevel level :
       {targets::v1::ATTAINMENT_LEVEL_CELL, targets::v1::ATTAINMENT_LEVEL_REGION,
        targets::v1::ATTAINMENT_LEVEL_COMPANY, targets::v1::ATTAINMENT_LEVEL_UNSPECIFIED}) {
    v1::SubjectState s = base;
    targets::v1::AttainmentUpdated e = Attainment(level, 5, 4, 1);
    e.set_subject("plans/p1/cells/c1");
    EXPECT_FALSE(ApplyAttainment(e, &s)) << targets::v1::AttainmentLevel_Name(level);
    EXPECT_TRUE(Same(s, base)) << targets::v1::AttainmentLevel_Name(level);
    v1::SubjectState empty;
    EXPECT_FALSE(ApplyAttainment(e, &empty));
    EXPECT_TRUE(Same(empty, v1::SubjectState()));
  }
}

TEST(SubjectsAttainmentTest, ARepWithSeveralCellsIsTheSumOfThem) {
  v1::SubjectState s;
  targets::v1::AttainmentUpdated a = Attainment(targets::v1::ATTAINMENT_LEVEL_REP, 600, 300, 5000);
  a.set_subject("plans/p1/cells/pl-a.rep-7");
  targets::v1::AttainmentUpdated b = Attainment(targets::v1::ATTAINMENT_LEVEL_REP, 400, 100, 2500);
  b.set_subject("plans/p1/cells/pl-b.rep-7");
  ASSERT_TRUE(ApplyAttainment(a, &s));
  ASSERT_TRUE(ApplyAttainment(b, &s));
  EXPECT_EQ(s.subject(), "members/7");
  EXPECT_EQ(s.target_minor(), 1000);
  EXPECT_EQ(s.actual_minor(), 400);
  // expected 600 + 400 = 1000 to date: pace 400 / 1000.
  EXPECT_EQ(s.pace_bp(), 4000);
  // The same cell again replaces its figures, it does not add them twice.
  a.mutable_actual()->set_amount_minor(600);
  a.mutable_expected_to_date()->set_amount_minor(600);
  ASSERT_TRUE(ApplyAttainment(a, &s));
  EXPECT_EQ(s.actual_minor(), 700);
  EXPECT_EQ(s.pace_bp(), 7000);
  // A newer plan's figures replace the old plan's cells.
  targets::v1::AttainmentUpdated next =
      Attainment(targets::v1::ATTAINMENT_LEVEL_REP, 900, 90, 1000);
  next.set_plan("plans/p2");
  ASSERT_TRUE(ApplyAttainment(next, &s));
  EXPECT_EQ(s.cells_size(), 1);
  EXPECT_EQ(s.target_minor(), 900);
  EXPECT_EQ(s.pace_bp(), 1000);
  EXPECT_EQ(AttainmentSubject(next), "members/7");
}

// A roll-up event (subject "members/…", the rep's totals over all cells) is
// the whole figure: it replaces earlier cells, and later per-cell events of an
// older targets version are not added on top of it.
TEST(SubjectsAttainmentTest, RollupEventIsTheWholeFigure) {
  v1::SubjectState s;
  targets::v1::AttainmentUpdated cell =
      Attainment(targets::v1::ATTAINMENT_LEVEL_REP, 600, 300, 5000);
  cell.set_subject("plans/p1/cells/pl-a.rep-7");
  ASSERT_TRUE(ApplyAttainment(cell, &s));
  targets::v1::AttainmentUpdated rollup =
      Attainment(targets::v1::ATTAINMENT_LEVEL_REP, 1'000, 450, 6000);
  rollup.set_subject("members/7");
  ASSERT_TRUE(ApplyAttainment(rollup, &s));
  EXPECT_EQ(s.target_minor(), 1'000);
  EXPECT_EQ(s.actual_minor(), 450);
  EXPECT_EQ(s.pace_bp(), 6000);
  EXPECT_FALSE(ApplyAttainment(cell, &s));
  EXPECT_EQ(s.actual_minor(), 450);
  rollup.mutable_actual()->set_amount_minor(500);
  ASSERT_TRUE(ApplyAttainment(rollup, &s));
  EXPECT_EQ(s.actual_minor(), 500);
  EXPECT_EQ(s.cells_size(), 1);
}

// ---- State → facts ----

TEST(SubjectsToFactsTest, Opportunity) {
  v1::SubjectState s;
  ApplyOpportunityCreated(Created(kProposal, 42'000'00), kT0, DefaultStageWeights(), &s);
  const SubjectFacts f = ToFacts(s, std::nullopt, kT0 + kDay, Shanghai());
  EXPECT_EQ(f.subject, "opportunities/9");
  EXPECT_EQ(f.subject_display_name, "华东医院二期");
  EXPECT_EQ(f.org_unit, "orgUnits/team-1");
  EXPECT_EQ(f.rep, "members/7");
  EXPECT_EQ(f.currency_code, "CNY");
  EXPECT_TRUE(f.period.empty());
  EXPECT_FALSE(f.subject_closed);
  EXPECT_EQ(f.stage, kProposal);
  ASSERT_TRUE(f.stage_entered.has_value());
  EXPECT_EQ(*f.stage_entered, kT0);
  ASSERT_TRUE(f.amount_minor.has_value());
  EXPECT_EQ(*f.amount_minor, 42'000'00);
  // Nothing of other kinds.
  EXPECT_FALSE(f.last_activity.has_value());
  EXPECT_FALSE(f.overdue_amount_minor.has_value());
  EXPECT_FALSE(f.pace_bp.has_value());
  EXPECT_FALSE(f.period_close.has_value());
}

TEST(SubjectsToFactsTest, OpportunityInAnotherCurrencyAndClosed) {
  v1::SubjectState s;
  customers::v1::OpportunityCreated e = Created(kLead);
  e.mutable_amount()->set_currency_code("USD");
  ApplyOpportunityCreated(e, kT0, DefaultStageWeights(), &s);
  ApplyOpportunityClosed("opportunities/9", kLost, &s);
  const SubjectFacts f = ToFacts(s, std::nullopt, kT0, Shanghai());
  EXPECT_EQ(f.currency_code, "USD");
  EXPECT_TRUE(f.subject_closed);
  EXPECT_EQ(f.stage, kLost);
}

TEST(SubjectsToFactsTest, Customer) {
  v1::SubjectState s;
  ApplyCustomerCreated(CustomerRes(customers::v1::CUSTOMER_TIER_S), kT0, &s);
  customers::v1::CustomerTierChanged e;
  e.set_customer("customers/3");
  e.set_old_tier(customers::v1::CUSTOMER_TIER_S);
  e.set_new_tier(customers::v1::CUSTOMER_TIER_A);
  e.set_owner("members/7");
  e.set_team("orgUnits/team-1");
  ApplyTierChanged(e, &s);
  ApplyActivity("customers/3", kT0 + 3 * kDay, &s);
  const SubjectFacts f = ToFacts(s, std::nullopt, kT0 + 10 * kDay, Shanghai());
  EXPECT_EQ(f.subject, "customers/3");
  EXPECT_EQ(f.tier, customers::v1::CUSTOMER_TIER_A);
  EXPECT_EQ(f.previous_tier, customers::v1::CUSTOMER_TIER_S);
  ASSERT_TRUE(f.last_activity.has_value());
  EXPECT_EQ(*f.last_activity, kT0 + 3 * kDay);
  EXPECT_FALSE(f.subject_closed);
  EXPECT_EQ(f.stage, kNoStage);
  EXPECT_FALSE(f.stage_entered.has_value());
}

TEST(SubjectsToFactsTest, ReleasedCustomerIsClosed) {
  v1::SubjectState s;
  ApplyCustomerCreated(CustomerRes(customers::v1::CUSTOMER_TIER_S), kT0, &s);
  ApplyCustomerReleased("customers/3", &s);
  EXPECT_TRUE(ToFacts(s, std::nullopt, kT0, Shanghai()).subject_closed);
}

TEST(SubjectsToFactsTest, ContractWithoutOverdueHasZeroOutstanding) {
  v1::SubjectState s;
  s.set_kind(v1::SUBJECT_KIND_CONTRACT);
  s.set_subject("contracts/5");
  const SubjectFacts f = ToFacts(s, std::nullopt, kT0, Shanghai());
  ASSERT_TRUE(f.overdue_amount_minor.has_value());
  EXPECT_EQ(*f.overdue_amount_minor, 0);
  EXPECT_FALSE(f.payment_due.has_value());
}

TEST(SubjectsToFactsTest, ContractReportsItsOldestOverdueInstalment) {
  const absl::TimeZone sh = Shanghai();
  v1::SubjectState s;
  ApplyPaymentOverdue(Overdue("i2", Date(2026, 3, 31), 200), sh, &s);
  ApplyPaymentOverdue(Overdue("i1", Date(2026, 1, 31), 100), sh, &s);
  SubjectFacts f = ToFacts(s, std::nullopt, kT0, sh);
  ASSERT_TRUE(f.payment_due.has_value());
  EXPECT_EQ(*f.payment_due, Local(2026, 2, 1, 0, 0, 0, sh));
  EXPECT_EQ(f.overdue_amount_minor, 100);
  // Paid off: the next one.
  ApplyPaymentReceived(Received("i1", 100, customers::v1::INSTALMENT_STATE_RECEIVED), &s);
  f = ToFacts(s, std::nullopt, kT0, sh);
  EXPECT_EQ(*f.payment_due, Local(2026, 4, 1, 0, 0, 0, sh));
  EXPECT_EQ(f.overdue_amount_minor, 200);
  // All paid: nothing outstanding.
  ApplyPaymentReceived(Received("i2", 200, customers::v1::INSTALMENT_STATE_RECEIVED), &s);
  f = ToFacts(s, std::nullopt, kT0, sh);
  EXPECT_EQ(f.overdue_amount_minor, 0);
  EXPECT_FALSE(f.payment_due.has_value());
}

TEST(SubjectsToFactsTest, PeriodFiguresAndPipelinePassedThrough) {
  const absl::TimeZone sh = Shanghai();
  const v1::SubjectState s = RepPeriod(1'000'000'00, 300'000'00, 7000);
  const SubjectFacts f = ToFacts(s, 1'234'567, Local(2026, 11, 1, 12, 0, 0, sh), sh);
  EXPECT_EQ(f.subject, "members/7");
  EXPECT_EQ(f.period, "fiscalPeriods/2026-Q4");
  EXPECT_EQ(f.pace_bp, 7000);
  EXPECT_EQ(f.target_minor, 1'000'000'00);
  EXPECT_EQ(f.target_remaining_minor, 700'000'00);
  EXPECT_EQ(f.weighted_pipeline_minor, 1'234'567);
  EXPECT_EQ(f.period_elapsed_days, 31);
  EXPECT_EQ(f.period_start, Local(2026, 10, 1, 0, 0, 0, sh));
  EXPECT_EQ(f.period_close, Local(2027, 1, 1, 0, 0, 0, sh));
  EXPECT_FALSE(f.subject_closed);

  const SubjectFacts none = ToFacts(s, std::nullopt, Local(2026, 11, 1, 12, 0, 0, sh), sh);
  EXPECT_FALSE(none.weighted_pipeline_minor.has_value());
}

TEST(SubjectsToFactsTest, TargetRemainingIsClampedAtZero) {
  const absl::TimeZone sh = Shanghai();
  const absl::Time now = Local(2026, 11, 1, 12, 0, 0, sh);
  EXPECT_EQ(ToFacts(RepPeriod(1'000, 1'500), 0, now, sh).target_remaining_minor, 0);
  EXPECT_EQ(ToFacts(RepPeriod(1'000, 1'000), 0, now, sh).target_remaining_minor, 0);
  EXPECT_EQ(ToFacts(RepPeriod(1'000, 999), 0, now, sh).target_remaining_minor, 1);
  // No actual yet: all of the target remains.
  v1::SubjectState s = RepPeriod(1'000, 0);
  s.clear_actual_minor();
  EXPECT_EQ(ToFacts(s, 0, now, sh).target_remaining_minor, 1'000);
  // No target: neither target nor remaining is known.
  s.clear_target_minor();
  const SubjectFacts f = ToFacts(s, 0, now, sh);
  EXPECT_FALSE(f.target_minor.has_value());
  EXPECT_FALSE(f.target_remaining_minor.has_value());
}

// Found while fuzzing the warning domain (UBSan): target - actual overflowed
// int64 for extreme figures in the projection (e.g. from a poison event).
TEST(SubjectsToFactsTest, TargetRemainingDoesNotOverflowOnExtremeFigures) {
  const absl::TimeZone sh = Shanghai();
  const absl::Time now = Local(2026, 11, 1, 12, 0, 0, sh);
  v1::SubjectState s = RepPeriod();
  s.set_target_minor(std::numeric_limits<int64_t>::min() + 1);
  s.set_actual_minor(std::numeric_limits<int64_t>::max());
  EXPECT_EQ(ToFacts(s, 0, now, sh).target_remaining_minor, 0);
  s.set_target_minor(std::numeric_limits<int64_t>::max());
  s.set_actual_minor(-1'000);
  EXPECT_EQ(ToFacts(s, 0, now, sh).target_remaining_minor, std::numeric_limits<int64_t>::max());
}

TEST(SubjectsToFactsTest, ElapsedDaysCountShanghaiCalendarDays) {
  const absl::TimeZone sh = Shanghai();
  const v1::SubjectState s = RepPeriod();
  // The first day counts as 0.
  EXPECT_EQ(ToFacts(s, 0, Local(2026, 10, 1, 0, 0, 0, sh), sh).period_elapsed_days, 0);
  EXPECT_EQ(ToFacts(s, 0, Local(2026, 10, 1, 23, 59, 59, sh), sh).period_elapsed_days, 0);
  EXPECT_EQ(ToFacts(s, 0, Local(2026, 10, 2, 0, 0, 0, sh), sh).period_elapsed_days, 1);
  // 00:30 on Oct 15 in Shanghai is still Oct 14 in UTC: Shanghai's calendar decides.
  EXPECT_EQ(ToFacts(s, 0, Local(2026, 10, 15, 0, 30, 0, sh), sh).period_elapsed_days, 14);
  EXPECT_EQ(
      ToFacts(s, 0, Local(2026, 10, 15, 0, 30, 0, sh), absl::UTCTimeZone()).period_elapsed_days,
      13);
  // Before the period starts: 0, never negative.
  EXPECT_EQ(ToFacts(s, 0, Local(2026, 9, 30, 23, 59, 59, sh), sh).period_elapsed_days, 0);
  EXPECT_EQ(ToFacts(s, 0, Local(2026, 6, 1, 0, 0, 0, sh), sh).period_elapsed_days, 0);
}

TEST(SubjectsToFactsTest, PeriodClosesAtTheStartOfTheDayAfterItsEnd) {
  const absl::TimeZone sh = Shanghai();
  const v1::SubjectState s = RepPeriod();
  const absl::Time close = Local(2027, 1, 1, 0, 0, 0, sh);
  EXPECT_EQ(PeriodCloseTime(Date(2026, 12, 31), sh), close);
  EXPECT_FALSE(ToFacts(s, 0, close - absl::Seconds(1), sh).subject_closed);
  EXPECT_TRUE(ToFacts(s, 0, close, sh).subject_closed);
  EXPECT_TRUE(ToFacts(s, 0, close + 30 * kDay, sh).subject_closed);
  // Month ends and leap days roll over correctly.
  EXPECT_EQ(PeriodCloseTime(Date(2028, 2, 28), sh), Local(2028, 2, 29, 0, 0, 0, sh));
  EXPECT_EQ(PeriodCloseTime(Date(2026, 2, 28), sh), Local(2026, 3, 1, 0, 0, 0, sh));
}

TEST(SubjectsToFactsTest, PeriodWithoutDatesHasNoCalendarFacts) {
  v1::SubjectState s = RepPeriod();
  s.clear_period_start();
  s.clear_period_end();
  const SubjectFacts f = ToFacts(s, 0, kT0, Shanghai());
  EXPECT_FALSE(f.period_elapsed_days.has_value());
  EXPECT_FALSE(f.period_start.has_value());
  EXPECT_FALSE(f.period_close.has_value());
  EXPECT_FALSE(f.subject_closed);
  EXPECT_EQ(f.pace_bp, 7000);
}

TEST(SubjectsToFactsTest, TeamPeriodLikeARepPeriod) {
  const absl::TimeZone sh = Shanghai();
  v1::SubjectState s;
  ApplyAttainment(Attainment(targets::v1::ATTAINMENT_LEVEL_TEAM), &s);
  const SubjectFacts f = ToFacts(s, 99, Local(2026, 10, 8, 9, 0, 0, sh), sh);
  EXPECT_EQ(f.subject, "orgUnits/team-1");
  EXPECT_EQ(f.period_elapsed_days, 7);
  EXPECT_EQ(f.weighted_pipeline_minor, 99);
  EXPECT_EQ(f.target_remaining_minor, 700'000'00);
}

TEST(SubjectsToFactsTest, PipelineIgnoredForNonPeriodSubjects) {
  v1::SubjectState s;
  ApplyOpportunityCreated(Created(kLead), kT0, DefaultStageWeights(), &s);
  EXPECT_FALSE(ToFacts(s, 123, kT0, Shanghai()).weighted_pipeline_minor.has_value());
}

// ---- Due times ----

SubjectFacts OpportunityFacts(OpportunityStage stage, absl::Time entered) {
  SubjectFacts f;
  f.subject = "opportunities/9";
  f.stage = stage;
  f.stage_entered = entered;
  f.amount_minor = 50'000'00;
  return f;
}

TEST(SubjectsNextChangeTest, StalledIsTheStageLimitAfterEnteringTheStage) {
  const v1::Rule proposal = Shipped("rules/opportunity-stalled-proposal");  // 14 days
  const SubjectFacts f = OpportunityFacts(kProposal, kT0);
  EXPECT_EQ(NextChange(proposal, f, kT0 + kDay), kT0 + 14 * kDay);
  EXPECT_EQ(NextChange(proposal, f, kT0), kT0 + 14 * kDay);
  const v1::Rule contract = Shipped("rules/opportunity-stalled-contract");  // 7 days
  EXPECT_EQ(NextChange(contract, OpportunityFacts(kContract, kT0), kT0), kT0 + 7 * kDay);
}

TEST(SubjectsNextChangeTest, StalledRuleForAnotherStageNeverDue) {
  const v1::Rule proposal = Shipped("rules/opportunity-stalled-proposal");
  for (OpportunityStage other : {kLead, kQualified, kNegotiation, kContract}) {
    EXPECT_EQ(NextChange(proposal, OpportunityFacts(other, kT0), kT0 + kDay), std::nullopt)
        << customers::v1::OpportunityStage_Name(other);
  }
}

TEST(SubjectsNextChangeTest, StalledRuleWithoutStageWatchesEveryOpenStage) {
  v1::Rule any = Shipped("rules/opportunity-stalled-lead");  // 30 days
  any.set_name("rules/any-stage-stalled");
  for (OpportunityStage stage : {kLead, kQualified, kProposal, kNegotiation, kContract}) {
    EXPECT_EQ(NextChange(any, OpportunityFacts(stage, kT0), kT0), kT0 + 30 * kDay);
  }
}

TEST(SubjectsNextChangeTest, StalledNeverDueForClosedOrUnknownDeals) {
  const v1::Rule lead = Shipped("rules/opportunity-stalled-lead");
  v1::Rule any = lead;
  any.set_name("rules/any-stage-stalled");
  EXPECT_EQ(NextChange(any, OpportunityFacts(kWon, kT0), kT0), std::nullopt);
  EXPECT_EQ(NextChange(any, OpportunityFacts(kLost, kT0), kT0), std::nullopt);
  EXPECT_EQ(NextChange(any, OpportunityFacts(kNoStage, kT0), kT0), std::nullopt);
  SubjectFacts no_time = OpportunityFacts(kLead, kT0);
  no_time.stage_entered.reset();
  EXPECT_EQ(NextChange(lead, no_time, kT0), std::nullopt);
  SubjectFacts closed = OpportunityFacts(kLead, kT0);
  closed.subject_closed = true;
  EXPECT_EQ(NextChange(lead, closed, kT0), std::nullopt);
}

TEST(SubjectsNextChangeTest, DisabledRuleNeverDue) {
  v1::Rule r = Shipped("rules/opportunity-stalled-lead");
  ASSERT_NE(NextChange(r, OpportunityFacts(kLead, kT0), kT0), std::nullopt);
  r.set_enabled(false);
  EXPECT_EQ(NextChange(r, OpportunityFacts(kLead, kT0), kT0), std::nullopt);
  // Switched off by an override for the subject's unit.
  v1::Rule base = Shipped("rules/opportunity-stalled-lead");
  v1::RuleOverride* o = base.add_overrides();
  o->set_org_unit("orgUnits/team-1");
  o->set_disabled(true);
  EXPECT_EQ(NextChange(EffectiveRule(base, {"orgUnits/team-1"}), OpportunityFacts(kLead, kT0), kT0),
            std::nullopt);
}

TEST(SubjectsNextChangeTest, InstantAlreadyReachedIsNotDue) {
  const v1::Rule r = Shipped("rules/opportunity-stalled-proposal");
  const SubjectFacts f = OpportunityFacts(kProposal, kT0);
  const absl::Time due = kT0 + 14 * kDay;
  EXPECT_EQ(NextChange(r, f, due - absl::Seconds(1)), due);
  EXPECT_EQ(NextChange(r, f, due), std::nullopt);
  EXPECT_EQ(NextChange(r, f, due + kDay), std::nullopt);
}

TEST(SubjectsNextChangeTest, OverriddenThresholdMovesTheDueTime) {
  v1::Rule r = Shipped("rules/opportunity-stalled-proposal");
  v1::RuleOverride* o = r.add_overrides();
  o->set_org_unit("orgUnits/team-1");
  o->mutable_threshold()->set_days(3);
  const v1::Rule eff = EffectiveRule(r, {"orgUnits/team-1", "orgUnits/east"});
  EXPECT_EQ(NextChange(eff, OpportunityFacts(kProposal, kT0), kT0), kT0 + 3 * kDay);
}

SubjectFacts CustomerFacts(CustomerTier tier, absl::Time last_activity) {
  SubjectFacts f;
  f.subject = "customers/3";
  f.tier = tier;
  f.last_activity = last_activity;
  return f;
}

TEST(SubjectsNextChangeTest, NeglectedIsTheLimitAfterTheLastActivity) {
  const v1::Rule r = Shipped("rules/key-customer-neglected");  // 30 days, S and A
  EXPECT_EQ(NextChange(r, CustomerFacts(customers::v1::CUSTOMER_TIER_S, kT0), kT0 + kDay),
            kT0 + 30 * kDay);
  EXPECT_EQ(NextChange(r, CustomerFacts(customers::v1::CUSTOMER_TIER_A, kT0), kT0 + kDay),
            kT0 + 30 * kDay);
}

TEST(SubjectsNextChangeTest, NeglectedNeverDueForTiersNotWatched) {
  const v1::Rule r = Shipped("rules/key-customer-neglected");
  for (CustomerTier tier : {customers::v1::CUSTOMER_TIER_B, customers::v1::CUSTOMER_TIER_C,
                            customers::v1::CUSTOMER_TIER_UNSPECIFIED}) {
    EXPECT_EQ(NextChange(r, CustomerFacts(tier, kT0), kT0), std::nullopt)
        << customers::v1::CustomerTier_Name(tier);
  }
  SubjectFacts no_activity = CustomerFacts(customers::v1::CUSTOMER_TIER_S, kT0);
  no_activity.last_activity.reset();
  EXPECT_EQ(NextChange(r, no_activity, kT0), std::nullopt);
  SubjectFacts pool = CustomerFacts(customers::v1::CUSTOMER_TIER_S, kT0);
  pool.subject_closed = true;
  EXPECT_EQ(NextChange(r, pool, kT0), std::nullopt);
}

TEST(SubjectsNextChangeTest, NeglectedWithZeroDaysUsesTheVisitCadence) {
  v1::Rule r = Shipped("rules/key-customer-neglected");
  r.mutable_threshold()->set_days(0);
  SubjectFacts f = CustomerFacts(customers::v1::CUSTOMER_TIER_S, kT0);
  EXPECT_EQ(NextChange(r, f, kT0), std::nullopt);  // no cadence known
  f.visit_cadence_days = 7;
  EXPECT_EQ(NextChange(r, f, kT0), kT0 + 7 * kDay);
  f.visit_cadence_days = 0;
  EXPECT_EQ(NextChange(r, f, kT0), std::nullopt);
}

SubjectFacts ContractFacts(absl::Time due, int64_t outstanding) {
  SubjectFacts f;
  f.subject = "contracts/5";
  f.payment_due = due;
  f.overdue_amount_minor = outstanding;
  return f;
}

TEST(SubjectsNextChangeTest, OverdueDueAfterItsDays) {
  const v1::Rule r = Shipped("rules/payment-overdue");  // 1 day
  const absl::Time due = kT0;
  const std::optional<absl::Time> at = NextChange(r, ContractFacts(due, 10'000'00), due - kDay);
  ASSERT_TRUE(at.has_value());
  // Within a second of one day past the due time.
  EXPECT_GE(*at, due + kDay);
  EXPECT_LE(*at, due + kDay + absl::Seconds(1));
  // With days = 0: just after the due time.
  v1::Rule zero = r;
  zero.mutable_threshold()->set_days(0);
  EXPECT_EQ(NextChange(zero, ContractFacts(due, 10'000'00), due - kDay), due + absl::Seconds(1));
}

TEST(SubjectsNextChangeTest, OverdueNeverDueWhenNothingIsOutstanding) {
  const v1::Rule r = Shipped("rules/payment-overdue");
  EXPECT_EQ(NextChange(r, ContractFacts(kT0, 0), kT0 - kDay), std::nullopt);
  SubjectFacts no_due = ContractFacts(kT0, 100);
  no_due.payment_due.reset();
  EXPECT_EQ(NextChange(r, no_due, kT0 - kDay), std::nullopt);
  SubjectFacts no_amount = ContractFacts(kT0, 100);
  no_amount.overdue_amount_minor.reset();
  EXPECT_EQ(NextChange(r, no_amount, kT0 - kDay), std::nullopt);
  SubjectFacts ended = ContractFacts(kT0, 100);
  ended.subject_closed = true;
  EXPECT_EQ(NextChange(r, ended, kT0 - kDay), std::nullopt);
}

TEST(SubjectsNextChangeTest, PeriodRulesDueAtGraceEndThenAtClose) {
  const absl::TimeZone sh = Shanghai();
  const v1::SubjectState s = RepPeriod();
  const absl::Time start = Local(2026, 10, 1, 0, 0, 0, sh);
  const absl::Time close = Local(2027, 1, 1, 0, 0, 0, sh);
  const v1::Rule pace = Shipped("rules/pace-below-plan");            // grace 14
  const v1::Rule coverage = Shipped("rules/pipeline-coverage-low");  // grace 7

  absl::Time now = Local(2026, 10, 4, 9, 0, 0, sh);
  SubjectFacts f = ToFacts(s, 0, now, sh);
  EXPECT_EQ(NextChange(pace, f, now), start + 14 * kDay);
  EXPECT_EQ(NextChange(pace, f, now), Local(2026, 10, 15, 0, 0, 0, sh));
  EXPECT_EQ(NextChange(coverage, f, now), Local(2026, 10, 8, 0, 0, 0, sh));

  // Grace over: the period closing is next.
  now = Local(2026, 10, 20, 9, 0, 0, sh);
  f = ToFacts(s, 0, now, sh);
  EXPECT_EQ(NextChange(pace, f, now), close);
  EXPECT_EQ(NextChange(coverage, f, now), close);
  // Exactly at the grace end: already reached, the close is next.
  now = start + 14 * kDay;
  EXPECT_EQ(NextChange(pace, ToFacts(s, 0, now, sh), now), close);

  // Closed: nothing is due.
  now = close;
  f = ToFacts(s, 0, now, sh);
  EXPECT_EQ(NextChange(pace, f, now), std::nullopt);
  EXPECT_EQ(NextChange(coverage, f, now), std::nullopt);
}

// Found while writing warning_rules_fuzzer's "no change before NextChange"
// check: with a grace longer than the period, the grace end was returned
// although the period closes (and resolves the subject) before it.
TEST(SubjectsNextChangeTest, GraceEndingAfterThePeriodClosesIsDueAtClose) {
  const absl::TimeZone sh = Shanghai();
  v1::SubjectState s = RepPeriod();
  s.clear_pace_bp();
  v1::Rule pace = Shipped("rules/pace-below-plan");
  pace.mutable_threshold()->set_grace_days(100);
  const absl::Time now = Local(2026, 12, 20, 9, 0, 0, sh);
  const absl::Time close = Local(2027, 1, 1, 0, 0, 0, sh);
  EXPECT_EQ(NextChange(pace, ToFacts(s, 0, now, sh), now), close);
  EXPECT_EQ(VerdictAt(pace, ToFacts(s, 0, now, sh), now), "UNKNOWN (facts.pace_bp)");
  EXPECT_EQ(VerdictAt(pace, ToFacts(s, 0, close, sh), close), "CLEAR");
}

// Found by warning_rules_fuzzer (CI, stop 29): a rule for another kind of
// subject (here a tier downgrade on a rep's period) has a missing fact before the
// close and is cleared by it, so the close is a change for it too.
TEST(SubjectsNextChangeTest, PeriodCloseIsAChangeForEveryRule) {
  const absl::TimeZone sh = Shanghai();
  const v1::SubjectState s = RepPeriod();
  const v1::Rule tier = Shipped("rules/key-account-tier-downgrade");
  const absl::Time now = Local(2026, 10, 2, 9, 0, 0, sh);
  const absl::Time close = Local(2027, 1, 1, 0, 0, 0, sh);
  EXPECT_EQ(NextChange(tier, ToFacts(s, 0, now, sh), now), close);
  EXPECT_EQ(VerdictAt(tier, ToFacts(s, 0, close - absl::Seconds(1), sh), close - absl::Seconds(1)),
            VerdictAt(tier, ToFacts(s, 0, now, sh), now));
  EXPECT_EQ(VerdictAt(tier, ToFacts(s, 0, close, sh), close), "CLEAR");
  EXPECT_EQ(NextChange(tier, ToFacts(s, 0, close, sh), close), std::nullopt);
  // A subject without a period has no close to wait for.
  SubjectFacts opportunity;
  opportunity.subject = "opportunities/9";
  EXPECT_EQ(NextChange(tier, opportunity, now), std::nullopt);
}

TEST(SubjectsNextChangeTest, PeriodRuleWithoutGraceIsDueAtClose) {
  const absl::TimeZone sh = Shanghai();
  v1::Rule pace = Shipped("rules/pace-below-plan");
  pace.mutable_threshold()->set_grace_days(0);
  const absl::Time now = Local(2026, 10, 2, 9, 0, 0, sh);
  EXPECT_EQ(NextChange(pace, ToFacts(RepPeriod(), 0, now, sh), now),
            Local(2027, 1, 1, 0, 0, 0, sh));
}

TEST(SubjectsNextChangeTest, ForecastGapIsDueWhenItsGraceEnds) {
  const absl::TimeZone sh = Shanghai();
  const absl::Time now = Local(2026, 10, 2, 9, 0, 0, sh);
  const SubjectFacts f = ToFacts(RepPeriod(), 0, now, sh);
  v1::Rule gap = Shipped("rules/forecast-gap");
  EXPECT_EQ(NextChange(gap, f, now), Local(2026, 10, 15, 0, 0, 0, sh));
  gap.set_enabled(false);
  EXPECT_EQ(NextChange(gap, f, now), std::nullopt);
}

// The forecast service's team forecast feeds the forecast-gap rule: without
// any attainment event the subject gets the plan's target from the forecast;
// 25% short after the grace days holds, a forecast back at target clears;
// regions, product lines and COMMIT forecasts are not this rule's facts.
TEST(SubjectsForecastTest, TeamForecastFeedsTheGapRule) {
  const absl::TimeZone sh = Shanghai();
  forecast::v1::Forecast f;
  f.mutable_scope()->set_org_unit("orgUnits/team-7");
  f.mutable_scope()->set_level(forecast::v1::FORECAST_LEVEL_TEAM);
  f.set_period("fiscalPeriods/FY2026-Q4");
  f.set_category(forecast::v1::FORECAST_CATEGORY_PIPELINE);
  f.mutable_amount()->set_amount_minor(750'000'00);
  f.mutable_amount()->set_currency_code("CNY");
  f.mutable_target()->set_amount_minor(1'000'000'00);
  f.mutable_period_start_date()->set_year(2026);
  f.mutable_period_start_date()->set_month(10);
  f.mutable_period_start_date()->set_day(1);
  f.mutable_period_end_date()->set_year(2026);
  f.mutable_period_end_date()->set_month(12);
  f.mutable_period_end_date()->set_day(31);
  EXPECT_EQ(ForecastSubject(f), "orgUnits/team-7");
  v1::SubjectState s;
  ASSERT_TRUE(ApplyForecast(f, &s));
  EXPECT_FALSE(ApplyForecast(f, &s));  // the same figures again change nothing
  EXPECT_EQ(s.kind(), v1::SUBJECT_KIND_TEAM_PERIOD);
  EXPECT_EQ(s.org_unit(), "orgUnits/team-7");
  const v1::Rule rule = Shipped("rules/forecast-gap");
  absl::Time now = Local(2026, 11, 20, 9, 0, 0, sh);
  absl::StatusOr<Evaluation> ev = Evaluate(rule, ToFacts(s, std::nullopt, now, sh), now);
  ASSERT_TRUE(ev.ok()) << ev.status();
  EXPECT_EQ(ev->verdict, Verdict::kHolds);
  now = Local(2026, 10, 10, 9, 0, 0, sh);  // inside the 14 grace days
  EXPECT_EQ(Evaluate(rule, ToFacts(s, std::nullopt, now, sh), now)->verdict, Verdict::kClear);
  // A provisional forecast (the forecast service catching up) may lack deals:
  // the rule has no figure to judge and leaves the warning as it is.
  forecast::v1::Forecast partial = f;
  partial.mutable_amount()->set_amount_minor(100'000'00);
  partial.set_provisional(true);
  v1::SubjectState held = s;
  ASSERT_TRUE(ApplyForecast(partial, &held));
  now = Local(2026, 11, 20, 9, 0, 0, sh);
  EXPECT_FALSE(held.has_forecast_minor());
  EXPECT_EQ(Evaluate(rule, ToFacts(held, std::nullopt, now, sh), now)->verdict, Verdict::kUnknown);
  f.mutable_amount()->set_amount_minor(1'000'000'00);
  ASSERT_TRUE(ApplyForecast(f, &held));
  EXPECT_EQ(Evaluate(rule, ToFacts(held, std::nullopt, now, sh), now)->verdict, Verdict::kClear);
  ASSERT_TRUE(ApplyForecast(f, &s));
  EXPECT_EQ(Evaluate(rule, ToFacts(s, std::nullopt, now, sh), now)->verdict, Verdict::kClear);

  forecast::v1::Forecast region = f;
  region.mutable_scope()->set_level(forecast::v1::FORECAST_LEVEL_REGION);
  forecast::v1::Forecast line = f;
  line.mutable_scope()->set_product_line("orgUnits/pl-1");
  forecast::v1::Forecast commit = f;
  commit.set_category(forecast::v1::FORECAST_CATEGORY_COMMIT);
  v1::SubjectState untouched;
  for (const auto& other : {region, line, commit}) {
    EXPECT_EQ(ForecastSubject(other), "");
    EXPECT_FALSE(ApplyForecast(other, &untouched));
  }
  forecast::v1::Forecast rep = f;
  rep.mutable_scope()->set_member("members/m-7");
  rep.mutable_scope()->set_level(forecast::v1::FORECAST_LEVEL_MEMBER);
  EXPECT_EQ(ForecastSubject(rep), "members/m-7");
  v1::SubjectState rs;
  ASSERT_TRUE(ApplyForecast(rep, &rs));
  EXPECT_EQ(rs.kind(), v1::SUBJECT_KIND_REP_PERIOD);
  EXPECT_EQ(rs.rep(), "members/m-7");
}

TEST(SubjectsNextChangeTest, TierDowngradeIsNeverTimeDriven) {
  const v1::Rule r = Shipped("rules/key-account-tier-downgrade");
  SubjectFacts f = CustomerFacts(customers::v1::CUSTOMER_TIER_B, kT0);
  f.previous_tier = customers::v1::CUSTOMER_TIER_S;
  EXPECT_EQ(NextChange(r, f, kT0), std::nullopt);
}

TEST(SubjectsNextChangeTest, ConditionOfAnotherKindIsNeverDue) {
  // A stalled rule on customer facts, a neglect rule on deal facts.
  EXPECT_EQ(NextChange(Shipped("rules/opportunity-stalled-lead"),
                       CustomerFacts(customers::v1::CUSTOMER_TIER_S, kT0), kT0),
            std::nullopt);
  EXPECT_EQ(NextChange(Shipped("rules/key-customer-neglected"), OpportunityFacts(kLead, kT0), kT0),
            std::nullopt);
  EXPECT_EQ(NextChange(Shipped("rules/payment-overdue"), OpportunityFacts(kLead, kT0), kT0),
            std::nullopt);
}

// ---- NextChange agrees with Evaluate: the verdict flips exactly at the due time ----

struct StageRule {
  const char* rule;
  OpportunityStage stage;
};

class SubjectsDueTimeMatchesEvaluateTest : public ::testing::TestWithParam<StageRule> {};

TEST_P(SubjectsDueTimeMatchesEvaluateTest, StalledHoldsAtTheDueInstantNotASecondBefore) {
  const absl::TimeZone sh = Shanghai();
  const v1::Rule rule = Shipped(GetParam().rule);
  const StageWeights w = DefaultStageWeights();
  v1::SubjectState s;
  ApplyOpportunityCreated(Created(kLead), kT0 - 5 * kDay, w, &s);
  ASSERT_TRUE(ApplyStageChanged(StageChange(kLead, GetParam().stage), kT0, w, &s));

  const absl::Time now = kT0 + absl::Hours(3);
  const std::optional<absl::Time> due = NextChange(rule, ToFacts(s, std::nullopt, now, sh), now);
  ASSERT_TRUE(due.has_value());
  EXPECT_EQ(*due, kT0 + kDay * rule.threshold().days());
  EXPECT_EQ(VerdictAt(rule, ToFacts(s, std::nullopt, now, sh), now), "CLEAR");
  const absl::Time before = *due - absl::Seconds(1);
  EXPECT_EQ(VerdictAt(rule, ToFacts(s, std::nullopt, before, sh), before), "CLEAR");
  EXPECT_EQ(VerdictAt(rule, ToFacts(s, std::nullopt, *due, sh), *due), "HOLDS");
  // Once it holds, time alone changes nothing more.
  EXPECT_EQ(NextChange(rule, ToFacts(s, std::nullopt, *due, sh), *due), std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(
    SubjectsShippedStages, SubjectsDueTimeMatchesEvaluateTest,
    ::testing::Values(StageRule{"rules/opportunity-stalled-lead", kLead},
                      StageRule{"rules/opportunity-stalled-qualified", kQualified},
                      StageRule{"rules/opportunity-stalled-proposal", kProposal},
                      StageRule{"rules/opportunity-stalled-negotiation", kNegotiation},
                      StageRule{"rules/opportunity-stalled-contract", kContract}));

TEST(SubjectsDueTimeTest, StalledRuleOfAnotherStageNeitherDueNorHolding) {
  const absl::TimeZone sh = Shanghai();
  const v1::Rule rule = Shipped("rules/opportunity-stalled-proposal");
  v1::SubjectState s;
  ApplyOpportunityCreated(Created(kNegotiation), kT0, DefaultStageWeights(), &s);
  const absl::Time later = kT0 + 100 * kDay;
  EXPECT_EQ(NextChange(rule, ToFacts(s, std::nullopt, kT0, sh), kT0), std::nullopt);
  EXPECT_EQ(VerdictAt(rule, ToFacts(s, std::nullopt, later, sh), later), "CLEAR");
}

TEST(SubjectsDueTimeTest, NeglectedHoldsAtTheDueInstantNotASecondBefore) {
  const absl::TimeZone sh = Shanghai();
  const v1::Rule rule = Shipped("rules/key-customer-neglected");
  v1::SubjectState s;
  ApplyCustomerCreated(CustomerRes(customers::v1::CUSTOMER_TIER_S), kT0, &s);
  ApplyActivity("customers/3", kT0 + 2 * kDay, &s);
  const absl::Time now = kT0 + 3 * kDay;
  const std::optional<absl::Time> due = NextChange(rule, ToFacts(s, std::nullopt, now, sh), now);
  ASSERT_TRUE(due.has_value());
  EXPECT_EQ(*due, kT0 + 32 * kDay);
  const absl::Time before = *due - absl::Seconds(1);
  EXPECT_EQ(VerdictAt(rule, ToFacts(s, std::nullopt, before, sh), before), "CLEAR");
  EXPECT_EQ(VerdictAt(rule, ToFacts(s, std::nullopt, *due, sh), *due), "HOLDS");
}

TEST(SubjectsDueTimeTest, PaceGraceEndsExactlyAtTheDueInstant) {
  const absl::TimeZone sh = Shanghai();
  const v1::Rule rule = Shipped("rules/pace-below-plan");  // below 8000 bp, grace 14
  const v1::SubjectState s = RepPeriod(1'000'000'00, 100'000'00, 5000);
  const absl::Time now = Local(2026, 10, 3, 15, 0, 0, sh);
  const std::optional<absl::Time> due = NextChange(rule, ToFacts(s, 0, now, sh), now);
  ASSERT_TRUE(due.has_value());
  const absl::Time before = *due - absl::Seconds(1);
  EXPECT_EQ(VerdictAt(rule, ToFacts(s, 0, before, sh), before), "CLEAR");
  EXPECT_EQ(VerdictAt(rule, ToFacts(s, 0, *due, sh), *due), "HOLDS");
  // Next: the close, where the period resolves as closed.
  const std::optional<absl::Time> close = NextChange(rule, ToFacts(s, 0, *due, sh), *due);
  ASSERT_TRUE(close.has_value());
  EXPECT_EQ(*close, Local(2027, 1, 1, 0, 0, 0, sh));
  absl::StatusOr<Evaluation> at_close = Evaluate(rule, ToFacts(s, 0, *close, sh), *close);
  ASSERT_TRUE(at_close.ok()) << at_close.status();
  EXPECT_EQ(at_close->verdict, Verdict::kClear);
  EXPECT_EQ(at_close->resolution, v1::WARNING_RESOLUTION_SUBJECT_CLOSED);
  const absl::Time before_close = *close - absl::Seconds(1);
  EXPECT_EQ(VerdictAt(rule, ToFacts(s, 0, before_close, sh), before_close), "HOLDS");
}

// NextChange promises the earliest instant at which time alone may change
// the verdict. For an overdue payment with days >= 1 that is payment_due +
// days × 24 h (Evaluate holds there already), not one second later.
TEST(SubjectsDueTimeTest, OverdueHoldsAtTheDueInstantNotASecondBefore) {
  const absl::TimeZone sh = Shanghai();
  for (int days : {0, 1, 5}) {
    v1::Rule rule = Shipped("rules/payment-overdue");
    rule.mutable_threshold()->set_days(days);
    v1::SubjectState s;
    ApplyPaymentOverdue(Overdue("i1", Date(2026, 3, 31), 12'000'00), sh, &s);
    const absl::Time now = Local(2026, 3, 31, 12, 0, 0, sh);
    const std::optional<absl::Time> due = NextChange(rule, ToFacts(s, std::nullopt, now, sh), now);
    ASSERT_TRUE(due.has_value()) << "days " << days;
    const absl::Time before = *due - absl::Seconds(1);
    EXPECT_EQ(VerdictAt(rule, ToFacts(s, std::nullopt, before, sh), before), "CLEAR")
        << "days " << days << ": NextChange " << *due << " is not the earliest instant";
    EXPECT_EQ(VerdictAt(rule, ToFacts(s, std::nullopt, *due, sh), *due), "HOLDS")
        << "days " << days;
  }
}

// With a time zone that has daylight saving time, a period's grace end is a
// calendar day (midnight), not a multiple of 24 h after the period's start.
// A period starting on Oct 25, 2026 in New York starts on EDT and the clocks
// go back on Nov 1: its grace of 14 days ends on Nov 8 00:00 EST, 14 × 24 h +
// 1 h after the start (start + 14 × 24 h is Nov 7 23:00 EST, still day 13).
TEST(SubjectsDueTimeTest, PeriodGraceEndIsACalendarDayAcrossDaylightSaving) {
  const absl::TimeZone ny = NewYork();
  const v1::Rule rule = Shipped("rules/pace-below-plan");  // grace 14
  v1::SubjectState s = RepPeriod(1'000'000'00, 100'000'00, 5000);
  *s.mutable_period_start() = Date(2026, 10, 25);
  *s.mutable_period_end() = Date(2026, 12, 31);
  const absl::Time now = Local(2026, 10, 27, 12, 0, 0, ny);
  const std::optional<absl::Time> due = NextChange(rule, ToFacts(s, 0, now, ny), now);
  ASSERT_TRUE(due.has_value());
  const absl::Time grace_end = Local(2026, 11, 8, 0, 0, 0, ny);
  EXPECT_EQ(*due, grace_end);
  EXPECT_EQ(ToFacts(s, 0, grace_end, ny).period_elapsed_days, 14);
  EXPECT_EQ(VerdictAt(rule, ToFacts(s, 0, *due, ny), *due), "HOLDS");
  // Whatever NextChange said, re-asking at that instant must not skip the grace end.
  const std::optional<absl::Time> again = NextChange(rule, ToFacts(s, 0, *due, ny), *due);
  if (VerdictAt(rule, ToFacts(s, 0, *due, ny), *due) == "CLEAR") {
    EXPECT_EQ(again, grace_end) << "the grace end is skipped; next due is "
                                << (again ? absl::FormatTime(*again, ny) : "none");
  }
}

}  // namespace
}  // namespace salesops::warning
