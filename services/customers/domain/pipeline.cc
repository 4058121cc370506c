#include "services/customers/domain/pipeline.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/money/money.h"
#include "common/status/errors.h"
#include "common/validation/validation.h"

namespace salesops::customers {

using v1::OPPORTUNITY_STAGE_CONTRACT;
using v1::OPPORTUNITY_STAGE_LEAD;
using v1::OPPORTUNITY_STAGE_LOST;
using v1::OPPORTUNITY_STAGE_NEGOTIATION;
using v1::OPPORTUNITY_STAGE_PROPOSAL;
using v1::OPPORTUNITY_STAGE_QUALIFIED;
using v1::OPPORTUNITY_STAGE_WON;

bool IsTerminal(OpportunityStage s) {
  return s == OPPORTUNITY_STAGE_WON || s == OPPORTUNITY_STAGE_LOST;
}
bool IsOpenStage(OpportunityStage s) {
  return s >= OPPORTUNITY_STAGE_LEAD && s <= OPPORTUNITY_STAGE_CONTRACT;
}

bool IsAllowedTransition(OpportunityStage from, OpportunityStage to) {
  if (!IsOpenStage(from) || from == to) {
    return false;
  }
  if (to == OPPORTUNITY_STAGE_LOST) {
    return true;
  }
  // Won only from the contract stage: a deal is won when it is signed.
  if (to == OPPORTUNITY_STAGE_WON) {
    return from == OPPORTUNITY_STAGE_CONTRACT;
  }
  return IsOpenStage(to);
}

std::string StageName(OpportunityStage s) {
  if (!v1::OpportunityStage_IsValid(s) || s == v1::OPPORTUNITY_STAGE_UNSPECIFIED) {
    return absl::StrCat("stage ", static_cast<int>(s));
  }
  std::string n = v1::OpportunityStage_Name(s).substr(sizeof("OPPORTUNITY_STAGE_") - 1);
  return absl::AsciiStrToLower(n);
}

absl::Status CheckStageChange(OpportunityStage from, OpportunityStage to,
                              const std::string& reason) {
  Violations v;
  if (!v1::OpportunityStage_IsValid(to) || to == v1::OPPORTUNITY_STAGE_UNSPECIFIED) {
    v.Add("stage", "required: one of lead, qualified, proposal, negotiation, contract, won, lost");
  }
  if (to == OPPORTUNITY_STAGE_LOST && reason.empty()) {
    v.Add("reason", "required when the opportunity is lost");
  }
  CheckText(v, "reason", reason, 0, 1000);
  if (!v.empty()) {
    return v.Finish();
  }
  if (!IsAllowedTransition(from, to)) {
    std::string why = IsTerminal(from) ? "a closed opportunity cannot change stage"
                      : to == OPPORTUNITY_STAGE_WON
                          ? "an opportunity is won from the contract stage only"
                          : "it is already in that stage";
    return FailedPrecondition(
        "STAGE_TRANSITION_NOT_ALLOWED",
        absl::StrCat("cannot move from ", StageName(from), " to ", StageName(to), ": ", why));
  }
  return absl::OkStatus();
}

std::optional<StageFollowUp> FollowUpForStage(OpportunityStage s) {
  switch (s) {
    case OPPORTUNITY_STAGE_LEAD:
      return StageFollowUp{"首次联系并确认需求 / First contact: confirm the need", absl::Hours(48)};
    case OPPORTUNITY_STAGE_QUALIFIED:
      return StageFollowUp{"安排方案交流 / Schedule a solution meeting", absl::Hours(24 * 5)};
    case OPPORTUNITY_STAGE_PROPOSAL:
      return StageFollowUp{"跟进报价反馈 / Follow up on the proposal", absl::Hours(24 * 3)};
    case OPPORTUNITY_STAGE_NEGOTIATION:
      return StageFollowUp{"确认商务条款与决策人 / Confirm terms and decision maker",
                           absl::Hours(24 * 5)};
    case OPPORTUNITY_STAGE_CONTRACT:
      return StageFollowUp{"起草并推进合同签署 / Draft the contract and get it signed",
                           absl::Hours(24 * 7)};
    case OPPORTUNITY_STAGE_WON:
      return StageFollowUp{"安排交付启动与回款计划 / Kick off delivery and the payment plan",
                           absl::Hours(24 * 3)};
    default:
      return std::nullopt;
  }
}

absl::Status ValidateOpportunityFields(const v1::Opportunity& o, absl::Time created,
                                       absl::TimeZone tz) {
  Violations v;
  CheckText(v, "opportunity.display_name", o.display_name(), 1, 200);
  CheckMoney(v, "opportunity.amount", {o.amount().amount_minor(), o.amount().currency_code()},
             MoneyRule::kNonNegative);
  if (o.amount().amount_minor() > kMaxDealAmountMinor) {
    v.Add("opportunity.amount.amount_minor", "is implausibly large (over 10^14 minor units)");
  }
  CheckText(v, "opportunity.channel", o.channel(), 1, 63);
  CheckText(v, "opportunity.customer_type", o.customer_type(), 0, 63);
  CheckText(v, "opportunity.next_step", o.next_step(), 0, 1000);
  if (o.has_expected_close_date()) {
    const auto& d = o.expected_close_date();
    absl::CivilDay day(d.year(), d.month(), d.day());
    if (day.year() != d.year() || day.month() != d.month() || day.day() != d.day() ||
        d.year() < 1970 || d.year() > 2200) {
      v.Add("opportunity.expected_close_date", "is not a valid date");
    } else if (day < absl::ToCivilDay(created, tz)) {
      v.Add("opportunity.expected_close_date", "must not be before the opportunity's creation");
    }
  }
  return v.Finish();
}

int DaysBetween(absl::Time from, absl::Time to) {
  if (to <= from) {
    return 0;
  }
  return static_cast<int>((to - from) / absl::Hours(24));
}

}  // namespace salesops::customers
