// Tests for the opportunity pipeline rules: the full stage-transition matrix,
// follow-up tasks per stage and opportunity field validation.
#include "services/customers/domain/pipeline.h"

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::customers {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr OpportunityStage kLead = v1::OPPORTUNITY_STAGE_LEAD;
constexpr OpportunityStage kQualified = v1::OPPORTUNITY_STAGE_QUALIFIED;
constexpr OpportunityStage kProposal = v1::OPPORTUNITY_STAGE_PROPOSAL;
constexpr OpportunityStage kNegotiation = v1::OPPORTUNITY_STAGE_NEGOTIATION;
constexpr OpportunityStage kContract = v1::OPPORTUNITY_STAGE_CONTRACT;
constexpr OpportunityStage kWon = v1::OPPORTUNITY_STAGE_WON;
constexpr OpportunityStage kLost = v1::OPPORTUNITY_STAGE_LOST;
constexpr OpportunityStage kStages[] = {kLead,     kQualified, kProposal, kNegotiation,
                                        kContract, kWon,       kLost};

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const FieldViolation& v : FieldViolations(s)) {
    out.push_back(v.field);
  }
  return out;
}

// The intended rule, spelled out by hand (rows: from, columns: to, in the
// order of kStages): moves among open stages in either direction, WON only
// from CONTRACT, LOST from any open stage, nothing out of WON or LOST and no
// move to the same stage.
constexpr bool kAllowed[7][7] = {
    //            lead   qual   prop   nego   contr  won    lost
    /* lead  */ {false, true, true, true, true, false, true},
    /* qual  */ {true, false, true, true, true, false, true},
    /* prop  */ {true, true, false, true, true, false, true},
    /* nego  */ {true, true, true, false, true, false, true},
    /* contr */ {true, true, true, true, false, true, true},
    /* won   */ {false, false, false, false, false, false, false},
    /* lost  */ {false, false, false, false, false, false, false},
};

v1::Opportunity ValidOpportunity() {
  v1::Opportunity o;
  o.set_display_name("年度采购项目");
  o.mutable_amount()->set_amount_minor(12'345'600);
  o.mutable_amount()->set_currency_code("CNY");
  o.set_channel("direct");
  o.mutable_expected_close_date()->set_year(2026);
  o.mutable_expected_close_date()->set_month(6);
  o.mutable_expected_close_date()->set_day(30);
  return o;
}

const absl::Time kCreated =
    absl::FromCivil(absl::CivilSecond(2026, 3, 10, 12, 0, 0), absl::UTCTimeZone());

void SetCloseDate(v1::Opportunity& o, int y, int m, int d) {
  o.mutable_expected_close_date()->set_year(y);
  o.mutable_expected_close_date()->set_month(m);
  o.mutable_expected_close_date()->set_day(d);
}

TEST(PipelineTest, IsAllowedTransitionMatchesTheIntendedMatrixForAllPairs) {
  for (int f = 0; f < 7; ++f) {
    for (int t = 0; t < 7; ++t) {
      SCOPED_TRACE(StageName(kStages[f]) + " -> " + StageName(kStages[t]));
      EXPECT_EQ(IsAllowedTransition(kStages[f], kStages[t]), kAllowed[f][t]);
    }
  }
}

TEST(PipelineTest, CheckStageChangeIsOkOrStageTransitionNotAllowedForAllPairs) {
  for (int f = 0; f < 7; ++f) {
    for (int t = 0; t < 7; ++t) {
      SCOPED_TRACE(StageName(kStages[f]) + " -> " + StageName(kStages[t]));
      const absl::Status s = CheckStageChange(kStages[f], kStages[t], "customer chose a rival");
      if (kAllowed[f][t]) {
        EXPECT_TRUE(s.ok()) << s;
      } else {
        EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
        EXPECT_EQ(ErrorReason(s), "STAGE_TRANSITION_NOT_ALLOWED");
      }
    }
  }
}

TEST(PipelineTest, NothingLeavesTheUnspecifiedStage) {
  for (OpportunityStage to : kStages) {
    EXPECT_FALSE(IsAllowedTransition(v1::OPPORTUNITY_STAGE_UNSPECIFIED, to)) << StageName(to);
  }
}

TEST(PipelineTest, WonToNegotiationIsFailedPreconditionNamingBothStages) {
  const absl::Status s = CheckStageChange(kWon, kNegotiation, "");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(s), "STAGE_TRANSITION_NOT_ALLOWED");
  EXPECT_THAT(std::string(s.message()), HasSubstr("won"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("negotiation"));
}

TEST(PipelineTest, WonFromBeforeContractExplainsTheContractRule) {
  const absl::Status s = CheckStageChange(kProposal, kWon, "");
  EXPECT_EQ(ErrorReason(s), "STAGE_TRANSITION_NOT_ALLOWED");
  EXPECT_THAT(std::string(s.message()), HasSubstr("contract stage only"));
}

TEST(PipelineTest, LostWithoutReasonIsInvalidArgumentNamingReason) {
  const absl::Status s = CheckStageChange(kNegotiation, kLost, "");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(s), "INVALID_ARGUMENT");
  EXPECT_THAT(Fields(s), ElementsAre("reason"));
}

TEST(PipelineTest, LostWithReasonIsOkFromEveryOpenStage) {
  for (OpportunityStage from : {kLead, kQualified, kProposal, kNegotiation, kContract}) {
    EXPECT_TRUE(CheckStageChange(from, kLost, "budget cut").ok()) << StageName(from);
  }
}

TEST(PipelineTest, ReasonIsOptionalForNonLostMoves) {
  EXPECT_TRUE(CheckStageChange(kLead, kQualified, "").ok());
  EXPECT_TRUE(CheckStageChange(kContract, kWon, "").ok());
}

TEST(PipelineTest, ReasonLongerThan1000CharactersNamesReason) {
  const absl::Status s = CheckStageChange(kLead, kQualified, std::string(1001, 'x'));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(s), ElementsAre("reason"));
  EXPECT_TRUE(CheckStageChange(kLead, kQualified, std::string(1000, 'x')).ok());
}

TEST(PipelineTest, UnspecifiedOrUnknownTargetStageIsInvalidArgumentNamingStage) {
  for (OpportunityStage to :
       {v1::OPPORTUNITY_STAGE_UNSPECIFIED, static_cast<OpportunityStage>(99)}) {
    const absl::Status s = CheckStageChange(kLead, to, "");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << static_cast<int>(to);
    EXPECT_THAT(Fields(s), ElementsAre("stage"));
  }
}

TEST(PipelineTest, InputErrorsAreReportedBeforeTheTransitionRule) {
  // LOST out of WON without a reason: the request itself is wrong first.
  const absl::Status s = CheckStageChange(kWon, kLost, "");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(s), ElementsAre("reason"));
}

TEST(PipelineTest, IsTerminalAndIsOpenStageClassifyEveryStage) {
  for (OpportunityStage s : {kLead, kQualified, kProposal, kNegotiation, kContract}) {
    EXPECT_TRUE(IsOpenStage(s)) << StageName(s);
    EXPECT_FALSE(IsTerminal(s)) << StageName(s);
  }
  for (OpportunityStage s : {kWon, kLost}) {
    EXPECT_FALSE(IsOpenStage(s)) << StageName(s);
    EXPECT_TRUE(IsTerminal(s)) << StageName(s);
  }
  EXPECT_FALSE(IsOpenStage(v1::OPPORTUNITY_STAGE_UNSPECIFIED));
  EXPECT_FALSE(IsTerminal(v1::OPPORTUNITY_STAGE_UNSPECIFIED));
}

TEST(PipelineTest, StageNameIsTheLowerCaseSuffixOrANumberWhenUnknown) {
  EXPECT_EQ(StageName(kNegotiation), "negotiation");
  EXPECT_EQ(StageName(kLead), "lead");
  EXPECT_EQ(StageName(kWon), "won");
  EXPECT_EQ(StageName(v1::OPPORTUNITY_STAGE_UNSPECIFIED), "stage 0");
  EXPECT_EQ(StageName(static_cast<OpportunityStage>(42)), "stage 42");
}

TEST(PipelineTest, FollowUpForStageGivesTheTaskAndDueTimeOfEachStage) {
  struct Case {
    OpportunityStage stage;
    absl::Duration due_in;
    const char* title_part;
  };
  for (const Case& c : {Case{kLead, absl::Hours(48), "First contact"},
                        Case{kQualified, absl::Hours(24 * 5), "solution meeting"},
                        Case{kProposal, absl::Hours(24 * 3), "proposal"},
                        Case{kNegotiation, absl::Hours(24 * 5), "decision maker"},
                        Case{kContract, absl::Hours(24 * 7), "contract"},
                        Case{kWon, absl::Hours(24 * 3), "delivery"}}) {
    SCOPED_TRACE(StageName(c.stage));
    const std::optional<StageFollowUp> f = FollowUpForStage(c.stage);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->due_in, c.due_in);
    EXPECT_THAT(f->title, HasSubstr(c.title_part));
  }
}

TEST(PipelineTest, FollowUpForStageIsNoneForLostAndUnspecified) {
  EXPECT_FALSE(FollowUpForStage(kLost).has_value());
  EXPECT_FALSE(FollowUpForStage(v1::OPPORTUNITY_STAGE_UNSPECIFIED).has_value());
}

TEST(PipelineTest, ValidOpportunityPassesValidation) {
  EXPECT_TRUE(ValidateOpportunityFields(ValidOpportunity(), kCreated, absl::UTCTimeZone()).ok());
}

TEST(PipelineTest, NegativeAmountNamesAmountMinor) {
  v1::Opportunity o = ValidOpportunity();
  o.mutable_amount()->set_amount_minor(-1);
  const absl::Status s = ValidateOpportunityFields(o, kCreated, absl::UTCTimeZone());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(s), ElementsAre("opportunity.amount.amount_minor"));
}

TEST(PipelineTest, ZeroAmountIsAllowed) {
  v1::Opportunity o = ValidOpportunity();
  o.mutable_amount()->set_amount_minor(0);
  EXPECT_TRUE(ValidateOpportunityFields(o, kCreated, absl::UTCTimeZone()).ok());
}

TEST(PipelineTest, ImplausiblyLargeAmountNamesAmountMinor) {
  v1::Opportunity o = ValidOpportunity();
  // The cap (10^14 minor units) keeps sums of many deals far from int64 overflow.
  o.mutable_amount()->set_amount_minor(kMaxDealAmountMinor + 1);
  EXPECT_THAT(Fields(ValidateOpportunityFields(o, kCreated, absl::UTCTimeZone())),
              ElementsAre("opportunity.amount.amount_minor"));
  o.mutable_amount()->set_amount_minor(kMaxDealAmountMinor);
  EXPECT_TRUE(ValidateOpportunityFields(o, kCreated, absl::UTCTimeZone()).ok());
}

TEST(PipelineTest, UnknownCurrencyRmbNamesCurrencyCode) {
  v1::Opportunity o = ValidOpportunity();
  o.mutable_amount()->set_currency_code("RMB");
  const absl::Status s = ValidateOpportunityFields(o, kCreated, absl::UTCTimeZone());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(s), ElementsAre("opportunity.amount.currency_code"));
}

TEST(PipelineTest, MissingCurrencyNamesCurrencyCode) {
  v1::Opportunity o = ValidOpportunity();
  o.mutable_amount()->clear_currency_code();
  EXPECT_THAT(Fields(ValidateOpportunityFields(o, kCreated, absl::UTCTimeZone())),
              ElementsAre("opportunity.amount.currency_code"));
}

TEST(PipelineTest, ExpectedCloseDateBeforeCreationDayNamesExpectedCloseDate) {
  v1::Opportunity o = ValidOpportunity();
  SetCloseDate(o, 2026, 3, 9);
  const absl::Status s = ValidateOpportunityFields(o, kCreated, absl::UTCTimeZone());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(s), ElementsAre("opportunity.expected_close_date"));
}

TEST(PipelineTest, ExpectedCloseDateOnTheCreationDayIsAllowed) {
  v1::Opportunity o = ValidOpportunity();
  SetCloseDate(o, 2026, 3, 10);
  EXPECT_TRUE(ValidateOpportunityFields(o, kCreated, absl::UTCTimeZone()).ok());
}

TEST(PipelineTest, CreationDayIsTakenInTheGivenTimeZone) {
  // 2026-03-10 17:00 UTC is already 2026-03-11 01:00 in Shanghai (UTC+8).
  const absl::Time created =
      absl::FromCivil(absl::CivilSecond(2026, 3, 10, 17, 0, 0), absl::UTCTimeZone());
  v1::Opportunity o = ValidOpportunity();
  SetCloseDate(o, 2026, 3, 10);
  EXPECT_TRUE(ValidateOpportunityFields(o, created, absl::UTCTimeZone()).ok());
  EXPECT_THAT(Fields(ValidateOpportunityFields(o, created, absl::FixedTimeZone(8 * 3600))),
              ElementsAre("opportunity.expected_close_date"));
}

TEST(PipelineTest, InvalidCalendarDatesNameExpectedCloseDate) {
  for (const auto& [y, m, d] :
       {std::tuple{2027, 2, 30}, std::tuple{2027, 2, 29}, std::tuple{2026, 13, 1},
        std::tuple{2026, 4, 31}, std::tuple{2026, 0, 10}, std::tuple{2201, 1, 1}}) {
    SCOPED_TRACE(testing::Message() << y << "-" << m << "-" << d);
    v1::Opportunity o = ValidOpportunity();
    SetCloseDate(o, y, m, d);
    const absl::Status s = ValidateOpportunityFields(o, kCreated, absl::UTCTimeZone());
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Fields(s), ElementsAre("opportunity.expected_close_date"));
  }
}

TEST(PipelineTest, LeapDayIsAValidCloseDate) {
  v1::Opportunity o = ValidOpportunity();
  SetCloseDate(o, 2028, 2, 29);
  EXPECT_TRUE(ValidateOpportunityFields(o, kCreated, absl::UTCTimeZone()).ok());
}

TEST(PipelineTest, NoExpectedCloseDateIsAllowed) {
  v1::Opportunity o = ValidOpportunity();
  o.clear_expected_close_date();
  EXPECT_TRUE(ValidateOpportunityFields(o, kCreated, absl::UTCTimeZone()).ok());
}

TEST(PipelineTest, EmptyDisplayNameNamesDisplayName) {
  v1::Opportunity o = ValidOpportunity();
  o.clear_display_name();
  const absl::Status s = ValidateOpportunityFields(o, kCreated, absl::UTCTimeZone());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(s), ElementsAre("opportunity.display_name"));
}

TEST(PipelineTest, DisplayNameLengthCountsCharactersNotBytes) {
  v1::Opportunity o = ValidOpportunity();
  std::string name;
  for (int i = 0; i < 200; ++i) {
    name += "项";  // 200 characters, 600 bytes
  }
  o.set_display_name(name);
  EXPECT_TRUE(ValidateOpportunityFields(o, kCreated, absl::UTCTimeZone()).ok());
  o.set_display_name(name + "目");
  EXPECT_THAT(Fields(ValidateOpportunityFields(o, kCreated, absl::UTCTimeZone())),
              ElementsAre("opportunity.display_name"));
}

TEST(PipelineTest, NextStepLongerThan1000CharactersNamesNextStep) {
  v1::Opportunity o = ValidOpportunity();
  o.set_next_step(std::string(1001, 'n'));
  EXPECT_THAT(Fields(ValidateOpportunityFields(o, kCreated, absl::UTCTimeZone())),
              ElementsAre("opportunity.next_step"));
}

TEST(PipelineTest, EveryBadFieldIsReportedInOneStatus) {
  v1::Opportunity o = ValidOpportunity();
  o.clear_display_name();
  o.mutable_amount()->set_amount_minor(-5);
  o.mutable_amount()->set_currency_code("RMB");
  SetCloseDate(o, 2026, 2, 30);
  const std::vector<std::string> fields =
      Fields(ValidateOpportunityFields(o, kCreated, absl::UTCTimeZone()));
  EXPECT_THAT(fields, Contains("opportunity.display_name"));
  EXPECT_THAT(fields, Contains("opportunity.amount.amount_minor"));
  EXPECT_THAT(fields, Contains("opportunity.amount.currency_code"));
  EXPECT_THAT(fields, Contains("opportunity.expected_close_date"));
  EXPECT_THAT(fields, Not(Contains("opportunity.channel")));
}

TEST(PipelineTest, DaysBetweenIsWholeDaysFlooredAndNeverNegative) {
  const absl::Time t0 = kCreated;
  EXPECT_EQ(DaysBetween(t0, t0), 0);
  EXPECT_EQ(DaysBetween(t0, t0 + absl::Hours(23)), 0);
  EXPECT_EQ(DaysBetween(t0, t0 + absl::Hours(24)), 1);
  EXPECT_EQ(DaysBetween(t0, t0 + absl::Hours(24 * 10 + 23)), 10);
  EXPECT_EQ(DaysBetween(t0, t0 - absl::Hours(24 * 5)), 0);
}

}  // namespace
}  // namespace salesops::customers
