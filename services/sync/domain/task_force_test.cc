// Tests for the task force rules (when a deal gets a proposal, what the
// proposal holds, the member, milestone and credit-split checks) and for the
// lead and reception state tables of workflow.h.
#include "services/sync/domain/task_force.h"

#include <algorithm>
#include <functional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/status/errors.h"
#include "common/time/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/sync/domain/workflow.h"

namespace salesops::sync {
namespace {

namespace cv1 = salesops::customers::v1;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const absl::Time kNow = absl::FromUnixSeconds(1'767'225'600);  // 2026-01-01 00:00 UTC

std::vector<std::string> Fields(const Violations& v) {
  std::vector<std::string> out;
  for (const FieldViolation& f : FieldViolations(v.Finish())) {
    out.push_back(f.field);
  }
  return out;
}

// A CNY deal at PROPOSAL of exactly the default threshold.
cv1::Opportunity Deal() {
  cv1::Opportunity d;
  d.set_name("opportunities/o-1");
  d.set_customer("customers/c-1");
  d.set_display_name("某省电网项目");
  d.set_stage(cv1::OPPORTUNITY_STAGE_PROPOSAL);
  d.mutable_amount()->set_amount_minor(100'000'000);
  d.mutable_amount()->set_currency_code("CNY");
  d.set_owner("members/rep-1");
  d.set_team("orgUnits/team-east-1");
  d.set_region("orgUnits/east");
  d.set_product_line("orgUnits/pl-grid");
  return d;
}

// ---- policy

TEST(TaskForcePolicyTest, DefaultPolicyIsTheDocumentedOneAndValid) {
  const v1::TaskForcePolicy p = DefaultTaskForcePolicy();
  EXPECT_EQ(p.name(), "taskForcePolicy");
  EXPECT_TRUE(p.enabled());
  EXPECT_EQ(p.min_amount().amount_minor(), 100'000'000);
  EXPECT_EQ(p.min_amount().currency_code(), "CNY");
  EXPECT_EQ(p.trigger_stage(), cv1::OPPORTUNITY_STAGE_PROPOSAL);
  EXPECT_THAT(p.tiers_any_amount(), ElementsAre(cv1::CUSTOMER_TIER_S));
  Violations v;
  CheckTaskForcePolicy(v, "policy", p);
  EXPECT_THAT(Fields(v), IsEmpty());
}

TEST(TaskForcePolicyTest, CheckNamesEachBadField) {
  struct Case {
    std::function<void(v1::TaskForcePolicy&)> mutate;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](auto& p) { p.mutable_min_amount()->set_amount_minor(-1); }, "min_amount.amount_minor"},
      {[](auto& p) { p.mutable_min_amount()->set_currency_code("RMB1"); },
       "min_amount.currency_code"},
      {[](auto& p) { p.set_trigger_stage(cv1::OPPORTUNITY_STAGE_WON); }, "trigger_stage"},
      {[](auto& p) { p.set_trigger_stage(cv1::OPPORTUNITY_STAGE_UNSPECIFIED); }, "trigger_stage"},
      {[](auto& p) { p.add_default_departments("product"); }, "default_departments[0]"},
      {[](auto& p) { p.add_tiers_any_amount(cv1::CUSTOMER_TIER_UNSPECIFIED); },
       "tiers_any_amount[1]"},
  };
  for (const Case& c : cases) {
    v1::TaskForcePolicy p = DefaultTaskForcePolicy();
    c.mutate(p);
    Violations v;
    CheckTaskForcePolicy(v, "policy", p);
    EXPECT_THAT(Fields(v), ElementsAre("policy." + c.field)) << c.field;
  }
}

TEST(TaskForcePolicyTest, AtMost20DepartmentsAnd4Tiers) {
  v1::TaskForcePolicy p = DefaultTaskForcePolicy();
  for (int i = 0; i < 20; ++i) {
    p.add_default_departments("orgUnits/d-" + std::to_string(i));
  }
  p.add_tiers_any_amount(cv1::CUSTOMER_TIER_A);
  p.add_tiers_any_amount(cv1::CUSTOMER_TIER_B);
  p.add_tiers_any_amount(cv1::CUSTOMER_TIER_C);
  Violations ok;
  CheckTaskForcePolicy(ok, "policy", p);
  EXPECT_THAT(Fields(ok), IsEmpty());
  p.add_default_departments("orgUnits/d-20");
  p.add_tiers_any_amount(cv1::CUSTOMER_TIER_S);
  Violations v;
  CheckTaskForcePolicy(v, "policy", p);
  EXPECT_THAT(Fields(v), ElementsAre("policy.default_departments", "policy.tiers_any_amount"));
}

// ---- IsOpenStage / ShouldPropose

TEST(ShouldProposeTest, OpenStagesAreLeadToContract) {
  for (int s = cv1::OpportunityStage_MIN; s <= cv1::OpportunityStage_MAX; ++s) {
    const auto stage = static_cast<cv1::OpportunityStage>(s);
    EXPECT_EQ(IsOpenStage(stage),
              stage >= cv1::OPPORTUNITY_STAGE_LEAD && stage <= cv1::OPPORTUNITY_STAGE_CONTRACT)
        << cv1::OpportunityStage_Name(stage);
  }
  EXPECT_FALSE(IsOpenStage(cv1::OPPORTUNITY_STAGE_WON));
  EXPECT_FALSE(IsOpenStage(cv1::OPPORTUNITY_STAGE_LOST));
}

TEST(ShouldProposeTest, AmountThresholdIsInclusive) {
  const v1::TaskForcePolicy p = DefaultTaskForcePolicy();
  cv1::Opportunity d = Deal();
  EXPECT_TRUE(ShouldPropose(p, d, cv1::CUSTOMER_TIER_B));
  d.mutable_amount()->set_amount_minor(100'000'000 - 1);
  EXPECT_FALSE(ShouldPropose(p, d, cv1::CUSTOMER_TIER_B));
  d.mutable_amount()->set_amount_minor(500'000'000);
  EXPECT_TRUE(ShouldPropose(p, d, cv1::CUSTOMER_TIER_B));
}

TEST(ShouldProposeTest, TierSQualifiesWhateverTheAmount) {
  const v1::TaskForcePolicy p = DefaultTaskForcePolicy();
  cv1::Opportunity d = Deal();
  d.mutable_amount()->set_amount_minor(1);
  EXPECT_TRUE(ShouldPropose(p, d, cv1::CUSTOMER_TIER_S));
  for (auto tier : {cv1::CUSTOMER_TIER_UNSPECIFIED, cv1::CUSTOMER_TIER_A, cv1::CUSTOMER_TIER_B,
                    cv1::CUSTOMER_TIER_C}) {
    EXPECT_FALSE(ShouldPropose(p, d, tier)) << cv1::CustomerTier_Name(tier);
  }
  // Even in another currency.
  d.mutable_amount()->set_currency_code("USD");
  EXPECT_TRUE(ShouldPropose(p, d, cv1::CUSTOMER_TIER_S));
}

TEST(ShouldProposeTest, PolicyTiersListDecidesWhichTiersQualify) {
  v1::TaskForcePolicy p = DefaultTaskForcePolicy();
  p.clear_tiers_any_amount();
  p.add_tiers_any_amount(cv1::CUSTOMER_TIER_A);
  cv1::Opportunity d = Deal();
  d.mutable_amount()->set_amount_minor(1);
  EXPECT_TRUE(ShouldPropose(p, d, cv1::CUSTOMER_TIER_A));
  EXPECT_FALSE(ShouldPropose(p, d, cv1::CUSTOMER_TIER_S));
  // An UNSPECIFIED entry in the list never makes an unknown tier qualify.
  p.add_tiers_any_amount(cv1::CUSTOMER_TIER_UNSPECIFIED);
  EXPECT_FALSE(ShouldPropose(p, d, cv1::CUSTOMER_TIER_UNSPECIFIED));
}

TEST(ShouldProposeTest, OnlyFromTheTriggerStageOnAndOnlyWhileOpen) {
  const v1::TaskForcePolicy p = DefaultTaskForcePolicy();  // from PROPOSAL
  const std::vector<std::pair<cv1::OpportunityStage, bool>> cases = {
      {cv1::OPPORTUNITY_STAGE_UNSPECIFIED, false}, {cv1::OPPORTUNITY_STAGE_LEAD, false},
      {cv1::OPPORTUNITY_STAGE_QUALIFIED, false},   {cv1::OPPORTUNITY_STAGE_PROPOSAL, true},
      {cv1::OPPORTUNITY_STAGE_NEGOTIATION, true},  {cv1::OPPORTUNITY_STAGE_CONTRACT, true},
      {cv1::OPPORTUNITY_STAGE_WON, false},         {cv1::OPPORTUNITY_STAGE_LOST, false},
  };
  for (const auto& [stage, want] : cases) {
    cv1::Opportunity d = Deal();
    d.set_stage(stage);
    EXPECT_EQ(ShouldPropose(p, d, cv1::CUSTOMER_TIER_B), want) << cv1::OpportunityStage_Name(stage);
    // The tier rule respects the stage too.
    EXPECT_EQ(ShouldPropose(p, d, cv1::CUSTOMER_TIER_S), want) << cv1::OpportunityStage_Name(stage);
  }
}

TEST(ShouldProposeTest, LeadTriggerStageQualifiesEveryOpenStage) {
  v1::TaskForcePolicy p = DefaultTaskForcePolicy();
  p.set_trigger_stage(cv1::OPPORTUNITY_STAGE_LEAD);
  cv1::Opportunity d = Deal();
  d.set_stage(cv1::OPPORTUNITY_STAGE_LEAD);
  EXPECT_TRUE(ShouldPropose(p, d, cv1::CUSTOMER_TIER_B));
  p.set_trigger_stage(cv1::OPPORTUNITY_STAGE_CONTRACT);
  d.set_stage(cv1::OPPORTUNITY_STAGE_NEGOTIATION);
  EXPECT_FALSE(ShouldPropose(p, d, cv1::CUSTOMER_TIER_B));
}

TEST(ShouldProposeTest, DisabledPolicyNeverProposes) {
  v1::TaskForcePolicy p = DefaultTaskForcePolicy();
  p.set_enabled(false);
  cv1::Opportunity d = Deal();
  d.mutable_amount()->set_amount_minor(999'999'999'999);
  EXPECT_FALSE(ShouldPropose(p, d, cv1::CUSTOMER_TIER_B));
  EXPECT_FALSE(ShouldPropose(p, d, cv1::CUSTOMER_TIER_S));
}

TEST(ShouldProposeTest, AnotherCurrencyNeverMeetsTheThreshold) {
  const v1::TaskForcePolicy p = DefaultTaskForcePolicy();
  cv1::Opportunity d = Deal();
  d.mutable_amount()->set_currency_code("USD");
  d.mutable_amount()->set_amount_minor(999'999'999'999);
  EXPECT_FALSE(ShouldPropose(p, d, cv1::CUSTOMER_TIER_B));
}

// ---- ProposedTaskForce

TEST(ProposedTaskForceTest, CopiesTheDealAndIsAnAutoProposal) {
  v1::TaskForcePolicy p = DefaultTaskForcePolicy();
  p.add_default_departments("orgUnits/product");
  p.add_default_departments("orgUnits/delivery");
  const cv1::Opportunity d = Deal();
  const v1::TaskForce t = ProposedTaskForce(p, d, cv1::CUSTOMER_TIER_S, "sup-1", kNow);
  EXPECT_EQ(t.title(), "某省电网项目 联合攻坚组");
  EXPECT_THAT(t.objective(), HasSubstr("联合团队"));
  EXPECT_THAT(t.objective(), Not(HasSubstr("OPPORTUNITY_STAGE")));
  EXPECT_EQ(t.opportunity(), "opportunities/o-1");
  EXPECT_EQ(t.customer(), "customers/c-1");
  EXPECT_EQ(t.amount().amount_minor(), 100'000'000);
  EXPECT_EQ(t.amount().currency_code(), "CNY");
  EXPECT_EQ(t.trigger(), v1::TASK_FORCE_TRIGGER_AUTO);
  EXPECT_EQ(t.state(), v1::TASK_FORCE_STATE_PROPOSED);
  EXPECT_EQ(t.customer_tier(), cv1::CUSTOMER_TIER_S);
  EXPECT_EQ(t.owner(), "members/rep-1");
  EXPECT_EQ(t.team(), "orgUnits/team-east-1");
  EXPECT_EQ(t.region(), "orgUnits/east");
  EXPECT_EQ(t.product_line(), "orgUnits/pl-grid");
  EXPECT_THAT(t.invited_departments(), ElementsAre("orgUnits/product", "orgUnits/delivery"));
  EXPECT_EQ(FromTs(t.create_time()), kNow);
  EXPECT_EQ(FromTs(t.update_time()), kNow);
  EXPECT_EQ(t.name(), "");
  EXPECT_EQ(t.proposed_by(), "");
}

TEST(ProposedTaskForceTest, OwnerLeadsAndSupervisorSponsors) {
  const v1::TaskForce t =
      ProposedTaskForce(DefaultTaskForcePolicy(), Deal(), cv1::CUSTOMER_TIER_A, "sup-1", kNow);
  ASSERT_EQ(t.members_size(), 2);
  const v1::TaskForceMember& lead = t.members(0);
  EXPECT_EQ(lead.member(), "members/rep-1");
  EXPECT_EQ(lead.department(), "orgUnits/team-east-1");
  EXPECT_EQ(lead.role(), v1::TASK_FORCE_ROLE_LEAD);
  EXPECT_EQ(lead.function(), v1::TASK_FORCE_FUNCTION_SALES);
  EXPECT_FALSE(lead.responsibility().empty());
  EXPECT_EQ(FromTs(lead.join_time()), kNow);
  const v1::TaskForceMember& sponsor = t.members(1);
  EXPECT_EQ(sponsor.member(), "members/sup-1");
  EXPECT_EQ(sponsor.role(), v1::TASK_FORCE_ROLE_SPONSOR);
  EXPECT_EQ(sponsor.function(), v1::TASK_FORCE_FUNCTION_SALES);
  EXPECT_EQ(FromTs(sponsor.join_time()), kNow);
}

TEST(ProposedTaskForceTest, NoSponsorWhenUnknownOrTheOwnerThemself) {
  const v1::TaskForcePolicy p = DefaultTaskForcePolicy();
  EXPECT_EQ(ProposedTaskForce(p, Deal(), cv1::CUSTOMER_TIER_A, "", kNow).members_size(), 1);
  EXPECT_EQ(ProposedTaskForce(p, Deal(), cv1::CUSTOMER_TIER_A, "rep-1", kNow).members_size(), 1);
}

TEST(ProposedTaskForceTest, NoLeadWithoutAnOwner) {
  cv1::Opportunity d = Deal();
  d.clear_owner();
  const v1::TaskForce t =
      ProposedTaskForce(DefaultTaskForcePolicy(), d, cv1::CUSTOMER_TIER_A, "sup-1", kNow);
  ASSERT_EQ(t.members_size(), 1);
  EXPECT_EQ(t.members(0).role(), v1::TASK_FORCE_ROLE_SPONSOR);
}

// ---- CheckMembers

v1::TaskForceMember Member(const std::string& name, v1::TaskForceRole role,
                           v1::TaskForceFunction function) {
  v1::TaskForceMember m;
  m.set_member(name);
  m.set_role(role);
  m.set_function(function);
  return m;
}

google::protobuf::RepeatedPtrField<v1::TaskForceMember> GoodTeam() {
  google::protobuf::RepeatedPtrField<v1::TaskForceMember> ms;
  *ms.Add() = Member("members/rep-1", v1::TASK_FORCE_ROLE_LEAD, v1::TASK_FORCE_FUNCTION_SALES);
  *ms.Add() =
      Member("members/pre-1", v1::TASK_FORCE_ROLE_MEMBER, v1::TASK_FORCE_FUNCTION_PRE_SALES);
  ms.Mutable(1)->set_department("orgUnits/presales");
  ms.Mutable(1)->set_responsibility("技术方案");
  return ms;
}

std::vector<std::string> MemberFields(
    const google::protobuf::RepeatedPtrField<v1::TaskForceMember>& ms, bool need_lead) {
  Violations v;
  CheckMembers(v, "members", ms, need_lead);
  return Fields(v);
}

TEST(CheckMembersTest, ALeadSalesAndAnotherFunctionPass) {
  EXPECT_THAT(MemberFields(GoodTeam(), true), IsEmpty());
}

TEST(CheckMembersTest, EachMemberFieldIsNamedWithItsIndex) {
  struct Case {
    std::function<void(v1::TaskForceMember&)> mutate;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](auto& m) { m.set_member(""); }, "member"},
      {[](auto& m) { m.set_member("pre-1"); }, "member"},
      {[](auto& m) { m.set_department("presales"); }, "department"},
      {[](auto& m) { m.set_role(v1::TASK_FORCE_ROLE_UNSPECIFIED); }, "role"},
      {[](auto& m) { m.set_role(static_cast<v1::TaskForceRole>(9)); }, "role"},
      {[](auto& m) { m.set_responsibility(std::string(201, 'x')); }, "responsibility"},
  };
  for (const Case& c : cases) {
    auto ms = GoodTeam();
    c.mutate(*ms.Mutable(1));
    EXPECT_THAT(MemberFields(ms, true), ElementsAre("members[1]." + c.field)) << c.field;
  }
}

TEST(CheckMembersTest, InvalidFunctionIsNamedAndDoesNotCountAsAnotherFunction) {
  auto ms = GoodTeam();
  ms.Mutable(1)->set_function(v1::TASK_FORCE_FUNCTION_UNSPECIFIED);
  EXPECT_THAT(MemberFields(ms, true), ElementsAre("members[1].function", "members"));
  EXPECT_THAT(MemberFields(ms, false), ElementsAre("members[1].function"));
}

TEST(CheckMembersTest, AMemberListedTwiceIsNamedAtTheSecondEntry) {
  auto ms = GoodTeam();
  *ms.Add() = Member("members/pre-1", v1::TASK_FORCE_ROLE_ADVISOR, v1::TASK_FORCE_FUNCTION_FINANCE);
  EXPECT_THAT(MemberFields(ms, true), ElementsAre("members[2].member"));
}

TEST(CheckMembersTest, ExactlyOneLeadWhenALeadIsNeeded) {
  auto none = GoodTeam();
  none.Mutable(0)->set_role(v1::TASK_FORCE_ROLE_SPONSOR);
  EXPECT_THAT(MemberFields(none, true), ElementsAre("members"));
  EXPECT_THAT(MemberFields(none, false), IsEmpty());
  auto two = GoodTeam();
  two.Mutable(1)->set_role(v1::TASK_FORCE_ROLE_LEAD);
  EXPECT_THAT(MemberFields(two, true), ElementsAre("members"));
  EXPECT_THAT(MemberFields(two, false), IsEmpty());
}

TEST(CheckMembersTest, NeedsSalesAndAnotherFunction) {
  auto only_sales = GoodTeam();
  only_sales.Mutable(1)->set_function(v1::TASK_FORCE_FUNCTION_SALES);
  EXPECT_THAT(MemberFields(only_sales, true), ElementsAre("members"));
  auto no_sales = GoodTeam();
  no_sales.Mutable(0)->set_function(v1::TASK_FORCE_FUNCTION_DELIVERY);
  EXPECT_THAT(MemberFields(no_sales, true), ElementsAre("members"));
  // Adding members to a formed task force needs neither.
  EXPECT_THAT(MemberFields(only_sales, false), IsEmpty());
}

TEST(CheckMembersTest, EmptyListNeedsALeadAndBothFunctions) {
  const google::protobuf::RepeatedPtrField<v1::TaskForceMember> empty;
  EXPECT_THAT(MemberFields(empty, true), ElementsAre("members", "members"));
  EXPECT_THAT(MemberFields(empty, false), IsEmpty());
}

TEST(CheckMembersTest, AtMost50Members) {
  auto ms = GoodTeam();
  while (ms.size() < kMaxTaskForceMembers) {
    *ms.Add() = Member("members/m-" + std::to_string(ms.size()), v1::TASK_FORCE_ROLE_MEMBER,
                       v1::TASK_FORCE_FUNCTION_PRODUCT);
  }
  EXPECT_THAT(MemberFields(ms, true), IsEmpty());
  *ms.Add() =
      Member("members/one-too-many", v1::TASK_FORCE_ROLE_MEMBER, v1::TASK_FORCE_FUNCTION_PRODUCT);
  EXPECT_THAT(MemberFields(ms, true), ElementsAre("members"));
}

// ---- CheckMilestone

v1::Milestone GoodMilestone() {
  v1::Milestone m;
  m.set_title("技术方案评审");
  m.set_owner("members/pre-1");
  m.mutable_due_date()->set_year(2026);
  m.mutable_due_date()->set_month(2);
  m.mutable_due_date()->set_day(28);
  m.set_state(v1::MILESTONE_STATE_PLANNED);
  return m;
}

std::vector<std::string> MilestoneFields(const v1::Milestone& m, bool require_title) {
  Violations v;
  CheckMilestone(v, "milestone", m, require_title);
  return Fields(v);
}

TEST(CheckMilestoneTest, AValidMilestonePasses) {
  EXPECT_THAT(MilestoneFields(GoodMilestone(), true), IsEmpty());
  v1::Milestone bare;
  bare.set_title("x");
  EXPECT_THAT(MilestoneFields(bare, true), IsEmpty());  // owner, date and state optional
}

TEST(CheckMilestoneTest, TitleRequiredOnlyWhenAsked) {
  v1::Milestone m = GoodMilestone();
  m.clear_title();
  EXPECT_THAT(MilestoneFields(m, true), ElementsAre("milestone.title"));
  EXPECT_THAT(MilestoneFields(m, false), IsEmpty());
  m.set_title(std::string(201, 'x'));
  EXPECT_THAT(MilestoneFields(m, false), ElementsAre("milestone.title"));
}

TEST(CheckMilestoneTest, NoteOwnerAndStateAreChecked) {
  v1::Milestone m = GoodMilestone();
  m.set_note(std::string(2001, 'n'));
  EXPECT_THAT(MilestoneFields(m, true), ElementsAre("milestone.note"));
  m = GoodMilestone();
  m.set_owner("pre-1");
  EXPECT_THAT(MilestoneFields(m, true), ElementsAre("milestone.owner"));
  m = GoodMilestone();
  m.set_state(static_cast<v1::MilestoneState>(v1::MILESTONE_STATE_CANCELLED + 1));
  EXPECT_THAT(MilestoneFields(m, true), ElementsAre("milestone.state"));
  m.set_state(v1::MILESTONE_STATE_CANCELLED);
  EXPECT_THAT(MilestoneFields(m, true), IsEmpty());
}

TEST(CheckMilestoneTest, DueDateMustBeACalendarDateIn2000To2100) {
  const std::vector<std::tuple<int, int, int, bool>> cases = {
      {2026, 2, 28, true},  {2026, 2, 29, false}, {2028, 2, 29, true},   {2026, 4, 31, false},
      {2026, 12, 31, true}, {2026, 13, 1, false}, {2026, 0, 1, false},   {2026, 1, 0, false},
      {2026, 1, 32, false}, {2000, 1, 1, true},   {1999, 12, 31, false}, {2100, 12, 31, true},
      {2101, 1, 1, false},  {0, 0, 0, false},
  };
  for (const auto& [y, mo, d, ok] : cases) {
    v1::Milestone m = GoodMilestone();
    m.mutable_due_date()->set_year(y);
    m.mutable_due_date()->set_month(mo);
    m.mutable_due_date()->set_day(d);
    if (ok) {
      EXPECT_THAT(MilestoneFields(m, true), IsEmpty()) << y << "-" << mo << "-" << d;
    } else {
      EXPECT_THAT(MilestoneFields(m, true), ElementsAre("milestone.due_date"))
          << y << "-" << mo << "-" << d;
    }
  }
}

// ---- CheckCreditSplit

v1::TaskForce ThreeMembers() {
  v1::TaskForce t;
  *t.add_members() =
      Member("members/rep-1", v1::TASK_FORCE_ROLE_LEAD, v1::TASK_FORCE_FUNCTION_SALES);
  *t.add_members() =
      Member("members/pre-1", v1::TASK_FORCE_ROLE_MEMBER, v1::TASK_FORCE_FUNCTION_PRE_SALES);
  *t.add_members() =
      Member("members/del-1", v1::TASK_FORCE_ROLE_MEMBER, v1::TASK_FORCE_FUNCTION_DELIVERY);
  return t;
}

google::protobuf::RepeatedPtrField<v1::CreditShare> Shares(
    const std::vector<std::pair<std::string, int64_t>>& list) {
  google::protobuf::RepeatedPtrField<v1::CreditShare> out;
  for (const auto& [member, share] : list) {
    v1::CreditShare* s = out.Add();
    s->set_member(member);
    s->set_share_millionths(share);
  }
  return out;
}

std::vector<std::string> SplitFields(
    const google::protobuf::RepeatedPtrField<v1::CreditShare>& shares) {
  Violations v;
  CheckCreditSplit(v, "shares", shares, ThreeMembers());
  return Fields(v);
}

TEST(CheckCreditSplitTest, SharesSummingToExactlyOneMillionPass) {
  EXPECT_THAT(
      SplitFields(Shares(
          {{"members/rep-1", 600'000}, {"members/pre-1", 300'000}, {"members/del-1", 100'000}})),
      IsEmpty());
  EXPECT_THAT(SplitFields(Shares({{"members/rep-1", kWholeShare}})), IsEmpty());
}

TEST(CheckCreditSplitTest, SumsOffByOneEitherWayAreRejected) {
  for (int64_t last : {99'999, 100'001}) {
    Violations v;
    CheckCreditSplit(
        v, "shares",
        Shares({{"members/rep-1", 600'000}, {"members/pre-1", 300'000}, {"members/del-1", last}}),
        ThreeMembers());
    const std::vector<FieldViolation> list = FieldViolations(v.Finish());
    ASSERT_EQ(list.size(), 1u) << last;
    EXPECT_EQ(list[0].field, "shares");
    EXPECT_THAT(list[0].description, HasSubstr(std::to_string(900'000 + last))) << last;
  }
}

TEST(CheckCreditSplitTest, EachShareMustBe1ToOneMillion) {
  EXPECT_THAT(SplitFields(Shares({{"members/rep-1", 1'000'000}, {"members/pre-1", 0}})),
              ElementsAre("shares[1].share_millionths"));
  EXPECT_THAT(SplitFields(Shares({{"members/rep-1", 1'000'001}, {"members/pre-1", -1}})),
              ElementsAre("shares[0].share_millionths", "shares[1].share_millionths"));
  EXPECT_THAT(SplitFields(Shares({{"members/rep-1", 999'999}, {"members/pre-1", 1}})), IsEmpty());
}

TEST(CheckCreditSplitTest, NonMembersAreNamed) {
  EXPECT_THAT(SplitFields(Shares({{"members/rep-1", 500'000}, {"members/stranger", 500'000}})),
              ElementsAre("shares[1].member"));
}

TEST(CheckCreditSplitTest, DuplicatesAreNamedAtTheSecondEntry) {
  const std::vector<FieldViolation> list = [] {
    Violations v;
    CheckCreditSplit(v, "shares", Shares({{"members/rep-1", 500'000}, {"members/rep-1", 500'000}}),
                     ThreeMembers());
    return FieldViolations(v.Finish());
  }();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].field, "shares[1].member");
  EXPECT_THAT(list[0].description, HasSubstr("twice"));
}

TEST(CheckCreditSplitTest, BadMemberNamesAreNamed) {
  EXPECT_THAT(SplitFields(Shares({{"rep-1", 1'000'000}})),
              ElementsAre("shares[0].member", "shares[0].member"));  // malformed, not a member
}

TEST(CheckCreditSplitTest, OneTo50Shares) {
  EXPECT_THAT(SplitFields(Shares({})), ElementsAre("shares"));
  v1::TaskForce big;
  std::vector<std::pair<std::string, int64_t>> list;
  for (int i = 0; i < kMaxTaskForceMembers + 1; ++i) {
    const std::string name = "members/m-" + std::to_string(i);
    *big.add_members() = Member(name, v1::TASK_FORCE_ROLE_MEMBER, v1::TASK_FORCE_FUNCTION_PRODUCT);
    list.emplace_back(name, i == 0 ? 1'000'000 - kMaxTaskForceMembers + 1 : 1);
  }
  Violations too_many;
  CheckCreditSplit(too_many, "shares", Shares(list), big);
  EXPECT_THAT(Fields(too_many), ElementsAre("shares"));
  list.pop_back();  // 50 shares: 999,951 + 49 × 1
  Violations fifty;
  CheckCreditSplit(fifty, "shares", Shares(list), big);
  EXPECT_THAT(Fields(fifty), IsEmpty());
}

// ---- workflow.h

TEST(CheckLeadStepTest, FollowsTheStateTable) {
  using S = v1::LeadState;
  const std::vector<std::pair<S, S>> allowed = {
      {v1::LEAD_STATE_HANDED_OVER, v1::LEAD_STATE_CONTACTED},
      {v1::LEAD_STATE_HANDED_OVER, v1::LEAD_STATE_QUALIFIED},
      {v1::LEAD_STATE_HANDED_OVER, v1::LEAD_STATE_DISQUALIFIED},
      {v1::LEAD_STATE_CONTACTED, v1::LEAD_STATE_QUALIFIED},
      {v1::LEAD_STATE_CONTACTED, v1::LEAD_STATE_DISQUALIFIED},
      {v1::LEAD_STATE_QUALIFIED, v1::LEAD_STATE_WON},
      {v1::LEAD_STATE_QUALIFIED, v1::LEAD_STATE_LOST},
  };
  int ok_count = 0;
  for (int f = v1::LeadState_MIN; f <= v1::LeadState_MAX; ++f) {
    for (int t = v1::LeadState_MIN; t <= v1::LeadState_MAX; ++t) {
      const auto from = static_cast<S>(f);
      const auto to = static_cast<S>(t);
      const bool want =
          std::find(allowed.begin(), allowed.end(), std::make_pair(from, to)) != allowed.end();
      const absl::Status s = CheckLeadStep(from, to);
      const std::string label = v1::LeadState_Name(from) + " -> " + v1::LeadState_Name(to);
      if (want) {
        EXPECT_TRUE(s.ok()) << label << ": " << s;
        ++ok_count;
      } else {
        EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << label;
        EXPECT_EQ(ErrorReason(s), "LEAD_STATE") << label;
        EXPECT_THAT(s.message(), HasSubstr(v1::LeadState_Name(from))) << label;
      }
    }
  }
  EXPECT_EQ(ok_count, 7);
}

TEST(CheckReceptionStepTest, FollowsTheStateTable) {
  using S = v1::ReceptionState;
  const std::vector<std::pair<S, S>> allowed = {
      {v1::RECEPTION_STATE_PLANNED, v1::RECEPTION_STATE_CONFIRMED},
      {v1::RECEPTION_STATE_PLANNED, v1::RECEPTION_STATE_DONE},
      {v1::RECEPTION_STATE_PLANNED, v1::RECEPTION_STATE_CANCELLED},
      {v1::RECEPTION_STATE_CONFIRMED, v1::RECEPTION_STATE_DONE},
      {v1::RECEPTION_STATE_CONFIRMED, v1::RECEPTION_STATE_CANCELLED},
  };
  int ok_count = 0;
  for (int f = v1::ReceptionState_MIN; f <= v1::ReceptionState_MAX; ++f) {
    for (int t = v1::ReceptionState_MIN; t <= v1::ReceptionState_MAX; ++t) {
      const auto from = static_cast<S>(f);
      const auto to = static_cast<S>(t);
      const bool want =
          std::find(allowed.begin(), allowed.end(), std::make_pair(from, to)) != allowed.end();
      const absl::Status s = CheckReceptionStep(from, to);
      const std::string label =
          v1::ReceptionState_Name(from) + " -> " + v1::ReceptionState_Name(to);
      if (want) {
        EXPECT_TRUE(s.ok()) << label << ": " << s;
        ++ok_count;
      } else {
        EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << label;
        EXPECT_EQ(ErrorReason(s), "RECEPTION_STATE") << label;
      }
    }
  }
  EXPECT_EQ(ok_count, 5);
}

TEST(IsOverdueTest, DueAtTheDueTimeItself) {
  EXPECT_FALSE(IsOverdue(kNow, kNow - absl::Nanoseconds(1)));
  EXPECT_TRUE(IsOverdue(kNow, kNow));
  EXPECT_TRUE(IsOverdue(kNow, kNow + absl::Hours(1)));
}

}  // namespace
}  // namespace salesops::sync
